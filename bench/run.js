#!/usr/bin/env node
// `npm run bench`: prefork's benchmarks, side by side in one run, each printed as a table with ratios.
//
//   (a) worker start: kill -9 one worker of `prefork start bench/apps/hello.js --workers 2` and time its replacement,
//       in fork mode (with and without --preload) and in exec mode. Three clocks: the worker's own "ready in X ms" (from the log), the supervisor's
//       request → ready (the arrival of its "died" line, after which it requests the replacement in the same tick,
//       to its "ready" line), and kill → ready as seen from here. Each sample uses a fresh supervisor, because the
//       supervisor backs off respawns when workers keep dying (100 ms · 2^n within a minute).
//   (b) memory of idle workers (Pss_Anon, /proc/PID/smaps_rollup): prefork's three modes, node:cluster and
//       plain `node -e` servers running the same handler; then prefork with a 200 MB f32 .npy shared, to show the
//       dataset is one shared copy (Pss_Shmem) and not private memory.
//   (c) req/s of the hello app: prefork (2 workers, fork mode), the same with the workers keeping no scoreboard (the
//       cost of the heartbeat and the per-request counters), and node:cluster (2 workers); wrk -t1 keep-alive, 50
//       connections, a 2 s warm-up then 5 s, in 6 rounds alternated (each round backwards from the last).
//       Under every Node of --nodes (default 20 and 24, as far as this machine has or can fetch them).
//   (f) bench/hot-loop.js (a hot loop over a dataset: the first 8 scans per Node version and worker mode), and
//   (g) bench/seed.js (the seed's table: summing a 1.5 GB Float64Array across 2 and 4 workers, every strategy), then
//   (d) bench/load.js (dataset loading) and (e) bench/reload.js (reload latency and errors under keep-alive load beside
//       node:cluster): each run as a child process with its output passed through and its last line, a JSON object,
//       collected.
//
// Every run writes its results into bench/results/DATE.json (a section run again the same day replaces that section)
// and regenerates bench/README.md and its charts from that file (bench/report.js). Options: see FLAGS below or
// `node bench/run.js --help`. Every process started here is ended by pid when a section ends and again at exit, error
// or signal.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { descendants, isAlive, onLines } = require('./procs');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'prefork');
const HELLO = path.join(__dirname, 'apps', 'hello.js');
const CLUSTER_HELLO = path.join(__dirname, 'apps', 'cluster-hello.js');
const LOAD_BENCH = path.join(__dirname, 'load.js');
const DATA_DIR = path.join(__dirname, 'data');
/** protocol.ts's BENCH_NO_SCOREBOARD_ENV: workers keep no scoreboard. */
const NO_SCOREBOARD_ENV = require('../dist/protocol.js').BENCH_NO_SCOREBOARD_ENV;

const { SECTIONS, FLAGS } = require('./flags');

function usage(message) {
  const rows = Object.entries(FLAGS).map(([k, f]) => [`  --${k}${f.bool ? '' : ' V'}`, f]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  const lines = rows.map(([name, f]) => name.padEnd(width) + `${f.meaning}${f.value ? ` (default ${f.value}${f.quick !== undefined ? `, --quick ${f.quick || 'empty'}` : ''})` : ''}`);
  (message ? console.error : console.log)(`${message ? `bench: ${message}\n` : ''}usage: node bench/run.js [flags]\n${lines.join('\n')}`);
  process.exit(message ? 2 : 0);
}

function parseFlags(argv) {
  const given = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(argv[i]);
    if (m?.[1] === 'help') usage();
    const flag = m && FLAGS[m[1]];
    if (!flag) usage(`unknown argument '${argv[i]}'`);
    if (flag.bool) given[m[1]] = true;
    else {
      const v = m[2] ?? argv[++i];
      if (v === undefined) usage(`--${m[1]} needs a value`);
      given[m[1]] = v;
    }
  }
  const quick = given.quick === true;
  const out = { quick };
  for (const [k, f] of Object.entries(FLAGS)) if (!f.bool) out[k] = given[k] ?? (quick && f.quick !== undefined ? f.quick : f.value);
  for (const k of ['samples', 'rounds', 'duration', 'hot-elements', 'seed-size-mb', 'seed-runs', 'seed-check-sessions']) {
    if (!/^[1-9]\d*$/.test(out[k])) usage(`--${k}: expected a positive integer, got '${out[k]}'`);
    out[k] = Number(out[k]);
  }
  const list = v => v.split(',').filter(Boolean);
  out.only = list(out.only);
  for (const sec of out.only) if (!SECTIONS.includes(sec)) usage(`--only: unknown section '${sec}' (sections: ${SECTIONS.join(', ')})`);
  if (out['seed-node'] && !/^\d+$/.test(out['seed-node'])) usage(`--seed-node: expected a Node major like 24, got '${out['seed-node']}'`);
  for (const k of ['nodes', 'hot-nodes']) {
    out[k] = list(out[k]);
    for (const v of out[k]) if (!/^\d+$/.test(v)) usage(`--${k}: expected Node majors like 20,24, got '${v}'`);
  }
  out.variants = list(out.variants);
  for (const v of out.variants) if (!['prefork', 'no-board', 'cluster', 'pm2'].includes(v)) usage(`--variants: unknown '${v}' (prefork, no-board, cluster, pm2)`);
  if (!['yes', 'no'].includes(out.readme)) usage(`--readme: expected yes or no, got '${out.readme}'`);
  return out;
}

