// Traffic for reload tests: a keep-alive load (bench/keepalive-client.js) and a probe that opens a fresh connection every 20 ms,
// both on 127.0.0.1 and bounded in time, recording every failure and the generations they saw.
import { spawn } from 'node:child_process';
import * as http from 'node:http';

export interface ProbeResult {
  requests: number;
  failures: string[];
  generations: Set<number>;
  /** Values seen per generation. */
  values: Map<number, Set<number>>;
}

/** Fresh-connection probe every `everyMs` until stop() resolves with what it saw. */
export function startProbe(port: number, everyMs = 20): { stop(): Promise<ProbeResult> } {
  const result: ProbeResult = { requests: 0, failures: [], generations: new Set(), values: new Map() };
  let running = true;
  const inflight = new Set<Promise<void>>();
  const once = (): Promise<void> =>
    new Promise(resolve => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, res => {
        let body = '';
        res.on('data', c => (body += c));
        res.on('end', () => {
          result.requests++;
          if (res.statusCode !== 200) result.failures.push(`status ${res.statusCode}`);
          else {
            try {
              const j = JSON.parse(body) as { generation: number; value: number };
              result.generations.add(j.generation);
              if (!result.values.has(j.generation)) result.values.set(j.generation, new Set());
              result.values.get(j.generation)?.add(j.value);
            } catch {
              result.failures.push(`bad body ${body.slice(0, 80)}`);
            }
          }
          resolve();
        });
        res.on('error', e => {
          result.failures.push(`response error ${e.message}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', e => {
        result.failures.push(`request error ${(e as NodeJS.ErrnoException).code ?? e.message}`);
        resolve();
      });
    });
  const timer = setInterval(() => {
    if (!running) return;
    const p = once();
    inflight.add(p);
    void p.then(() => inflight.delete(p));
  }, everyMs);
  return {
    async stop() {
      running = false;
      clearInterval(timer);
      await Promise.all(inflight);
      return result;
    },
  };
}

export interface LoadResult {
  requests: number;
  /** Every request without a 2xx answer, with its reason (ECONNRESET, socket hang up, status 503, …). */
  failures: string[];
}

/**
 * Keep-alive load with `connections` connections for `seconds`, from a client that honours `Connection: close`
 * (bench/keepalive-client.js, shared with the benchmarks).
 */
export function keepAliveLoad(port: number, connections: number, seconds: number): Promise<LoadResult> {
  const client = require('../../bench/keepalive-client.js') as { keepAliveLoad: (p: number, c: number, s: number) => Promise<LoadResult> };
  return client.keepAliveLoad(port, connections, seconds);
}

export interface WrkResult {
  requests: number;
  /** connect + read + write + timeout socket errors, and non-2xx responses, as wrk reports them. */
  socketErrors: number;
  non2xx: number;
  raw: string;
}

/** Runs wrk (installed by .ci/run; the tool the drain measurements in docs/ARCHITECTURE.md used) for `seconds` on 127.0.0.1:port. */
export function wrk(port: number, connections: number, seconds: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', `http://127.0.0.1:${port}/`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', d => (out += d));
    proc.stderr.on('data', d => (out += d));
    proc.on('error', reject);
    proc.on('exit', code => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      resolve({
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
        socketErrors: sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
        non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
        raw: out,
      });
    });
  });
}
