// The zygote's V8 flags per Node major (src/supervisor/v8-tuning.ts): the table, that this Node accepts its row's
// flags, that the zygote runs with them (a forked worker's process.execArgv is the zygote's) unless _PREFORK_NO_V8_TUNING=1, and the start-up line
// where forked workers cannot reach full speed on hot loops (Node 20). scripts/node-matrix.sh runs it on 22/24/26.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { NO_V8_TUNING_ENV, V8_TUNING, v8Tuning } from '../../src/supervisor/v8-tuning';
import { APPS, forkOnly, get, startPrefork } from '../helpers/prefork';

t.test('the table', async t => {
  t.same(v8Tuning('24.22.3').zygoteFlags, ['--no-maglev-osr'], 'Node 24: Turbofan OSR, not Maglev OSR');
  t.same(v8Tuning('22.23.5').zygoteFlags, [], 'Node 22 needs none');
  t.same(v8Tuning('20.20.2').zygoteFlags, [], 'Node 20: no flag helps');
  t.match(v8Tuning('20.20.2').forkSlow, /3-5x slower.*--worker-mode exec/, 'and says so, with the way out');
  t.equal(v8Tuning('24.22.3').forkSlow, undefined);
  t.same(v8Tuning('26.12.1').zygoteFlags, ['--minor-ms', '--no-maglev-osr'], 'Node 26: the minor mark-sweep collector, without which a forked worker hangs, and Turbofan OSR');
  t.same(v8Tuning('99.0.0'), { zygoteFlags: [], speedFlags: [] }, 'a major not in the table gets nothing');
  t.same(v8Tuning('24.22.3', { [NO_V8_TUNING_ENV]: '1' }).zygoteFlags, [], `${NO_V8_TUNING_ENV}=1 turns the speed flags off`);
  t.same(v8Tuning('26.12.1', { [NO_V8_TUNING_ENV]: '1' }).zygoteFlags, ['--minor-ms'], 'but never the flags forking needs');
});

t.test("this Node accepts its row's flags", async t => {
  const flags = v8Tuning().zygoteFlags;
  const r = spawnSync(process.execPath, ['--single-threaded', ...flags, '-e', '0'], { encoding: 'utf8' });
  t.equal(r.status, 0, `node --single-threaded ${flags.join(' ')} runs: ${r.stderr}`);
  for (const [major, row] of Object.entries(V8_TUNING)) for (const f of [...(row.forkFlags ?? []), ...(row.speedFlags ?? [])]) t.match(f, /^--[a-z0-9-]+(=\S+)?$/, `Node ${major}: ${f}`);
});

t.test('the zygote runs with the flags, and a slow version says so once', forkOnly, async t => {
  const row = v8Tuning();
  for (const off of [false, true]) {
    const p = await startPrefork(t, ['start', path.join(APPS, 'exec-argv.js'), '--bind', '127.0.0.1:0', '--workers', '1'], { env: off ? { [NO_V8_TUNING_ENV]: '1' } : {} });
    const { execArgv } = JSON.parse((await get(p.port)).body) as { execArgv: string[] };
    t.equal(execArgv[0], '--single-threaded');
    const want = off ? v8Tuning(process.versions.node, { [NO_V8_TUNING_ENV]: '1' }).zygoteFlags : row.zygoteFlags;
    t.same(execArgv.slice(1), want, off ? `only the fork flags with the env set: ${want.join(' ') || 'none'}` : `flags: ${row.zygoteFlags.join(' ') || 'none'}`);
    const lines = p.output().match(/\[warn\] hot loops: .*/g) ?? [];
    t.equal(lines.length, row.forkSlow ? 1 : 0, row.forkSlow ? 'one warning line' : 'no warning');
    p.proc.kill('SIGTERM');
    await p.exited;
  }
});
