// `prefork reload | stop | status`: talk to a running supervisor over its control socket (or, with --pidfile,
// just signal it, as one would with gunicorn).
import * as fs from 'node:fs';
import { PreforkError } from '../errors';
import { sendControl, type ControlReply, type ControlRequest } from '../supervisor/control';
import { findControlSocket } from '../supervisor/control-path';
import type { SupervisorStatus } from '../supervisor/status';
import { EXIT } from '../exit-codes';
import { positiveSeconds, type NumericArg } from './option-values';
import { formatStatus, watchStatus } from './status-view';

/** How often `prefork status --watch` takes a snapshot. */
const WATCH_INTERVAL_MS = 1000;

export interface ControlArgs {
  control: string | undefined;
  name: string | undefined;
  pidfile: string | undefined;
  timeout: NumericArg;
  json?: boolean;
  /** status: a snapshot every second until interrupted. */
  watch?: boolean;
  /** scale's N, +K or -K. */
  count?: string | number;
}

/** What --pidfile sends instead of a control request. */
function signalFor(cmd: ControlRequest['cmd'], count: string): NodeJS.Signals | undefined {
  if (cmd === 'reload') return 'SIGHUP';
  if (cmd === 'upgrade') return 'SIGUSR2';
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
  const failed = (reply: ControlReply) => {
    process.stderr.write(`prefork ${cmd}: failed: ${reply.error}\n`);
    if (reply.refused) return EXIT.NOPERM.code;
    return cmd === 'reload' || cmd === 'upgrade' ? EXIT.TEMPFAIL.code : EXIT.FAILURE.code;
  };
  if (cmd === 'status' && args.watch) {
    // a supervisor that goes away ends the watch with PREFORK_NOT_RUNNING (thrown by sendControl)
    let code: number = EXIT.OK.code;
    const take = async () => {
      const reply = await sendControl(file, { cmd }, timeoutMs);
      if (reply.ok) return reply as unknown as SupervisorStatus;
      code = failed(reply);
      return undefined;
    };
    await watchStatus(take, { json: Boolean(args.json), tty: Boolean(process.stdout.isTTY), intervalMs: WATCH_INTERVAL_MS, write: t => process.stdout.write(t) });
    return code;
  }
  const reply = await sendControl(file, cmd === 'scale' ? { cmd, to: count } : { cmd }, timeoutMs);
  if (!reply.ok) return failed(reply);
  if (cmd === 'reload') process.stdout.write(`generation ${String(reply.generation)} is serving (pids ${(reply.pids as number[]).join(', ')})\n`);
  else if (cmd === 'stop') process.stdout.write(`stopping supervisor pid ${String(reply.pid)}\n`);
  else if (cmd === 'upgrade') process.stdout.write(`supervisor pid ${String(reply.pid)} serves generation ${String(reply.generation)}; pid ${String(reply.from)} drains and exits\n`);
  else if (cmd === 'scale') process.stdout.write(`${String(reply.workers)} workers serving generation ${String(reply.generation)} (pids ${(reply.pids as number[]).join(', ')})\n`);
  else process.stdout.write(args.json ? `${JSON.stringify(reply, null, 2)}\n` : formatStatus(reply as unknown as SupervisorStatus));
  return EXIT.OK.code;
}
