// The range controls (a day, a week or a month holding a date) shared by the pages with charts.
import { byId } from './ui.js';
import { rangeOf, stepAnchor } from './time.js';

/** Wire #range-kind, #range-date, #prev, #next and #latest; `onChange()` on every change. */
export function wireRange(onChange) {
  const kind = byId('range-kind');
  const date = byId('range-date');
  byId('range').addEventListener('submit', (event) => { event.preventDefault(); onChange(); });
  kind.addEventListener('change', onChange);
  date.addEventListener('change', onChange);
  for (const [id, step] of [['prev', -1], ['next', 1]]) {
    byId(id).addEventListener('click', () => {
      if (!date.value) return;
      date.value = stepAnchor(kind.value, date.value, step);
      onChange();
    });
  }
  byId('latest').addEventListener('click', () => { date.value = ''; onChange(); });
  const params = new URLSearchParams(window.location.search);
  if (params.get('range')) kind.value = params.get('range');
  if (params.get('date')) date.value = params.get('date');
}

/** [from, to) in ms for the controls, the date defaulting to `fallback()` (a YYYY-MM-DD). */
export async function chosenRange(tz, fallback) {
  const date = byId('range-date');
  if (!date.value) date.value = await fallback();
  return rangeOf(byId('range-kind').value, date.value, tz);
}
