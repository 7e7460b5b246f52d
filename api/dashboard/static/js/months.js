// Which months of a grid were settled: the `settlement.posted` and `settlement.failed` events.
import { api } from './api.js';

const TYPES = ['settlement.posted', 'settlement.failed'];

/** [{month, type}] newest month first (a month's latest event wins). */
export async function settledMonths(gridId) {
  const latest = new Map();
  let after = null;
  for (;;) {
    const { data, headers } = await api('/events', {
      query: { grid_id: gridId, type: TYPES, after, limit: 1000 },
    });
    for (const event of data) latest.set(event.data.month, event.type);
    after = headers.get('X-Next-Cursor');
    if (data.length < 1000 || !after) break;
  }
  return [...latest].map(([month, type]) => ({ month, type })).sort((a, b) => b.month.localeCompare(a.month));
}
