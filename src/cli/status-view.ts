// `prefork status` as a person reads it: the supervisor line, memory, a row per worker with totals, the listeners
// with the connections each worker accepted; and `--watch`, which redraws it every second in place on a terminal
// (like top) or appends one snapshot after another otherwise.
import { formatBytes } from '../supervisor/memory';
import type { SupervisorStatus, Totals, WorkerStatus } from '../supervisor/status';

const mb = (b: number | null) => (b === null ? '-' : (b / 2 ** 20).toFixed(1));
const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`);
const pct = (p: number | null) => (p === null ? '-' : p.toFixed(1));

const HEAD = ['WORKER', 'PID', 'STATE', 'REQUESTS', 'IN FLIGHT', 'CONNS', 'OPEN', 'PRIVATE MB', 'SHARED MB', 'CPU %', 'AGE', 'HEARTBEAT'];

function workerRow(id: string, w: WorkerStatus): string[] {
  const counts = [w.requests, w.inFlight, w.connections, w.openConnections].map(String);
  return [id, String(w.pid), w.state, ...counts, mb(w.privateBytes), mb(w.sharedBytes), pct(w.cpuPercent), secs(w.ageMs), secs(w.heartbeatAgeMs)];
}

function totalsRow(t: Totals): string[] {
  const counts = [t.requests, t.inFlight, t.connections, t.openConnections].map(String);
  return ['total', '', `${t.workers} workers`, ...counts, mb(t.privateBytes), mb(t.sharedBytes), pct(t.cpuPercent), '', ''];
}

/** The text of one status snapshot. */
export function formatStatus(s: SupervisorStatus): string {
  const lines = [`supervisor pid ${s.pid}, serving generation ${s.generation ?? 'none'}, ${s.wanted} workers wanted${s.stopping ? ` (stopping: ${s.stopping})` : ''}`];
  if (s.lastReloadError) lines.push(`last reload failed: ${s.lastReloadError}`);
  const m = s.memory;
  const limit = m.limit === null ? 'no memory cgroup limit' : `memory limit ${formatBytes(m.limit, true)}`;
  lines.push(`memory: datasets ${formatBytes(m.datasets)}; may use ${formatBytes(m.headroom)} more (${limit}); a reload (${m.strategy}) needs ${formatBytes(m.reloadNeeds)}`);
  const rows: string[][] = [HEAD];
  for (const g of s.generations) {
    const datasets = g.datasets.map(d => `${d.name} (${d.file}, ${formatBytes(d.bytes)}${d.hugePages ? ', huge pages' : ''})`);
    lines.push(`generation ${g.id}: ${g.state}${g.zygote ? `, zygote pid ${g.zygote}` : ''}${datasets.length ? `, datasets ${datasets.join(', ')}` : ''}`);
    for (const w of g.workers) rows.push(workerRow(`${g.id}.${w.slot}`, w));
  }
  if (rows.length > 1) lines.push('', ...table([...rows, totalsRow(s.totals)]));
  lines.push('');
  for (const l of s.listeners) {
    const each = l.workers.map(w => `${w.worker} ${w.accepted ?? '-'}`).join(', ');
    lines.push(`listener ${l.label}: ${l.accepted ?? '-'} connections accepted${each ? ` (${each})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Rows as aligned columns (numbers to the right). */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length))) ?? [];
  return rows.map(r => r.map((cell, i) => (i > 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** Cursor home, then clear to the end of the screen: the next frame overwrites this one. */
const REDRAW = '\x1b[H\x1b[J';

export interface WatchOptions {
  json: boolean;
  /** Redraw in place (a terminal) or append snapshots (a pipe or file). */
  tty: boolean;
  intervalMs: number;
  write: (text: string) => void;
}

/**
 * `status --watch`: a snapshot every intervalMs until SIGINT/SIGTERM, or until `take` gives none (the supervisor
 * refused) or throws (it is gone). On a terminal each frame replaces the last; otherwise each text snapshot
 * follows a `--- TIME` line, and with --json each is one line of JSON.
 */
export async function watchStatus(take: () => Promise<SupervisorStatus | undefined>, o: WatchOptions): Promise<void> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      const s = await take();
      if (!s || stopped) break;
      const text = o.json ? `${JSON.stringify(s)}\n` : formatStatus(s);
      if (o.tty) o.write(`${REDRAW}${new Date().toLocaleTimeString()}  prefork status (every ${o.intervalMs / 1000} s; ^C to quit)\n\n${text}`);
      else o.write(o.json ? text : `--- ${new Date().toISOString()}\n${text}`);
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, o.intervalMs);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
