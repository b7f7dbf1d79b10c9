// A nearest-neighbour recommender over an item-embedding matrix that every worker reads from shared memory.
//
//   GET /similar?item=ID&k=10  → {item, k, neighbours: [{item, score}]}: the k items with the highest cosine
//                                similarity to ID (itself excluded), best first; 400 for a bad item or k outside 1..100
//   GET /healthz               → {ok: true, pid, generation, items}
//
// The matrix (dataset 'items', f32, rows x dim, rows L2-normalised so a dot product is the cosine) is mapped once by
// the supervisor; `dataset('items').array()` is a zero-copy Float32Array over that mapping in each worker.
'use strict';
const { dataset, generation } = require('prefork');

const NAME = 'items';
const MAX_K = 100;

const meta = dataset(NAME).meta();
if (meta.dtype !== 'f32' || meta.shape.length !== 2) {
  throw new Error(`dataset '${NAME}' must be a 2-D f32 matrix (items x dim), got ${meta.dtype} [${meta.shape.join(', ')}]`);
}
const [ROWS, DIM] = meta.shape;
const M = dataset(NAME).array(undefined, 'f32');

// Per-process scratch, reused by every request (a worker serves one request at a time: the scan is synchronous).
const query = new Float64Array(DIM);
const topScore = new Float64Array(MAX_K);
const topItem = new Int32Array(MAX_K);

/** The (up to) k items most similar to `item`, best first; ties go to the lower item id. */
function similar(item, k) {
  const base = item * DIM;
  for (let j = 0; j < DIM; j++) query[j] = M[base + j];
  let n = 0; // slots filled in topScore/topItem, kept sorted by descending score
  let floor = -Infinity; // the lowest kept score once all k slots are full
  for (let i = 0, off = 0; i < ROWS; i++, off += DIM) {
    let s = 0;
    for (let j = 0; j < DIM; j++) s += query[j] * M[off + j];
    if (s <= floor || i === item) continue;
    let p = n < k ? n++ : k - 1; // append, or overwrite the lowest
    while (p > 0 && topScore[p - 1] < s) {
      topScore[p] = topScore[p - 1];
      topItem[p] = topItem[p - 1];
      p--;
    }
    topScore[p] = s;
    topItem[p] = i;
    if (n === k) floor = topScore[k - 1];
  }
  const neighbours = new Array(n);
  for (let p = 0; p < n; p++) neighbours[p] = { item: topItem[p], score: topScore[p] };
  return neighbours;
}

/** A non-negative decimal integer parameter, or NaN. */
function intParam(value) {
  return value !== null && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

module.exports = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = url.pathname === '/similar' || url.pathname === '/healthz';
  if (!route) return send(res, 404, { error: `no route ${url.pathname}` });
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    return send(res, 405, { error: `${req.method} not allowed; use GET` });
  }
  if (url.pathname === '/healthz') return send(res, 200, { ok: true, pid: process.pid, generation: generation(), items: ROWS });

  const item = intParam(url.searchParams.get('item'));
  if (!(item < ROWS)) {
    return send(res, 400, { error: `item must be an integer in 0..${ROWS - 1}, got ${JSON.stringify(url.searchParams.get('item'))}` });
  }
  const kParam = url.searchParams.get('k');
  const k = kParam === null ? 10 : intParam(kParam);
  if (!(k >= 1 && k <= MAX_K)) {
    return send(res, 400, { error: `k must be an integer in 1..${MAX_K}, got ${JSON.stringify(kParam)}` });
  }
  send(res, 200, { item, k, neighbours: similar(item, k) });
};
