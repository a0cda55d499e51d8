/**
 * Routes across real channels: the lock-swap route protocol of `crossEngine.ts` run between
 * multi-party channels (each its own replicas, Tendermint checkpoints and channel id), with the
 * intermediate token moved by **certified receipts** (`src/core/receipts.ts`) instead of a trusted
 * coordinator's word.
 *
 * **Who runs it.** The route owner is a participant of every channel on the route. Its node runs the
 * {@link CrossChannelRoute} coordinator over its own {@link MultiPartyChannel} handle and
 * {@link Checkpointer} of each channel. Every step is one op signed by the owner into that channel's
 * DAG (`submitBatch`), so it replicates, orders and finalizes like any other op; the coordinator acts
 * only on **final** results (`Checkpointer.resultsOf` with finality "final"): a tentative result can
 * still change when a concurrent batch sorts earlier, a final one cannot.
 *
 * **Protocol** (legs `[{channel, pool}, …]`, 1..5, from `tokenIn`):
 *  1. Acquire hop by hop: leg 0 `acquireLock` with its input reserved; leg k > 0 with
 *     `amountIn` = leg k−1's locked `amountOut` and `payOnExecute`; the last leg carries
 *     `minAmountOut`. Each acquire waits for the previous one's final result.
 *  2. An acquire rejected (finally) ⇒ `cancelLock` on every held lock (one op per lock, each in its
 *     own channel) ⇒ status `cancelled`: leg 0's reserved input is back, nothing else had moved. The
 *     same holds if leg 0's execute is rejected (nothing has executed yet).
 *  3. All acquired ⇒ execute leg by leg. Between legs in different channels: `sendReceipt` of leg
 *     k's exact `amountOut` in leg k's channel (outbox counter, value leaves that channel); once it is
 *     final at height h, the coordinator waits for a certificate of a height ≥ h of that channel and
 *     submits `creditReceipt` (the certificate's checkpoint and q signatures, the Merkle proof of the
 *     owner's outbox leaf) in leg k+1's channel, which verifies it against the linked channel's
 *     participants and credits the difference to what it had credited; then leg k+1 executes.
 *  A route therefore never needs two channels to be sequenced together: each step is an op in one
 *  channel, and what one channel learns from the other is a certificate anyone can check.
 *
 * **Amounts** are fixed at acquisition (lock-swaps, DESIGN §6): other participants' swaps on the same
 * pools, in either channel, between any two steps change nothing in the route's amounts.
 *
 * **Proofs are built at decision time.** The proof must be against the exact exit root of the
 * certified height, and the final state moves on at the next decision. So the coordinator listens to
 * `onDecide` of the source channel and, once its `sendReceipt` is final, records the cumulative
 * counter and the outbox proof of every decided height (O(exit leaves) each, only while it waits);
 * when a certificate of one of these heights is known, the `creditReceipt` is complete.
 *
 * **Expiries and the 60 s cap.** Every lock expires `lockMs` after its channel's latest final time
 * (checkpoint time; the engine's time moves only at checkpoints, and an acquire is applied at the
 * time of the checkpoint before the one that contains it). An idle channel's final time is old: a
 * lock timed from it would expire at the very checkpoint that makes it final. So before acquiring in
 * a channel whose final time is more than `lockMs / 4` behind its clock, the coordinator signs an
 * empty batch (a heartbeat: it carries no op, only makes a checkpoint due) and acquires once the
 * heartbeat is final (the final time is then that checkpoint's, as fresh as it can be).
 * `payOnExecute` locks are capped by the engine at `MAX_UNFUNDED_LOCK_DURATION_MS` = 60 s after the
 * engine's time. Kept at 60 s: a
 * two-channel route needs, after the last leg's acquisition, four final steps in sequence (execute
 * leg 0, sendReceipt, certificate + creditReceipt, execute leg 1), i.e. about four checkpoint
 * latencies (interval + one Tendermint decision + signature gathering: ~50–100 ms in the simulated
 * tests, ~1–2 s on a WAN), so 60 s leaves an order of magnitude of slack while still bounding how
 * long an unfunded lock can weigh on a pool's quotes (the griefing bound of `amm/lockswap.ts`).
 * Routes whose channels checkpoint slower than ~10 s per step should not use cross-channel locks.
 * If a lock expires after an earlier leg executed, the route ends `stuck` holding an intermediate
 * token (in whichever channel it reached): reported, never silently lost.
 *
 * **Lost and duplicated messages.** Batches travel through the sync layer, which repairs drops and
 * ignores duplicates (a batch is identified by its hash); the coordinator never re-signs a
 * non-idempotent op (acquire, execute, sendReceipt): it waits for the one it signed to become final.
 * The cross-channel message — the receipt — is idempotent by construction: the destination credits
 * `cumulativeSent − credited`, so a duplicate or a replay credits nothing (`RECEIPT_ALREADY_CREDITED`,
 * which the coordinator treats as "already done"), and a receipt built from a later certificate
 * covers every earlier one. A `cancelLock` answered `UNKNOWN_LOCK` means the lock is already gone
 * (expired: swept by the channel's `advanceTime` at a checkpoint, or cancelled by anyone) and also
 * counts as done.
 */
