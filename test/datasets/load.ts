// loadDataset end to end: every fixture through a sealed memfd and attachDataset matches the manifest exactly; progress
// is reported; the memfd is sealed against every kind of write; another process sees the same bytes through the fd;
// and a failing load leaves no memfd or source fd open.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DTYPE_SIZE, type AnyTypedArray, type DType } from '../../src/datasets/dtypes';
import { attachDataset, type DatasetHandle } from '../../src/datasets/handle';
import { ARRAY_ALIGN } from '../../src/datasets/layout';
import { loadDataset, type SharedDataset } from '../../src/datasets/load';
import { halfToNumber, sumOf } from '../../src/datasets/numeric';
import { parseShareSpec } from '../../src/datasets/spec';
import { isPreforkError, type PreforkErrorCode } from '../../src/errors';
import { native, SEAL } from '../../src/native';
import { FIXTURES, fixture, manifest, npy, npyDict, numpyDescr, sha256, writeFilledF64Npy, zip, type ManifestArray } from '../helpers/build';
import { cleanEnv, ROOT } from '../helpers/prefork';

/** The manifest's value checks, which helpers/build.ts's ManifestArray leaves out. */
interface Expected extends ManifestArray {
  first?: (number | boolean)[];
  last?: number | boolean;
  sum?: number | null;
}

const fixtureNames = () => Object.keys(manifest()).sort();

/** `prefork inspect`/`--share` argument for a fixture: the raw one is given its manifest dtype. */
const specArg = (name: string) => `${FIXTURES}/${name}${manifest()[name]?.format === 'raw' ? ':f64' : ''}`;

const count = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Element `i` as a number: f16 bits decoded, bigints converted. */
function element(dtype: DType, a: AnyTypedArray, i: number): number {
  const v = a[i];
  if (v === undefined) throw new Error(`element ${i} is outside ${a.length} elements`);
  if (typeof v === 'bigint') return Number(v);
  return dtype === 'f16' && a instanceof Uint16Array ? halfToNumber(v) : v;
}

const asNumber = (v: number | boolean) => (typeof v === 'boolean' ? Number(v) : v);

/** |a - b| within 1e-9 of |b| (with a floor for sums near zero). */
const closeTo = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-3);

/** Fds of this process whose link contains `marker` (memfds read as '/memfd:prefork:NAME (deleted)'). */
function fdsPointingAt(marker: string): string[] {
  const found: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const link = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (link.includes(marker)) found.push(`${fd} -> ${link}`);
    } catch {
      // the fd readdir itself used, already closed
    }
  }
  return found;
}

const MEMFD = 'memfd:prefork:';

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-load-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Loads a fixture and closes it when the test ends. */
async function loadFixture(t: Test, name: string, generation = 0, huge?: boolean): Promise<SharedDataset> {
  const shared = await loadDataset(parseShareSpec(specArg(name)), huge === undefined ? { generation } : { generation, huge });
  t.teardown(() => shared.close());
  return shared;
}

/** Asserts one array of a handle against its manifest entry. */
function checkArray(t: Test, d: DatasetHandle, file: string, key: string, want: Expected): void {
  const at = `${file}/${key}`;
  const m = d.meta(key);
  const a = d.array(key);
  t.equal(m.dtype, numpyDescr(want.dtype).dtype, `${at}: dtype ${want.dtype}`);
  t.same(m.shape, want.shape, `${at}: shape`);
  t.equal(count(m.shape), want.count, `${at}: element count`);
  t.equal(a.length, want.count, `${at}: typed array length`);
  t.equal(m.byteLength, want.count * DTYPE_SIZE[m.dtype], `${at}: byteLength`);
  t.equal(a.byteOffset % ARRAY_ALIGN, 0, `${at}: byteOffset ${a.byteOffset} is 64-byte aligned`);
  t.equal(a.buffer, d.buffer, `${at}: a view of the dataset's one buffer`);
  t.equal(sha256(d.bytes(key)), want.sha256_le_c, `${at}: sha256 of the little-endian C-order bytes`);
  if (m.dtype === 'i64') t.type(a, BigInt64Array, `${at}: i64 is a BigInt64Array`);
  if (m.dtype === 'f16') t.type(a, Uint16Array, `${at}: f16 is Uint16Array bits on Node 20`);
  const first = want.first ?? [];
  t.same(first.map((_, i) => element(m.dtype, a, i)), first.map(asNumber), `${at}: first values`);
  if (want.last !== undefined) t.equal(element(m.dtype, a, a.length - 1), asNumber(want.last), `${at}: last value`);
  const sum = sumOf(m.dtype, a);
  if (want.count === 0) {
    t.equal(sum, 0, `${at}: an empty array sums to 0`);
    t.ok(want.sum === undefined || want.sum === null || want.sum === 0, `${at}: the manifest has no sum for an empty array`);
  } else {
    const expected = want.sum;
    if (typeof expected !== 'number') throw new Error(`${at}: manifest has no sum`);
    t.ok(closeTo(sum, expected), `${at}: sum ${sum} within 1e-9 of ${expected}`);
  }
}