const OPTS = parseFlags(process.argv.slice(2));
const QUICK = OPTS.quick;
const ONLY = OPTS.only;
const CFG = {
  respawnSamples: OPTS.samples,
  settleMs: QUICK ? 500 : 1500,
  connections: 50,
  warmupS: 1,
  durationS: OPTS.duration,
  rounds: OPTS.rounds,
  variants: OPTS.variants,
  nodes: OPTS.nodes,
  datasetMB: 200,
  hotElements: OPTS['hot-elements'],
  hotNodes: OPTS['hot-nodes'],
  seedSizeMB: OPTS['seed-size-mb'],
  seedRuns: OPTS['seed-runs'],
  seedCheckSessions: OPTS['seed-check-sessions'],
  seedNode: OPTS['seed-node'],
  childTimeoutS: QUICK ? 300 : 900,
  limitS: QUICK ? 900 : 2400,
};

try {
  require.resolve('../dist/cli/main.js');
  require.resolve('../dist/index.js');
} catch {
  console.error('bench: dist/ is missing; run `npm run build` first');
  process.exit(1);
}

// ---- processes: everything started here is tracked by pid and ended on every way out --------------------------

/** pid → what it is; every process this script started or saw in a prefork log. */
const tracked = new Map();

function track(pid, label) {
  if (pid > 0 && !tracked.has(pid)) tracked.set(pid, label);
}

/**
 * A process of the kinds this script starts, node or wrk, by its executable (guards against a recycled pid before we
 * signal it; not by its command line, which prefork's processes rewrite to `prefork: worker 1.1 [NAME]`).
 */
function isOurs(pid) {
  try {
    return /^(node|wrk)$/.test(path.basename(fs.readlinkSync(`/proc/${pid}/exe`)));
  } catch {
    return false;
  }
}

