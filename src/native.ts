// The native shim's typed surface. The C side only does syscalls and throws errors whose `code` is the errno name;
// this module loads it once and turns those errors into PreforkErrors where a caller asks it to.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PreforkError } from './errors';

export interface Binding {
  memfdCreate(name: string, size: number): number;
  fillFromFd(dst: number, dstOff: number, src: number, srcOff: number, len: number, swapSize: number, huge: number): void;
  fillFromBuffer(dst: number, dstOff: number, bytes: Uint8Array, swapSize: number, huge: number): void;
  seal(fd: number): void;
  /** Test-facing: F_GET_SEALS is the only way to observe F_SEAL_SEAL (test/datasets/load.ts checks all four seals). */
  getSeals(fd: number): number;
  map(fd: number, len: number, writable: boolean): ArrayBuffer;
  populate(buffer: ArrayBuffer): void;

  doubleFork(): number;
  /** glibc's malloc_trim(0): gives malloc's free pages back to the kernel; whether any were (false off glibc). */
  trimMalloc(): boolean;
  /** V8's low-memory collection (v8::Isolate::LowMemoryNotification, found among node's exported symbols); whether it ran. */
  lowMemory(): boolean;
  /** Fills `bytes` from the kernel's CSPRNG (getrandom(2)). */
  fillRandom(bytes: Uint8Array): void;
  /** fork+exec with the fd table `fds`; `uid`/`gid` -1 keep the caller's (a gid also drops supplementary groups). */
  spawn(file: string, argv: string[], envp: string[], fds: number[], pdeathsig: number, ownGroup: boolean, uid: number, gid: number): number;
  setSubreaper(): void;
  setPdeathsig(sig: number): void;
  /** SIGTTOU and SIGTTIN ignored: a background process group is not stopped for using the terminal. */
  ignoreTerminalStops(): void;
  getppid(): number;
  getpid(): number;
  exit(code: number): never;
  /** Test-facing: waitpid(WNOHANG) for a parent that forks from a synchronous loop (test/fixtures/stress/fork-stress.js). */
  reap(pid: number): [code: number, signal: number] | undefined;
  /** Calls onExit once `pid` has exited (and is reaped); `keepAlive` false: the watch does not hold the event loop open. */
  watchPid(pid: number, onExit: (code: number, signal: number) => void, keepAlive?: boolean): void;
  /** A listening TCP socket; `reusePort` sets SO_REUSEPORT (one socket per worker on the same port). */
  listenTcp(host: string, port: number, backlog: number, reusePort?: boolean): [fd: number, port: number];
  listenUnix(path: string, backlog: number): number;
  pipe(): [readFd: number, writeFd: number];
  /** SO_PEERCRED of a connected unix socket: who is on the other end of the control socket. */
  peerCred(fd: number): [pid: number, uid: number, gid: number];
  reapOrphans(knownPids: number[]): number;
  /** One datagram to the service manager (sd_notify's protocol): `path` is a filesystem path or `@abstract`. */
  sdNotify(path: string, message: string): void;
  /** A socket passed by the service manager: its address as text; marks it close-on-exec. */
  socketInfo(fd: number): [label: string, stream: boolean, listening: boolean];
  /** Marks an inherited fd close-on-exec (the app's own child processes must not get it). */
  setCloexec(fd: number): void;
}

/** Seal bits from <linux/fcntl.h>. */
export const SEAL = { SEAL: 1, SHRINK: 2, GROW: 4, WRITE: 8 } as const;

let loaded: Binding | undefined;

/** The shim: built by `npm install` into build/Release, or the package's prebuilt one (scripts/install.js). */
export function native(): Binding {
  if (loaded === undefined) {
    const root = path.join(__dirname, '..');
    const built = path.join(root, 'build', 'Release', 'prefork.node');
    const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'prefork.node');
    const file = !fs.existsSync(built) && fs.existsSync(prebuilt) ? prebuilt : built;
    try {
      loaded = require(file) as Binding;
    } catch (e) {
      throw new PreforkError(
        'PREFORK_NATIVE',
        `cannot load the native shim ${file}: ${(e as Error).message}; run \`npm install\` (or \`npm rebuild prefork\`) to build it`,
        { cause: e },
      );
    }
  }
  return loaded;
}

/** The errno name of an error thrown by the shim ('EPERM', 'ENOMEM', …), or undefined. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Wraps a shim failure as a PreforkError that says what prefork was doing. */
export function nativeError(doing: string, e: unknown): PreforkError {
  if (errnoOf(e) === 'ENOEXTERNAL') {
    return new PreforkError(
      'PREFORK_UNSUPPORTED_RUNTIME',
      `${doing}: this runtime refuses external ArrayBuffers (V8 sandbox, e.g. Electron); prefork needs a Node.js build without it`,
      { cause: e },
    );
  }
  return new PreforkError('PREFORK_NATIVE', `${doing}: ${(e as Error).message}`, { cause: e });
}
