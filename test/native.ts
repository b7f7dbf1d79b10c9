// The shim's exports are exactly what src/native.ts's Binding declares: nothing unused is left in the C (fork and
// doforkSweep went; doubleFork re-arms MADV_DOFORK itself). getSeals and reap are for tests: F_GET_SEALS is the only
// way to see F_SEAL_SEAL (test/datasets/load.ts), and the fork stress parent reaps from a synchronous loop.
import t from 'tap';
import { native } from '../src/native';

t.test('the shim exports exactly the Binding functions', async t => {
  const binding = native() as unknown as Record<string, unknown>;
  t.same(Object.keys(binding).sort(), [
    'doubleFork', 'exit', 'fillFromBuffer', 'fillFromFd', 'getSeals', 'getpid', 'getppid', 'listenTcp', 'listenUnix',
    'map', 'memfdCreate', 'peerCred', 'pipe', 'populate', 'reap', 'reapOrphans', 'sdNotify', 'seal', 'setCloexec', 'setPdeathsig', 'setSubreaper',
    'socketInfo', 'spawn', 'watchPid',
  ]);
  t.ok(Object.values(binding).every(f => typeof f === 'function'), 'all functions');
});