function kill(pid, signal = 'SIGKILL') {
  try {
    if (pid > 0 && isOurs(pid)) process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs `pids` and their descendants; returns once all are gone (or after `timeoutMs`). */
async function killTree(pids, timeoutMs = 3000) {
  const all = [...new Set([...pids, ...descendants(pids)])];
  for (const pid of all) kill(pid);
  const end = Date.now() + timeoutMs;
  while (all.some(isAlive) && Date.now() < end) await sleep(20);
  for (const pid of all) if (!isAlive(pid)) tracked.delete(pid);
}

function killEverything() {
  const all = [...tracked.keys()];
  for (const pid of [...all, ...descendants(all)]) kill(pid);
}
process.on('exit', killEverything);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}: ending every process it started`);
    process.exit(130);
  });
}
const limit = setTimeout(() => {
  console.error(`bench: over the ${CFG.limitS} s time limit; ending every process it started`);
  process.exit(1);
}, CFG.limitS * 1000);
limit.unref();

/** The environment for everything spawned: without NODE_OPTIONS loaders (prefork refuses them in the zygote). */
function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** A child process whose stdout+stderr lines are kept with their arrival time (performance.now()). */
class Proc {
  constructor(label, args, options = {}) {
    this.label = label;
    this.lines = [];
    const { node = process.execPath, ...rest } = options;
    this.child = spawn(node, args, { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...rest });
    this.pid = this.child.pid ?? 0;
    track(this.pid, label);
    this.exit = new Promise(resolve => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.exited = false;
    this.exit.then(() => {
      this.exited = true;
      this.#notify();
    });
    this.waiters = new Set();
    for (const stream of ['stdout', 'stderr']) {
      onLines(this.child[stream], parts => {
        const t = performance.now();
        for (const text of parts) {
          this.lines.push({ t, text });
          for (const m of text.matchAll(/\(pid (\d+)\)/g)) track(Number(m[1]), `${label} child`);
        }
        this.#notify();
      });
    }
  }

  #notify() {
    for (const w of [...this.waiters]) w();
  }

  /** The first line at index >= `from` matching `re`: {t, text, m, index}. */
  waitLine(re, { from = 0, timeoutMs = 30_000 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.lines.length; i++) {
          const m = this.lines[i].text.match(re);
          if (m) {
            done();
            return resolve({ ...this.lines[i], m, index: i });
          }
        }
        if (this.exited) {
          done();
          reject(new Error(`${this.label} exited before printing ${re}:\n${this.output()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no line matching ${re} within ${timeoutMs} ms:\n${this.output()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  output() {
    return this.lines.map(l => l.text).join('\n');
  }

  /** Ends the process and every descendant by pid. */
  async stop() {
    await killTree([this.pid, ...[...tracked].filter(([, l]) => l === `${this.label} child`).map(([pid]) => pid)]);
  }
}

let serial = 0;

/** `prefork start …` on 127.0.0.1:0; resolves when generation 1 is ready, with the port and the workers' pids. */
async function startPrefork(extra, timeoutMs = 30_000, env = {}, node = process.execPath) {
  const control = path.join(os.tmpdir(), `prefork-bench-${process.pid}-${serial + 1}.sock`);
  const p = new Proc(`prefork#${++serial}`, [BIN, 'start', ...extra, '--bind', '127.0.0.1:0', '--control', control], { env: { ...cleanEnv(), ...env }, node });
  p.child.on('exit', () => fs.rmSync(control, { force: true })); // SIGKILL leaves the socket file behind
  try {
    p.port = Number((await p.waitLine(/listening on 127\.0\.0\.1:(\d+)/, { timeoutMs })).m[1]);
    const ready = await p.waitLine(/generation 1 ready: \d+ workers \(pids ([\d, ]+)\)/, { timeoutMs });
    p.workers = ready.m[1].split(', ').map(Number);
    const zygote = p.lines.find(l => /zygote started \(pid (\d+)\)/.test(l.text));
    p.zygote = zygote ? Number(/pid (\d+)/.exec(zygote.text)[1]) : undefined;
    return p;
  } catch (e) {
    await p.stop();
    throw e;
  }
}

/** The node:cluster baseline (bench/apps/cluster-hello.js) with 2 workers. */
async function startCluster(node = process.execPath) {
  const p = new Proc(`cluster#${++serial}`, [CLUSTER_HELLO, '--workers', '2', '--port', '0'], { node });
  try {
    p.port = Number((await p.waitLine(/listening on 127\.0\.0\.1:(\d+)/)).m[1]);
    p.workers = (await p.waitLine(/ready: \d+ workers \(pids ([\d, ]+)\)/)).m[1].split(', ').map(Number);
    for (const w of p.workers) track(w, `${p.label} child`);
    return p;
  } catch (e) {
    await p.stop();
    throw e;
  }
}

/** A free TCP port on 127.0.0.1 (for PM2, whose apps listen on a port they are given). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = require('node:net').createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const PM2_BIN = (() => {
  try {
    return require.resolve('pm2/bin/pm2');
  } catch {
    return undefined;
  }
})();

/**
 * PM2's cluster mode (pm2, a devDependency) with 2 instances of bench/apps/pm2-hello.js, in a PM2_HOME of its own;
 * resolves once the app answers, with the port, the workers' pids and the daemon's. stop() is `pm2 kill`, then the
 * daemon's tree by pid.
 */
async function startPm2(node = process.execPath) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-bench-pm2-'));
  const port = await freePort();
  const env = { ...cleanEnv(), PM2_HOME: home, PORT: String(port) };
  const pm2 = args => spawnSync(node, [PM2_BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  const daemonPid = () => Number(fs.existsSync(path.join(home, 'pm2.pid')) ? fs.readFileSync(path.join(home, 'pm2.pid'), 'utf8') : 0);
  const stop = async () => {
    const daemon = daemonPid();
    pm2(['kill']);
    await killTree(daemon ? [daemon] : []);
    fs.rmSync(home, { recursive: true, force: true });
  };
  const started = pm2(['start', path.join(__dirname, 'apps', 'pm2-hello.js'), '-i', '2', '--name', 'bench-hello']);
  track(daemonPid(), 'pm2 daemon');
  try {
    if (started.status !== 0) throw new Error(`pm2 start exited with ${started.status}: ${started.stderr}`);
    const end = Date.now() + 15_000;
    let workers = [];
    while (Date.now() < end) {
      const list = JSON.parse(pm2(['jlist']).stdout || '[]');
      workers = list.filter(p => p.pm2_env?.status === 'online').map(p => p.pid);
      if (workers.length === 2 && (await answers(port))) break;
      await sleep(100);
    }
    if (workers.length !== 2) throw new Error('pm2: 2 instances did not come online within 15 s');
    for (const w of workers) track(w, 'pm2 worker');
    return { port, workers, pid: daemonPid(), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Whether an HTTP GET of / on `port` answers 200. */
function answers(port) {
  return new Promise(resolve => {
    const req = require('node:http').get({ host: '127.0.0.1', port, path: '/', agent: false }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** A plain `node -e` http server with the same handler: the no-process-manager baseline. */
async function startPlain() {
  const code = `const s = require('node:http').createServer(require(${JSON.stringify(HELLO)}));` +
    `s.listen(0, '127.0.0.1', () => console.log('listening on 127.0.0.1:' + s.address().port));`;
  const p = new Proc(`node-e#${++serial}`, ['-e', code]);
  try {
    p.port = Number((await p.waitLine(/listening on 127\.0\.0\.1:(\d+)/)).m[1]);
    p.workers = [p.pid];
    return p;
  } catch (e) {
    await p.stop();
    throw e;
  }
}

// ---- numbers and tables -------------------------------------------------------------------------------------------

/** Nearest-rank percentile (p in 0..1) of `xs`. */
function pct(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}
/** The median: the middle value, or the mean of the two middle values of an even count. */
const median = xs => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const sum = xs => xs.reduce((a, b) => a + b, 0);
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : '-');

function table(header, rows) {
  const cells = [header, ...rows].map(r => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map(r => (r[i] ?? '').length)));
  const line = r => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(cells[0]));
  console.log(widths.map(w => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

function section(title) {
  const [l1] = os.loadavg();
  console.log(`\n== ${title}   (load average ${l1.toFixed(2)})`);
}

/** /proc/PID/smaps_rollup as {Field: kB}, plus RssShmem from /proc/PID/status (smaps_rollup has no Rss split). */
function smaps(pid) {
  const out = {};
  for (const line of fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  const shmem = /^RssShmem:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  out.RssShmem = shmem ? Number(shmem[1]) : NaN;
  return out;
}
const mb = kB => kB / 1024;

// ---- (a) worker start latency -------------------------------------------------------------------------------------

const MODES = {
  fork: ['--worker-mode', 'fork'],
  'fork --preload': ['--worker-mode', 'fork', '--preload'],
  exec: ['--worker-mode', 'exec'],
};

/** One sample: kill -9 worker 1.slot of a fresh prefork and time its replacement. */
async function respawnSample(mode, slot) {
  const p = await startPrefork([HELLO, '--workers', '2', ...MODES[mode]]);
  try {
    const boot = p.lines.map(l => /worker 1\.\d+ \(pid \d+\) ready in ([\d.]+) ms/.exec(l.text)).filter(Boolean).map(m => Number(m[1]));
    await sleep(300); // let the first workers' boot settle
    const victim = Number(p.lines.map(l => new RegExp(`worker 1\\.${slot} \\(pid (\\d+)\\) ready`).exec(l.text)).find(Boolean)[1]);
    const from = p.lines.length;
    const tKill = performance.now();
    process.kill(victim, 'SIGKILL');
    const died = await p.waitLine(new RegExp(`\\(pid ${victim}\\) died`), { from, timeoutMs: 10_000 });
    const ready = await p.waitLine(new RegExp(`worker 1\\.${slot} \\(pid (\\d+)\\) ready in ([\\d.]+) ms`), { from, timeoutMs: 10_000 });
    return { boot, worker: Number(ready.m[2]), supervisor: ready.t - died.t, endToEnd: ready.t - tKill };
  } finally {
    await p.stop();
  }
}

async function benchRespawn(results) {
  section(`(a) worker start: kill -9 one of 2 workers, time its replacement (${CFG.respawnSamples} samples per mode, a fresh supervisor each)`);
  const modes = {};
  for (const mode of Object.keys(MODES)) modes[mode] = { boot: [], worker: [], supervisor: [], endToEnd: [] };
  for (let i = 0; i < CFG.respawnSamples; i++) {
    const order = Object.keys(MODES);
    if (i % 2) order.reverse();
    for (const mode of order) {
      const s = await respawnSample(mode, 1 + (i % 2));
      const m = modes[mode];
      m.boot.push(...s.boot);
      m.worker.push(s.worker);
      m.supervisor.push(s.supervisor);
      m.endToEnd.push(s.endToEnd);
    }
  }
  const keys = ['worker', 'supervisor', 'endToEnd'];
  const rows = Object.entries(modes).map(([mode, m]) => [mode, ...keys.flatMap(k => [fmt(median(m[k])), fmt(pct(m[k], 0.9))]), fmt(median(m.boot))]);
  rows.push(['exec / fork (p50)', ...keys.flatMap(k => [ratio(median(modes.exec[k]), median(modes.fork[k])), '']), ratio(median(modes.exec.boot), median(modes.fork.boot))]);
  table(['ms', '"ready in" p50', 'p90', 'request→ready p50', 'p90', 'kill→ready p50', 'p90', 'first boot "ready in" p50'], rows);
  console.log('  "ready in": the worker\'s own figure from the log line (fork mode: from the return of fork() in the child;');
  console.log('  exec mode: from the first line of the runtime script, so Node\'s own start-up is not in it).');
  console.log('  request→ready: from the supervisor\'s "died" line (it requests the replacement in the same tick) to its');
  console.log('  "ready" line, both timed on arrival here. kill→ready: from process.kill() here to the "ready" line.');
  // the process table's reference: a bare `node -e 0`, spawn to exit
  const bare = [];
  for (let i = 0; i < CFG.respawnSamples; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t);
  }
  console.log(`  node -e 0 (spawn to exit), ${bare.length} samples: p50 ${fmt(median(bare))} ms, p90 ${fmt(pct(bare, 0.9))} ms`);
  results.respawn = { ...modes, nodeE0: bare };
}

// ---- (b) memory ---------------------------------------------------------------------------------------------------

/** A float32 [rows, 64] .npy of CFG.datasetMB MB under bench/data/ (the name bench/load.js uses too, so one file serves both). */
function datasetFile() {
  const cols = 64;
  const rows = Math.floor((CFG.datasetMB * 1e6) / (cols * 4));
  const file = path.join(DATA_DIR, `f32-${rows}x${cols}.npy`);
  if (fs.existsSync(file)) return file;
  const { writeNpyF32 } = require('../examples/recommender/make-data.js');
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (i % 1000) / 1000;
  const t0 = performance.now();
  writeNpyF32(file, data, [rows, cols]);
  console.log(`  wrote ${path.relative(ROOT, file)} (${rows} x ${cols} f32, ${(data.byteLength / 1e6).toFixed(0)} MB) in ${(performance.now() - t0).toFixed(0)} ms`);
  return file;
}

async function memoryOf(label, start) {
  const p = await start();
  try {
    await sleep(CFG.settleMs);
    const workers = p.workers.map(smaps);
    const zygote = p.zygote ? smaps(p.zygote) : undefined;
    const supervisor = smaps(p.pid);
    return { label, workers, zygote, supervisor };
  } finally {
    await p.stop();
  }
}

async function benchMemory(results) {
  section(`(b) memory of idle workers (/proc/PID/smaps_rollup, ${CFG.settleMs} ms after ready, 2 workers each unless the row says 4)`);
  const runs = [];
  for (const mode of Object.keys(MODES)) runs.push(await memoryOf(`prefork ${mode}`, () => startPrefork([HELLO, '--workers', '2', ...MODES[mode]])));
  // more workers share the zygote's pages (docs/ARCHITECTURE.md, "Private memory of a forked worker")
  runs.push(await memoryOf('prefork fork, 4 workers', () => startPrefork([HELLO, '--workers', '4', ...MODES.fork])));
  runs.push(await memoryOf('node:cluster', startCluster));
  if (PM2_BIN) runs.push(await memoryOf('PM2 cluster mode', startPm2));
  const plain = [];
  try {
    plain.push(await startPlain(), await startPlain());
    await sleep(CFG.settleMs);
    runs.push({ label: 'plain node -e', workers: plain.map(p => smaps(p.pid)) });
  } finally {
    for (const p of plain) await p.stop();
  }
  const fork = median(runs[0].workers.map(w => w.Pss_Anon));
  table(['idle worker (MiB)', 'Pss_Anon p50', 'USS p50', 'Rss p50', 'Pss_Anon/fork', 'all workers+zygote Pss_Anon'], runs.map(r => [
    r.label,
    fmt(mb(median(r.workers.map(w => w.Pss_Anon))), 2),
    fmt(mb(median(r.workers.map(w => w.Private_Clean + w.Private_Dirty))), 2),
    fmt(mb(median(r.workers.map(w => w.Rss))), 1),
    ratio(median(r.workers.map(w => w.Pss_Anon)), fork),
    fmt(mb(sum(r.workers.map(w => w.Pss_Anon)) + (r.zygote ? r.zygote.Pss_Anon : 0)), 2),
  ]));
  console.log('  USS = Private_Clean + Private_Dirty (pages only this process maps). node:cluster\'s primary and prefork\'s');
  console.log('  supervisor are left out of every column; the fork column includes the zygote in the last one.');

  const file = datasetFile();
  const shared = [];
  for (const mode of ['fork', 'exec']) {
    shared.push(await memoryOf(`prefork ${mode} + ${CFG.datasetMB} MB`, () =>
      startPrefork([HELLO, '--workers', '2', '--worker-mode', mode, '--share', `big=${file}`], 60_000)));
  }
  console.log('');
  table(['worker sharing a dataset (MiB)', 'RssShmem p50', 'Pss_Shmem p50', 'Pss_Anon p50', 'Pss_Shmem, all processes'], shared.map(r => [
    r.label,
    fmt(mb(median(r.workers.map(w => w.RssShmem))), 1),
    fmt(mb(median(r.workers.map(w => w.Pss_Shmem))), 1),
    fmt(mb(median(r.workers.map(w => w.Pss_Anon))), 2),
    fmt(mb(sum([...r.workers, r.zygote, r.supervisor].filter(Boolean).map(w => w.Pss_Shmem))), 1),
  ]));
  console.log(`  Each worker maps all ${CFG.datasetMB} MB (RssShmem) but is charged its share (Pss_Shmem); the shares add up to`);
  console.log('  one copy. Pss_Anon is what a worker holds privately; the dataset does not add to it.');
  results.memory = { idle: runs, shared };
}

// ---- (c) throughput -----------------------------------------------------------------------------------------------

/** The variants of (c): what serves, and how it is started. */
const THROUGHPUT = {
  prefork: { label: 'prefork', start: node => startPrefork([HELLO, '--workers', '2', '--worker-mode', 'fork'], 30_000, {}, node) },
  'no-board': { label: 'prefork, no scoreboard', start: node => startPrefork([HELLO, '--workers', '2', '--worker-mode', 'fork'], 30_000, { [NO_SCOREBOARD_ENV]: '1' }, node) },
  cluster: { label: 'node:cluster', start: node => startCluster(node) },
  pm2: { label: 'PM2 cluster mode', start: node => startPm2(node) },
};

/** wrk -t1 (one thread, so the load generator takes at most one core of two) against `port`; parsed figures. */
function wrk(port, seconds) {
  const p = spawn('wrk', ['-t1', `-c${CFG.connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(p.pid ?? 0, 'wrk');
  let out = '';
  p.stdout.on('data', d => (out += d));
  p.stderr.on('data', d => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (kill(p.pid), reject(new Error(`wrk did not finish within ${seconds + 30} s`))), (seconds + 30) * 1000);
    p.on('exit', code => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const ms = re => {
        const m = re.exec(out);
        if (!m) return NaN;
        return Number(m[1]) * ({ us: 1e-3, ms: 1, s: 1000 }[m[2]] ?? NaN);
      };
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const requests = Number(/(\d+) requests in ([\d.]+)(m?s)/.exec(out)?.[1] ?? NaN);
      const elapsed = /\d+ requests in ([\d.]+)(ms|s|m)\b/.exec(out);
      const seconds = elapsed ? Number(elapsed[1]) * ({ ms: 1e-3, s: 1, m: 60 }[elapsed[2]] ?? NaN) : NaN;
      resolve({
        requests,
        seconds,
        rps: requests / seconds,
        p50: ms(/^\s+50%\s+([\d.]+)(us|ms|s)$/m),
        p99: ms(/^\s+99%\s+([\d.]+)(us|ms|s)$/m),
        errors: (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
      });
    });
  });
}

async function throughputRun(kind, node) {
  const server = await THROUGHPUT[kind].start(node);
  try {
    await wrk(server.port, CFG.warmupS);
    return { kind, ...(await wrk(server.port, CFG.durationS)) };
  } finally {
    await server.stop();
  }
}

/** The order of the runs: each round has every variant, and every other round runs them backwards. */
const throughputOrder = () => Array.from({ length: CFG.rounds }, (_, i) => (i % 2 ? [...CFG.variants].reverse() : CFG.variants)).flat();

async function benchThroughput(results) {
  const order = throughputOrder();
  section(`(c) req/s of bench/apps/hello.js, 2 workers: wrk -t1 -c${CFG.connections}, keep-alive, ${CFG.warmupS} s warm-up + ${CFG.durationS} s, ${CFG.rounds} rounds alternated: ${order.join(', ')}`);
  if (spawnSync('wrk', ['--version']).error) {
    console.log('  wrk is not installed (apt-get install wrk): skipped');
    return;
  }
  results.throughput = { byNode: [] };
  for (const [i, { major, node, version }] of nodeBinaries().entries()) {
    console.log(`\n  Node ${version}:`);
    const runs = [];
    // PM2 on the first Node only (it changes nothing between versions but its own start-up, and costs the time)
    const kinds = CFG.variants.filter(k => k !== 'pm2' || i === 0);
    for (const kind of order) if (kinds.includes(kind)) runs.push(await throughputRun(kind, node));
    const rows = runs.map((r, n) => [`${n + 1}. ${THROUGHPUT[r.kind].label}`, fmt(r.rps, 0), String(r.requests), fmt(r.seconds, 2), fmt(r.p50, 2), fmt(r.p99, 2), String(r.errors)]);
    const of = kind => runs.filter(r => r.kind === kind);
    for (const kind of kinds) rows.push([`median ${THROUGHPUT[kind].label}`, fmt(median(of(kind).map(r => r.rps)), 0), '', '', fmt(median(of(kind).map(r => r.p50)), 2), fmt(median(of(kind).map(r => r.p99)), 2), '']);
    table(['run', 'req/s', 'requests', 'seconds', 'p50 ms', 'p99 ms', 'errors'], rows);
    // ratios per round (the runs of one round are neighbours in time), then their median and range
    const rounds = Array.from({ length: CFG.rounds }, (_, r) => runs.slice(r * kinds.length, (r + 1) * kinds.length));
    const perRound = (a, b) => (kinds.includes(a) && kinds.includes(b) ? rounds.map(round => round.find(r => r.kind === a).rps / round.find(r => r.kind === b).rps) : []);
    const spread = xs => `${fmt(median(xs), 2)}x (rounds: ${xs.map(x => fmt(x, 2)).join(', ')})`;
    const board = perRound('prefork', 'no-board');
    const cluster = perRound('prefork', 'cluster');
    if (board.length) console.log(`  prefork with the scoreboard / without it: ${spread(board)}`);
    if (cluster.length) console.log(`  prefork / node:cluster:                   ${spread(cluster)}`);
    const summary = Object.fromEntries(kinds.map(k => [k, { rps: median(of(k).map(r => r.rps)), p50: median(of(k).map(r => r.p50)), p99: median(of(k).map(r => r.p99)), errors: sum(of(k).map(r => r.errors)) }]));
    results.throughput.byNode.push({ major, version, runs, summary, scoreboardRatio: median(board), clusterRatio: median(cluster), perRound: { board, cluster } });
  }
}

// ---- Node versions ---------------------------------------------------------------------------------------------------

let nodeList;
/** The Node binaries of --nodes: this one for its own major, else scripts/fetch-node.sh's (skipped, said, if it fails). */
function nodeBinaries() {
  if (nodeList) return nodeList;
  const ownMajor = process.versions.node.split('.')[0];
  nodeList = [];
  for (const major of CFG.nodes.length ? CFG.nodes : [ownMajor]) {
    let node = process.execPath;
    if (major !== ownMajor) {
      const r = spawnSync(path.join(ROOT, 'scripts', 'fetch-node.sh'), [major], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`  Node ${major}: not available (${(r.stderr || '').trim() || 'scripts/fetch-node.sh failed'}): skipped`);
        continue;
      }
      node = r.stdout.trim();
    }
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    nodeList.push({ major, node, version });
  }
  return nodeList;
}

// ---- (d) bench/load.js ---------------------------------------------------------------------------------------------

/** Runs another bench script as a child, output passed through, bounded in time; records how it ended. */
async function runChildBench(results, key, file, args, title) {
  section(title);
  if (!fs.existsSync(file)) {
    console.log(`  ${path.relative(ROOT, file)} is not present: skipped`);
    return;
  }
  console.log(`  $ node ${path.relative(ROOT, file)} ${args.join(' ')}`);
  const child = spawn(process.execPath, [file, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  track(child.pid ?? 0, path.basename(file));
  // passed through, but for the last line, a JSON object: the results, kept
  let last;
  onLines(child.stdout, lines => {
    for (const line of lines) {
      if (line.startsWith('{')) last = line;
      else process.stdout.write(`${line}\n`);
    }
  });
  const { code, signal, timedOut } = await new Promise(resolve => {
    const timer = setTimeout(() => resolve({ code: null, signal: null, timedOut: true }), CFG.childTimeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut: false });
    });
  });
  await killTree([child.pid ?? 0]);
  const how = timedOut ? `did not finish within ${CFG.childTimeoutS} s: killed` : signal ? `ended by ${signal}` : `exited with code ${code}`;
  console.log(`  ${path.relative(ROOT, file)} ${how}`);
  let data;
  try {
    data = last === undefined ? undefined : JSON.parse(last);
  } catch {
    console.log(`  ${path.relative(ROOT, file)}: its last line is not JSON`);
  }
  results[key] = { code, signal, timedOut, ...(data ? (data[key] ?? data) : {}) };
  if (timedOut || code !== 0) process.exitCode = 1;
}

const runHotLoopBench = results => {
  const own = process.versions.node.split('.')[0];
  const majors = CFG.hotNodes.length ? CFG.hotNodes : [own];
  // hot-loop.js finds the other Nodes in .cache/node, where scripts/fetch-node.sh puts them
  for (const v of majors) if (v !== own) spawnSync(path.join(ROOT, 'scripts', 'fetch-node.sh'), [v], { stdio: 'ignore' });
  return runChildBench(results, 'hotLoop', path.join(__dirname, 'hot-loop.js'), ['--elements', String(CFG.hotElements), '--nodes', majors.join(',')], '(f) bench/hot-loop.js: a hot loop over a dataset, the first scans');
};
const runSeedBench = results => {
  const own = process.versions.node.split('.')[0];
  let node = [];
  if (CFG.seedNode && CFG.seedNode !== own) {
    const r = spawnSync(path.join(ROOT, 'scripts', 'fetch-node.sh'), [CFG.seedNode], { encoding: 'utf8' });
    if (r.status === 0) node = ['--node', r.stdout.trim()];
    else console.log(`  Node ${CFG.seedNode} is not available (${(r.stderr || '').trim()}): the seed table runs on ${process.version}`);
  }
  return runChildBench(results, 'seed', path.join(__dirname, 'seed.js'), ['--size-mb', String(CFG.seedSizeMB), '--runs', String(CFG.seedRuns), '--sessions', '1', '--check-sessions', String(CFG.seedCheckSessions), ...node], '(g) bench/seed.js: the seed\'s table, one big array summed by N workers');
};
const runLoadBench = results =>
  runChildBench(results, 'load', LOAD_BENCH, QUICK ? ['--size-mb', '200'] : [], '(d) bench/load.js: dataset loading');
const runReloadBench = results =>
  runChildBench(results, 'reload', path.join(__dirname, 'reload.js'), QUICK ? ['--quick'] : [], '(e) bench/reload.js: generation swaps');

// ---- main ---------------------------------------------------------------------------------------------------------

function machine() {
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.cpus().length);
  return {
    node: process.version,
    nproc,
    cpu: os.cpus()[0]?.model ?? '?',
    kernel: os.release(),
    memGB: (os.totalmem() / 2 ** 30).toFixed(1),
    thpShmem: (() => {
      try {
        return fs.readFileSync('/sys/kernel/mm/transparent_hugepage/shmem_enabled', 'utf8').trim();
      } catch {
        return '?';
      }
    })(),
  };
}

async function main() {
  const t0 = performance.now();
  const m = machine();
  console.log(`prefork bench${QUICK ? ' --quick' : ''}: node ${m.node}, nproc ${m.nproc}, ${m.cpu}, Linux ${m.kernel}, ${m.memGB} GiB, shmem THP: ${m.thpShmem}`);
  console.log(`started ${new Date().toISOString()}, load average ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`);
  const results = { machine: m, quick: QUICK, config: CFG };
  const run = { respawn: benchRespawn, memory: benchMemory, throughput: benchThroughput, hotloop: runHotLoopBench, seed: runSeedBench, load: runLoadBench, reload: runReloadBench };
  const stamp = () => ({ at: new Date().toISOString(), node: process.version, load: os.loadavg()[0], quick: QUICK });
  for (const section of SECTIONS) {
    if (!ONLY.includes(section)) continue;
    const at = stamp();
    const t = performance.now();
    await run[section](results);
    const key = { hotloop: 'hotLoop' }[section] ?? section;
    if (results[key]) results[key].meta = { ...at, seconds: (performance.now() - t) / 1000 };
  }
  const left = [...tracked.keys()].filter(pid => isAlive(pid) && isOurs(pid));
  if (left.length) {
    console.error(`bench: still running after their sections: ${left.map(pid => `${pid} (${tracked.get(pid)})`).join(', ')}`);
    process.exitCode = 1;
  }
  console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(0)} s, load average ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`);
  if (OPTS.json) fs.writeFileSync(OPTS.json, `${JSON.stringify(results, null, 2)}\n`);
  const file = require('./report').record(results, { command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}` });
  console.log(`results: ${path.relative(ROOT, file)}`);
  if (OPTS.readme === 'yes') console.log(`regenerated: ${require('./report').regenerate(file).map(f => path.relative(ROOT, f)).join(', ')}`);
}

main().then(
  () => process.exit(),
  e => {
    console.error(`bench: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
