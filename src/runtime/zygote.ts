// The zygote of one generation (docs/ARCHITECTURE.md, "Processes"): started with `node --single-threaded`, it maps the datasets,
// optionally imports the app, and then blocks reading "fork SLOT" lines on fd 0. It never runs its event loop, so a
// forked child inherits no timers, servers or watchers: the child returns from the loop below and becomes a worker.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { attachDataset } from '../datasets/handle';
import { native } from '../native';
import type { RuntimeConfig } from '../protocol';
import { ORPHANED_EXIT, PDEATHSIG, RUNTIME_ENV, SELF_CHECK_FAULT_ENV, sendEvent, TITLE, WORKER_BOOT_ERROR } from '../protocol';
import { registry } from '../registry';
import { afterFork } from './after-fork';
import type { AppShape } from './app';
import { importApp, shapeOf, warmUp } from './app';
import { blockingStdio } from './exit';
import { shrinkBeforeFork } from './gc';
import { deferAppListen } from './listen';
import { useCacheFreeCrypto } from './random';
import type { Canary } from './self-check';
import { abandonSelfCheck, finishSelfCheck, startSelfCheck } from './self-check';
import { runWorker } from './worker';

/** Handles the app may legitimately leave behind at import: stdio streams. Anything else would leak into workers. */
function activeResources(): string[] {
  return process.getActiveResourcesInfo().sort();
}

function extraResources(before: string[], after: string[]): string[] {
  const left = [...before];
  return after.filter(r => {
    const i = left.indexOf(r);
    if (i >= 0) left.splice(i, 1);
    return i < 0;
  });
}

async function preload(config: RuntimeConfig): Promise<AppShape> {
  // stdio handles are created lazily; make them exist before the baseline so an app that logs is not refused
  void process.stdout;
  void process.stderr;
  const before = activeResources();
  const shape = shapeOf(await importApp(config.app));
  // requests the import finished with (a file handle's close) complete within a few loop turns: let them
  for (let i = 0; i < 20 && extraResources(before, activeResources()).some(r => /Req/.test(r)); i++) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  const extra = extraResources(before, activeResources());
  if (extra.length > 0) {
    throw new Error(
      `--preload: importing the app left active handles in the zygote (${extra.join(', ')}); ` +
        'forked workers would inherit them. Open sockets, timers and watchers when serving starts, or run without --preload',
    );
  }
  return shape;
}

/**
 * Reads commands until one says `fork SLOT BOARD`; returns the slot and scoreboard slot in the child. Exits when the
 * supervisor closes the pipe.
 */
function commandLoop(config: RuntimeConfig): { slot: number; board: number } {
  const shim = native();
  const buf = Buffer.alloc(4096);
  let text = '';
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const nl = text.indexOf('\n');
    if (nl >= 0) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      const m = /^fork (\d+) (\d+)$/.exec(line);
      if (!m) continue;
      const slot = Number(m[1]);
      const board = Number(m[2]);
      const pid = shim.doubleFork();
      if (pid === 0) return { slot, board };
      sendEvent(config.eventsFd, { t: 'forked', pid, slot, board });
      continue;
    }
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(sleep, 0, 0, 5);
        continue;
      }
      throw e;
    }
    if (n === 0) process.exit(0);
    text += buf.toString('utf8', 0, n);
  }
}

/** Threads of this process right now. */
function threadCount(): number {
  return fs.readdirSync('/proc/self/task').length;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const threadsAtStart = threadCount();
  const config = JSON.parse(process.env[RUNTIME_ENV] ?? '') as RuntimeConfig;
  delete process.env[RUNTIME_ENV];
  const fault = process.env[SELF_CHECK_FAULT_ENV];
  delete process.env[SELF_CHECK_FAULT_ENV];
  const shim = native();
  shim.setPdeathsig(PDEATHSIG);
  shim.ignoreTerminalStops(); // its process group is never the terminal's foreground one
  if (shim.getppid() !== config.supervisorPid) process.exit(ORPHANED_EXIT);
  process.title = TITLE.zygote(config.generation, config.name);
  const reg = registry();
  reg.generation = config.generation;
  for (const d of config.datasets) reg.datasets.set(d.name, attachDataset(d.fd));
  useCacheFreeCrypto();
  // the stdio streams first, blocking as afterFork makes them in every child (creating a pipe's stream made its file
  // description non-blocking, and the zygote's own messages go out with fs.writeSync(2)): the canary then inherits
  // them made, and does not flip the shared file descriptions to non-blocking while this zygote writes to them
  blockingStdio();
  // the canary tests the runtime, so it can start now and run on the other core while this zygote warms up
  let canary: Canary | undefined;
  if (config.selfCheck) {
    const started = startSelfCheck(config.supervisorPid, fault);
    if (started === 'canary') return; // this is the canary: it finishes on its own event loop
    canary = started;
  }
  const fail = (message: string, detail: string, selfCheck = false): never => {
    const killed = canary ? `; its fork self-check canary (pid ${canary.pid}) was killed` : '';
    if (canary) abandonSelfCheck(canary);
    fs.writeSync(2, `prefork zygote ${process.pid}: ${detail}${killed}\n`);
    sendEvent(config.eventsFd, { t: 'zygote-error', pid: process.pid, message, ...(selfCheck ? { selfCheck: true as const } : {}) });
    process.exit(WORKER_BOOT_ERROR);
  };
  let shape: AppShape | undefined;
  let selfCheck: { ms: number; waitedMs: number } | undefined;
  try {
    deferAppListen();
    await warmUp(config.app);
    if (config.preload) {
      try {
        shape = await preload(config);
      } catch (e) {
        const err = e as Error;
        fail(err?.message ?? String(e), err?.stack ?? String(e));
      }
    }
    const threads = threadCount();
    if (threads > threadsAtStart) {
      // a thread that holds a lock at fork time leaves that lock held forever in the child (docs/ARCHITECTURE.md, "Forking Node")
      const message =
        `the zygote runs ${threads - threadsAtStart} more thread(s) than when it started (worker_threads, or the libuv ` +
        'thread pool used while importing the app with --preload); forking it could deadlock the workers. Start ' +
        'threads and async I/O when serving starts, or run without --preload (or with --worker-mode exec)';
      fail(message, message);
    }
    shrinkBeforeFork();
    if (canary) {
      const check = finishSelfCheck(canary);
      canary = undefined; // finished: its pipe is closed and it is gone
      if ('failed' in check) fail(`fork self-check failed: ${check.failed}`, `fork self-check failed: ${check.failed}`, true);
      else selfCheck = check;
    }
  } catch (e) {
    const err = e as Error;
    fail(`the zygote failed to start: ${err?.message ?? String(e)}`, err?.stack ?? String(e));
  }
  sendEvent(config.eventsFd, { t: 'zygote-ready', pid: process.pid, ms: performance.now() - t0, ...(selfCheck ? { selfCheck } : {}) });
  const { slot, board } = commandLoop(config);
  const tf = performance.now();
  afterFork(config.supervisorPid);
  await runWorker(config, { slot, board }, shape, tf);
}

void main();
