// Small DOM helpers: elements, tables, problems, empty states and number formats.
import { Problem } from './api.js';

/** h('p', {class: 'x'}, 'text', child): an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export const byId = (id) => document.getElementById(id);

/** Replace what `el` shows. */
export function show(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

/** A problem as the page tells it: status, title and the API's detail. */
export function problemBox(err) {
  const status = err instanceof Problem && err.status ? `${err.status} ` : '';
  const title = err instanceof Problem ? err.title : 'Something went wrong';
  const detail = err instanceof Problem ? err.detail : String(err.message || err);
  return h('div', { class: 'problem', role: 'alert' },
    h('strong', {}, `${status}${title}`), detail ? h('p', {}, detail) : null);
}

export const empty = (text) => h('p', { class: 'empty' }, text);

/** A table with a caption, header cells, rows of cells and optional footer rows. */
export function table(caption, columns, rows, footer = []) {
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
  const line = (cells, tag = 'td') => h('tr', {}, cells.map((cell, i) => h(
    i === 0 && tag === 'th' ? 'th' : 'td',
    { class: columns[i]?.num ? 'num' : null, scope: i === 0 && tag === 'th' ? 'row' : null },
    cell,
  )));
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, head),
    h('tbody', {}, rows.map((r) => line(r))),
    footer.length ? h('tfoot', {}, footer.map((r) => line(r, 'th'))) : null);
}

/** A definition list of [term, value] pairs. */
export const facts = (pairs, label) => h('dl', { class: 'facts', 'aria-label': label },
  pairs.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
export const fmtInt = (n) => integer.format(n);
export const fmtWh = (wh) => `${integer.format(wh)} Wh`;

/** Minor units as an exact decimal amount in the currency (integer arithmetic only). */
export function fmtMoney(minor, currency = 'EUR') {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency })
    .resolvedOptions().maximumFractionDigits;
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const scale = 10n ** BigInt(digits);
  const whole = (abs / scale).toLocaleString('en');
  const cents = digits ? `.${String(abs % scale).padStart(digits, '0')}` : '';
  return `${sign}${whole}${cents} ${currency}`;
}

/** Wei as ether, exactly (18 decimals, trailing zeros dropped). */
export function fmtEther(wei) {
  const value = BigInt(wei);
  const whole = value / 10n ** 18n;
  const frac = String(value % 10n ** 18n).padStart(18, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''} ETH`;
}

export const short = (hex, keep = 10) => (hex && hex.length > keep * 2
  ? `${hex.slice(0, keep)}…${hex.slice(-6)}` : hex || '');

/** A button that shows "working…" and cannot be pressed twice while its action runs. */
export function busy(button, action) {
  return async (event) => {
    event?.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await action();
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  };
}
