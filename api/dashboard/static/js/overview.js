// The grid overview: counts, the current timeframe, charts per timeframe, live updates.
import { timeChart } from './charts.js';
import { drawCommunities } from './communities.js';
import {
  countsOf, currentTimeframe, gridInfo, latestClosed, openTimeframes, seriesOf, snapshotsOf,
} from './grid-data.js';
import { followEvents } from './live.js';
import { chosenRange, wireRange } from './range.js';
import { mountShell } from './shell.js';
import { dateIn, ms, timeIn } from './time.js';
import {
  byId, empty, facts, fmtInt, fmtWh, h, problemBox, show,
} from './ui.js';

const state = {
  context: null, info: null, snapshots: [], range: null, live: null, asked: 0, loads: 0,
};

function clearPage(message) {
  state.live?.stop();
  for (const id of ['counts', 'now', 'live']) show(byId(id));
  for (const id of ['energy-chart', 'price-chart']) show(byId(id));
  for (const id of ['plant-chart', 'carbon-chart', 'communities']) byId(id).hidden = true;
  show(byId('problem'), message);
}

function drawCharts() {
  const { info, snapshots } = state;
  const began = performance.now();
  const series = seriesOf(snapshots, info.now);
  const { tz } = info;
  timeChart(byId('energy-chart'), { title: 'Energy per timeframe', x: series.x, series: series.energy, tz });
  timeChart(byId('price-chart'), {
    title: `Local price (${info.now.mechanism})`, x: series.x, series: series.price, tz, sums: false,
  });
  for (const [id, list, title] of [['plant-chart', series.plant, 'Plant output and unserved energy'],
    ['carbon-chart', series.carbon, 'Plant carbon']]) {
    byId(id).hidden = !list;
    if (list) timeChart(byId(id), { title, x: series.x, series: list, tz });
  }
  return began;
}

/** Charts drawn: record how long after the data arrived (a performance measure, on the page). */
function recordRenderTime(began) {
  requestAnimationFrame(() => {
    const took = performance.now() - began;
    performance.measure('overview-render', { start: began, duration: took });
    const main = byId('main');
    main.dataset.renderMs = took.toFixed(1);
    main.dataset.dataMs = (began - state.asked).toFixed(1);  // from asking to the data arriving
    main.dataset.points = String(state.snapshots.length);
    show(byId('render-time'), `Charts drawn ${took.toFixed(0)} ms after the data arrived `
      + `(${fmtInt(state.snapshots.length)} points per series).`);
  });
}

function drawCounts(counts) {
  const { info, snapshots, range } = state;
  const open = openTimeframes(range[0], range[1], info.minutes, snapshots.length, ms(info.now.timeframe.start));
  show(byId('counts'), facts([
    ['Prosumers', counts.prosumers === null ? 'not visible to this key' : fmtInt(counts.prosumers)],
    ['Closed timeframes', fmtInt(snapshots.length)],
    ['Open timeframes (ended, not closed)', h('span', { id: 'open-count' }, fmtInt(open))],
    ['Missing readings (closed timeframes)', fmtInt(counts.missing)],
  ], 'Counts for the range'));
}

function drawNow() {
  const { now } = state.info;
  const { tz } = state.info;
  show(byId('now'), facts([
    ['Timeframe', `${timeIn(ms(now.timeframe.start), tz)} – ${timeIn(ms(now.timeframe.end), tz)}`],
    ['Status', now.status],
    ['Readings', `${fmtInt(now.readings)} (${fmtInt(now.missing_readings)} missing)`],
    ['Production / demand', `${fmtWh(now.total_production_wh)} / ${fmtWh(now.total_demand_wh)}`],
    ['Price', `${now.price} ${now.currency}/kWh (sell ${now.sell_price})`],
    ['Import / feed-in price', `${now.import_price} / ${now.feed_in_price} ${now.currency}/kWh`],
  ], 'The current timeframe'));
}

async function latestDate(tz) {
  const latest = await latestClosed(state.context.gridId);
  return dateIn(latest ?? Date.now(), tz);
}

async function load() {
  state.live?.stop();
  const { context } = state;
  if (!context?.gridId) {
    clearPage(empty(context ? 'Choose a grid above.' : 'Paste an API key above to see the grid.'));
    return;
  }
  show(byId('problem'), h('p', { class: 'loading' }, 'Loading…'));
  state.asked = performance.now();
  const ticket = ++state.loads;  // a later load (another range, key or grid) wins
  try {
    const info = await gridInfo(context.gridId, context.role);
    const range = await chosenRange(info.tz, () => latestDate(info.tz));
    const [from, to] = range;
    const [snapshots, counts] = await Promise.all([
      snapshotsOf(context.gridId, from, to), countsOf(context.gridId, from, to, context.role),
    ]);
    if (ticket !== state.loads) return;
    Object.assign(state, { info, range, snapshots });
    show(byId('problem'));
    recordRenderTime(drawCharts());
    drawCounts(counts);
    drawNow();
    startLive();
    await drawCommunities(byId('communities'), byId('community-charts'), context.gridId, from, to, info.tz)
      .catch((err) => {
        byId('communities').hidden = false;
        show(byId('community-charts'), problemBox(err));
      });
  } catch (err) {
    if (ticket === state.loads) clearPage(problemBox(err));
  }
}

async function onEvents(events) {
  const [from, to] = state.range;
  const closed = events.filter((e) => e.type === 'timeframe.closed'
    && ms(e.data.start) >= from && ms(e.data.start) < to);
  if (!closed.length) return;
  const starts = closed.map((e) => ms(e.data.start));
  const last = Math.max(...starts) + state.info.minutes * 60000;
  const fresh = await snapshotsOf(state.context.gridId, Math.min(...starts), last);
  const byStart = new Map(state.snapshots.map((s) => [s.start, s]));
  for (const snapshot of fresh) byStart.set(snapshot.start, snapshot);
  state.snapshots = [...byStart.values()].sort((a, b) => ms(a.start) - ms(b.start));
  recordRenderTime(drawCharts());
  drawCounts(await countsOf(state.context.gridId, from, to, state.context.role));
}

async function onTick() {
  state.info.now = await currentTimeframe(state.context.gridId);
  drawNow();
}

function startLive() {
  state.live = followEvents({
    gridId: state.context.gridId,
    onEvents,
    onTick,
    onStatus: (text, ok) => show(byId('live'), h('span', { class: ok ? 'ok' : 'warn' }, text)),
  });
}

wireRange(load);
mountShell('overview', (context) => {
  state.context = context;
  load();
});
