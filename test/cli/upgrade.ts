// Binary upgrade through the real CLI (SIGUSR2 and `prefork upgrade`): under a keep-alive load a new supervisor pid
// serves, 0 requests fail, the old supervisor is gone, the dataset was inherited and not loaded again, the control
// socket, pidfile and systemd's MAINPID follow; a new supervisor that cannot serve is killed and the old one keeps
// serving (exit 75).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { EXIT } from '../../src/exit-codes';
import type { SupervisorStatus } from '../../src/supervisor/status';
import { writeFilledF64Npy } from '../helpers/build';
import { keepAliveLoad, startProbe } from '../helpers/load';
import { notifySocket } from '../helpers/notify';
import { APPS, descendants, endTreeInTeardown, getJson, isAlive, ROOT, runCli, startPrefork, until, type Running } from '../helpers/prefork';
import { which } from '../helpers/tools';

interface Gen {
  pid: number;
  generation: number;
  value: number;
}

const tempDir = (t: { teardown(fn: () => void): void }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-upgrade-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const newSupervisor = async (p: Running, from: number) => Number((await p.waitFor(/upgrade: started a new supervisor \(pid (\d+)\)/, 10_000, from))[1]);

t.test('SIGUSR2 under keep-alive load: a new supervisor serves, 0 failed requests, the old one is gone, the dataset was inherited', async t => {
  const dir = tempDir(t);
  const data = path.join(dir, 'd.npy');
  writeFilledF64Npy(data, 5, 100_000);
  const pidfile = path.join(dir, 'prefork.pid');
  const sock = which('python3') ? await notifySocket(t) : undefined;
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2', '--pidfile', pidfile], {
    env: sock ? { NOTIFY_SOCKET: sock.path } : {},
  });
  const load = keepAliveLoad(p.port, 8, 6);
  const probe = startProbe(p.port, 20);
  await new Promise(resolve => setTimeout(resolve, 1500));
  const from = p.output().length;
  process.kill(p.pid, 'SIGUSR2');
  const successor = await newSupervisor(p, from);
  endTreeInTeardown(t, () => successor); // it outlives the supervisor the test started (re-parented)
  await p.waitFor(new RegExp(`upgrade: supervisor pid ${successor} serves; this one \\(pid ${p.pid}\\) drains its workers and exits`), 20_000, from);
  const exit = await p.exited;
  t.equal(exit.code, 0, 'the old supervisor drained and exited 0');
  t.notOk(isAlive(p.pid), 'it is gone');
  const [done, pr] = await Promise.all([load, probe.stop()]);
  t.ok(done.requests > 500, `the keep-alive load ran (${done.requests} requests)`);
  t.same(done.failures.slice(0, 10), [], `keep-alive load: 0 failed requests (${done.failures.length} failed)`);
  t.same(pr.failures, [], `fresh-connection probe: 0 failed of ${pr.requests}`);
  const after = p.output().slice(from);
  t.match(after, new RegExp(`dataset 'd' inherited from the supervisor being upgraded: 1 array\\(s\\), 0\\.8 MB from ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not loaded again`), 'the new supervisor inherited the dataset');
  t.notMatch(after, /dataset 'd' loaded from/, 'and did not load it again');
  const served = await getJson<Gen>(p.port);
  t.same([served.generation, served.value], [2, 5], 'generation 2, of the new supervisor, serves the same data');
  t.ok(descendants(successor).includes(served.pid), 'from a worker of the new supervisor');
  t.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(successor), 'the pidfile names the new supervisor');
  const s = JSON.parse((await runCli(['status', '--json', '--control', p.control])).stdout) as SupervisorStatus;
  t.equal(s.pid, successor, 'and the control socket reaches it');
  if (sock) {
    const handed = await sock.waitFor(m => m.fields.MAINPID === String(successor), 5000);
    t.match(handed.fields.STATUS, new RegExp(`^upgraded: supervisor pid ${successor} serves`), 'systemd was told the new MAINPID');
  }
  const stop = await runCli(['stop', '--control', p.control]);
  t.equal(stop.code, 0, 'the new supervisor stops as usual');
  t.ok(await until(() => !isAlive(successor), 10_000), 'and exits');
  t.notOk(fs.existsSync(pidfile) || fs.existsSync(p.control), 'removing its pidfile and control socket');
});

