#!/usr/bin/env node
// The seed's table in Node: the question of the article 'Sharing big NumPy arrays across python processes' (a ~1.5 GB
// float64 array, numpy.sum split across 4 processes: pickle IPC 4137 ms, copy-on-write fork 80 ms, RawArray 102 ms,
// mmap on /tmp 160 ms and on /dev/shm 109 ms, SharedMemory 100 ms, Ray 71 ms), asked of Node and of prefork.
//
//   node bench/seed.js                          # 1.5 GB (1,536,000,000 bytes), 2 and 4 workers, every row
//   node bench/seed.js --size-mb 64 --runs 1    # a quick look
//   node bench/seed.js --only prefork-fork,ipc --workers 4 --node .cache/node/24/package/bin/node
//
// Options: --size-mb N (default 1536), --runs N (warm samples per row, default 4), --sessions N (fresh launches per
// row and worker count, default 2: the kernels take turns going first, so each gets a first scan), --ipc-runs N (warm
// samples of the IPC rows, default 1, one session), --check-sessions N (at least this many sessions for prefork-fork,
// the row the issue's checks judge, default 5: its natural kernel then goes first three times, and the first-scan
// check reads the median of three first scans, not one that a busy moment of the machine can double), --workers 2,4,
// --only ROW,... (ids below; py-shm and py-cow pick the Python rows, `py` both), --node PATH (run every child
// process, thread host and prefork under that Node), --no-python, --clean (delete the cached data file at the end).
//
// THE TASK. A raw little-endian float64 file, bench/data/seed-<bytes>.f64 (git-ignored, generated once and reused;
// --clean deletes it), value i = (i mod 1021) * 0.5, so that every partial sum is exact in float64 whatever the order:
// the reference sum is computed from that formula (not from any of the paths measured) and every round's total must
// equal it exactly, or the bench fails. The array is split into N equal slices ([floor(k·n/N), floor((k+1)·n/N)),
// bench/apps/seed-kernel.js), one per worker, N = 2 and 4.
//
// THE CLOCKS, per row and worker count:
//   start-up       launching the processes (or threads) until every worker is ready to sum;
//   first scan     the first round after that: from sending "go" to every worker until the last partial sum is back
//                  (each worker's first pass over its slice: page faults, JIT warm-up);
//   warm           later rounds, same clock: median [min-max] over --runs samples (the kernels alternate);
//   incl. start-up launching until the first round's last sum is back (start-up + first scan + the harness's own
//                  connection set-up): the article's "including start-up" figure.
// What the launch includes differs by row, as it does in the article: prefork's includes the supervisor loading the
// file into a sealed memfd (and the COW row's zygote reading it into its heap); the IPC, worker_threads and mmap rows
// start from data the parent (or the thread host) already holds or that is already a file (/dev/shm: copied there
// first, not timed). Each session is a fresh launch; the data file is in the page cache throughout (the "disk" mmap
// row faults from the page cache, not from the device: this bench does not drop caches).
//
// THE ROWS (ids for --only):
//   ipc               child_process.fork × N, serialization 'advanced' (structured clone): the parent, holding the
//                     array, sends each child its slice with "go" and the child sums it: the analogue of pickle. The
//                     send is in the time, as pickle's was. Slow at 1.5 GB (seconds a round), so: one session,
//                     the natural kernel only (the transfer is the time: the in-worker sum is ~1 % of it), the
//                     first round and --ipc-runs warm ones (default 1). Both kernels' ratios use this row.
//   sab               worker_threads: a host process reads the file into one SharedArrayBuffer (not timed), waits
//                     SETTLE_MS (3 s: right after filling 1.5 GB of fresh memory, scans here ran 15-20 % slower for
//                     a second or more), then N threads each sum their slice: the best Node does inside one process.
//   prefork-fork      `bin/prefork start bench/apps/seed-sum.js --share big=FILE:f64 --workers N` (fork mode; workers
//                     pre-fault the dataset with MADV_POPULATE_READ before ready, as prefork always does);
//   prefork-fork-nopop  the same with _PREFORK_BENCH_NO_POPULATE=1 in the supervisor's environment: no pre-fault, so
//                     the first scan takes the page faults;
//   prefork-exec      the same in --worker-mode exec (prefork-exec-nopop, without the pre-fault, only with --only:
//                     the fork-mode pair already shows what populate buys);
//   prefork-thp       shared-memory THP: only where /sys/kernel/mm/transparent_hugepage/shmem_enabled allows it
//                     (prefork then fills the memfd through a MADV_HUGEPAGE mapping); else a note row;
//   mmap-disk, mmap-disk-pop  N child processes each open bench/data/FILE and map it read-only with prefork's shim
//                     (dist/native.js: native().map(fd, bytes, false)); -pop: native().populate() (MADV_POPULATE_READ)
//                     before ready;
//   mmap-shm, mmap-shm-pop  the same on a copy in /dev/shm (deleted at the end);
//   cow               `bin/prefork start bench/apps/seed-cow.js --preload`: the zygote reads the file into a plain
//                     heap Float64Array at module level; forked workers inherit it copy-on-write;
//   c                 the C reference: N processes of bench/seed-floor.c (compiled here by $CC or cc, -O2; if that
//                     fails, a note says so and the row is left out) map the file (page cache, MAP_POPULATE) and sum
//                     their slice in C, kernels `serial` (the natural loop's one chain of dependent adds, in the same
//                     order) and `four` (four running sums). The serial loop is what this CPU does for the natural
//                     loop without a JIT in the way: a note puts it beside worker_threads + SAB and the 0.9x goal;
//   py-shm, py-cow    bench/seed.py (numpy): the article's SharedMemory and fork copy-on-write strategies, same file,
//                     split and clocks, run by `python3` if `python3 -c 'import numpy'` works, else a note row.
// Prefork rows are timed over HTTP: the bench opens keep-alive connections (raw sockets, one request at a time each)
// until it holds one to each of the N worker pids (`?whoami`), then sends the N slice requests at once, one per
// connection; the handler's own figure (`ms`) is kept too. Every Node row runs both kernels: `natural` (the loop
// written inline in the handler over the module-level array) and `param` (the same loop as a function over a
// parameter, seed-kernel.js). Python rows use numpy's sum. Warm figures of the natural kernel on Node 20 can be
// 2-3x the param kernel's: V8 11.3 enters the inline loop by on-stack replacement on the first call, deoptimises just
// after it (no type feedback yet for the code after the loop: "Insufficient type feedback for generic named access"
// in --trace-deopt), and later calls sometimes keep running slower code, from run to run at random; the loop in its
// own small function is optimised on its second call. Node 24 showed no gap (--node .cache/node/24/package/bin/node).
// The table's notes give the measured natural/param ratio.
//
// OUTPUT: a table (columns: first scan; warm median [min-max]; in-worker warm, the slowest worker's own figure for
// its slice, median over the warm rounds, i.e. the round without the messaging; incl. start-up; start-up; IPC/this =
// the IPC row's warm median (natural kernel, same worker count) over this row's; SAB/this = worker_threads + SAB's,
// same kernel (the natural one for the C and Python rows) and worker count), notes, the three checks the issue asks for (prefork fork mode's warm scan >= 30x
// faster than IPC; its first scan within 1.2x of its warm scan; its warm scan <= 0.9x worker_threads + SAB's, per
// kernel and worker count), then, as the last line of stdout, one JSON object {"seed": {...}} with every sample, the
// config, the checks and machine notes (bench/run.js collects it). Progress goes to stderr.
//
// COST: the defaults took 114 s on this machine before the C row (2 vCPUs; load average 1.4-3.0 from other work;
// about twice that under heavy load): 9 Node rows × 2 worker counts × 2 sessions (prefork-fork: --check-sessions,
// 5), each session one first scan and 2 warm rounds per kernel (so 4 warm samples per row and kernel, and one first
// scan per kernel); IPC 2 rounds per worker count (about 4-10 s each at 1.5 GB here; a run on the loaded machine once
// took 56 s for its first round: fresh memory on this VM is slow); the thread host's 3 s settle; the C row about 2 s;
// Python a few seconds; the data file is written once (8 s) and reused. A prefork session costs about 1.1-2 s before
// its first round (loading 1.5 GB into the memfd, zygote, workers, pre-faulting). `npm run bench` runs this with
// --sessions 1 and --check-sessions 3: 86-122 s.
// Every process started here is tracked by pid and killed (with its descendants) on every way out: the end, an
// error, SIGINT/SIGTERM/SIGHUP, or the time limit.
'use strict';
const { spawn, fork, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { descendants, isAlive, onLines } = require('./procs');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'prefork');
const APPS = path.join(__dirname, 'apps');
const DATA_DIR = path.join(__dirname, 'data');
const THP_FILE = '/sys/kernel/mm/transparent_hugepage/shmem_enabled';
const NO_POPULATE_ENV = require('../dist/protocol.js').BENCH_NO_POPULATE_ENV;
const { slice } = require('./apps/seed-kernel.js');

