// Every way a forked worker can end goes through _exit (docs/ARCHITECTURE.md, "Forking Node"): Node's own shutdown waits on platform
// threads the fork did not copy. stdout and stderr are made blocking first (pipes and sockets, journald's included,
// are asynchronous in Node), so a write that returned is flushed before _exit.
import * as fs from 'node:fs';
import { native } from '../native';

let installed = false;

/** Makes stdout and stderr blocking (creating their streams if need be), so a write that returned is written. */
export function blockingStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    (stream as unknown as { _handle?: { setBlocking?: (b: boolean) => void } })._handle?.setBlocking?.(true);
  }
}

/** Routes process.exit, the end of the event loop, uncaught exceptions and unhandled rejections to _exit. */
export function installExitPaths(): void {
  if (installed) return;
  installed = true;
  blockingStdio();
  // Node emits 'exit' for process.exit(), for an empty loop, and (before printing it) for an uncaught exception.
  // This listener was added first: it runs the app's own 'exit' listeners, then leaves.
  const leave = (code: number) => {
    const status = typeof code === 'number' ? code : Number(process.exitCode ?? 0);
    for (const listener of process.listeners('exit')) {
      if (listener === leave) continue;
      try {
        listener.call(process, status);
      } catch (e) {
        writeStderr(`prefork worker ${process.pid}: an 'exit' listener threw: ${(e as Error)?.stack ?? String(e)}\n`);
      }
    }
    native().exit(Number(process.exitCode ?? status));
  };
  process.on('exit', leave);
  process.on('uncaughtExceptionMonitor', (err, origin) => {
    if (process.listenerCount('uncaughtException') > 0) return; // the app handles it
    const what = origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception';
    writeStderr(`prefork worker ${process.pid}: ${what}: ${(err as Error)?.stack ?? String(err)}\n`);
  });
}

/** Leaves at once with `code`. */
export function exitNow(code: number): never {
  return native().exit(code);
}

export function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // stderr closed
  }
}
