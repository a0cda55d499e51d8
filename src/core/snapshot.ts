/**
 * Deep copies of an engine: the channel's tentative state keeps snapshots of the engine and replays
 * from one when a concurrent batch sorts before batches already applied (`src/channel/tentative.ts`).
 *
 * The copy is a structural clone of the object graph that preserves **sharing and identity**: every
 * object reachable from the engine is copied exactly once and every reference to it (order →
 * account, order ↔ order in a level's intrusive FIFO list, order → level, heap array → level, level
 * map → level, `ordersPerAccount` keyed by Account objects, dirty sets of accounts/pools/markets)
 * points to the copy. Prototypes are kept (a `BookSide` stays a `BookSide`), so is insertion order of
 * every Map and Set (the state root and matching iterate them). Frozen objects are immutable by
 * construction (e.g. the `DETACHED` level sentinel that code compares by identity) and are shared.
 * Being structural, the clone stays correct when the order book, pools or oracle gain fields; it
 * refuses (throws {@link InvariantError}) what it cannot copy faithfully: WeakMap, WeakSet, Promise.
 *
 * The engine's journal (if any) is copied as a new array of the same op references (ops are never
 * mutated by the engine). Cost: O(objects in the state): every account, pool, market, level and
 * resting order, plus the state-root cache (one 32-byte leaf digest per entity).
 *
 * Iterative (explicit work stack), so a long FIFO list of orders cannot overflow the call stack.
 */
import { Engine } from "./engine.js";
import { InvariantError } from "./errors.js";
import type { EngineState } from "./state.js";

/** Size of the last copy, for callers that budget their copies (see `src/channel/tentative.ts`). */
export interface CloneStats {
  /** Objects (including maps, sets, arrays) copied. */
  objects: number;
}

/** A deep copy of `engine` that evolves exactly as the original would under the same ops. */
export function cloneEngine(engine: Engine, stats?: CloneStats): Engine {
  const src = engine as unknown as Record<string, unknown>;
  const journal = engine.journal;
  const cloner = new GraphCloner();
  const out = Object.create(Object.getPrototypeOf(engine)) as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    out[key] = key === "journal" ? (journal === undefined ? undefined : journal.slice()) : cloner.copy(src[key]);
  }
  cloner.run();
  if (stats !== undefined) stats.objects = cloner.objects;
  return out as unknown as Engine;
}

/** A deep copy of a bare engine state (see the module doc for what "deep" preserves). */
export function cloneState(state: EngineState): EngineState {
  const cloner = new GraphCloner();
  const out = cloner.copy(state) as EngineState;
  cloner.run();
  return out;
}

type Job = [source: object, target: object];
/** Job marker: `target` is a spread copy of a plain object whose object-valued fields still point at the source's. */
const PLAIN = Object.freeze({});

class GraphCloner {
  private readonly memo = new Map<object, object>();
  get objects(): number {
    return this.memo.size;
  }
  private readonly work: Job[] = [];

  /** The copy of `value` (primitives as themselves); its contents are filled in by {@link run}. */
  copy(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    const seen = this.memo.get(value);
    if (seen !== undefined) return seen;
    if (Object.isFrozen(value)) return value;
    let target: object;
    if (value instanceof Map) target = new Map();
    else if (value instanceof Set) target = new Set();
    else if (Array.isArray(value)) target = new Array(value.length);
    else if (Buffer.isBuffer(value)) target = Buffer.from(value);
    else if (ArrayBuffer.isView(value)) target = (value as unknown as Uint8Array).slice();
    else if (value instanceof WeakMap || value instanceof WeakSet || value instanceof Promise) {
      throw new InvariantError(`cloneEngine: cannot copy a ${value.constructor.name} in engine state`);
    } else {
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto === Object.prototype) {
        // plain object (orders, levels, accounts, pools): copy every field at once, fix up the
        // object-valued ones in run()
        target = { ...(value as object) };
        this.memo.set(value, target);
        this.work.push([PLAIN, target]);
        return target;
      }
      target = Object.create(proto) as object;
    }
    this.memo.set(value, target);
    if (!ArrayBuffer.isView(value)) this.work.push([value, target]);
    return target;
  }

  run(): void {
    const work = this.work;
    while (work.length > 0) {
      const [source, target] = work.pop()!;
      if (source === PLAIN) {
        const t = target as Record<string, unknown>;
        for (const key in t) {
          const v = t[key];
          if (typeof v === "object" && v !== null) t[key] = this.copy(v);
        }
      } else if (source instanceof Map) {
        const t = target as Map<unknown, unknown>;
        for (const [k, v] of source) t.set(this.copy(k), this.copy(v));
      } else if (source instanceof Set) {
        const t = target as Set<unknown>;
        for (const v of source) t.add(this.copy(v));
      } else if (Array.isArray(source)) {
        const t = target as unknown[];
        for (let i = 0; i < source.length; i++) t[i] = this.copy(source[i]);
      } else {
        const s = source as Record<string, unknown>;
        const t = target as Record<string, unknown>;
        for (const key of Object.keys(s)) t[key] = this.copy(s[key]);
      }
    }
  }
}
