// Binary upgrade without dropping a request (nginx's and gunicorn's USR2): on SIGUSR2 or `prefork upgrade` the
// supervisor starts a new one from the same command line (so an upgraded package on disk is the code that runs),
// handing it the listening sockets and the serving generation's dataset memfds as fds, described in UPGRADE_ENV. The
// new supervisor starts its own generation on them (adopting the datasets instead of loading them again, when their
// files have not changed) and, once it serves, takes the control socket and pidfile and writes `ready PID` on the
// handover pipe. The old one then tells systemd the new MAINPID=, drains its generations like a reload and exits. If
// the new one exits or is not ready in time, it is killed and the old one keeps serving.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { native } from '../native';
import type { Listener } from './listeners';
import * as log from './log';
import type { SharedDataset } from '../datasets/load';
import type { ControlReply } from './control';
import { exitHow } from './worker-state';

export const UPGRADE_ENV = '_PREFORK_UPGRADE';
/** Where this process was started (read when the module loads, before --chdir): the successor starts there too. */
const LAUNCH_DIR = process.cwd();
/** The handover pipe's write end in the new supervisor. */
const HANDOVER_FD = 3;

/** What the new supervisor finds in UPGRADE_ENV: fds it inherited and where its generations start. */
export interface Inheritance {
  /** The old supervisor's pid. */
  from: number;
  handoverFd: number;
  listeners: { fd: number; label: string; spec: Listener['spec'] }[];
  datasets: { fd: number; name: string }[];
  /** The id of the new supervisor's first generation: the old one's next. */
  firstGeneration: number;
  /** The directory the old supervisor was started in: the new one changes there first, so a relative --chdir holds. */
  cwd: string;
}

/** New side: what the old supervisor handed over, if this process is an upgrade; the variable is removed. */
export function inheritance(env: NodeJS.ProcessEnv = process.env): Inheritance | undefined {
  const text = env[UPGRADE_ENV];
  delete env[UPGRADE_ENV];
  if (!text) return undefined;
  return JSON.parse(text) as Inheritance;
}

/** New side: tells the old supervisor this one serves (it then hands over to it and drains). */
export function announceReady(inh: Inheritance): void {
  const sock = new net.Socket({ fd: inh.handoverFd, readable: false, writable: true });
  sock.end(`ready ${process.pid}\n`);
  sock.on('error', () => {}); // the old one is gone: nothing to tell
}

export interface SuccessorPlan {
  listeners: readonly Listener[];
  datasets: readonly SharedDataset[];
  firstGeneration: number;
  /** Variables the service manager gave this process that the successor needs again (NOTIFY_SOCKET, …). */
  env: Record<string, string>;
  deadlineMs: number;
  onReady(pid: number): void;
  onFailed(why: string): void;
}

/** Old side: one new supervisor on its way up. */
export class Successor {
  readonly pid: number;
  readonly firstGeneration: number;
  /** Its pidfd watch saw it exit (also after it said ready). */
  exited = false;
  #settled = false;
  readonly #timer: NodeJS.Timeout;
  readonly #pipe: net.Socket;

