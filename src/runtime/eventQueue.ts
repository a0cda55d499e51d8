/**
 * The simulations' one event queue: a binary min-heap of items by (time, insertion number), so
 * that items due at the same time come out in the order they were pushed, and a seeded simulation
 * replays exactly. Used by the sync layer's simulated network and the consensus simulation.
 */
import { invariant } from "../core/errors.js";

interface Entry<T> {
  /** Due time (virtual ms). */
  t: number;
  /** Insertion number: ties on `t` pop in push order. */
  s: number;
  e: T;
}

const less = <T>(a: Entry<T>, b: Entry<T>): boolean => a.t < b.t || (a.t === b.t && a.s < b.s);

export class EventQueue<T> {
  private heap: Entry<T>[] = [];
  private seq = 0;

  /** Items in the queue. */
  get size(): number {
    return this.heap.length;
  }

  /** Adds `e` due at time `t` (any number but NaN, which has no order). */
  push(t: number, e: T): void {
    if (Number.isNaN(t)) invariant(false, "event time must not be NaN");
    const h = this.heap;
    h.push({ t, s: this.seq++, e });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  /** The earliest item without removing it. */
  peek(): { t: number; e: T } | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest item. */
  pop(): { t: number; e: T } | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
