// The arbiter's hands for workers: it asks for them, adopts the pids the zygote reports, performs what
// worker-state.ts's table names (watch the pidfd, mark ready, SIGTERM, SIGKILL, forget once reaped), enforces the
// boot and graceful deadlines, refills slots with backoff, and counts boot failures. The worker tables themselves
// live in each Generation; what a failure means for the generation is decided by the arbiter (onBootFailed).
import { randomInt } from 'node:crypto';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { EXIT } from '../exit-codes';
import { native } from '../native';
import { WORKER_BOOT_ERROR, type RuntimeEvent } from '../protocol';
import { RespawnBackoff } from './backoff';
import { heartbeatInterval, type Generation, type GenerationSinks } from './generation';
import { FORKING } from './generation-state';
import * as log from './log';
import { oomKillCount, processMemory } from './memory';
import type { OomScores } from './oom';
import type { SupervisorConfig } from './config';
import type { RestartCause } from './status';
import { BOARD_SLOTS, FIELD, monotonicMs, SLOT_FIELDS, slotOf } from '../scoreboard';
import type { Worker, WorkerEvent } from './worker-state';
import { exitHow, transition } from './worker-state';

/** The part of the supervisor's config that concerns workers. */
export type WorkersConfig = Pick<
  SupervisorConfig,
  'workers' | 'bootTimeoutMs' | 'timeoutMs' | 'maxRequests' | 'maxRequestsJitter' | 'maxMemoryBytes' | 'maxAgeMs' | 'gracefulTimeoutMs'
>;

export interface WorkersHooks {
  /** A worker's pidfd says it exited (queue it: it is handled in the loop). */
  onExit(gen: Generation, w: Worker, code: number, signal: number): void;
  /** The generation cannot boot: the zygote cannot fork, or too many workers failed. */
  onBootFailed(gen: Generation, why: string, exitCode: number): void;
}

const SIGKILL = os.constants.signals.SIGKILL;

/** How often --max-memory reads each worker's smaps_rollup. */
const MEMORY_CHECK_MS = 1000;

/** Milliseconds between the signals sent to a hung worker. */
const ESCALATE_MS = 300;

/** Boot failures that fail a generation that does not serve yet (at least one per wanted worker). */
const MIN_BOOT_FAILURES = 3;


export class Workers {
  readonly #cfg: WorkersConfig;
  readonly #hooks: WorkersHooks;
  readonly #backoff = new RespawnBackoff();
  readonly #oom: OomScores;
  readonly #board: Float64Array;
  readonly #boardUsed = new Set<number>();
  /** Workers replaced, by cause (for status and metrics). */
  readonly restarts: Record<RestartCause, number> = { died: 0, 'boot-failure': 0, oom: 0, timeout: 0, recycle: 0 };
  /** How many workers each generation should have (--workers, then SIGTTIN/SIGTTOU and `prefork scale`). */
  wanted: number;
  /** The OOM-kill counter when last looked at, to tell an OOM kill from another SIGKILL. */
  #oomKills = oomKillCount();
  #nextBoard = 0;

  constructor(cfg: WorkersConfig, hooks: WorkersHooks, oom: OomScores, board: Float64Array) {
    this.#cfg = cfg;
    this.#board = board;
    this.#hooks = hooks;
    this.#oom = oom;
    this.wanted = cfg.workers;
  }

  /** Opens gen's event pipe, starts its zygote (fork mode) and adds its workers; false (boot-failed) if it cannot. */
  startGeneration(gen: Generation, sinks: GenerationSinks): boolean {
    try {
      const zygote = gen.start(sinks);
      if (zygote !== undefined) this.#oom.set(zygote, 'zygote');
    } catch (e) {
      this.#hooks.onBootFailed(gen, `cannot start: ${(e as Error).message}`, EXIT.SOFTWARE.code);
      return false;
    }
    for (let slot = 1; slot <= this.wanted; slot++) this.add(gen, slot);
    return true;
  }