const ROWS = ['ipc', 'sab', 'prefork-fork', 'prefork-fork-nopop', 'prefork-exec', 'prefork-exec-nopop', 'prefork-thp', 'mmap-disk', 'mmap-disk-pop', 'mmap-shm', 'mmap-shm-pop', 'cow', 'c', 'py-shm', 'py-cow'];
/** prefork-exec-nopop adds nothing the fork-mode pair does not show; it runs when asked for (--only). */
const DEFAULT_ROWS = ROWS.filter(r => r !== 'prefork-exec-nopop');

// ---- options ------------------------------------------------------------------------------------------------------

function usage(message) {
  process.stderr.write(`seed: ${message}\nusage: node bench/seed.js [--size-mb N] [--runs N] [--sessions N] [--check-sessions N] [--ipc-runs N] [--workers 2,4] [--only ROW,...] [--node PATH] [--no-python] [--clean]\nrows: ${ROWS.join(', ')}\n`);
  process.exit(64);
}

function parseArgs(argv) {
  const o = { sizeMB: 1536, runs: 4, sessions: 2, checkSessions: 5, ipcRuns: 1, workers: [2, 4], only: DEFAULT_ROWS, node: process.execPath, python: true, clean: false };
  const positive = (name, v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) usage(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (m === null) usage(`unknown argument '${argv[i]}'`);
    const flag = m[1];
    if (flag === 'no-python') o.python = false;
    else if (flag === 'clean') o.clean = true;
    else {
      const v = m[2] ?? argv[++i];
      if (v === undefined) usage(`--${flag} needs a value`);
      if (flag === 'size-mb') {
        o.sizeMB = Number(v);
        if (!Number.isFinite(o.sizeMB) || o.sizeMB <= 0) usage(`--size-mb must be a positive number, got '${v}'`);
      } else if (flag === 'runs') o.runs = positive('--runs', v);
      else if (flag === 'sessions') o.sessions = positive('--sessions', v);
      else if (flag === 'ipc-runs') o.ipcRuns = positive('--ipc-runs', v);
      else if (flag === 'check-sessions') o.checkSessions = positive('--check-sessions', v);
      else if (flag === 'workers') o.workers = v.split(',').map(w => positive('--workers', w));
      else if (flag === 'node') {
        o.node = path.resolve(v);
        if (!fs.existsSync(o.node)) usage(`--node: no such file '${v}'`);
      } else if (flag === 'only') {
        const want = new Set();
        for (const r of v.split(',')) {
          if (r === 'py') ['py-shm', 'py-cow'].forEach(x => want.add(x));
          else if (r === 'prefork') ROWS.filter(x => x.startsWith('prefork-')).forEach(x => want.add(x));
          else if (r === 'mmap') ROWS.filter(x => x.startsWith('mmap-')).forEach(x => want.add(x));
          else if (ROWS.includes(r)) want.add(r);
          else usage(`--only: unknown row '${r}'`);
        }
        o.only = ROWS.filter(r => want.has(r));
      } else usage(`unknown option '--${flag}'`);
    }
  }
  return o;
}

