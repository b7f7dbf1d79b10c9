// The fork self-check through the real CLI (src/runtime/self-check.ts): the first generation's zygote forks one
// canary before it says ready, and a reload does not do it again. The failure paths run with the canary told to
// behave like a runtime whose forked children hang or crash (_PREFORK_TEST_CANARY, read only by the zygote): the real
// case, Node 26 with the version table bypassed, cannot be had on every Node the suite runs on.
import * as path from 'node:path';
import t from 'tap';
import { APPS, forkOnly, get, isAlive, runCli, startPrefork } from '../helpers/prefork';

const APP = path.join(APPS, 'probe.js');
/** The zygote's ready line with a self-check: total ms, the canary's own ms, and how long ready waited for it. */
const READY = /zygote ready in (\d+) ms \(fork self-check passed in ([\d.]+) ms; it delayed ready by ([\d.]+) ms\)/;

t.test('the first generation forks a canary before it serves; a reload does not', forkOnly, async t => {
  const p = await startPrefork(t, ['start', APP, '--bind', '127.0.0.1:0', '--workers', '1']);
  const m = new RegExp(`generation 1: ${READY.source}`).exec(p.output());
  t.ok(m, `the self-check ran: ${m?.[0]}`);
  t.ok(Number(m?.[3]) <= Number(m?.[2]), 'the zygote waited for no more than the canary took');
  const from = p.output().length;
  t.equal((await runCli(['reload', '--control', p.control])).code, 0);
  const again = /generation 2: zygote ready in \d+ ms(.*)/.exec(p.output().slice(from));
  t.equal(again?.[1], '', 'generation 2 (same runtime) skips it');
});

t.test('the canary runs while the zygote imports a --preload app: the zygote barely waits', forkOnly, async t => {
  // slow-boot.js blocks 1.5 s at import; the canary, forked before the import, is done long before
  const p = await startPrefork(t, ['start', path.join(APPS, 'slow-boot.js'), '--preload', '--bind', '127.0.0.1:0', '--workers', '1']);
  const m = READY.exec(p.output());
  t.ok(m, `the self-check ran: ${m?.[0]}`);
  t.ok(Number(m?.[1]) >= 1500, 'the zygote took the import\'s 1.5 s');
  t.ok(Number(m?.[2]) < 1000, 'the canary\'s own time, not the zygote\'s');
  t.ok(Number(m?.[3]) < 50, 'and the zygote did not wait for it');
});

t.test('a zygote whose --preload import fails kills its canary and reports the app\'s error', forkOnly, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'throws.js'), '--preload', '--bind', '127.0.0.1:0', '--workers', '1'], { env: { _PREFORK_TEST_CANARY: 'hang' }, ready: null });
  const t0 = Date.now();
  const { code } = await p.exited;
  t.equal(code, 3, 'the app failed to boot (exit 3), not the self-check');
  t.ok(Date.now() - t0 < 2000, 'without waiting out the canary\'s 2 s');
  t.match(p.output(), /prefork zygote \d+: Error: probe app refuses to boot: missing FOO_CONFIG[^]*?; its fork self-check canary \(pid \d+\) was killed/);
  t.notMatch(p.output(), /fork self-check failed/);
});

for (const [fault, verb] of [['hang', 'hangs'], ['crash', 'crashes']]) {
  t.test(`a canary that ${verb}: prefork says so and serves in exec mode`, forkOnly, async t => {
    const p = await startPrefork(t, ['start', APP, '--bind', '127.0.0.1:0', '--workers', '2'], { env: { _PREFORK_TEST_CANARY: fault }, ready: /generation 2 ready/ });
    const out = p.output();
    const failed = /generation 1 failed: fork self-check failed: a forked canary (?:did not finish .* within 2 s \(pid (\d+), killed\)|\(pid (\d+)\) exited without finishing its work)/.exec(out);
    t.ok(failed, `the failure is named: ${failed?.[0]}`);
    t.match(out, fault === 'hang' ? /can hang its workers/ : /can crash its workers/);
    t.match(out, /worker mode exec: forking failed its self-check on this runtime \(give --worker-mode fork to refuse instead\)/);
    t.notMatch(out, /generation 2: zygote started/, 'generation 2 has no zygote: its workers are exec workers');
    t.notOk(isAlive(Number(failed?.[1] ?? failed?.[2])), 'the canary is gone');
    t.equal((await get(p.port, '/')).status, 200, 'generation 2 serves');
  });
}

for (const given of [['--worker-mode', 'fork'], ['--preload']]) {
  t.test(`with ${given.join(' ')}, a canary that hangs halts prefork with exit code 70`, forkOnly, async t => {
    const p = await startPrefork(t, ['start', APP, '--bind', '127.0.0.1:0', '--workers', '2', ...given], { env: { _PREFORK_TEST_CANARY: 'hang' }, ready: null });
    const { code } = await p.exited;
    t.equal(code, 70);
    t.match(p.output(), /generation 1 failed: fork self-check failed: a forked canary did not finish/);
    t.match(p.output(), /halting: no generation can serve \(exit code 70\)/);
    t.notMatch(p.output(), /generation \d ready|worker mode exec/, 'nothing served, no fallback');
  });
}
