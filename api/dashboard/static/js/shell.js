// Every page's header: navigation, the API key (this browser session only) and the grid.
import { api, Problem } from './api.js';
import { choice, choose, forgetKey, getKey, setKey } from './store.js';
import { byId, h, problemBox, show } from './ui.js';

const PAGES = [
  ['overview', './', 'Overview'],
  ['market', 'market.html', 'Market'],
  ['settlement', 'settlement.html', 'Settlement'],
  ['prosumer', 'prosumer.html', 'Prosumer'],
];

function header(page) {
  return [
    h('p', { class: 'brand' }, 'Minigrid'),
    h('nav', { 'aria-label': 'Dashboard pages' }, h('ul', {}, PAGES.map(([name, href, label]) => h(
      'li', {}, h('a', { href, 'aria-current': name === page ? 'page' : null }, label),
    )))),
    h('form', { id: 'key-form', class: 'settings' },
      h('label', { for: 'key' }, 'API key'),
      h('input', {
        id: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false',
        placeholder: 'mg_…', 'aria-describedby': 'key-help',
      }),
      h('button', { type: 'submit' }, 'Use key'),
      h('button', { type: 'button', id: 'forget' }, 'Forget key'),
      h('span', { id: 'key-help', class: 'help' }, 'Kept in this browser tab only (sessionStorage).')),
    h('div', { id: 'grid-choice', class: 'settings' }),
    h('div', { id: 'shell-status', role: 'status', 'aria-live': 'polite' }),
  ];
}

/** What a key may see: admin and operator keys list grids, other keys answer 403. */
async function probe() {
  try {
    const { data } = await api('/grids', { query: { page_size: 100 } });
    return { role: 'grid', grids: data };
  } catch (err) {
    if (err instanceof Problem && err.status === 403) return { role: 'member', grids: [] };
    throw err;
  }
}

function gridPicker(grids, onPick) {
  const saved = choice('grid');
  const chosen = grids.find((g) => g.id === saved) || grids[0];
  const select = h('select', { id: 'grid' }, grids.map((g) => h(
    'option', { value: g.id, selected: g.id === chosen?.id }, `${g.name} (${g.timezone})`,
  )));
  select.addEventListener('change', () => onPick(select.value));
  return { field: [h('label', { for: 'grid' }, 'Grid'), select], id: chosen?.id || '' };
}

function gridInput(onPick) {
  const input = h('input', { id: 'grid', value: choice('grid'), size: 38, spellcheck: 'false' });
  const form = h('form', {}, h('label', { for: 'grid' }, 'Grid id'), input, h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onPick(input.value.trim());
  });
  return { field: [form], id: input.value };
}

/**
 * Mount the header on `page`; `onReady(context)` runs once a key is usable and again when the
 * key or grid changes. context: {role, gridId, grids}. Problems with the key are shown here.
 * `gridInput: false` leaves out the grid id field for keys that cannot list grids.
 */
export function mountShell(page, onReady, { gridInput: wantsGridInput = true } = {}) {
  const root = byId('shell');
  show(root, header(page));
  const status = byId('shell-status');
  const keyInput = byId('key');
  let context = null;

  const pick = (gridId) => {
    choose('grid', gridId);
    context = { ...context, gridId };
    onReady(context);
  };
  async function start() {
    show(byId('grid-choice'));
    if (!getKey()) {
      show(status, h('p', { class: 'empty' }, 'No key yet: paste an API key to see the grid.'));
      onReady(null);
      return;
    }
    show(status, 'Checking the key…');
    try {
      const { role, grids } = await probe();
      const listed = role === 'grid' && grids.length;
      const picker = listed ? gridPicker(grids, pick) : gridInput(pick);
      if (listed || wantsGridInput) show(byId('grid-choice'), picker.field);
      show(status, h('span', { class: 'ok' }, role === 'grid'
        ? `Key accepted: ${grids.length} grid(s) visible.`
        : 'Key accepted (a prosumer, meter or partner key).'));
      context = { role, grids, gridId: picker.id };
      if (picker.id) choose('grid', picker.id);
      onReady(context);
    } catch (err) {
      show(status, problemBox(err));
      onReady(null);
    }
  }
  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!keyInput.value.trim()) return;
    setKey(keyInput.value);
    keyInput.value = '';
    start();
  });
  byId('forget').addEventListener('click', () => {
    forgetKey();
    start();
  });
  start();
}
