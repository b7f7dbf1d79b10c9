#!/usr/bin/env node
// How fast prefork loads a big .npy into a sealed memfd, next to `cp` of the same file into /dev/shm (the copy a user
// would otherwise make to share it). Both read from a warm page cache and write fresh shared memory, so the ratio is
// what prefork's pread-into-mapping copy costs over the kernel's own copy.
//
//   node bench/load.js                 # 1.5 GB float32 [6000000, 64], cached in bench/data/ (git-ignored)
//   node bench/load.js --size-mb 200   # a smaller file for a quick run
//   node bench/load.js --rounds 7      # more samples: on a VM, timings of fresh memory vary a lot between runs
//
// Needs `npm run build` (it requires ../dist). Memory: the page cache holds the file, and at most one copy (the memfd
// or the /dev/shm file) exists at a time.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'dist');
const COLS = 64;
const ITEM = 4;
const WRITE_CHUNK = 16 << 20;
const SHM = `/dev/shm/prefork-bench-${process.pid}`;

function usage(message) {
  process.stderr.write(`${message}\nusage: node bench/load.js [--size-mb N] [--rounds N]\n`);
  process.exit(64);
}

/** --size-mb N → rows of 64 float32s (default 6,000,000 rows: 1,536,000,000 bytes); --rounds N (default 3). */
function parseArgs(argv) {
  let rows = 6_000_000;
  let rounds = 3;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(size-mb|rounds)(?:=(.*))?$/.exec(argv[i]);
    if (m === null) usage(`unknown argument '${argv[i]}'`);
    const value = m[2] ?? argv[++i];
    const n = Number(value);
    if (m[1] === 'size-mb') {
      if (!Number.isFinite(n) || n <= 0) usage(`--size-mb must be a positive number, got '${value}'`);
      rows = Math.max(1, Math.floor((n * 1e6) / (COLS * ITEM)));
    } else {
      if (!Number.isSafeInteger(n) || n < 1) usage(`--rounds must be a positive integer, got '${value}'`);
      rounds = n;
    }
  }
  return { rows, rounds };
}

