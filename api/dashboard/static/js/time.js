// Time in the grid's zone: day, week and month ranges, and instants as the API writes them.
const formatters = new Map();

function formatter(tz) {
  if (!formatters.has(tz)) {
    formatters.set(tz, new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }));
  }
  return formatters.get(tz);
}

/** The wall-clock fields of an instant (ms since the epoch) in `tz`. */
export function partsIn(ms, tz) {
  const parts = {};
  for (const { type, value } of formatter(tz).formatToParts(new Date(ms))) parts[type] = Number(value);
  return parts;
}

function offsetMs(ms, tz) {
  const p = partsIn(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - (ms % 1000));
}

/** The instant of a wall-clock time in `tz` (the later one in a gap, as most libraries do). */
export function zoned(year, month, day, tz, hour = 0, minute = 0) {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetMs(guess, tz);
  const second = guess - offsetMs(first, tz);
  return second;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** An instant as the API wants it: RFC 3339 with seconds and Z. */
export const iso = (ms) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
export const ms = (text) => Date.parse(text);

export function dateIn(instant, tz) {
  const p = partsIn(instant, tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}
export const monthIn = (instant, tz) => dateIn(instant, tz).slice(0, 7);
export function timeIn(instant, tz) {
  const p = partsIn(instant, tz);
  return `${dateIn(instant, tz)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** [from, to) of the day, week (Monday first) or month holding the date `anchor` (YYYY-MM-DD). */
export function rangeOf(kind, anchor, tz) {
  const [y, m, d] = anchor.split('-').map(Number);
  if (kind === 'month') return [zoned(y, m, 1, tz), zoned(y, m + 1, 1, tz)];
  if (kind === 'week') {
    const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
    return [zoned(y, m, d - weekday, tz), zoned(y, m, d - weekday + 7, tz)];
  }
  return [zoned(y, m, d, tz), zoned(y, m, d + 1, tz)];
}

/** The anchor date one range earlier (-1) or later (+1). */
export function stepAnchor(kind, anchor, direction) {
  const [y, m, d] = anchor.split('-').map(Number);
  const date = kind === 'month' ? new Date(Date.UTC(y, m - 1 + direction, 1))
    : new Date(Date.UTC(y, m - 1, d + direction * (kind === 'week' ? 7 : 1)));
  return date.toISOString().slice(0, 10);
}

/** The start of the timeframe holding `instant` (timeframes are aligned in UTC). */
export function timeframeStart(instant, minutes) {
  const size = minutes * 60000;
  return Math.floor(instant / size) * size;
}

/** `YYYY-MM` one month before or after. */
export function stepMonth(month, direction) {
  const [y, m] = month.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1 + direction, 1));
  return date.toISOString().slice(0, 7);
}
