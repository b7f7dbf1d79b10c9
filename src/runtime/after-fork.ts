// All post-fork hygiene of a forked worker, in order, in one place (STYLE.md 3; docs/ARCHITECTURE.md, "Forking Node"). The zygote
// holds nothing a child must undo except its command pipe on fd 0.
import * as fs from 'node:fs';
import { native } from '../native';
import { ORPHANED_EXIT, PDEATHSIG } from '../protocol';
import { installExitPaths } from './exit';
import { reseedAfterFork } from './random';

/** Waits until the double fork's middle process is gone and the supervisor is our parent, then arms PDEATHSIG. */
function armParentDeath(supervisorPid: number): void {
  const shim = native();
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 2000 && shim.getppid() !== supervisorPid; i++) Atomics.wait(wait, 0, 0, 1);
  shim.setPdeathsig(PDEATHSIG);
  if (shim.getppid() !== supervisorPid) shim.exit(ORPHANED_EXIT); // supervisor died before we could watch it
}

/** Runs in the child right after fork, before any app code: identity, exit paths, randomness, fds, parent death. */
export function afterFork(supervisorPid: number): void {
  const shim = native();
  const pid = shim.getpid();
  Object.defineProperty(process, 'pid', { value: pid, writable: false, enumerable: true, configurable: true });
  installExitPaths();
  armParentDeath(supervisorPid);
  Object.defineProperty(process, 'ppid', { value: shim.getppid(), writable: true, enumerable: true, configurable: true });
  reseedAfterFork();
  // fd 0 is the zygote's command pipe: replace it with /dev/null (the lowest free fd after close is 0)
  fs.closeSync(0);
  const devnull = fs.openSync('/dev/null', 'r');
  if (devnull !== 0) fs.closeSync(devnull);
}
