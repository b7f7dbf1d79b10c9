// The control socket: a unix socket on which `prefork reload | stop | status` talk to the running supervisor, one
// JSON line each way. The supervisor's loop owns the answers; this module only frames them.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PreforkError } from '../errors';
import { errnoOf, native } from '../native';
import { checkSocketOwner, ensureSafeDir } from './control-path';
import * as log from './log';

export type ControlRequest = { cmd: 'reload' } | { cmd: 'stop' } | { cmd: 'status' } | { cmd: 'upgrade' } | { cmd: 'scale'; to: string };
export type ControlReply = { ok: true; [k: string]: unknown } | { ok: false; error: string; refused?: true };

/** What the supervisor does for each command; `reload` answers when the swap ends. */
export interface ControlHandlers {
  reload(reply: (r: ControlReply) => void): void;
  /** `to` is N, +K or -K; answers when the serving generation has that many ready workers. */
  scale(to: string, reply: (r: ControlReply) => void): void;
  stop(): void;
  status(): Promise<Record<string, unknown>>;
  /** Answers when a new supervisor serves (and this one drains), or when the upgrade failed. */
  upgrade(reply: (r: ControlReply) => void): void;
}

/** A request line as the server trusts it: an object whose cmd (and scale's `to`) are plain strings or numbers. */
function parseRequest(line: string): ControlRequest | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || typeof (v as { cmd?: unknown }).cmd !== 'string') return undefined;
  const { cmd, to } = v as { cmd: string; to?: unknown };
  if (cmd === 'scale') return typeof to === 'string' || typeof to === 'number' ? { cmd, to: String(to) } : undefined;
  return { cmd } as ControlRequest;
}

/** Answers one request from `handlers`. */
function answer(req: ControlRequest, handlers: ControlHandlers, reply: (r: ControlReply) => void): void {
  switch (req.cmd) {
    case 'reload':
      return handlers.reload(reply);
    case 'stop':
      reply({ ok: true, pid: process.pid });
      return handlers.stop();
    case 'status':
      return void handlers.status().then(
        s => reply({ ok: true, ...s }),
        e => reply({ ok: false, error: `status failed: ${(e as Error).message}` }),
      );
    case 'scale':
      return handlers.scale(String(req.to), reply);
    case 'upgrade':
      return handlers.upgrade(reply);
    default:
      return reply({ ok: false, error: `unknown command '${(req as { cmd?: unknown }).cmd}'` });
  }
}

/** A request line longer than this is not a request: the connection is cut, so memory stays flat. */
export const MAX_REQUEST_BYTES = 64 << 10;

/** Whether a supervisor answers on `file`. */
function answers(file: string): Promise<boolean> {
  return new Promise(resolve => {
    const s = net.connect(file);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Why the peer on `conn` may not control this supervisor (SO_PEERCRED: not this uid, not root), or undefined. */
function peerRefused(conn: net.Socket): string | undefined {
  const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return 'cannot tell who the client is';
  const [pid, uid] = native().peerCred(fd);
  const me = process.geteuid?.() ?? 0;
  if (uid === me || uid === 0) return undefined;
  const why = `refused a client with uid ${uid} (pid ${pid}): only uid ${me} and root may control this supervisor`;
  log.warn(`control socket: ${why}`);
  return why;
}

/**
 * Listens on `file` (in a safe directory: `dir` is checked, and created 0700 when `create`); refuses if another
 * supervisor already answers there or the file is another user's, removes a stale socket of ours otherwise.
 */
export async function serveControl(file: string, handlers: ControlHandlers, dir?: { create: boolean }): Promise<net.Server> {
  if (dir) ensureSafeDir(path.dirname(file), dir.create);
  if (checkSocketOwner(file, 'server')) {
    if (await answers(file)) {
      throw new PreforkError('PREFORK_BAD_OPTION', `--control ${file}: another prefork supervisor answers there; give this one its own --name or --control path`);
    }
    fs.rmSync(file, { force: true });
  }
  const server = net.createServer(conn => {
    conn.on('error', () => {});
    const refused = peerRefused(conn);
    if (refused) return void conn.end(`${JSON.stringify({ ok: false, error: refused, refused: true })}\n`);
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0 && buf.length > MAX_REQUEST_BYTES) {
        log.warn(`control socket: cut off a client that sent ${buf.length} bytes without a newline (requests are at most ${MAX_REQUEST_BYTES})`);
        buf = '';
        conn.destroy();
        return;
      }
      if (nl < 0) return;
      conn.removeAllListeners('data');
      const req = parseRequest(buf.slice(0, nl));
      if (!req) {
        conn.end(`${JSON.stringify({ ok: false, error: 'bad request: expected one JSON object with a string "cmd" (and for scale a "to")' })}\n`);
        return;
      }
      answer(req, handlers, reply => {
        if (!conn.destroyed) conn.end(`${JSON.stringify(reply)}\n`);
      });
    });
  });
  // bound by the shim and served from its fd: a server that listened on a path unlinks that path when it closes (also
  // at exit), and after an upgrade's handover the path is the successor's socket; the plumbing removes the file itself
  let fd: number;
  try {
    fd = native().listenUnix(file, 64);
  } catch (e) {
    throw new PreforkError('PREFORK_BAD_OPTION', `--control ${file}: cannot listen (${errnoOf(e) ?? (e as Error).message})`, { cause: e });
  }
  fs.chmodSync(file, 0o600);
  await new Promise<void>((resolve, reject) => {
    server.once('error', e => reject(new PreforkError('PREFORK_BAD_OPTION', `--control ${file}: cannot listen (${(e as NodeJS.ErrnoException).code ?? e.message})`, { cause: e })));
    server.listen({ fd }, () => resolve());
  });
  return server;
}

/** Sends one request to the supervisor on `file` and waits (up to `timeoutMs`) for its reply. */
export function sendControl(file: string, req: ControlRequest, timeoutMs: number): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    // a socket of another user could answer anything: trust only ours or root's
    checkSocketOwner(file, 'client');
    const s = net.connect(file);
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new PreforkError('PREFORK_NOT_RUNNING', `no answer from the supervisor on ${file} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`${JSON.stringify(req)}\n`));
    s.on('data', (c: string) => (buf += c));
    s.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as ControlReply);
      } catch {
        reject(new PreforkError('PREFORK_NOT_RUNNING', `the supervisor on ${file} closed the connection without an answer`));
      }
    });
    s.on('error', e => {
      clearTimeout(timer);
      // a refusal can arrive before the request is written (EPIPE): the answer is still the answer
      if (buf.endsWith('\n')) return s.emit('end');
      reject(new PreforkError('PREFORK_NOT_RUNNING', `no prefork supervisor answers on ${file} (${(e as NodeJS.ErrnoException).code ?? e.message}); is it running, and is --control the same as for start?`));
    });
  });
}
