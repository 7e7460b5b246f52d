// The market of one closed timeframe: mechanism and prices, the trades with sums, the nets.
import { api, apiAll } from './api.js';
import { gridInfo, latestClosed, prosumerNames } from './grid-data.js';
import { mountShell } from './shell.js';
import {
  iso, ms, partsIn, timeIn, zoned,
} from './time.js';
import {
  byId, empty, facts, fmtInt, fmtMoney, fmtWh, h, problemBox, show, table,
} from './ui.js';

const state = { context: null, info: null, names: new Map() };
const pad = (n) => String(n).padStart(2, '0');

function toInput(instant, tz) {
  const p = partsIn(instant, tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}
function fromInput(value, tz) {
  const [date, time] = value.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  return zoned(y, m, d, tz, hh, mm);
}
const name = (party) => state.names.get(party) || party;

function pricesFacts(price) {
  const unit = `${price.currency}/kWh`;
  return facts([
    ['Timeframe', `${timeIn(ms(price.timeframe.start), state.info.tz)} – ${timeIn(ms(price.timeframe.end), state.info.tz)} (${price.status})`],
    ['Mechanism', h('span', { id: 'mechanism' }, price.mechanism)],
    ['Local price (buy / sell)', `${price.price} / ${price.sell_price} ${unit}`],
    ['Import / feed-in price', `${price.import_price} / ${price.feed_in_price} ${unit}`],
    ['Production / demand', `${fmtWh(price.total_production_wh)} / ${fmtWh(price.total_demand_wh)}`],
    ['Surplus S / deficit D', `${fmtWh(price.surplus_wh)} / ${fmtWh(price.deficit_wh)}`],
  ], 'Mechanism and prices');
}

function tradesTable(trades, sums, currency) {
  const rows = trades.map((t) => [String(t.line), t.kind, name(t.seller), name(t.buyer),
    fmtInt(t.energy_wh), t.unit_price, fmtMoney(t.amount_minor, currency)]);
  const columns = [{ label: 'Line' }, { label: 'Kind' }, { label: 'Seller' }, { label: 'Buyer' },
    { label: 'Energy (Wh)', num: true }, { label: `Unit price (${currency}/kWh)`, num: true },
    { label: 'Amount', num: true }];
  const footer = [['Sum', '', '', '', fmtInt(sums.energy_wh), '', fmtMoney(sums.amount_minor, currency)]];
  return table(`${fmtInt(trades.length)} trades`, columns, rows, footer);
}

function netsTable(snapshot) {
  const rows = snapshot.lines.map((l) => [name(l.prosumer_id), fmtInt(l.produced_wh),
    fmtInt(l.consumed_wh), fmtInt(l.net_wh), l.missing ? 'missing (counted 0)' : '']);
  const t = snapshot.totals;
  const footer = [['Grid', fmtInt(t.production_wh), fmtInt(t.consumption_wh), fmtInt(t.net_wh), `${fmtInt(snapshot.missing.length)} missing`]];
  return table(`Each prosumer's net (${fmtInt(snapshot.lines.length)} prosumers)`,
    [{ label: 'Prosumer' }, { label: 'Produced (Wh)', num: true }, { label: 'Consumed (Wh)', num: true },
      { label: 'Net (Wh)', num: true }, { label: 'Reading' }], rows, footer);
}

async function drawTrades(gridId, start, end, currency) {
  const { items, answers } = await apiAll(`/grids/${gridId}/transactions`,
    { from: iso(start), to: iso(end) }, (d) => d.transactions);
  const sums = answers.reduce((acc, a) => ({
    energy_wh: acc.energy_wh + a.data.page_sums.energy_wh,
    amount_minor: acc.amount_minor + a.data.page_sums.amount_minor,
  }), { energy_wh: 0, amount_minor: 0 });
  items.sort((a, b) => a.line - b.line);
  show(byId('trades'), items.length ? tradesTable(items, sums, currency) : empty('No trades in this timeframe.'));
}

async function drawTimeframe() {
  const { gridId } = state.context;
  const start = fromInput(byId('timeframe').value, state.info.tz);
  const end = start + state.info.minutes * 60000;
  const section = (id, work) => work.catch((err) => show(byId(id), problemBox(err)));
  await Promise.all([
    section('prices', api(`/grids/${gridId}/price`, { query: { at: iso(start) } })
      .then(({ data }) => show(byId('prices'), pricesFacts(data)))),
    section('nets', api(`/grids/${gridId}/timeframes/${iso(start)}`)
      .then(({ data }) => show(byId('nets'), netsTable(data)))),
    section('trades', drawTrades(gridId, start, end, state.info.now.currency)),
  ]);
}

async function load(context) {
  state.context = context;
  for (const id of ['prices', 'trades', 'nets']) show(byId(id));
  if (!context?.gridId) {
    show(byId('problem'), empty(context ? 'Choose a grid above.' : 'Paste an API key above.'));
    return;
  }
  try {
    show(byId('problem'));
    state.info = await gridInfo(context.gridId, context.role);
    state.names = await prosumerNames(context.gridId, context.role);
    const input = byId('timeframe');
    const asked = new URLSearchParams(window.location.search).get('start');
    if (!input.value) {
      const latest = asked ? ms(asked) : await latestClosed(context.gridId);
      input.value = toInput(latest ?? ms(state.info.now.timeframe.start), state.info.tz);
    }
    await drawTimeframe();
  } catch (err) {
    show(byId('problem'), problemBox(err));
  }
}

function step(direction) {
  const input = byId('timeframe');
  if (!input.value || !state.info) return;
  const start = fromInput(input.value, state.info.tz) + direction * state.info.minutes * 60000;
  input.value = toInput(start, state.info.tz);
  drawTimeframe();
}

byId('timeframe-form').addEventListener('submit', (event) => { event.preventDefault(); drawTimeframe(); });
byId('prev').addEventListener('click', () => step(-1));
byId('next').addEventListener('click', () => step(1));
byId('latest').addEventListener('click', () => { byId('timeframe').value = ''; load(state.context); });
mountShell('market', load);
