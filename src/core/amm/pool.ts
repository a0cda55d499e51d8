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
import { TRADING_ROLES } from "../roles.js";
import type { Account, EngineState, Pool } from "../state.js";
import {
  requireActor, requirePool
} from "../validate.js";

/**
 * The acting account with a trading role. Fast path: one Map lookup (every stored id is valid);
 * on a miss, the full validation produces the right rejection (INVALID_ID / UNKNOWN_ACCOUNT).
 */
export function actorOf(state: EngineState, id: string, what: string): Account {
  const account = typeof id === "string" ? state.accounts.get(id) : undefined;
  if (account !== undefined && (account.roles & TRADING_ROLES) !== 0) return account;
  return requireActor(state, id, "account", TRADING_ROLES, what);
}

/** The pool; same fast path as {@link actorOf}. */
export function poolOf(state: EngineState, id: string): Pool {
  const pool = typeof id === "string" ? state.pools.get(id) : undefined;
  return pool ?? requirePool(state, id, "pool");
}
