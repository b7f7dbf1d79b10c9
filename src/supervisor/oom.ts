// Whom the OOM killer takes first (/proc/PID/oom_score_adj): a new generation's booting workers, then the serving
// workers, then the zygotes, and the supervisor last, so running out of memory costs a worker (replaced) and never
// the whole service. Scores are offsets above the supervisor's own score at start (systemd's OOMScoreAdjust=, or
// 0), which an unprivileged process may always raise its children to; the supervisor lowers its own score only where
// it may (CAP_SYS_RESOURCE).
import * as fs from 'node:fs';

const MAX = 1000;
const MIN = -1000;

/** Offsets above the supervisor's starting score. */
export const OOM_OFFSET = { zygote: 100, serving: 300, booting: 600 } as const;
/** How far a privileged supervisor lowers itself below its starting score. */
const SUPERVISOR_LOWER = 500;

export type OomRole = keyof typeof OOM_OFFSET;

const file = (pid: number | 'self') => `/proc/${pid}/oom_score_adj`;

function write(pid: number | 'self', score: number): boolean {
  try {
    fs.writeFileSync(file(pid), `${Math.max(MIN, Math.min(MAX, Math.round(score)))}\n`);
    return true;
  } catch {
    return false; // gone, or not ours to lower
  }
}

/** The supervisor's side: remembers its starting score, then tries to lower itself. */
export class OomScores {
  readonly base: number;
  readonly lowered: boolean;

  constructor() {
    const base = Number(fs.readFileSync(file('self'), 'utf8').trim());
    this.base = Number.isFinite(base) ? base : 0;
    this.lowered = this.base > MIN && write('self', this.base - SUPERVISOR_LOWER);
  }

  /** Gives `pid` the score of its role; false when the process is already gone. */
  set(pid: number, role: OomRole): boolean {
    return write(pid, this.base + OOM_OFFSET[role]);
  }

  /** The order, for the log. */
  describe(): string {
    const at = (role: OomRole) => Math.min(MAX, this.base + OOM_OFFSET[role]);
    const self = this.lowered ? `supervisor ${Math.max(MIN, this.base - SUPERVISOR_LOWER)}` : `supervisor ${this.base} (lowering it needs CAP_SYS_RESOURCE)`;
    return `OOM killer order (oom_score_adj): booting workers ${at('booting')}, serving workers ${at('serving')}, zygotes ${at('zygote')}, ${self}`;
  }
}
