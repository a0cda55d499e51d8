/**
 * The `swap` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { invariant, reject } from "../../errors.js";
import { credit, debit } from "../../ledger.js";
import { MAX_AMOUNT, MAX_UINT112, PPM } from "../../math.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted, SwapResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { optionalBound, requireAmount, requireFree, requireToken } from "../../validate.js";
import { checkPayable, poolVirtualReserves } from "../lockswap.js";
import { actorOf, poolOf } from "../pool.js";

/**
 * Swaps on a pool. Exactly one of `amountIn` (exact input, bounded by `minAmountOut`) or `amountOut`
 * (exact output, bounded by `maxAmountIn`) is given.
 */
export interface SwapParameters {
  type: "swap";
  account: string;
  pool: string;
  tokenIn: string;
  amountIn?: bigint;
  minAmountOut?: bigint;
  amountOut?: bigint;
  maxAmountIn?: bigint;
}

/** What an accepted `swap` returns besides `status`. */
export type SwapReturnType = SwapResult;

/** Every rejection code `swap` can return (checked by `test/ops.registry.test.ts`). */
export const swapErrorCodes = [
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
] as const;
export type SwapErrorType = OpErrorType<typeof swapErrorCodes>;

/**
 * Swaps on a pool, as UniswapV2Router02.swapExactTokensForTokens (given `amountIn`, bounded below by
 * `minAmountOut`, default 0) or swapTokensForExactTokens (given `amountOut`, bounded above by
 * `maxAmountIn`, default unbounded), for a one-hop path, followed by UniswapV2Pair.swap's K check.
 *
 * Quoted on the direction's pessimistic virtual pool (`lockswap.ts`): identical to V2 when no lock is
 * open in that direction. Exact input: `out = getAmountOut(amountIn)` rounded down; `out = 0` is rejected (V2
 * INSUFFICIENT_OUTPUT_AMOUNT, reported as INSUFFICIENT_LIQUIDITY). Exact output: requires
 * `amountOut < reserveOut`; `in = getAmountIn(amountOut)` rounded up (+1).
 *
 * @returns `{ amountIn, amountOut, tokenIn, tokenOut }` in base units
 * @throws Rejection INVALID_OP (not exactly one of amountIn/amountOut, a bound of the other mode given,
 *   tokenIn not in the pool), INSUFFICIENT_LIQUIDITY (empty pool, output 0, amountOut ≥ reserve),
 *   SLIPPAGE, INSUFFICIENT_BALANCE, OVERFLOW (the input reserve would exceed 2^112−1),
 *   plus id/amount/actor codes.
 */
