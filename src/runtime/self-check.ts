// The fork self-check: before the supervisor's first generation serves, the zygote forks one canary that does what
// a worker does after fork (afterFork, allocations enough for a few scavenges, a hot loop, the thread pool, a timer)
// and says `ok` on a pipe. A canary that hangs (a runtime whose V8 posts work to threads a forked child does not
// have, as Node 26's did without --minor-ms: src/cli/node-support.ts) or dies is killed and reported, and the
// supervisor falls back to exec mode, or refuses with --worker-mode fork. The canary takes about 30 ms (this
// machine), once per supervisor; it is forked as soon as the zygote has mapped its datasets and runs while the
// zygote warms up, so the zygote waits only for what is left of it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { native } from '../native';
import { afterFork } from './after-fork';
import { exitNow } from './exit';
import { v8Gc } from './gc';

/** How long the canary may take before it counts as hung, from its fork... */
const CANARY_MS = 2000;
/** ...and at least this long after the zygote starts waiting (a --preload import can outlast CANARY_MS). */
const GRACE_MS = 200;

function hot(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (i * 31) ^ (s >>> 3);
  return s;
}

/** Tests only: the canary behaves like a runtime whose forked children hang (blocked in a futex, as Node 26's did) or die. */
function injectedFault(fault: string | undefined): void {
  if (fault === 'hang') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  if (fault === 'crash') process.kill(process.pid, 'SIGKILL'); // no core dump, no exit handlers on shared stdio
}

async function canary(supervisorPid: number, okFd: number, fault: string | undefined, t0: number): Promise<never> {
  afterFork(supervisorPid);
  injectedFault(fault);
  // young-generation work like a busy worker's: two rounds of small objects that stay alive, each followed by a
  // scavenge, so the scavenger has pages of survivors to copy and runs with its full parallelism (on Node 26 that is
  // what posts a job to the threads a forked child does not have: caught 4 of 4 here with 20,000 objects a round,
  // 0 of 6 with 8,000). The scavenges are asked for (gc, exposed in this child only), not waited for: 30 ms instead
  // of the 63 that six rounds of 25,000 took to fill the young generation by themselves.
  const gc = v8Gc();
  let junk: { i: number; s: string }[] = [];
  const kept: { i: number; s: string }[][] = [];
  for (let round = 0; round < 2; round++) {
    junk = [];
    for (let i = 0; i < 20_000; i++) junk.push({ i, s: `x${i}` });
    kept.push(junk);
    gc({ type: 'minor' });
  }
  for (let i = 0; i < 100; i++) hot(1000);
  await new Promise<void>((resolve, reject) => fs.readFile(__filename, e => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve, reject) => crypto.randomBytes(8, e => (e ? reject(e) : resolve())));
  await new Promise(resolve => setTimeout(resolve, 1));
  // its own time since the fork (the zygote's clock: performance.now() keeps its origin across fork)
  fs.writeSync(okFd, `ok ${(performance.now() - t0).toFixed(2)} ${junk.length + kept.length}\n`);
  return exitNow(0);
}

/** The canary's state from /proc: still running, or gone (exited, perhaps already collected by the supervisor). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

/** A canary on its way: what the zygote needs to wait for it, or to kill it. */
export type Canary = { pid: number; okFd: number; t0: number };

/**
 * Forks the canary (`fault`: SELF_CHECK_FAULT_ENV's value, tests only). In the zygote, returns it: the zygote goes on
 * with its own start-up, then calls finishSelfCheck. In the canary itself returns 'canary': the caller must return,
 * and this process's event loop runs the canary, which then exits.
 */
export function startSelfCheck(supervisorPid: number, fault?: string): Canary | 'canary' {
  const shim = native();
  const t0 = performance.now();
  const [r, w] = shim.pipe();
  const pid = shim.doubleFork();
  if (pid === 0) {
    fs.closeSync(r);
    void canary(supervisorPid, w, fault, t0).catch(() => exitNow(1));
    return 'canary';
  }
  fs.closeSync(w);
  return { pid, okFd: r, t0 };
}

/** Kills a canary the zygote gives up on (its own start-up failed), so none is left behind. */
export function abandonSelfCheck(c: Canary): void {
  if (running(c.pid)) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  fs.closeSync(c.okFd);
}

/**
 * Waits for the canary (from the zygote's synchronous world: no event loop turns here), until CANARY_MS after its fork
 * or GRACE_MS from now, whichever is later; resolves with the canary's own time and how long the zygote waited, or a
 * reason it failed.
 */
export function finishSelfCheck(c: Canary): { ms: number; waitedMs: number } | { failed: string } {
  const { pid, okFd: r, t0 } = c;
  const tw = performance.now();
  const deadline = Math.max(t0 + CANARY_MS, tw + GRACE_MS);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (running(pid) && performance.now() < deadline) Atomics.wait(nap, 0, 0, 1);
  const waitedMs = performance.now() - tw;
  if (running(pid)) {
    abandonSelfCheck(c);
    return { failed: `a forked canary did not finish its allocations, hot loop and thread-pool work within ${CANARY_MS / 1000} s (pid ${pid}, killed): forking this runtime can hang its workers` };
  }
  const buf = Buffer.alloc(64);
  let said = '';
  try {
    said = buf.toString('utf8', 0, fs.readSync(r, buf, 0, buf.length, null));
  } catch {
    // nothing written
  }
  fs.closeSync(r);
  const ok = /^ok ([\d.]+) /.exec(said);
  return ok ? { ms: Number(ok[1]), waitedMs } : { failed: `a forked canary (pid ${pid}) exited without finishing its work: forking this runtime can crash its workers` };
}
