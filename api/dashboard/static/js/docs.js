// Which operations the API documents (its /openapi.json), so optional features are only asked
// for where they exist: no request that is bound to answer 404.
let spec = null;
const shape = (path) => path.replace(/\{[^}]+\}/g, '{}');  // parameter names do not matter

async function paths() {
  if (!spec) {
    spec = fetch('/openapi.json')
      .then((r) => (r.ok ? r.json() : { paths: {} }))
      .then((doc) => Object.fromEntries(Object.entries(doc.paths || {}).map(([p, ops]) => [shape(p), ops])))
      .catch(() => ({}));
  }
  return spec;
}

/** True when the API documents `method` on `path` (a template such as /api/v1/grids/{grid_id}). */
export async function documented(path, method = 'get') {
  const ops = (await paths())[shape(path)];
  return Boolean(ops && ops[method]);
}
