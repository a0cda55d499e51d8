/**
 * The tentative state (DESIGN §3, the CRDT half): an {@link Engine} with the channel's genesis ops
 * and then every delivered batch applied in the total order of `order.ts`, ops in batch order.
 *
 * **Permissions.** A participant acts only for itself: its engine account id is its lower-case
 * address (`identity.ts`), and an op whose actor field (`from` for transfer, `liquidator` for
 * liquidatePosition, `account` otherwise) is not the batch author's account is rejected
 * `NOT_PERMITTED` without reaching the engine. Setup ops (createToken, createAccount, createPool,
 * createMarket, createReserve, createPerpMarket, deposit, advanceTime) come only from the channel's
 * genesis config and are rejected `NOT_PERMITTED` inside batches, as are `creditDeposit` (a system op:
 * only a decided checkpoint credits on-chain deposit records, `checkpoint.ts`), the funding maintenance ops
 * (updateFundingRate, settleFunding: they have no actor; they will be driven by checkpoints), as is
 * `linkChannel` (genesis: which channels' certified receipts are accepted), and any
 * op type not in {@link BATCH_OP_TYPES} (the registry's `batch` ops, `core/registry.ts`). Role
 * checks are the engine's own (an Observer's trade is rejected `NOT_PERMITTED` by the engine).
 *
 * **Fast path.** A delivered batch that sorts last while the state is up to date is applied at once
 * (an honest author's own batch always does: its parents are all current heads).
 *
 * **Replay.** A batch inserted at position q before batches already applied invalidates the state.
 * The state is then rebuilt lazily — on the next read ({@link Tentative.current}) — from the latest
 * snapshot at a position ≤ q: a clone of the snapshot (`core/snapshot.ts`) replays the batches from
 * there to the end. Several out-of-order arrivals between two reads cost one replay.
 *
 * **Snapshots and the cost bound.** A snapshot (a full engine clone, O(state): ~20k objects for the
 * Coinbase books) is taken before applying a received batch once `snapshotIntervalOps` ops have been
 * applied since the last one — never inside the local author's own submit, so local confirmation
 * does not pay for it; the replica can also ask for one at the current end ({@link snapshotHere}). At
 * most `maxSnapshots` are kept; beyond that the snapshot whose removal merges the smallest gap
 * relative to its age is dropped, so spacing grows with age (recent history dense, old sparse). The
 * genesis state (position 0) is always kept. Hence a batch landing at position q costs one clone plus
 * replaying the ops from the snapshot before q to the end: at most `snapshotIntervalOps` + (ops after
 * q) + (the gap around q, which for old positions grows with their age). A *very late* batch (one
 * whose parents are far back, e.g. from a participant that was offline) may land before every kept
 * snapshot but genesis: it then costs a replay of all ops — bounded, and correct; checkpoints
 * (`checkpoint.ts`) fix the order below a final cut, which bounds it for good.
 *
 * **Measured limit** (bench/channel.ts, Coinbase books: ~22k objects): every replay restores by
 * cloning a snapshot, and in steady state with concurrent authors each reader sees about one reorder
 * per round, so throughput under concurrency is bounded by clone cost (~25–150 ms per clone on the
 * shared 2-core bench machine), while the same pipeline without reorders runs at 0.5–0.8× a bare
 * engine. Any snapshot scheme needs at least one copy per reorder (the live engine becomes garbage
 * past the insertion point); the fix is a rollback that costs O(mutations) instead of O(state): an
 * undo log / savepoints in the core engine (ledger, book, pool, lending, perps mutations), or
 * persistent (structurally shared) books.
 */
import { Engine } from "../core/engine.js";
import { OP_REGISTRY } from "../core/registry.js";
import type { Op, OpType } from "../core/ops.js";
import type { Rejected, Result } from "../core/results.js";
import { cloneEngine } from "../core/snapshot.js";
import type { DagNode } from "./dag.js";
import { participantAccountId } from "./identity.js";
import { receiptCertificateRejection } from "./receipts.js";
import type { TotalOrder } from "./order.js";

/** Op types a participant may put in a batch: the registry's `batch` ops (`core/opSchema.ts` OpKind); the rest are genesis or system ops. */
export const BATCH_OP_TYPES: ReadonlySet<OpType> = new Set<OpType>(OP_REGISTRY.filter(({ op }) => op.kind === "batch").map(({ op }) => op.type));

/** Why `op` may not appear in a batch by `author`, or undefined if it may. Pure. */
export function batchPermission(op: Op, author: string): Rejected | undefined {
  const type = (op as { type?: unknown }).type;
  if (typeof type !== "string" || !BATCH_OP_TYPES.has(type as OpType)) {
    return { status: "rejected", code: "NOT_PERMITTED", message: `${String(type)} is not allowed in a participant's batch (setup ops come from the channel's genesis)` };
  }
  const actor =
    type === "transfer" ? (op as { from?: unknown }).from : type === "liquidatePosition" ? (op as { liquidator?: unknown }).liquidator : (op as { account?: unknown }).account;
  const own = participantAccountId(author);
  if (actor !== own) {
    return { status: "rejected", code: "NOT_PERMITTED", message: `${author} may act only for its own account ${own}, not ${String(actor)}` };
  }
  return undefined;
}

