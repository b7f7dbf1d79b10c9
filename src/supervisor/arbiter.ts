// The supervisor: the one owner of state (STYLE.md 1-2, after gunicorn's arbiter and s6-supervise).
//
//   systemd / shell
//     └─ supervisor (this process; PR_SET_CHILD_SUBREAPER; owns listeners, datasets, the worker table)
//          ├─ zygote N     node --single-threaded: maps generation N's datasets, forks on "fork SLOT"
//          ├─ worker N.1…  double-forked from zygote N, re-parented here, watched through pidfds
//          └─ during a reload: zygote N+1 and workers N+1.*, then generation N drains and exits
//
// Signal handlers, pidfd watchers, timers and event pipes only queue events. tick() handles them in one fixed order:
// queued events → health (boot and stop deadlines) → restore the worker count → finish stops, swaps and exit.
// A reload (SIGHUP) loads datasets into new memfds and starts generation N+1 beside N; when every N+1 worker is
// ready, N is asked to drain (SIGTERM: stop accepting, finish in-flight requests) and is killed at the graceful
// timeout. If N+1 fails (bad dataset, app throws, boot timeout) it is torn down and N keeps serving. Reloads that
// arrive during a swap coalesce into one more swap after it.
import * as fs from 'node:fs';
import { onExit } from 'signal-exit';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hugePagePolicy } from '../datasets/hugepages';
import type { SharedDataset } from '../datasets/load';
import type { ShareSpec } from '../datasets/spec';
import { isPreforkError } from '../errors';
import { native } from '../native';
import type { RuntimeEvent } from '../protocol';
import { WORKER_BOOT_ERROR } from '../protocol';
import { EXIT, exitCodeFor } from '../exit-codes';
import { Generation } from './generation';
import type { Listener } from './listeners';
import { closeListener } from './listeners';
import type { ControlReply, ControlRequest } from './control';
import { serveControl } from './control';
import { watchSources } from './watch';
import { loadGenerationDatasets } from './load-datasets';
import { ReloadWaiters, type ReloadWaiter } from './reload-waiters';
import { HANDLED_SIGNALS } from './signals';
import type * as net from 'node:net';
import * as log from './log';
import type { Worker, WorkerEvent } from './worker-state';
import { transition } from './worker-state';

export interface SupervisorConfig {
  app: string;
  shares: ShareSpec[];
  listeners: Listener[];
  workers: number;
  gracefulTimeoutMs: number;
  bootTimeoutMs: number;
  mode: 'fork' | 'exec';
  preload: boolean;
  env: Record<string, string>;
  pidfile: string | undefined;
  /** Path of the control socket (`prefork reload | stop | status`). */
  control: string;
  idleGraceMs: number;
  /** Reload when a --share file changes; with watchApp, also when the app's code changes. */
  watch: boolean;
  watchApp: boolean;
}



type QueuedEvent =
  | { type: 'signal'; signal: NodeJS.Signals }
  | { type: 'reload'; reason: string }
  | { type: 'runtime'; gen: Generation; ev: RuntimeEvent }
  | { type: 'exit'; gen: Generation; worker: Worker; code: number; signal: number }
  | { type: 'zygote-exit'; gen: Generation; code: number; signal: number }
  | { type: 'loaded'; id: number; datasets: SharedDataset[] }
  | { type: 'load-failed'; id: number; error: unknown };

const TICK_MS = 100;

export class Supervisor {
  readonly #cfg: SupervisorConfig;
  readonly #queue: QueuedEvent[] = [];
  readonly #generations: Generation[] = [];
  #active: Generation | undefined;
  #next: Generation | undefined;
  #loading = false;
  #nextId = 1;
  #reloadPending = false;
  #stopping: 'graceful' | 'quick' | undefined;
  #exitCode: number = EXIT.OK.code;
  #tickScheduled = false;
  #interval: NodeJS.Timeout | undefined;
  #recentExits: number[] = [];
  #respawnAt = 0;
  #done: ((code: number) => void) | undefined;
  readonly #signalHandlers = new Map<NodeJS.Signals, () => void>();
  readonly #waiters = new ReloadWaiters();
  #control: net.Server | undefined;
  #unwatch: (() => Promise<void>) | undefined;

