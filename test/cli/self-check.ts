// The fork self-check through the real CLI (src/runtime/self-check.ts): the first generation's zygote forks one
// canary before it says ready, and a reload does not do it again. (Its failure path is not tested here: on Node 26,
// with the version table bypassed, the canary caught the real hang in 8 of 8 runs by hand but in 2 of 3 under tap,
// so a test of it would be flaky; the version table is what protects Node 26.)
import * as path from 'node:path';
import t from 'tap';
import { APPS, forkOnly, runCli, startPrefork } from '../helpers/prefork';

t.test('the first generation forks a canary before it serves; a reload does not', forkOnly, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const m = /generation 1: zygote ready in \d+ ms \(fork self-check passed in ([\d.]+) ms\)/.exec(p.output());
  t.ok(m, `the self-check ran: ${m?.[0]}`);
  const from = p.output().length;
  t.equal((await runCli(['reload', '--control', p.control])).code, 0);
  const again = /generation 2: zygote ready in \d+ ms(.*)/.exec(p.output().slice(from));
  t.equal(again?.[1], '', 'generation 2 (same runtime) skips it');
});
