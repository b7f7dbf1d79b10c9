// Who waits for which swap: a `prefork reload` is answered when the swap that covers it ends. Requests that arrive
// during a swap are covered by the one more swap that follows it (coalescing).
import type { ControlReply } from './control';

export type ReloadWaiter = (reply: ControlReply) => void;

export class ReloadWaiters {
  #queued: ReloadWaiter[] = [];
  readonly #byGeneration = new Map<number, ReloadWaiter[]>();

  /** Waits for the next swap that starts. */
  queue(w: ReloadWaiter): void {
    this.#queued.push(w);
  }

  /** The swap to generation `id` starts: it covers everyone queued so far. */
  assign(id: number): void {
    this.#byGeneration.set(id, this.#queued.splice(0));
  }

  /** The swap to generation `id` ended. */
  settle(id: number, reply: ControlReply): void {
    for (const w of this.#byGeneration.get(id) ?? []) w(reply);
    this.#byGeneration.delete(id);
  }

  /** The supervisor is stopping: no swap will end. */
  settleAll(reply: ControlReply): void {
    for (const id of [...this.#byGeneration.keys()]) this.settle(id, reply);
    for (const w of this.#queued.splice(0)) w(reply);
  }
}
