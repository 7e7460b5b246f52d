// Per-community autarky charts with their peaks as shaded bands (when the API has communities).
import { timeChart } from './charts.js';
import { communitiesOf, communityRange } from './grid-data.js';
import { h, show } from './ui.js';
import { ms } from './time.js';

const MAX_SHOWN = 12;
const first = (item, names) => names.map((n) => item[n]).find((v) => v !== undefined && v !== null);

/** Production, consumption and balance (W) of an autarky series; the API's names, tolerantly. */
export function autarkySeries(items) {
  const x = items.map((i) => ms(i.start ?? i.timeframe?.start) / 1000);
  const production = items.map((i) => first(i, ['production_w', 'produced_w']) ?? null);
  const consumption = items.map((i) => first(i, ['consumption_w', 'consumed_w']) ?? null);
  const balance = items.map((i, n) => first(i, ['autarky_w', 'net_w', 'balance_w'])
    ?? (production[n] !== null && consumption[n] !== null ? production[n] - consumption[n] : null));
  const series = [{ label: 'Balance', unit: 'W', values: balance }];
  if (production.some((v) => v !== null)) series.push({ label: 'Production', unit: 'W', values: production });
  if (consumption.some((v) => v !== null)) series.push({ label: 'Consumption', unit: 'W', values: consumption });
  return { x, series };
}

/** Peaks as [from, to) bands in seconds; an ongoing peak runs to `until`. */
export function peakBands(peaks, until) {
  return peaks.map((p) => ({
    from: ms(p.start ?? p.started_at) / 1000,
    to: (p.end ?? p.ended_at ? ms(p.end ?? p.ended_at) : until) / 1000,
  }));
}

/** Draw each community's chart into `section`; hide it when the API has no communities. */
export async function drawCommunities(section, holder, gridId, from, to, tz) {
  const communities = await communitiesOf(gridId);
  section.hidden = !communities || communities.length === 0;
  if (section.hidden) return;
  const shown = communities.slice(0, MAX_SHOWN);
  const ranges = await Promise.all(shown.map((c) => communityRange(c.id, from, to)));
  show(holder);
  shown.forEach((community, i) => {
    const { autarky, peaks } = ranges[i];
    if (autarky === null) return;
    const figure = h('figure', { class: 'chart', id: `community-${community.id}` });
    holder.append(figure);
    const { x, series } = autarkySeries(autarky);
    const bands = peakBands(peaks, Math.min(to, Date.now()));
    const title = `${community.name}: autarky (balance ≥ 0 W is autarkic), ${bands.length} peak(s) shaded`;
    timeChart(figure, { title, x, series, tz, bands, sums: false });
  });
}
