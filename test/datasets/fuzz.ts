// Bounded, deterministic fuzzing of the planners and the loader: byte flips, truncations, splices and header edits of
// every fixture. Each case must either produce a plan whose arrays are all inside the file, or throw a PreforkError;
// then a smaller subset goes through the full load (temp file → sealed memfd → attach → read) and must either give
// exactly the bytes the plan describes or reject with a PreforkError. Anything else (TypeError, RangeError, a hang, a
// leaked fd) fails.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planDataset } from '../../src/datasets/detect';
import { DTYPE_SIZE, type DType } from '../../src/datasets/dtypes';
import { attachDataset } from '../../src/datasets/handle';
import { loadDataset } from '../../src/datasets/load';
import { sumOf } from '../../src/datasets/numeric';
import type { ArrayPlan, DatasetPlan } from '../../src/datasets/plan';
import { byteLengthOf } from '../../src/datasets/raw';
import { memorySource } from '../../src/datasets/source';
import { isPreforkError } from '../../src/errors';
import { FIXTURES, fixture, referenceBytes, sha256 } from '../helpers/build';

// PREFORK_FUZZ_CASES and PREFORK_FUZZ_SEED run a longer or different campaign locally; the defaults are what CI runs.
const TOTAL_CASES = Number(process.env.PREFORK_FUZZ_CASES ?? 3000);
const SEED = Number(process.env.PREFORK_FUZZ_SEED ?? 0x5eed);
const TIME_LIMIT_MS = Math.round(30_000 * Math.max(1, TOTAL_CASES / 3000));
/** Cases run through the full load (PREFORK_FUZZ_LOAD_CASES); each writes a file and fills a memfd, so fewer. */
const LOAD_CASES = Number(process.env.PREFORK_FUZZ_LOAD_CASES ?? 300);
const LOAD_TIME_LIMIT_MS = Math.round(20_000 * Math.max(1, LOAD_CASES / 300));
/** One load may take this long before the case counts as a hang. */
const CASE_TIMEOUT_MS = 5000;

/** mulberry32: a small seeded PRNG, so every run fuzzes the same cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)] as T;

/** A position biased towards the headers at the front and the zip directory at the back. */
function position(r: Rand, length: number): number {
  const where = r();
  if (where < 0.45) return int(r, Math.min(length, 320));
  if (where < 0.75) return Math.max(0, length - 1 - int(r, Math.min(length, 200)));
  return int(r, length);
}

const INTERESTING = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff];

const MUTATIONS: Record<string, (b: Buffer, r: Rand) => Buffer> = {
  flipBytes(b, r) {
    const out = Buffer.from(b);
    for (let n = 1 + int(r, 8); n > 0 && out.length > 0; n--) out[position(r, out.length)] = int(r, 256);
    return out;
  },
  flipBit(b, r) {
    const out = Buffer.from(b);
    if (out.length > 0) {
      const i = position(r, out.length);
      out[i] = (out[i] ?? 0) ^ (1 << int(r, 8));
    }
    return out;
  },
  truncate(b, r) {
    return b.subarray(0, r() < 0.5 ? int(r, Math.min(b.length, 400)) : int(r, b.length));
  },
  extend(b, r) {
    return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(r, 64) }, () => int(r, 256)))]);
  },
  splice(b, r) {
    const at = position(r, b.length);
    const len = 1 + int(r, 32);
    return r() < 0.5 ? Buffer.concat([b.subarray(0, at), b.subarray(at + len)]) : Buffer.concat([b.subarray(0, at + len), b.subarray(at)]);
  },
  /** Writes an interesting u16/u32/u64 (length fields, sizes, offsets, counts). */
  lengthField(b, r) {
    const out = Buffer.from(b);
    const width = pick(r, [2, 4, 8]);
    if (out.length < width) return out;
    const at = Math.min(position(r, out.length), out.length - width);
    const v = BigInt(pick(r, INTERESTING)) + (r() < 0.3 ? BigInt(int(r, 5)) - 2n : 0n);
    const big = v < 0n ? 0n : v;
    if (width === 2) out.writeUInt16LE(Number(big & 0xffffn), at);
    else if (width === 4) out.writeUInt32LE(Number(big & 0xffffffffn), at);
    else out.writeBigUInt64LE(r() < 0.2 ? 2n ** 64n - 1n - big : big, at);
    return out;
  },
  /** Edits the text of an npy or safetensors header: numbers, quotes, brackets, keywords. */
  headerText(b, r) {
    const end = Math.min(b.length, 400);
    const text = b.subarray(0, end).toString('latin1');
    const numbers = [...text.matchAll(/\d+/g)];
    const m = numbers.length > 0 && r() < 0.6 ? pick(r, numbers) : undefined;
    const replacement = m
      ? pick(r, ['0', '-1', '1.5', '4294967296', '9007199254740993', '1e308', String(int(r, 100000)), ''])
      : pick(r, ["'", '"', '(', ')', '[', ']', '{', '}', ',', ':', 'True', 'None', 'O', '>', '\\', '\u00e9', ' ']);
    const at = m ? (m.index ?? 0) : int(r, end);
    const cut = m ? m[0].length : int(r, 3);
    const edited = text.slice(0, at) + replacement + text.slice(at + cut);
    return Buffer.concat([Buffer.from(edited, 'latin1'), b.subarray(end)]);
  },
};

