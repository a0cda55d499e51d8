/**
 * Routes across engines ("shards"): the lock-swap route protocol of `routeSwap` (amm/lockswap.ts) run
 * as asynchronous messages between separate {@link Engine}s, so that a route never needs two engines
 * to be sequenced together.
 *
 * Protocol, for a route of legs `[{shard, pool}, …]` (≤ 5) from `tokenIn`:
 *  1. **Acquire, hop by hop.** Leg 0: `acquireLock` on its shard with the input reserved. Leg k > 0:
 *     `acquireLock` with `amountIn` = leg k−1's locked `amountOut` and `payOnExecute` (its input only
 *     exists once leg k−1 has executed); the last leg carries the route's `minAmountOut`.
 *  2. **Any acquire fails ⇒ cancel every lock already held** (one `cancelLock` per held leg, sent all
 *     at once) and stop: leg 0's reserved input returns to its owner; nothing else had moved.
 *  3. **All acquired ⇒ execute leg by leg.** After leg k executes, if leg k+1 is on another shard the
 *     output is moved explicitly: `transferOut` on leg k's shard *withdraws* it there (its conservation:
 *     withdrawn += amount) and returns a receipt; `transferIn` on leg k+1's shard *deposits* it there
 *     (deposited += amount), once per receipt id. Then leg k+1 executes, paying its input from the
 *     free balance. Every engine conserves on its own; across engines Σ receipts withdrawn = Σ credited.
 *  Each message is one op (or two) on exactly one engine; replies go back to the coordinator, which
 *  sends the next message. Prices are fixed at acquisition, so traffic of other participants on any
 *  shard between the messages changes nothing in the route's amounts.
 *
 * This is the protocol between bare engines with a trusted coordinator (the destination believes the
 * coordinator's receipt), kept as the model the property tests explore cheaply. Between real
 * channels — signed ops in each channel's DAG, acting only on final results, receipts certified by
 * the source channel's checkpoint signatures and proven against its exit root, credited once,
 * expiries in checkpoint time, idempotent receipts against duplicated or replayed messages — see
 * `crossChannel.ts` and `src/core/receipts.ts`.
 *
 * Expiry vs latency: execution must finish before the locks' expiries; if a lock expires after
 * earlier legs executed, the route is left holding an intermediate token (status `stuck`).
 */
import { Prng } from "../runtime/prng.js";
import type { Engine } from "../core/engine.js";
import type { Result } from "../core/results.js";
import { MAX_ROUTE_HOPS } from "../core/amm/lockswap.js";

export interface RouteLegSpec {
  /** Shard (engine) id holding the pool. */
  shard: string;
  pool: string;
}

export interface RoutePlan {
  routeId: string;
  /** The account id; the same participant has an account of this id on every shard it uses. */
  account: string;
  legs: RouteLegSpec[];
  tokenIn: string;
  amountIn: bigint;
  /** Lower bound on the last leg's output (base units). */
  minAmountOut: bigint;
  /** Expiry of every lock, ms in each shard's engine time. */
  expiryMs: number;
}

/** A transfer of `amount` of `token` for `account`, withdrawn on `from`, to be credited once on `to`. */
export interface Receipt {
  receiptId: string;
  from: string;
  to: string;
  account: string;
  token: string;
  amount: bigint;
}

/** Coordinator → shard. */
export type RouteRequest =
  | { kind: "acquire"; routeId: string; leg: number; pool: string; account: string; tokenIn: string; amountIn: bigint; minAmountOut: bigint; expiryMs: number; payOnExecute: boolean }
  | { kind: "execute"; routeId: string; leg: number; account: string; lockId: string }
  | { kind: "cancel"; routeId: string; leg: number; account: string; lockId: string }
  | { kind: "transferOut"; routeId: string; leg: number; receipt: Receipt }
  | { kind: "transferIn"; routeId: string; leg: number; receipt: Receipt };

/** Shard → coordinator. `ok: false` carries the engine's rejection code. */
export type RouteReply =
  | { kind: "acquired"; routeId: string; leg: number; ok: true; lockId: string; amountOut: bigint }
  | { kind: "executed"; routeId: string; leg: number; ok: true; amountOut: bigint }
  | { kind: "cancelled"; routeId: string; leg: number; ok: true }
  | { kind: "transferredOut"; routeId: string; leg: number; ok: true; receipt: Receipt }
  | { kind: "transferredIn"; routeId: string; leg: number; ok: true }
  | { kind: "failed"; of: RouteRequest["kind"]; routeId: string; leg: number; ok: false; code: string; message: string };

export interface Envelope {
  to: string;
  msg: RouteRequest | RouteReply;
}

/** One engine behind a message interface: applies each request as ops on its engine. */
export class Shard {
  private readonly credited = new Set<string>();

  constructor(
    readonly id: string,
    readonly engine: Engine,
  ) {}

