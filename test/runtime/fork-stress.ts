// docs/ARCHITECTURE.md, "Forking Node": forking Node is only safe from a --single-threaded process. 500 forks that allocate under GC
// pressure, use fs, crypto, the thread pool and timers, run a hot loop, and exit: no hang, no crash, hot code
// optimised in every child.
//
// The stress parent is started through the shim, as the supervisor starts a zygote: child_process.spawn is patched
// by tap's process tracking, which adds an --import hook (and with it a loader thread) to every child, and a process
// with extra threads is exactly what must never fork.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { native } from '../../src/native';
import { v8Tuning } from '../../src/supervisor/v8-tuning';
import { cleanEnv, forkSafe, ROOT } from '../helpers/prefork';

t.test('500 forks from a parent with the zygote\'s flags: 0 hangs, 0 crashes, hot loops optimised', forkSafe, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-stress-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = fs.openSync(path.join(dir, 'out'), 'w');
  const err = fs.openSync(path.join(dir, 'err'), 'w');
  const script = path.join(ROOT, 'test', 'fixtures', 'stress', 'fork-stress.js');
  const env = Object.entries(cleanEnv()).flatMap(([k, v]) => (v === undefined || k === 'NODE_OPTIONS' ? [] : [`${k}=${v}`]));
  // the zygote's command line: --single-threaded and this major's flags (Node 26's --minor-ms is what makes it fork)
  const argv = [process.execPath, '--single-threaded', ...v8Tuning().zygoteFlags, '--allow-natives-syntax', script, '500', '4'];
  const pid = native().spawn(process.execPath, argv, env, [-1, out, err], 9, false, -1, -1);
  fs.closeSync(out);
  fs.closeSync(err);
  const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 240_000);
  const [code, signal] = await new Promise<[number, number]>(resolve => native().watchPid(pid, (c, s) => resolve([c, s])));
  clearTimeout(timer);
  const stderr = fs.readFileSync(path.join(dir, 'err'), 'utf8');
  t.same([code, signal], [0, 0], `stress parent exited cleanly (stderr: ${stderr.slice(-2000)})`);
  const result = JSON.parse(fs.readFileSync(path.join(dir, 'out'), 'utf8').trim().split('\n').pop() ?? '{}') as Record<string, number>;
  t.equal(result.forks, 500, '500 forks');
  t.equal(result.ok, 500, 'every child finished its work and exited 0');
  t.equal(result.hangs, 0, 'no hangs');
  t.equal(result.crashes, 0, 'no crashes');
  t.equal(result.notOptimised, 0, "every child's hot loop was optimised");
});
