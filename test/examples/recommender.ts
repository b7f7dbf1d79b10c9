// The recommender example (examples/recommender) served by the real CLI: a small generated matrix, two workers,
// answers checked against cosine similarities computed here from the same .npy file.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { cleanEnv, get, getJson, ROOT, startPrefork } from '../helpers/prefork';

const EXAMPLE = path.join(ROOT, 'examples', 'recommender');
const ROWS = 2000;
const DIM = 16;

interface Similar {
  item: number;
  k: number;
  neighbours: { item: number; score: number }[];
}

/** Reads an f32 C-order .npy written by make-data.js (v1 header) without going through prefork's loaders. */
function readNpyF32(file: string): { shape: number[]; data: Float32Array } {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY' || b[6] !== 1) throw new Error(`${file}: not a v1 .npy`);
  const headerLen = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + headerLen);
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False")) throw new Error(`${file}: ${header}`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').filter(s => s.trim()).map(Number);
  const start = 10 + headerLen;
  const copy = new Uint8Array(b.length - start);
  copy.set(b.subarray(start));
  return { shape, data: new Float32Array(copy.buffer) };
}

function cosine(m: Float32Array, dim: number, a: number, b: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < dim; j++) {
    const x = m[a * dim + j] as number;
    const y = m[b * dim + j] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

t.test('recommender: make-data.js writes a valid, deterministic, normalised .npy', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-recommender-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const make = (out: string) =>
    spawnSync(process.execPath, [path.join(EXAMPLE, 'make-data.js'), '--rows', String(ROWS), '--dim', String(DIM), '--out', out], {
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
  const a = path.join(dir, 'a.npy');
  const b = path.join(dir, 'b.npy');
  t.equal(make(a).status, 0);
  t.equal(make(b).status, 0);
  t.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), 'same options, same bytes');
  t.equal((fs.statSync(a).size - ROWS * DIM * 4) % 64, 0, 'the data starts at a multiple of 64 bytes');
  const { shape, data } = readNpyF32(a);
  t.same(shape, [ROWS, DIM]);
  let worst = 0;
  for (let i = 0; i < ROWS; i++) worst = Math.max(worst, Math.abs(cosine(data, DIM, i, i) - 1));
  t.ok(worst < 1e-6, `every row has unit length (worst |cos(x,x) - 1| = ${worst})`);
  const bad = spawnSync(process.execPath, [path.join(EXAMPLE, 'make-data.js'), '--rows', 'abc'], { env: cleanEnv(), encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--rows must be an integer >= 1, got 'abc'/);
});

t.test('recommender: two workers answer /healthz and /similar with the exact top-k cosines', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-recommender-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'items.npy');
  const made = spawnSync(process.execPath, [path.join(EXAMPLE, 'make-data.js'), '--rows', String(ROWS), '--dim', String(DIM), '--out', file], {
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.equal(made.status, 0, made.stderr);
  const { data } = readNpyF32(file);

  const p = await startPrefork(t, ['start', path.join(EXAMPLE, 'app.js'), '--share', `items=${file}`, '--bind', '127.0.0.1:0', '--workers', '2']);

  const pids = new Set<number>();
  for (let i = 0; i < 40 && pids.size < 2; i++) {
    const h = await getJson<{ ok: boolean; pid: number; generation: number; items: number }>(p.port, '/healthz');
    t.same({ ok: h.ok, generation: h.generation, items: h.items }, { ok: true, generation: 1, items: ROWS });
    pids.add(h.pid);
  }
  t.equal(pids.size, 2, 'both workers answer /healthz');
  for (const pid of pids) t.not(pid, p.pid, 'a worker is not the supervisor');

  for (const [item, k] of [[0, 10], [7, 1], [1234, 25], [ROWS - 1, 100]] as const) {
    const r = await getJson<Similar>(p.port, `/similar?item=${item}&k=${k}`);
    t.equal(r.item, item);
    t.equal(r.k, k);
    t.equal(r.neighbours.length, k, `${k} neighbours for item ${item}`);
    const ids = r.neighbours.map(n => n.item);
    t.notOk(ids.includes(item), 'the item itself is excluded');
    t.equal(new Set(ids).size, k, 'no neighbour twice');
    t.ok(r.neighbours.every((n, i) => i === 0 || (r.neighbours[i - 1]?.score ?? NaN) >= n.score), 'sorted by descending score');
    let worst = 0;
    for (const n of r.neighbours) worst = Math.max(worst, Math.abs(n.score - cosine(data, DIM, item, n.item)));
    t.ok(worst < 1e-6, `scores equal the reference cosines (worst difference ${worst})`);
    // the reference top-k: every item left out scores no higher than the last one returned
    const reference = [];
    for (let j = 0; j < ROWS; j++) if (j !== item) reference.push({ item: j, score: cosine(data, DIM, item, j) });
    reference.sort((a, b) => b.score - a.score || a.item - b.item);
    const want = reference.slice(0, k).map(n => n.item);
    t.same(ids, want, `item ${item}: the same top ${k} as the reference, in the same order`);
  }

  const dflt = await getJson<Similar>(p.port, '/similar?item=3');
  t.equal(dflt.k, 10, 'k defaults to 10');
  t.equal(dflt.neighbours.length, 10);

  for (const bad of ['/similar', '/similar?item=', '/similar?item=-1', '/similar?item=abc', `/similar?item=${ROWS}`, '/similar?item=1.5',
    '/similar?item=1&k=0', '/similar?item=1&k=101', '/similar?item=1&k=ten', '/similar?item=1&k=']) {
    const r = await get(p.port, bad);
    t.equal(r.status, 400, `${bad} → 400`);
    t.equal(r.headers['content-type'], 'application/json');
    t.match(JSON.parse(r.body), { error: /must be an integer/ }, `${bad}: a JSON error`);
  }
  for (const missing of ['/', '/similar/', '/items/3', '/healthz/x']) {
    const r = await get(p.port, missing);
    t.equal(r.status, 404, `${missing} → 404`);
    t.match(JSON.parse(r.body), { error: String });
  }
  const post = await get(p.port, '/similar?item=1', { method: 'POST' });
  t.equal(post.status, 405, 'POST → 405');
  t.equal(post.headers.allow, 'GET');
});