  /** Applies one request; returns the reply for the coordinator. Never throws on a rejected op. */
  handle(req: RouteRequest): RouteReply {
    const base = { routeId: req.routeId, leg: req.leg };
    const fail = (r: Result): RouteReply => ({ kind: "failed", of: req.kind, ...base, ok: false, code: r.status === "rejected" ? r.code : "?", message: r.status === "rejected" ? r.message : "" });
    switch (req.kind) {
      case "acquire": {
        const r = this.engine.acquireLock({
          account: req.account,
          pool: req.pool,
          tokenIn: req.tokenIn,
          amountIn: req.amountIn,
          minAmountOut: req.minAmountOut,
          expiryMs: req.expiryMs,
          payOnExecute: req.payOnExecute,
        });
        return r.status === "accepted" ? { kind: "acquired", ...base, ok: true, lockId: r.lockId, amountOut: r.amountOut } : fail(r);
      }
      case "execute": {
        const r = this.engine.executeLock({ account: req.account, lockId: req.lockId });
        return r.status === "accepted" ? { kind: "executed", ...base, ok: true, amountOut: r.amountOut } : fail(r);
      }
      case "cancel": {
        const r = this.engine.cancelLock({ account: req.account, lockId: req.lockId });
        return r.status === "accepted" ? { kind: "cancelled", ...base, ok: true } : fail(r);
      }
      case "transferOut": {
        const { account, token, amount } = req.receipt;
        const r = this.engine.withdraw({ account, token, amount });
        return r.status === "accepted" ? { kind: "transferredOut", ...base, ok: true, receipt: req.receipt } : fail(r);
      }
      case "transferIn": {
        const { receiptId, account, token, amount } = req.receipt;
        if (this.credited.has(receiptId)) return { kind: "transferredIn", ...base, ok: true }; // once per receipt
        const r = this.engine.deposit({ account, token, amount });
        if (r.status !== "accepted") return fail(r);
        this.credited.add(receiptId);
        return { kind: "transferredIn", ...base, ok: true };
      }
    }
  }
}

export type RouteStatus = "acquiring" | "executing" | "done" | "cancelling" | "cancelled" | "stuck";

/**
 * The route's coordinator (the account's own node): a state machine fed with replies, emitting the
 * next requests. One instance per route; several routes can run at once.
 */
export class RouteCoordinator {
  status: RouteStatus = "acquiring";
  /** Locks held, per leg. */
  readonly locks: ({ lockId: string; amountIn: bigint; amountOut: bigint; tokenIn: string; tokenOut: string } | undefined)[];
  /** Why the route was cancelled or is stuck (the engine's code). */
  failure: { leg: number; code: string; message: string } | undefined;
  /** Receipts of the intermediate transfers (for cross-engine accounting). */
  readonly receipts: Receipt[] = [];
  private pendingCancels = 0;
  private readonly tokens: string[];

  /**
   * @param plan the route; `tokenOf(shard, pool)` gives `[token0, token1]` of a leg's pool, so the
   *   coordinator can name each leg's input (the previous output)
   * @throws Error on a plan of 0 or more than 5 legs, or a leg whose pool does not hold the input token
   */
  constructor(
    readonly plan: RoutePlan,
    tokenOf: (shard: string, pool: string) => [string, string],
  ) {
    if (plan.legs.length < 1 || plan.legs.length > MAX_ROUTE_HOPS) throw new Error(`route ${plan.routeId}: 1..${MAX_ROUTE_HOPS} legs`);
    this.locks = plan.legs.map(() => undefined);
    this.tokens = [plan.tokenIn];
    for (const leg of plan.legs) {
      const [t0, t1] = tokenOf(leg.shard, leg.pool);
      const t = this.tokens[this.tokens.length - 1] as string;
      if (t !== t0 && t !== t1) throw new Error(`route ${plan.routeId}: pool ${leg.pool} does not hold ${t}`);
      this.tokens.push(t === t0 ? t1 : t0);
    }
  }

  /** The first request (acquire leg 0). */
  start(): Envelope[] {
    return [this.acquire(0, this.plan.amountIn)];
  }

