// `prefork status | reload | stop` against a running supervisor, through its control socket and through --pidfile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { APPS, packageTempDir, runCli, startPrefork, until } from '../helpers/prefork';

t.test('status, reload by pidfile, stop: the control commands a user runs', async t => {
  const dir = packageTempDir(t, 'control');
  const pidfile = path.join(dir, 'prefork.pid');
  const control = path.join(dir, 'ctl.sock');
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '2',
    '--pidfile', pidfile, '--control', control]);
  t.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(p.pid), '--pidfile holds the supervisor pid');

  let s = await runCli(['status', '--control', control]);
  t.equal(s.code, 0);
  t.match(s.stdout, new RegExp(`supervisor pid ${p.pid}, serving generation 1`));
  t.match(s.stdout, /^WORKER +PID +STATE +REQUESTS +IN FLIGHT +CONNS +OPEN +PRIVATE MB +SHARED MB +CPU % +AGE +HEARTBEAT$/m, 'a table with a header');
  t.match(s.stdout, /^1\.1 +\d+ +ready +\d+ +\d+ +\d+ +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+s +[\d.]+s$/m);
  t.match(s.stdout, /^1\.2 +\d+ +ready /m);

  const r = await runCli(['reload', '--pidfile', pidfile]);
  t.equal(r.code, 0);
  t.match(r.stdout, new RegExp(`sent SIGHUP to supervisor pid ${p.pid}`));
  t.ok(await until(async () => /serving generation 2/.test((await runCli(['status', '--control', control])).stdout), 20_000, 200),
    'the signalled reload brought generation 2');

  const second = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--control', control]);
  t.equal(second.code, 64, 'a second supervisor on the same control socket is refused');
  t.match(second.stderr, /another prefork supervisor answers there/);

  s = await runCli(['stop', '--control', control]);
  t.equal(s.code, 0);
  t.match(s.stdout, new RegExp(`stopping supervisor pid ${p.pid}`));
  t.equal((await p.exited).code, 0, 'the supervisor stopped with exit code 0');
  t.notOk(fs.existsSync(pidfile), 'the pidfile is removed');
  t.notOk(fs.existsSync(control), 'the control socket is removed');

  s = await runCli(['status', '--control', control]);
  t.equal(s.code, 69, 'status with nobody answering exits 69');
  t.match(s.stderr, /no prefork supervisor answers on/);
});