/**
 * Applies a batch's ops to `engine` with the permission check (and, for `creditReceipt`, the check of
 * its certificate's signatures against the linked source channel: `receipts.ts`); one result per op.
 */
export function applyBatch(engine: Engine, ops: readonly Op[], author: string): Result[] {
  const results = new Array<Result>(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    results[i] = batchPermission(op, author) ?? (op.type === "creditReceipt" ? receiptCertificateRejection(engine, op) : undefined) ?? engine.apply(op);
  }
  return results;
}

export interface TentativeOptions {
  /**
   * Take a snapshot before a batch once max(this, `snapshotOpsPerObject` × objects in the last
   * snapshot) ops were applied since the last one. Default 4096.
   */
  snapshotIntervalOps: number;
  /**
   * Ops applied between snapshots per object a snapshot copies: keeps the cost of copying below
   * the cost of applying. Measured on the Coinbase books (bench/channel.ts): a copy costs about as
   * much as applying 1–2 ops per object. Default 2; 0 = fixed interval.
   */
  snapshotOpsPerObject: number;
  /** Most snapshots kept (genesis included), ≥ 2. Default 32. */
  maxSnapshots: number;
}

export const DEFAULT_TENTATIVE_OPTIONS: Readonly<TentativeOptions> = Object.freeze({ snapshotIntervalOps: 4096, snapshotOpsPerObject: 2, maxSnapshots: 32 });

/**
 * When the engine is brought back to the canonical order after an out-of-order arrival:
 * - "eager": at the next read or submit (so the author's own batch is always applied on the
 *   canonical state, and its results are the canonical tentative results at that moment);
 * - "onRead": only at the next read of the state (`current`); meanwhile arrivals — and the author's
 *   own batches — are applied at once on top, in arrival order. Submit results are then computed on
 *   "every delivered batch, canonical prefix + arrival-order suffix" and are replaced by the
 *   canonical ones at the next read (results are tentative either way). Reads always see the
 *   canonical state; what this saves is one engine clone per reorder between reads.
 */
export type CanonicalMode = "eager" | "onRead";

/** Called for every batch applied, including re-applications after a replay (`replayed` true). */
export type AppliedListener = (node: DagNode, results: Result[], replayed: boolean) => void;

interface Snapshot {
  /** Number of batches (order positions) applied in this state. */
  position: number;
  engine: Engine;
}

/** Counters for tests and benchmarks. */
export interface TentativeStats {
  batchesApplied: number;
  opsApplied: number;
  replays: number;
  batchesReplayed: number;
  snapshotsTaken: number;
  snapshotsKept: number;
}

export class Tentative {
  private engine: Engine;
  private applied = 0;
  private dirtyFrom: number | undefined;
  private readonly snapshots: Snapshot[];
  private opsSinceSnapshot = 0;
  private readonly cloneStats = { objects: 0 };
  private readonly results = new Map<string, Result[]>();
  readonly stats: TentativeStats = { batchesApplied: 0, opsApplied: 0, replays: 0, batchesReplayed: 0, snapshotsTaken: 0, snapshotsKept: 1 };

  /**
   * `genesis` is the engine after the genesis ops; it is kept (as the position-0 snapshot) and not
   * mutated. `mode` "eager" (default) keeps the engine in the canonical order at all times; "onRead"
   * applies out-of-order arrivals at once on top (arrival order) and restores the canonical order
   * only when the state is read ({@link current}) — see {@link CanonicalMode}.
   */
  constructor(
    genesis: Engine,
    private readonly order: TotalOrder,
    private readonly options: TentativeOptions = DEFAULT_TENTATIVE_OPTIONS,
    private readonly onApplied?: AppliedListener,
    readonly mode: CanonicalMode = "eager",
  ) {
    this.snapshots = [{ position: 0, engine: genesis }];
    this.engine = cloneEngine(genesis, this.cloneStats);
  }

  /** True if the engine reflects every batch in the order. */
  get upToDate(): boolean {
    return this.dirtyFrom === undefined && this.applied === this.order.length;
  }

  /** The latest results of a batch's ops (they may change while earlier-sorting batches arrive). */
  resultsOf(id: string): Result[] | undefined {
    return this.results.get(id);
  }