/** A v1 .npy header for float32 [rows, 64], padded with spaces and '\n' so the data starts at a multiple of 64. */
function npyHeader(rows) {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${COLS}), }`;
  const padded = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const h = Buffer.alloc(10 + padded, 0x20);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = 1;
  h[7] = 0;
  h.writeUInt16LE(padded, 8);
  h.write(dict, 10, 'latin1');
  h[h.length - 1] = 0x0a;
  return h;
}

/** The cached file for `rows`, written in 16 MiB chunks (never one big Buffer) under a temp name, then renamed. */
function ensureFile(rows) {
  const dir = path.join(__dirname, 'data');
  const file = path.join(dir, `f32-${rows}x${COLS}.npy`);
  const header = npyHeader(rows);
  const size = header.length + rows * COLS * ITEM;
  if (fs.existsSync(file) && fs.statSync(file).size === size) {
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(header.length);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    if (head.equals(header)) return file;
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  process.stdout.write(`writing ${file} (${(size / 1e6).toFixed(0)} MB)... `);
  const started = process.hrtime.bigint();
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, header);
    const chunk = new Float32Array(WRITE_CHUNK / ITEM);
    let seed = 12345;
    for (let i = 0; i < chunk.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      chunk[i] = seed / 2 ** 32 - 0.5;
    }
    const bytes = new Uint8Array(chunk.buffer);
    let left = size - header.length;
    for (let n = 0; left > 0; n++) {
      chunk[0] = n; // every chunk differs a little
      const len = Math.min(left, bytes.length);
      fs.writeSync(fd, bytes, 0, len);
      left -= len;
    }
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  process.stdout.write(`${seconds(started).toFixed(1)} s\n`);
  return file;
}

/** Reads the whole file once so both contenders copy from the page cache. */
function warm(file) {
  const buf = Buffer.allocUnsafe(WRITE_CHUNK);
  const fd = fs.openSync(file, 'r');
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

const seconds = started => Number(process.hrtime.bigint() - started) / 1e9;

function removeShm() {
  fs.rmSync(SHM, { force: true });
}

/** (a) prefork: plan, memfd, fill through a mapping, seal; the memfd is freed by close(). */
async function preforkOnce(loadDataset, file) {
  const started = process.hrtime.bigint();
  const shared = await loadDataset({ name: 'bench', path: file });
  const s = seconds(started);
  shared.close();
  return s;
}

let cpChild;

/** (b) `cp FILE /dev/shm/…`, then rm (not timed). Async, so a signal is handled (and cp killed) at once. */
async function cpOnce(file) {
  removeShm();
  const started = process.hrtime.bigint();
  const child = spawn('cp', [file, SHM], { stdio: ['ignore', 'ignore', 'pipe'] });
  cpChild = child;
  let stderr = '';
  child.stderr.on('data', d => (stderr += d));
  const [code, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, sig) => resolve([c, sig]));
  });
  const s = seconds(started);
  cpChild = undefined;
  removeShm();
  if (code !== 0) throw new Error(`cp failed (${code ?? signal}): ${stderr}`);
  return s;
}

/** Copies left by a run that was SIGKILLed (whose pid is gone). */
function removeStaleShm() {
  for (const f of fs.readdirSync('/dev/shm')) {
    const pid = Number(/^prefork-bench-(\d+)$/.exec(f)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      fs.rmSync(path.join('/dev/shm', f), { force: true });
    }
  }
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (bytes, s) => bytes / 1e6 / s;

async function main() {
  const { rows, rounds } = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(DIST, 'datasets', 'load.js'))) usage('dist/ is missing: run `npm run build` first');
  const { loadDataset } = require(path.join(DIST, 'datasets', 'load.js'));
  const { hugePagePolicy } = require(path.join(DIST, 'datasets', 'hugepages.js'));

  removeStaleShm();
  const file = ensureFile(rows);
  const bytes = fs.statSync(file).size;
  const policy = hugePagePolicy();
  console.log(`node ${process.version}, Linux ${os.release()}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`);
  console.log(`file: ${file}, float32 [${rows}, ${COLS}], ${bytes} bytes`);
  console.log(`huge pages: ${policy.huge ? 'yes' : 'no'} (shmem_enabled = ${policy.setting}); ${policy.advice}`);
  let started = process.hrtime.bigint();
  warm(file);
  console.log(`page cache warmed (read once in ${seconds(started).toFixed(2)} s)`);

  const times = { prefork: [], cp: [] };
  for (let round = 1; round <= rounds; round++) {
    // Alternate which goes first, so neither always runs right after the other freed its memory.
    const order = round % 2 === 1 ? ['prefork', 'cp'] : ['cp', 'prefork'];
    for (const which of order) {
      const s = which === 'prefork' ? await preforkOnce(loadDataset, file) : await cpOnce(file);
      times[which].push(s);
      console.log(`  round ${round} ${which.padEnd(7)} ${s.toFixed(3)} s  ${mbps(bytes, s).toFixed(0)} MB/s`);
    }
  }
  const row = which => {
    const best = Math.min(...times[which]);
    const med = median(times[which]);
    return { best, med, line: `${which.padEnd(7)} best ${mbps(bytes, best).toFixed(0).padStart(6)} MB/s (${best.toFixed(3)} s)  median ${mbps(bytes, med).toFixed(0).padStart(6)} MB/s (${med.toFixed(3)} s)` };
  };
  const p = row('prefork');
  const c = row('cp');
  console.log(`\nover ${rounds} runs (MB = 10^6 bytes):`);
  console.log(`  ${p.line}  [loadDataset into a sealed memfd]`);
  console.log(`  ${c.line}  [cp FILE /dev/shm/…]`);
  console.log(`  prefork/cp throughput: best ${(c.best / p.best).toFixed(2)}x, median ${(c.med / p.med).toFixed(2)}x`);
  // the last line: what bench/run.js collects
  console.log(JSON.stringify({ load: { node: process.version, bytes, rounds, huge: policy.huge, seconds: times, best: { prefork: p.best, cp: c.best }, median: { prefork: p.med, cp: c.med } } }));
}

if (require.main === module) {
  // The /dev/shm copy must not outlive the run, whatever ends it.
  process.on('exit', removeShm);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (cpChild?.pid) cpChild.kill('SIGKILL');
      removeShm();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
  main().catch(e => {
    removeShm();
    process.stderr.write(`bench/load.js: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  });
}

module.exports = { ensureFile, COLS };