t.test('prefork upgrade: answers with the new pid; a new supervisor that cannot serve is killed, the old one keeps serving (exit 75)', async t => {
  const dir = tempDir(t);
  const app = path.join(dir, 'app.js');
  fs.copyFileSync(path.join(APPS, 'gen.js'), app);
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'prefork'), 'dir');
  const data = path.join(dir, 'd.npy');
  writeFilledF64Npy(data, 1, 1000);
  const p = await startPrefork(t, ['start', app, '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '1', '--boot-timeout', '5']);
  // the new code on disk cannot boot: the upgrade fails closed
  fs.writeFileSync(app, "throw new Error('the new release is broken');\n");
  const from = p.output().length;
  const failed = await runCli(['upgrade', '--control', p.control], { timeoutMs: 60_000 });
  t.equal(failed.code, EXIT.TEMPFAIL.code, `exit ${EXIT.TEMPFAIL.code}: ${failed.stderr.trim()}`);
  t.match(failed.stderr, new RegExp(`upgrade failed: the new supervisor \\(pid \\d+\\) exited with code ${EXIT.APP_BOOT.code} before it served; this supervisor \\(pid ${p.pid}\\) keeps serving`));
  const broken = await newSupervisor(p, from);
  t.notOk(isAlive(broken), 'the new supervisor is gone');
  t.same((await getJson<Gen>(p.port)).generation, 1, 'the old one still serves generation 1');
  // a fixed release upgrades
  fs.copyFileSync(path.join(APPS, 'gen.js'), app);
  const from2 = p.output().length;
  const ok = await runCli(['upgrade', '--control', p.control], { timeoutMs: 60_000 });
  const successor = await newSupervisor(p, from2);
  endTreeInTeardown(t, () => successor); // it outlives the supervisor the test started (re-parented)
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout.trim(), `supervisor pid ${successor} serves generation 2; pid ${p.pid} drains and exits`);
  t.equal((await p.exited).code, 0, 'the old supervisor exits');
  t.equal((await getJson<Gen>(p.port)).generation, 2, 'the new one serves');
});

t.test('a SIGTERM while the new supervisor boots ends both; the upgrade is answered', async t => {
  const dir = tempDir(t);
  const pidfile = path.join(dir, 'prefork.pid');
  // slow-boot: each worker takes 1.5 s to be ready, so the SIGTERM lands while the new one boots
  const p = await startPrefork(t, ['start', path.join(APPS, 'slow-boot.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--pidfile', pidfile]);
  const from = p.output().length;
  const upgrade = runCli(['upgrade', '--control', p.control], { timeoutMs: 30_000 });
  const successor = await newSupervisor(p, from);
  endTreeInTeardown(t, () => successor); // it outlives the supervisor the test started (re-parented)
  process.kill(p.pid, 'SIGTERM');
  const r = await upgrade;
  t.equal(r.code, EXIT.TEMPFAIL.code, `prefork upgrade is answered: ${r.stderr.trim()}`);
  t.match(r.stderr, /the supervisor is stopping/);
  t.equal((await p.exited).code, 0, 'the old supervisor stops');
  t.ok(await until(() => !isAlive(successor), 5000), 'and the new one is ended too');
  t.match(p.output(), new RegExp(`upgrade: stopping, so the new supervisor \\(pid ${successor}\\) is ended too`));
  t.notOk(fs.existsSync(pidfile) || fs.existsSync(p.control), 'nothing is left behind');
});
