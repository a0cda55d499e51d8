/**
 * The `acquireLock` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { optionalBound, requireActor, requireAmount, requireFree, requirePool } from "../../validate.js";
import type { AcquireLockResult } from "../lockswap.js";
import { directionOf, MAX_UNFUNDED_LOCK_DURATION_MS, openLock, optionalFlag, planLeg, requireExpiry } from "../lockswap.js";

/* ───────────────────────────── lock-swaps (amm/lockswap.ts) ───────────────────────────── */

/**
 * Locks a swap's price: `amountIn` of `tokenIn` for an `amountOut` of the pool's other token fixed now
 * (quoted on the direction's pessimistic virtual pool), executable by `account` while the engine's
 * time is below `expiryMs` (ms since the epoch, at most 7 days ahead). The input is reserved now,
 * or with `payOnExecute` debited from the free balance at execution (route legs fed by earlier legs).
 */
export interface AcquireLockParameters {
  type: "acquireLock";
  account: string;
  pool: string;
  tokenIn: string;
  amountIn: bigint;
  /** Lower bound on the locked amountOut; default 0. */
  minAmountOut?: bigint;
  expiryMs: number;
  payOnExecute?: boolean;
}

/** What an accepted `acquireLock` returns besides `status`. */
export type AcquireLockReturnType = AcquireLockResult;

/** Every rejection code `acquireLock` can return (checked by `test/ops.registry.test.ts`). */
export const acquireLockErrorCodes = [
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
export type AcquireLockErrorType = OpErrorType<typeof acquireLockErrorCodes>;

/* ───────────────────────────── locks ───────────────────────────── */

/**
 * Acquires a lock-swap: `amountIn` of `tokenIn` for a fixed `amountOut` of the pool's other token,
 * quoted on the pessimistic virtual pool of that direction with the current effective fee.
 * The input is reserved from the owner's free balance (unless `payOnExecute`, used by routes for legs
 * whose input is the previous leg's output: then it is debited from the free balance at execution).
 *
 * @returns {@link AcquireLockResult} (`lockId` = `<pool>#<seq>`)
 * @throws Rejection LOCKS_DISABLED (policy off), NOT_PERMITTED (not on the allow-list, no trading role),
 *   INVALID_OP (tokenIn not in the pool, expiry not after now or more than 7 days ahead),
 *   LIMIT_EXCEEDED, INSUFFICIENT_LIQUIDITY (empty pool, output 0), SLIPPAGE, INSUFFICIENT_BALANCE,
 *   OVERFLOW, and the id/amount codes.
 */
export function applyAcquireLock(state: EngineState, op: AcquireLockParameters): Accepted<AcquireLockResult> {
  const actor = requireActor(state, op.account, "account", TRADING_ROLES, "acquire locks");
  const pool = requirePool(state, op.pool, "pool");
  const zeroForOne = directionOf(state, pool, op.tokenIn);
  const amountIn = requireAmount(op.amountIn, "amountIn");
  const minOut = optionalBound(op.minAmountOut, "minAmountOut", 0n);
  const expiryMs = requireExpiry(state, op.expiryMs);
  const prepaid = !optionalFlag(op.payOnExecute, "payOnExecute");
  if (!prepaid && expiryMs - state.timeMs > MAX_UNFUNDED_LOCK_DURATION_MS) {
    reject("INVALID_OP", `a payOnExecute lock expires at most ${MAX_UNFUNDED_LOCK_DURATION_MS} ms after the engine's time ${state.timeMs} ms`);
  }
  const amountOut = planLeg(state, pool, actor, zeroForOne, amountIn);
  if (amountOut < minOut) reject("SLIPPAGE", `amountOut ${amountOut} is below minAmountOut ${minOut}`);
  if (prepaid) requireFree(actor, zeroForOne ? pool.token0 : pool.token1, amountIn);
  // ── mutation ──
  const lock = openLock(state, pool, actor, zeroForOne, amountIn, amountOut, expiryMs, prepaid);
  return {
    status: "accepted",
    lockId: lock.id,
    tokenIn: zeroForOne ? pool.token0 : pool.token1,
    tokenOut: zeroForOne ? pool.token1 : pool.token0,
    amountIn,
    amountOut,
    expiryMs,
  };
}

export const acquireLockOp = defineOp<AcquireLockParameters, AcquireLockReturnType>({
  type: "acquireLock",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("pool", "string"),
    req("tokenIn", "string"),
    req("amountIn", "amount"),
    opt("minAmountOut", "amount"),
    req("expiryMs", "int", { doc: "engine ms; after now, ≤ 7 days ahead" }),
    opt("payOnExecute", "boolean", { doc: "input paid at execution instead of reserved now; expiry then ≤ 60 s ahead" }),
  ],
  handler: applyAcquireLock,
  rejects: acquireLockErrorCodes,
  docs: {
    section: "core",
    result: "`lockId` (`<pool>#<n>`), `tokenIn`, `tokenOut`, `amountIn`, `amountOut` (fixed now), `expiryMs`",
  },
});
