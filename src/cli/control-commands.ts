// `prefork reload | stop | status`: talk to a running supervisor over its control socket (or, with --pidfile,
// just signal it, as one would with gunicorn).
import * as fs from 'node:fs';
import { PreforkError } from '../errors';
import { sendControl, type ControlRequest } from '../supervisor/control';
import { findControlSocket } from '../supervisor/control-path';
import { formatBytes } from '../supervisor/memory';
import type { SupervisorStatus } from '../supervisor/status';
import { EXIT } from '../exit-codes';
import { positiveSeconds, type NumericArg } from './option-values';

export interface ControlArgs {
  control: string | undefined;
  name: string | undefined;
  pidfile: string | undefined;
  timeout: NumericArg;
  json?: boolean;
  /** scale's N, +K or -K. */
  count?: string | number;
}

/** What --pidfile sends instead of a control request. */
function signalFor(cmd: ControlRequest['cmd'], count: string): NodeJS.Signals | undefined {
  if (cmd === 'reload') return 'SIGHUP';
  if (cmd === 'stop') return 'SIGTERM';
  if (cmd === 'scale' && count === '+1') return 'SIGTTIN';
  if (cmd === 'scale' && count === '-1') return 'SIGTTOU';
  return undefined;
}

function signalPidfile(pidfile: string, sig: NodeJS.Signals): number {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidfile, 'utf8').trim());
  } catch (e) {
    throw new PreforkError('PREFORK_NOT_RUNNING', `--pidfile ${pidfile}: cannot read it (${(e as NodeJS.ErrnoException).code})`, { cause: e });
  }
  try {
    process.kill(pid, sig);
  } catch (e) {
    throw new PreforkError('PREFORK_NOT_RUNNING', `--pidfile ${pidfile}: pid ${pid} is not running`, { cause: e });
  }
  process.stdout.write(`sent ${sig} to supervisor pid ${pid}\n`);
  return EXIT.OK.code;
}

/** Runs one control command and returns the exit code. */
export async function control(cmd: ControlRequest['cmd'], args: ControlArgs): Promise<number> {
  const timeoutMs = positiveSeconds('timeout', args.timeout);
  const count = String(args.count ?? '');
  const sig = signalFor(cmd, count);
  if (args.pidfile && !args.control && sig) return signalPidfile(args.pidfile, sig);
  const file = findControlSocket(args.control, args.name);
  const reply = await sendControl(file, cmd === 'scale' ? { cmd, to: count } : { cmd }, timeoutMs);
  if (!reply.ok) {
    process.stderr.write(`prefork ${cmd}: failed: ${reply.error}\n`);
    if (reply.refused) return EXIT.NOPERM.code;
    return cmd === 'reload' ? EXIT.TEMPFAIL.code : EXIT.FAILURE.code;
  }
  if (cmd === 'reload') process.stdout.write(`generation ${String(reply.generation)} is serving (pids ${(reply.pids as number[]).join(', ')})\n`);
  else if (cmd === 'stop') process.stdout.write(`stopping supervisor pid ${String(reply.pid)}\n`);
  else if (cmd === 'scale') process.stdout.write(`${String(reply.workers)} workers serving generation ${String(reply.generation)} (pids ${(reply.pids as number[]).join(', ')})\n`);
  else process.stdout.write(args.json ? `${JSON.stringify(reply, null, 2)}\n` : formatStatus(reply as unknown as SupervisorStatus));
  return EXIT.OK.code;
}

function formatStatus(s: SupervisorStatus): string {
  const lines = [`supervisor pid ${s.pid}, serving generation ${s.generation ?? 'none'}${s.stopping ? ` (stopping: ${s.stopping})` : ''}`];
  lines.push(`listening on ${s.listeners.join(', ')}`);
  if (s.lastReloadError) lines.push(`last reload failed: ${s.lastReloadError}`);
  const m = s.memory;
  const limit = m.limit === null ? 'no memory cgroup limit' : `memory limit ${formatBytes(m.limit, true)}`;
  lines.push(`memory: datasets ${formatBytes(m.datasets)}; may use ${formatBytes(m.headroom)} more (${limit}); a reload (${m.strategy}) needs ${formatBytes(m.reloadNeeds)}`);
  const rows: string[][] = [['WORKER', 'PID', 'STATE', 'REQUESTS', 'IN FLIGHT', 'PRIVATE MB', 'SHARED MB', 'CPU %', 'AGE', 'HEARTBEAT']];
  for (const g of s.generations) {
    lines.push(`generation ${g.id}: ${g.state}${g.zygote ? `, zygote pid ${g.zygote}` : ''}${g.datasets.length ? `, datasets ${g.datasets.map(d => `${d.name} (${d.file}, ${formatBytes(d.bytes)}${d.hugePages ? ', huge pages' : ''})`).join(', ')}` : ''}`);
    for (const w of g.workers) {
      const mb = (b: number | null) => (b === null ? '-' : (b / 2 ** 20).toFixed(1));
      const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`);
      rows.push([`${g.id}.${w.slot}`, String(w.pid), w.state, String(w.requests), String(w.inFlight), mb(w.privateBytes), mb(w.sharedBytes), w.cpuPercent === null ? '-' : w.cpuPercent.toFixed(1), secs(w.ageMs), secs(w.heartbeatAgeMs)]);
    }
  }
  if (rows.length > 1) lines.push('', ...table(rows));
  return `${lines.join('\n')}\n`;
}

/** Rows as aligned columns (numbers to the right). */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length))) ?? [];
  return rows.map(r => r.map((cell, i) => (i > 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}