t.test('every fixture loads into a memfd whose arrays match the manifest exactly', async t => {
  const files = manifest();
  const names = fixtureNames();
  t.equal(names.length, 21, 'all fixtures in the manifest');
  for (const [i, name] of names.entries()) {
    const m = files[name];
    if (m === undefined) throw new Error(name);
    const shared = await loadFixture(t, name, 100 + i);
    t.equal(shared.name, path.parse(name).name, `${name}: dataset named after the file's stem`);
    const d = attachDataset(shared.fd);
    t.equal(d.name, shared.name);
    t.equal(d.generation, 100 + i, `${name}: generation recorded`);
    t.equal(d.format, m.format, `${name}: format`);
    t.same(d.metadata, m.metadata ?? {}, `${name}: metadata`);
    const st = fs.statSync(`${FIXTURES}/${name}`);
    t.same(d.source, { path: path.resolve(FIXTURES, name), size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino }, `${name}: source identity`);
    t.same([...d.keys()].sort(), Object.keys(m.arrays).sort(), `${name}: array keys`);
    for (const [key, want] of Object.entries(m.arrays)) checkArray(t, d, name, key, want as Expected);
  }
});

t.test('both fill paths (sendfile, and the MADV_HUGEPAGE mapping used where shmem THP is allowed) give the same bytes', async t => {
  const files = manifest();
  for (const name of fixtureNames()) {
    for (const huge of [false, true]) {
      const d = attachDataset((await loadFixture(t, name, 1, huge)).fd);
      for (const [key, want] of Object.entries(files[name]?.arrays ?? {})) {
        t.equal(sha256(d.bytes(key)), (want as Expected).sha256_le_c, `${name}/${key} huge=${huge}`);
      }
    }
  }
});

t.test('onProgress: done never decreases and ends at total, the sum of the array bytes', async t => {
  const dir = tempDir(t);
  // Bigger than the 32 MiB copy chunk, as a range (raw) and as a deflate stream (npz), so progress comes in steps.
  const big = 40 << 20;
  fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(big, 7));
  const bigNpy = npy(npyDict('|u1', [big]), Buffer.alloc(big, 0));
  fs.writeFileSync(path.join(dir, 'big.npz'), zip([{ name: 'z.npy', data: bigNpy, method: 8 }, { name: 's.npy', data: npy(npyDict('<f8', [3]), Buffer.alloc(24)) }]).bytes);
  const args = [...fixtureNames().map(specArg), `${dir}/big.bin`, `${dir}/big.npz`];
  for (const arg of args) {
    const calls: [number, number][] = [];
    const shared = await loadDataset(parseShareSpec(arg), { onProgress: (done, total) => calls.push([done, total]) });
    const total = shared.header.arrays.reduce((n, a) => n + a.byteLength, 0);
    shared.close();
    const label = path.basename(arg);
    t.ok(calls.every(([, tot]) => tot === total), `${label}: total is always ${total}`);
    t.ok(calls.every(([done], i) => i === 0 || done >= (calls[i - 1]?.[0] ?? 0)), `${label}: done never decreases`);
    if (total > 0) t.equal(calls.at(-1)?.[0], total, `${label}: the last call has done === total`);
    else t.same(calls, [], `${label}: nothing to copy, no progress calls`);
    if (label.startsWith('big.')) t.ok(calls.length >= 2, `${label}: ${calls.length} calls for ${total} bytes`);
  }
});