const OPT = parseArgs(process.argv.slice(2));
try {
  require.resolve('../dist/cli/main.js');
  require.resolve('../dist/native.js');
} catch {
  console.error('seed: dist/ is missing; run `npm run build` first');
  process.exit(1);
}

// ---- processes: everything started here is tracked by pid and killed on every way out ----------------------------

const tracked = new Set();
const tempFiles = new Set();
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-seed-'));

/** Kills `pids` and every descendant (prefork's workers are the supervisor's children: it is their subreaper). */
function killTree(pids) {
  const all = [...pids, ...descendants(pids)];
  for (const pid of all) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const pid of pids) tracked.delete(pid);
  return all;
}

function cleanup() {
  killTree([...tracked]);
  for (const f of tempFiles) fs.rmSync(f, { force: true });
  fs.rmSync(TMP, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nseed: ${sig}: killing every process it started`);
    process.exit(130);
  });
}
const LIMIT_S = Math.max(600, Math.ceil(OPT.sizeMB / 1536) * 900);
setTimeout(() => {
  console.error(`seed: over the ${LIMIT_S} s time limit; killing every process it started`);
  process.exit(1);
}, LIMIT_S * 1000).unref();

const sleep = ms => new Promise(r => setTimeout(r, ms));
const now = () => performance.now();
const log = s => process.stderr.write(`seed: ${s}\n`);

function childEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

// ---- the data ---------------------------------------------------------------------------------------------------

const M = 1021;
const value = i => (i % M) * 0.5;
const ELEMENTS = Math.max(64, Math.floor((OPT.sizeMB * 1e6) / 8));
const BYTES = ELEMENTS * 8;
const FILE = path.join(DATA_DIR, `seed-${BYTES}.f64`);

/** Σ value(i) for i < n, from the formula: exact (every term and partial sum is a multiple of 0.5 below 2^52). */
function referenceSum(n) {
  const q = Math.floor(n / M);
  const r = n % M;
  return 0.5 * (q * ((M * (M - 1)) / 2) + (r * (r - 1)) / 2);
}
const REFERENCE = referenceSum(ELEMENTS);

function ensureData() {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  if (fs.existsSync(FILE) && fs.statSync(FILE).size === BYTES) {
    log(`reusing ${path.relative(ROOT, FILE)} (${(BYTES / 1e6).toFixed(0)} MB)`);
    return;
  }
  const t = now();
  const tmp = `${FILE}.tmp-${process.pid}`;
  tempFiles.add(tmp);
  const fd = fs.openSync(tmp, 'w');
  const chunk = new Float64Array(1 << 20);
  for (let base = 0; base < ELEMENTS; base += chunk.length) {
    const len = Math.min(chunk.length, ELEMENTS - base);
    for (let j = 0; j < len; j++) chunk[j] = value(base + j);
    fs.writeSync(fd, new Uint8Array(chunk.buffer, 0, len * 8));
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, FILE);
  tempFiles.delete(tmp);
  log(`wrote ${path.relative(ROOT, FILE)} (${(BYTES / 1e6).toFixed(0)} MB) in ${((now() - t) / 1000).toFixed(1)} s`);
}

function readWhole(file, buffer) {
  const u8 = new Uint8Array(buffer);
  const fd = fs.openSync(file, 'r');
  try {
    for (let off = 0; off < u8.length; ) {
      const n = fs.readSync(fd, u8, off, Math.min(u8.length - off, 64 << 20), off);
      if (n <= 0) throw new Error(`${file}: short read at ${off}`);
      off += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

// ---- pools: N workers that sum slices on "go" -------------------------------------------------------------------
// A pool has round(kernel) → { sums: [{sum, ms, pid}], ms } (the round's clock: go to the last sum) and close().

/** Checks a round's partial sums against the reference. */
function verify(row, sums) {
  const total = sums.reduce((a, s) => a + s.sum, 0);
  if (total !== REFERENCE) throw new Error(`${row}: the partial sums add up to ${total}, the reference is ${REFERENCE}`);
}

/** Waits for the message `t` from child process `cp`; rejects if it exits first. */
function message(cp, t, what) {
  return new Promise((resolve, reject) => {
    const onMsg = m => {
      if (m?.t === 'error') done(reject, new Error(`${what}: ${m.message}`));
      else if (m?.t === t) done(resolve, m);
    };
    const onExit = (code, sig) => done(reject, new Error(`${what}: exited (${code ?? sig}) before '${t}'`));
    const done = (f, v) => {
      cp.off('message', onMsg);
      cp.off('exit', onExit);
      f(v);
    };
    cp.on('message', onMsg);
    cp.on('exit', onExit);
  });
}

function forkChild(script, args, options = {}) {
  const cp = fork(script, args, { execPath: OPT.node, execArgv: [], env: childEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  tracked.add(cp.pid);
  cp.on('exit', () => tracked.delete(cp.pid));
  return cp;
}

async function endChildren(cps) {
  for (const cp of cps) if (cp.exitCode === null && cp.signalCode === null) cp.kill('SIGKILL');
  await Promise.all(cps.map(cp => (cp.exitCode !== null || cp.signalCode !== null ? undefined : new Promise(r => cp.once('exit', r)))));
}

/** child_process.fork × n of seed-child.js; `ipc`: the parent sends each its slice of `array` with every go. */
async function childPool(n, mode, { file, populate, array } = {}) {
  const script = path.join(APPS, 'seed-child.js');
  const args = mode === 'ipc' ? ['ipc'] : ['mmap', file, String(BYTES), populate ? '1' : '0'];
  const cps = Array.from({ length: n }, () => forkChild(script, args, mode === 'ipc' ? { serialization: 'advanced' } : {}));
  await Promise.all(cps.map(cp => message(cp, 'ready', `seed-child ${cp.pid}`)));
  return {
    async round(kernel) {
      const t = now();
      const answers = cps.map(cp => message(cp, 'sum', `seed-child ${cp.pid}`));
      cps.forEach((cp, k) => {
        const [lo, hi] = slice(ELEMENTS, k, n);
        cp.send(mode === 'ipc' ? { t: 'go', kernel, data: array.subarray(lo, hi) } : { t: 'go', kernel, lo, hi });
      });
      const sums = await Promise.all(answers);
      return { ms: now() - t, sums };
    },
    close: () => endChildren(cps),
  };
}

/** The C reference row: n processes of bench/seed-floor.c (compiled by floorBinary()), one slice each, driven by lines. */
async function floorPool(n, binary) {
  const procs = Array.from({ length: n }, (_, k) => {
    const [lo, hi] = slice(ELEMENTS, k, n);
    const cp = spawn(binary, [FILE, String(BYTES), String(lo), String(hi)], { stdio: ['pipe', 'pipe', 'inherit'] });
    cp.stdin.on('error', () => {}); // a worker that died is reported by its exit below
    if (cp.pid) tracked.add(cp.pid);
    cp.on('exit', () => tracked.delete(cp.pid));
    const lines = [];
    let waiting;
    let gone;
    onLines(cp.stdout, parts => {
      lines.push(...parts);
      if (waiting && lines.length) waiting.resolve(lines.shift());
    });
    const fail = why => {
      gone ??= new Error(`seed-floor ${cp.pid ?? binary}: ${why} before its answer`);
      waiting?.reject(gone);
    };
    cp.on('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    cp.on('error', e => fail(`could not run (${e.message})`));
    const next = () =>
      new Promise((resolve, reject) => {
        if (lines.length) return resolve(lines.shift());
        if (gone) return reject(gone);
        waiting = { resolve: v => ((waiting = undefined), resolve(v)), reject };
      });
    return { cp, next };
  });
  for (const p of procs) if ((await withTimeout(p.next(), 60_000, 'seed-floor ready')) !== 'ready') throw new Error('seed-floor: no ready line');
  return {
    async round(kernel) {
      const t = now();
      for (const p of procs) p.cp.stdin.write(`${kernel}\n`); // C_KERNELS are seed-floor.c's lines
      const sums = await Promise.all(
        procs.map(async p => {
          const [sum, ms] = (await p.next()).split(' ').map(Number);
          return { sum, ms, pid: p.cp.pid };
        }),
      );
      return { ms: now() - t, sums };
    },
    close: () => endChildren(procs.map(p => p.cp)),
  };
}

/** Compiles bench/seed-floor.c with $CC (default cc) -O2 into the temporary directory; undefined, with a note, if it cannot. */
function floorBinary() {
  const out = path.join(TMP, 'seed-floor');
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-O2', '-o', out, path.join(__dirname, 'seed-floor.c')], { encoding: 'utf8' });
  if (r.status === 0) return { out, cc: spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? cc };
  notes.push(`C rows: skipped: \`${cc} -O2 bench/seed-floor.c\` failed (${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0]})`);
  return undefined;
}

