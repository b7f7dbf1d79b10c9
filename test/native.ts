// The shim's exports are exactly what src/native.ts's Binding declares: nothing unused is left in the C (fork and
// doforkSweep went; doubleFork re-arms MADV_DOFORK itself). getSeals and reap are for tests: F_GET_SEALS is the only
// way to see F_SEAL_SEAL (test/datasets/load.ts), and the fork stress parent reaps from a synchronous loop.
import t from 'tap';
import { native } from '../src/native';

t.test('ignoreTerminalStops: SIGTTOU and SIGTTIN ignored (bits 22 and 21 of SigIgn), nothing else changed', async t => {
  const { execFileSync } = await import('node:child_process');
  const sigIgn = (call: boolean) => {
    const code = `${call ? `require(${JSON.stringify(require.resolve('../dist/native.js'))}).native().ignoreTerminalStops();` : ''}` +
      "process.stdout.write(/^SigIgn:\\s*(\\w+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])";
    return BigInt(`0x${execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' })}`);
  };
  const before = sigIgn(false);
  const after = sigIgn(true);
  const bit = (n: number) => 1n << BigInt(n - 1);
  t.equal(after & bit(22), bit(22), 'SIGTTOU ignored');
  t.equal(after & bit(21), bit(21), 'SIGTTIN ignored');
  t.equal(after & ~(bit(21) | bit(22)), before & ~(bit(21) | bit(22)), 'the other dispositions as they were');
});

t.test('the shim exports exactly the Binding functions', async t => {
  const binding = native() as unknown as Record<string, unknown>;
  t.same(Object.keys(binding).sort(), [
    'doubleFork', 'exit', 'fillFromBuffer', 'fillFromFd', 'fillRandom', 'getSeals', 'getpid', 'getppid', 'ignoreTerminalStops', 'listenTcp', 'listenUnix',
    'map', 'memfdCreate', 'peerCred', 'pipe', 'populate', 'reap', 'reapOrphans', 'sdNotify', 'seal', 'setCloexec', 'setPdeathsig', 'setSubreaper',
    'socketInfo', 'spawn', 'trimMalloc', 'watchPid',
  ]);
  t.ok(Object.values(binding).every(f => typeof f === 'function'), 'all functions');
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