  constructor(plan: SuccessorPlan) {
    const [readFd, writeFd] = native().pipe();
    const listeners = plan.listeners.map((l, i) => ({ fd: HANDOVER_FD + 1 + i, label: l.label, spec: l.spec }));
    const datasets = plan.datasets.map((d, i) => ({ fd: HANDOVER_FD + 1 + listeners.length + i, name: d.name }));
    const inh: Inheritance = { from: process.pid, handoverFd: HANDOVER_FD, listeners, datasets, firstGeneration: plan.firstGeneration, cwd: LAUNCH_DIR };
    const env = { ...process.env, ...plan.env, [UPGRADE_ENV]: JSON.stringify(inh) };
    const fds = [0, 1, 2, writeFd, ...plan.listeners.map(l => l.fd), ...plan.datasets.map(d => d.fd)];
    const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
    try {
      // no parent-death signal and no session of its own: it outlives this process, in the same service
      this.pid = native().spawn(process.execPath, argv, Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`), fds, 0, false, -1, -1);
    } catch (e) {
      fs.closeSync(readFd);
      throw e;
    } finally {
      fs.closeSync(writeFd);
    }
    log.info(`upgrade: started a new supervisor (pid ${this.pid}) with ${listeners.length} listening socket(s) and ${datasets.length} dataset(s); this one serves until it is ready`);
    this.#pipe = new net.Socket({ fd: readFd, readable: true, writable: false });
    let text = '';
    this.#pipe.setEncoding('utf8');
    this.#pipe.on('data', (chunk: string) => {
      text += chunk;
      if (/^ready \d+\n/.test(text)) this.#settle(() => plan.onReady(this.pid));
    });
    this.#pipe.on('error', () => {});
    // not keeping the loop alive: once the new one serves, this process exits while it runs on
    native().watchPid(this.pid, (code, signal) => {
      this.exited = true;
      this.#settle(() => plan.onFailed(`the new supervisor (pid ${this.pid}) exited with ${exitHow(code, signal)} before it served`));
    }, false);
    this.firstGeneration = plan.firstGeneration;
    this.#timer = setTimeout(() => {
      this.#settle(() => plan.onFailed(`the new supervisor (pid ${this.pid}) did not serve within ${plan.deadlineMs / 1000} s: SIGKILL`));
      try {
        process.kill(this.pid, 'SIGKILL'); // its zygote and workers follow (parent-death signal)
      } catch {
        // gone
      }
    }, plan.deadlineMs);
  }

  /** Ends it (the supervisor is stopping): SIGKILL, its zygote and workers follow (parent-death signal). */
  kill(): void {
    this.#settle(() => {});
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  #settle(fn: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#pipe.destroy();
    fn();
  }
}

/** Old side: at most one upgrade at a time, and who waits for its result (`prefork upgrade`). */
export class Upgrades {
  #successor: Successor | undefined;
  #reply: ((r: ControlReply) => void) | undefined;

  /** Why an upgrade cannot start now, if it cannot. */
  refusal(stopping: boolean, serving: boolean, swapping: boolean): string | undefined {
    if (stopping) return 'the supervisor is stopping';
    if (this.#successor) return `an upgrade is under way (new supervisor pid ${this.#successor.pid})`;
    // a swap in flight would be cut short by the handover (and systemd left waiting for its READY=1)
    if (swapping) return 'a reload is under way; upgrade once it is done';
    return serving ? undefined : 'no generation serves yet';
  }

  /** The supervisor stops before the new one served: end the new one, tell whoever waits. */
  abort(): void {
    if (!this.#successor) return;
    log.warn(`upgrade: stopping, so the new supervisor (pid ${this.#successor.pid}) is ended too`);
    this.#successor.kill();
    this.#successor = undefined;
    this.#reply?.({ ok: false, error: 'the supervisor is stopping' });
    this.#reply = undefined;
  }

  /** Whether the successor that said ready is still alive (it may have died before the handover). */
  successorAlive(): boolean {
    const s = this.#successor;
    if (!s || s.exited) return false;
    try {
      process.kill(s.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  start(plan: SuccessorPlan, reply?: (r: ControlReply) => void): void {
    try {
      this.#successor = new Successor(plan);
      this.#reply = reply;
    } catch (e) {
      const error = `upgrade failed: cannot start a new supervisor (${(e as Error).message}); this one keeps serving`;
      log.error(error);
      reply?.({ ok: false, error });
    }
  }

  /** The new supervisor serves: answer `prefork upgrade`. */
  succeeded(pid: number): void {
    log.info(`upgrade: supervisor pid ${pid} serves; this one (pid ${process.pid}) drains its workers and exits`);
    this.#reply?.({ ok: true, pid, from: process.pid, generation: this.#successor?.firstGeneration });
    this.#reply = undefined;
    this.#successor = undefined; // handed over: abort() has nothing to end
  }

  failed(why: string): void {
    const error = `upgrade failed: ${why}; this supervisor (pid ${process.pid}) keeps serving`;
    log.error(error);
    this.#reply?.({ ok: false, error });
    this.#reply = undefined;
    this.#successor = undefined;
  }
}