/**
 * The reference row's host settles before it is measured: on this VM, scans right after a process filled 1.5 GB of
 * fresh memory ran 15-20 % slower for a second or more (threads + SAB 98-106 ms a round, against 84-86 once settled),
 * and the host's load is not the row's to pay. (prefork rows get no such wait: their start-up is the load.)
 */
const SETTLE_MS = 3000;

/** The worker_threads host (one per bench, it holds the SharedArrayBuffer; started before any clock runs). */
let threadHost;
async function startThreadHost() {
  const cp = forkChild(path.join(APPS, 'seed-threads.js'), [FILE, String(BYTES)]);
  const loaded = await withTimeout(message(cp, 'loaded', 'seed-threads host'), 300_000, 'seed-threads host');
  log(`worker_threads host ${cp.pid} read the file into a SharedArrayBuffer in ${loaded.ms.toFixed(0)} ms; waiting ${SETTLE_MS} ms before its sessions`);
  threadHost = cp;
  await sleep(SETTLE_MS);
}

/** n threads in the host: launch() spawns them (the clock's start-up), close() terminates them. */
async function threadPool(n) {
  const cp = threadHost;
  return {
    async launch() {
      cp.send({ t: 'spawn', n });
      await message(cp, 'ready', 'seed-threads host');
    },
    async round(kernel) {
      const t = now();
      const sums = [];
      const all = new Promise((resolve, reject) => {
        const onMsg = m => {
          if (m.t === 'error') reject(new Error(m.message));
          if (m.t !== 'sum') return;
          sums.push(m);
          if (sums.length === n) {
            cp.off('message', onMsg);
            resolve();
          }
        };
        cp.on('message', onMsg);
      });
      for (let k = 0; k < n; k++) {
        const [lo, hi] = slice(ELEMENTS, k, n);
        cp.send({ t: 'go', k, kernel, lo, hi });
      }
      await all;
      return { ms: now() - t, sums };
    },
    async close() {
      cp.send({ t: 'terminate' });
      await message(cp, 'terminated', 'seed-threads host');
    },
  };
}

/** One keep-alive HTTP/1.1 connection, one request at a time; answers are JSON with a Content-Length. */
class Conn {
  constructor(port) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    this.buf = Buffer.alloc(0);
    this.waiter = undefined;
    this.ready = new Promise((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
    this.sock.on('data', d => {
      this.buf = Buffer.concat([this.buf, d]);
      this.#parse();
    });
    this.sock.on('error', e => this.waiter?.reject(e));
    this.sock.on('close', () => this.waiter?.reject(new Error('connection closed')));
  }

  #parse() {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || this.waiter === undefined) return;
    const head = this.buf.subarray(0, end).toString('latin1');
    const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(len)) return this.waiter.reject(new Error(`no content-length in ${head}`));
    if (this.buf.length < end + 4 + len) return;
    const body = this.buf.subarray(end + 4, end + 4 + len).toString();
    this.buf = this.buf.subarray(end + 4 + len);
    const w = this.waiter;
    this.waiter = undefined;
    if (!/^HTTP\/1\.1 200/.test(head)) w.reject(new Error(`${head.split('\r\n')[0]}: ${body}`));
    else w.resolve(JSON.parse(body));
  }

  get(p) {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.sock.write(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
  }

  close() {
    this.sock.destroy();
  }
}

