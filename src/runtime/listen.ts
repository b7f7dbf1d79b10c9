// prefork owns the listening sockets (created by the supervisor, inherited as fds). An app that calls listen()
// itself gets the inherited socket instead of its own port; in the zygote the call is only recorded, and the worker
// performs it after fork, so a preloaded app never opens a socket in the zygote.
import type * as http from 'node:http';
import * as net from 'node:net';
import { track } from './drain';

type ListenArgs = unknown[];
interface Pending {
  server: net.Server;
  callback: (() => void) | undefined;
}

const realListen = net.Server.prototype.listen;
let mode: 'defer' | 'direct' | 'off' = 'off';
/** An inherited listening socket: its fd and its place among the --bind sockets. */
export interface Bind {
  fd: number;
  index: number;
}

let nextFd: () => Bind | undefined = () => undefined;
const pending: Pending[] = [];
const captured: net.Server[] = [];
const waiters: Array<(s: net.Server) => void> = [];

function patchedListen(this: net.Server, ...args: ListenArgs): net.Server {
  if (mode === 'off') return realListen.apply(this, args as Parameters<typeof realListen>);
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as () => void) : undefined;
  if (mode === 'defer') {
    pending.push({ server: this, callback });
    return this;
  }
  listenOnInherited(this, callback);
  return this;
}

function listenOnInherited(server: net.Server, callback: (() => void) | undefined): void {
  const handle = nextFd();
  if (handle === undefined) {
    throw new Error('the app called listen() more times than prefork has --bind sockets');
  }
  captured.push(server);
  track(server as http.Server, handle.index); // before it listens, so no early connection escapes the drain
  realListen.call(server, { fd: handle.fd }, callback);
  server.once('listening', () => {
    for (const w of waiters.splice(0)) w(server);
  });
}

/** Zygote: record the app's listen() calls instead of opening sockets. */
export function deferAppListen(): void {
  mode = 'defer';
  net.Server.prototype.listen = patchedListen as typeof realListen;
}

/** Worker: route the app's listen() calls (recorded or future) to the inherited sockets from `fds`. */
export function routeAppListen(fds: () => Bind | undefined): void {
  nextFd = fds;
  mode = 'direct';
  net.Server.prototype.listen = patchedListen as typeof realListen;
  for (const p of pending.splice(0)) listenOnInherited(p.server, p.callback);
}

/** Servers the app made listen through prefork. */
export function appServers(): net.Server[] {
  return captured;
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