  /**
   * To be called right after `order.insert` returned `position`. Applies the batch at once when it
   * is the next one and the state is up to date (fast path); otherwise marks the state for rebuild.
   * Returns the results if the batch was applied now.
   */
  inserted(node: DagNode, position: number, own = false): Result[] | undefined {
    if (position < this.applied || this.dirtyFrom !== undefined) {
      if (position < this.applied) {
        this.dirtyFrom = this.dirtyFrom === undefined ? position : Math.min(this.dirtyFrom, position);
        // snapshots past the insertion point hold a prefix that no longer exists
        while (this.snapshots.length > 1 && this.snapshots[this.snapshots.length - 1]!.position > position) this.snapshots.pop();
        this.stats.snapshotsKept = this.snapshots.length;
      }
      // onRead: every delivered batch is in the engine, canonical up to dirtyFrom, arrival order after
      if (this.mode === "onRead" && this.applied === this.order.length - 1) return this.applyNext(node, false, false);
      return undefined;
    }
    // own batches never pay for a snapshot (a clone is O(state)): local confirmation stays fast
    if (position === this.applied && this.applied === this.order.length - 1) return this.applyNext(node, false, !own);
    return undefined;
  }

  /**
   * Applies system ops (a decided checkpoint's `creditDeposit`s, `checkpoint.ts`) to the genesis
   * state, so that they precede every batch, and rebuilds the state from there at the next read: a
   * replay of every delivered batch (O(all ops); checkpoints that credit deposits are rare). Returns
   * the ops' results; the snapshots past genesis are dropped.
   */
  applyToGenesis(ops: readonly Op[]): Result[] {
    const genesis = this.snapshots[0]!.engine;
    const results = ops.map((op) => genesis.apply(op));
    if (!results.some((r) => r.status === "accepted")) return results;
    this.snapshots.length = 1;
    this.stats.snapshotsKept = 1;
    this.dirtyFrom = 0;
    return results;
  }

  /** Takes a snapshot of the state at its current end (after bringing it up to date), if none is there. */
  snapshotHere(): void {
    this.bringUpToDate();
    const last = this.snapshots[this.snapshots.length - 1]!;
    if (last.position !== this.applied) this.takeSnapshot();
  }

  /** The up-to-date tentative engine (canonical order). Read it; mutate it only through the replica. */
  current(): Engine {
    this.bringUpToDate();
    return this.engine;
  }

  /**
   * Makes the engine ready for the local author's next batch: canonical in "eager" mode; in
   * "onRead" mode every delivered batch is already applied (possibly out of canonical order) and
   * nothing is done.
   */
  readyForSubmit(): void {
    if (this.mode === "eager" || this.applied !== this.order.length) this.bringUpToDate();
  }

  private bringUpToDate(): void {
    if (this.dirtyFrom !== undefined) {
      const q = this.dirtyFrom;
      let s = this.snapshots.length - 1;
      while (this.snapshots[s]!.position > q) s--;
      const snap = this.snapshots[s]!;
      this.engine = cloneEngine(snap.engine, this.cloneStats);
      this.applied = snap.position;
      this.opsSinceSnapshot = 0;
      this.dirtyFrom = undefined;
      this.stats.replays++;
      for (let k = this.applied; k < q; k++) this.applyNext(this.order.at(k)!, true);
    }
    while (this.applied < this.order.length) this.applyNext(this.order.at(this.applied)!, this.results.has(this.order.at(this.applied)!.id));
  }

  private applyNext(node: DagNode, replayed: boolean, maySnapshot = true): Result[] {
    if (maySnapshot && this.dirtyFrom === undefined && this.opsSinceSnapshot >= this.snapshotInterval()) this.takeSnapshot();
    const results = applyBatch(this.engine, node.batch.ops, node.batch.header.author);
    this.applied++;
    this.opsSinceSnapshot += results.length;
    this.results.set(node.id, results);
    this.stats.batchesApplied++;
    this.stats.opsApplied += results.length;
    if (replayed) this.stats.batchesReplayed++;
    this.onApplied?.(node, results, replayed);
    return results;
  }

  /** Ops between snapshots: the fixed minimum, or more when copies are big (see {@link TentativeOptions}). */
  private snapshotInterval(): number {
    return Math.max(this.options.snapshotIntervalOps, (this.options.snapshotOpsPerObject ?? 0) * this.cloneStats.objects);
  }

  private takeSnapshot(): void {
    this.snapshots.push({ position: this.applied, engine: cloneEngine(this.engine, this.cloneStats) });
    this.opsSinceSnapshot = 0;
    this.stats.snapshotsTaken++;
    const snaps = this.snapshots;
    if (snaps.length > Math.max(2, this.options.maxSnapshots)) {
      const end = this.applied;
      let best = 1;
      let bestScore = Infinity;
      for (let i = 1; i < snaps.length - 1; i++) {
        const score = (snaps[i + 1]!.position - snaps[i - 1]!.position) / (end - snaps[i]!.position + 1);
        if (score < bestScore) {
          bestScore = score;
          best = i;
        }
      }
      snaps.splice(best, 1);
    }
    this.stats.snapshotsKept = snaps.length;
  }
}
