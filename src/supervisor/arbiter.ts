// The arbiter: the one owner of the generations' and workers' state (after gunicorn's arbiter and s6-supervise;
// docs/ARCHITECTURE.md has the process tree and the loop). Signal handlers, pidfd watchers, timers and event pipes
// only queue events; tick() handles them in one fixed order: queued events → reap orphans → health (deadlines,
// heartbeats, recycling, the worker count) → advance (promote a generation whose workers are all ready, release
// drained ones, begin a queued reload, answer waiters, finish a stop). A generation's life is the table in
// generation-state.ts, a worker's the one in worker-state.ts: #dispatch and Workers.apply are the only writers of
// either state. If a new generation fails it is torn down and the serving one keeps serving (#afterLoss decides).
// What the outside world hears (systemd, an upgrade) goes through ArbiterHooks (service.ts).
import { performance } from 'node:perf_hooks';
import { EXIT } from '../exit-codes';
import { native } from '../native';
import type { RuntimeEvent } from '../protocol';
import { createBoard } from '../scoreboard';
import type { ControlReply } from './control';
import { Generation, generationOptions } from './generation';
import { generationTransition, INCOMING, SERVING, WINDING_DOWN, type GenerationEvent } from './generation-state';
import type { SupervisorConfig } from './config';
import { failureOf, generationEventOf, type ArbiterHooks, type Failure, type QueuedEvent } from './events';
import { generationNeeds, loadGenerationDatasets, replaceStep } from './load-datasets';
import * as log from './log';
import { OomScores } from './oom';
import { Waiters, type Waiter } from './waiters';
import { supervisorStatus, type SupervisorStatus } from './status';
import { Workers } from './workers';

const STOPPING: ControlReply = { ok: false, error: 'the supervisor is stopping' };

export class Arbiter {
  readonly #cfg: SupervisorConfig;
  readonly #queue: QueuedEvent[] = [];
  readonly #generations: Generation[] = [];
  readonly #waiters = new Waiters();
  readonly #oom = new OomScores();
  readonly #board = createBoard();
  readonly #hooks: ArbiterHooks;
  #served = false;
  /** A generation serves and the service manager has not heard yet (whether it is the first): told once no old worker accepts. */
  #servedUntold: boolean | undefined;
  #selfChecked = false;
  readonly #workers: Workers;
  #nextId = 1;
  #stopping: 'graceful' | 'quick' | undefined;
  #exitCode: number = EXIT.OK.code;
  #tickScheduled = false;
  #done: ((code: number) => void) | undefined;
  #lastReloadError = '';
  readonly #counters = { reloads: 0, reloadFailures: 0 };