/** `bin/prefork start APP ...` under OPT.node; resolves once generation 1 is ready and one connection per worker is held. */
async function preforkPool(n, { app, mode = 'fork', preload = false, share = true, env = {} }) {
  const name = `seed-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const args = [BIN, 'start', path.join(APPS, app), '--workers', String(n), '--bind', '127.0.0.1:0', '--worker-mode', mode, '--name', name, '--control', path.join(TMP, `${name}.sock`), '--graceful-timeout', '5'];
  if (share) args.push('--share', `big=${FILE}:f64`);
  if (preload) args.push('--preload');
  const sup = spawn(OPT.node, args, { cwd: ROOT, env: childEnv({ SEED_FILE: FILE, ...env }), stdio: ['ignore', 'ignore', 'pipe'] });
  tracked.add(sup.pid);
  const lines = [];
  let exited;
  const exit = new Promise(r => sup.on('exit', (code, signal) => r((exited = { code, signal }))));
  const ready = new Promise((resolve, reject) => {
    onLines(sup.stderr, parts => {
      for (const l of parts) {
        lines.push(l);
        if (/generation 1 ready/.test(l)) resolve();
        if (/halting|\[error\]/.test(l)) reject(new Error(`prefork: ${l}`));
      }
    });
    exit.then(e => reject(new Error(`prefork exited (${e.code ?? e.signal}) before ready:\n${lines.slice(-10).join('\n')}`)));
  });
  const pool = {
    lines,
    async close() {
      for (const c of pool.conns ?? []) c.close();
      if (!exited) {
        sup.kill('SIGTERM');
        const t = setTimeout(() => killTree([sup.pid]), 15_000);
        await exit;
        clearTimeout(t);
      }
      killTree([sup.pid]); // anything left (none expected)
    },
  };
  try {
    await withTimeout(ready, 120_000, 'prefork start');
    const port = Number(lines.map(l => /listening on 127\.0\.0\.1:(\d+)/.exec(l)?.[1]).find(Boolean));
    const byPid = new Map();
    for (let tries = 0; byPid.size < n; tries++) {
      if (tries > 400) throw new Error(`reached only ${byPid.size} of ${n} workers in 400 connections`);
      const c = new Conn(port);
      await c.ready;
      const { pid } = await withTimeout(c.get('/?whoami'), 10_000, 'whoami');
      if (byPid.has(pid)) c.close();
      else byPid.set(pid, c);
    }
    pool.conns = [...byPid.values()];
  } catch (e) {
    await pool.close();
    throw e;
  }
  pool.round = async kernel => {
    const t = now();
    const sums = await Promise.all(pool.conns.map((c, k) => c.get(`/?part=${k}&of=${n}&kernel=${kernel}`)));
    return { ms: now() - t, sums };
  };
  return pool;
}

// ---- sessions and rows --------------------------------------------------------------------------------------------

const KERNELS = ['natural', 'param'];
/** The C row's kernels (bench/seed-floor.c): `serial` is the natural loop's chain of adds, `four` splits it in four. */
const C_KERNELS = ['serial', 'four'];
const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round1 = x => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);

/**
 * One fresh launch: start-up, the first round with kernel `first`, then `warmEach` warm rounds of each kernel
 * (alternating, the other kernel first). `launch` returns a pool (or, for threads, a pool with launch()).
 */
async function session(row, n, launch, first, warmEach, kernels) {
  const t0 = now();
  const pool = await launch();
  try {
    if (pool.launch) await pool.launch();
    const startup = now() - t0;
    const r1 = await pool.round(first);
    verify(row, r1.sums);
    const included = now() - t0;
    const warm = Object.fromEntries(kernels.map(k => [k, []]));
    const workerMs = Object.fromEntries(kernels.map(k => [k, []]));
    const order = [...kernels.filter(k => k !== first), first];
    for (let i = 0; i < warmEach; i++) {
      for (const k of order) {
        const r = await pool.round(k);
        verify(row, r.sums);
        warm[k].push(r.ms);
        workerMs[k].push(Math.max(...r.sums.map(s => s.ms)));
      }
    }
    // the slowest worker's own figures for its first scan; prefork rows add its CPU time (cpuMs, user and system:
    // getrusage's total is exact, its split is not): wall time well above CPU time is time it waited for a core
    const slowest = r1.sums.reduce((a, s) => (s.ms > a.ms ? s : a));
    const worker = { ms: round1(slowest.ms), ...(slowest.cpuMs === undefined ? {} : { cpuMs: round1(slowest.cpuMs) }) };
    return { startup, first: { kernel: first, ms: r1.ms, workerMs: slowest.ms, worker }, included, warm, workerMs, pids: r1.sums.map(s => s.pid) };
  } finally {
    await pool.close();
  }
}

const results = []; // one per row × kernel × workers
const notes = [];
/** The measured result of one row, kernel and worker count (not a skipped row's note), or undefined. */
const result = (row, kernel, n) => results.find(r => r.row === row && r.kernel === kernel && r.workers === n && !r.skipped);
const CORES = os.availableParallelism?.() ?? os.cpus().length;

async function runRow(row, label, n, launch, { sessions = OPT.sessions, runs = OPT.runs, kernels = KERNELS } = {}) {
  const warmEach = Math.max(1, Math.ceil(runs / sessions));
  const samples = [];
  for (let s = 0; s < sessions; s++) {
    const first = kernels[s % kernels.length];
    const t = now();
    samples.push(await session(row, n, launch, first, warmEach, kernels));
    const last = samples[samples.length - 1];
    log(`${row} ×${n} session ${s + 1}/${sessions}: start-up ${last.startup.toFixed(0)} ms, first (${first}) ${last.first.ms.toFixed(1)} ms (in the slowest worker ${last.first.workerMs.toFixed(1)}${last.first.worker.cpuMs === undefined ? '' : `, ${last.first.worker.cpuMs.toFixed(1)} of it on a CPU`}), warm ${kernels.map(k => `${k} ${last.warm[k].map(x => x.toFixed(1)).join('/')}`).join(', ')} (${((now() - t) / 1000).toFixed(1)} s)`);
  }
  for (const kernel of kernels) {
    const firsts = samples.filter(s => s.first.kernel === kernel);
    const warm = samples.flatMap(s => s.warm[kernel]);
    results.push({
      row,
      label,
      kernel,
      workers: n,
      firstMs: firsts.length ? median(firsts.map(s => s.first.ms)) : NaN,
      firstSamples: firsts.map(s => round1(s.first.ms)),
      firstWorkerSamples: firsts.map(s => s.first.worker),
      warmMedianMs: median(warm),
      warmMinMs: Math.min(...warm),
      warmMaxMs: Math.max(...warm),
      warmSamples: warm.map(round1),
      workerWarmMedianMs: median(samples.flatMap(s => s.workerMs[kernel])),
      startupMs: median(samples.map(s => s.startup)),
      includedMs: firsts.length ? median(firsts.map(s => s.included)) : NaN,
      sessions: samples.length,
    });
  }
}

function thpAllowed() {
  try {
    const setting = /\[(\w+)\]/.exec(fs.readFileSync(THP_FILE, 'utf8'))?.[1] ?? 'unknown';
    return { setting, huge: ['always', 'within_size', 'advise', 'force'].includes(setting) };
  } catch {
    return { setting: 'unavailable', huge: false };
  }
}

function nodeVersion(bin) {
  return spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

async function runPython() {
  const want = OPT.only.filter(r => r.startsWith('py-'));
  if (want.length === 0) return;
  if (!OPT.python) {
    notes.push('Python rows: skipped (--no-python)');
    return;
  }
  const probe = spawnSync('python3', ['-c', 'import numpy, sys; print(numpy.__version__, sys.version.split()[0])'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    notes.push('Python rows: skipped: `python3 -c "import numpy"` fails here (install numpy: pip install numpy, or apt-get install python3-numpy)');
    for (const row of want) results.push({ row, label: row === 'py-shm' ? 'python SharedMemory' : 'python fork COW', kernel: 'numpy', workers: null, skipped: 'numpy missing' });
    return;
  }
  const [numpyVersion, pythonVersion] = probe.stdout.trim().split(' ');
  const args = [path.join(__dirname, 'seed.py'), '--file', FILE, '--elements', String(ELEMENTS), '--reference', String(REFERENCE), '--workers', OPT.workers.join(','), '--runs', String(OPT.runs), '--sessions', String(OPT.sessions), '--rows', want.join(',')];
  const py = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  tracked.add(py.pid);
  let out = '';
  py.stdout.setEncoding('utf8');
  py.stdout.on('data', d => (out += d));
  const { code } = await new Promise(r => py.on('exit', (c, s) => r({ code: c ?? s })));
  tracked.delete(py.pid);
  if (code !== 0) throw new Error(`bench/seed.py exited ${code}`);
  const last = JSON.parse(out.trim().split('\n').pop());
  for (const r of last.rows) {
    if (r.sum !== REFERENCE) throw new Error(`${r.row}: seed.py's sum ${r.sum} is not the reference ${REFERENCE}`);
    results.push(r);
  }
  return { python: pythonVersion, numpy: numpyVersion };
}

