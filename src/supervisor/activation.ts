// Socket activation (sd_listen_fds(3)'s protocol): when LISTEN_PID names this process, the service manager has
// passed LISTEN_FDS listening sockets from fd 3 on, named by LISTEN_FDNAMES. prefork then serves on those instead of
// binding; --bind, if given, picks among them by name or by address, and one that matches none is an error. The
// variables are removed from the environment either way, so no child takes the sockets for its own.
import * as fs from 'node:fs';
import { PreforkError } from '../errors';
import { native, errnoOf } from '../native';
import type { Listener } from './listeners';

/** The first passed fd (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;
const OWN_ENV = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

export interface PassedSocket {
  fd: number;
  /** Its LISTEN_FDNAMES entry (systemd's default: the socket unit's name). */
  name: string;
  /** Its address: 127.0.0.1:8000, [::1]:8000, unix:/run/app.sock. */
  label: string;
}

/** The sockets passed to this process, or undefined when none were; the variables are removed from `env`. */
export function passedSockets(env: NodeJS.ProcessEnv = process.env): PassedSocket[] | undefined {
  const pid = env.LISTEN_PID;
  const count = env.LISTEN_FDS;
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  for (const name of OWN_ENV) delete env[name];
  if (pid === undefined || count === undefined || Number(pid) !== process.pid) return undefined;
  const n = Number(count);
  if (!Number.isInteger(n) || n < 1) return undefined;
  const passed: PassedSocket[] = [];
  for (let i = 0; i < n; i++) {
    const fd = FIRST_FD + i;
    const name = names[i] || `fd${fd}`;
    let info: [string, boolean, boolean];
    try {
      info = native().socketInfo(fd);
    } catch (e) {
      throw new PreforkError('PREFORK_BAD_OPTION', `socket activation: fd ${fd} (${name}) is not a socket (${errnoOf(e) ?? (e as Error).message})`, { cause: e });
    }
    const [label, stream, listening] = info;
    if (!stream || !listening) {
      throw new PreforkError('PREFORK_BAD_OPTION', `socket activation: fd ${fd} (${name}, ${label}) is not a listening stream socket; prefork serves HTTP on ListenStream= sockets only`);
    }
    passed.push({ fd, name, label });
  }
  return passed;
}

/** Whether `bind` (a --bind value) names `s`: its name, its address, or a bare port (`8000`, `:8000`) it listens on. */
function matches(bind: string, s: PassedSocket): boolean {
  if (bind === s.name || bind === s.label) return true;
  const port = /^:?(\d+)$/.exec(bind)?.[1];
  return port !== undefined && !s.label.startsWith('unix:') && s.label.endsWith(`:${port}`);
}

/**
 * The listeners to serve on from the passed sockets: all of them, or those `binds` name (each --bind must name one).
 * The ones not chosen are closed.
 */
export function activatedListeners(passed: PassedSocket[], binds: readonly string[]): Listener[] {
  const chosen = binds.length === 0 ? passed : binds.map(b => {
    const s = passed.find(p => matches(b, p));
    if (!s) {
      const offered = passed.map(p => `${p.name} (${p.label})`).join(', ');
      throw new PreforkError('PREFORK_BAD_OPTION', `--bind ${b}: the service manager passed no such socket (it passed ${offered}); name one of those by name or address, or drop --bind`);
    }
    return s;
  });
  for (const p of passed) if (!chosen.includes(p)) fs.closeSync(p.fd);
  return chosen.map(p => ({ spec: { kind: 'passed', name: p.name }, fd: p.fd, label: p.label }));
}
