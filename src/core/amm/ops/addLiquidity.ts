/**
 * The `addLiquidity` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { invariant, reject } from "../../errors.js";
import { addLpShares, debit } from "../../ledger.js";
import { isqrt, MAX_UINT112 } from "../../math.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted, LiquidityResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { optionalBound, requireAmount, requireFree } from "../../validate.js";
import { recomputeFee } from "../lockswap.js";
import { MINIMUM_LIQUIDITY } from "../math.js";
import { actorOf, poolOf } from "../pool.js";

/**
 * Adds liquidity as UniswapV2Router02.addLiquidity does: the first deposit sets the price and mints
 * √(amount0·amount1) − MINIMUM_LIQUIDITY; later ones use the optimal pair of amounts at the current
 * ratio and mint min(amount0·supply/reserve0, amount1·supply/reserve1).
 */
export interface AddLiquidityParameters {
  type: "addLiquidity";
  account: string;
  pool: string;
  amount0Desired: bigint;
  amount1Desired: bigint;
  /** Lower bounds on the amounts actually used (router `amountAMin`/`amountBMin`); default 0. */
  amount0Min?: bigint;
  amount1Min?: bigint;
}

/** What an accepted `addLiquidity` returns besides `status`. */
export type AddLiquidityReturnType = LiquidityResult;

/** Every rejection code `addLiquidity` can return (checked by `test/ops.registry.test.ts`). */
export const addLiquidityErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_POOL",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
  "INSUFFICIENT_LIQUIDITY",
  "SLIPPAGE",
  "OVERFLOW",
] as const;
export type AddLiquidityErrorType = OpErrorType<typeof addLiquidityErrorCodes>;

/**
 * Adds liquidity as UniswapV2Router02.addLiquidity + UniswapV2Pair.mint.
 *
 * First deposit (empty pool): uses `amount0Desired`/`amount1Desired` as given and mints
 * `isqrt(a0·a1) − 1000` to the account; 1000 shares are locked forever (counted in `totalSupply`).
 * Later: `b = quote(amount0Desired)`; if `b ≤ amount1Desired` uses `(amount0Desired, b)` (requires
 * `b ≥ amount1Min`), else `(quote(amount1Desired), amount1Desired)` (requires that `≥ amount0Min`);
 * mints `min(a0·S/r0, a1·S/r1)` rounded down. One deliberate difference from the router: the mins
 * are checked on the first deposit too (the router skips them there; a min above the desired amount
 * can only be a mistake, so it is SLIPPAGE rather than silently ignored).
 *
 * @returns `{ amount0, amount1, liquidity }` base units taken and LP shares minted
 * @throws Rejection INSUFFICIENT_LIQUIDITY (nothing would be minted), SLIPPAGE (an amount below its
 *   min), INSUFFICIENT_BALANCE, OVERFLOW (a reserve above 2^112−1), plus the id/amount/actor codes.
 */
export function applyAddLiquidity(state: EngineState, op: AddLiquidityParameters): Accepted<LiquidityResult> {
  const actor = actorOf(state, op.account, "add liquidity");
  const pool = poolOf(state, op.pool);
  const desired0 = requireAmount(op.amount0Desired, "amount0Desired");
  const desired1 = requireAmount(op.amount1Desired, "amount1Desired");
  const min0 = optionalBound(op.amount0Min, "amount0Min", 0n);
  const min1 = optionalBound(op.amount1Min, "amount1Min", 0n);
  const { reserve0, reserve1, totalSupply } = pool;
  let amount0: bigint;
  let amount1: bigint;
  let liquidity: bigint;
  let locked = 0n;
  if (totalSupply === 0n) {
    amount0 = desired0;
    amount1 = desired1;
    liquidity = isqrt(amount0 * amount1) - MINIMUM_LIQUIDITY;
    locked = MINIMUM_LIQUIDITY;
    if (liquidity <= 0n) {
      reject("INSUFFICIENT_LIQUIDITY", `first deposit must mint more than ${MINIMUM_LIQUIDITY} shares (√(a0·a1) = ${liquidity + MINIMUM_LIQUIDITY})`);
    }
  } else {
    // Router _addLiquidity: reserves of a pool that has been minted are both > 0 (see removeLiquidity).
    const optimal1 = (desired0 * reserve1) / reserve0;
    if (optimal1 <= desired1) {
      if (optimal1 < min1) reject("SLIPPAGE", `amount1 ${optimal1} is below amount1Min ${min1}`);
      amount0 = desired0;
      amount1 = optimal1;
    } else {
      const optimal0 = (desired1 * reserve0) / reserve1;
      invariant(optimal0 <= desired0, "router: optimal amount0 exceeds desired");
      if (optimal0 < min0) reject("SLIPPAGE", `amount0 ${optimal0} is below amount0Min ${min0}`);
      amount0 = optimal0;
      amount1 = desired1;
    }
    // Shares are priced on the most each reserve can become once open locks execute (R + S): with no
    // open lock this is V2's min(a0·S/r0, a1·S/r1); with locks the joiner never dilutes (lockswap.ts).
    const l0 = (amount0 * totalSupply) / (reserve0 + pool.pending0);
    const l1 = (amount1 * totalSupply) / (reserve1 + pool.pending1);
    liquidity = l0 < l1 ? l0 : l1;
    if (liquidity <= 0n) reject("INSUFFICIENT_LIQUIDITY", `deposit of ${amount0}/${amount1} would mint no shares`);
  }
  if (amount0 < min0) reject("SLIPPAGE", `amount0 ${amount0} is below amount0Min ${min0}`);
  if (amount1 < min1) reject("SLIPPAGE", `amount1 ${amount1} is below amount1Min ${min1}`);
  requireFree(actor, pool.token0, amount0);
  requireFree(actor, pool.token1, amount1);
  if (reserve0 + pool.pending0 + amount0 > MAX_UINT112 || reserve1 + pool.pending1 + amount1 > MAX_UINT112) {
    reject("OVERFLOW", `reserves of ${pool.id} would exceed 2^112-1`);
  }
  // No cap check on LP shares is needed: minting and burning keep totalSupply ≤ √(reserve0·reserve1)
  // ≤ 2^112−1 (the first mint is ⌊√(a0·a1)⌋, later mints add at most the smaller proportional share).
  // ── mutation ──
  debit(state, actor, pool.token0, amount0);
  debit(state, actor, pool.token1, amount1);
  pool.reserve0 = reserve0 + amount0;
  pool.reserve1 = reserve1 + amount1;
  pool.totalSupply = totalSupply + liquidity + locked;
  addLpShares(state, actor, pool.id, liquidity);
  if (pool.feeVotes.size > 0) recomputeFee(state, pool);
  state.dirtyPools.add(pool);
  return { status: "accepted", amount0, amount1, liquidity };
}

export const addLiquidityOp = defineOp<AddLiquidityParameters, AddLiquidityReturnType>({
  type: "addLiquidity",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("pool", "string"),
    req("amount0Desired", "amount"),
    req("amount1Desired", "amount"),
    opt("amount0Min", "amount"),
    opt("amount1Min", "amount"),
  ],
  handler: applyAddLiquidity,
  rejects: addLiquidityErrorCodes,
  docs: {
    section: "core",
    result: "`amount0`, `amount1`, `liquidity`",
  },
});