t.test('the memfd is sealed: no writable mapping, write or resize; a read-only mapping works', async t => {
  const shared = await loadFixture(t, 'model_aligned.safetensors');
  const { fd, header } = shared;
  const all = SEAL.WRITE | SEAL.SHRINK | SEAL.GROW | SEAL.SEAL;
  t.equal(native().getSeals(fd) & all, all, 'F_SEAL_WRITE | SHRINK | GROW | SEAL');
  t.throws(() => native().map(fd, header.size, true), { code: 'EPERM' }, 'a writable shared mapping is refused');
  t.throws(() => fs.writeSync(fd, Buffer.from([1]), 0, 1, header.size - 1), { code: 'EPERM' }, 'write(2) on the fd');
  const again = fs.openSync(`/proc/self/fd/${fd}`, 'r+');
  try {
    t.throws(() => fs.writeSync(again, Buffer.from([1]), 0, 1, 0), { code: 'EPERM' }, 'write(2) on a fresh read-write open of the memfd');
  } finally {
    fs.closeSync(again);
  }
  t.throws(() => fs.ftruncateSync(fd, header.size + 4096), { code: 'EPERM' }, 'growing');
  t.throws(() => fs.ftruncateSync(fd, 0), { code: 'EPERM' }, 'shrinking');
  t.equal(fs.fstatSync(fd).size, header.size, 'size unchanged');
  const ro = native().map(fd, header.size, false);
  t.equal(ro.byteLength, header.size, 'read-only mapping of the whole memfd');
  const weight = header.arrays.find(a => a.key === 'weight');
  if (weight === undefined) throw new Error('no weight array');
  t.equal(sha256(new Uint8Array(ro, weight.offset, weight.byteLength)), manifest()['model_aligned.safetensors']?.arrays.weight?.sha256_le_c, 'and reads the data');
});

t.test('a dataset named after a 250-byte file stem loads (its memfd label is cut to fit the kernel limit)', async t => {
  const dir = tempDir(t);
  const stem = 'a'.repeat(250);
  fs.writeFileSync(path.join(dir, `${stem}.npy`), fixture('f64_vector.npy'));
  const shared = await loadDataset(parseShareSpec(path.join(dir, `${stem}.npy`)));
  t.teardown(() => shared.close());
  t.equal(shared.name, stem, 'the dataset keeps its full name');
  t.equal(attachDataset(shared.fd).name, stem, 'and so does its header');
  t.equal(sha256(attachDataset(shared.fd).bytes()), manifest()['f64_vector.npy']?.arrays['']?.sha256_le_c, 'bytes');
  t.match(fs.readlinkSync(`/proc/self/fd/${shared.fd}`), /^\/memfd:prefork:a{200,}/, 'memfd label starts with the name');
});

/** Runs `node -e script` with `fds` as its fds 3, 4, …; resolves to its stdout. */
function runChild(script: string, fds: number[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, String(fds.length)], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe', ...fds] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`child exited with ${code ?? signal}: ${err}`));
    });
  });
}

/** What the child reports per fd: its dataset name, whether a writable mapping works, and sha256 per array. */
interface ChildView {
  name: string;
  writable: string;
  arrays: Record<string, string>;
}

const CHILD = `
const { createHash } = require('node:crypto');
const { attachDataset } = require(${JSON.stringify(path.join(ROOT, 'dist', 'datasets', 'handle.js'))});
const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))});
const out = [];
for (let fd = 3; fd < 3 + Number(process.argv[1]); fd++) {
  const d = attachDataset(fd);
  let writable = 'mapped';
  try { native().map(fd, 4096, true); } catch (e) { writable = e.code; }
  const arrays = {};
  for (const k of d.keys()) arrays[k] = createHash('sha256').update(d.bytes(k)).digest('hex');
  out.push({ name: d.name, writable, arrays });
}
process.stdout.write(JSON.stringify(out));
`;

t.test('another process given the fds sees the same bytes, and cannot map them writable either', async t => {
  t.ok(fs.existsSync(path.join(ROOT, 'dist', 'datasets', 'handle.js')), 'dist is built (npm run build)');
  const names = fixtureNames();
  const shared = await Promise.all(names.map(n => loadFixture(t, n)));
  const parent: ChildView[] = shared.map(s => {
    const d = attachDataset(s.fd);
    return { name: d.name, writable: 'EPERM', arrays: Object.fromEntries(d.keys().map(k => [k, sha256(d.bytes(k))])) };
  });
  const child = JSON.parse(await runChild(CHILD, shared.map(s => s.fd))) as ChildView[];
  t.equal(child.length, names.length, 'the child attached every fd');
  t.same(child, parent, 'same names and sha256 per array; EPERM for a writable mapping');
  const fromManifest = names.map(n => Object.values(manifest()[n]?.arrays ?? {}).map(a => a.sha256_le_c).sort());
  t.same(child.map(c => Object.values(c.arrays).sort()), fromManifest, 'and those are the manifest sha256s');
});

/** A zip of one deflated npy whose header says `declared` u8 elements while the stream holds `actual` bytes of data. */
function lyingNpz(declared: number, actual: Buffer): Buffer {
  const header = npy(npyDict('|u1', [declared]));
  const z = zip([{ name: 'x.npy', data: Buffer.concat([header, actual]), method: 8 }]);
  // The zip's sizes then agree with the npy header, so the plan is accepted and only the stream itself disagrees.
  const size = header.length + declared;
  z.bytes.writeUInt32LE(size, (z.local[0] ?? 0) + 22);
  z.bytes.writeUInt32LE(size, (z.central[0] ?? 0) + 24);
  return z.bytes;
}

