// One generation's resources (docs/ARCHITECTURE.md, "Generations"): its sealed datasets, its event pipe, its zygote (fork mode),
// and how to start a worker in it. Decisions about when to do any of this live in the arbiter.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SharedDataset } from '../datasets/load';
import { native } from '../native';
import type { RuntimeConfig, RuntimeEvent } from '../protocol';
import { BENCH_NO_POPULATE_ENV, BOARD_ENV, parseEvent, PDEATHSIG, RUNTIME_ENV, SELF_CHECK_FAULT_ENV, SLOT_ENV } from '../protocol';
import { v8Tuning } from './v8-tuning';
import type { SupervisorConfig } from './config';
import type { Credentials } from './credentials';
import type { GenerationState } from './generation-state';
import type { Listener } from './listeners';
import * as log from './log';
import type { Worker } from './worker-state';

const RUNTIME_DIR = path.join(__dirname, '..', 'runtime');
/** fd numbers inside zygotes and workers: 3 is the event pipe, then the listeners, the datasets, the scoreboard. */
const EVENTS_FD = 3;

function envList(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

let warned = false;
function warnOnce(message: string): void {
  if (!warned) log.warn(message);
  warned = true;
}

/** Splits NODE_OPTIONS into what a zygote may keep and the module-hook flags (--import, --loader) it may not. */
export function forkSafeNodeOptions(value: string | undefined): { kept: string; dropped: string[] } {
  const words = (value ?? '').match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  const bare = (w: string) => w.replace(/^"(.*)"$/s, '$1');
  const kept: string[] = [];
  const dropped: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (/^--(import|loader|experimental-loader)(=|$)/.test(bare(w))) {
      const flag = bare(w).includes('=') ? bare(w) : `${bare(w)} ${bare(words[++i] ?? '')}`;
      dropped.push(flag.trim());
    } else {
      kept.push(w);
    }
  }
  return { kept: kept.join(' '), dropped };
}

/** What every generation of one supervisor shares. */
export interface GenerationOptions {
  name: string;
  /** The supervisor's scoreboard memfd, shared by every generation. */
  scoreboardFd: number;
  heartbeatMs: number;
  app: string;
  mode: 'fork' | 'exec';
  preload: boolean;
  env: Record<string, string>;
  populate: boolean;
  idleGraceMs: number;
  listeners: Listener[];
  /** --user/--group: who the zygote and workers run as; undefined for the supervisor's own uid. */
  credentials: Credentials | undefined;
  /** Fork mode: the zygote forks a canary first (runtime/self-check.ts); the supervisor's first generation only. */
  selfCheck: boolean;
}

/** How often workers write their heartbeat: often enough that --timeout is kept to within a tenth of it. */
export const heartbeatInterval = (timeoutMs: number) => Math.max(50, Math.min(1000, timeoutMs / 10));

/** The options of every generation of a supervisor started with `cfg`, whose scoreboard is `scoreboardFd`. */
export function generationOptions(cfg: SupervisorConfig, scoreboardFd: number, first: boolean): GenerationOptions {
  const { name, app, mode, preload, env, idleGraceMs, listeners, credentials } = cfg;
  const heartbeatMs = heartbeatInterval(cfg.timeoutMs);
  const selfCheck = first && mode === 'fork';
  return { name, app, mode, preload, env, idleGraceMs, listeners, credentials, scoreboardFd, heartbeatMs, selfCheck, populate: process.env[BENCH_NO_POPULATE_ENV] !== '1' };
}

/** Where a generation's zygote and workers report to the arbiter. */
export interface GenerationSinks {
  onEvent: (ev: RuntimeEvent) => void;
  onZygoteExit: (code: number, signal: number) => void;
}

export class Generation {
  readonly id: number;
  /** Written only by the arbiter's dispatch, from generation-state.ts's table. */
  state: GenerationState = 'queued';
  readonly workers = new Map<number, Worker>();
  datasets: SharedDataset[] = [];
  /** Workers that failed to boot (exited before ready, or timed out); enough of them fail a booting generation. */
  bootFailures = 0;
  lastError = '';
  /** performance.now() when its zygote (or, in exec mode, its first worker) was started: the zygote's boot deadline. */
  startedAt = 0;
  readonly #opts: GenerationOptions;
  #config: RuntimeConfig | undefined;
  #events: net.Socket | undefined;
  #eventsWrite = -1;
  #zygotePid: number | undefined;
  /** The zygote's process group (its pid), kept after the zygote exits until stopZygote(true) ends what is left in it. */
  #zygoteGroup: number | undefined;
  #cmdFd = -1;
  /** performance.now() when the command pipe was closed (the zygote should exit on its EOF), else 0. */
  #cmdClosedAt = 0;
  #sinks: GenerationSinks | undefined;
  /** Abandons the dataset load when the supervisor stops while this generation is loading. */
  readonly abort = new AbortController();

