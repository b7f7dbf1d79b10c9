// DESIGN.md 2.3: forking Node is only safe from a --single-threaded process. 500 forks that allocate under GC
// pressure, use fs, crypto, the thread pool and timers, run a hot loop, and exit: no hang, no crash, hot code
// optimised in every child.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { cleanEnv, ROOT } from '../helpers/prefork';

t.test('500 forks from a --single-threaded parent: 0 hangs, 0 crashes, hot loops optimised', async t => {
  const script = path.join(ROOT, 'test', 'fixtures', 'stress', 'fork-stress.js');
  const run = spawnSync(process.execPath, ['--single-threaded', '--allow-natives-syntax', script, '500', '4'], {
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 240_000,
    killSignal: 'SIGKILL',
  });
  t.equal(run.status, 0, `stress parent exited cleanly (stderr: ${run.stderr.slice(-2000)})`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
  t.equal(result.forks, 500, '500 forks');
  t.equal(result.ok, 500, 'every child finished its work and exited 0');
  t.equal(result.hangs, 0, 'no hangs');
  t.equal(result.crashes, 0, 'no crashes');
  t.equal(result.notOptimised, 0, "every child's hot loop was optimised");
});
