// Listening sockets (docs/ARCHITECTURE.md, "Forking Node"): created in the shim, never by a net.Server in the supervisor (its loop would
// accept too), then inherited by every zygote and worker.
import * as fs from 'node:fs';
import { PreforkError } from '../errors';
import { native, errnoOf } from '../native';

export type BindSpec = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface Listener {
  /** What was bound, or `passed` for a socket the service manager handed over (socket activation). */
  spec: BindSpec | { kind: 'passed'; name: string };
  fd: number;
  /** host:port with the real port (after port 0), or unix:PATH. */
  label: string;
}

/** Parses --bind: HOST:PORT, [IPv6]:PORT, :PORT, PORT or unix:PATH. */
export function parseBind(text: string, option = '--bind'): BindSpec {
  if (text.startsWith('unix:')) {
    const p = text.slice(5);
    if (!p) throw new PreforkError('PREFORK_BAD_OPTION', `${option} must be HOST:PORT or unix:PATH, got '${text}'`);
    return { kind: 'unix', path: p };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PreforkError('PREFORK_BAD_OPTION', `${option} must be HOST:PORT (port 0-65535) or unix:PATH, got '${text}'`);
  }
  return { kind: 'tcp', host: m[1] ?? m[2] ?? '', port };
}

/** Binds and listens; a failure names the address and the errno. */
export function openListener(spec: BindSpec, backlog = 2048): Listener {
  const shim = native();
  try {
    if (spec.kind === 'unix') {
      removeStaleSocket(spec.path);
      return { spec, fd: shim.listenUnix(spec.path, backlog), label: `unix:${spec.path}` };
    }
    const [fd, port] = shim.listenTcp(spec.host || '0.0.0.0', spec.port, backlog);
    const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host || '0.0.0.0';
    return { spec, fd, label: `${host}:${port}` };
  } catch (e) {
    const what = spec.kind === 'unix' ? `unix:${spec.path}` : `${spec.host}:${spec.port}`;
    throw new PreforkError('PREFORK_BAD_OPTION', `--bind ${what}: cannot listen (${errnoOf(e) ?? (e as Error).message})`, { cause: e });
  }
}

function removeStaleSocket(path: string): void {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    // nothing there
  }
}

/** Closes the fd, and removes a unix socket's file if prefork bound it (a passed socket's file is systemd's). */
export function closeListener(l: Listener): void {
  fs.closeSync(l.fd);
  if (l.spec.kind === 'unix') removeStaleSocket(l.spec.path);
}
