// Time-series charts (uPlot): lines or stacked areas, a second axis for a second unit,
// shaded bands for intervals (peaks), and a caption a screen reader can read.
import uPlot from '../vendor/uPlot.esm.js';
import { empty, fmtInt, h, show } from './ui.js';
import { timeIn } from './time.js';

// dark enough on white for text and lines (contrast 4.5:1 or more), told apart by dash too
const COLORS = ['#1f5fa8', '#b3261e', '#2e7031', '#6a3d9a', '#8a5a00', '#00696f'];
const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3]];
const charts = new WeakMap();

function bandsPlugin(bands) {
  return {
    hooks: {
      drawClear: (u) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        for (const band of bands) {
          const left = u.valToPos(band.from, 'x', true);
          const right = u.valToPos(band.to, 'x', true);
          ctx.fillStyle = band.fill || 'rgba(179, 38, 30, 0.15)';
          ctx.fillRect(left, top, Math.max(right - left, 2), height);
        }
        ctx.restore();
      },
    },
  };
}

function seriesOptions(series, stacked) {
  return series.map((one, i) => ({
    label: `${one.label} (${one.unit})`,
    scale: one.unit,
    stroke: one.color || COLORS[i % COLORS.length],
    dash: DASHES[i % DASHES.length],
    width: 1.5,
    fill: stacked ? `${one.color || COLORS[i % COLORS.length]}55` : undefined,
    value: (u, v, si, idx) => (idx === null || idx === undefined ? '–' : (one.format || fmtInt)(one.values[idx] ?? 0)),
    points: { show: false },
    spanGaps: false,
  }));
}

function axesOptions(units) {
  const axes = [{ stroke: '#333', grid: { stroke: '#e4e4e4' } }];
  units.forEach((unit, i) => axes.push({
    scale: unit, label: unit, side: i === 0 ? 3 : 1, stroke: '#333',
    grid: { show: i === 0, stroke: '#e4e4e4' }, size: 70,
  }));
  return axes;
}

function stackedData(series) {
  const sums = [];
  return series.map((one) => one.values.map((v, i) => {
    sums[i] = (sums[i] || 0) + (v || 0);
    return sums[i];
  }));
}

function caption(title, x, series, tz) {
  if (!x.length) return `${title}: no data in this range.`;
  const span = `${timeIn(x[0] * 1000, tz)} to ${timeIn(x[x.length - 1] * 1000, tz)}`;
  const sums = series.map((one) => {
    const total = one.values.reduce((sum, v) => sum + (v || 0), 0);
    return `${one.label} total ${fmtInt(total)} ${one.sumUnit || one.unit}`;
  });
  return `${title}: ${fmtInt(x.length)} timeframes, ${span}. ${sums.join('; ')}.`;
}

/**
 * Draw (or redraw) a chart into `figure`: x in seconds, series [{label, unit, values}].
 * The figure's data-points tells how many timeframes it shows.
 */
export function timeChart(figure, { title, x, series, tz, bands = [], stacked = false, height = 240, sums = true }) {
  const old = charts.get(figure);
  if (old) {
    old.observer.disconnect();
    old.chart.destroy();
    charts.delete(figure);
  }
  figure.dataset.points = String(x.length);
  const plot = h('div', { class: 'plot' });
  const text = sums ? caption(title, x, series, tz) : `${title}: ${fmtInt(x.length)} timeframes.`;
  show(figure, h('figcaption', {}, h('span', { class: 'chart-title' }, title), h('span', { class: 'sr-only' }, text)), plot);
  if (!x.length) {
    plot.append(empty('No closed timeframes in this range.'));
    return null;
  }
  const units = [...new Set(series.map((one) => one.unit))];
  const values = stacked ? stackedData(series) : series.map((one) => one.values);
  const opts = {
    width: Math.max(figure.clientWidth - 8, 300),
    height,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), tz),
    scales: { x: { time: true } },
    series: [{ label: 'Time' }, ...seriesOptions(series, stacked)],
    axes: axesOptions(units),
    bands: stacked ? series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] })) : [],
    plugins: bands.length ? [bandsPlugin(bands)] : [],
    cursor: { focus: { prox: 16 } },
  };
  const chart = new uPlot(opts, [x, ...values], plot);
  plot.setAttribute('aria-hidden', 'true');  // the caption above tells the same
  const observer = new ResizeObserver(() => {
    const width = Math.max(figure.clientWidth - 8, 300);
    if (figure.clientWidth > 0 && width !== chart.width) chart.setSize({ width, height });
  });
  observer.observe(figure);
  charts.set(figure, { chart, observer });
  return chart;
}
