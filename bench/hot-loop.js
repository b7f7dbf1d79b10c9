#!/usr/bin/env node
// Hot loops over a shared dataset, per Node version: the first N scans of a float64 array (64M elements, 512 MB by
// default), each one HTTP request to a 1-worker prefork (bin/prefork start bench/apps/hot-loop.js --share big=…:f64),
// timed inside the handler (process.hrtime) and returned in the body. Rows, for every Node binary found:
//
//   fork            prefork, fork mode, with this Node's V8 flags (src/supervisor/v8-tuning.ts)
//   fork-untuned    the same with _PREFORK_NO_V8_TUNING=1 (only where the table has speed flags for this Node)
//   exec            prefork --worker-mode exec
//   plain           `node` serving the same app with http.createServer, the file read into a Float64Array
//   threads         a worker_thread over a SharedArrayBuffer (bench/apps/hot-loop-thread.js): the warm reference
//
// and two loops in each: `natural` (the array at module level, the loop in the handler: GET /) and `param` (the
// same loop in a function taking the array: GET /param), N scans of each, natural first, in one process. Fork mode
// is skipped where prefork refuses it (a Node major it was not tested on). The table shows every scan (wall ms)
// and, per row, first/warm and warm/threads, warm being the median of the scans after the second. The last line of
// stdout is one JSON object, {"hotLoop": {...}}, with every number (wall and CPU ms per scan).
//
// Options: --nodes 20,22,24,26 (majors; each is this node, `node` on PATH, or DIR/V/package/bin/node under
// --node-cache DIR, default .cache/node as scripts/node-matrix.sh fills it), --elements N (default 67108864),
// --scans N (default 8). Every process started here is tracked by pid and ended at the end of its row, and again
// on exit, error, time-out or signal.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { onLines } = require('./procs');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'prefork');
const APP = path.join(__dirname, 'apps', 'hot-loop.js');
const THREAD = path.join(__dirname, 'apps', 'hot-loop-thread.js');
const DATA_DIR = path.join(__dirname, 'data');
const { v8Tuning, NO_V8_TUNING_ENV } = require('../dist/supervisor/v8-tuning.js');
const { forkUnsafeReason } = require('../dist/cli/node-support.js');

// ---- options -------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { nodes: [20, 22, 24, 26], elements: 64 * 1024 * 1024, scans: 8, nodeCache: path.join(ROOT, '.cache', 'node') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--nodes') opts.nodes = value().split(',').map(Number);
    else if (a === '--elements') opts.elements = Number(value());
    else if (a === '--scans') opts.scans = Number(value());
    else if (a === '--node-cache') opts.nodeCache = path.resolve(value());
    else usage(`unknown argument '${a}'`);
  }
  if (opts.nodes.some(n => !Number.isInteger(n) || n < 1)) usage('--nodes takes majors, such as 20,22,24,26');
  if (!Number.isInteger(opts.elements) || opts.elements < 1024) usage('--elements must be an integer >= 1024');
  if (!Number.isInteger(opts.scans) || opts.scans < 3) usage('--scans must be an integer >= 3');
  return opts;
}

function usage(msg) {
  console.error(`hot-loop: ${msg} (options: --nodes 20,22,24,26, --elements N, --scans N, --node-cache DIR)`);
  process.exit(2);
}

const OPTS = parseArgs(process.argv.slice(2));
const LIMIT_MS = 240_000; // a hard stop, far above the ~70 s the defaults take here

// ---- processes -----------------------------------------------------------------------------------------------------

/** pid → label of every process started here that may still run. */
const tracked = new Map();
/** Control sockets of supervisors started here (a SIGKILLed one leaves its file behind). */
const sockets = new Set();

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, each pid; a prefork supervisor ends its zygote and workers on SIGTERM. */
async function killPids(pids, graceMs = 3000) {
  pids = pids.filter(p => p > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  const until = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < until) await sleep(50);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    tracked.delete(pid);
  }
}