  /** Feeds one reply; returns the requests to send next. */
  onReply(reply: RouteReply): Envelope[] {
    const { leg } = reply;
    const legs = this.plan.legs;
    if (!reply.ok) {
      if (reply.of === "acquire") {
        this.failure = { leg, code: reply.code, message: reply.message };
        return this.cancelAll();
      }
      if (reply.of === "cancel") throw new Error(`route ${this.plan.routeId}: cancel of leg ${leg} failed: ${reply.code}`);
      // An execute or transfer failed after earlier legs executed: the route cannot complete.
      this.failure = { leg, code: reply.code, message: reply.message };
      this.status = "stuck";
      return [];
    }
    switch (reply.kind) {
      case "acquired": {
        const amountIn = leg === 0 ? this.plan.amountIn : (this.locks[leg - 1]?.amountOut as bigint);
        this.locks[leg] = { lockId: reply.lockId, amountIn, amountOut: reply.amountOut, tokenIn: this.tokens[leg] as string, tokenOut: this.tokens[leg + 1] as string };
        if (leg + 1 < legs.length) return [this.acquire(leg + 1, reply.amountOut)];
        this.status = "executing";
        return [this.execute(0)];
      }
      case "executed": {
        if (leg + 1 === legs.length) {
          this.status = "done";
          return [];
        }
        const from = (legs[leg] as RouteLegSpec).shard;
        const to = (legs[leg + 1] as RouteLegSpec).shard;
        if (from === to) return [this.execute(leg + 1)];
        const receipt: Receipt = {
          receiptId: `${this.plan.routeId}:${leg}`,
          from,
          to,
          account: this.plan.account,
          token: this.tokens[leg + 1] as string,
          amount: reply.amountOut,
        };
        return [{ to: from, msg: { kind: "transferOut", routeId: this.plan.routeId, leg, receipt } }];
      }
      case "transferredOut":
        this.receipts.push(reply.receipt);
        return [{ to: reply.receipt.to, msg: { kind: "transferIn", routeId: this.plan.routeId, leg, receipt: reply.receipt } }];
      case "transferredIn":
        return [this.execute(leg + 1)];
      case "cancelled":
        this.pendingCancels--;
        if (this.pendingCancels === 0) this.status = "cancelled";
        return [];
    }
  }

  /** Final amount received (the last leg's locked amountOut) once `done`. */
  get amountOut(): bigint | undefined {
    return this.status === "done" ? this.locks[this.locks.length - 1]?.amountOut : undefined;
  }

  private acquire(leg: number, amountIn: bigint): Envelope {
    const spec = this.plan.legs[leg] as RouteLegSpec;
    const last = leg === this.plan.legs.length - 1;
    return {
      to: spec.shard,
      msg: {
        kind: "acquire",
        routeId: this.plan.routeId,
        leg,
        pool: spec.pool,
        account: this.plan.account,
        tokenIn: this.tokens[leg] as string,
        amountIn,
        minAmountOut: last ? this.plan.minAmountOut : 0n,
        expiryMs: this.plan.expiryMs,
        payOnExecute: leg > 0,
      },
    };
  }

  private execute(leg: number): Envelope {
    const lock = this.locks[leg];
    if (lock === undefined) throw new Error(`route ${this.plan.routeId}: no lock for leg ${leg}`);
    return { to: (this.plan.legs[leg] as RouteLegSpec).shard, msg: { kind: "execute", routeId: this.plan.routeId, leg, account: this.plan.account, lockId: lock.lockId } };
  }

  private cancelAll(): Envelope[] {
    const out: Envelope[] = [];
    this.locks.forEach((lock, leg) => {
      if (lock === undefined) return;
      out.push({ to: (this.plan.legs[leg] as RouteLegSpec).shard, msg: { kind: "cancel", routeId: this.plan.routeId, leg, account: this.plan.account, lockId: lock.lockId } });
    });
    this.pendingCancels = out.length;
    this.status = out.length === 0 ? "cancelled" : "cancelling";
    return out;
  }
}

/**
 * A seeded asynchronous network between the coordinators and the shards: messages are delivered one
 * at a time in a random order (any in-flight message may go next), and `between` runs before each
 * delivery (other participants' traffic). Deterministic for a given seed.
 */
export class AsyncRouteNetwork {
  private readonly inFlight: Envelope[] = [];
  private readonly coordinators = new Map<string, RouteCoordinator>();
  private rng: Prng;
  delivered = 0;

  constructor(
    readonly shards: ReadonlyMap<string, Shard>,
    seed: number,
  ) {
    this.rng = new Prng(seed);
  }

  /** A random number in [0, 1) from the network's seeded generator (for callers' background traffic). */
  random(): number {
    return this.rng.next();
  }

  /** Starts a route: registers its coordinator and sends its first request. */
  startRoute(coordinator: RouteCoordinator): void {
    this.coordinators.set(coordinator.plan.routeId, coordinator);
    this.inFlight.push(...coordinator.start());
  }

  /** Delivers messages in random order until none is in flight; `between` runs before each delivery. */
  run(between?: (net: AsyncRouteNetwork) => void, maxDeliveries = 100_000): void {
    while (this.inFlight.length > 0) {
      if (this.delivered >= maxDeliveries) throw new Error("route network: too many deliveries");
      between?.(this);
      const i = Math.floor(this.rng.next() * this.inFlight.length);
      const [env] = this.inFlight.splice(i, 1) as [Envelope];
      this.delivered++;
      if (env.to === "coordinator") {
        const reply = env.msg as RouteReply;
        const c = this.coordinators.get(reply.routeId);
        if (c === undefined) throw new Error(`route network: no coordinator for ${reply.routeId}`);
        this.inFlight.push(...c.onReply(reply));
      } else {
        const shard = this.shards.get(env.to);
        if (shard === undefined) throw new Error(`route network: no shard ${env.to}`);
        this.inFlight.push({ to: "coordinator", msg: shard.handle(env.msg as RouteRequest) });
      }
    }
  }
}