/** Asserts `p` rejects with a PreforkError `code` whose message contains each of `parts`. */
async function rejectsPrefork(t: Test, p: Promise<unknown>, code: PreforkErrorCode, ...parts: string[]): Promise<void> {
  try {
    await p;
    t.fail(`expected a PreforkError ${code}, got no error`);
  } catch (e) {
    if (!isPreforkError(e)) {
      t.fail(`expected a PreforkError ${code}, got ${String(e)}`);
      return;
    }
    t.equal(e.code, code, `code of: ${e.message}`);
    for (const part of parts) t.match(e.message, part, `message names ${JSON.stringify(part)}`);
  }
}

t.test('a failing load closes the memfd and the source file', async t => {
  const dir = tempDir(t);
  t.same(fdsPointingAt(MEMFD), [], 'no memfd open before');
  // Fails while planning, before shared memory exists.
  const truncated = path.join(dir, 'cut.npy');
  fs.writeFileSync(truncated, fixture('f32_matrix.npy').subarray(0, 1000));
  await rejectsPrefork(t, loadDataset(parseShareSpec(truncated)), 'PREFORK_DATASET_TRUNCATED', `${truncated}: data:`);
  t.same(fdsPointingAt(dir), [], 'the truncated file is closed');
  t.same(fdsPointingAt(MEMFD), [], 'no memfd open');
  // Fails while copying: one 32 MiB chunk is already in the memfd when the stream runs out.
  const data = Buffer.concat([randomBytes(64 << 10), Buffer.alloc(34 << 20)]);
  const short = path.join(dir, 'short.npz');
  fs.writeFileSync(short, lyingNpz(data.length + 4096, data));
  const during: string[][] = [];
  await rejectsPrefork(t, loadDataset(parseShareSpec(short), { onProgress: () => during.push(fdsPointingAt(MEMFD)) }), 'PREFORK_DATASET_TRUNCATED', `${short}: member 'x.npy': inflates to`);
  t.ok(during.length > 0 && during.every(fds => fds.length === 1), `the memfd existed while copying: ${JSON.stringify(during[0])}`);
  t.same(fdsPointingAt(dir), [], 'the archive is closed');
  t.same(fdsPointingAt(MEMFD), [], 'the memfd is closed');
});

t.test('an abandoned load (AbortSignal) stops between chunks and closes its half-filled memfd at once', async t => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.npy');
  writeFilledF64Npy(file, 1, (100 << 20) / 8);
  const abort = new AbortController();
  let calls = 0;
  const during: string[][] = [];
  const load = loadDataset(parseShareSpec(file), {
    signal: abort.signal,
    onProgress: () => {
      calls++;
      during.push(fdsPointingAt(MEMFD));
      abort.abort();
    },
  });
  await t.rejects(load, { name: 'AbortError' }, 'the load rejects with an AbortError');
  t.equal(calls, 1, 'after one 32 MiB chunk of the 100 MiB, not after all of them');
  t.equal(during[0]?.length, 1, 'the memfd existed while copying');
  t.same(fdsPointingAt(MEMFD), [], 'and is closed');
  t.same(fdsPointingAt(dir), [], 'so is the file');
});

t.test('a deflated .npz member that inflates to more or fewer bytes than declared is a PreforkError', async t => {
  const dir = tempDir(t);
  const data = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7) & 0xff));
  const more = path.join(dir, 'more.npz');
  fs.writeFileSync(more, lyingNpz(data.length - 8, data));
  await rejectsPrefork(t, loadDataset(parseShareSpec(more)), 'PREFORK_DATASET_SIZE_MISMATCH', `${more}: member 'x.npy': inflates to more than the 3992 bytes its shape needs`);
  const fewer = path.join(dir, 'fewer.npz');
  fs.writeFileSync(fewer, lyingNpz(data.length + 8, data));
  await rejectsPrefork(t, loadDataset(parseShareSpec(fewer)), 'PREFORK_DATASET_TRUNCATED', `${fewer}: member 'x.npy': inflates to 4000 array bytes, expected 4008`);
  const exact = path.join(dir, 'exact.npz');
  fs.writeFileSync(exact, lyingNpz(data.length, data));
  const ok = await loadDataset(parseShareSpec(exact));
  t.equal(sha256(attachDataset(ok.fd).bytes()), sha256(data), 'the same archive with honest sizes loads');
  ok.close();
  t.same(fdsPointingAt(MEMFD), [], 'nothing left open');
});

t.test('every memfd this file opened is closed', async t => {
  // Runs last: each test above closes its datasets in its own teardown.
  t.same(fdsPointingAt(MEMFD), []);
});
