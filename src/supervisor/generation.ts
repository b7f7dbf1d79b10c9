// One generation's resources (DESIGN.md section 4): its sealed datasets, its event pipe, its zygote (fork mode),
// and how to start a worker in it. Decisions about when to do any of this live in the arbiter.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { SharedDataset } from '../datasets/load';
import { native } from '../native';
import type { RuntimeConfig, RuntimeEvent } from '../protocol';
import { parseEvent, RUNTIME_ENV, SLOT_ENV } from '../protocol';
import type { Listener } from './listeners';
import type { Worker } from './worker-state';

const RUNTIME_DIR = path.join(__dirname, '..', 'runtime');
/** fd numbers inside zygotes and workers: 3 is the event pipe, then the listeners, then the datasets. */
const EVENTS_FD = 3;

export type GenerationState = 'loading' | 'booting' | 'active' | 'draining' | 'failed' | 'gone';

export interface GenerationOptions {
  id: number;
  app: string;
  mode: 'fork' | 'exec';
  preload: boolean;
  env: Record<string, string>;
  populate: boolean;
  idleGraceMs: number;
  listeners: Listener[];
  datasets: SharedDataset[];
  onEvent: (ev: RuntimeEvent) => void;
  onZygoteExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export class Generation {
  readonly id: number;
  state: GenerationState = 'booting';
  readonly workers = new Map<number, Worker>();
  readonly datasets: SharedDataset[];
  bootFailures = 0;
  everReady = false;
  lastError = '';
  zygoteReady = false;
  readonly #opts: GenerationOptions;
  readonly #config: RuntimeConfig;
  readonly #events: net.Socket;
  #eventsWrite: number;
  #zygote: ChildProcess | undefined;
  #cmdFd = -1;

  constructor(opts: GenerationOptions) {
    this.id = opts.id;
    this.#opts = opts;
    this.datasets = opts.datasets;
    const fds = this.#childFds();
    this.#config = {
      generation: opts.id,
      app: opts.app,
      preload: opts.preload,
      mode: opts.mode,
      supervisorPid: process.pid,
      eventsFd: EVENTS_FD,
      binds: opts.listeners.map((l, i) => ({ fd: fds.bindBase + i, label: l.label })),
      datasets: opts.datasets.map((d, i) => ({ name: d.name, fd: fds.datasetBase + i })),
      populate: opts.populate,
      env: opts.env,
      idleGraceMs: opts.idleGraceMs,
    };
    const [r, w] = native().pipe();
    this.#eventsWrite = w;
    this.#events = new net.Socket({ fd: r, readable: true, writable: false });
    let buffered = '';
    this.#events.setEncoding('utf8');
    this.#events.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const ev = parseEvent(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (ev) opts.onEvent(ev);
      }
    });
    this.#events.on('error', () => {});
  }

  #childFds() {
    return { bindBase: EVENTS_FD + 1, datasetBase: EVENTS_FD + 1 + this.#opts.listeners.length };
  }

  /** Source fds in child order: index i ends up as fd i in the child. */
  #fdTable(): number[] {
    return [-1, 1, 2, this.#eventsWrite, ...this.#opts.listeners.map(l => l.fd), ...this.#opts.datasets.map(d => d.fd)];
  }

  #env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return { ...process.env, [RUNTIME_ENV]: JSON.stringify(this.#config), ...extra };
  }

  /** Fork mode: starts the zygote; it says zygote-ready (or zygote-error) on the event pipe. */
  startZygote(): number {
    const [cmdRead, cmdWrite] = native().pipe();
    const table = this.#fdTable();
    const stdio = table.map((fd, i) => (i === 0 ? cmdRead : i === 1 || i === 2 ? 'inherit' : fd));
    const child = spawn(process.execPath, ['--single-threaded', path.join(RUNTIME_DIR, 'zygote.js')], {
      stdio: stdio as ('inherit' | number)[],
      env: this.#env({}),
      detached: true, // own session: a terminal's ^C reaches only the supervisor, which stops everything in order
    });
    fs.closeSync(cmdRead);
    this.#cmdFd = cmdWrite;
    this.#zygote = child;
    child.on('exit', (code, signal) => {
      this.#zygote = undefined;
      this.#opts.onZygoteExit(code, signal);
    });
    child.on('error', () => {});
    return child.pid ?? -1;
  }

  /** Asks for a worker in `slot`: a fork request to the zygote, or (exec mode) a fresh node. Returns the pid when known. */
  requestWorker(slot: number): number | undefined {
    if (this.#opts.mode === 'fork') {
      if (this.#cmdFd < 0) throw new Error(`generation ${this.id} has no zygote`);
      fs.writeSync(this.#cmdFd, `fork ${slot}\n`);
      return undefined;
    }
    const env = Object.entries(this.#env({ [SLOT_ENV]: String(slot) })).map(([k, v]) => `${k}=${v}`);
    const script = path.join(RUNTIME_DIR, 'exec-worker.js');
    return native().spawn(process.execPath, [process.execPath, script], env, this.#fdTable(), 9);
  }

  get zygotePid(): number | undefined {
    return this.#zygote?.pid;
  }

  /** Ends the zygote: closing its command pipe makes it exit; `kill` also signals it. */
  stopZygote(kill = false): void {
    if (this.#cmdFd >= 0) {
      fs.closeSync(this.#cmdFd);
      this.#cmdFd = -1;
    }
    if (kill && this.#zygote) this.#zygote.kill('SIGKILL');
  }

  get hasZygote(): boolean {
    return this.#zygote !== undefined;
  }

  /** Frees everything the generation holds in the supervisor: the event pipe and the dataset memfds. */
  release(): void {
    this.stopZygote();
    if (this.#eventsWrite >= 0) {
      fs.closeSync(this.#eventsWrite);
      this.#eventsWrite = -1;
    }
    this.#events.destroy();
    for (const d of this.datasets) d.close();
    this.datasets.length = 0;
    this.state = 'gone';
  }

  liveWorkers(): Worker[] {
    return [...this.workers.values()].filter(w => w.state !== 'dead');
  }
}