  constructor(cfg: SupervisorConfig) {
    this.#cfg = cfg;
  }

  /** Starts generation 1 and resolves with the exit code once the supervisor has stopped. */
  async run(): Promise<number> {
    this.#control = await serveControl(this.#cfg.control, (req, reply) => this.#onControl(req, reply));
    // whatever ends this process (even a crash), leave no control socket or pidfile behind
    onExit(() => {
      fs.rmSync(this.#cfg.control, { force: true });
      if (this.#cfg.pidfile) fs.rmSync(this.#cfg.pidfile, { force: true });
    });
    native().setSubreaper();
    if (this.#cfg.pidfile) fs.writeFileSync(this.#cfg.pidfile, `${process.pid}\n`);
    for (const sig of HANDLED_SIGNALS) {
      const h = () => this.#enqueue({ type: 'signal', signal: sig });
      this.#signalHandlers.set(sig, h);
      process.on(sig, h);
    }
    for (const l of this.#cfg.listeners) log.info(`listening on ${l.label}`);
    log.info(`control socket ${this.#cfg.control}`);
    const policy = hugePagePolicy();
    log.info(policy.advice);
    this.#interval = setInterval(() => this.#tick(), TICK_MS);
    if (this.#cfg.watch || this.#cfg.watchApp) await this.#startWatching();
    this.#startGeneration();
    return new Promise(resolve => {
      this.#done = resolve;
    });
  }

  #enqueue(ev: QueuedEvent): void {
    this.#queue.push(ev);
    this.#wake();
  }

  #wake(): void {
    if (!this.#tickScheduled) {
      this.#tickScheduled = true;
      setImmediate(() => this.#tick());
    }
  }

  #tick(): void {
    this.#tickScheduled = false;
    for (let ev = this.#queue.shift(); ev; ev = this.#queue.shift()) {
      try {
        this.#handle(ev);
      } catch (e) {
        // one event that went wrong (a spawn or pidfd that failed) must not take the supervisor down
        log.error(`internal error handling ${ev.type}: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
    this.#reapOrphans();
    this.#checkDeadlines();
    this.#restoreWorkerCount();
    this.#advance();
  }

  // ---- events ---------------------------------------------------------------------------------------------------

  #handle(ev: QueuedEvent): void {
    switch (ev.type) {
      case 'signal':
        return this.#onSignal(ev.signal);
      case 'reload':
        log.info(`reload: ${ev.reason}`);
        return this.reload();
      case 'runtime':
        return this.#onRuntime(ev.gen, ev.ev);
      case 'exit':
        return this.#onWorkerExit(ev.gen, ev.worker, ev.code, ev.signal);
      case 'zygote-exit':
        return this.#onZygoteExit(ev.gen, ev.code, ev.signal);
      case 'loaded':
        return this.#onLoaded(ev.id, ev.datasets);
      case 'load-failed':
        return this.#onLoadFailed(ev.id, ev.error);
    }
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (signal === 'SIGHUP') return this.reload();
    if (signal === 'SIGQUIT') return this.#stop('quick', EXIT.OK.code);
    return this.#stop('graceful', EXIT.OK.code);
  }

  async #startWatching(): Promise<void> {
    const appDir = this.#cfg.watchApp ? (fs.statSync(this.#cfg.app).isDirectory() ? this.#cfg.app : path.dirname(this.#cfg.app)) : undefined;
    this.#unwatch = await watchSources({
      files: this.#cfg.watch ? this.#cfg.shares.map(s => s.path) : [],
      appDir,
      debounceMs: 300,
      onChange: what => this.#enqueue({ type: 'reload', reason: `changed: ${what}` }),
      onDeleted: file => log.warn(`watched file ${file} was deleted; generation ${this.#active?.id ?? '-'} keeps serving`),
    });
    log.info(`watching ${[this.#cfg.watch ? 'dataset files' : '', appDir ? `app directory ${appDir}` : ''].filter(Boolean).join(' and ')} for changes`);
  }

  #onControl(req: ControlRequest, reply: (r: ControlReply) => void): void {
    switch (req.cmd) {
      case 'reload':
        return this.reload(reply);
      case 'stop':
        reply({ ok: true, pid: process.pid });
        return this.#stop('graceful', EXIT.OK.code);
      case 'status':
        return reply({ ok: true, ...this.status() });
      default:
        return reply({ ok: false, error: `unknown command '${(req as { cmd?: unknown }).cmd}'` });
    }
  }

  /** A snapshot of the supervisor's state for `prefork status`. */
  status(): Record<string, unknown> {
    return {
      pid: process.pid,
      generation: this.#active?.id ?? null,
      stopping: this.#stopping ?? null,
      lastReloadError: this.lastReloadError || null,
      listeners: this.#cfg.listeners.map(l => l.label),
      generations: this.#generations.map(g => ({
        id: g.id,
        state: g.state,
        zygote: g.zygotePid ?? null,
        datasets: g.datasets.map(d => d.name),
        workers: [...g.workers.values()].map(w => ({ slot: w.slot, pid: w.pid, state: w.state })),
      })),
    };
  }

  /** Starts a generation swap, or coalesces into one more after the swap under way. */
  reload(waiter?: ReloadWaiter): void {
    if (this.#stopping) {
      waiter?.({ ok: false, error: 'the supervisor is stopping' });
      return;
    }
    if (waiter) this.#waiters.queue(waiter);
    if (this.#loading || this.#next) {
      if (!this.#reloadPending) log.info('reload requested during a swap: one more swap will follow');
      this.#reloadPending = true;
      return;
    }
    log.info(`reloading: starting generation ${this.#nextId}`);
    this.#startGeneration();
  }

  #startGeneration(): void {
    const id = this.#nextId++;
    this.#waiters.assign(id);
    this.#loading = true;
    loadGenerationDatasets(this.#cfg.shares, id).then(
      datasets => this.#enqueue({ type: 'loaded', id, datasets }),
      error => this.#enqueue({ type: 'load-failed', id, error }),
    );
  }

  #onLoadFailed(id: number, error: unknown): void {
    this.#loading = false;
    const msg = isPreforkError(error) ? `${error.message} [${error.code}]` : String((error as Error)?.stack ?? error);
    log.error(`generation ${id} failed: ${msg}`);
    this.lastReloadError = msg;
    this.#waiters.settle(id, { ok: false, error: msg });
    if (!this.#active) {
      this.#stop('quick', isPreforkError(error) ? exitCodeFor(error.code) : EXIT.FAILURE.code);
    } else {
      log.warn(`generation ${this.#active.id} keeps serving`);
    }
  }

