// What the supervisor's loop handles: everything that happens to it is queued as one of these (signal handlers,
// pidfd watchers, event pipes and dataset loads never act themselves), and tick() handles them in arrival order.
import type { SharedDataset } from '../datasets/load';
import { isPreforkError } from '../errors';
import { EXIT, exitCodeFor } from '../exit-codes';
import type { RuntimeEvent } from '../protocol';
import { exitHow } from './worker-state';
import type { Generation } from './generation';
import type { GenerationEvent } from './generation-state';
import * as log from './log';
import type { LoadProgress } from './service-manager';
import type { Worker } from './worker-state';

export type QueuedEvent =
  /** The outside's news (a signal, a watched change, an upgrade's handover), handled in its turn. */
  | { type: 'call'; what: string; fn: () => void }
  | { type: 'runtime'; gen: Generation; ev: RuntimeEvent }
  | { type: 'exit'; gen: Generation; worker: Worker; code: number; signal: number }
  | { type: 'zygote-exit'; gen: Generation; code: number; signal: number }
  | { type: 'loaded'; gen: Generation; datasets: SharedDataset[] }
  | { type: 'load-failed'; gen: Generation; error: unknown };

/** Why a generation failed, and the exit code if that leaves nothing serving. */
export interface Failure {
  why: string;
  exitCode: number;
  /** Forking itself failed (the self-check): exec mode may still serve. */
  forkFailed?: true;
}

/** A load error as a generation failure: its message and the exit code it means at start. */
export function failureOf(e: unknown): Failure {
  if (isPreforkError(e)) return { why: `${e.message} [${e.code}]`, exitCode: exitCodeFor(e.code) };
  return { why: String((e as Error)?.stack ?? e), exitCode: EXIT.FAILURE.code };
}

/**
 * The generation-table event a queued event means, if it is one (a zygote's or a dataset load's news), with what the
 * generation learns from it (its datasets, its zygote's last error). Worker news and signals are not.
 */
export function generationEventOf(ev: QueuedEvent): { gen: Generation; event: GenerationEvent; failure?: Failure } | undefined {
  switch (ev.type) {
    case 'zygote-exit': {
      const why = `zygote exited unexpectedly with ${exitHow(ev.code, ev.signal)}${ev.gen.lastError ? `: ${ev.gen.lastError}` : ''}`;
      return { gen: ev.gen, event: 'zygote-exit', failure: { why, exitCode: EXIT.APP_BOOT.code } };
    }
    case 'loaded':
      ev.gen.datasets = ev.datasets;
      return { gen: ev.gen, event: 'loaded' };
    case 'load-failed':
      return { gen: ev.gen, event: 'load-failed', failure: failureOf(ev.error) };
    case 'runtime':
      if (ev.ev.t === 'zygote-ready') {
        const sc = ev.ev.selfCheck;
        const check = sc ? ` (fork self-check passed in ${sc.ms.toFixed(1)} ms; it delayed ready by ${sc.waitedMs.toFixed(1)} ms)` : '';
        log.info(`generation ${ev.gen.id}: zygote ready in ${ev.ev.ms.toFixed(0)} ms${check}`);
        return { gen: ev.gen, event: 'zygote-ready' };
      }
      if (ev.ev.t === 'zygote-error') {
        ev.gen.lastError = ev.ev.message;
        if (ev.ev.selfCheck) return { gen: ev.gen, event: 'boot-failed', failure: { why: ev.ev.message, exitCode: EXIT.SOFTWARE.code, forkFailed: true } };
        return { gen: ev.gen, event: 'boot-failed', failure: { why: `zygote failed: ${ev.ev.message}`, exitCode: EXIT.APP_BOOT.code } };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** What the arbiter tells the outside (service.ts: systemd's notifications, an upgrade's handover, the plumbing). */
export interface ArbiterHooks {
  /** A swap starts: generation `id` loads while another serves. */
  reloading(id: number): void;
  loading(p: LoadProgress): void;
  /** A generation serves: the first one (`first`) or a swap's. */
  served(first: boolean): void;
  /** A new generation failed while another keeps serving: the reload failed closed. */
  failedClosed(): void;
  halting(exitCode: number, why: string): void;
  stopping(): void;
  /** The end of every tick. */
  ticked(): void;
  /** Every generation is gone: close what the outside opened. */
  finished(): void;
}
