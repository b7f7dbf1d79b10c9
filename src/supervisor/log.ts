// The supervisor's log: one line per lifecycle event. Its phrases are a documented contract (README, "Log lines";
// man page, LOG): tests and operators wait for them. Where the lines go and how they look is set once at start
// (--log-format, --log-file): text to stderr by default (with `<N>` priority prefixes when JOURNAL_STREAM says stderr is
// the journal, seconds since start on a terminal), or one JSON object per line; a --log-file is reopened on SIGUSR1
// (after logrotate has moved it).
import * as fs from 'node:fs';

const started = Date.now();

export type Level = 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';

/** syslog priorities (sd-daemon(3)'s `<N>` prefixes): info 6, warning 4, err 3. */
const PRIORITY: Record<Level, number> = { info: 6, warn: 4, error: 3 };

interface Sink {
  format: LogFormat;
  /** --log-file's path, or undefined for stderr. */
  file: string | undefined;
  fd: number;
  /** stderr is the journal's stream (JOURNAL_STREAM names its device and inode). */
  journal: boolean;
  tty: boolean;
  name: string | undefined;
}

/** Whether fd 2 is the stream JOURNAL_STREAM (`DEVICE:INODE`) names. */
function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.JOURNAL_STREAM) return false;
  try {
    const st = fs.fstatSync(2);
    return env.JOURNAL_STREAM === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

let sink: Sink = { format: 'text', file: undefined, fd: 2, journal: stderrIsJournal(), tty: Boolean(process.stderr.isTTY), name: undefined };

const openFile = (file: string) => fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640); // libuv adds O_CLOEXEC

/** Sets where and how the supervisor logs; throws (with the errno) if --log-file cannot be opened. */
export function configureLog(o: { format: LogFormat; file: string | undefined; name: string }): void {
  const fd = o.file === undefined ? 2 : openFile(o.file);
  sink = { ...sink, format: o.format, file: o.file, fd, name: o.name, tty: o.file === undefined && Boolean(process.stderr.isTTY), journal: o.file === undefined && stderrIsJournal() };
}

/** SIGUSR1: opens --log-file anew (logrotate moved it), then closes the old one; keeps the old one if it cannot. */
export function reopenLog(): void {
  if (sink.file === undefined) return info('SIGUSR1: logging to stderr, nothing to reopen');
  const old = sink.fd;
  try {
    sink = { ...sink, fd: openFile(sink.file) };
  } catch (e) {
    return error(`SIGUSR1: cannot reopen --log-file ${sink.file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); still writing to the old one`);
  }
  fs.closeSync(old);
  info(`log file ${sink.file} reopened`);
}

/** Whether the log goes to a terminal as plain text (where a progress bar may redraw a line). */
export function logIsTerminal(): boolean {
  return sink.tty && sink.format === 'text';
}

/** One line: `[prefork] [LEVEL] message`, or a JSON object with the fields time, level, name, pid, message. */
export function log(level: Level, message: string): void {
  let line: string;
  if (sink.format === 'json') {
    line = JSON.stringify({ time: new Date().toISOString(), level, name: sink.name ?? null, pid: process.pid, message });
  } else {
    const t = sink.tty ? `+${((Date.now() - started) / 1000).toFixed(3)}s ` : '';
    line = `${sink.journal ? `<${PRIORITY[level]}>` : ''}[prefork] ${t}[${level}] ${message}`;
  }
  if (sink.file === undefined) {
    process.stderr.write(`${line}\n`); // Node writes stderr pipes synchronously on Linux, and handles EAGAIN
    return;
  }
  try {
    fs.writeSync(sink.fd, `${line}\n`);
  } catch {
    // a full disk must not take the supervisor down
  }
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
