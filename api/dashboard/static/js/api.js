// The API client of the dashboard: one fetch wrapper, paging, and problems as errors.
import { getKey } from './store.js';

export const API = '/api/v1';
const MAX_PAGE = 1000;

/** An RFC 9457 problem (or a network failure, status 0) with its title and detail. */
export class Problem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.title = body.title || (status ? `HTTP ${status}` : 'No answer');
    this.detail = body.detail || '';
    this.body = body;
  }
}

function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(name, one);
  }
  const text = params.toString();
  return `${API}${path}${text ? `?${text}` : ''}`;
}

async function problemOf(response) {
  try {
    return new Problem(response.status, await response.json());
  } catch {
    return new Problem(response.status, { title: response.statusText });
  }
}

/** One request with the pasted key: {data, headers, status}; a Problem when not 2xx. */
export async function api(path, { method = 'GET', query, body } = {}) {
  const key = getKey();
  if (!key) throw new Problem(0, { title: 'No API key', detail: 'Paste an API key above.' });
  const headers = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url(path, query), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new Problem(0, { title: 'No answer', detail: `the API did not answer: ${err.message}` });
  }
  if (!response.ok) throw await problemOf(response);
  const data = response.status === 204 ? null : await response.json();
  return { data, headers: response.headers, status: response.status };
}

/** Every item of a paged list (X-Total-Count), the remaining pages fetched in parallel. */
export async function apiAll(path, query = {}, pick = (data) => data) {
  const first = await api(path, { query: { ...query, page: 1, page_size: MAX_PAGE } });
  const total = Number(first.headers.get('X-Total-Count') || 0);
  const pages = Math.ceil(total / MAX_PAGE);
  const rest = [];
  for (let page = 2; page <= pages; page += 1) {
    rest.push(api(path, { query: { ...query, page, page_size: MAX_PAGE } }));
  }
  const answers = [first, ...(await Promise.all(rest))];
  return { items: answers.flatMap((a) => pick(a.data)), answers, total };
}

/** How many items a paged list holds, from one item's request. */
export async function countOf(path, query = {}) {
  const { headers } = await api(path, { query: { ...query, page_size: 1 } });
  return Number(headers.get('X-Total-Count') || 0);
}

/** Every item of a paged list the API may not have: null when it answers 404. */
export async function optionalAll(path, query, pick) {
  try {
    return (await apiAll(path, query, pick)).items;
  } catch (err) {
    if (err instanceof Problem && err.status === 404) return null;
    throw err;
  }
}
