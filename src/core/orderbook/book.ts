/**
 * The order book's data structure: one {@link BookSide} per side, each a set of price {@link Level}s,
 * each level a FIFO queue of resting {@link Order}s.
 *
 * Choice of structure (DESIGN §2: O(log levels) insert, O(1) cancel):
 * - Levels live in a `Map<priceTicks, Level>` (O(1) lookup of the level an order joins) plus a binary
 *   min-heap of the same Level objects keyed by `key` (= priceTicks for asks, −priceTicks for bids, so
 *   one heap serves both sides and the best level is always at index 0). Creating a level is one heap
 *   push, O(log levels). A balanced tree would also give ordered iteration, but costs a node
 *   allocation and pointer chasing per level on the hot path; matching only ever needs the best level,
 *   which the heap gives in O(1).
 * - A level that empties stays in the map and heap with `count === 0` (lazy deletion) unless it is at
 *   the top, where it is popped at once (`removeTopEmpties`): so the heap top is always a live level
 *   and reading the best price never mutates anything. An empty level that gets a new order is simply
 *   reused. When dead levels outnumber live ones the heap is rebuilt (amortised O(1) per removal), so
 *   memory stays bounded by the live book.
 * - Orders of a level form an intrusive doubly linked list (`prev`/`next` fields on the order itself),
 *   and the market indexes orders by id in a `Map<orderId, Order>`: a cancel unlinks the order in O(1)
 *   without touching the other orders of its level, and the level's `totalLots` and `count` are kept
 *   incrementally.
 *
 * Partial ordered traversal (L2 depth, fill-or-kill pre-check) never sorts the whole book:
 * {@link BookSide.forEachLevel} walks the heap best-first with a small auxiliary heap of frontier
 * indices, O(k log k) for the first k levels. A full walk (the state root's market leaf) sorts
 * {@link BookSide.liveLevelList} instead, which is cheaper when every level is visited.
 *
 * Ticks and lots are JS numbers (safe integers, bounded by the limits below so that every sum of lots
 * stays exact); money is bigint.
 */
import type { Account } from "../state.js";
import type { Side } from "../ops.js";

/** Most resting orders in one market. */
export const MAX_ORDERS_PER_MARKET = 1_000_000;
/** Most resting orders one account may have in one market. */
export const MAX_ORDERS_PER_ACCOUNT = 200_000;
/** Most non-empty price levels on one side of one market. */
export const MAX_LEVELS_PER_SIDE = 100_000;
/** Largest order size in lots. MAX_LOTS × MAX_ORDERS_PER_MARKET < 2^53, so level totals stay exact. */
export const MAX_LOTS = 1_000_000_000;
/** Largest price in ticks. */
export const MAX_PRICE_TICKS = 1_000_000_000_000;

/** A resting order. Mutable; owned by its market. */
export interface Order {
  readonly id: number;
  readonly account: Account;
  readonly side: Side;
  readonly priceTicks: number;
  /** Remaining lots (≥ 1 while resting). */
  lots: number;
  /**
   * What the order still holds reserved, base units: for a sell, base (= lots × lotSize exactly); for
   * a buy, quote, at least lots × `level.perLot` (the surplus is fee rounding left over, released when
   * the order leaves the book).
   */
  reserved: bigint;
  prev: Order | null;
  next: Order | null;
  level: Level;
}

/** A price level: FIFO queue of orders at one price. */
export interface Level {
  readonly priceTicks: number;
  /** Heap key: priceTicks for asks, −priceTicks for bids (smallest key = best price). */
  readonly key: number;
  /** Quote notional of one lot at this price: priceTicks × tickSize (cached: markets never change). */
  readonly lotNotional: bigint;
  /**
   * Reservation per lot of an order resting here: lotSize (asks), or lotNotional + ⌈lotNotional ×
   * maxFeePpm / 1e6⌉ (bids).
   */
  readonly perLot: bigint;
  totalLots: number;
  count: number;
  head: Order | null;
  tail: Order | null;
  /**
   * Cached SHA-256 (hex) of this level's orders as the state root encodes them (`levelDigest` in
   * market.ts); undefined = stale. Every change to the level's orders (append, unlink, a partial
   * fill or partial cancel changing an order's lots and reservation) must clear it: see
   * {@link touchLevel}. A property test recomputes every digest from scratch to check this.
   */
  digest: string | undefined;
}

/** Marks a level's cached digest stale (call on every change to its orders' lots or reservations). */
export function touchLevel(level: Level): void {
  level.digest = undefined;
}

/** The `level` of an order not (yet) on the book. Never mutated. */
export const DETACHED: Level = Object.freeze({
  priceTicks: 0,
  key: 0,
  lotNotional: 0n,
  perLot: 0n,
  totalLots: 0,
  count: 0,
  head: null,
  tail: null,
  digest: undefined,
}) as Level;

