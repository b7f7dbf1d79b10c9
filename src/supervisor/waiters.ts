// Who waits for what on the control socket. A `prefork reload` is answered when the generation it asked for serves
// (and no retired worker accepts any more) or fails; a reload that arrives during a swap joins the one queued
// generation after it (coalescing). A `prefork scale` is answered when the serving generation has the count.
import type { ControlReply } from './control';

export type Waiter = (reply: ControlReply) => void;

export class Waiters {
  readonly #byGeneration = new Map<number, Waiter[]>();
  /** Swaps whose generation serves, held until the old workers stop accepting. */
  readonly #swapped: { id: number; reply: ControlReply }[] = [];
  readonly #scale: Waiter[] = [];

  /** `w` waits for generation `id` to serve or fail. */
  add(id: number, w: Waiter): void {
    const list = this.#byGeneration.get(id);
    if (list) list.push(w);
    else this.#byGeneration.set(id, [w]);
  }

  /** Generation `id` failed, or (`settle` through `swapped`) serves. */
  settle(id: number, reply: ControlReply): void {
    for (const w of this.#byGeneration.get(id) ?? []) w(reply);
    this.#byGeneration.delete(id);
  }

  /** Generation `id` serves; its waiters hear it at the next releaseSwaps(). */
  swapped(id: number, reply: ControlReply): void {
    this.#swapped.push({ id, reply });
  }

  /** No retired worker accepts any more: answer the swaps held. */
  releaseSwaps(): void {
    for (const { id, reply } of this.#swapped.splice(0)) this.settle(id, reply);
  }

  /** `w` waits for the serving generation to have the wanted count. */
  addScale(w: Waiter): void {
    this.#scale.push(w);
  }

  settleScale(reply: ControlReply): void {
    for (const w of this.#scale.splice(0)) w(reply);
  }

  /** The supervisor is stopping: swaps that ended are answered as such, everyone else hears `reply`. */
  settleAll(reply: ControlReply): void {
    this.releaseSwaps();
    for (const id of [...this.#byGeneration.keys()]) this.settle(id, reply);
    this.settleScale(reply);
  }
}