// ---- the table ----------------------------------------------------------------------------------------------------

function fmt(x, digits = 1) {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x >= 1000 ? x.toFixed(0) : x.toFixed(digits);
}

function printTable() {
  const head = ['strategy', 'kernel', 'workers', 'first scan ms', 'warm ms median [min-max]', 'in-worker warm ms', 'incl. start-up ms', 'start-up ms', 'IPC/this', 'SAB/this'];
  const body = [];
  for (const n of OPT.workers) {
    for (const r of results.filter(x => x.workers === n && !x.skipped)) {
      // the ratios: IPC's (or worker_threads + SAB's) warm median over this row's, same worker count and kernel
      // (Python and C rows against the natural kernel)
      const k = KERNELS.includes(r.kernel) ? r.kernel : 'natural';
      const ipc = result('ipc', 'natural', n); // IPC runs the natural kernel only (its time is the transfer)
      const sab = result('sab', k, n);
      body.push([r.label, r.kernel, String(n), fmt(r.firstMs), `${fmt(r.warmMedianMs)} [${fmt(r.warmMinMs)}-${fmt(r.warmMaxMs)}]`, fmt(r.workerWarmMedianMs), fmt(r.includedMs), fmt(r.startupMs), ipc ? `${fmt(ipc.warmMedianMs / r.warmMedianMs)}x` : '-', sab ? `${fmt(sab.warmMedianMs / r.warmMedianMs, 2)}x` : '-']);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)));
  const line = cells => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
  for (const r of results.filter(x => x.skipped)) console.log(`${r.label}: skipped (${r.skipped})`);
  for (const note of notes) console.log(`note: ${note}`);
}

/** natural / param warm medians over the Node rows: what writing the loop inline costs here (see the header). */
function kernelNote() {
  const ratios = [];
  for (const r of results) {
    const p = r.kernel === 'natural' && result(r.row, 'param', r.workers);
    if (p) ratios.push(r.warmMedianMs / p.warmMedianMs);
  }
  if (ratios.length === 0) return;
  const m = median(ratios);
  notes.push(
    `natural / param kernel, warm medians of the Node rows: median ${m.toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})` +
      (m > 1.3 ? '; the inline loop is often left in slower code by V8 tiering after its first, on-stack-replaced call (Node 20; see the header of bench/seed.js); Node 24 (--node) showed no gap' : ''),
  );
}

