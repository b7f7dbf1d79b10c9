// --metrics-bind: the scoreboard and the supervisor's counters in the Prometheus text exposition format (version
// 0.0.4), served by the supervisor itself so a scrape never lands on a busy worker. Written by hand: a few gauges and
// counters do not need a client library in the supervisor.
import * as http from 'node:http';
import { PreforkError } from '../errors';
import type { BindSpec } from './listeners';
import * as log from './log';
import type { SupervisorStatus } from './status';

type Labels = Record<string, string | number>;
interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: [Labels, number][];
}

const escape = (v: string | number) => String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

/** The text of every family, HELP and TYPE first. */
function render(families: Family[]): string {
  return families
    .map(f => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.samples.map(([l, v]) => `${f.name}${labelText(l)} ${Number.isFinite(v) ? v : 'NaN'}`)].join('\n'))
    .join('\n')
    .concat('\n');
}

/** The metrics of one status snapshot. */
export function formatMetrics(s: SupervisorStatus): string {
  const workers = s.generations.flatMap(g => g.workers.map(w => ({ ...w, generation: g.id })));
  const id = (w: (typeof workers)[number]) => ({ generation: w.generation, slot: w.slot, pid: w.pid });
  const states = ['requested', 'booting', 'ready', 'stopping'] as const;
  return render([
    { name: 'prefork_generation', type: 'gauge', help: 'The generation that serves (0: none).', samples: [[{}, s.generation ?? 0]] },
    { name: 'prefork_workers_wanted', type: 'gauge', help: 'Workers each generation should have.', samples: [[{}, s.wanted]] },
    { name: 'prefork_workers', type: 'gauge', help: 'Workers by state, over every generation.', samples: states.map(st => [{ state: st }, workers.filter(w => w.state === st).length]) },
    { name: 'prefork_worker_requests_total', type: 'counter', help: 'Requests a worker has started serving (scoreboard).', samples: workers.map(w => [id(w), w.requests]) },
    { name: 'prefork_worker_in_flight', type: 'gauge', help: 'Requests a worker is serving now (scoreboard).', samples: workers.map(w => [id(w), w.inFlight]) },
    { name: 'prefork_worker_connections_total', type: 'counter', help: 'Connections a worker has accepted (scoreboard).', samples: workers.map(w => [id(w), w.connections]) },
    { name: 'prefork_worker_open_connections', type: 'gauge', help: 'Connections a worker has open now (scoreboard).', samples: workers.map(w => [id(w), w.openConnections]) },
    {
      name: 'prefork_listener_connections_total',
      type: 'counter',
      help: 'Connections accepted on a listener by a worker (scoreboard).',
      samples: s.listeners.flatMap(l => l.workers.filter(w => w.accepted !== null).map(w => [{ listener: l.label, worker: w.worker, pid: w.pid }, w.accepted ?? 0] as [Labels, number])),
    },
    {
      name: 'prefork_worker_heartbeat_age_seconds',
      type: 'gauge',
      help: 'Seconds since a worker last wrote its heartbeat.',
      samples: workers.filter(w => w.heartbeatAgeMs !== null).map(w => [id(w), (w.heartbeatAgeMs ?? 0) / 1000]),
    },
    { name: 'prefork_worker_restarts_total', type: 'counter', help: 'Workers replaced, by cause.', samples: Object.entries(s.counters.restarts).map(([cause, n]) => [{ cause }, n]) },
    { name: 'prefork_reloads_total', type: 'counter', help: 'Generation swaps that completed.', samples: [[{}, s.counters.reloads]] },
    { name: 'prefork_reload_failures_total', type: 'counter', help: 'Generations that failed to load or boot.', samples: [[{}, s.counters.reloadFailures]] },
    { name: 'prefork_dataset_bytes', type: 'gauge', help: 'Bytes of the shared dataset memfds, all generations.', samples: [[{}, s.memory.datasets]] },
    { name: 'prefork_memory_headroom_bytes', type: 'gauge', help: 'Bytes the service may still use (memory cgroup, MemAvailable).', samples: [[{}, s.memory.headroom]] },
  ]);
}

/** Serves GET /metrics on `bind`; resolves with the server and the address it got (port 0 picks one). */
export async function serveMetrics(bind: BindSpec, snapshot: () => SupervisorStatus): Promise<{ server: http.Server; label: string }> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (url === '/healthz' || url === '/readyz')) {
      // healthz: the supervisor's loop answers (liveness); readyz: a generation serves with a ready worker (readiness)
      const s = snapshot();
      const serving = s.generations.find(g => g.id === s.generation);
      const ready = !s.stopping && (serving?.workers.some(w => w.state === 'ready') ?? false);
      const ok = url === '/healthz' || ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : `not ready${s.stopping ? ': stopping' : ''}\n`);
      return;
    }
    if (req.method !== 'GET' || url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics (and /healthz, /readyz)\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(formatMetrics(snapshot()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', e => reject(new PreforkError('PREFORK_BAD_OPTION', `--metrics-bind: cannot listen (${(e as NodeJS.ErrnoException).code ?? e.message})`, { cause: e })));
    if (bind.kind === 'unix') server.listen(bind.path, resolve);
    else server.listen(bind.port, bind.host || '127.0.0.1', resolve);
  });
  const a = server.address();
  const label = typeof a === 'string' ? `unix:${a}` : `${a?.family === 'IPv6' ? `[${a.address}]` : a?.address}:${a?.port}`;
  log.info(`metrics on http://${label}/metrics`);
  return { server, label };
}