import type { Result } from "../core/results.js";
import { MAX_ROUTE_HOPS } from "../core/amm/lockswap.js";
import { exitLeaves, outboxProof } from "../core/exit.js";
import type { CreditReceiptOp, Op } from "../core/ops.js";
import { outboxLeaves } from "../core/receipts.js";
import { toHex } from "../channel/batch.js";
import type { Checkpointer } from "../channel/checkpoint.js";
import type { Hex } from "../channel/identity.js";
import type { MultiPartyChannel } from "../node/channel.js";

/** The owner's handles on one channel. */
export interface ChannelEndpoint {
  channelId: Hex;
  channel: MultiPartyChannel;
  checkpointer: Checkpointer;
  /** The checkpoint clock (ms since the epoch): the `now` the channel's Checkpointer proposes times with. */
  now: () => number;
}

export interface CrossChannelLeg {
  /** Key of the leg's channel in the endpoints map. */
  channel: string;
  pool: string;
}

export interface CrossChannelPlan {
  legs: CrossChannelLeg[];
  tokenIn: string;
  amountIn: bigint;
  /** Lower bound on the last leg's output; default 0. */
  minAmountOut?: bigint;
  /** Each lock expires this long after its channel's latest final time, ms; ≤ 60 000 (payOnExecute cap). Default 30 000. */
  lockMs?: number;
}

export type CrossChannelStatus = "acquiring" | "executing" | "transferring" | "crediting" | "done" | "cancelling" | "cancelled" | "stuck";

export interface HeldLock {
  channel: string;
  lockId: string;
  tokenIn: string;
  tokenOut: string;
  amountIn: bigint;
  /** Fixed at acquisition. */
  amountOut: bigint;
}

/** One signed op the coordinator waits on. */
interface Waiting {
  channel: string;
  batchId: Hex;
  index: number;
  what: "acquire" | "execute" | "send" | "credit" | "cancel";
  leg: number;
}

/** The log of what the coordinator did (for tests and operators). */
export interface RouteStep {
  channel: string;
  leg: number;
  what: Waiting["what"];
  result: Result;
  /** Height at which the op became final. */
  height: number;
}

export class CrossChannelRoute {
  status: CrossChannelStatus = "acquiring";
  readonly locks: (HeldLock | undefined)[];
  failure: { leg: number; code: string; message: string } | undefined;
  readonly steps: RouteStep[] = [];
  /** Receipts submitted (the creditReceipt ops), in order. */
  readonly receipts: CreditReceiptOp[] = [];
  private readonly tokens: string[];
  private waiting: Waiting[] = [];
  private readonly lockMs: number;
  /** While a receipt is on its way: source channel, the sendReceipt batch, proofs per decided height. */
  private transfer: { leg: number; from: string; to: string; token: string; batchId: Hex; proofs: Map<number, { cumulativeSent: bigint; proof: string[] }> } | undefined;
  private executed = -1;
  /** An acquire waiting for its channel's heartbeat batch to be final (its final time is then fresh). */
  private pendingAcquire: { leg: number; amountIn: bigint; heartbeat: Hex } | undefined;

