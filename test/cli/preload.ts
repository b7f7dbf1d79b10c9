// --preload: the zygote imports the app once and workers inherit it copy-on-write; an app that leaves handles behind
// at import is refused instead of forked.
import * as path from 'node:path';
import t from 'tap';
import { EXIT } from '../../src/exit-codes';
import { APPS, firstReplyPerWorker, forkOnly, get, runCli, startPrefork } from '../helpers/prefork';

interface Probe {
  pid: number;
  importedIn: number;
  uuid: string;
  webUuid: string;
  random: number;
  uuidAtImport: string | null;
}

const base = ['--bind', '127.0.0.1:0', '--workers', '3'];

const collect = (port: number, n: number) => firstReplyPerWorker<Probe>(port, n);

t.test('with --preload the app is imported once, in the zygote', forkOnly, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--preload'], { env: { PROBE_UUID_AT_IMPORT: '1' } });
  const zygote = Number(/zygote started \(pid (\d+)\)/.exec(p.output())?.[1]);
  const seen = await collect(p.port, 3);
  t.equal(seen.size, 3);
  for (const r of seen.values()) t.equal(r.importedIn, zygote, `worker ${r.pid} runs the zygote's import`);
  t.equal(new Set([...seen.values()].map(r => r.uuidAtImport)).size, 1, 'the import ran once');
  t.equal(new Set([...seen.values()].map(r => r.uuid)).size, 3, 'randomUUID differs per worker even though the app called it at import');
  t.equal(new Set([...seen.values()].map(r => r.webUuid)).size, 3, 'globalThis.crypto.randomUUID differs per worker too');
  t.equal(new Set([...seen.values()].map(r => r.random)).size, 3, 'Math.random differs per worker');
});

t.test('without --preload each worker imports the app itself', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base]);
  for (const r of (await collect(p.port, 3)).values()) t.equal(r.importedIn, r.pid);
});

t.test('--preload refuses an app that starts a timer at import', forkOnly, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'timer-at-import.js'), ...base, '--preload'], { ready: null });
  const { code } = await p.exited;
  t.equal(code, 3, 'exit code 3');
  t.match(p.output(), /--preload: importing the app left active handles in the zygote \(Timeout\)/);
  t.notMatch(p.output(), /worker 1\.\d started/, 'no worker was forked');
});

t.test('--preload refuses an app that leaves threads in the zygote (the thread pool used at import)', forkOnly, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'threads-at-import.mjs'), ...base, '--preload'], { ready: null });
  t.equal((await p.exited).code, 3, 'exit code 3');
  t.match(p.output(), /the zygote runs \d+ more thread\(s\) than when it started/);
  t.notMatch(p.output(), /worker 1\.\d started/, 'no worker was forked');
});

t.test('the same app without --preload imports in each worker and serves', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'threads-at-import.mjs'), ...base]);
  t.equal((await get(p.port, '/')).body, 'ok');
});

t.test('--preload with --worker-mode exec is a usage error: exec mode has no zygote', async t => {
  const r = await runCli(['start', path.join(APPS, 'probe.js'), '--preload', '--worker-mode', 'exec', '--bind', '127.0.0.1:0']);
  t.equal(r.code, EXIT.USAGE.code, 'exit 64');
  t.match(r.stderr, /--preload imports the app in the zygote, and --worker-mode exec has none: drop one of them \[PREFORK_BAD_OPTION\]/);
});
