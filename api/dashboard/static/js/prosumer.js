// The prosumer page: flows per timeframe (stacked), the month's statement, verify, and pay.
import { api, apiAll, countOf, Problem } from './api.js';
import { chainForm } from './chain.js';
import { timeChart } from './charts.js';
import { settledMonths } from './months.js';
import { drawPayment } from './payment.js';
import { chosenRange, wireRange } from './range.js';
import { mountShell } from './shell.js';
import { drawStatement } from './statement.js';
import { choice, choose } from './store.js';
import {
  dateIn, iso, monthIn, ms, stepMonth,
} from './time.js';
import {
  byId, empty, h, problemBox, show,
} from './ui.js';

const DAY_MS = 86400000;
const state = { context: null, prosumer: null, tz: 'UTC', currency: null };

async function latestFlowDate(id) {
  const range = { from: iso(Date.now() - 399 * DAY_MS), to: iso(Date.now()) };
  const total = await countOf(`/prosumers/${id}/flows`, range);
  if (!total) return dateIn(Date.now(), state.tz);
  const { data } = await api(`/prosumers/${id}/flows`, { query: { ...range, page: total, page_size: 1 } });
  return dateIn(ms(data[0].start), state.tz);
}

async function drawFlows() {
  const figure = byId('flows-chart');
  const { id } = state.prosumer;
  const [from, to] = await chosenRange(state.tz, () => latestFlowDate(id));
  const { items } = await apiAll(`/prosumers/${id}/flows`, { from: iso(from), to: iso(to) });
  const col = (name) => items.map((f) => f.supplied_wh[name]);
  timeChart(figure, {
    title: 'What the house ran on, per timeframe (stacked)',
    x: items.map((f) => ms(f.start) / 1000),
    series: [
      { label: 'Own production', unit: 'Wh', values: col('own_production_wh') },
      { label: 'Battery', unit: 'Wh', values: col('battery_wh') },
      { label: 'Market', unit: 'Wh', values: col('market_wh') },
    ],
    tz: state.tz,
    stacked: true,
  });
  if (!items.length) show(figure.querySelector('.plot'), empty('No simulated flows in this range.'));
}

async function defaultMonth() {
  const months = await settledMonths(state.prosumer.grid_id).catch(() => []);
  return months[0]?.month || stepMonth(monthIn(Date.now(), state.tz), -1);
}

async function drawMonth() {
  const input = byId('month');
  if (!input.value) input.value = await defaultMonth();
  const { id } = state.prosumer;
  const holder = byId('statement');
  show(byId('payment'), empty('Only a debit is paid by the prosumer.'));
  try {
    const { data } = await api(`/prosumers/${id}/statements/${input.value}`);
    drawStatement(holder, data, { gridId: state.prosumer.grid_id, currency: state.currency });
    if (data.kind === 'debit') await drawPayment(byId('payment'), id, input.value, drawMonth);
  } catch (err) {
    const none = err instanceof Problem && err.status === 404;
    show(holder, none ? empty(`No statement for ${input.value}: ${err.detail}`) : problemBox(err));
  }
}

/** The grid's zone and currency where the key may read the grid, else UTC and a trade's currency. */
async function gridFacts(prosumer) {
  if (state.context.role === 'grid') {
    const { data } = await api(`/grids/${prosumer.grid_id}`);
    return { tz: data.timezone, currency: data.currency };
  }
  const range = { from: iso(Date.now() - 399 * DAY_MS), to: iso(Date.now()), page_size: 1 };
  const { data } = await api(`/prosumers/${prosumer.id}/transactions`, { query: range });
  return { tz: 'UTC', currency: data.transactions[0]?.currency || 'EUR' };
}

async function loadProsumer() {
  const id = choice('prosumer');
  for (const part of ['flows-chart', 'statement', 'payment', 'payment-outcome']) show(byId(part));
  if (!id) {
    show(byId('problem'), empty('Choose a prosumer above.'));
    return;
  }
  show(byId('problem'), h('p', { class: 'loading' }, 'Loading…'));
  try {
    state.prosumer = (await api(`/prosumers/${id}`)).data;
    Object.assign(state, await gridFacts(state.prosumer));
    show(byId('problem'));
    byId('prosumer-name').textContent = `${state.prosumer.name} (${state.prosumer.kind})`;
    await Promise.all([drawFlows(), drawMonth()]);
  } catch (err) {
    show(byId('problem'), problemBox(err));
  }
}

async function prosumerChooser() {
  const holder = byId('prosumer-choice');
  const pick = (value) => { choose('prosumer', value); loadProsumer(); };
  if (state.context.role === 'grid' && state.context.gridId) {
    const { items } = await apiAll(`/grids/${state.context.gridId}/prosumers`);
    if (!items.some((p) => p.id === choice('prosumer'))) choose('prosumer', items[0]?.id || '');
    const select = h('select', { id: 'prosumer' }, items.map((p) => h(
      'option', { value: p.id, selected: p.id === choice('prosumer') }, p.name,
    )));
    select.addEventListener('change', () => pick(select.value));
    show(holder, h('label', { for: 'prosumer' }, 'Prosumer'), select);
    return;
  }
  const input = h('input', { id: 'prosumer', value: choice('prosumer'), size: 38, spellcheck: 'false' });
  const form = h('form', { class: 'settings' }, h('label', { for: 'prosumer' }, 'Prosumer id'), input,
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => { event.preventDefault(); pick(input.value.trim()); });
  show(holder, form);
}

async function load(context) {
  state.context = context;
  if (!context) {
    show(byId('prosumer-choice'));
    for (const part of ['flows-chart', 'statement', 'payment']) show(byId(part));
    show(byId('problem'), empty('Paste an API key above (a prosumer key sees its own page).'));
    return;
  }
  try {
    await prosumerChooser();
    await loadProsumer();
  } catch (err) {
    show(byId('problem'), problemBox(err));
  }
}

chainForm(() => state.prosumer && drawMonth());
wireRange(() => state.prosumer && drawFlows().catch((err) => show(byId('problem'), problemBox(err))));
byId('month-form').addEventListener('submit', (event) => { event.preventDefault(); drawMonth(); });
const params = new URLSearchParams(window.location.search);
if (params.get('month')) byId('month').value = params.get('month');
mountShell('prosumer', load, { gridInput: false });  // a prosumer's grid comes with it
