/**
 * Constant-product pools with Uniswap V2 semantics: the op handlers the {@link Engine} dispatches to.
 *
 * Each handler is `(state, op) → Accepted<…>` and follows the engine's rule: it validates everything
 * first (throwing a {@link Rejection} via `reject`), then mutates, and nothing after the first mutation
 * can reject. The arithmetic is UniswapV2Pair + UniswapV2Router02 + UniswapV2Library exactly, with the
 * fee generalised to ppm (3000 ppm ≡ 997/1000):
 *
 * - mint: first deposit `√(a0·a1) − MINIMUM_LIQUIDITY` (the 1000 locked shares stay in `totalSupply`
 *   and belong to no account); later deposits use the router's optimal amounts (`quote`) and mint
 *   `min(a0·S/r0, a1·S/r1)`, rounded down.
 * - burn: `⌊L·r/S⌋` of each reserve, rounded down (the remainder stays with the pool).
 * - swap: exact input (`getAmountOut`, rounded down) or exact output (`getAmountIn`, +1 rounding up).
 * - reserves are uint112 in V2: anything that would exceed 2^112−1 is rejected with `OVERFLOW`.
 * - the whole fee stays in the pool (V2 with `feeTo` off: no protocol fee).
 *
 * Rejection codes: INVALID_OP, INVALID_ID, INVALID_AMOUNT, UNKNOWN_ACCOUNT, UNKNOWN_POOL, UNKNOWN_TOKEN,
 * ALREADY_EXISTS, NOT_PERMITTED, INSUFFICIENT_BALANCE, INSUFFICIENT_LIQUIDITY, SLIPPAGE, OVERFLOW.
 */
import { invariant, reject } from "../errors.js";
import { addLpShares, credit, debit, lpSharesOf } from "../ledger.js";
import { isqrt, MAX_AMOUNT, MAX_UINT112, PPM } from "../math.js";
import type { AddLiquidityOp, CreatePoolOp, RemoveLiquidityOp, SwapOp } from "../ops.js";
import type { Accepted, LiquidityResult, SwapResult } from "../results.js";
import { TRADING_ROLES } from "../roles.js";
import type { Account, EngineState, Pool } from "../state.js";
import {
  optionalBound,
  requireAccount,
  requireActor,
  requireAmount,
  requireFree,
  requireId,
  requireInt,
  requirePool,
  requireToken,
} from "../validate.js";
import { MINIMUM_LIQUIDITY } from "./math.js";
import { checkPayable, poolVirtualReserves, recomputeFee, requireLockPolicy } from "./lockswap.js";

/**
 * Creates an empty pool (UniswapV2Factory.createPair). `token0`/`token1` are kept in the order given.
 *
 * Options (lockswap.ts): `lockPolicy` "off" / "anybody" (default) / "allowList" with `lockAllowList`,
 * and `admin`, the account that may change the policy later (none ⇒ fixed).
 *
 * @returns `{ status: "accepted", pool }` — the pool id
 * @throws Rejection INVALID_ID (pool id), ALREADY_EXISTS (pool id taken), UNKNOWN_TOKEN,
 *   INVALID_OP (token0 = token1, feePpm not an integer in 0..999999, bad lock policy),
 *   UNKNOWN_ACCOUNT (admin), LIMIT_EXCEEDED (allow-list)
 */
export function applyCreatePool(state: EngineState, op: CreatePoolOp): Accepted<{ pool: string }> {
  const id = requireId(op.pool, "pool");
  if (state.pools.has(id)) reject("ALREADY_EXISTS", `pool ${id} already exists`);
  const token0 = requireToken(state, op.token0, "token0").symbol;
  const token1 = requireToken(state, op.token1, "token1").symbol;
  if (token0 === token1) reject("INVALID_OP", `token0 and token1 must differ (both ${token0})`);
  const feePpm = BigInt(requireInt(op.feePpm, "feePpm", 0, 999_999));
  const [lockPolicy, allow] = requireLockPolicy(op.lockPolicy, op.lockAllowList);
  const admin = op.admin === undefined ? undefined : requireAccount(state, op.admin, "admin").id;
  // ── mutation ──
  const pool: Pool = {
    id,
    token0,
    token1,
    feePpm,
    reserve0: 0n,
    reserve1: 0n,
    totalSupply: 0n,
    baseFeePpm: feePpm,
    lockPolicy,
    lockAllowList: new Set(allow),
    admin,
    pending0: 0n,
    pending1: 0n,
    owed0: 0n,
    owed1: 0n,
    locks: new Map(),
    locksByOwner: new Map(),
    lockSeq: 0,
    feeVotes: new Map(),
  };
  state.pools.set(id, pool);
  state.dirtyPools.add(pool);
  return { status: "accepted", pool: id };
}

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
export function applyAddLiquidity(state: EngineState, op: AddLiquidityOp): Accepted<LiquidityResult> {
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
export function applyRemoveLiquidity(state: EngineState, op: RemoveLiquidityOp): Accepted<LiquidityResult> {
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
export function applySwap(state: EngineState, op: SwapOp): Accepted<SwapResult> {
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

/**
 * The acting account with a trading role. Fast path: one Map lookup (every stored id is valid);
 * on a miss, the full validation produces the right rejection (INVALID_ID / UNKNOWN_ACCOUNT).
 */
function actorOf(state: EngineState, id: string, what: string): Account {
  const account = typeof id === "string" ? state.accounts.get(id) : undefined;
  if (account !== undefined && (account.roles & TRADING_ROLES) !== 0) return account;
  return requireActor(state, id, "account", TRADING_ROLES, what);
}

/** The pool; same fast path as {@link actorOf}. */
function poolOf(state: EngineState, id: string): Pool {
  const pool = typeof id === "string" ? state.pools.get(id) : undefined;
  return pool ?? requirePool(state, id, "pool");
}
