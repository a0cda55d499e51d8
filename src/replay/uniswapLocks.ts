/**
 * Lock-swap replay (`semilattice demo --lock-swaps P`): the real Uniswap V3 USDC/WETH day of
 * `uniswap.ts`, with P% of the swaps turned into lock-swaps, against the same day with instant swaps
 * only. Two fresh engines, so the demo's main engine (and its state root) is untouched.
 *
 * Rules (deterministic; no randomness, no clock):
 * - **Selection.** Swap number i (0-based, in file order) becomes a lock-swap iff
 *   `mix(i) mod 100 < P`; it is settled `1 + mix(i + 2^20) mod 20` swaps later (1..20), before that
 *   later swap is replayed (due locks in acquisition order; the rest after the last event). `mix` is
 *   the splitmix32 finaliser, a fixed integer function.
 * - **A lock-swap** is `acquireLock` of the recorded input (sender funded as for a swap, input
 *   reserved), no minimum, expiry one day ahead (the replay never advances time). If the acquire is
 *   rejected the trade is replayed as an instant swap (counted in `acquireRejected`).
 * - **Settlement.** At its due point the holder compares its locked amountOut with what the same
 *   input would get by an instant swap *now* if its lock did not exist (the direction's virtual pool
 *   without this lock). It executes the lock if that is at least as good, otherwise cancels it and
 *   swaps instantly: a rational holder. The lock's price "beat the price at execution time" when its
 *   amountOut is strictly greater than that instant quote.
 * - **LP value.** The liquidity account `uni:lp`'s claim on the pool (its shares' pro-rata reserves
 *   of each token) plus its free balances, minus everything deposited to it, valued in USD at the
 *   day's last real price (the last swap's sqrtPriceX96): the LPs' profit over the day in USD, in
 *   each replay. Liquidity follows the real pool in both (same rule, `uniswap.ts`), so the difference
 *   is what the locks changed: which trades executed, at which prices, and the LP-share pricing of
 *   adds/removes while locks were open.
 * Floats appear only in this report.
 */
import { Engine, type Params } from "../core/engine.js";
import type { DepositOp } from "../core/ops.js";
import { getAmountOut } from "../core/amm/math.js";
import { virtualReserves } from "../core/amm/lockswap.js";
import type { BalanceResult, Result } from "../core/results.js";
import { loadUniswapEvents, type UniswapEvent } from "./uniswapData.js";
import { priceFromSqrtX96, replayUniswapEvents, UNI_LP, UNI_POOL, UNI_USDC, UNI_WETH, type UniswapReport } from "./uniswap.js";

/** Settlement delay bounds, in swaps. */
export const LOCK_DELAY_MIN = 1;
export const LOCK_DELAY_MAX = 20;
const DAY_MS = 86_400_000;

export interface LockSwapReport {
  /** P: percent of swaps turned into lock-swaps. */
  percent: number;
  swaps: number;
  lockSwaps: number;
  /** Lock-swaps whose holder executed the lock (its price was at least the instant price then). */
  executed: number;
  /** Lock-swaps cancelled by the holder for an instant swap at the better price then. */
  cancelled: number;
  /** Acquires the engine rejected (replayed as instant swaps instead). */
  acquireRejected: number;
  /** Lock-swaps whose locked amountOut was strictly above the instant quote at settlement. */
  beatExecutionPrice: number;
  /** beatExecutionPrice / lockSwaps. */
  beatRate: number;
  /** Mean of (locked amountOut / instant amountOut at settlement − 1), basis points. */
  lockVsExecutionBpsMean: number;
  /** Mean settlement delay, swaps. */
  meanDelaySwaps: number;
  /** LPs' profit over the day in USD at the last real price: instant-only replay vs with lock-swaps. */
  lpProfitUsd: { instantOnly: number; withLockSwaps: number; difference: number };
  /** Deviation of the replayed price path from the real one, both replays (bps, mean). */
  priceDeviationBpsMean: { instantOnly: number; withLockSwaps: number };
  /** Both engines' books balance for every token. */
  conservationOk: boolean;
}

