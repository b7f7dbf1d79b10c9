// The fork self-check through the real CLI (src/runtime/self-check.ts): the first generation's zygote forks one
// canary before it says ready, and a reload does not do it again. On a Node where forking hangs (26; the version
// table bypassed so the canary meets the real hang) the default falls back to exec mode and serves, and an explicit
// --worker-mode fork halts with exit 70. That half runs in scripts/node-matrix.sh.
import * as path from 'node:path';
import t from 'tap';
import { forkUnsafeReason } from '../../src/cli/node-support';
import { EXIT } from '../../src/exit-codes';
import { APPS, forkSafe, getJson, runCli, startPrefork } from '../helpers/prefork';

t.test('the first generation forks a canary before it serves; a reload does not', forkSafe, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const m = /generation 1: zygote ready in \d+ ms \(fork self-check passed in ([\d.]+) ms\)/.exec(p.output());
  t.ok(m, `the self-check ran: ${m?.[0]}`);
  const from = p.output().length;
  t.equal((await runCli(['reload', '--control', p.control])).code, 0);
  const again = /generation 2: zygote ready in \d+ ms(.*)/.exec(p.output().slice(from));
  t.equal(again?.[1], '', 'generation 2 (same runtime) skips it');
});

const hangs = forkUnsafeReason() ? {} : { skip: `Node ${process.versions.node} forks; scripts/node-matrix.sh runs this half on Node 26` };

t.test('where a forked canary hangs: exec mode by default, exit 70 with --worker-mode fork', hangs, async t => {
  const env = { _PREFORK_SKIP_NODE_TABLE: '1' };
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1'], { env, ready: /generation 2 ready/ });
  t.match(p.output(), /generation 1 failed: fork self-check failed: a forked canary did not finish .* within 2 s/, 'the canary hung and was killed');
  t.match(p.output(), /worker mode exec: forking failed its self-check on this runtime/, 'the default falls back to exec mode');
  t.ok((await getJson<{ pid: number }>(p.port)).pid > 0, 'and serves');
  const r = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--worker-mode', 'fork'], { env: { ...process.env, NODE_OPTIONS: '', ...env } });
  t.equal(r.code, EXIT.SOFTWARE.code, `--worker-mode fork: exit ${EXIT.SOFTWARE.code}`);
  t.match(r.stderr, /fork self-check failed/);
});
