// Live updates: poll the event feed (GET /api/v1/events) from the newest event on.
import { api, Problem } from './api.js';

/** The poll interval: `?every=MS` on the page (at least 500 ms), else 5 s. */
export function pollEvery() {
  const asked = Number(new URLSearchParams(window.location.search).get('every'));
  return asked >= 500 ? asked : 5000;
}

/**
 * Follow a grid's events: onEvents(list) for each new batch, onTick() after every poll,
 * onStatus(text, ok) to tell the user. Returns {stop}.
 */
export function followEvents({ gridId, onEvents, onTick, onStatus, every = pollEvery() }) {
  let cursor = null;
  let timer = null;
  let stopped = false;
  const query = () => ({ grid_id: gridId, after: cursor, limit: 100 });

  async function poll() {
    const { data, headers } = await api('/events', { query: query() });
    if (data.length) {
      await onEvents(data);  // the cursor moves on only once they are shown
      cursor = headers.get('X-Next-Cursor') || cursor;
    }
    if (data.length === 100) return poll();
    return null;
  }
  async function tick() {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await poll();
        await onTick?.();
        onStatus(`Live: following the event feed, last checked ${new Date().toLocaleTimeString()}.`, true);
      } catch (err) {
        const refused = err instanceof Problem && [401, 403].includes(err.status);
        onStatus(`Live updates stopped: ${err.status || ''} ${err.title || err.message}. ${err.detail || ''}`, false);
        if (refused) return;
      }
    }
    if (!stopped) timer = setTimeout(tick, every);
  }
  async function start() {
    try {
      const { headers } = await api('/events', { query: { grid_id: gridId, limit: 1 } });
      if (stopped) return;
      cursor = headers.get('X-Newest-Cursor') || null;
      timer = setTimeout(tick, every);
      onStatus('Live: following the event feed.', true);
    } catch (err) {
      onStatus(`No live updates: ${err.status || ''} ${err.title || err.message}. ${err.detail || ''}`, false);
    }
  }
  start();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
