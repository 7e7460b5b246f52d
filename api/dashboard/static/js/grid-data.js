// What the overview reads from the API for a grid and a range, and the series it draws.
import {
  api, apiAll, countOf, optionalAll,
} from './api.js';
import { documented } from './docs.js';
import { localPrice } from './price.js';
import { iso, ms } from './time.js';

const DAY_MS = 86400000;

/** The timeframe holding now, its readings so far and its price (/price). */
export async function currentTimeframe(gridId) {
  return (await api(`/grids/${gridId}/price`, { query: { at: iso(Date.now()) } })).data;
}

/** The grid (admin and operator keys), its zone, and the timeframe holding now. */
export async function gridInfo(gridId, role) {
  const [grid, now] = await Promise.all([
    role === 'grid' ? api(`/grids/${gridId}`).then((r) => r.data) : null,
    currentTimeframe(gridId),
  ]);
  const minutes = (ms(now.timeframe.end) - ms(now.timeframe.start)) / 60000;
  return { grid, now, minutes, tz: grid?.timezone || 'UTC', currency: now.currency };
}

/** Prosumer names by id (grid keys list them; other keys see ids only). */
export async function prosumerNames(gridId, role) {
  if (role !== 'grid') return new Map();
  const { items } = await apiAll(`/grids/${gridId}/prosumers`);
  return new Map(items.map((p) => [p.id, p.name]));
}

/** The start (ms) of the newest closed timeframe of the last 400 days, or null. */
export async function latestClosed(gridId) {
  const range = { from: iso(Date.now() - 399 * DAY_MS), to: iso(Date.now()) };
  const total = await countOf(`/grids/${gridId}/snapshots`, range);
  if (!total) return null;
  const { data } = await api(`/grids/${gridId}/snapshots`, { query: { ...range, page: total, page_size: 1 } });
  return data.length ? ms(data[0].start) : null;
}

/** Snapshots of [from, to), oldest first. */
export async function snapshotsOf(gridId, from, to) {
  return (await apiAll(`/grids/${gridId}/snapshots`, { from: iso(from), to: iso(to) })).items;
}

/** Counts for the range: prosumers (grid keys), readings missing from closed timeframes. */
export async function countsOf(gridId, from, to, role) {
  const [prosumers, netto] = await Promise.all([
    role === 'grid' ? countOf(`/grids/${gridId}/prosumers`) : null,
    apiAll(`/grids/${gridId}/netto`, { from: iso(from), to: iso(to) }, (d) => d.prosumers),
  ]);
  const missing = netto.items.reduce((sum, p) => sum + p.missing, 0);
  return { prosumers, missing };
}

/** How many timeframes of [from, to) have ended and are not closed. */
export function openTimeframes(from, to, minutes, closed, nowStart) {
  const ended = Math.max(0, (Math.min(to, nowStart) - from) / (minutes * 60000));
  return Math.max(0, Math.floor(ended) - closed);
}

/** Chart series from snapshots: x in seconds, energy, price, and plant when snapshots have it. */
export function seriesOf(snapshots, prices) {
  const x = snapshots.map((s) => ms(s.start) / 1000);
  const col = (pick) => snapshots.map(pick);
  const energy = [
    { label: 'Production', unit: 'Wh', values: col((s) => s.totals.production_wh) },
    { label: 'Consumption', unit: 'Wh', values: col((s) => s.totals.consumption_wh) },
    { label: 'Import', unit: 'Wh', values: col((s) => s.totals.import_wh) },
    { label: 'Export', unit: 'Wh', values: col((s) => s.totals.export_wh) },
  ];
  const local = snapshots.map((s) => localPrice(
    prices.mechanism, prices.import_price, prices.feed_in_price, s.totals.surplus_wh, s.totals.deficit_wh,
  ));
  const unit = `${prices.currency}/kWh`;
  const format = (v) => v.toFixed(4);
  const price = [{ label: 'Buy', unit, format, values: local.map((p) => p.buy) }];
  if (prices.mechanism === 'bill_sharing') price.push({ label: 'Sell', unit, format, values: local.map((p) => p.sell) });
  return { x, energy, price, ...plantSeries(snapshots) };
}

/** Plant output, unserved energy and carbon, when the snapshots carry a `plant` object. */
function plantSeries(snapshots) {
  if (!snapshots.some((s) => s.plant)) return { plant: null, carbon: null };
  const col = (name) => snapshots.map((s) => s.plant?.[name] ?? null);
  const plant = [
    { label: 'Plant delivered', unit: 'Wh', values: col('delivered_wh') },
    { label: 'Unserved', unit: 'Wh', values: col('unserved_wh') },
  ];
  const carbon = [{ label: 'Carbon', unit: 'g', values: col('carbon_g') }];
  return { plant, carbon };
}

/** The grid's communities, or null when the API has none (not documented, or 404). */
export async function communitiesOf(gridId) {
  if (!(await documented('/api/v1/grids/{grid_id}/communities'))) return null;
  return optionalAll(`/grids/${gridId}/communities`, {}, listIn);
}

/** Autarky points and peaks of one community over [from, to); either may be missing (null). */
export async function communityRange(id, from, to) {
  const query = { from: iso(from), to: iso(to) };
  const read = async (what) => ((await documented(`/api/v1/communities/{community_id}/${what}`))
    ? optionalAll(`/communities/${id}/${what}`, query, listIn) : null);
  const [autarky, peaks] = await Promise.all([read('autarky'), read('peaks')]);
  return { autarky, peaks: peaks || [] };
}

/** A list answer, bare or wrapped in an object ({points: [...]}, {items: [...]}…). */
export function listIn(data) {
  if (Array.isArray(data)) return data;
  const found = Object.values(data || {}).find(Array.isArray);
  return found || [];
}