  constructor(cfg: SupervisorConfig, hooks: ArbiterHooks) {
    this.#cfg = cfg;
    this.#hooks = hooks;
    this.#nextId = cfg.upgrade?.firstGeneration ?? 1; // an upgrade numbers on from the old supervisor's
    this.#workers = new Workers(cfg, {
      onExit: (gen, worker, code, signal) => this.#enqueue({ type: 'exit', gen, worker, code, signal }),
      onBootFailed: (gen, why, exitCode) => this.#dispatch(gen, 'boot-failed', { why, exitCode }),
    }, this.#oom, this.#board.board);
  }

  /** Starts generation 1 and resolves with the exit code once the supervisor has stopped. */
  start(): Promise<number> {
    log.info(this.#oom.describe());
    this.reload(); // generation 1
    return new Promise(resolve => (this.#done = resolve));
  }

  /** Runs `fn` in the next tick, in order with every other event (signals, watchers, an upgrade's news). */
  post(what: string, fn: () => void): void {
    this.#enqueue({ type: 'call', what, fn });
  }

  #enqueue(ev: QueuedEvent): void {
    this.#queue.push(ev);
    this.#wake();
  }

  #wake(): void {
    if (this.#tickScheduled) return;
    this.#tickScheduled = true;
    setImmediate(() => this.tick());
  }

  /** One turn of the loop (also the plumbing's timer, every 100 ms). */
  tick(): void {
    this.#tickScheduled = false;
    for (let ev = this.#queue.shift(); ev; ev = this.#queue.shift()) log.guarded(`handling ${ev.type}`, () => this.#handle(ev));
    // as the subreaper, collect every zombie that is not a zygote or worker of ours (an app's orphans)
    log.guarded('reaping orphans', () => native().reapOrphans(this.#generations.flatMap(g => g.pids())));
    log.guarded('health checks', () => this.#workers.check(this.#generations, performance.now(), !this.#stopping));
    log.guarded('advancing generations', () => this.#advance());
    log.guarded('telling the outside', () => this.#hooks.ticked());
  }

  /** For the watchdog: before any generation has served, the loop running is enough; after, a worker must serve. */
  healthy(): boolean {
    // (nothing serving while one comes in is a replace-strategy swap: the loop works on it, as at start)
    if (!this.#served || (!this.serving() && this.#incoming())) return true;
    return this.#generations.some(g => SERVING.has(g.state) && this.#workers.anyHealthy(g));
  }

  #handle(ev: QueuedEvent): void {
    if (ev.type === 'call') return ev.fn();
    if (ev.type === 'exit') return this.#workers.exited(ev.gen, ev.worker, ev.code, ev.signal);
    const g = generationEventOf(ev);
    if (g) return this.#dispatch(g.gen, g.event, g.failure);
    if (ev.type === 'runtime' && 'slot' in ev.ev) this.#workers.report(ev.gen, ev.ev);
  }

  /** A snapshot of the supervisor's state for `prefork status`. */
  status(): SupervisorStatus {
    const { wanted, restarts } = this.#workers;
    const facts = { generations: this.#generations, serving: this.serving(), board: this.#board.board, stopping: this.#stopping, lastReloadError: this.#lastReloadError };
    return supervisorStatus({ cfg: this.#cfg, ...facts, wanted, counters: { restarts: { ...restarts }, ...this.#counters } });
  }

  /** Queues a generation swap; a reload during a swap joins the one queued generation after it. */
  reload(waiter?: Waiter): void {
    if (this.#stopping) return waiter?.(STOPPING);
    let gen = this.#generations.find(g => g.state === 'queued');
    if (!gen) {
      if (this.#incoming()) log.info('reload requested during a swap: one more swap will follow');
      // the fork self-check runs once, for the supervisor's first generation (a reload runs on the same runtime)
      gen = new Generation(this.#nextId++, generationOptions(this.#cfg, this.#board.fd, !this.#served && !this.#selfChecked));
      this.#selfChecked ||= this.#cfg.mode === 'fork';
      this.#generations.push(gen);
    }
    if (waiter) this.#waiters.add(gen.id, waiter);
    this.#wake();
  }

  /** The generation that serves, if any. */
  serving = () => this.#generations.find(g => SERVING.has(g.state));

  get stopping(): boolean { return this.#stopping !== undefined; }

  /** A new generation is on its way in (loading, starting or booting). */
  get swapping(): boolean { return this.#incoming() !== undefined; }

  /** The id the next generation gets (an upgrade's successor starts there). */
  get nextGeneration(): number { return this.#nextId; }

  #incoming = () => this.#generations.find(g => INCOMING.has(g.state));

  /** Looks `event` up in the generation table, moves `gen` to the next state and performs the action. */
  #dispatch(gen: Generation, event: GenerationEvent, failure?: Failure): void {
    const from = gen.state;
    const t = generationTransition(from, event);
    if (!t) return log.error(`internal error: generation ${gen.id} got '${event}' while ${from}`);
    gen.state = t.next;
    switch (t.action) {
      case 'load':
        if (this.serving()) log.info(`reloading: starting generation ${gen.id}`);
        if (this.serving()) this.#hooks.reloading(gen.id);
        loadGenerationDatasets({
          ...{ shares: this.#cfg.shares, generation: gen.id, workers: this.#workers.wanted, mode: this.#cfg.mode, signal: gen.abort.signal },
          onProgress: p => this.#hooks.loading(p),
          ...(gen.id === this.#cfg.upgrade?.firstGeneration ? { inherited: this.#cfg.upgrade.datasets } : {}),
        }).then(
          datasets => this.#enqueue({ type: 'loaded', gen, datasets }),
          error => this.#enqueue({ type: 'load-failed', gen, error }),
        );
        return;
      case 'start': {
        const sinks = { onEvent: (ev: RuntimeEvent) => this.#enqueue({ type: 'runtime', gen, ev }), onZygoteExit: (code: number, signal: number) => this.#enqueue({ type: 'zygote-exit', gen, code, signal }) };
        // exec mode has no zygote to wait for
        if (this.#workers.startGeneration(gen, sinks) && this.#cfg.mode === 'exec') this.#dispatch(gen, 'zygote-ready');
        return;
      }
      case 'request-workers':
        for (const w of gen.workers.values()) if (w.state === 'requested') this.#workers.request(gen, w);
        return;
      case 'promote': {
        const pids = [...gen.workers.values()].map(w => w.pid);
        this.#workers.serving(gen); // before the log line that says it serves
        log.info(`generation ${gen.id} ready: ${pids.length} workers (pids ${pids.join(', ')})`);
        this.#lastReloadError = '';
        if (this.serving() !== gen) this.#counters.reloads++;
        for (const old of this.#generations) if (old !== gen && SERVING.has(old.state)) this.#dispatch(old, 'retire');
        // `prefork reload` and the service manager (READY=1) hear of it once no old worker accepts any more (see #answer)
        this.#waiters.swapped(gen.id, { ok: true, generation: gen.id, pids });
        this.#servedUntold ??= !this.#served;
        this.#served = true;
        return;
      }
      case 'fail':
        return this.#fail(gen, failure ?? { why: event, exitCode: EXIT.FAILURE.code });
      case 'replace':
        log.error(`generation ${gen.id}: ${failure?.why ?? 'zygote exited'}; its workers keep serving while a new generation starts`);
        return this.reload();
      case 'drain':
        log.info(`generation ${gen.id}: draining ${gen.liveWorkers().length} workers`);
        gen.stopZygote();
        return this.#workers.applyAll(gen, 'stop');
      case 'kill':
        gen.stopZygote(true);
        return this.#workers.applyAll(gen, 'quit');
      case 'cancel':
        gen.abort.abort();
        return this.#waiters.settle(gen.id, STOPPING);
      case 'discard':
      case 'release':
        gen.release();
        if (from === 'draining') log.info(`generation ${gen.id} drained and released`);
        return;
      case 'ignore':
        return;
    }
  }

  #fail(gen: Generation, { why, exitCode, forkFailed }: Failure): void {
    const serving = this.serving();
    this.#counters.reloadFailures++;
    this.#lastReloadError = serving ? `${why}; generation ${serving.id} keeps serving` : why;
    this.#waiters.settle(gen.id, { ok: false, error: this.#lastReloadError });
    log.error(`generation ${gen.id} failed: ${why}`);
    gen.stopZygote(true);
    this.#workers.applyAll(gen, 'quit');
    if (serving) this.#hooks.failedClosed();
    this.#afterLoss(exitCode, forkFailed);
  }

  /** The one place that decides, after a generation is lost, whether the service goes on or halts. */
  #afterLoss(exitCode: number, forkFailed = false): void {
    if (this.#stopping) return;
    const serving = this.serving();
    if (serving) return log.warn(`generation ${serving.id} keeps serving`);
    if (forkFailed && this.#cfg.modeDefaulted) {
      log.warn('worker mode exec: forking failed its self-check on this runtime (give --worker-mode fork to refuse instead)');
      this.#cfg.mode = 'exec';
      return this.reload();
    }
    log.error(`halting: no generation can serve (exit code ${exitCode})`);
    this.#hooks.halting(exitCode, this.#lastReloadError || 'no generation can serve');
    this.stop('quick', exitCode);
  }

  #advance(): void {
    for (const gen of [...this.#generations]) {
      if (gen.state === 'booting' && this.#workers.allReady(gen)) this.#dispatch(gen, 'all-ready');
      if (WINDING_DOWN.has(gen.state) && gen.liveWorkers().length === 0 && !gen.hasZygote) this.#dispatch(gen, 'drained');
    }
    for (let i = this.#generations.length - 1; i >= 0; i--) if (this.#generations[i]?.state === 'gone') this.#generations.splice(i, 1);
    const queued = this.#generations.find(g => g.state === 'queued');
    if (queued && !this.#stopping && !this.#incoming()) this.#begin(queued);
    this.#answer();
    if (this.#stopping && this.#generations.length === 0) this.#finish();
  }

  /** Begins a queued generation; with --reload-strategy replace, the serving one is drained and released first. */
  #begin(queued: Generation): void {
    const serving = this.serving();
    const others = this.#generations.some(g => g !== queued && g.datasets.length > 0);
    const needs = () => generationNeeds(this.#cfg.shares, this.#workers.wanted, this.#cfg.mode);
    const step = this.#cfg.reloadStrategy === 'replace' ? replaceStep(queued.id, needs, serving?.datasetBytes(), others) : 'begin';
    if (typeof step === 'object') return this.#dispatch(queued, 'load-failed', failureOf(step.refused));
    if (step === 'retire' && serving) {
      log.warn(`reload strategy replace: generation ${serving.id} drains before generation ${queued.id} loads; capacity is 0 workers until generation ${queued.id} is ready`);
      return this.#dispatch(serving, 'retire');
    }
    if (step === 'begin') this.#dispatch(queued, 'begin'); // 'wait': a released generation's memory is not free yet
  }

  /** Sets the wanted worker count from N, +K or -K (at least 1); `reply` hears when the serving generation has it. */
  scale(to: string, reply?: (r: ControlReply) => void): void {
    if (this.#stopping) return reply?.(STOPPING);
    const error = this.#workers.scale(to);
    if (error) return reply ? reply({ ok: false, error }) : log.warn(`${error}: ignored`);
    if (reply) this.#waiters.addScale(reply);
    this.#wake();
  }

  /**
   * Answers `prefork reload` once every retired worker has closed its listening sockets or exited, and `prefork
   * scale` once the serving generation has exactly the wanted workers, all ready.
   */
  #answer(): void {
    if (!this.#generations.some(g => g.state === 'draining' && this.#workers.mayAccept(g))) {
      this.#waiters.releaseSwaps();
      const first = this.#servedUntold;
      this.#servedUntold = undefined;
      if (first !== undefined) this.#hooks.served(first);
    }
    const serving = this.serving();
    const scaled = serving && !this.#incoming() ? this.#workers.scaled(serving) : undefined;
    if (scaled) this.#waiters.settleScale({ ok: true, generation: serving?.id, workers: scaled.length, pids: scaled });
  }

  /** Stops: graceful drains every generation (SIGTERM), quick kills them (SIGQUIT); a later quick overrides. */
  stop(how: 'graceful' | 'quick', exitCode: number): void {
    if (this.#stopping === 'quick' || (this.#stopping === 'graceful' && how === 'graceful')) return;
    if (!this.#stopping) this.#exitCode = exitCode;
    this.#stopping = how;
    log.info(how === 'graceful' ? 'stopping: draining workers' : 'stopping now');
    this.#hooks.stopping();
    for (const gen of [...this.#generations]) this.#dispatch(gen, how === 'graceful' ? 'stop' : 'quit');
    this.#waiters.settleAll(STOPPING);
    this.#wake();
  }

  #finish(): void {
    const done = this.#done;
    if (!done) return;
    this.#done = undefined;
    this.#hooks.finished();
    log.info(`stopped (exit code ${this.#exitCode})`);
    done(this.#exitCode);
  }
}