/**
 * prefork fork mode's first scans in the slowest worker, wall against CPU time, where each worker has a core: a first
 * scan whose wall time is well above its CPU time lost that time to another process, not to its own start.
 */
function firstScanNote() {
  for (const r of results.filter(x => x.row === 'prefork-fork' && x.workers <= CORES && x.firstWorkerSamples?.length)) {
    const s = r.firstWorkerSamples.filter(w => w.cpuMs !== undefined);
    if (s.length) notes.push(`prefork fork's first scans (${r.kernel}, ${r.workers} workers), in the slowest worker, ms wall / on a CPU: ${s.map(w => `${fmt(w.ms)} / ${fmt(w.cpuMs)}`).join(', ')}; its warm median there ${fmt(r.workerWarmMedianMs)}`);
  }
}

/**
 * What the C row says of the Node rows, per worker count: the serial loop's time in C (one float64 add per element,
 * each waiting for the last), worker_threads + SAB's beside it, and whether 0.9x of worker_threads + SAB's median
 * is below the fastest warm round any row running that loop made in this run (Python's numpy and four sums aside).
 */
function floorNote(floor) {
  if (!floor) return;
  for (const n of OPT.workers) {
    const c = result('c', 'serial', n);
    const four = result('c', 'four', n);
    const sab = result('sab', 'natural', n);
    if (!c) continue;
    // elements one core sums: its worker's slice, or with more workers than cores, its share of the round
    const ns = ((n <= CORES ? c.workerWarmMedianMs : c.warmMedianMs) * 1e6) / (ELEMENTS / Math.min(n, CORES));
    // a busy machine only adds time: the fastest warm round of any row running this loop says what the loop can do
    const same = results.filter(r => r.workers === n && r.row !== 'ipc' && ['natural', 'param', 'serial'].includes(r.kernel) && Number.isFinite(r.warmMinMs));
    const fastest = same.reduce((a, r) => (r.warmMinMs < a.warmMinMs ? r : a), c);
    const goal = sab && 0.9 * sab.warmMedianMs;
    notes.push(
      `the floor, ${n} workers (${floor.cc}): the serial C loop's warm ${fmt(c.warmMedianMs)} ms [${fmt(c.warmMinMs)}-${fmt(c.warmMaxMs)}] (in the worker ${fmt(c.workerWarmMedianMs)} ms, ${ns.toFixed(2)} ns per element a core, as one dependent add each would take)` +
        (sab ? ` is ${(c.warmMedianMs / sab.warmMedianMs).toFixed(2)}x worker_threads + SAB's median (${fmt(sab.warmMedianMs)} ms)` : '') +
        `; the fastest warm round of any row running this loop: ${fmt(fastest.warmMinMs)} ms (${fastest.label}, ${fastest.kernel})` +
        (sab ? `; 0.9x worker_threads + SAB's median, ${fmt(goal)} ms, is ${goal < fastest.warmMinMs ? `${(((fastest.warmMinMs - goal) / fastest.warmMinMs) * 100).toFixed(0)} % below that round` : 'not below it (worker_threads + SAB ran slow in this run)'}` : '') +
        (four ? `; four independent sums take ${fmt(four.warmMedianMs)} ms${four.warmMedianMs < 0.8 * c.warmMedianMs ? ' (the chain of adds, not the memory, sets the serial time)' : ''}` : ''),
    );
  }
}

/** The issue's three claims, checked on prefork's fork-mode row, per kernel and worker count. */
function checks() {
  const out = [];
  for (const n of OPT.workers) {
    for (const kernel of KERNELS) {
      const p = result('prefork-fork', kernel, n);
      const ipc = result('ipc', 'natural', n);
      if (p && ipc) out.push({ check: 'prefork-fork warm >= 30x faster than ipc', kernel, workers: n, ratio: round1(ipc.warmMedianMs / p.warmMedianMs), pass: ipc.warmMedianMs / p.warmMedianMs >= 30 });
      if (p && Number.isFinite(p.firstMs)) out.push({ check: 'prefork-fork first scan within 1.2x of warm', kernel, workers: n, ratio: Math.round((p.firstMs / p.warmMedianMs) * 100) / 100, pass: p.firstMs <= 1.2 * p.warmMedianMs });
      const sab = result('sab', kernel, n);
      if (p && sab) out.push({ check: 'prefork-fork warm <= 0.9x worker_threads + SAB', kernel, workers: n, ratio: Math.round((p.warmMedianMs / sab.warmMedianMs) * 100) / 100, pass: p.warmMedianMs <= 0.9 * sab.warmMedianMs });
    }
  }
  return out;
}

// ---- main ---------------------------------------------------------------------------------------------------------

