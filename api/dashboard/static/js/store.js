// What the dashboard remembers: the key for this browser session only, settings longer.
const KEY = 'minigrid.key';
const session = window.sessionStorage;
const local = window.localStorage;

export const getKey = () => session.getItem(KEY) || '';
export const setKey = (key) => session.setItem(KEY, key.trim());
export const forgetKey = () => {
  session.removeItem(KEY);
  session.removeItem('minigrid.grid');
};

/** A per-session choice (grid, prosumer), overridden by the page's query string. */
export function choice(name) {
  const fromUrl = new URLSearchParams(window.location.search).get(name);
  if (fromUrl) session.setItem(`minigrid.${name}`, fromUrl);
  return fromUrl || session.getItem(`minigrid.${name}`) || '';
}
export const choose = (name, value) => session.setItem(`minigrid.${name}`, value);

/** A setting kept across sessions (the chain node's URL, an explorer), never a secret. */
export const setting = (name, fallback) => local.getItem(`minigrid.${name}`) || fallback;
export const setSetting = (name, value) => local.setItem(`minigrid.${name}`, value.trim());