  /**
   * @throws Error on 0 or more than 5 legs, an unknown channel key, an unknown pool, a pool that does
   *   not hold the previous leg's output token, or `lockMs` outside 1..60 000
   */
  constructor(
    readonly endpoints: ReadonlyMap<string, ChannelEndpoint>,
    readonly plan: CrossChannelPlan,
  ) {
    if (plan.legs.length < 1 || plan.legs.length > MAX_ROUTE_HOPS) throw new Error(`route: 1..${MAX_ROUTE_HOPS} legs`);
    this.lockMs = plan.lockMs ?? 30_000;
    if (!Number.isSafeInteger(this.lockMs) || this.lockMs < 1 || this.lockMs > 60_000) throw new Error("route: lockMs must be 1..60000");
    this.tokens = [plan.tokenIn];
    for (const leg of plan.legs) {
      const ep = this.endpoint(leg.channel);
      const pool = ep.checkpointer.getFinalState().getPool(leg.pool);
      if (pool === undefined) throw new Error(`route: no pool ${leg.pool} in channel ${leg.channel}`);
      const t = this.tokens[this.tokens.length - 1]!;
      if (t !== pool.token0 && t !== pool.token1) throw new Error(`route: pool ${leg.pool} does not hold ${t}`);
      this.tokens.push(t === pool.token0 ? pool.token1 : pool.token0);
    }
    this.locks = plan.legs.map(() => undefined);
    for (const [key, ep] of endpoints) ep.checkpointer.onDecide((v) => this.recordProof(key, v.height));
  }

  /** The owner's account id (the same address in every channel). */
  get account(): string {
    return [...this.endpoints.values()][0]!.channel.address;
  }

  /** The route's output (the last leg's locked amountOut) once `done`. */
  get amountOut(): bigint | undefined {
    return this.status === "done" ? this.locks[this.locks.length - 1]?.amountOut : undefined;
  }

  get finished(): boolean {
    return this.status === "done" || this.status === "cancelled" || this.status === "stuck";
  }

  /** Submits the first op (acquire leg 0). */
  start(): void {
    this.acquire(0, this.plan.amountIn);
  }

  /**
   * Event-driven operation: polls after every decision and every certificate of every channel on the
   * route (the only moments a waited-for result can become final or a receipt certifiable), through
   * `schedule` (e.g. a zero-delay timer of the node's clock), never inside the checkpointer's callback.
   * The listeners stay registered (the Checkpointer has no removal) and do nothing once the route is
   * finished.
   */
  pollOn(schedule: (fn: () => void) => void): void {
    let queued = false;
    const kick = (): void => {
      if (queued || this.finished) return;
      queued = true;
      schedule(() => {
        queued = false;
        this.poll();
      });
    };
    for (const ep of this.endpoints.values()) {
      ep.checkpointer.onDecide(kick);
      ep.checkpointer.onCheckpoint(kick);
    }
  }

  /**
   * Advances on whatever became final (or certified) since the last call. Call it after the network
   * made progress; it never acts inside a replica or checkpointer callback.
   */
  poll(): void {
    for (let guard = 0; guard < 16 && !this.finished; guard++) {
      if (!this.advance()) return;
    }
  }

