// systemd's notification protocol (sd_notify(3)), without libsystemd: one datagram of `KEY=VALUE` lines to
// $NOTIFY_SOCKET per change, sent by the shim. READY=1 once generation 1 serves; RELOADING=1 with MONOTONIC_USEC when a
// swap starts and READY=1 when it ends, served (once no old worker accepts) or failed closed (so Type=notify with
// ExecReload and Type=notify-reload both work); STOPPING=1; STATUS= lines for `systemctl status`;
// EXTEND_TIMEOUT_USEC while datasets load; WATCHDOG=1 every half WATCHDOG_USEC from the loop's tick, only while a
// worker is healthy (or before any generation has served); ERRNO= when the supervisor halts on an error. Without
// NOTIFY_SOCKET all of it is off.
import { EXIT } from '../exit-codes';
import { native } from '../native';
import * as log from './log';
import { formatBytes } from './memory';
import type { SupervisorStatus } from './status';

/** The variables the service manager sets for the supervisor alone: removed before any child is started. */
const OWN_ENV = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

/** How long a message during a dataset load extends the start (or reload) timeout: the next one comes within 1 s. */
const EXTEND_USEC = 10_000_000;
/** The least time between two STATUS lines about a load's progress. */
const PROGRESS_EVERY_MS = 1000;
/** How often the tick looks whether the status line changed (workers died, were replaced). */
const STATUS_EVERY_MS = 1000;

/** errno values for ERRNO=, by the exit code the supervisor halts with (`systemctl status` shows them by name). */
const ERRNO_FOR_EXIT: Record<number, number> = {
  [EXIT.NOMEM.code]: 12, // ENOMEM
  [EXIT.NOINPUT.code]: 2, // ENOENT
  [EXIT.DATAERR.code]: 74, // EBADMSG
  [EXIT.USAGE.code]: 22, // EINVAL
  [EXIT.NOPERM.code]: 13, // EACCES
  [EXIT.APP_BOOT.code]: 5, // EIO
};

export interface LoadProgress {
  generation: number;
  doneBytes: number;
  totalBytes: number;
  /** Bytes per second so far. */
  rate: number;
}

/** A STATUS= line a person reads in `systemctl status`. */
export function statusLine(s: SupervisorStatus): string {
  if (s.stopping) return `stopping (${s.stopping})`;
  const serving = s.generations.find(g => g.id === s.generation);
  if (!serving) return 'starting: no generation serves yet';
  const ready = serving.workers.filter(w => w.state === 'ready').length;
  const datasets = serving.datasets.map(d => `${d.name} ${formatBytes(d.bytes)}`).join(', ');
  const reload = s.lastReloadError ? `last reload failed: ${s.lastReloadError}` : s.counters.reloads > 0 ? 'last reload ok' : 'no reload yet';
  return `generation ${serving.id}: ${ready}/${s.wanted} workers ready${datasets ? `; datasets ${datasets}` : ''}; ${reload}`;
}

/** The supervisor's side of the protocol; every method is a no-op without $NOTIFY_SOCKET. */
export class ServiceManager {
  readonly #socket: string | undefined;
  /** Half of WATCHDOG_USEC, in ms, if the watchdog is on for this process. */
  readonly #watchdogEveryMs: number | undefined;
  #lastPing = -Infinity;
  #lastStatus = '';
  #lastProgress = -Infinity;
  #lastStatusCheck = -Infinity;
  #failedOnce = false;

  /** Until the supervisor being upgraded hands over (it is still systemd's main process), nothing is sent. */
  #muted: boolean;
  readonly #env: Record<string, string>;

  /**
   * Reads the service manager's variables and removes them from the environment children inherit; `muted` for a
   * supervisor started by an upgrade, until takeOver().
   */
  constructor(env: NodeJS.ProcessEnv = process.env, muted = false) {
    this.#socket = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    this.#watchdogEveryMs = this.#socket && forUs && usec > 0 ? usec / 2000 : undefined;
    this.#env = Object.fromEntries(['NOTIFY_SOCKET', 'WATCHDOG_USEC'].filter(k => env[k]).map(k => [k, env[k] ?? '']));
    this.#muted = muted;
    for (const name of OWN_ENV) delete env[name];
  }

  /** What a successor supervisor (an upgrade) needs of the service manager's variables. */
  get successorEnv(): Record<string, string> {
    return this.#env;
  }

