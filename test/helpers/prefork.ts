// Runs the real `prefork` CLI for integration tests: waits for documented log lines, talks HTTP on 127.0.0.1, and
// ends every process it started (supervisor, zygotes, workers) by pid in teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { forkUnsafeReason } from '../../src/cli/node-support';
export { FIXTURES } from './build';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'prefork');
export const APPS = path.join(ROOT, 'test', 'fixtures', 'apps');

/**
 * The worker mode the suite's supervisors run in: `PREFORK_WORKER_MODE=exec npm test` runs the whole suite in exec
 * mode (prefork reads the variable as --worker-mode); a test that names a mode itself keeps it.
 */
export const MODE: 'fork' | 'exec' = process.env.PREFORK_WORKER_MODE === 'exec' || forkUnsafeReason() ? 'exec' : 'fork';
/** Test options for a test that forks (the stress test, `--worker-mode fork`): skipped where forking is refused. */
export const forkSafe: { skip?: string } = forkUnsafeReason() ? { skip: `fork mode is refused on Node ${process.versions.node}, a major it was not tested on (src/cli/node-support.ts)` } : {};
/** Test options for a test of the zygote itself (--preload), which exec mode does not have. */
export const forkOnly: { skip?: string } = forkSafe.skip ? forkSafe : MODE === 'exec' ? { skip: 'tests the zygote, which exec mode (PREFORK_WORKER_MODE=exec) has not' } : {};

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

export interface Running {
  proc: ChildProcess;
  pid: number;
  port: number;
  /** The control socket the test gave it (a fresh temp dir unless the test passed --control). */
  control: string;
  /** Everything the supervisor and its workers wrote to stderr and stdout so far. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every pid of the tree seen in the log (zygotes and workers). */
  childPids(): number[];
}

/** Runs `prefork args…` and returns once `readyPattern` (default: generation 1 ready) is logged. */
export async function startPrefork(
  t: Teardown,
  args: string[],
  opts: { ready?: RegExp | null; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; cgroupProcs?: string; defaultControl?: boolean; wrap?: string[] } = {},
): Promise<Running> {
  let control = '';
  if (args[0] === 'start' && !args.includes('--control') && !opts.defaultControl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-test-'));
    control = path.join(dir, 'control.sock');
    args = [...args, '--control', control];
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  }
  // inside a cgroup: a shell moves itself there, then execs prefork (so the pid is prefork's)
  // `wrap`: a command that execs prefork in its own place (systemd-socket-activate), so the pid is still prefork's
  const [file, argv] = opts.wrap?.length
    ? [opts.wrap[0] ?? '', [...opts.wrap.slice(1), process.execPath, BIN, ...args]]
    : opts.cgroupProcs === undefined
      ? [process.execPath, [BIN, ...args]]
      : ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', opts.cgroupProcs, process.execPath, BIN, ...args]];
  const proc = spawn(file, argv, {
    cwd: opts.cwd ?? ROOT,
    env: cleanEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve =>
    proc.on('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  const childPids = () => [...out.matchAll(/\(pid (\d+)\)/g)].map(m => Number(m[1]));
  t.teardown(async () => {
    // only live descendants: pids in the log may have been reused by now (pid_max is 32768 here)
    const root = proc.pid ?? 0;
    for (const pid of [...descendants(root), root]) {
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.race([exited, sleep(2000)]);
  });
  const waitFor = (pattern: RegExp, timeoutMs = 30_000, from = 0) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.slice(from).match(pattern);
        if (m) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`prefork exited before ${pattern}:\n${out}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${out}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const running: Running = { proc, pid: proc.pid ?? 0, port: 0, control, output: () => out, waitFor, exited, childPids };
  if (opts.ready !== null) {
    const m = await waitFor(/listening on [^\s]*:(\d+)/, opts.timeoutMs);
    running.port = Number(m[1]);
    await waitFor(opts.ready ?? /generation 1 ready/, opts.timeoutMs);
  }
  return running;
}

/** Every live process below `root` in the process tree (children first found by /proc/PID/stat's ppid). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** Ends `root` and every process below it by pid, in teardown (for trees the test started itself, or that outlive it). */
export function endTreeInTeardown(t: Teardown, root: () => number): void {
  t.teardown(() => {
    const pid = root();
    for (const p of [...descendants(pid), pid]) {
      try {
        if (p > 0) process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a program that binds it itself). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise(resolve => s.close(resolve));
  return port;
}

/** The environment for a prefork under test: without tap's NODE_OPTIONS loaders (prefork is compiled JS). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('NODE_OPTIONS' in extra)) delete env.NODE_OPTIONS;
  return env;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short-lived `prefork …` command (reload, status, inspect) to completion, killed after `timeoutMs`; `env`
 * replaces the whole environment (default: cleanEnv()).
 */
export function runCli(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', d => (stdout += d));
    proc.stderr.on('data', d => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    proc.on('error', reject);
    proc.on('close', code => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no keep-alive). */
export function get(port: number, urlPath = '/', opts: { method?: string; body?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: opts.method ?? 'GET', agent: false, timeout: opts.timeoutMs ?? 10_000 },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', c => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function getJson<T = Record<string, unknown>>(port: number, urlPath = '/'): Promise<T> {
  const r = await get(port, urlPath);
  if (r.status !== 200) throw new Error(`GET ${urlPath}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Polls until `pred` holds or `timeoutMs` passes; returns whether it held. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() > end) return false;
    await sleep(stepMs);
  }
}

/** Processes that still hold a memfd whose name contains `marker` (open fds or mappings). */
export function memfdHolders(marker: string): number[] {
  const holders: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const fds = fs.readdirSync(`/proc/${p}/fd`);
      const viaFd = fds.some(fd => {
        try {
          return fs.readlinkSync(`/proc/${p}/fd/${fd}`).includes(`memfd:prefork:${marker}`);
        } catch {
          return false;
        }
      });
      const viaMap = viaFd || fs.readFileSync(`/proc/${p}/maps`, 'utf8').includes(`memfd:prefork:${marker}`);
      if (viaMap) holders.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return holders;
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = require('node:net').connect({ host: '127.0.0.1', port }) as import('node:net').Socket;
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A temp dir inside the package, so an app copied there can require('prefork') (package self-reference). */
export function packageTempDir(t: Teardown, prefix: string): string {
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', `${prefix}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The first reply of each of `n` workers: requests go out 8 at a time on fresh connections (a worker the scheduler
 * keeps busy still gets some accepts), up to 1,000 requests.
 */
export async function firstReplyPerWorker<T extends { pid: number }>(port: number, n: number, urlPath = '/'): Promise<Map<number, T>> {
  const seen = new Map<number, T>();
  for (let sent = 0; sent < 1000 && seen.size < n; sent += 8) {
    const batch = await Promise.all(Array.from({ length: 8 }, () => getJson<T>(port, urlPath)));
    for (const r of batch) if (!seen.has(r.pid)) seen.set(r.pid, r); // first draw: identical sequences would collide
  }
  return seen;
}
