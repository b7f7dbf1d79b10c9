// Scaling through the real CLI and signals: SIGTTIN/SIGTTOU add and remove one worker, `prefork scale N|+K|-K`
// answers once the serving generation has that many ready workers, scaling down drains the newest worker
// gracefully (exit code 0), a bad count is refused, and a reload keeps the scaled count.
import * as path from 'node:path';
import t from 'tap';
import { EXIT } from '../../src/exit-codes';
import type { SupervisorStatus } from '../../src/supervisor/status';
import { APPS, descendants, isAlive, runCli, startPrefork, until, type Running } from '../helpers/prefork';

/** The serving generation's ready workers' pids, per `prefork status --json`. */
async function readyPids(p: Running): Promise<number[]> {
  const s = JSON.parse((await runCli(['status', '--json', '--control', p.control])).stdout) as SupervisorStatus;
  const serving = s.generations.find(g => g.id === s.generation);
  return (serving?.workers ?? []).filter(w => w.state === 'ready').map(w => w.pid).sort((a, b) => a - b);
}

/** Waits until the serving generation has exactly `n` ready workers and nothing else. */
const settles = (p: Running, n: number) => until(async () => (await readyPids(p)).length === n, 20_000, 100);

t.test('SIGTTIN and SIGTTOU add and remove a worker; the newest one drains', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '2']);
  const first = await readyPids(p);
  process.kill(p.pid, 'SIGTTIN');
  t.ok(await settles(p, 3), '3 workers after SIGTTIN');
  const m = await p.waitFor(/worker 1\.3 started \(pid (\d+)\)/);
  const newest = Number(m[1]);
  t.match(p.output(), /scaling from 2 to 3 workers/);
  process.kill(p.pid, 'SIGTTOU');
  await p.waitFor(new RegExp(`worker 1\\.3 \\(pid ${newest}\\) stopping: scaling down to 2 workers`));
  await p.waitFor(new RegExp(`worker 1\\.3 \\(pid ${newest}\\) exited with code 0`));
  t.pass('the newest worker was stopped and drained, exit code 0');
  t.ok(await settles(p, 2), '2 workers after SIGTTOU');
  t.same(await readyPids(p), first, 'the first two are the ones left');
  t.notOk(isAlive(newest), 'the drained worker is gone');
});

t.test('prefork scale N|+K|-K answers when the count is reached; a reload keeps it', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const up = await runCli(['scale', '3', '--control', p.control]);
  t.equal(up.code, 0, `scale 3: ${up.stdout}${up.stderr}`);
  const pids = (/\(pids ([\d, ]+)\)/.exec(up.stdout)?.[1] ?? '').split(', ').map(Number).sort((a, b) => a - b);
  t.match(up.stdout, /^3 workers serving generation 1 \(pids/);
  t.same(pids, await readyPids(p), 'the pids it printed are the ready workers');
  t.ok(pids.every(pid => descendants(p.pid).includes(pid)), 'each a live child of the supervisor');
  const more = await runCli(['scale', '+1', '--control', p.control]);
  t.match(more.stdout, /^4 workers serving/, 'scale +1');
  const fewer = await runCli(['scale', '-2', '--control', p.control]);
  t.match(fewer.stdout, /^2 workers serving/, 'scale -2');
  t.equal((await readyPids(p)).length, 2);
  for (const bad of ['0', '-5', 'abc', '+99999']) {
    const r = await runCli(['scale', bad, '--control', p.control]);
    t.equal(r.code, EXIT.FAILURE.code, `scale ${bad} is refused`);
    t.match(r.stderr, `prefork scale: failed: scale: expected N, +K or -K giving 1 to 1024 workers, got '${bad}' (now 2)`);
  }
  const reload = await runCli(['reload', '--control', p.control]);
  t.match(reload.stdout, /generation 2 is serving \(pids \d+, \d+\)/, 'a reload starts the scaled count');
  t.match(p.output(), /generation 2 ready: 2 workers/);
});