async function main() {
  const t0 = now();
  const thp = thpAllowed();
  const machine = {
    nproc: CORES,
    cpu: os.cpus()[0]?.model,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    loadavgAtStart: os.loadavg().map(x => Math.round(x * 100) / 100),
    shmemThp: thp.setting,
    node: nodeVersion(OPT.node),
    nodeBin: OPT.node,
    parentNode: process.version,
  };
  log(`${(BYTES / 1e6).toFixed(0)} MB float64 (${ELEMENTS} elements), workers ${OPT.workers.join(',')}, rows ${OPT.only.join(',')}; Node ${machine.node}; load ${machine.loadavgAtStart.join(' ')}`);
  ensureData();
  const want = r => OPT.only.includes(r);
  const shmFile = `/dev/shm/prefork-seed-${process.pid}.f64`;
  const NAMES = {
    ipc: 'structured-clone IPC',
    sab: 'worker_threads + SAB',
    'prefork-fork': 'prefork fork',
    'prefork-fork-nopop': 'prefork fork, no populate',
    'prefork-exec': 'prefork exec',
    'prefork-exec-nopop': 'prefork exec, no populate',
    'prefork-thp': 'prefork fork, shmem THP',
    'mmap-disk': 'mmap file (page cache)',
    'mmap-disk-pop': 'mmap file + populate',
    'mmap-shm': 'mmap /dev/shm',
    'mmap-shm-pop': 'mmap /dev/shm + populate',
    cow: 'prefork --preload heap COW',
    c: 'C, cc -O2 (the floor)',
  };
  const plan = [];
  const noPop = { [NO_POPULATE_ENV]: '1' };
  if (want('sab')) plan.push(['sab', n => () => threadPool(n)]);
  if (want('prefork-fork')) plan.push(['prefork-fork', n => () => preforkPool(n, { app: 'seed-sum.js' })]);
  if (want('prefork-fork-nopop')) plan.push(['prefork-fork-nopop', n => () => preforkPool(n, { app: 'seed-sum.js', env: noPop })]);
  if (want('prefork-exec')) plan.push(['prefork-exec', n => () => preforkPool(n, { app: 'seed-sum.js', mode: 'exec' })]);
  if (want('prefork-exec-nopop')) plan.push(['prefork-exec-nopop', n => () => preforkPool(n, { app: 'seed-sum.js', mode: 'exec', env: noPop })]);
  if (want('prefork-thp')) {
    if (thp.huge) plan.push(['prefork-thp', n => () => preforkPool(n, { app: 'seed-sum.js' })]);
    else notes.push(`prefork, shmem THP: skipped: ${THP_FILE} is '${thp.setting}', so prefork's memfds use 4 KiB pages (the prefork rows above). To measure it: \`echo advise | sudo tee ${THP_FILE}\` (prefork asks for huge pages with MADV_HUGEPAGE; its workers still pre-fault them), then --only prefork-thp`);
  }
  if (want('mmap-disk')) plan.push(['mmap-disk', n => () => childPool(n, 'mmap', { file: FILE, populate: false })]);
  if (want('mmap-disk-pop')) plan.push(['mmap-disk-pop', n => () => childPool(n, 'mmap', { file: FILE, populate: true })]);
  if (want('mmap-shm')) plan.push(['mmap-shm', n => () => childPool(n, 'mmap', { file: shmFile, populate: false })]);
  if (want('mmap-shm-pop')) plan.push(['mmap-shm-pop', n => () => childPool(n, 'mmap', { file: shmFile, populate: true })]);
  if (want('cow')) plan.push(['cow', n => () => preforkPool(n, { app: 'seed-cow.js', preload: true, share: false })]);
  const floor = want('c') ? floorBinary() : undefined;
  if (floor) plan.push(['c', n => () => floorPool(n, floor.out)]);

  // IPC first (its parent copy is freed before the rest), then the others
  if (want('ipc')) {
    const array = new Float64Array(ELEMENTS);
    readWhole(FILE, array.buffer);
    for (const n of OPT.workers) await runRow('ipc', 'structured-clone IPC', n, () => childPool(n, 'ipc', { array }), { sessions: 1, runs: OPT.ipcRuns, kernels: ['natural'] });
  }
  const lastShm = plan.map(p => p[0]).filter(r => r.startsWith('mmap-shm')).pop();
  for (const [row, make] of plan) {
    if (row === 'sab') await startThreadHost();
    if (row.startsWith('mmap-shm') && !fs.existsSync(shmFile)) {
      tempFiles.add(shmFile);
      fs.copyFileSync(FILE, shmFile);
    }
    const sessions = row === 'prefork-fork' ? Math.max(OPT.sessions, OPT.checkSessions) : OPT.sessions;
    const kernels = row === 'c' ? C_KERNELS : KERNELS;
    for (const n of OPT.workers) await runRow(row, NAMES[row], n, make(n), { sessions, kernels });
    if (row === 'sab' && threadHost) {
      await endChildren([threadHost]);
      threadHost = undefined;
    }
    if (row === lastShm) {
      fs.rmSync(shmFile, { force: true });
      tempFiles.delete(shmFile);
    }
  }
  const versions = await runPython();
  kernelNote();
  firstScanNote();
  floorNote(floor);
  printTable();
  const claimed = checks();
  for (const c of claimed) console.log(`check: ${c.check} (${c.kernel}, ${c.workers} workers): ${c.ratio}x: ${c.pass ? 'yes' : 'NO'}`);
  if (OPT.clean) fs.rmSync(FILE, { force: true });
  const seed = {
    config: { bytes: BYTES, elements: ELEMENTS, file: path.relative(ROOT, FILE), reference: REFERENCE, workers: OPT.workers, runs: OPT.runs, sessions: OPT.sessions, checkSessions: OPT.checkSessions, ipcRuns: OPT.ipcRuns, rows: OPT.only, kernels: KERNELS, cKernels: C_KERNELS },
    machine: { ...machine, ...(versions ?? {}), loadavgAtEnd: os.loadavg().map(x => Math.round(x * 100) / 100) },
    article: { source: 'Sharing big NumPy arrays across python processes', workers: 4, ms: { pickle: 4137, forkCow: 80, rawArray: 102, mmapTmp: 160, mmapDevShm: 109, sharedMemory: 100, ray: 71 } },
    results: results.map(r => ({ ...r, firstMs: round1(r.firstMs), warmMedianMs: round1(r.warmMedianMs), warmMinMs: round1(r.warmMinMs), warmMaxMs: round1(r.warmMaxMs), workerWarmMedianMs: round1(r.workerWarmMedianMs), startupMs: round1(r.startupMs), includedMs: round1(r.includedMs) })),
    checks: claimed,
    notes,
    elapsedS: Math.round((now() - t0) / 100) / 10,
  };
  log(`done in ${seed.elapsedS} s`);
  console.log(JSON.stringify({ seed }));
}

main().then(
  () => process.exit(0),
  e => {
    console.error(`seed: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
