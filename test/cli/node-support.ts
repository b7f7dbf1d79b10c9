// Fork mode and the Node version (src/cli/node-support.ts): refused from Node 26 on, where a forked worker hangs in
// its first scavenge; there the default is exec mode, with a warning, and an explicit --worker-mode fork or --preload
// exits 70 with the reason. The CLI half runs on such a Node (scripts/node-matrix.sh runs the suite on Node 26).
import * as path from 'node:path';
import t from 'tap';
import { FORK_UNSAFE_FROM, forkUnsafeReason } from '../../src/cli/node-support';
import { EXIT } from '../../src/exit-codes';
import { APPS, runCli, startPrefork } from '../helpers/prefork';

t.test('which versions fork', async t => {
  for (const v of ['20.20.2', '22.23.5', '24.22.3']) t.equal(forkUnsafeReason(v), undefined, `Node ${v} forks`);
  for (const v of ['26.12.1', '27.0.0']) t.match(forkUnsafeReason(v), /hangs in its first scavenge/, `Node ${v} does not`);
  t.equal(FORK_UNSAFE_FROM, 26);
});

const unsafeHere = forkUnsafeReason() !== undefined;
const onUnsafeNode = unsafeHere ? {} : { skip: `Node ${process.versions.node} forks safely; scripts/node-matrix.sh runs this on Node 26` };

t.test('on a Node where forking hangs: exec by default with a warning; --worker-mode fork and --preload exit 70', onUnsafeNode, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  t.match(p.output(), /worker mode exec: fork mode is not safe on this Node \(Node [\d.]+ posts garbage-collection tasks/, 'the default falls back to exec, and says why');
  t.notMatch(p.output(), /zygote started/, 'no zygote');
  for (const args of [['--worker-mode', 'fork'], ['--preload']]) {
    const r = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', ...args]);
    t.equal(r.code, EXIT.SOFTWARE.code, `${args.join(' ')}: exit ${EXIT.SOFTWARE.code}`);
    t.match(r.stderr, /is refused on this Node: .*Use --worker-mode exec, or Node 24 \[PREFORK_UNSUPPORTED_RUNTIME\]/);
  }
});