  private advance(): boolean {
    if (this.pendingAcquire !== undefined) {
      const { leg, amountIn, heartbeat } = this.pendingAcquire;
      const channel = this.plan.legs[leg]!.channel;
      if (this.endpoint(channel).checkpointer.finality(heartbeat).status !== "final") return false;
      this.pendingAcquire = undefined;
      this.acquire(leg, amountIn, true);
      return true;
    }
    if (this.transfer !== undefined && this.waiting.length === 0) return this.tryCredit();
    const done: { w: Waiting; result: Result; height: number }[] = [];
    for (const w of this.waiting) {
      const r = this.endpoint(w.channel).checkpointer.resultsOf(w.batchId);
      if (r.finality.status !== "final") continue;
      done.push({ w, result: r.results![w.index]!, height: r.finality.height });
    }
    if (done.length === 0) return false;
    this.waiting = this.waiting.filter((w) => !done.some((d) => d.w === w));
    for (const { w, result, height } of done) {
      this.steps.push({ channel: w.channel, leg: w.leg, what: w.what, result, height });
      this.onFinal(w, result);
    }
    return true;
  }

  private onFinal(w: Waiting, r: Result): void {
    const legs = this.plan.legs;
    const fail = (): void => {
      if (r.status === "rejected") this.failure = { leg: w.leg, code: r.code, message: r.message };
    };
    switch (w.what) {
      case "acquire": {
        if (r.status === "rejected") {
          fail();
          return this.cancelAll();
        }
        const a = r as Result<{ lockId: string; amountOut: bigint }> & { status: "accepted" };
        const amountIn = w.leg === 0 ? this.plan.amountIn : this.locks[w.leg - 1]!.amountOut;
        this.locks[w.leg] = { channel: w.channel, lockId: a.lockId, tokenIn: this.tokens[w.leg]!, tokenOut: this.tokens[w.leg + 1]!, amountIn, amountOut: a.amountOut };
        if (w.leg + 1 < legs.length) return this.acquire(w.leg + 1, a.amountOut);
        this.status = "executing";
        return this.execute(0);
      }
      case "execute": {
        if (r.status === "rejected") {
          fail();
          // Nothing executed yet: every lock can still be cancelled and the input refunded.
          if (this.executed < 0) return this.cancelAll();
          this.status = "stuck";
          return;
        }
        this.executed = w.leg;
        if (w.leg + 1 === legs.length) {
          this.status = "done";
          return;
        }
        const from = legs[w.leg]!.channel;
        const to = legs[w.leg + 1]!.channel;
        if (from === to) return this.execute(w.leg + 1);
        return this.send(w.leg, from, to);
      }
      case "send": {
        if (r.status === "rejected") {
          fail();
          this.status = "stuck";
          this.transfer = undefined;
          return;
        }
        // final: tryCredit (from advance) waits for a certificate of this height or later
        this.status = "crediting";
        return;
      }
      case "credit": {
        if (r.status === "rejected" && r.code !== "RECEIPT_ALREADY_CREDITED") {
          fail();
          this.status = "stuck";
          return;
        }
        const leg = this.transfer!.leg;
        this.transfer = undefined;
        this.status = "executing";
        return this.execute(leg + 1);
      }
      case "cancel": {
        if (r.status === "rejected" && r.code !== "UNKNOWN_LOCK") throw new Error(`route: cancel of leg ${w.leg} failed: ${r.code} ${r.message}`);
        if (this.waiting.every((x) => x.what !== "cancel")) this.status = "cancelled";
        return;
      }
    }
  }

  /** Records, at each decision of the source channel, the owner's outbox counter and its proof. */
  private recordProof(channel: string, height: number): void {
    const t = this.transfer;
    if (t === undefined || t.from !== channel) return;
    const cp = this.endpoint(channel).checkpointer;
    if (cp.finality(t.batchId).status !== "final") return;
    const engine = cp.getFinalState();
    const outbox = outboxLeaves(engine.state);
    const toId = this.endpoint(t.to).channelId;
    const index = outbox.findIndex((o) => o.toChannel === toId && o.account === this.account && o.token === t.token);
    if (index < 0) return;
    t.proofs.set(height, { cumulativeSent: outbox[index]!.sent, proof: outboxProof(exitLeaves(engine.state), outbox, index) });
  }

