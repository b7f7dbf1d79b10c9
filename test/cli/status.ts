// `prefork status` through the real CLI: the connections each worker accepted on each listener and the totals match
// a known number of connections and requests; `--watch` prints a snapshot a second (appended when piped, redrawn in
// place on a terminal) and ends when the supervisor does.
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import t from 'tap';
import { EXIT } from '../../src/exit-codes';
import type { SupervisorStatus } from '../../src/supervisor/status';
import { APPS, BIN, cleanEnv, get, ROOT, runCli, until, type Running, startPrefork } from '../helpers/prefork';
import { haveTools, needs } from '../helpers/tools';

const status = async (p: Running) => JSON.parse((await runCli(['status', '--json', '--control', p.control])).stdout) as SupervisorStatus;

/** Runs `prefork status --watch …` (through `wrap`, e.g. script(1) for a terminal) until it exits or `ms` pass. */
function watch(t: { teardown(fn: () => void): void }, cmd: string, args: string[], ms: number): Promise<{ code: number | null; out: string }> {
  return new Promise(resolve => {
    const proc = spawn(cmd, args, { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', d => (out += d));
    proc.stderr.on('data', d => (out += d));
    const timer = setTimeout(() => proc.kill('SIGINT'), ms);
    t.teardown(() => {
      clearTimeout(timer);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    proc.on('close', code => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

t.test('status counts the connections each worker accepted on each listener, and the totals', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--bind', '127.0.0.1:0', '--workers', '2']);
  const ports = [...p.output().matchAll(/listening on 127\.0\.0\.1:(\d+)/g)].map(m => Number(m[1]));
  t.equal(ports.length, 2, `two listeners: ${ports.join(', ')}`);
  const [a = 0, b = 0] = ports;
  for (let i = 0; i < 10; i++) await get(a, '/'); // a connection each
  for (let i = 0; i < 5; i++) await get(b, '/');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port: a, agent }, res => res.resume().on('end', resolve)).on('error', reject));
  }
  // the one-off connections are closed by their clients; the kept-alive one stays open
  t.ok(await until(async () => (await status(p)).totals.openConnections === 1, 5000), 'one connection open: the kept-alive one');
  const s = await status(p);
  const workers = s.generations.flatMap(g => g.workers);
  t.same(s.listeners.map(l => l.label), ports.map(port => `127.0.0.1:${port}`), 'both listeners, in --bind order');
  t.equal(s.listeners[0]?.accepted, 11, `listener ${a}: 10 one-off connections and the kept-alive one`);
  t.equal(s.listeners[1]?.accepted, 5, `listener ${b}: 5 connections`);
  for (const [i, l] of s.listeners.entries()) {
    t.same(l.workers.map(w => w.pid).sort(), workers.map(w => w.pid).sort(), `listener ${i}: a row per worker`);
    t.equal(l.workers.reduce((n, w) => n + (w.accepted ?? 0), 0), l.accepted, `listener ${i}: its workers' counts add up (${l.workers.map(w => `${w.worker} ${w.accepted}`).join(', ')})`);
  }
  t.same(workers.map(w => w.connections), workers.map(w => (w.accepted[0] ?? 0) + (w.accepted[1] ?? 0)), 'a worker\'s connections are its listeners\' counts added');
  t.match(s.totals, { workers: 2, requests: 18, inFlight: 0, connections: 16, openConnections: 1 }, 'totals: 18 requests on 16 connections');
  t.ok((s.totals.privateBytes ?? 0) > 0 && s.totals.cpuPercent !== null, 'memory and CPU totals present');
  const text = (await runCli(['status', '--control', p.control])).stdout;
  t.match(text, /^total\s+2 workers\s+18\s+0\s+16\s+1\s/m, 'the text form has a totals row');
  t.match(text, new RegExp(`^listener 127\\.0\\.0\\.1:${a}: 11 connections accepted \\(1\\.1 \\d+, 1\\.2 \\d+\\)$`, 'm'), 'and a line per listener with each worker\'s count');
});

t.test('status --watch prints a snapshot a second; piped, one after another; --json, a line each', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const plain = await watch(t, process.execPath, [BIN, 'status', '--watch', '--control', p.control], 2600);
  t.equal(plain.code, EXIT.OK.code, 'interrupted (SIGINT), it exits 0');
  const frames = plain.out.split(/^--- \d{4}-\d\d-\d\dT[\d:.]+Z$/m).slice(1);
  t.ok(frames.length >= 2 && frames.length <= 4, `${frames.length} snapshots in 2.6 s, each after a '--- TIME' line`);
  t.ok(frames.every(f => f.includes(`supervisor pid ${p.pid}`)), 'each a whole status');
  t.notMatch(plain.out, /\x1b\[/, 'no terminal escapes into a pipe');
  const json = await watch(t, process.execPath, [BIN, 'status', '--watch', '--json', '--control', p.control], 2600);
  const lines = json.out.trim().split('\n');
  t.ok(lines.length >= 2, `${lines.length} lines of JSON`);
  t.ok(lines.every(l => (JSON.parse(l) as SupervisorStatus).pid === p.pid), 'each line is a whole status');
});

t.test('status --watch on a terminal redraws in place, and ends when the supervisor does', needs('script'), async t => {
  if (!haveTools(t, 'script')) return;
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const command = [process.execPath, BIN, 'status', '--watch', '--control', p.control].map(a => `'${a}'`).join(' ');
  // script(1) gives the command a pseudo-terminal; -e passes its exit code on
  const tty = watch(t, 'script', ['-qec', command, '/dev/null'], 15_000);
  await new Promise(resolve => setTimeout(resolve, 2300));
  process.kill(p.pid, 'SIGTERM');
  const { code, out } = await tty;
  const frames = out.split('\x1b[H\x1b[J').slice(1);
  t.ok(frames.length >= 2, `${frames.length} frames, each from the top of a cleared screen`);
  t.ok(frames.slice(0, 2).every(f => f.includes(`supervisor pid ${p.pid}`)), 'each a whole status');
  t.equal(code, EXIT.UNAVAILABLE.code, `once the supervisor is gone it exits ${EXIT.UNAVAILABLE.code} (not running)`);
  t.match(out.slice(-400), /^prefork: .*\[PREFORK_NOT_RUNNING\]/m, 'and says why');
});