/** The plan may not point outside the file nor disagree with its own shapes. */
function planProblems(p: DatasetPlan, size: number): string[] {
  return p.arrays.flatMap((a: ArrayPlan) => {
    const problems: string[] = [];
    if (byteLengthOf(a.shape, a.dtype) !== a.byteLength) problems.push(`${a.key}: byteLength ${a.byteLength} disagrees with shape ${JSON.stringify(a.shape)}`);
    if (!(a.dtype in DTYPE_SIZE)) problems.push(`${a.key}: dtype ${a.dtype as DType}`);
    const s = a.source;
    const end = s.kind === 'range' ? s.offset + a.byteLength : s.offset + s.compressedLength;
    if (!Number.isSafeInteger(s.offset) || s.offset < 0 || !Number.isSafeInteger(end) || end > size) problems.push(`${a.key}: source ${JSON.stringify(s)} is outside ${size} bytes`);
    if (s.kind === 'deflate' && (!Number.isSafeInteger(s.skip) || s.skip < 0)) problems.push(`${a.key}: skip ${s.skip}`);
    return problems;
  });
}

/** One mutation of `original`, sometimes two stacked. */
function mutateOnce(original: Buffer, r: Rand): { kind: string; bytes: Buffer } {
  const kind = pick(r, Object.keys(MUTATIONS));
  const mutate = MUTATIONS[kind] ?? MUTATIONS.flipBit;
  if (mutate === undefined) throw new Error('no mutations');
  let bytes = mutate(original, r);
  if (r() < 0.25) bytes = (MUTATIONS[pick(r, Object.keys(MUTATIONS))] ?? mutate)(bytes, r);
  return { kind, bytes };
}