  /** Old side of an upgrade: the new supervisor is systemd's main process from now on; this one only drains. */
  handOver(pid: number): void {
    // READY=1 too: the service is up, whatever the new one manages to say before systemd takes it as main
    this.#send({ MAINPID: pid, READY: 1, STATUS: `upgraded: supervisor pid ${pid} serves; pid ${process.pid} drains` });
    this.#muted = true;
  }

  /** New side of an upgrade: the old supervisor has handed over; speak from now on. */
  takeOver(s: SupervisorStatus): void {
    this.#muted = false;
    this.#lastPing = -Infinity;
    this.#lastStatus = statusLine(s);
    this.#send({ MAINPID: process.pid, STATUS: this.#lastStatus });
  }

  get enabled(): boolean {
    return this.#socket !== undefined;
  }

  /** At start, before the first dataset loads: who the main process is, and a first watchdog ping (puma#3675). */
  starting(): void {
    if (!this.#socket) return;
    log.info(`notifying the service manager on ${this.#socket}${this.#watchdogEveryMs ? `; watchdog ping every ${(this.#watchdogEveryMs / 1000).toFixed(1)} s` : ''}`);
    this.#send({ MAINPID: process.pid, STATUS: 'starting: loading datasets', ...(this.#watchdogEveryMs ? { WATCHDOG: 1 } : {}) });
    this.#lastPing = performance.now();
  }

  /** A generation serves (the first, or a swap's): READY=1 with the status. */
  ready(s: SupervisorStatus): void {
    this.#lastStatus = statusLine(s);
    this.#send({ READY: 1, MAINPID: process.pid, STATUS: this.#lastStatus });
  }

  /** A swap starts (SIGHUP, `prefork reload`, a watched change). */
  reloading(generation: number): void {
    const usec = process.hrtime.bigint() / 1000n;
    this.#send({ RELOADING: 1, MONOTONIC_USEC: String(usec), STATUS: `reloading: generation ${generation} loading` });
  }

  stopping(): void {
    this.#send({ STOPPING: 1, STATUS: 'stopping' });
  }

  /** The supervisor halts with `exitCode` because of `why`. */
  halting(exitCode: number, why: string): void {
    const errno = ERRNO_FOR_EXIT[exitCode];
    this.#send({ STATUS: `halted: ${why}`, ...(errno ? { ERRNO: errno } : {}) });
  }

  /** Datasets are loading: keep the start (or reload) timeout from running out, and say how far along. */
  loading(p: LoadProgress): void {
    const now = performance.now();
    if (!this.#socket || now - this.#lastProgress < PROGRESS_EVERY_MS) return;
    this.#lastProgress = now;
    const pct = p.totalBytes > 0 ? ` (${((100 * p.doneBytes) / p.totalBytes).toFixed(0)}%)` : '';
    const rate = p.rate > 0 ? `, ${formatBytes(p.rate)}/s` : '';
    this.#send({ EXTEND_TIMEOUT_USEC: EXTEND_USEC, STATUS: `generation ${p.generation}: loading datasets, ${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)}${pct}${rate}` });
  }

  /**
   * From the loop's tick: WATCHDOG=1 when half the watchdog period has passed and `healthy` (the loop runs, so it
   * only needs to know a worker can serve); a STATUS= line when the status line changed.
   */
  tick(healthy: () => boolean, snapshot: () => SupervisorStatus): void {
    if (!this.#socket || this.#muted) return;
    const now = performance.now();
    if (this.#watchdogEveryMs !== undefined && now - this.#lastPing >= this.#watchdogEveryMs && healthy()) {
      this.#lastPing = now;
      this.#send({ WATCHDOG: 1 });
    }
    if (now - this.#lastStatusCheck < STATUS_EVERY_MS) return;
    this.#lastStatusCheck = now;
    const s = snapshot();
    const line = statusLine(s);
    if (s.generation !== null && line !== this.#lastStatus) {
      this.#lastStatus = line;
      this.#send({ STATUS: line });
    }
  }

  #send(fields: Record<string, string | number>): void {
    if (!this.#socket || this.#muted) return;
    const text = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`).join('\n');
    try {
      native().sdNotify(this.#socket, `${text}\n`);
    } catch (e) {
      // the service manager went away, or the socket is not one: say so once, keep serving
      if (!this.#failedOnce) log.warn(`cannot notify the service manager on ${this.#socket}: ${(e as Error).message}`);
      this.#failedOnce = true;
    }
  }
}
