/**
 * A set that remembers at most `capacity` values: adding one more forgets the oldest (first added).
 * For caches that would otherwise grow with history (the sync layer's "bytes already ingested"
 * shortcut): forgetting a value only costs the work the cache saves, never correctness.
 */
import { invariant } from "../core/errors.js";

export class RecentSet<T> {
  private readonly values = new Set<T>();

  constructor(readonly capacity: number) {
    invariant(Number.isSafeInteger(capacity) && capacity >= 1, `capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.values.size;
  }

  has(value: T): boolean {
    return this.values.has(value);
  }

  /** Adds `value` (a value already held keeps its age); forgets the oldest beyond `capacity`. */
  add(value: T): void {
    if (this.values.has(value)) return;
    this.values.add(value);
    if (this.values.size > this.capacity) {
      const oldest = this.values.values().next().value as T;
      this.values.delete(oldest);
    }
    if (this.values.size > this.capacity) invariant(false, `recent set holds ${this.values.size} > ${this.capacity}`);
  }
}
