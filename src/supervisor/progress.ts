// How far a generation's dataset load has got, for loads longer than a second: a bar redrawn in place on a terminal
// (bytes, rate, time left), a log line every few seconds otherwise, and every update to `sink` (the service manager's
// EXTEND_TIMEOUT_USEC and STATUS=). A short load shows nothing.
import * as log from './log';
import { formatBytes } from './memory';
import type { LoadProgress } from './service-manager';

/** A load that ends within this shows no progress. */
const QUIET_MS = 1000;
/** Log lines when stderr is not a terminal. */
const LINE_EVERY_MS = 5000;
/** Redraws of the bar on a terminal. */
const BAR_EVERY_MS = 100;
const BAR_WIDTH = 24;

const seconds = (s: number) => (s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`);

export interface ProgressOutput {
  tty: boolean;
  write(text: string): void;
}

export class LoadReporter {
  readonly #generation: number;
  readonly #total: number;
  readonly #sink: ((p: LoadProgress) => void) | undefined;
  readonly #out: ProgressOutput;
  readonly #t0 = performance.now();
  #lastShown = -Infinity;
  #drawn = false;

  constructor(generation: number, totalBytes: number, sink?: (p: LoadProgress) => void, out: ProgressOutput = { tty: log.logIsTerminal(), write: t => process.stderr.write(t) }) {
    this.#generation = generation;
    this.#total = totalBytes;
    this.#sink = sink;
    this.#out = out;
  }

  /** `doneBytes` of the generation's datasets are in place. */
  update(doneBytes: number): void {
    const now = performance.now();
    const elapsed = (now - this.#t0) / 1000;
    const p: LoadProgress = { generation: this.#generation, doneBytes, totalBytes: this.#total, rate: elapsed > 0 ? doneBytes / elapsed : 0 };
    this.#sink?.(p);
    if (now - this.#t0 < QUIET_MS || now - this.#lastShown < (this.#out.tty ? BAR_EVERY_MS : LINE_EVERY_MS)) return;
    this.#lastShown = now;
    const left = p.rate > 0 ? Math.max(0, this.#total - doneBytes) / p.rate : NaN;
    const pct = this.#total > 0 ? Math.min(100, (100 * doneBytes) / this.#total) : 100;
    const amount = `${formatBytes(doneBytes)} of ${formatBytes(this.#total)} (${pct.toFixed(0)}%), ${formatBytes(p.rate)}/s`;
    const eta = Number.isFinite(left) ? `, about ${seconds(left)} left` : '';
    if (this.#out.tty) {
      const filled = Math.round((pct / 100) * BAR_WIDTH);
      this.#out.write(`\r\x1b[K[prefork] generation ${this.#generation}: loading [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${amount}${eta}`);
      this.#drawn = true;
    } else {
      log.info(`generation ${this.#generation}: loading datasets: ${amount}${eta}`);
    }
  }

  /** The load ended (done or failed): the bar gives its line back. */
  end(): void {
    if (this.#drawn) this.#out.write('\r\x1b[K');
    this.#drawn = false;
  }
}
