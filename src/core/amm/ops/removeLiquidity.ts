/**
 * The `removeLiquidity` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { addLpShares, credit, lpSharesOf } from "../../ledger.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted, LiquidityResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { optionalBound, requireAmount } from "../../validate.js";
import { checkPayable, recomputeFee } from "../lockswap.js";
import { actorOf, poolOf } from "../pool.js";

/** Burns `liquidity` LP shares for a pro-rata share of both reserves (rounded down). */
export interface RemoveLiquidityParameters {
  type: "removeLiquidity";
  account: string;
  pool: string;
  liquidity: bigint;
  amount0Min?: bigint;
  amount1Min?: bigint;
}

/** What an accepted `removeLiquidity` returns besides `status`. */
export type RemoveLiquidityReturnType = LiquidityResult;

/** Every rejection code `removeLiquidity` can return (checked by `test/ops.registry.test.ts`). */
export const removeLiquidityErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_POOL",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
  "INSUFFICIENT_LIQUIDITY",
  "SLIPPAGE",
] as const;
export type RemoveLiquidityErrorType = OpErrorType<typeof removeLiquidityErrorCodes>;

/**
 * Burns LP shares as UniswapV2Router02.removeLiquidity + UniswapV2Pair.burn: pays
 * `⌊liquidity·reserve/totalSupply⌋` of each token (rounded down, in favour of the pool).
 *
 * Reserves never reach 0 once minted: the 1000 locked shares keep a remainder ≥ 1 of each token.
 *
 * @returns `{ amount0, amount1, liquidity }` base units paid and LP shares burned
 * @throws Rejection INSUFFICIENT_BALANCE (more shares than held), INSUFFICIENT_LIQUIDITY (an amount
 *   would be 0: V2 INSUFFICIENT_LIQUIDITY_BURNED), SLIPPAGE, plus id/amount/actor codes.
 */
export function applyRemoveLiquidity(state: EngineState, op: RemoveLiquidityParameters): Accepted<LiquidityResult> {
  const actor = actorOf(state, op.account, "remove liquidity");
  const pool = poolOf(state, op.pool);
  const liquidity = requireAmount(op.liquidity, "liquidity");
  const min0 = optionalBound(op.amount0Min, "amount0Min", 0n);
  const min1 = optionalBound(op.amount1Min, "amount1Min", 0n);
  const shares = lpSharesOf(actor, pool.id);
  if (shares < liquidity) reject("INSUFFICIENT_BALANCE", `${actor.id} holds ${shares} LP shares of ${pool.id}, burns ${liquidity}`);
  const { reserve0, reserve1, totalSupply } = pool;
  // Paid on the least each reserve can become once open locks execute (R − owed): with no open lock
  // this is V2's ⌊L·r/S⌋; with locks the leaver takes nothing from LPs who stay or from lock holders.
  const amount0 = (liquidity * (reserve0 - pool.owed0)) / totalSupply;
  const amount1 = (liquidity * (reserve1 - pool.owed1)) / totalSupply;
  if (amount0 <= 0n || amount1 <= 0n) {
    reject("INSUFFICIENT_LIQUIDITY", `burning ${liquidity} shares would pay ${amount0}/${amount1} (V2 INSUFFICIENT_LIQUIDITY_BURNED)`);
  }
  if (amount0 < min0) reject("SLIPPAGE", `amount0 ${amount0} is below amount0Min ${min0}`);
  if (amount1 < min1) reject("SLIPPAGE", `amount1 ${amount1} is below amount1Min ${min1}`);
  // Credits cannot overflow: deposits of a token are capped at 2^128−1 in total (accounts.ts), and
  // every balance and reserve of that token is part of that total.
  // ── mutation ──
  addLpShares(state, actor, pool.id, -liquidity);
  pool.totalSupply = totalSupply - liquidity;
  pool.reserve0 = reserve0 - amount0;
  pool.reserve1 = reserve1 - amount1;
  checkPayable(pool);
  credit(state, actor, pool.token0, amount0);
  credit(state, actor, pool.token1, amount1);
  if (pool.feeVotes.size > 0) recomputeFee(state, pool);
  state.dirtyPools.add(pool);
  return { status: "accepted", amount0, amount1, liquidity };
}

export const removeLiquidityOp = defineOp<RemoveLiquidityParameters, RemoveLiquidityReturnType>({
  type: "removeLiquidity",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("pool", "string"),
    req("liquidity", "amount"),
    opt("amount0Min", "amount"),
    opt("amount1Min", "amount"),
  ],
  handler: applyRemoveLiquidity,
  rejects: removeLiquidityErrorCodes,
  docs: {
    section: "core",
    result: "`amount0`, `amount1`, `liquidity`",
  },
});