interface PendingLock {
  lockId: string;
  account: string;
  tokenIn: string;
  amountIn: bigint;
  amountOut: bigint;
  due: number;
  delay: number;
}

/** splitmix32 finaliser: a fixed integer hash (selection and delays). */
export function mix(i: number): number {
  let z = (i + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Whether swap `i` is a lock-swap at `percent`, and its settlement delay in swaps. */
export function lockSelection(i: number, percent: number): { lock: boolean; delay: number } {
  return { lock: mix(i) % 100 < percent, delay: LOCK_DELAY_MIN + (mix(i + (1 << 20)) % (LOCK_DELAY_MAX - LOCK_DELAY_MIN + 1)) };
}

/**
 * Runs both replays of the day (`dataDir` as for `replayUniswap`) and compares them.
 * @param percent 0..100
 */
export function compareLockSwaps(dataDir: string, percent: number): LockSwapReport {
  return compareLockSwapEvents(loadUniswapEvents(dataDir), percent);
}

/** {@link compareLockSwaps} on parsed events (tests use slices). */
export function compareLockSwapEvents(events: readonly UniswapEvent[], percent: number): LockSwapReport {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError("percent must be an integer 0..100");
  const instantEngine = new LpTrackingEngine();
  const instant = replayUniswapEvents(instantEngine, events);
  const lockEngine = new LpTrackingEngine();
  const pending: PendingLock[] = [];
  const stats = { lockSwaps: 0, executed: 0, cancelled: 0, acquireRejected: 0, beat: 0, bpsSum: 0, delaySum: 0 };

  const settle = (engine: Engine, upTo: number): void => {
    while (pending.length > 0 && (pending[0] as PendingLock).due <= upTo) {
      const lock = pending.shift() as PendingLock;
      const now = instantQuoteWithout(engine, lock);
      stats.delaySum += lock.delay;
      if (lock.amountOut > now) stats.beat++;
      if (now > 0n) stats.bpsSum += (Number(lock.amountOut) / Number(now) - 1) * 10_000;
      if (lock.amountOut >= now) {
        must("execute lock", engine.executeLock({ account: lock.account, lockId: lock.lockId }));
        stats.executed++;
      } else {
        must("cancel lock", engine.cancelLock({ account: lock.account, lockId: lock.lockId }));
        engine.swap({ account: lock.account, pool: UNI_POOL, tokenIn: lock.tokenIn, amountIn: lock.amountIn });
        stats.cancelled++;
      }
    }
  };

  const withLocks = replayUniswapEvents(lockEngine, events, undefined, (engine, swap) => {
    settle(engine, swap.swapIndex);
    const { lock, delay } = lockSelection(swap.swapIndex, percent);
    if (!lock) return engine.swap({ account: swap.account, pool: UNI_POOL, tokenIn: swap.tokenIn, amountIn: swap.amountIn });
    stats.lockSwaps++;
    const r = engine.acquireLock({ account: swap.account, pool: UNI_POOL, tokenIn: swap.tokenIn, amountIn: swap.amountIn, expiryMs: engine.timeMs + DAY_MS });
    if (r.status !== "accepted") {
      stats.acquireRejected++;
      stats.lockSwaps--;
      return engine.swap({ account: swap.account, pool: UNI_POOL, tokenIn: swap.tokenIn, amountIn: swap.amountIn });
    }
    const entry: PendingLock = { lockId: r.lockId, account: swap.account, tokenIn: swap.tokenIn, amountIn: swap.amountIn, amountOut: r.amountOut, due: swap.swapIndex + delay, delay };
    // Keep `pending` ordered by due swap, then acquisition (stable insert).
    let at = pending.length;
    while (at > 0 && (pending[at - 1] as PendingLock).due > entry.due) at--;
    pending.splice(at, 0, entry);
    return r;
  });
  settle(lockEngine, Number.MAX_SAFE_INTEGER);

  const lastSwap = [...events].reverse().find((e) => e.type === "SWAP");
  const price = lastSwap === undefined ? 0 : priceFromSqrtX96(lastSwap.sqrtPriceX96);
  const a = lpProfitUsd(instantEngine, price);
  const b = lpProfitUsd(lockEngine, price);
  return {
    percent,
    swaps: withLocks.swaps,
    lockSwaps: stats.lockSwaps,
    executed: stats.executed,
    cancelled: stats.cancelled,
    acquireRejected: stats.acquireRejected,
    beatExecutionPrice: stats.beat,
    beatRate: stats.lockSwaps === 0 ? 0 : stats.beat / stats.lockSwaps,
    lockVsExecutionBpsMean: stats.lockSwaps === 0 ? 0 : stats.bpsSum / stats.lockSwaps,
    meanDelaySwaps: stats.lockSwaps === 0 ? 0 : stats.delaySum / stats.lockSwaps,
    lpProfitUsd: { instantOnly: a, withLockSwaps: b, difference: b - a },
    priceDeviationBpsMean: { instantOnly: deviation(instant), withLockSwaps: deviation(withLocks) },
    conservationOk: instantEngine.checkConservation().ok && lockEngine.checkConservation().ok,
  };
}

/** What `lock.amountIn` would get by an instant swap now if `lock` were not open (base units). */
function instantQuoteWithout(engine: Engine, lock: PendingLock): bigint {
  const p = engine.getPool(UNI_POOL);
  if (p === undefined) throw new Error("lock replay: pool vanished");
  const zeroForOne = lock.tokenIn === p.token0;
  const [vin, vout] = zeroForOne
    ? virtualReserves(p.reserve0, p.reserve1, p.pending0 - lock.amountIn, p.owed1 - lock.amountOut)
    : virtualReserves(p.reserve1, p.reserve0, p.pending1 - lock.amountIn, p.owed0 - lock.amountOut);
  return vout <= 0n ? 0n : getAmountOut(lock.amountIn, vin, vout, p.feePpm);
}

/** uni:lp's pool claim + free balances − deposits to it, in USD at `price` (USD per ETH). */
function lpProfitUsd(engine: LpTrackingEngine, price: number): number {
  const p = engine.getPool(UNI_POOL);
  if (p === undefined) throw new Error("lock replay: pool vanished");
  const shares = engine.lpSharesOf(UNI_LP, UNI_POOL);
  const usdc = (shares * p.reserve0) / p.totalSupply + engine.balanceOf(UNI_LP, UNI_USDC);
  const weth = (shares * p.reserve1) / p.totalSupply + engine.balanceOf(UNI_LP, UNI_WETH);
  return Number(usdc - engine.lpUsdc) / 1e6 + (Number(weth - engine.lpWeth) / 1e18) * price;
}

/** An engine that counts what is deposited to uni:lp (the replay funds the LP only by deposits). */
class LpTrackingEngine extends Engine {
  lpUsdc = 0n;
  lpWeth = 0n;
  // A field, not a method: the engine's op methods are properties installed from the registry.
  override deposit = (p: Params<DepositOp>): Result<BalanceResult> => {
    const r = super.deposit(p);
    if (r.status === "accepted" && p.account === UNI_LP) {
      if (p.token === UNI_USDC) this.lpUsdc += p.amount;
      if (p.token === UNI_WETH) this.lpWeth += p.amount;
    }
    return r;
  };
}

function must(what: string, r: Result): void {
  if (r.status !== "accepted") throw new Error(`lock replay: ${what} rejected: ${r.code}: ${r.message}`);
}

function deviation(r: UniswapReport): number {
  return r.priceDeviationBpsMean;
}
