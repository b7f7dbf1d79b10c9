// The shape `prefork status --json` prints: a snapshot of the supervisor's tables, typed so scripts and the CLI's
// text form read the same fields.
import type { Generation } from './generation';
import type { GenerationState } from './generation-state';
import type { WorkerState } from './worker-state';

export interface WorkerStatus {
  slot: number;
  pid: number;
  state: WorkerState;
}

export interface GenerationStatus {
  id: number;
  state: GenerationState;
  zygote: number | null;
  datasets: string[];
  workers: WorkerStatus[];
}

export interface SupervisorStatus {
  pid: number;
  /** The generation that serves, if any. */
  generation: number | null;
  stopping: 'graceful' | 'quick' | null;
  lastReloadError: string | null;
  listeners: string[];
  generations: GenerationStatus[];
}

/** One generation's row. */
export function generationStatus(g: Generation): GenerationStatus {
  return {
    id: g.id,
    state: g.state,
    zygote: g.zygotePid ?? null,
    datasets: g.datasets.map(d => d.name),
    workers: [...g.workers.values()].map(w => ({ slot: w.slot, pid: w.pid, state: w.state })),
  };
}
