// The supervisor's log: one line per lifecycle event on stderr. Its phrases are a documented contract (README, "Log
// lines"; man page, LOG): tests and operators wait for them.
const started = Date.now();

export type Level = 'info' | 'warn' | 'error';

/** Writes `[prefork] [LEVEL] message` to stderr (journald adds its own timestamp; a tty gets seconds since start). */
export function log(level: Level, message: string): void {
  const t = process.stderr.isTTY ? `+${((Date.now() - started) / 1000).toFixed(3)}s ` : '';
  process.stderr.write(`[prefork] ${t}[${level}] ${message}\n`);
}

export const info = (m: string) => log('info', m);
export const warn = (m: string) => log('warn', m);
export const error = (m: string) => log('error', m);

/** Runs one step of the supervisor's loop: a step that throws (a spawn or a slot that failed) must not take it down. */
export function guarded(step: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    error(`internal error ${step}: ${(e as Error)?.stack ?? String(e)}`);
  }
}