  /** Once the sendReceipt is final: the first certified height with a recorded proof gives the receipt. */
  private tryCredit(): boolean {
    const t = this.transfer!;
    const src = this.endpoint(t.from).checkpointer;
    for (const [height, p] of [...t.proofs].sort(([a], [b]) => b - a)) {
      const cert = src.certificate(height);
      if (cert === undefined) continue;
      const cp = cert.checkpoint;
      const op: CreditReceiptOp = {
        type: "creditReceipt",
        account: this.account,
        fromChannel: cp.channelId,
        token: t.token,
        cumulativeSent: p.cumulativeSent,
        height: cp.height,
        stateRoot: cp.stateRoot,
        exitRoot: cp.exitRoot,
        time: cp.time,
        signatures: cert.signatures.map((s) => toHex(s.signature)),
        proof: p.proof,
      };
      this.receipts.push(op);
      this.submit(t.to, op, "credit", t.leg);
      return true;
    }
    return false;
  }

  /** The channel's final time is within lockMs / 4 of its clock. */
  private fresh(channel: string): boolean {
    const ep = this.endpoint(channel);
    return ep.checkpointer.getFinalState().timeMs >= ep.now() - this.lockMs / 4;
  }

  private acquire(leg: number, amountIn: bigint, afterHeartbeat = false): void {
    const spec = this.plan.legs[leg]!;
    if (!afterHeartbeat && !this.fresh(spec.channel)) {
      const { channel } = this.endpoint(spec.channel);
      channel.flush(); // the owner's pending ops go first, as MultiPartyChannel assumes
      const heartbeat = channel.replica.submit([]);
      channel.sync?.publish(heartbeat.id);
      this.pendingAcquire = { leg, amountIn, heartbeat: heartbeat.id };
      return;
    }
    const last = leg === this.plan.legs.length - 1;
    this.submit(spec.channel, {
      type: "acquireLock",
      account: this.account,
      pool: spec.pool,
      tokenIn: this.tokens[leg]!,
      amountIn,
      minAmountOut: last ? (this.plan.minAmountOut ?? 0n) : 0n,
      expiryMs: this.endpoint(spec.channel).checkpointer.getFinalState().timeMs + this.lockMs,
      ...(leg > 0 ? { payOnExecute: true } : {}),
    }, "acquire", leg);
  }

  private execute(leg: number): void {
    const lock = this.locks[leg]!;
    this.submit(lock.channel, { type: "executeLock", account: this.account, lockId: lock.lockId }, "execute", leg);
  }

  private send(leg: number, from: string, to: string): void {
    const lock = this.locks[leg]!;
    this.status = "transferring";
    const batchId = this.submit(from, { type: "sendReceipt", account: this.account, toChannel: this.endpoint(to).channelId, token: lock.tokenOut, amount: lock.amountOut }, "send", leg);
    this.transfer = { leg, from, to, token: lock.tokenOut, batchId, proofs: new Map() };
  }

  private cancelAll(): void {
    this.status = "cancelling";
    this.locks.forEach((lock, leg) => {
      if (lock !== undefined) this.submit(lock.channel, { type: "cancelLock", account: this.account, lockId: lock.lockId }, "cancel", leg);
    });
    if (this.waiting.length === 0) this.status = "cancelled";
  }

  private submit(channel: string, op: Op, what: Waiting["what"], leg: number): Hex {
    const { handles } = this.endpoint(channel).channel.submitBatch([op]);
    const h = handles[0]!;
    this.waiting.push({ channel, batchId: h.batchId, index: h.index, what, leg });
    return h.batchId;
  }

  private endpoint(key: string): ChannelEndpoint {
    const ep = this.endpoints.get(key);
    if (ep === undefined) throw new Error(`route: no channel ${key}`);
    return ep;
  }
}