export function applySwap(state: EngineState, op: SwapParameters): Accepted<SwapResult> {
  const actor = actorOf(state, op.account, "swap");
  const pool = poolOf(state, op.pool);
  const tokenIn = op.tokenIn;
  let zeroForOne: boolean;
  if (tokenIn === pool.token0) zeroForOne = true;
  else if (tokenIn === pool.token1) zeroForOne = false;
  else {
    requireToken(state, tokenIn, "tokenIn");
    reject("INVALID_OP", `tokenIn ${String(tokenIn)} is not a token of pool ${pool.id} (${pool.token0}/${pool.token1})`);
  }
  const tokenOut = zeroForOne ? pool.token1 : pool.token0;
  const reserve0 = pool.reserve0;
  const reserve1 = pool.reserve1;
  const reserveIn = zeroForOne ? reserve0 : reserve1;
  const reserveOut = zeroForOne ? reserve1 : reserve0;
  if (reserveIn === 0n) reject("INSUFFICIENT_LIQUIDITY", `pool ${pool.id} has no liquidity`);
  // Quote on the direction's pessimistic virtual pool (lockswap.ts): an instant swap is a lock acquired
  // and executed at once. With no open lock in this direction it is the actual pool (V2 exact).
  const pendingIn = zeroForOne ? pool.pending0 : pool.pending1;
  let quoteIn = reserveIn;
  let quoteOut = reserveOut;
  if (pendingIn !== 0n) [quoteIn, quoteOut] = poolVirtualReserves(pool, zeroForOne);
  const fee = pool.feePpm;
  let amountIn: bigint;
  let amountOut: bigint;
  if (op.amountIn !== undefined) {
    if (op.amountOut !== undefined) reject("INVALID_OP", "give exactly one of amountIn and amountOut");
    if (op.maxAmountIn !== undefined) reject("INVALID_OP", "maxAmountIn belongs to an exact-output swap (amountOut)");
    amountIn = requireAmount(op.amountIn, "amountIn");
    const minOut = op.minAmountOut === undefined ? 0n : optionalBound(op.minAmountOut, "minAmountOut", 0n);
    // UniswapV2Library.getAmountOut (see ./math.ts), inlined on the hot path.
    const inWithFee = amountIn * (PPM - fee);
    amountOut = (inWithFee * quoteOut) / (quoteIn * PPM + inWithFee);
    if (amountOut === 0n) reject("INSUFFICIENT_LIQUIDITY", `${amountIn} ${tokenIn} buys nothing (V2 INSUFFICIENT_OUTPUT_AMOUNT)`);
    if (amountOut < minOut) reject("SLIPPAGE", `amountOut ${amountOut} is below minAmountOut ${minOut}`);
  } else {
    if (op.amountOut === undefined) reject("INVALID_OP", "give exactly one of amountIn and amountOut");
    if (op.minAmountOut !== undefined) reject("INVALID_OP", "minAmountOut belongs to an exact-input swap (amountIn)");
    amountOut = requireAmount(op.amountOut, "amountOut");
    const maxIn = optionalBound(op.maxAmountIn, "maxAmountIn", MAX_AMOUNT);
    if (amountOut >= quoteOut) reject("INSUFFICIENT_LIQUIDITY", `amountOut ${amountOut} must be below the reserve ${quoteOut}`);
    // UniswapV2Library.getAmountIn (see ./math.ts): +1 rounds the input up.
    amountIn = (quoteIn * amountOut * PPM) / ((quoteOut - amountOut) * (PPM - fee)) + 1n;
    if (amountIn > maxIn) reject("SLIPPAGE", `amountIn ${amountIn} is above maxAmountIn ${maxIn}`);
  }
  requireFree(actor, tokenIn, amountIn);
  const newReserveIn = reserveIn + amountIn;
  if (newReserveIn + pendingIn > MAX_UINT112) reject("OVERFLOW", `reserve of ${tokenIn} in ${pool.id} would exceed 2^112-1`);
  // The credit of amountOut cannot overflow: all of a token in the engine is capped at 2^128−1 (deposits).
  const newReserveOut = reserveOut - amountOut;
  // UniswapV2Pair.swap K check with the fee in ppm: (r_in'·1e6 − in·fee)·(r_out'·1e6) ≥ r_in·r_out·1e12,
  // evaluated with both sides divided by 1e6 (exact: both are multiples of it). A failure is an engine
  // bug (the formulas above guarantee it), checked before anything moves; the message is built only then.
  if ((newReserveIn * PPM - amountIn * fee) * newReserveOut < reserveIn * reserveOut * PPM) {
    invariant(false, `K decreased in pool ${pool.id}`);
  }
  // ── mutation ──
  debit(state, actor, tokenIn, amountIn);
  credit(state, actor, tokenOut, amountOut);
  if (zeroForOne) {
    pool.reserve0 = newReserveIn;
    pool.reserve1 = newReserveOut;
  } else {
    pool.reserve1 = newReserveIn;
    pool.reserve0 = newReserveOut;
  }
  if (pool.locks.size !== 0) checkPayable(pool);
  state.dirtyPools.add(pool);
  return { status: "accepted", amountIn, amountOut, tokenIn, tokenOut };
}

export const swapOp = defineOp<SwapParameters, SwapReturnType>({
  type: "swap",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("pool", "string"),
    req("tokenIn", "string"),
    opt("amountIn", "amount"),
    opt("minAmountOut", "amount"),
    opt("amountOut", "amount"),
    opt("maxAmountIn", "amount"),
  ],
  handler: applySwap,
  rejects: swapErrorCodes,
  docs: {
    section: "core",
    summary: "exactly one of `amountIn` (exact input, bounded by `minAmountOut`) or `amountOut` (exact output, bounded by `maxAmountIn`)",
    result: "`amountIn`, `amountOut`, `tokenIn`, `tokenOut`",
  },
});
