// Fork mode and the Node version (src/cli/node-support.ts): fork mode runs on the majors of the V8 tuning table
// (src/supervisor/v8-tuning.ts), each of which scripts/node-matrix.sh tests; on any other major the default is exec
// mode, with a warning, and an explicit --worker-mode fork or --preload exits 70 with the reason. The CLI half runs on
// such a Node: scripts/node-matrix.sh runs this file on Node 25, a major the table does not list.
import * as path from 'node:path';
import t from 'tap';
import { forkTestedMajors, V8_TUNING } from '../../src/supervisor/v8-tuning';
import { forkUnsafeReason, RECOMMENDED_MAJOR } from '../../src/cli/node-support';
import { EXIT } from '../../src/exit-codes';
import { APPS, runCli, startPrefork } from '../helpers/prefork';

t.test('which versions fork: the tuning table\'s majors, and no other', async t => {
  for (const v of ['20.20.2', '22.23.5', '24.22.3', '26.12.1']) t.equal(forkUnsafeReason(v), undefined, `Node ${v} forks`);
  for (const v of ['18.20.0', '21.7.3', '25.9.0', '27.0.0']) t.match(forkUnsafeReason(v), /^fork mode was never tested on Node \d+ \(tested: 20, 22, 24, 26\)/, `Node ${v} does not`);
  t.same(forkTestedMajors(), [20, 22, 24, 26]);
  t.ok(forkTestedMajors().includes(RECOMMENDED_MAJOR), `the recommended major (${RECOMMENDED_MAJOR}) forks`);
  t.same(V8_TUNING[26]?.forkFlags, ['--minor-ms'], 'Node 26 forks with the minor mark-sweep collector, whose jobs never post to worker threads');
});

const unsafeHere = forkUnsafeReason() !== undefined;
const onUnsafeNode = unsafeHere ? {} : { skip: `Node ${process.versions.node} forks; scripts/node-matrix.sh runs this on Node 25` };

t.test('on a Node fork mode was not tested on: exec by default with a warning; --worker-mode fork and --preload exit 70', onUnsafeNode, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  t.match(p.output(), new RegExp(`worker mode exec: fork mode was never tested on Node \\d+ \\(tested: [\\d, ]+\\), .*; Node ${RECOMMENDED_MAJOR} \\(recommended\\) forks`), 'the default falls back to exec, and says why');
  t.notMatch(p.output(), /zygote started/, 'no zygote');
  for (const args of [['--worker-mode', 'fork'], ['--preload']]) {
    const r = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', ...args]);
    t.equal(r.code, EXIT.SOFTWARE.code, `${args.join(' ')}: exit ${EXIT.SOFTWARE.code}`);
    t.match(r.stderr, new RegExp(`is refused on this Node: fork mode was never tested on Node \\d+.*Use --worker-mode exec, or Node ${RECOMMENDED_MAJOR} \\(recommended\\) \\[PREFORK_UNSUPPORTED_RUNTIME\\]`));
  }
});