  constructor(id: number, opts: GenerationOptions) {
    this.id = id;
    this.#opts = opts;
  }

  /** Opens the event pipe the zygote and workers report on, with the datasets it loaded. */
  #open(sinks: GenerationSinks): void {
    const opts = this.#opts;
    const datasets = this.datasets;
    this.#sinks = sinks;
    const fds = this.#childFds();
    this.#config = {
      generation: this.id,
      name: opts.name,
      app: opts.app,
      preload: opts.preload,
      mode: opts.mode,
      supervisorPid: process.pid,
      eventsFd: EVENTS_FD,
      binds: opts.listeners.map((l, i) => ({ fd: fds.bindBase + i, label: l.label })),
      datasets: datasets.map((d, i) => ({ name: d.name, fd: fds.datasetBase + i })),
      populate: opts.populate,
      env: opts.env,
      idleGraceMs: opts.idleGraceMs,
      scoreboardFd: fds.datasetBase + datasets.length,
      heartbeatMs: opts.heartbeatMs,
      selfCheck: opts.selfCheck,
    };
    const [r, w] = native().pipe();
    this.#eventsWrite = w;
    const events = new net.Socket({ fd: r, readable: true, writable: false });
    this.#events = events;
    let buffered = '';
    events.setEncoding('utf8');
    events.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const ev = parseEvent(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (ev) sinks.onEvent(ev);
      }
    });
    events.on('error', () => {});
  }

  /** The uid and gid its zygote and workers run as (--user, --group), -1 for the supervisor's. */
  #ids(): [uid: number, gid: number] {
    const c = this.#opts.credentials;
    return c ? [c.uid, c.gid] : [-1, -1];
  }

  #childFds() {
    return { bindBase: EVENTS_FD + 1, datasetBase: EVENTS_FD + 1 + this.#opts.listeners.length };
  }

  /** Source fds in child order: index i ends up as fd i in the child. */
  #fdTable(): number[] {
    return [-1, 1, 2, this.#eventsWrite, ...this.#opts.listeners.map(l => l.fd), ...this.datasets.map(d => d.fd), this.#opts.scoreboardFd];
  }

  /** The child's environment: the supervisor's, the runtime config, `extra`; the self-check fault (tests) only for a zygote. */
  #env(extra: Record<string, string>, zygote = false): NodeJS.ProcessEnv {
    if (this.#config === undefined) throw new Error(`generation ${this.id} is not open`);
    const { [SELF_CHECK_FAULT_ENV]: fault, ...inherited } = process.env;
    return { ...inherited, ...(zygote && fault !== undefined ? { [SELF_CHECK_FAULT_ENV]: fault } : {}), [RUNTIME_ENV]: JSON.stringify(this.#config), ...extra };
  }

  /** Opens the event pipe and, in fork mode, starts the zygote (logged); returns the zygote's pid, if any. */
  start(sinks: GenerationSinks): number | undefined {
    this.#open(sinks);
    this.startedAt = performance.now();
    if (this.#opts.mode !== 'fork') return undefined;
    const pid = this.startZygote();
    log.info(`generation ${this.id}: zygote started (pid ${pid})`);
    return pid;
  }

  /**
   * Fork mode: starts the zygote; it says zygote-ready (or zygote-error) on the event pipe. The shim spawns it, so
   * nothing that patches child_process (APM agents, test harnesses) can add threads or hooks to it, and it runs in
   * a process group of its own, which its workers share (a terminal's ^C reaches only the supervisor, which stops
   * everything in order), in the supervisor's session: the scheduler's autogroup is the service's, as node:cluster's
   * workers are (docs/ARCHITECTURE.md, "Processes").
   */
  startZygote(): number {
    const [cmdRead, cmdWrite] = native().pipe();
    this.#cmdFd = cmdWrite; // stopZygote() and release() close it, also when the spawn below fails
    const env = this.#env({}, true);
    const { kept, dropped } = forkSafeNodeOptions(env.NODE_OPTIONS);
    if (dropped.length) {
      env.NODE_OPTIONS = kept;
      warnOnce(`NODE_OPTIONS ${dropped.join(' ')} not passed to the zygote: module hooks run on a thread that cannot survive fork(); use --worker-mode exec to keep them`);
    }
    const fds = this.#fdTable();
    fds[0] = cmdRead;
    let pid: number;
    try {
      // the V8 flags of this Node's row in src/supervisor/v8-tuning.ts (hot loops at full speed in forked workers)
      const argv = [process.execPath, '--single-threaded', ...v8Tuning().zygoteFlags, path.join(RUNTIME_DIR, 'zygote.js')];
      pid = native().spawn(process.execPath, argv, envList(env), fds, PDEATHSIG, true, ...this.#ids());
    } finally {
      fs.closeSync(cmdRead);
    }
    this.#zygotePid = pid;
    this.#zygoteGroup = pid;
    native().watchPid(pid, (code, signal) => {
      this.#zygotePid = undefined;
      this.#sinks?.onZygoteExit(code, signal);
    });
    return pid;
  }

  /** Asks for a worker in `slot`: a fork request to the zygote, or (exec mode) a fresh node. Returns the pid when known. */
  requestWorker(slot: number, board: number): number | undefined {
    if (this.#opts.mode === 'fork') {
      if (this.#cmdFd < 0) throw new Error(`generation ${this.id} has no zygote`);
      fs.writeSync(this.#cmdFd, `fork ${slot} ${board}\n`);
      return undefined;
    }
    const env = envList(this.#env({ [SLOT_ENV]: String(slot), [BOARD_ENV]: String(board) }));
    const script = path.join(RUNTIME_DIR, 'exec-worker.js');
    return native().spawn(process.execPath, [process.execPath, script], env, this.#fdTable(), PDEATHSIG, true, ...this.#ids());
  }

  get zygotePid(): number | undefined {
    return this.#zygotePid;
  }

  /** Ends the zygote: closing its command pipe makes it exit; `kill` SIGKILLs it and every process it forked. */
  stopZygote(kill = false): void {
    if (this.#cmdFd >= 0) {
      fs.closeSync(this.#cmdFd);
      this.#cmdFd = -1;
      this.#cmdClosedAt = performance.now();
    }
    if (kill && this.#zygoteGroup !== undefined) {
      try {
        // the zygote leads its own process group, which its forks share: this also ends a worker it
        // forked but had not reported yet, even after the zygote itself died (the group lives while it has members)
        process.kill(-this.#zygoteGroup, 'SIGKILL');
      } catch {
        // already gone
      }
      this.#zygoteGroup = undefined;
    }
  }

  /** A zygote still alive `graceMs` after its command pipe closed (stuck, so it never read the EOF) is SIGKILLed. */
  endLingeringZygote(now: number, graceMs: number): void {
    const pid = this.#zygotePid;
    if (pid === undefined || this.#cmdClosedAt === 0 || now - this.#cmdClosedAt <= graceMs) return;
    log.warn(`generation ${this.id}: zygote (pid ${pid}) still running ${(graceMs / 1000).toFixed(1)} s after its command pipe closed: SIGKILL`);
    this.#cmdClosedAt = now; // once per grace period, until its pidfd says it is gone
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }

  get hasZygote(): boolean {
    return this.#zygotePid !== undefined;
  }

  /** Frees everything the generation holds in the supervisor: the event pipe and the dataset memfds. */
  release(): void {
    this.stopZygote();
    if (this.#eventsWrite >= 0) {
      fs.closeSync(this.#eventsWrite);
      this.#eventsWrite = -1;
    }
    this.#events?.destroy();
    for (const d of this.datasets) d.close();
    this.datasets = [];
  }

  /** Bytes its dataset memfds hold. */
  datasetBytes(): number {
    return this.datasets.reduce((n, d) => n + d.header.size, 0);
  }

  /** Its zygote's and workers' pids (the ones the supervisor watches and reaps itself). */
  pids(): number[] {
    const workers = [...this.workers.values()].map(w => w.pid).filter(p => p > 0);
    return this.#zygotePid === undefined ? workers : [this.#zygotePid, ...workers];
  }

  liveWorkers(): Worker[] {
    return [...this.workers.values()].filter(w => w.state !== 'dead');
  }
}
