// Who waits for which swap: a `prefork reload` is answered when the generation it asked for serves or fails. A
// reload that arrives during a swap joins the one queued generation that follows it (coalescing).
import type { ControlReply } from './control';

export type ReloadWaiter = (reply: ControlReply) => void;

export class ReloadWaiters {
  readonly #byGeneration = new Map<number, ReloadWaiter[]>();

  /** `w` waits for generation `id` to serve or fail. */
  add(id: number, w: ReloadWaiter): void {
    const list = this.#byGeneration.get(id);
    if (list) list.push(w);
    else this.#byGeneration.set(id, [w]);
  }

  /** Generation `id` serves or failed. */
  settle(id: number, reply: ControlReply): void {
    for (const w of this.#byGeneration.get(id) ?? []) w(reply);
    this.#byGeneration.delete(id);
  }

  /** The supervisor is stopping: no swap will end. */
  settleAll(reply: ControlReply): void {
    for (const id of [...this.#byGeneration.keys()]) this.settle(id, reply);
  }
}