/** Synchronous last resort (exit, signal): SIGKILL everything still tracked. */
function killAllNow() {
  for (const pid of tracked.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  tracked.clear();
  for (const f of sockets) fs.rmSync(f, { force: true });
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAllNow();
    process.exit(130);
  });
}
const limit = setTimeout(() => {
  console.error(`hot-loop: not done within ${LIMIT_MS / 1000} s: stopping`);
  killAllNow();
  process.exit(1);
}, LIMIT_MS);
limit.unref();

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/** A child whose output lines are kept; `waitLine(re)` resolves with the first match. Workers' pids are tracked. */
class Proc {
  constructor(label, node, args, env) {
    this.label = label;
    this.lines = [];
    this.child = spawn(node, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid ?? 0;
    this.children = [];
    tracked.set(this.pid, label);
    this.exited = false;
    this.waiters = new Set();
    this.child.on('exit', () => {
      this.exited = true;
      tracked.delete(this.pid);
      for (const w of [...this.waiters]) w();
    });
    for (const stream of ['stdout', 'stderr']) {
      onLines(this.child[stream], parts => {
        for (const text of parts) {
          this.lines.push(text);
          for (const m of text.matchAll(/\(pid (\d+)\)/g)) {
            const pid = Number(m[1]);
            if (!tracked.has(pid)) this.children.push(pid);
            tracked.set(pid, `${label} child`);
          }
        }
        for (const w of [...this.waiters]) w();
      });
    }
  }

  waitLine(re, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const text of this.lines) {
          const m = text.match(re);
          if (m) return done(() => resolve(m));
        }
        if (this.exited) done(() => reject(new Error(`${this.label} exited before printing ${re}:\n${this.lines.slice(-15).join('\n')}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${this.label}: no line matching ${re} within ${timeoutMs} ms:\n${this.lines.slice(-15).join('\n')}`))), timeoutMs);
      const done = then => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop() {
    await killPids([this.pid]);
    await killPids(this.children.filter(alive), 1000); // PDEATHSIG ends prefork's; this is the fallback
  }
}

// ---- measuring -----------------------------------------------------------------------------------------------------

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 60_000 }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', d => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new Error(`GET ${urlPath}: not JSON (${res.statusCode}): ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: timed out`)));
    req.on('error', reject);
  });
}

/** `scans` scans of each loop against a server on `port`: {natural: {ms, cpu}, param: {ms, cpu}}. */
async function scanServer(port) {
  const out = {};
  for (const [kind, urlPath] of [['natural', '/'], ['param', '/param']]) {
    const ms = [];
    const cpu = [];
    let sum;
    for (let i = 0; i < OPTS.scans; i++) {
      const r = await get(port, urlPath);
      if (sum !== undefined && r.s !== sum) throw new Error(`${kind}: sums differ (${sum}, ${r.s})`);
      sum = r.s;
      ms.push(round(r.ms));
      cpu.push(round(r.cpu));
    }
    out[kind] = { ms, cpu };
  }
  return out;
}

