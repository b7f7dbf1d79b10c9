// What the supervisor's loop handles: everything that happens to it is queued as one of these (signal handlers,
// pidfd watchers, event pipes and dataset loads never act themselves), and tick() handles them in arrival order.
import type { SharedDataset } from '../datasets/load';
import { isPreforkError } from '../errors';
import { EXIT, exitCodeFor } from '../exit-codes';
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

/** A load error as a generation failure: its message and the exit code it means at start. */
export function failureOf(e: unknown): Failure {
  if (isPreforkError(e)) return { why: `${e.message} [${e.code}]`, exitCode: exitCodeFor(e.code) };
  return { why: String((e as Error)?.stack ?? e), exitCode: EXIT.FAILURE.code };
}
