// The shim's exports are exactly what src/native.ts's Binding declares: nothing unused is left in the C (fork and
// doforkSweep went; doubleFork re-arms MADV_DOFORK itself). getSeals and reap are for tests: F_GET_SEALS is the only
// way to see F_SEAL_SEAL (test/datasets/load.ts), and the fork stress parent reaps from a synchronous loop.
import t from 'tap';
import { native } from '../src/native';

t.test('ignoreTerminalStops: SIGTTOU and SIGTTIN ignored (bits 22 and 21 of SigIgn), nothing else changed', async t => {
  const { execFileSync } = await import('node:child_process');
  // both readings in one child, after the shim is loaded (under tap's module hooks on Node 26, loading a module
  // changed SIGXFSZ's disposition before the call)
  const sigIgn = "/^SigIgn:\\s*(\\w+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]";
  const code = `const shim = require(${JSON.stringify(require.resolve('../dist/native.js'))}).native(); const before = ${sigIgn};` +
    ` shim.ignoreTerminalStops(); process.stdout.write(before + ' ' + ${sigIgn})`;
  const [before, after] = execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' }).split(' ').map(x => BigInt(`0x${x}`)) as [bigint, bigint];
  const bit = (n: number) => 1n << BigInt(n - 1);
  t.equal(after & bit(22), bit(22), 'SIGTTOU ignored');
  t.equal(after & bit(21), bit(21), 'SIGTTIN ignored');
  t.equal(after & ~(bit(21) | bit(22)), before & ~(bit(21) | bit(22)), 'the other dispositions as they were');
});

t.test('the shim exports exactly the Binding functions', async t => {
  const binding = native() as unknown as Record<string, unknown>;
  t.same(Object.keys(binding).sort(), [
    'doubleFork', 'exit', 'fillFromBuffer', 'fillFromFd', 'fillRandom', 'getSeals', 'getpid', 'getppid', 'ignoreTerminalStops', 'listenTcp', 'listenUnix',
    'lowMemory', 'map', 'memfdCreate', 'peerCred', 'pipe', 'populate', 'reap', 'reapOrphans', 'sdNotify', 'seal', 'setCloexec', 'setPdeathsig', 'setSubreaper',
    'socketInfo', 'spawn', 'trimMalloc', 'watchPid',
  ]);
  t.ok(Object.values(binding).every(f => typeof f === 'function'), 'all functions');
});

t.test('lowMemory runs V8\'s low-memory collection: the young generation gives its pages back', async t => {
  const { execFileSync } = await import('node:child_process');
  // a child node that fills the young generation with garbage, then asks for the collection
  const code = `const v8 = require('node:v8'); const shim = require(${JSON.stringify(require.resolve('../dist/native.js'))}).native();
    const young = () => v8.getHeapSpaceStatistics().find(s => s.space_name === 'new_space').physical_space_size;
    let keep = []; for (let i = 0; i < 300000; i++) keep.push({ i }); keep = null;
    const before = young(); const ran = shim.lowMemory();
    process.stdout.write(JSON.stringify({ ran, before, after: young() }));`;
  const r = JSON.parse(execFileSync(process.execPath, ['--single-threaded', '-e', code], { encoding: 'utf8' })) as { ran: boolean; before: number; after: number };
  t.equal(r.ran, true, 'the entry points were found in the node binary');
  t.ok(r.after * 4 < r.before, `young generation ${(r.before / 1024).toFixed(0)} KiB -> ${(r.after / 1024).toFixed(0)} KiB resident`);
});

t.test('fillRandom fills a Uint8Array from the kernel and refuses anything else', async t => {
  const a = new Uint8Array(32);
  const b = new Uint8Array(32);
  native().fillRandom(a);
  native().fillRandom(b);
  t.not(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'));
  t.ok(a.some(x => x !== 0));
  t.throws(() => native().fillRandom(new Uint16Array(4) as unknown as Uint8Array));
  t.throws(() => native().fillRandom('x' as unknown as Uint8Array));
  t.equal(typeof native().trimMalloc(), 'boolean');
});
