/**
 * The `routeSwap` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject, Rejection } from "../../errors.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState, Lock, Pool } from "../../state.js";
import { optionalBound, requireActor, requireAmount, requireFree, requirePool } from "../../validate.js";
import type { RouteSwapResult } from "../lockswap.js";
import { directionOf, executeOpenLock, MAX_ROUTE_HOPS, openLock, planLeg, RouteLeg } from "../lockswap.js";

/**
 * Swaps along `route` (1..5 distinct pool ids): a lock on every leg, hop by hop (each leg's output is
 * the next leg's input), then every leg executed; all or nothing.
 */
export interface RouteSwapParameters {
  type: "routeSwap";
  account: string;
  route: string[];
  tokenIn: string;
  amountIn: bigint;
  /** Lower bound on the last leg's output; default 0. */
  minAmountOut?: bigint;
}

/** What an accepted `routeSwap` returns besides `status`. */
export type RouteSwapReturnType = RouteSwapResult;

/** Every rejection code `routeSwap` can return (checked by `test/ops.registry.test.ts`). */
export const routeSwapErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_POOL",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
  "INSUFFICIENT_LIQUIDITY",
  "SLIPPAGE",
  "OVERFLOW",
  "LIMIT_EXCEEDED",
  "LOCKS_DISABLED",
] as const;
export type RouteSwapErrorType = OpErrorType<typeof routeSwapErrorCodes>;

/* ───────────────────────────── routes ───────────────────────────── */

/**
 * Swaps along a route of up to {@link MAX_ROUTE_HOPS} distinct pools by the lock protocol: a lock is
 * acquired on every leg, hop by hop (each leg's amountOut is the next leg's amountIn), then all legs
 * are executed in order. If any leg cannot be locked (permission, liquidity, limits) or the last
 * output is below `minAmountOut`, the op is rejected and nothing changes — every lock already "held"
 * is cancelled and the input refunded, which in one engine is simply no mutation at all. The
 * asynchronous version of the same protocol, with legs in different engines, is `src/route/`.
 *
 * @returns {@link RouteSwapResult} with each leg's lock id and amounts
 * @throws Rejection INVALID_OP (route not 1..5 distinct pools, a leg's tokenIn not in its pool),
 *   the leg's own code prefixed `leg k:` (LOCKS_DISABLED, NOT_PERMITTED, INSUFFICIENT_LIQUIDITY,
 *   LIMIT_EXCEEDED, OVERFLOW), SLIPPAGE (final output), INSUFFICIENT_BALANCE, plus id/amount codes
 */
export function applyRouteSwap(state: EngineState, op: RouteSwapParameters): Accepted<RouteSwapResult> {
  const actor = requireActor(state, op.account, "account", TRADING_ROLES, "swap");
  const route = op.route as unknown;
  if (!Array.isArray(route) || route.length < 1 || route.length > MAX_ROUTE_HOPS) {
    reject("INVALID_OP", `route must be an array of 1..${MAX_ROUTE_HOPS} pool ids`);
  }
  const pools: Pool[] = [];
  for (const [i, id] of (route as unknown[]).entries()) {
    const pool = requirePool(state, id, `route[${i}]`);
    if (pools.includes(pool)) reject("INVALID_OP", `route visits pool ${pool.id} twice`);
    pools.push(pool);
  }
  const amountIn = requireAmount(op.amountIn, "amountIn");
  const minOut = optionalBound(op.minAmountOut, "minAmountOut", 0n);
  const tokenIn0 = typeof op.tokenIn === "string" ? op.tokenIn : "";
  const legs: { pool: Pool; zeroForOne: boolean; amountIn: bigint; amountOut: bigint }[] = [];
  let token: unknown = op.tokenIn;
  let amount = amountIn;
  for (const [k, pool] of pools.entries()) {
    let zeroForOne: boolean;
    try {
      zeroForOne = directionOf(state, pool, token);
      const out = planLeg(state, pool, actor, zeroForOne, amount);
      legs.push({ pool, zeroForOne, amountIn: amount, amountOut: out });
      amount = out;
    } catch (error) {
      if (error instanceof Rejection) reject(error.code, `leg ${k} (${pool.id}): ${error.message}`);
      throw error;
    }
    token = zeroForOne ? pool.token1 : pool.token0;
  }
  if (amount < minOut) reject("SLIPPAGE", `route output ${amount} is below minAmountOut ${minOut}`);
  requireFree(actor, tokenIn0, amountIn);
  // ── mutation: acquire every leg, then execute every leg ──
  const expiryMs = state.timeMs + 1;
  const locks = legs.map((leg, k) => openLock(state, leg.pool, actor, leg.zeroForOne, leg.amountIn, leg.amountOut, expiryMs, k === 0));
  const result: RouteLeg[] = [];
  legs.forEach((leg, k) => {
    const lock = locks[k] as Lock;
    executeOpenLock(state, leg.pool, lock, actor);
    result.push({
      pool: leg.pool.id,
      lockId: lock.id,
      tokenIn: leg.zeroForOne ? leg.pool.token0 : leg.pool.token1,
      tokenOut: leg.zeroForOne ? leg.pool.token1 : leg.pool.token0,
      amountIn: leg.amountIn,
      amountOut: leg.amountOut,
    });
  });
  return { status: "accepted", tokenIn: tokenIn0, tokenOut: String(token), amountIn, amountOut: amount, legs: result };
}

export const routeSwapOp = defineOp<RouteSwapParameters, RouteSwapReturnType>({
  type: "routeSwap",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("route", "strings", { doc: "1..5 distinct pool ids" }),
    req("tokenIn", "string"),
    req("amountIn", "amount"),
    opt("minAmountOut", "amount"),
  ],
  handler: applyRouteSwap,
  rejects: routeSwapErrorCodes,
  docs: {
    section: "core",
    result: "`tokenIn`, `tokenOut`, `amountIn`, `amountOut`, `legs` (`pool`, `lockId`, `tokenIn`, `tokenOut`, `amountIn`, `amountOut` each)",
  },
});