  lastReloadError = '';

  #onLoaded(id: number, datasets: SharedDataset[]): void {
    this.#loading = false;
    if (this.#stopping) {
      for (const d of datasets) d.close();
      return;
    }
    const gen = new Generation({
      id,
      app: this.#cfg.app,
      mode: this.#cfg.mode,
      preload: this.#cfg.preload,
      env: this.#cfg.env,
      populate: !hugePagePolicy().huge,
      idleGraceMs: this.#cfg.idleGraceMs,
      listeners: this.#cfg.listeners,
      datasets,
      onEvent: ev => this.#enqueue({ type: 'runtime', gen, ev }),
      onZygoteExit: (code, signal) => this.#enqueue({ type: 'zygote-exit', gen, code, signal }),
    });
    this.#generations.push(gen);
    this.#next = gen;
    if (this.#cfg.mode === 'fork') {
      const pid = gen.startZygote();
      log.info(`generation ${id}: zygote started (pid ${pid})`);
    } else {
      gen.zygoteReady = true;
    }
    for (let slot = 1; slot <= this.#cfg.workers; slot++) this.#addWorker(gen, slot);
  }

  #addWorker(gen: Generation, slot: number): void {
    const now = performance.now();
    const w: Worker = { generation: gen.id, slot, pid: 0, state: 'requested', requestedAt: now, readyAt: 0, stopAt: 0, wasReady: false };
    gen.workers.set(slot, w);
    if (gen.zygoteReady) this.#request(gen, w);
  }

  #request(gen: Generation, w: Worker): void {
    if (gen.state !== 'booting' && gen.state !== 'active') return;
    w.requestedAt = performance.now();
    try {
      const pid = gen.requestWorker(w.slot);
      if (pid !== undefined) this.#onForked(gen, w, pid);
    } catch (e) {
      log.error(`generation ${gen.id}: cannot start worker ${gen.id}.${w.slot}: ${(e as Error).message}`);
      this.#failGeneration(gen, `cannot start workers: ${(e as Error).message}`, EXIT.SOFTWARE.code);
    }
  }

  /**
   * The worker in `slot` has `pid`: the first message naming it (the zygote's 'forked' or the worker's own) starts
   * watching it. A pid no slot waits for any more is killed and reaped.
   */
  #adopt(gen: Generation, slot: number, pid: number): Worker | undefined {
    const w = gen.workers.get(slot);
    if (w && w.pid === pid) return w;
    if (w && w.state === 'requested') {
      this.#onForked(gen, w, pid);
      return w;
    }
    signal(pid, 'SIGKILL');
    native().watchPid(pid, () => {});
    return undefined;
  }

  #onForked(gen: Generation, w: Worker, pid: number): void {
    w.pid = pid;
    this.#apply(gen, w, 'forked');
    log.info(`worker ${gen.id}.${w.slot} started (pid ${pid})`);
  }

  #onRuntime(gen: Generation, ev: RuntimeEvent): void {
    switch (ev.t) {
      case 'zygote-ready': {
        gen.zygoteReady = true;
        log.info(`generation ${gen.id}: zygote ready in ${ev.ms.toFixed(0)} ms`);
        for (const w of gen.workers.values()) if (w.state === 'requested') this.#request(gen, w);
        return;
      }
      case 'zygote-error':
        gen.lastError = ev.message;
        return this.#failGeneration(gen, `zygote failed: ${ev.message}`, EXIT.APP_BOOT.code);
      case 'forked':
        this.#adopt(gen, ev.slot, ev.pid);
        return;
      case 'ready': {
        // a fast worker can say ready before the zygote's 'forked' line arrives: either one adopts it
        const w = this.#adopt(gen, ev.slot, ev.pid);
        if (w) this.#apply(gen, w, 'ready', ev.ms);
        return;
      }
      case 'boot-error':
        gen.lastError = ev.message;
        this.#adopt(gen, ev.slot, ev.pid);
        return;
    }
  }

  /** Feeds `event` to the worker's state machine and performs the resulting action. */
  #apply(gen: Generation, w: Worker, event: WorkerEvent, ms?: number): void {
    const action = transition(w, event);
    const now = performance.now();
    switch (action) {
      case 'watch':
        try {
          native().watchPid(w.pid, (code, signal) => this.#enqueue({ type: 'exit', gen, worker: w, code, signal }));
        } catch {
          // already gone and collected: its status is lost, but its slot must be refilled
          this.#enqueue({ type: 'exit', gen, worker: w, code: -1, signal: 0 });
        }
        return;
      case 'mark-ready':
        w.readyAt = now;
        w.wasReady = true;
        gen.everReady = true;
        log.info(`worker ${gen.id}.${w.slot} (pid ${w.pid}) ready in ${(now - w.requestedAt).toFixed(1)} ms${ms === undefined ? '' : ` (${ms.toFixed(1)} ms in the worker)`}`);
        return;
      case 'terminate':
        w.stopAt = now;
        signal(w.pid, 'SIGTERM');
        return;
      case 'kill':
        if (w.stopAt === 0) w.stopAt = now;
        if (event === 'kill-timeout') log.warn(`worker ${gen.id}.${w.slot} (pid ${w.pid}) did not stop within the graceful timeout: SIGKILL`);
        if (event === 'boot-timeout') log.error(`worker ${gen.id}.${w.slot} (pid ${w.pid}) not ready within the boot timeout: SIGKILL`);
        signal(w.pid, 'SIGKILL');
        return;
      default:
        return;
    }
  }

  #onWorkerExit(gen: Generation, w: Worker, code: number, sig: number): void {
    const wasState = w.state;
    const bootFailed = !w.wasReady && wasState !== 'stopping';
    this.#apply(gen, w, 'exit');
    gen.workers.delete(w.slot);
    const how = sig ? `signal ${sig}` : `code ${code}`;
    if (wasState === 'stopping') {
      log.info(`worker ${gen.id}.${w.slot} (pid ${w.pid}) exited with ${how}`);
      return;
    }
    (bootFailed ? log.error : log.warn)(
      `worker ${gen.id}.${w.slot} (pid ${w.pid}) ${bootFailed ? 'failed to boot' : 'died'}: exited with ${how}`,
    );
    if (bootFailed || code === WORKER_BOOT_ERROR) gen.bootFailures++;
    if (this.#bootFailedTooOften(gen)) return;
    // replace it, backing off while workers keep dying
    const now = performance.now();
    this.#recentExits = this.#recentExits.filter(t => now - t < 60_000);
    this.#recentExits.push(now);
    if (this.#recentExits.length > 1) {
      const delay = Math.min(10_000, 100 * 2 ** (this.#recentExits.length - 2));
      this.#respawnAt = Math.max(this.#respawnAt, now + delay);
      log.warn(`${this.#recentExits.length} worker exits in the last minute: next worker starts in ${delay} ms`);
    }
  }

  /** A generation that never served and keeps failing to boot is given up (and the supervisor halts if it is alone). */
  #bootFailedTooOften(gen: Generation): boolean {
    // a generation that serves keeps replacing workers (with backoff); one still booting gives up
    if ((gen === this.#active && gen.everReady) || gen.bootFailures < Math.max(3, this.#cfg.workers)) return false;
    this.#failGeneration(gen, `the app failed to boot ${gen.bootFailures} times${gen.lastError ? `: ${gen.lastError}` : ''}`, EXIT.APP_BOOT.code);
    return true;
  }

  #onZygoteExit(gen: Generation, code: number, signal: number): void {
    gen.zygoteReady = false;
    if (gen.state === 'gone' || gen.state === 'draining' || gen.state === 'failed' || this.#stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (gen === this.#active) {
      // its workers still serve; only new forks are impossible: a fresh generation takes over
      log.error(`generation ${gen.id}: zygote exited unexpectedly with ${how}; its workers keep serving while a new generation starts`);
      this.reload();
      return;
    }
    log.error(`generation ${gen.id}: zygote exited unexpectedly with ${how}`);
    this.#failGeneration(gen, `zygote exited with ${how}${gen.lastError ? `: ${gen.lastError}` : ''}`, EXIT.APP_BOOT.code);
  }

  /** Tears down a generation that could not boot; halts if nothing else serves. */
  #failGeneration(gen: Generation, why: string, exitCode: number): void {
    if (gen.state === 'failed' || gen.state === 'gone') return;
    gen.state = 'failed';
    this.lastReloadError = why;
    this.#waiters.settle(gen.id, { ok: false, error: why });
    log.error(`generation ${gen.id} failed: ${why}`);
    for (const w of gen.liveWorkers()) this.#apply(gen, w, 'quit');
    gen.stopZygote(true);
    if (this.#next === gen) this.#next = undefined;
    if (this.#active === gen) this.#active = undefined;
    if (!this.#active) {
      log.error(`halting: no generation can serve (exit code ${exitCode})`);
      this.#stop('quick', exitCode);
    } else {
      log.warn(`generation ${this.#active.id} keeps serving`);
    }
  }

  // ---- health ---------------------------------------------------------------------------------------------------

  /** As the subreaper, collect zombies that are not ours to watch (children an app's worker left behind). */
  #reapOrphans(): void {
    const known: number[] = [];
    for (const g of this.#generations) {
      if (g.zygotePid !== undefined) known.push(g.zygotePid);
      for (const w of g.workers.values()) if (w.pid > 0) known.push(w.pid);
    }
    native().reapOrphans(known);
  }

  #checkDeadlines(): void {
    const now = performance.now();
    for (const gen of this.#generations) {
      for (const w of gen.workers.values()) {
        if ((w.state === 'booting' || w.state === 'requested') && gen.zygoteReady && now - w.requestedAt > this.#cfg.bootTimeoutMs) {
          gen.lastError = `worker not ready within ${this.#cfg.bootTimeoutMs / 1000} s`;
          gen.bootFailures++;
          this.#apply(gen, w, 'boot-timeout');
          if (this.#bootFailedTooOften(gen)) break;
        } else if (w.state === 'stopping' && w.stopAt > 0 && now - w.stopAt > this.#cfg.gracefulTimeoutMs) {
          w.stopAt = now; // re-kill later if SIGKILL is somehow not enough
          this.#apply(gen, w, 'kill-timeout');
        }
      }
      if (gen.state === 'booting' && !gen.zygoteReady && gen.hasZygote && gen.workers.size > 0) {
        const first = Math.min(...[...gen.workers.values()].map(w => w.requestedAt));
        if (now - first > this.#cfg.bootTimeoutMs) this.#failGeneration(gen, `zygote not ready within ${this.#cfg.bootTimeoutMs / 1000} s`, EXIT.APP_BOOT.code);
      }
    }
  }

  #restoreWorkerCount(): void {
    if (this.#stopping || performance.now() < this.#respawnAt) return;
    for (const gen of [this.#active, this.#next]) {
      if (!gen || (gen.state !== 'active' && gen.state !== 'booting')) continue;
      for (let slot = 1; slot <= this.#cfg.workers; slot++) if (!gen.workers.has(slot)) this.#addWorker(gen, slot);
    }
  }

  // ---- progress: swaps, stops -----------------------------------------------------------------------------------

  #advance(): void {
    const next = this.#next;
    if (next && next.state === 'booting' && [...next.workers.values()].filter(w => w.state === 'ready').length >= this.#cfg.workers) {
      next.state = 'active';
      const pids = [...next.workers.values()].map(w => w.pid).join(', ');
      log.info(`generation ${next.id} ready: ${this.#cfg.workers} workers (pids ${pids})`);
      this.lastReloadError = '';
      this.#waiters.settle(next.id, { ok: true, generation: next.id, pids: [...next.workers.values()].map(w => w.pid) });
      const old = this.#active;
      this.#active = next;
      this.#next = undefined;
      if (old) this.#drainGeneration(old);
      if (this.#reloadPending) {
        this.#reloadPending = false;
        this.reload();
      }
    }
    for (const gen of this.#generations) {
      if ((gen.state === 'draining' || gen.state === 'failed') && gen.liveWorkers().length === 0 && !gen.hasZygote) {
        const was = gen.state;
        gen.release();
        if (was === 'draining') log.info(`generation ${gen.id} drained and released`);
      }
    }
    for (let i = this.#generations.length - 1; i >= 0; i--) if (this.#generations[i]?.state === 'gone') this.#generations.splice(i, 1);
    if (this.#reloadPending && !this.#loading && !this.#next && !this.#stopping) {
      this.#reloadPending = false;
      this.reload();
    }
    if (this.#stopping && !this.#loading && this.#generations.every(g => g.state === 'gone')) this.#finish();
  }

  #drainGeneration(gen: Generation): void {
    gen.state = 'draining';
    log.info(`generation ${gen.id}: draining ${gen.liveWorkers().length} workers`);
    gen.stopZygote();
    for (const w of gen.liveWorkers()) this.#apply(gen, w, 'stop');
  }

  #stop(how: 'graceful' | 'quick', exitCode: number): void {
    if (this.#stopping === 'quick' || (this.#stopping === 'graceful' && how === 'graceful')) return;
    if (!this.#stopping) this.#exitCode = exitCode;
    this.#stopping = how;
    log.info(how === 'graceful' ? 'stopping: draining workers' : 'stopping now');
    for (const gen of this.#generations) {
      if (gen.state !== 'failed') gen.state = 'draining';
      gen.stopZygote(how === 'quick' || !gen.zygoteReady);
      for (const w of gen.liveWorkers()) this.#apply(gen, w, how === 'graceful' ? 'stop' : 'quit');
    }
    this.#next = undefined;
    this.#waiters.settleAll({ ok: false, error: 'the supervisor is stopping' });
    this.#wake();
  }

  #finish(): void {
    if (!this.#done) return;
    const done = this.#done;
    this.#done = undefined;
    if (this.#interval) clearInterval(this.#interval);
    for (const [sig, h] of this.#signalHandlers) process.off(sig, h);
    for (const l of this.#cfg.listeners) closeListener(l);
    if (this.#cfg.pidfile) fs.rmSync(this.#cfg.pidfile, { force: true });
    this.#control?.close();
    void this.#unwatch?.();
    fs.rmSync(this.#cfg.control, { force: true });
    log.info(`stopped (exit code ${this.#exitCode})`);
    done(this.#exitCode);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone; its exit event is on the way
  }
}