  /** A new worker in `slot`: forked at once if the generation can fork, else when its zygote is ready. */
  add(gen: Generation, slot: number): void {
    // round-robin, so a slot is reused as late as possible: a fork the zygote performs late names an old slot
    if (this.#boardUsed.size >= BOARD_SLOTS) throw new Error(`no free scoreboard slot (${BOARD_SLOTS} in use)`);
    let board = this.#nextBoard;
    while (this.#boardUsed.has(board)) board = (board + 1) % BOARD_SLOTS;
    this.#nextBoard = (board + 1) % BOARD_SLOTS;
    this.#boardUsed.add(board);
    slotOf(this.#board, board).fill(0);
    const w: Worker = {
      generation: gen.id, slot, pid: 0, state: 'requested', requestedAt: performance.now(), readyAt: 0, stopAt: 0,
      wasReady: false, closed: false, board, hungAt: 0, escalation: 0, recycle: '', memoryCheckedAt: 0,
      maxRequests: this.#cfg.maxRequests > 0 ? this.#cfg.maxRequests + randomInt(0, this.#cfg.maxRequestsJitter + 1) : 0,
    };
    gen.workers.set(slot, w);
    if (FORKING.has(gen.state)) this.request(gen, w);
  }

  /** Asks the zygote (or, in exec mode, the shim) for the process of `w`. */
  request(gen: Generation, w: Worker): void {
    w.requestedAt = performance.now();
    try {
      const pid = gen.requestWorker(w.slot, w.board);
      if (pid !== undefined) this.#onForked(gen, w, pid);
    } catch (e) {
      log.error(`generation ${gen.id}: cannot start worker ${gen.id}.${w.slot}: ${(e as Error).message}`);
      this.#hooks.onBootFailed(gen, `cannot start workers: ${(e as Error).message}`, EXIT.SOFTWARE.code);
    }
  }

  /**
   * The first message naming a worker's pid (the zygote's 'forked' or its own) adopts it, if it answers the slot's
   * current request (the same scoreboard slot); a stray pid (a late fork for a request since replaced) is killed.
   */
  #adopt(gen: Generation, slot: number, board: number, pid: number): Worker | undefined {
    const w = gen.workers.get(slot);
    if (w && w.pid === pid) return w;
    if (w && w.state === 'requested' && w.board === board) {
      this.#onForked(gen, w, pid);
      return w;
    }
    signal(pid, 'SIGKILL');
    native().watchPid(pid, () => {});
    return undefined;
  }

  /** A worker's own line on the event pipe (or the zygote's 'forked' line about it). */
  report(gen: Generation, ev: Exclude<RuntimeEvent, { t: 'zygote-ready' | 'zygote-error' }>): void {
    // a fast worker can say ready before the zygote's 'forked' line arrives: either one adopts it
    const w = this.#adopt(gen, ev.slot, ev.board, ev.pid);
    if (ev.t === 'boot-error') gen.lastError = ev.message;
    else if (ev.t === 'ready' && w) this.apply(gen, w, 'ready', ev.ms);
    else if (ev.t === 'closed' && w) w.closed = true;
  }

  #onForked(gen: Generation, w: Worker, pid: number): void {
    w.pid = pid;
    // a new generation's workers are the OOM killer's first choice; a serving generation's replacements are not
    this.#oom.set(pid, gen.state === 'active' ? 'serving' : 'booting');
    this.apply(gen, w, 'forked');
    log.info(`worker ${gen.id}.${w.slot} started (pid ${pid})`);
  }

  /** Feeds `event` to the worker's state machine and performs the action it names. */
  apply(gen: Generation, w: Worker, event: WorkerEvent, ms?: number): void {
    const now = performance.now();
    switch (transition(w, event)) {
      case 'watch':
        try {
          native().watchPid(w.pid, (code, sig) => this.#hooks.onExit(gen, w, code, sig));
        } catch {
          // already gone and collected: its status is lost, but its slot must be refilled
          this.#hooks.onExit(gen, w, -1, 0);
        }
        return;
      case 'mark-ready':
        w.readyAt = now;
        w.wasReady = true;
        log.info(`worker ${gen.id}.${w.slot} (pid ${w.pid}) ready in ${(now - w.requestedAt).toFixed(1)} ms${ms === undefined ? '' : ` (${ms.toFixed(1)} ms in the worker)`}`);
        return;
      case 'terminate':
        w.stopAt = now;
        return signal(w.pid, 'SIGTERM');
      case 'kill':
        if (w.stopAt === 0) w.stopAt = now;
        if (event === 'kill-timeout') log.warn(`worker ${gen.id}.${w.slot} (pid ${w.pid}) did not stop within the graceful timeout: SIGKILL`);
        if (event === 'boot-timeout') log.error(`worker ${gen.id}.${w.slot} (pid ${w.pid}) not ready within the boot timeout: SIGKILL`);
        if (event === 'hung-kill') log.error(`worker ${gen.id}.${w.slot} (pid ${w.pid}) still running after SIGABRT (--timeout): SIGKILL`);
        return signal(w.pid, 'SIGKILL');
      case 'abort':
        log.error(`worker ${gen.id}.${w.slot} (pid ${w.pid}) still running ${ESCALATE_MS} ms after SIGTERM (--timeout): SIGABRT`);
        return signal(w.pid, 'SIGABRT');
      case 'reaped':
        if (gen.workers.get(w.slot) === w) gen.workers.delete(w.slot);
        this.#boardUsed.delete(w.board);
        return;
      default:
        return;
    }
  }

  /** `stop` (SIGTERM, drain) or `quit` (SIGKILL) every live worker of the generation. */
  applyAll(gen: Generation, event: 'stop' | 'quit'): void {
    for (const w of gen.liveWorkers()) this.apply(gen, w, event);
  }

  /** A watched worker exited: log it, count a boot failure, and back off the next start while workers keep dying. */
  exited(gen: Generation, w: Worker, code: number, sig: number): void {
    const was = w.state;
    const bootFailed = !w.wasReady && was !== 'stopping';
    this.apply(gen, w, 'exit');
    if (was === 'stopping') return log.info(`worker ${gen.id}.${w.slot} (pid ${w.pid}) exited with ${exitHow(code, sig)}`);
    const oom = sig === SIGKILL ? this.#oomSuspected() : '';
    this.restarts[oom ? 'oom' : bootFailed ? 'boot-failure' : 'died']++;
    (bootFailed ? log.error : log.warn)(`worker ${gen.id}.${w.slot} (pid ${w.pid}) ${bootFailed ? 'failed to boot' : 'died'}: exited with ${exitHow(code, sig)}${oom}`);
    if (bootFailed || code === WORKER_BOOT_ERROR) this.#countBootFailure(gen);
    if (!FORKING.has(gen.state)) return;
    const now = performance.now();
    const delay = this.#backoff.exited(now, w.wasReady ? now - w.readyAt : 0);
    if (delay > 0) log.warn(`${this.#backoff.recentExits} worker exits in the last minute: next worker starts in ${delay} ms`);
  }

  /** For a SIGKILL nobody here sent: whether the kernel's OOM-kill counter rose since the last look. */
  #oomSuspected(): string {
    const before = this.#oomKills;
    const now = (this.#oomKills = oomKillCount());
    if (now === undefined || before === undefined || now <= before) return '';
    return ` (OOM suspected: the OOM killer's count in this memory cgroup rose from ${before} to ${now})`;
  }

  /** Workers of `gen` now serve: they move behind the next generation's in the OOM killer's order. */
  serving(gen: Generation): void {
    for (const w of gen.workers.values()) if (w.pid > 0) this.#oom.set(w.pid, 'serving');
  }

  /** Enough boot failures fail a generation (the arbiter's table ignores them for one that serves). */
  #countBootFailure(gen: Generation): void {
    gen.bootFailures++;
    if (gen.bootFailures < Math.max(MIN_BOOT_FAILURES, this.wanted)) return;
    this.#hooks.onBootFailed(gen, `the app failed to boot ${gen.bootFailures} times${gen.lastError ? `: ${gen.lastError}` : ''}`, EXIT.APP_BOOT.code);
  }

  /**
   * Every generation's deadlines (a zygote or worker too slow to boot, a worker hung or too slow to stop, a retired
   * zygote that does not exit), then, unless the supervisor is stopping, each worker count restored.
   */
  check(generations: readonly Generation[], now: number, restore: boolean): void {
    const { bootTimeoutMs, gracefulTimeoutMs } = this.#cfg;
    for (const gen of [...generations]) {
      if (gen.state === 'starting' && now - gen.startedAt > bootTimeoutMs) {
        this.#hooks.onBootFailed(gen, `zygote not ready within ${bootTimeoutMs / 1000} s`, EXIT.APP_BOOT.code);
      } else {
        this.checkDeadlines(gen, now);
        gen.endLingeringZygote(now, gracefulTimeoutMs);
      }
      if (restore) this.restore(gen, now);
    }
  }

  /**
   * Kills workers past the boot timeout (once the generation can fork), ready workers whose heartbeat is older than
   * --timeout (SIGTERM, then SIGABRT so a core or a report can show where it hung, then SIGKILL, ESCALATE_MS
   * apart), and stopping workers past the graceful timeout.
   */
  checkDeadlines(gen: Generation, now: number): void {
    const { bootTimeoutMs, gracefulTimeoutMs, timeoutMs } = this.#cfg;
    if (FORKING.has(gen.state)) this.#checkRecycling(gen, now);
    const mono = monotonicMs();
    for (const w of gen.workers.values()) {
      const beat = this.#board[w.board * SLOT_FIELDS + FIELD.heartbeat] ?? 0;
      if (w.state === 'ready' && beat > 0 && mono - beat > timeoutMs) {
        log.error(`worker ${gen.id}.${w.slot} (pid ${w.pid}) missed its heartbeat: the last was ${((mono - beat) / 1000).toFixed(1)} s ago, --timeout ${timeoutMs / 1000} s (${((mono - beat - timeoutMs) / 1000).toFixed(1)} s late): SIGTERM`);
        w.hungAt = now;
        this.restarts.timeout++;
        this.apply(gen, w, 'hung');
        continue;
      }
      if (w.state === 'stopping' && w.hungAt > 0 && now - w.hungAt > ESCALATE_MS * (w.escalation + 1) && w.escalation < 2) {
        this.apply(gen, w, w.escalation++ === 0 ? 'hung-abort' : 'hung-kill');
        continue;
      }
      if ((w.state === 'booting' || w.state === 'requested') && gen.state !== 'starting' && now - w.requestedAt > bootTimeoutMs) {
        gen.lastError = `worker not ready within ${bootTimeoutMs / 1000} s`;
        this.apply(gen, w, 'boot-timeout');
        this.#countBootFailure(gen);
      } else if (w.state === 'stopping' && w.stopAt > 0 && now - w.stopAt > gracefulTimeoutMs) {
        w.stopAt = now; // re-kill later if SIGKILL is somehow not enough
        this.apply(gen, w, 'kill-timeout');
      }
    }
  }

  /**
   * Brings a generation that forks to the wanted count: the newest workers above it drain (scaling down), and
   * missing ones are started in the lowest free slots unless the backoff says wait.
   */
  restore(gen: Generation, now: number): void {
    if (!FORKING.has(gen.state)) return;
    const counted = [...gen.workers.values()].filter(w => w.state !== 'stopping' && w.state !== 'dead' && !w.recycle);
    const newest = counted.sort((a, b) => b.requestedAt - a.requestedAt).slice(0, Math.max(0, counted.length - this.wanted));
    for (const w of newest) {
      log.info(`worker ${gen.id}.${w.slot} (pid ${w.pid}) stopping: scaling down to ${this.wanted} workers`);
      this.apply(gen, w, 'stop');
    }
    // a recycled worker drains only once enough others are ready, so capacity never dips
    const ready = counted.filter(w => w.state === 'ready' && !newest.includes(w)).length;
    for (const w of gen.workers.values()) {
      if (w.recycle && w.state === 'ready' && ready >= this.wanted) {
        log.info(`worker ${gen.id}.${w.slot} (pid ${w.pid}) recycled: ${w.recycle}; its replacement is ready`);
        this.apply(gen, w, 'stop');
      }
    }
    if (!this.#backoff.allows(now)) return;
    for (let slot = 1, n = counted.length - newest.length; n < this.wanted; slot++) {
      if (gen.workers.has(slot)) continue;
      this.add(gen, slot);
      n++;
    }
  }

  /** Marks ready workers that are due for recycling: by requests served, by age, or (once a second) private memory. */
  #checkRecycling(gen: Generation, now: number): void {
    const { maxRequests, maxMemoryBytes, maxAgeMs } = this.#cfg;
    for (const w of gen.workers.values()) {
      if (w.state !== 'ready' || w.recycle) continue;
      const memory = maxMemoryBytes > 0 && now - w.memoryCheckedAt >= MEMORY_CHECK_MS;
      if (memory) w.memoryCheckedAt = now;
      const served = this.#board[w.board * SLOT_FIELDS + FIELD.requests] ?? 0;
      let why = '';
      if (w.maxRequests > 0 && served >= w.maxRequests) why = `served ${served} requests (--max-requests ${maxRequests} + jitter ${w.maxRequests - maxRequests})`;
      else if (maxAgeMs > 0 && now - w.readyAt > maxAgeMs) why = `running for ${((now - w.readyAt) / 1000).toFixed(0)} s (--max-age ${maxAgeMs / 1000} s)`;
      else if (memory) {
        const priv = processMemory(w.pid).privateBytes;
        if (priv !== undefined && priv > maxMemoryBytes) why = `private memory ${(priv / 2 ** 20).toFixed(1)} MiB (Pss_Anon) over --max-memory ${(maxMemoryBytes / 2 ** 20).toFixed(1)} MiB`;
      }
      if (!why) continue;
      w.recycle = why;
      this.restarts.recycle++;
      log.info(`worker ${gen.id}.${w.slot} (pid ${w.pid}) recycling: ${why}; its replacement starts first`);
    }
  }

  /**
   * Whether some ready worker of `gen` can serve now: its heartbeat is at most 3 beats old (or it keeps none). The
   * service manager's watchdog is fed only while one can.
   */
  anyHealthy(gen: Generation): boolean {
    const fresh = 3 * heartbeatInterval(this.#cfg.timeoutMs);
    const mono = monotonicMs();
    return this.ready(gen).some(w => {
      const beat = this.#board[w.board * SLOT_FIELDS + FIELD.heartbeat] ?? 0;
      return beat === 0 || mono - beat <= fresh;
    });
  }

  /** Whether every wanted worker of the generation has reported ready. */
  allReady(gen: Generation): boolean {
    return this.ready(gen).length >= this.wanted;
  }

  /** Whether a worker of `gen` that served may still accept connections (it has neither closed nor exited). */
  mayAccept(gen: Generation): boolean {
    return [...gen.workers.values()].some(w => w.wasReady && !w.closed && w.state !== 'dead');
  }

  /** Sets the wanted count from N, +K or -K (scaleTarget); returns why not, or undefined. */
  scale(to: string): string | undefined {
    const n = scaleTarget(to, this.wanted);
    if (typeof n === 'string') return n;
    if (n !== this.wanted) log.info(`scaling from ${this.wanted} to ${n} workers`);
    this.wanted = n;
    return undefined;
  }

  /** The pids of `gen`'s workers when it has exactly the wanted count, all ready (what `prefork scale` waits for). */
  scaled(gen: Generation): number[] | undefined {
    const ready = this.ready(gen);
    return ready.length === this.wanted && gen.workers.size === ready.length ? ready.map(w => w.pid) : undefined;
  }

  /** The generation's ready workers. */
  ready(gen: Generation): Worker[] {
    return [...gen.workers.values()].filter(w => w.state === 'ready');
  }
}

/** The most workers `prefork scale` may ask for. */
const MAX_WORKERS = 1024;

/** The worker count `to` (N, +K or -K) asks for, from `was`; or why it is refused. */
export function scaleTarget(to: string, was: number): number | string {
  const m = /^([+-]?)(\d{1,4})$/.exec(to.trim());
  const k = Number(m?.[2]);
  const n = m?.[1] === '+' ? was + k : m?.[1] === '-' ? was - k : k;
  if (m && n >= 1 && n <= MAX_WORKERS) return n;
  return `scale: expected N, +K or -K giving 1 to ${MAX_WORKERS} workers, got '${to}' (now ${was})`;
}

/** Sends `sig` to `pid`, which may already be gone (its exit event is then on the way). */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
