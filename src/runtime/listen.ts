// prefork owns the listening sockets (created by the supervisor, inherited as fds). An app that calls listen()
// itself gets an inherited socket instead of its own port when it means one: a listen() on the port (or unix path) of
// a --bind socket, or the app's first listen() on any other port (its main server, e.g. `listen(3000)`). A listen()
// on yet another port (a metrics or admin server) listens for real, with SO_REUSEPORT so that every worker can. In the
// zygote the calls are only recorded, and the worker performs them after fork, so a preloaded app never opens a
// socket in the zygote.
import type * as http from 'node:http';
import * as net from 'node:net';
import { native } from '../native';
import { track } from './drain';
import { writeStderr } from './exit';

type ListenArgs = unknown[];
interface Pending {
  server: net.Server;
  args: ListenArgs;
  callback: (() => void) | undefined;
}

const realListen = net.Server.prototype.listen;
let mode: 'defer' | 'direct' | 'off' = 'off';
/** An inherited listening socket: its fd, its place among the --bind sockets, its address (`host:port`, `unix:PATH`). */
export interface Bind {
  fd: number;
  index: number;
  label: string;
}

/** The inherited sockets no server has taken yet. */
let unused: Bind[] = [];
const pending: Pending[] = [];
const captured: net.Server[] = [];
/** The app's servers on ports of their own (not --bind sockets). */
const own: net.Server[] = [];
const waiters: Array<(s: net.Server) => void> = [];

function patchedListen(this: net.Server, ...args: ListenArgs): net.Server {
  if (mode === 'off') return realListen.apply(this, args as Parameters<typeof realListen>);
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as () => void) : undefined;
  if (mode === 'defer') {
    pending.push({ server: this, args, callback });
    return this;
  }
  routeListen(this, args, callback);
  return this;
}

/** What a listen() call asks for: a TCP port (and host), a unix path, or nothing prefork can read (a handle, fd). */
export function listenTarget(args: ListenArgs): { port?: number; host?: string; path?: string } {
  const [first, second] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { port: Number(first), ...(typeof second === 'string' ? { host: second } : {}) };
  }
  if (typeof first === 'string') return { path: first };
  if (typeof first === 'object' && first !== null) {
    const o = first as { port?: unknown; host?: unknown; path?: unknown };
    if (typeof o.path === 'string') return { path: o.path };
    if (o.port !== undefined && o.port !== null && /^\d+$/.test(String(o.port))) return { port: Number(o.port), ...(typeof o.host === 'string' ? { host: o.host } : {}) };
    if (!('fd' in o) && !('handle' in o) && !('_handle' in o)) return { port: 0 };
    return {};
  }
  return first === undefined || typeof first === 'function' ? { port: 0 } : {};
}

/** The unused inherited socket a listen() for `target` means, if any (see the file's head). */
function pickBind(target: ReturnType<typeof listenTarget>): number {
  const i = unused.findIndex(b => (target.path !== undefined ? b.label === `unix:${target.path}` : target.port ? b.label.endsWith(`:${target.port}`) && !b.label.startsWith('unix:') : false));
  if (i >= 0) return i;
  const mainServer = captured.length === 0 && (target.port !== undefined || target.path !== undefined);
  return mainServer && unused.length > 0 ? 0 : -1;
}

function routeListen(server: net.Server, args: ListenArgs, callback: (() => void) | undefined): void {
  const target = listenTarget(args);
  const i = pickBind(target);
  const bind = i >= 0 ? unused.splice(i, 1)[0] : undefined;
  if (bind) return listenOnInherited(server, bind, callback);
  if (target.port === undefined && target.path === undefined && unused.length === 0) {
    throw new Error('the app called listen() more times than prefork has --bind sockets');
  }
  own.push(server);
  if (target.port) {
    // its own port: every worker binds one SO_REUSEPORT socket there, and the kernel spreads connections over them
    const [fd] = native().listenTcp(target.host ?? '0.0.0.0', target.port, 511, true);
    writeStderr(`prefork worker ${process.pid}: the app's server on port ${target.port} is not a --bind socket: it listens itself (SO_REUSEPORT)\n`);
    realListen.call(server, { fd }, callback);
    return;
  }
  realListen.apply(server, args as Parameters<typeof realListen>);
}

function listenOnInherited(server: net.Server, bind: Bind, callback: (() => void) | undefined): void {
  captured.push(server);
  track(server as http.Server, bind.index); // before it listens, so no early connection escapes the drain
  realListen.call(server, { fd: bind.fd }, callback);
  server.once('listening', () => {
    for (const w of waiters.splice(0)) w(server);
  });
}

/** Zygote: record the app's listen() calls instead of opening sockets. */
export function deferAppListen(): void {
  mode = 'defer';
  net.Server.prototype.listen = patchedListen as typeof realListen;
}

/** Worker: route the app's listen() calls (recorded or future) among `binds`, which it takes from as they are used. */
export function routeAppListen(binds: Bind[]): void {
  unused = binds;
  mode = 'direct';
  net.Server.prototype.listen = patchedListen as typeof realListen;
  for (const p of pending.splice(0)) routeListen(p.server, p.args, p.callback);
}

/** The app's servers (on inherited sockets first, then on ports of their own): a drain closes them all. */
export function appServers(): net.Server[] {
  return [...captured, ...own];
}

/** Resolves when the app's next server is listening (or one already is). */
export function whenAppListens(): Promise<net.Server> {
  const ready = captured.find(s => s.listening);
  if (ready) return Promise.resolve(ready);
  return new Promise(resolve => waiters.push(resolve));
}

/** Listens on an inherited socket without the app's involvement. */
export function listenOnFd(server: net.Server, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    realListen.call(server, { fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
