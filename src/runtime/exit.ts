// Every way a forked worker can end goes through _exit (DESIGN.md 2.4): Node's own shutdown waits on platform
// threads the fork did not copy. stdout and stderr are synchronous for files, pipes and ttys on Linux, so a write
// that returned is already flushed.
import * as fs from 'node:fs';
import { native } from '../native';

let installed = false;

/** Routes process.exit, the end of the event loop, uncaught exceptions and unhandled rejections to _exit. */
export function installExitPaths(): void {
  if (installed) return;
  installed = true;
  // Node emits 'exit' for process.exit(), for an empty loop, and (before printing it) for an uncaught exception.
  process.on('exit', code => native().exit(typeof code === 'number' ? code : Number(process.exitCode ?? 0)));
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