/** One case: plan the bytes; returns the outcome label, or throws a description of what went wrong. */
function runCase(name: string, bytes: Buffer, spec: { dtype?: DType }): string {
  let plan: DatasetPlan;
  try {
    plan = planDataset(memorySource(name, bytes), spec);
  } catch (e) {
    if (isPreforkError(e)) {
      if (!e.message.startsWith(`${name}: `)) throw new Error(`message does not name the file: ${e.message}`);
      return e.code;
    }
    throw new Error(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  const problems = planProblems(plan, bytes.length);
  if (problems.length > 0) throw new Error(`bad plan: ${problems.join('; ')}`);
  return 'ok';
}

/** Every fixture file, sorted, so both campaigns draw their seeded cases in the same order. */
const fixtureFiles = () => fs.readdirSync(FIXTURES).filter(f => f !== 'manifest.json').sort();

/** A fixture's bytes and the spec it loads with (the raw fixture is f64). */
function fixtureCase(name: string): { original: Buffer; spec: { dtype?: DType } } {
  return { original: fixture(name), spec: name.endsWith('.bin') ? { dtype: 'f64' } : {} };
}

t.test(`fuzzing every fixture: ${TOTAL_CASES} cases end in a plan inside the file or a PreforkError`, async t => {
  const files = fixtureFiles();
  t.ok(files.length >= 20, 'fixtures found');
  const perFile = Math.ceil(TOTAL_CASES / files.length);
  const r = rng(SEED);
  const outcomes = new Map<string, number>();
  const failures: string[] = [];
  const started = process.hrtime.bigint();
  let cases = 0;
  for (const name of files) {
    const { original, spec } = fixtureCase(name);
    t.equal(runCase(name, original, spec), 'ok', `${name} plans unmutated`);
    for (let i = 0; i < perFile; i++) {
      const { kind, bytes } = mutateOnce(original, r);
      cases++;
      try {
        const outcome = runCase(name, bytes, spec);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      } catch (e) {
        failures.push(`${name} case ${i} (${kind}, base64 ${bytes.length <= 600 ? bytes.toString('base64') : `${bytes.length} bytes`}): ${(e as Error).message}`);
      }
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.same(failures.slice(0, 10), [], `no case fails (${failures.length} failed)`);
  t.ok(cases >= TOTAL_CASES, `${cases} cases ran`);
  t.ok(ms < TIME_LIMIT_MS, `finished in ${Math.round(ms)} ms (limit ${TIME_LIMIT_MS} ms)`);
  t.ok((outcomes.get('ok') ?? 0) > 50, 'some mutations still plan (fuzzing reaches past the first check)');
  t.ok(outcomes.size >= 8, `many distinct outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
});

/** Rejects with a timeout error if `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms (a hang)`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Fds of this process whose link contains `marker`. */
function openFds(marker: string): string[] {
  return fs.readdirSync('/proc/self/fd').flatMap(fd => {
    try {
      const link = fs.readlinkSync(`/proc/self/fd/${fd}`);
      return link.includes(marker) ? [`${fd} -> ${link}`] : [];
    } catch {
      return []; // the fd readdir used, closed by now
    }
  });
}

/**
 * One case through the full load: `file` holds the mutated bytes. The load must agree with the planner: reject with the
 * same PreforkError when planning fails (an empty file is _EMPTY before any planner runs); when planning succeeds,
 * either give exactly the bytes the slow reference decodes from the plan, for every array, or reject with a
 * PreforkError while copying (a corrupt deflate stream is only found then). Returns the outcome label or throws.
 */
async function runLoadCase(file: string, bytes: Buffer, spec: { dtype?: DType }): Promise<string> {
  let plan: DatasetPlan | undefined;
  let planCode: string | undefined;
  try {
    plan = planDataset(memorySource(file, bytes), spec);
  } catch (e) {
    if (!isPreforkError(e)) throw new Error(`planning threw ${String(e)}`);
    planCode = e.code;
  }
  let shared;
  try {
    shared = await within(loadDataset({ name: 'fuzz', path: file, ...spec }), CASE_TIMEOUT_MS);
  } catch (e) {
    if (!isPreforkError(e)) throw new Error(`load threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (!e.message.startsWith(`${file}: `)) throw new Error(`message does not name the file: ${e.message}`);
    if (planCode !== undefined && e.code !== planCode && e.code !== 'PREFORK_DATASET_EMPTY') throw new Error(`load says ${e.code}, planning ${planCode}`);
    return planCode === undefined ? `copy ${e.code}` : `plan ${e.code}`;
  }
  try {
    if (plan === undefined) throw new Error(`loaded what planning rejected (${planCode})`);
    const d = attachDataset(shared.fd);
    if (d.keys().join('/') !== plan.arrays.map(a => a.key).join('/')) throw new Error(`keys ${d.keys().join(',')} differ from the plan's`);
    for (const a of plan.arrays) {
      const m = d.meta(a.key);
      if (m.dtype !== a.dtype || m.shape.join(',') !== a.shape.join(',')) throw new Error(`${a.key}: ${m.dtype}${JSON.stringify(m.shape)} differs from the plan`);
      if (sha256(d.bytes(a.key)) !== sha256(referenceBytes(bytes, a))) throw new Error(`${a.key}: loaded bytes differ from the plan's reference decoding`);
      if (d.array(a.key).byteOffset % 64 !== 0) throw new Error(`${a.key}: misaligned`);
      sumOf(m.dtype, d.array(a.key));
    }
  } finally {
    shared.close();
  }
  return 'loaded';
}

t.test(`full load of ${LOAD_CASES} mutated cases: exact bytes or a PreforkError, no hang, nothing left open`, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-fuzz-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = fixtureFiles();
  // Deflated archives get a larger share: a corrupt deflate stream past the npy header is only found while copying.
  const weight = (name: string) => (name.includes('deflated') ? 6 : 1);
  const totalWeight = files.reduce((n, f) => n + weight(f), 0);
  // A seed of its own, so this subset does not shift when the planning campaign above changes size.
  const r = rng(SEED ^ 0x10ad);
  const outcomes = new Map<string, number>();
  const failures: string[] = [];
  const started = process.hrtime.bigint();
  let cases = 0;
  for (const name of files) {
    const { original, spec } = fixtureCase(name);
    // The fixture's own name keeps its extension (which picks the planner) and a valid dataset name.
    const file = path.join(dir, name);
    fs.writeFileSync(file, original);
    t.equal(await runLoadCase(file, original, spec), 'loaded', `${name} loads unmutated`);
    for (let i = 0; i < Math.ceil((LOAD_CASES * weight(name)) / totalWeight); i++) {
      const { kind, bytes } = mutateOnce(original, r);
      fs.writeFileSync(file, bytes);
      cases++;
      try {
        const outcome = await runLoadCase(file, bytes, spec);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      } catch (e) {
        failures.push(`${name} load case ${i} (${kind}, base64 ${bytes.length <= 600 ? bytes.toString('base64') : `${bytes.length} bytes`}): ${(e as Error).message}`);
      }
    }
    fs.rmSync(file, { force: true });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.same(failures.slice(0, 10), [], `no case fails (${failures.length} failed)`);
  t.ok(cases >= LOAD_CASES, `${cases} cases ran`);
  t.ok(ms < LOAD_TIME_LIMIT_MS, `finished in ${Math.round(ms)} ms (limit ${LOAD_TIME_LIMIT_MS} ms)`);
  t.ok((outcomes.get('loaded') ?? 0) > 20, 'some mutations still load (fuzzing reaches the copy)');
  t.ok(outcomes.size >= 6, `many distinct outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
  t.same(openFds('memfd:prefork:'), [], 'no memfd left open');
  t.same(openFds(dir), [], 'no source file left open');
});
