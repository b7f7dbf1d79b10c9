// What the supervisor's loop handles: everything that happens to it is queued as one of these (signal handlers,
// pidfd watchers, event pipes and dataset loads never act themselves), and tick() handles them in arrival order.
import type { SharedDataset } from '../datasets/load';
import type { RuntimeEvent } from '../protocol';
import type { Generation } from './generation';
import type { Worker } from './worker-state';

export type QueuedEvent =
  | { type: 'signal'; signal: NodeJS.Signals }
  | { type: 'reload'; reason: string }
  | { type: 'runtime'; gen: Generation; ev: RuntimeEvent }
  | { type: 'exit'; gen: Generation; worker: Worker; code: number; signal: number }
  | { type: 'zygote-exit'; gen: Generation; code: number; signal: number }
  | { type: 'loaded'; gen: Generation; datasets: SharedDataset[] }
  | { type: 'load-failed'; gen: Generation; error: unknown };

/** Why a generation failed, and the exit code if that leaves nothing serving. */
export interface Failure {
  why: string;
  exitCode: number;
}