/** One side of a book (all bids or all asks). */
export class BookSide {
  readonly isBid: boolean;
  /** Every level in the heap, live or (lazily) dead, by price. */
  readonly levels = new Map<number, Level>();
  /** Binary min-heap on `key`; index 0 is always a live level (or the heap is empty). */
  private heap: Level[] = [];
  /** Number of levels with count > 0. */
  liveLevels = 0;

  constructor(isBid: boolean) {
    this.isBid = isBid;
  }

  /** The best live level, or undefined. O(1), never mutates. */
  best(): Level | undefined {
    return this.heap[0];
  }

  /**
   * Appends `order` at the tail of its price level, creating the level (with the given per-lot
   * amounts, see {@link Level}) or reviving it if it is dead.
   */
  append(order: Order, lotNotional: bigint, perLot: bigint): void {
    let level = this.levels.get(order.priceTicks);
    if (level === undefined) {
      level = {
        priceTicks: order.priceTicks,
        key: this.isBid ? -order.priceTicks : order.priceTicks,
        lotNotional,
        perLot,
        totalLots: 0,
        count: 0,
        head: null,
        tail: null,
        digest: undefined,
      };
      this.levels.set(order.priceTicks, level);
      this.push(level);
    }
    if (level.count === 0) this.liveLevels++;
    level.digest = undefined;
    order.level = level;
    order.prev = level.tail;
    order.next = null;
    if (level.tail === null) level.head = order;
    else level.tail.next = order;
    level.tail = order;
    level.count++;
    level.totalLots += order.lots;
  }

  /** Unlinks `order` from its level in O(1); pops the level off the heap top if it emptied there. */
  unlink(order: Order): void {
    const level = order.level;
    if (order.prev === null) level.head = order.next;
    else order.prev.next = order.next;
    if (order.next === null) level.tail = order.prev;
    else order.next.prev = order.prev;
    order.prev = null;
    order.next = null;
    level.digest = undefined;
    level.count--;
    level.totalLots -= order.lots;
    if (level.count === 0) {
      this.liveLevels--;
      if (this.heap[0] === level) this.removeTopEmpties();
      else if (this.heap.length > 2 * this.liveLevels + 64) this.rebuild();
    }
  }

  /**
   * Calls `visit` on live levels best-first until it returns false. Does not mutate the side.
   * O(k log k) for k visited levels (best-first search over the heap with a frontier heap).
   */
  forEachLevel(visit: (level: Level) => boolean): void {
    const heap = this.heap;
    if (heap.length === 0) return;
    const frontier: number[] = [0];
    const keyAt = (i: number): number => (heap[frontier[i]!] as Level).key;
    while (frontier.length > 0) {
      // pop the frontier's smallest-key heap index
      const top = frontier[0]!;
      const last = frontier.pop()!;
      if (frontier.length > 0) {
        frontier[0] = last;
        siftDownIdx(frontier, keyAt);
      }
      const level = heap[top]!;
      if (level.count > 0 && !visit(level)) return;
      for (const child of [2 * top + 1, 2 * top + 2]) {
        if (child < heap.length) {
          frontier.push(child);
          siftUpIdx(frontier, keyAt);
        }
      }
    }
  }

  /** Live levels in an arbitrary (but deterministic) order. */
  liveLevelList(): Level[] {
    const out: Level[] = [];
    for (const level of this.heap) if (level.count > 0) out.push(level);
    return out;
  }

  private push(level: Level): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(level);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.key <= level.key) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = level;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && heap[r]!.key < heap[l]!.key) c = r;
      if (heap[c]!.key >= item.key) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = item;
  }

  private removeTopEmpties(): void {
    while (this.heap.length > 0 && this.heap[0]!.count === 0) {
      this.levels.delete(this.heap[0]!.priceTicks);
      this.pop();
    }
  }

  /** Drops every dead level and re-heapifies the live ones (Floyd, O(n)). */
  private rebuild(): void {
    const live: Level[] = [];
    for (const level of this.heap) {
      if (level.count > 0) live.push(level);
      else this.levels.delete(level.priceTicks);
    }
    this.heap = live;
    for (let i = (live.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }
}

function siftUpIdx(a: number[], keyAt: (i: number) => number): void {
  let i = a.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (keyAt(parent) <= keyAt(i)) break;
    const t = a[parent]!;
    a[parent] = a[i]!;
    a[i] = t;
    i = parent;
  }
}

function siftDownIdx(a: number[], keyAt: (i: number) => number): void {
  let i = 0;
  const n = a.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    let c = l;
    if (r < n && keyAt(r) < keyAt(l)) c = r;
    if (keyAt(c) >= keyAt(i)) break;
    const t = a[c]!;
    a[c] = a[i]!;
    a[i] = t;
    i = c;
  }
}
