// What the supervisor, zygotes and workers say to each other. Runtime config travels in one environment variable;
// events are single JSON lines written to the generation's pipe (each under PIPE_BUF, so writes never interleave).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { EXIT } from './exit-codes';

/** Everything a zygote or an exec-mode worker needs, passed in _PREFORK_RUNTIME. */
export interface RuntimeConfig {
  generation: number;
  /** The supervisor's --name, for process titles. */
  name: string;
  /** Absolute path of the app module or package directory. */
  app: string;
  preload: boolean;
  mode: 'fork' | 'exec';
  supervisorPid: number;
  /** Write end of the generation's event pipe, the same number in every process of the generation. */
  eventsFd: number;
  binds: { fd: number; label: string }[];
  datasets: { name: string; fd: number }[];
  /** Pre-fault dataset pages before ready (huge pages too; off only for bench/seed.js's no-populate rows). */
  populate: boolean;
  /** Set in each worker's process.env (--env K=V). */
  env: Record<string, string>;
  /** Milliseconds a draining connection may stay idle before it is closed. */
  idleGraceMs: number;
  /** The scoreboard memfd (src/scoreboard.ts), and how often a worker writes its heartbeat there. */
  scoreboardFd: number;
  heartbeatMs: number;
  /** Fork one canary before saying ready (self-check.ts): the supervisor's first generation, in fork mode. */
  selfCheck: boolean;
}

export const RUNTIME_ENV = '_PREFORK_RUNTIME';

/** What `ps` and `top` show for each process of a supervisor (gunicorn and unicorn set theirs too). */
export const TITLE = {
  supervisor: (name: string) => `prefork: supervisor [${name}]`,
  zygote: (generation: number, name: string) => `prefork: zygote ${generation} [${name}]`,
  worker: (generation: number, slot: number, name: string) => `prefork: worker ${generation}.${slot} [${name}]`,
};
/** The worker's slot number (exec mode; forked workers are told on the command pipe). */
export const SLOT_ENV = '_PREFORK_SLOT';
/** The worker's slot on the scoreboard (exec mode; forked workers are told on the command pipe). */
export const BOARD_ENV = '_PREFORK_BOARD';
/**
 * For bench/run.js only, set in the supervisor's environment: workers keep no scoreboard (no heartbeat, no request
 * or connection counters), so the cost of keeping it can be measured. --timeout and status's counts are then blind.
 */
export const BENCH_NO_SCOREBOARD_ENV = '_PREFORK_BENCH_NO_SCOREBOARD';
/** Benchmarks only: workers do not pre-fault the datasets (MADV_POPULATE_READ) before ready, so first scans take the faults. */
export const BENCH_NO_POPULATE_ENV = '_PREFORK_BENCH_NO_POPULATE';

/**
 * Tests only, in the supervisor's environment: `hang` or `crash` makes the fork self-check's canary behave like a
 * runtime whose forked children hang or crash, so the fallback to exec mode can be driven through the real CLI.
 */
export const SELF_CHECK_FAULT_ENV = '_PREFORK_TEST_CANARY';

export type RuntimeEvent =
  /** `selfCheck`: the canary's own time, and how much of it the zygote waited for after its own start-up. */
  | { t: 'zygote-ready'; pid: number; ms: number; selfCheck?: { ms: number; waitedMs: number } }
  /** `selfCheck`: forking itself failed (a canary hung or crashed), not the app. */
  | { t: 'zygote-error'; pid: number; message: string; selfCheck?: true }
  // a worker's events name its slot and its scoreboard slot (`board`): a fork the zygote performs late, for a
  // request the supervisor has since replaced, names an old board and is not adopted
  | { t: 'forked'; pid: number; slot: number; board: number }
  | { t: 'ready'; pid: number; slot: number; board: number; ms: number }
  | { t: 'boot-error'; pid: number; slot: number; board: number; message: string }
  /** A draining worker has closed its listening sockets: it accepts no new connection. */
  | { t: 'closed'; pid: number; slot: number; board: number };

/** Exit code of a worker whose app failed to import or start (gunicorn's WORKER_BOOT_ERROR). */
export const WORKER_BOOT_ERROR = EXIT.APP_BOOT.code;
/** Exit code of a zygote or worker whose supervisor died before it could arm its parent-death signal. */
export const ORPHANED_EXIT = EXIT.SOFTWARE.code;
/** The signal zygotes and workers get when the supervisor dies (PR_SET_PDEATHSIG). */
export const PDEATHSIG = os.constants.signals.SIGKILL;

/** Writes one event line; never throws (a supervisor that is gone cannot be told anything). */
export function sendEvent(fd: number, ev: RuntimeEvent): void {
  let line = `${JSON.stringify(ev)}\n`;
  if (Buffer.byteLength(line) > 4000) line = `${JSON.stringify({ ...ev, message: 'message' in ev ? ev.message.slice(0, 3000) : undefined })}\n`;
  try {
    fs.writeSync(fd, line);
  } catch {
    // supervisor gone: PDEATHSIG will end this process
  }
}

/** Parses one event line; undefined for anything that is not an event. */
export function parseEvent(line: string): RuntimeEvent | undefined {
  try {
    const ev = JSON.parse(line) as RuntimeEvent;
    return typeof ev === 'object' && ev !== null && typeof ev.t === 'string' ? ev : undefined;
  } catch {
    return undefined;
  }
}
