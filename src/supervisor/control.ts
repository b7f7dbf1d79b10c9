// The control socket: a unix socket on which `prefork reload | stop | status` talk to the running supervisor, one
// JSON line each way. The supervisor's loop owns the answers; this module only frames them.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PreforkError } from '../errors';

export type ControlRequest = { cmd: 'reload' } | { cmd: 'stop' } | { cmd: 'status' };
export type ControlReply = { ok: true; [k: string]: unknown } | { ok: false; error: string };

/** What the supervisor does for each command; `reload` answers when the swap ends. */
export interface ControlHandlers {
  reload(reply: (r: ControlReply) => void): void;
  stop(): void;
  status(): Record<string, unknown>;
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
      return reply({ ok: true, ...handlers.status() });
    default:
      return reply({ ok: false, error: `unknown command '${(req as { cmd?: unknown }).cmd}'` });
  }
}

/** Where the control socket lives unless --control says otherwise: systemd's RuntimeDirectory, XDG, or /tmp. */
export function defaultControlPath(): string {
  const dir = process.env.RUNTIME_DIRECTORY?.split(':')[0] ?? process.env.XDG_RUNTIME_DIR ?? os.tmpdir();
  return path.join(dir, 'prefork.sock');
}

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

/** Listens on `file`; refuses if another supervisor already answers there, removes a stale socket file otherwise. */
export async function serveControl(file: string, handlers: ControlHandlers): Promise<net.Server> {
  if (fs.existsSync(file)) {
    if (await answers(file)) {
      throw new PreforkError('PREFORK_BAD_OPTION', `--control ${file}: another prefork supervisor answers there; give this one its own --control path`);
    }
    fs.rmSync(file, { force: true });
  }
  const server = net.createServer(conn => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    conn.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
      } catch {
        conn.end(`${JSON.stringify({ ok: false, error: 'bad request' })}\n`);
        return;
      }
      answer(req, handlers, reply => {
        if (!conn.destroyed) conn.end(`${JSON.stringify(reply)}\n`);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', e =>
      reject(new PreforkError('PREFORK_BAD_OPTION', `--control ${file}: cannot listen (${(e as NodeJS.ErrnoException).code ?? e.message})`, { cause: e })),
    );
    server.listen(file, () => resolve());
  });
  fs.chmodSync(file, 0o600);
  return server;
}

/** Sends one request to the supervisor on `file` and waits (up to `timeoutMs`) for its reply. */
export function sendControl(file: string, req: ControlRequest, timeoutMs: number): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
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
      reject(new PreforkError('PREFORK_NOT_RUNNING', `no prefork supervisor answers on ${file} (${(e as NodeJS.ErrnoException).code ?? e.message}); is it running, and is --control the same as for start?`));
    });
  });
}