async function preforkRow(node, file, mode, env) {
  const label = `prefork ${mode}`;
  const control = path.join(os.tmpdir(), `prefork-hot-loop-${process.pid}-${++serial}.sock`);
  const args = [BIN, 'start', APP, '--share', `big=${file}:f64`, '--bind', '127.0.0.1:0', '--workers', '1', '--worker-mode', mode, '--control', control, '--name', `hot-loop-${process.pid}-${serial}`];
  sockets.add(control);
  const p = new Proc(label, node, args, cleanEnv(env));
  try {
    const port = Number((await p.waitLine(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    await p.waitLine(/generation 1 ready/);
    const scans = await scanServer(port);
    const notes = p.lines.filter(l => /\[warn\]/.test(l) && /hot loops|worker mode/.test(l)).map(l => l.replace(/^.*\[warn\] /, ''));
    return { ...scans, ...(notes.length ? { notes } : {}) };
  } finally {
    await p.stop();
    fs.rmSync(control, { force: true });
    sockets.delete(control);
  }
}
let serial = 0;

async function plainRow(node, file) {
  const code = "const s = require('node:http').createServer(require(process.argv[1])); s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));";
  const p = new Proc('plain node', node, ['-e', code, APP], cleanEnv({ HOT_LOOP_FILE: file }));
  try {
    const port = Number((await p.waitLine(/^port (\d+)/))[1]);
    return await scanServer(port);
  } finally {
    await p.stop();
  }
}

/** worker_threads + SharedArrayBuffer, in a child `node` of this version (the file read into the SAB there). */
async function threadsRow(node, file) {
  const code = `
    const { Worker } = require('node:worker_threads');
    const fs = require('node:fs');
    const [file, thread, scans] = process.argv.slice(1);
    const sab = new SharedArrayBuffer(fs.statSync(file).size);
    const fd = fs.openSync(file, 'r');
    const u8 = new Uint8Array(sab);
    for (let off = 0; off < u8.length; ) off += fs.readSync(fd, u8, off, Math.min(1 << 26, u8.length - off), off);
    fs.closeSync(fd);
    const w = new Worker(thread, { workerData: sab });
    const ask = kind => new Promise(resolve => { w.once('message', resolve); w.postMessage(kind); });
    (async () => {
      const out = {};
      for (const kind of ['natural', 'param']) {
        out[kind] = { ms: [] };
        for (let i = 0; i < Number(scans); i++) out[kind].ms.push(Math.round((await ask(kind)).ms * 10) / 10);
      }
      console.log('result ' + JSON.stringify(out));
      await w.terminate();
    })();`;
  const p = new Proc('worker_threads', node, ['-e', code, file, THREAD, String(OPTS.scans)], cleanEnv());
  try {
    return JSON.parse((await p.waitLine(/^result (.*)$/, 120_000))[1]);
  } finally {
    await p.stop();
  }
}

// ---- helpers -------------------------------------------------------------------------------------------------------

const round = x => Math.round(x * 10) / 10;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Warm: the median of the scans after the second. */
const warm = ms => median(ms.slice(2));

/** The Node binary for a major: this one, `node` on PATH, or the cache; undefined when none is found. */
function nodeFor(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const which = spawnSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
  if (which.status === 0 && Number(which.stdout.trim().split('.')[0]) === major) return 'node';
  const cached = path.join(OPTS.nodeCache, String(major), 'package', 'bin', 'node');
  return fs.existsSync(cached) ? cached : undefined;
}

function versionOf(node) {
  return spawnSync(node, ['-p', 'process.versions.node + " " + process.versions.v8'], { encoding: 'utf8' }).stdout.trim();
}

/** bench/data/hot-loop-N.f64: N float64s, i % 1000 / 2 (made once). */
function dataFile() {
  const file = path.join(DATA_DIR, `hot-loop-${OPTS.elements}.f64`);
  if (fs.existsSync(file) && fs.statSync(file).size === OPTS.elements * 8) return file;
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  const chunk = new Float64Array(1 << 20);
  for (let done = 0; done < OPTS.elements; done += chunk.length) {
    const n = Math.min(chunk.length, OPTS.elements - done);
    for (let i = 0; i < n; i++) chunk[i] = ((done + i) % 1000) * 0.5;
    fs.writeSync(fd, new Uint8Array(chunk.buffer, 0, n * 8));
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return file;
}

function loadavg() {
  return os.loadavg().map(x => x.toFixed(2)).join(' ');
}

// ---- main ----------------------------------------------------------------------------------------------------------

async function main() {
  const file = dataFile();
  console.log(`hot loops: ${OPTS.elements} float64 elements (${((OPTS.elements * 8) / 2 ** 20).toFixed(0)} MiB), ${OPTS.scans} scans per loop, 1 worker; wall ms per scan, timed in the handler`);
  console.log(`load average at start: ${loadavg()} (${os.cpus().length} CPUs)`);
  const result = { elements: OPTS.elements, scans: OPTS.scans, loadavg: os.loadavg(), nodes: {} };
  let order = 0;
  for (const major of OPTS.nodes) {
    const node = nodeFor(major);
    if (!node) {
      console.log(`\nNode ${major}: no binary found (this node, node on PATH, ${path.join(OPTS.nodeCache, String(major))}): skipped`);
      result.nodes[major] = { skipped: 'no binary' };
      continue;
    }
    const [version, v8] = versionOf(node).split(' ');
    const tuning = v8Tuning(version);
    const rows = ['fork', 'exec', 'plain', 'threads'];
    if (tuning.speedFlags.length) rows.splice(1, 0, 'fork-untuned');
    if (forkUnsafeReason(version)) rows.splice(0, rows.indexOf('exec')); // prefork refuses fork mode there
    if (order++ % 2) rows.reverse(); // alternate the order from one Node to the next
    const entry = { version, v8, zygoteFlags: tuning.zygoteFlags, rows: {} };
    result.nodes[major] = entry;
    console.log(`\nNode ${version} (V8 ${v8}), zygote flags: ${entry.zygoteFlags.join(' ') || 'none'}; load ${loadavg()}`);
    for (const row of rows) {
      try {
        if (row === 'fork') entry.rows[row] = await preforkRow(node, file, 'fork', {});
        else if (row === 'fork-untuned') entry.rows[row] = await preforkRow(node, file, 'fork', { [NO_V8_TUNING_ENV]: '1' });
        else if (row === 'exec') entry.rows[row] = await preforkRow(node, file, 'exec', {});
        else if (row === 'plain') entry.rows[row] = await plainRow(node, file);
        else entry.rows[row] = await threadsRow(node, file);
      } catch (e) {
        entry.rows[row] = { error: String(e.message ?? e).split('\n')[0] };
        console.log(`  ${row}: failed: ${String(e.message ?? e)}`);
        process.exitCode = 1;
      }
    }
    printTable(entry);
  }
  console.log(JSON.stringify({ hotLoop: result }));
}

function printTable(entry) {
  const ref = { natural: entry.rows.threads?.natural?.ms, param: entry.rows.threads?.param?.ms };
  const order = ['fork', 'fork-untuned', 'exec', 'plain', 'threads'].filter(r => entry.rows[r]);
  for (const kind of ['natural', 'param']) {
    console.log(`  ${kind === 'natural' ? 'natural loop (module-level array, loop in the handler)' : 'param loop (the array passed to a function)'}`);
    console.log(`    ${'row'.padEnd(13)} ${Array.from({ length: OPTS.scans }, (_, i) => `#${i + 1}`.padStart(6)).join('')}   first/warm  warm/threads`);
    for (const r of order) {
      const d = entry.rows[r];
      if (d.error) {
        console.log(`    ${r.padEnd(13)} failed: ${d.error}`);
        continue;
      }
      const ms = d[kind].ms;
      const w = warm(ms);
      const vsRef = ref[kind] ? (w / warm(ref[kind])).toFixed(2) : '-';
      console.log(`    ${r.padEnd(13)} ${ms.map(x => x.toFixed(0).padStart(6)).join('')}   ${(ms[0] / w).toFixed(2).padStart(9)}x  ${vsRef.padStart(11)}x`);
      d[kind].warm = w;
      d[kind].firstOverWarm = Math.round((ms[0] / w) * 100) / 100;
      if (ref[kind]) d[kind].warmOverThreads = Number(vsRef);
    }
  }
  for (const r of order) for (const n of entry.rows[r].notes ?? []) console.log(`    ${r}: log: ${n}`);
}

main().catch(e => {
  console.error(`hot-loop: ${e.stack ?? e}`);
  killAllNow();
  process.exit(1);
});
