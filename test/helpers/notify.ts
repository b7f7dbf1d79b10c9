// A stand-in for systemd's notification socket: a unix datagram socket bound by python3 (Node has no unix datagram
// sockets), which prints every datagram it receives as a line of JSON with its CLOCK_MONOTONIC arrival time. The
// process is ended by pid and the socket file removed in teardown.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RECEIVER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": sys.argv[1]}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"t": time.monotonic(), "msg": data.decode()}), flush=True)
`;

export interface Notification {
  /** Arrival on CLOCK_MONOTONIC, in ms. */
  t: number;
  fields: Record<string, string>;
}

export interface NotifySocket {
  path: string;
  messages: Notification[];
  /** Resolves with the first message at index >= `from` for which `pred` holds. */
  waitFor(pred: (m: Notification) => boolean, timeoutMs?: number, from?: number): Promise<Notification>;
}

const parse = (msg: string): Record<string, string> => Object.fromEntries(msg.split('\n').filter(Boolean).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

export async function notifySocket(t: { teardown(fn: () => void): void }): Promise<NotifySocket> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-notify-'));
  const file = path.join(dir, 'notify.sock');
  const proc = spawn('python3', ['-c', RECEIVER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (proc.pid && proc.exitCode === null) process.kill(proc.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const messages: Notification[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let bound: () => void = () => {};
  const ready = new Promise<void>(resolve => (bound = resolve));
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as { bound?: string; t?: number; msg?: string };
      buffered = buffered.slice(nl + 1);
      if (line.bound) bound();
      else messages.push({ t: (line.t ?? 0) * 1000, fields: parse(line.msg ?? '') });
    }
    for (const w of [...waiters]) w();
  });
  await ready;
  const waitFor = (pred: (m: Notification) => boolean, timeoutMs = 20_000, from = 0) =>
    new Promise<Notification>((resolve, reject) => {
      const check = () => {
        const m = messages.slice(from).find(pred);
        if (!m) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no notification matched within ${timeoutMs} ms; got:\n${messages.map(m => JSON.stringify(m.fields)).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { path: file, messages, waitFor };
}

/** CLOCK_MONOTONIC now, in ms (the clock the receiver stamps with and MONOTONIC_USEC uses). */
export const monotonicNow = () => Number(process.hrtime.bigint()) / 1e6;
