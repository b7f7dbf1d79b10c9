// Reload benchmark (issue: zero-downtime generation swaps). In one run:
//  1. reload latency: SIGHUP → new generation ready → old generation gone, with a small and a 1.5 GB dataset;
//  2. errors seen by a keep-alive load (20 connections, bench/keepalive-client.js) during 10 reloads, prefork beside node:cluster's
//     usual rolling restart (fork new workers, then disconnect the old ones).
// Usage: npm run build && node bench/reload.js [--quick]
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { keepAliveLoad } = require('./keepalive-client.js');
const { ensureFile } = require('./load.js');

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'prefork');
const quick = process.argv.includes('--quick');
const children = new Set();
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = ms => new Promise(r => setTimeout(r, ms));

function env() {
  const e = { ...process.env };
  delete e.NODE_OPTIONS;
  return e;
}

/** Starts a process and records its stderr lines with arrival times. */
function launch(cmd, args, extraEnv = {}) {
  const proc = spawn(cmd, args, { env: { ...env(), ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  const lines = [];
  let buf = '';
  const waiters = new Set();
  proc.stderr.on('data', d => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push({ t: now(), text: buf.slice(0, nl) });
      buf = buf.slice(nl + 1);
    }
    for (const w of waiters) w();
  });
  const waitFor = (re, from = 0, timeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < lines.length; i++) {
          const m = lines[i].text.match(re);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            return resolve({ index: i, t: lines[i].t, m });
          }
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re}\n${lines.slice(-20).map(l => l.text).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { proc, lines, waitFor };
}

async function startPrefork(dataFile, control) {
  const p = launch(process.execPath, [BIN, 'start', path.join(__dirname, 'apps', 'data.js'), '--share', `d=${dataFile}`,
    '--bind', '127.0.0.1:0', '--workers', '2', '--control', control]);
  const port = Number((await p.waitFor(/listening on 127\.0\.0\.1:(\d+)/)).m[1]);
  await p.waitFor(/generation 1 ready/);
  return { ...p, port };
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = f => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { median: q(0.5), min: s[0], max: s[s.length - 1] };
}

async function latency(label, dataFile, n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-bench-'));
  const p = await startPrefork(dataFile, path.join(dir, 'ctl.sock'));
  const ready = [];
  const gone = [];
  try {
    for (let g = 2; g <= n + 1; g++) {
      const from = p.lines.length;
      const t0 = now();
      p.proc.kill('SIGHUP');
      const r = await p.waitFor(new RegExp(`generation ${g} ready`), from);
      const d = await p.waitFor(new RegExp(`generation ${g - 1} drained and released`), from);
      ready.push(r.t - t0);
      gone.push(d.t - t0);
      await sleep(200);
    }
  } finally {
    p.proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const r = stats(ready);
  const g = stats(gone);
  const mb = (fs.statSync(dataFile).size / 1e6).toFixed(0);
  console.log(`  ${label.padEnd(8)} ${mb.padStart(6)} MB  signal→new ready: median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)})` +
    `   signal→old gone: median ${g.median.toFixed(0)} ms (min ${g.min.toFixed(0)}, max ${g.max.toFixed(0)})   [${n} reloads]`);
  return { label, bytes: fs.statSync(dataFile).size, reloads: n, ready: r, gone: g };
}

/** Keep-alive load (20 connections, a client that honours Connection: close) with `reload()` called `n` times. */
async function errorsUnderLoad(label, port, n, reload) {
  const load = keepAliveLoad(port, 20, 2 + n * 1.2 + 2);
  await sleep(2000);
  for (let i = 0; i < n; i++) {
    await reload(i);
    await sleep(1200);
  }
  const r = await load;
  const kinds = {};
  for (const f of r.failures) kinds[f] = (kinds[f] ?? 0) + 1;
  const detail = Object.entries(kinds).map(([k, v]) => `${v}× ${k}`).join(', ') || 'none';
  console.log(`  ${label.padEnd(13)} ${String(r.requests).padStart(8)} requests  failed ${String(r.failures.length).padStart(4)}` +
    `  (${(r.failures.length / n).toFixed(1)} per reload; ${detail})`);
  return { requests: r.requests, failed: r.failures.length, kinds };
}

async function main() {
  const small = ensureFile(1000); // 256 kB
  const reloads = quick ? 3 : 4;
  console.log(`reload latency (2 workers, ${os.cpus().length} CPUs, node ${process.version}):`);
  const latencies = [await latency('small', small, reloads)];
  if (!quick) latencies.push(await latency('1.5 GB', ensureFile(6_000_000), reloads));

  const n = quick ? 4 : 8;
  console.log(`\nfailed requests of a keep-alive load (20 connections, a client that honours Connection: close) during ${n} reloads:`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-bench-'));
  try {
    const p = await startPrefork(small, path.join(dir, 'ctl.sock'));
    let gen = 1;
    const pf = await errorsUnderLoad('prefork', p.port, n, async () => {
      const from = p.lines.length;
      p.proc.kill('SIGHUP');
      gen++;
      await p.waitFor(new RegExp(`generation ${gen} ready`), from);
    });
    p.proc.kill('SIGKILL');

    const c = launch(process.execPath, [path.join(__dirname, 'apps', 'cluster-reload.js')], { WORKERS: '2' });
    const cport = Number((await c.waitFor(/ready on (\d+)/)).m[1]);
    const cl = await errorsUnderLoad('node:cluster', cport, n, async () => {
      const from = c.lines.length;
      c.proc.kill('SIGHUP');
      await c.waitFor(/reloaded/, from);
    });
    c.proc.kill('SIGTERM');
    console.log(`  failed requests during ${n} reloads: prefork ${pf.failed}, node:cluster ${cl.failed}`);
    // the last line: what bench/run.js collects
    console.log(JSON.stringify({ reload: { node: process.version, latency: latencies, underLoad: { reloads: n, connections: 20, prefork: pf, cluster: cl } } }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
main().catch(e => {
  console.error(e);
  process.exitCode = 1;
});
