// --timeout through the real CLI: a worker whose event loop is stuck stops writing its scoreboard heartbeat and is
// killed (SIGTERM, SIGABRT, SIGKILL) and replaced within the timeout + 1 s while the other worker keeps answering;
// a slow boot is --boot-timeout's business, not --timeout's; status reads request counts off the scoreboard.
import * as path from 'node:path';
import t from 'tap';
import type { SupervisorStatus } from '../../src/supervisor/status';
import { APPS, FIXTURES, descendants, forkOnly, get, getJson, isAlive, runCli, sleep, startPrefork } from '../helpers/prefork';

t.test('a worker stuck in a loop is killed and replaced within --timeout + 1 s; the other keeps answering', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'spin.js'), '--bind', '127.0.0.1:0', '--workers', '2', '--timeout', '2']);
  const from = p.output().length;
  const t0 = Date.now();
  void get(p.port, '/spin', { timeoutMs: 10_000 }).catch(() => undefined);
  const m = await p.waitFor(/worker 1\.(\d) \(pid (\d+)\) missed its heartbeat: the last was ([\d.]+) s ago, --timeout 2 s \(([\d.]+) s late\): SIGTERM/, 10_000, from);
  const [, slot, pid] = m;
  t.pass(`logged: ${m[0]}`);
  // while it spins, the other worker answers
  const answered = new Set<number>();
  for (let i = 0; i < 10; i++) answered.add((await getJson<{ pid: number }>(p.port)).pid);
  t.notOk(answered.has(Number(pid)), `the stuck worker answers nothing; ${[...answered].join(', ')} did`);
  await p.waitFor(new RegExp(`worker 1\\.${slot} \\(pid ${pid}\\) still running 300 ms after SIGTERM \\(--timeout\\): SIGABRT`), 5000, from);
  await p.waitFor(new RegExp(`worker 1\\.${slot} \\(pid ${pid}\\) exited with signal (6|9)`), 5000, from);
  const killed = Date.now() - t0;
  t.ok(killed < 3000, `killed ${killed} ms after the request that hung it (timeout 2 s + 1 s)`);
  const replacement = await p.waitFor(/worker 1\.\d started \(pid (\d+)\)/, 5000, from);
  t.ok(Date.now() - t0 < 3000, 'and replaced by then');
  t.ok(descendants(p.pid).includes(Number(replacement[1])), 'the replacement runs');
  const s = JSON.parse((await runCli(['status', '--json', '--control', p.control])).stdout) as SupervisorStatus;
  t.equal(s.generations[0]?.workers.filter(w => w.state === 'ready').length, 2, 'two ready workers again');
});

t.test('a slow boot meets --boot-timeout, not --timeout', async t => {
  const late = await startPrefork(t, ['start', path.join(APPS, 'slow-boot.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--timeout', '1', '--boot-timeout', '5']);
  await sleep(1500);
  t.notMatch(late.output(), /missed its heartbeat/, 'a worker that takes 1.5 s to boot is not hung (--timeout 1)');
  const p = await startPrefork(t, ['start', path.join(APPS, 'slow-boot.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--timeout', '5', '--boot-timeout', '1'], { ready: /not ready within the boot timeout/ });
  t.notMatch(p.output(), /missed its heartbeat/, 'with --boot-timeout 1 it is the boot timeout that kills it');
});

t.test('status --json reads requests and heartbeats off the scoreboard', async t => {
  const vector = path.join(FIXTURES, 'f64_vector.npy');
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--share', `v=${vector}`, '--bind', '127.0.0.1:0', '--workers', '2', '--timeout', '5']);
  for (let i = 0; i < 25; i++) await get(p.port, '/');
  const s = JSON.parse((await runCli(['status', '--json', '--control', p.control])).stdout) as SupervisorStatus;
  const workers = s.generations[0]?.workers ?? [];
  t.same(s.generations[0]?.datasets.map(d => [d.name, d.file, d.bytes % 4096, d.bytes > 8000]), [['v', vector, 0, true]], 'its dataset: name, file, page-rounded bytes');
  const text = (await runCli(['status', '--control', p.control])).stdout;
  t.match(text, new RegExp(`datasets v \\(${vector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, [\\d.]+ kB\\)`), 'and in the text form');
  t.same(workers.map(w => w.pid).sort(), descendants(p.pid).filter(pid => workers.some(w => w.pid === pid)).sort(), 'pids are live children');
  t.equal(workers.reduce((n, w) => n + w.requests, 0), 25, '25 requests counted');
  t.ok(workers.every(w => w.inFlight === 0), 'none in flight');
  t.ok(workers.every(w => w.heartbeatAgeMs !== null && w.heartbeatAgeMs < 1000), `heartbeats fresh (${workers.map(w => w.heartbeatAgeMs).join(', ')} ms)`);
  t.ok(workers.every(w => w.ageMs !== null && w.ageMs > 0), 'ages known');
  t.ok(workers.every(w => w.privateBytes !== null && w.privateBytes > 1 << 20 && w.privateBytes < 64 << 20), `private memory from smaps_rollup (${workers.map(w => ((w.privateBytes ?? 0) / 2 ** 20).toFixed(1)).join(', ')} MiB)`);
  t.ok(workers.every(w => w.sharedBytes !== null && w.cpuPercent !== null && w.cpuPercent >= 0), 'shared memory and CPU % (pidusage) present');
});

t.test('a retired zygote that never reads its EOF (stopped) is killed at --graceful-timeout; the swap completes', forkOnly, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--graceful-timeout', '1']);
  const zygote = Number(/generation 1: zygote started \(pid (\d+)\)/.exec(p.output())?.[1]);
  process.kill(zygote, 'SIGSTOP');
  const from = p.output().length;
  process.kill(p.pid, 'SIGHUP');
  await p.waitFor(/generation 2 ready/, 20_000, from);
  const m = await p.waitFor(new RegExp(`generation 1: zygote \\(pid ${zygote}\\) still running 1\\.0 s after its command pipe closed: SIGKILL`), 10_000, from);
  t.pass(`logged: ${m[0]}`);
  await p.waitFor(/generation 1 drained and released/, 5000, from);
  t.notOk(isAlive(zygote), 'the stuck zygote is gone');
  t.equal((await getJson<{ pid: number }>(p.port)).pid > 0, true, 'generation 2 serves');
});
