// Respawn backoff: while workers keep dying, each replacement waits twice as long as the one before (100 ms up to
// 10 s), counting the exits of the last minute, so a crashing app does not fork in a tight loop. A worker that had
// run a while (30 s) before it died starts the count afresh: one crash of a healthy service is not a crash loop.
const WINDOW_MS = 60_000;
const STABLE_MS = 30_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;

export class RespawnBackoff {
  #recent: number[] = [];
  #until = 0;

  /**
   * Records an unexpected worker exit at `now` of a worker that had run `ranMs`; returns the delay it imposes on the
   * next start (0 for the first).
   */
  exited(now: number, ranMs = 0): number {
    if (ranMs >= STABLE_MS) {
      this.#recent = [];
      this.#until = 0;
    }
    this.#recent = this.#recent.filter(t => now - t < WINDOW_MS);
    this.#recent.push(now);
    if (this.#recent.length < 2) return 0;
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.#recent.length - 2));
    this.#until = Math.max(this.#until, now + delay);
    return delay;
  }

  /** Exits counted in the window. */
  get recentExits(): number {
    return this.#recent.length;
  }

  /** Whether a worker may be started at `now`. */
  allows(now: number): boolean {
    return now >= this.#until;
  }
}
