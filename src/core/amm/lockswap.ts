/**
 * Lock-swaps, routes of locks and LP-voted fees (DESIGN §6; seed: Partisia's "Scalable DeFi").
 *
 * A **lock-swap** fixes a swap's price now; its holder executes it (or cancels it) later. Per pool:
 * actual reserves `(R_0, R_1)`; open locks `{id, owner, direction, amountIn, amountOut, expiry}`;
 * `S_X` = Σ amountIn of the open X→Y locks (`pending0`/`pending1`) and `O_X` = Σ amountOut they were
 * promised, in Y (`owed1` for 0→1 locks, `owed0` for 1→0 locks).
 *
 * ## Quote: the per-direction pessimistic virtual pool
 * For Δ of X in (X→Y): `in = R_X + S_X`, `out = min(⌊R_X·R_Y / in⌋, R_Y − O_X)`,
 * `amountOut = getAmountOut(Δ, in, out, fee)` (rounded down). Both terms of the `min` describe the
 * same direction only — "as if every open lock in the same direction executes and none in the other":
 * - `⌊R_X·R_Y/in⌋` is DESIGN §6's formula (the actual curve at the post-execution point, floored);
 * - `R_Y − O_X` is what actually remains of Y once every open X→Y lock has executed.
 * DESIGN's formula alone is unsafe: when a later same-direction trade executes *before* an older lock
 * (an instant swap, or locks executed out of order) the actual K jumps above the curve the older lock
 * was priced on, `⌊R_X·R_Y/in⌋` then exceeds `R_Y − O_X`, and a large new lock can be promised more Y
 * than the pool will hold (test/lockswap.test.ts shows the numbers). With the `min`, every new promise
 * is strictly below `R_Y − O_X`, so **payability** — `R_Y − O_X ≥ 1` and `R_X − O_Y ≥ 1`, i.e. every
 * open lock can be paid in every execute/cancel order — is preserved by every op. When no lock is open
 * in that direction (`S_X = 0`, hence `O_X = 0`) the virtual pool is the actual one: Uniswap V2 exact.
 *
 * The other direction's locks never enter the quote. Mixing them (the naive `min(actual, virtual)`
 * over a virtual pool holding both directions' locks) is the known drain: a big X→Y lock distorts the
 * virtual pool so that Y→X locks are quoted far too much X, then the first lock is cancelled.
 * Using R_X for both directions is the other known bug: a Y→X quote here always takes its `in` from
 * the Y side (`R_Y + S_Y`).
 *
 * ## K: what is monotone
 * Lock prices are fixed, so a lock executed after later same-direction trades pays out of the K those
 * trades added: R_0·R_1 can fall *between* two steps (test: locks executed in reverse order). What
 * holds, and what the property tests check: (1) every instant swap passes the V2 K check on the actual
 * reserves; (2) at every moment the settled product — R_0·R_1 after executing all, none, all-0→1 or
 * all-1→0 of the open locks — is at least the product at the last moment no lock was open (scaled per
 * LP share², so liquidity changes are comparable); in particular R_0·R_1/S² never decreases from one
 * lock-free moment to the next. Proof sketch: order all trades since that moment (executed and open)
 * by acquisition; each lock's virtual pool has `in ≥` and `out ≤` the reserves of that sequential
 * replay at its turn (its `in` counts every earlier same-direction lock not cancelled, and omits
 * opposite trades not yet executed; its `out ≤ R_Y − O_X` subtracts every earlier same-direction
 * promise and adds only executed opposite inputs), and getAmountOut is decreasing in `in` and
 * increasing in `out`, so each step of the replay passes the V2 K check.
 *
 * ## Liquidity while locks are open
 * Every possible outcome of the open locks (any subset executes, the rest cancel) leaves reserves in
 * `[R_X − O_Y, R_X + S_X]` for each token X. LP shares are priced at the end of that range that
 * favours the pool:
 * - **add** mints `min(a_0·T/(R_0+S_0), a_1·T/(R_1+S_1))` (T = total supply; the amounts themselves
 *   are the router's optimal pair at the actual ratio, so the price does not move). The joiner's claim
 *   on token X is then at most `a_X/(U_X + a_X)` of a reserve that is at most `U_X + a_X` in every
 *   outcome, i.e. never more than it paid in: it takes nothing from earlier LPs, in any outcome.
 * - **remove** pays `⌊l·(R_X − O_Y)/T⌋` of each token X. Remaining LPs then hold at least their
 *   pro-rata share of the actual reserve in every outcome, and the reserve left is at least
 *   `(T−l)/T·(R_X − O_Y) ≥ 1` above what the locks are owed: every lock stays payable in every
 *   execute/cancel order (checked again as an invariant). With no open locks both rules are V2's.
 * Lock holders are untouched either way: their amounts are fixed and stay payable.
 *
 * ## Fees voted by LPs
 * `voteFee {account, pool, feePpm}` records the LP's vote. The effective fee is the LP-share-weighted
 * **lower median**: votes sorted by fee, the smallest fee at which the cumulative weight reaches half
 * of the total supply (`2·cum ≥ T`). Every share that has not voted — including the MINIMUM_LIQUIDITY
 * locked at the first mint — votes the pool's creation fee. Weights are the voters' LP shares *now*:
 * the fee is recomputed at once after every voteFee, addLiquidity and removeLiquidity on the pool (a
 * voter whose shares reach 0 loses its vote). A changed fee applies to swaps and locks acquired after
 * it; open locks keep the amountOut they were quoted.
 *
 * ## Permissions, expiry, limits
 * Per pool `lockPolicy`: "off" (acquire rejected `LOCKS_DISABLED`), "anybody" (default), "allowList".
 * It is set by createPool (`lockPolicy`, `lockAllowList`, `admin`) and changed by `setLockPolicy` from
 * the pool's `admin` only. Locks expire at the engine's time (checkpoint time, `advanceTime`): a lock
 * executes only while `timeMs < expiryMs`; at `timeMs ≥ expiryMs` anybody may cancel it, and
 * `advanceTime` cancels every expired lock itself ({@link expireLocks}). Limits: at most
 * {@link MAX_OPEN_LOCKS_PER_POOL} open locks per pool and {@link MAX_OPEN_LOCKS_PER_OWNER} per owner
 * and pool, expiry at most {@link MAX_LOCK_DURATION_MS} ahead, routes of at most
 * {@link MAX_ROUTE_HOPS} pools, {@link MAX_ALLOW_LIST} allow-list entries, {@link MAX_FEE_VOTERS}
 * voters per pool.
 *
 * ## Griefing
 * The pessimistic quote is the price of safety: a large open lock makes every later quote in its
 * direction as bad as if it had executed. A prepaid lock ties up its owner's capital for that; a
 * `payOnExecute` lock (the later legs of a route, whose input is the earlier leg's output) does not,
 * so its expiry is capped at {@link MAX_UNFUNDED_LOCK_DURATION_MS}, and the per-owner and per-pool
 * limits bound how many there are. A pool that must not be exposed to this uses the allow-list
 * policy. (Between channels, a later leg's input is the certified receipt of the earlier leg's
 * output, credited before it executes: see `src/route/crossChannel.ts`, which also says why the 60 s
 * cap covers a two-channel route's checkpoint latency.)
 *
 * Rejection codes: INVALID_OP, INVALID_ID, INVALID_AMOUNT, UNKNOWN_ACCOUNT, UNKNOWN_POOL, UNKNOWN_TOKEN,
 * UNKNOWN_LOCK, LOCK_EXPIRED, LOCKS_DISABLED, NOT_PERMITTED, INSUFFICIENT_BALANCE,
 * INSUFFICIENT_LIQUIDITY, SLIPPAGE, OVERFLOW, LIMIT_EXCEEDED.
 */
import { invariant, reject } from "../errors.js";
import { credit, debit, lpSharesOf, release, reserve, spendReserved } from "../ledger.js";
import { MAX_UINT112, PPM } from "../math.js";
import type { Account, EngineState, Lock, LockPolicy, Pool } from "../state.js";
import { requireId, requireInt } from "../validate.js";

/** Most open locks one pool holds. */
export const MAX_OPEN_LOCKS_PER_POOL = 1024;
/** Most open locks one account holds on one pool. */
export const MAX_OPEN_LOCKS_PER_OWNER = 64;
/** Latest expiry of a new lock: 7 days after the engine's time, in ms. */
export const MAX_LOCK_DURATION_MS = 7 * 24 * 3600 * 1000;
/**
 * Latest expiry of a `payOnExecute` lock: 60 s after the engine's time. Such a lock needs no capital
 * now, yet weighs on the direction's quotes like any other (its amountIn counts in S); the short
 * window bounds how long a lock nobody paid for can do that (see the module doc, "Griefing").
 */
export const MAX_UNFUNDED_LOCK_DURATION_MS = 60_000;
/** Most pools in one route. */
export const MAX_ROUTE_HOPS = 5;
/** Most accounts on a pool's lock allow-list. */
export const MAX_ALLOW_LIST = 256;
/** Most distinct fee voters per pool. */
export const MAX_FEE_VOTERS = 256;

export const LOCK_POLICIES: readonly LockPolicy[] = ["off", "anybody", "allowList"];

export interface AcquireLockResult {
  lockId: string;
  tokenIn: string;
  tokenOut: string;
  /** Base units of tokenIn the lock pays when executed (reserved now unless payOnExecute). */
  amountIn: bigint;
  /** Base units of tokenOut the lock receives when executed, fixed now. */
  amountOut: bigint;
  expiryMs: number;
}

export interface ExecuteLockResult {
  lockId: string;
  tokenIn: string;
  tokenOut: string;
  amountIn: bigint;
  amountOut: bigint;
}

export interface CancelLockResult {
  lockId: string;
  /** Input returned to the owner's free balance (0 for a payOnExecute lock). */
  released: bigint;
  /** The lock had expired (anybody may cancel it then). */
  expired: boolean;
}

export interface RouteLeg {
  pool: string;
  lockId: string;
  tokenIn: string;
  tokenOut: string;
  amountIn: bigint;
  amountOut: bigint;
}

export interface RouteSwapResult {
  tokenIn: string;
  tokenOut: string;
  amountIn: bigint;
  amountOut: bigint;
  legs: RouteLeg[];
}

export interface VoteFeeResult {
  pool: string;
  /** The account's vote, ppm. */
  vote: bigint;
  /** The pool's effective fee after the vote, ppm. */
  feePpm: bigint;
}

/** A read-only copy of a pool's lock state (the `getLocks` query). */
export interface LockView {
  pool: string;
  lockPolicy: LockPolicy;
  lockAllowList: string[];
  admin: string | undefined;
  pending0: bigint;
  pending1: bigint;
  owed0: bigint;
  owed1: bigint;
  feePpm: bigint;
  baseFeePpm: bigint;
  feeVotes: { account: string; feePpm: bigint; shares: bigint }[];
  locks: Lock[];
}

/* ───────────────────────────── pure quoting ───────────────────────────── */

/**
 * The pessimistic virtual pool of one direction (module doc): `in = R_X + S_X`,
 * `out = min(⌊R_X·R_Y/in⌋, R_Y − O_X)` (rounded down: in favour of the pool).
 *
 * @param reserveIn R_X, reserveOut R_Y: actual reserves, base units
 * @param pendingIn S_X: Σ amountIn of open X→Y locks; owedOut O_X: Σ amountOut they were promised (in Y)
 * @returns `[in, out]` in base units (equal to `[R_X, R_Y]` when no X→Y lock is open)
 */
export function virtualReserves(reserveIn: bigint, reserveOut: bigint, pendingIn: bigint, owedOut: bigint): [bigint, bigint] {
  if (pendingIn === 0n) return [reserveIn, reserveOut - owedOut];
  const vin = reserveIn + pendingIn;
  const curve = (reserveIn * reserveOut) / vin;
  const left = reserveOut - owedOut;
  return [vin, curve < left ? curve : left];
}

/** The virtual pool of `pool` for a swap in direction `zeroForOne` (see {@link virtualReserves}). */
export function poolVirtualReserves(pool: Pool, zeroForOne: boolean): [bigint, bigint] {
  return zeroForOne
    ? virtualReserves(pool.reserve0, pool.reserve1, pool.pending0, pool.owed1)
    : virtualReserves(pool.reserve1, pool.reserve0, pool.pending1, pool.owed0);
}

/**
 * What an exact-input swap or lock of `amountIn` would get on `pool` now (base units of the output
 * token; 0 if the pool is empty or the output rounds to nothing). Uses the effective fee.
 */
export function quoteExactIn(pool: Pool, zeroForOne: boolean, amountIn: bigint): bigint {
  const [vin, vout] = poolVirtualReserves(pool, zeroForOne);
  if (vin <= 0n || vout <= 0n || amountIn <= 0n) return 0n;
  const withFee = amountIn * (PPM - pool.feePpm);
  return (withFee * vout) / (vin * PPM + withFee);
}

/**
 * Cancels every lock whose expiry has passed (`timeMs ≥ expiryMs`), in pool-creation then acquisition
 * order (cancels commute, so the order does not change the result). Called by `advanceTime` after it
 * moved the time; never rejects.
 *
 * @returns how many locks were cancelled
 */
export function expireLocks(state: EngineState): number {
  let expired = 0;
  for (const pool of state.pools.values()) {
    if (pool.locks.size === 0) continue;
    for (const lock of pool.locks.values()) {
      if (state.timeMs >= lock.expiryMs) {
        closeLock(state, pool, lock);
        expired++;
      }
    }
  }
  return expired;
}

/**
 * Validates a lock policy and its allow-list (createPool and setLockPolicy).
 * @returns `[policy, allow-list ids]`; policy defaults to "anybody"
 */
export function requireLockPolicy(policy: unknown, allowList: unknown): [LockPolicy, string[]] {
  const p = policy === undefined ? "anybody" : policy;
  if (typeof p !== "string" || !(LOCK_POLICIES as readonly string[]).includes(p)) {
    reject("INVALID_OP", `lockPolicy must be one of ${LOCK_POLICIES.join(", ")}`);
  }
  const ids: string[] = [];
  if (allowList !== undefined) {
    if (p !== "allowList") reject("INVALID_OP", `lockAllowList is only for lockPolicy "allowList"`);
    if (!Array.isArray(allowList)) reject("INVALID_OP", "lockAllowList must be an array of account ids");
    if (allowList.length > MAX_ALLOW_LIST) reject("LIMIT_EXCEEDED", `at most ${MAX_ALLOW_LIST} accounts on a lock allow-list`);
    for (const [i, id] of (allowList as unknown[]).entries()) ids.push(requireId(id, `lockAllowList[${i}]`));
  }
  return [p as LockPolicy, ids];
}

/**
 * Sets `pool.feePpm` to the share-weighted lower median of the votes (module doc). Votes of accounts
 * that no longer hold shares are dropped. Mutates; called after voteFee and liquidity changes.
 * O(voters · log voters), voters ≤ {@link MAX_FEE_VOTERS}.
 */
export function recomputeFee(state: EngineState, pool: Pool): void {
  if (pool.feeVotes.size === 0) {
    if (pool.feePpm !== pool.baseFeePpm) {
      pool.feePpm = pool.baseFeePpm;
      state.dirtyPools.add(pool);
    }
    return;
  }
  const weights: [bigint, bigint][] = [];
  let voted = 0n;
  for (const [voter, fee] of pool.feeVotes) {
    const account = state.accounts.get(voter);
    const shares = account === undefined ? 0n : lpSharesOf(account, pool.id);
    if (shares === 0n) {
      pool.feeVotes.delete(voter);
      continue;
    }
    weights.push([fee, shares]);
    voted += shares;
  }
  invariant(voted <= pool.totalSupply, `fee votes of ${pool.id} weigh more than the supply`);
  weights.push([pool.baseFeePpm, pool.totalSupply - voted]);
  weights.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let cum = 0n;
  let fee = pool.baseFeePpm;
  for (const [f, w] of weights) {
    cum += w;
    if (2n * cum >= pool.totalSupply) {
      fee = f;
      break;
    }
  }
  pool.feePpm = fee;
  state.dirtyPools.add(pool);
}

/* ───────────────────────────── queries and encoding ───────────────────────────── */

/** A copy of a pool's lock and fee state. */
export function lockView(state: EngineState, pool: Pool): LockView {
  return {
    pool: pool.id,
    lockPolicy: pool.lockPolicy,
    lockAllowList: [...pool.lockAllowList].sort(),
    admin: pool.admin,
    pending0: pool.pending0,
    pending1: pool.pending1,
    owed0: pool.owed0,
    owed1: pool.owed1,
    feePpm: pool.feePpm,
    baseFeePpm: pool.baseFeePpm,
    feeVotes: [...pool.feeVotes.keys()].sort().map((account) => {
      const a = state.accounts.get(account);
      return { account, feePpm: pool.feeVotes.get(account) as bigint, shares: a === undefined ? 0n : lpSharesOf(a, pool.id) };
    }),
    locks: [...pool.locks.values()].map((l) => ({ ...l })),
  };
}

/** The open lock `lockId`, or undefined. */
export function findLock(state: EngineState, lockId: string): Lock | undefined {
  const at = typeof lockId === "string" ? lockId.lastIndexOf("#") : -1;
  if (at <= 0) return undefined;
  return state.pools.get(lockId.slice(0, at))?.locks.get(lockId);
}

/**
 * Canonical text of a pool's lock/fee state for its state-root leaf, or "" when the pool has never
 * used any of it (so pools without locks keep the leaf text they had before lock-swaps existed).
 * Fields: base fee, policy, admin, sorted allow-list, lock sequence, S_0, S_1, O_0, O_1, every open
 * lock in acquisition order, sorted fee votes.
 */
export function encodeLockState(pool: Pool): string {
  if (
    pool.lockSeq === 0 &&
    pool.lockPolicy === "anybody" &&
    pool.admin === undefined &&
    pool.feeVotes.size === 0 &&
    pool.feePpm === pool.baseFeePpm
  ) {
    return "";
  }
  const locks = [...pool.locks.values()].map(
    (l) => `${l.id}:${l.owner}:${l.zeroForOne ? 1 : 0}:${l.amountIn}:${l.amountOut}:${l.expiryMs}:${l.prepaid ? 1 : 0}`,
  );
  const votes = [...pool.feeVotes.keys()].sort().map((k) => `${k}=${pool.feeVotes.get(k)}`);
  return [
    `lk:${pool.baseFeePpm}`,
    pool.lockPolicy,
    pool.admin ?? "",
    [...pool.lockAllowList].sort().join(","),
    pool.lockSeq,
    `${pool.pending0},${pool.pending1},${pool.owed0},${pool.owed1}`,
    locks.join(";"),
    votes.join(","),
  ].join("|");
}

/* ───────────────────────────── internals ───────────────────────────── */

/** true if `tokenIn` is token0 (direction 0→1). Rejects UNKNOWN_TOKEN / INVALID_OP. */
export function directionOf(state: EngineState, pool: Pool, tokenIn: unknown): boolean {
  if (tokenIn === pool.token0) return true;
  if (tokenIn === pool.token1) return false;
  requireId(tokenIn, "tokenIn");
  if (!state.tokens.has(tokenIn as string)) reject("UNKNOWN_TOKEN", `tokenIn: unknown token ${String(tokenIn)}`);
  return reject("INVALID_OP", `tokenIn ${String(tokenIn)} is not a token of pool ${pool.id} (${pool.token0}/${pool.token1})`);
}

/**
 * Checks that `actor` may lock `amountIn` on `pool` in this direction now and returns the quoted
 * amountOut. Everything a lock needs except the input balance and the caller's min.
 */
export function planLeg(state: EngineState, pool: Pool, actor: Account, zeroForOne: boolean, amountIn: bigint): bigint {
  if (pool.lockPolicy === "off") reject("LOCKS_DISABLED", `lock-swaps are switched off on pool ${pool.id}`);
  if (pool.lockPolicy === "allowList" && !pool.lockAllowList.has(actor.id)) {
    reject("NOT_PERMITTED", `${actor.id} is not on the lock allow-list of pool ${pool.id}`);
  }
  if (pool.locks.size >= MAX_OPEN_LOCKS_PER_POOL) reject("LIMIT_EXCEEDED", `pool ${pool.id} has ${MAX_OPEN_LOCKS_PER_POOL} open locks`);
  if ((pool.locksByOwner.get(actor.id) ?? 0) >= MAX_OPEN_LOCKS_PER_OWNER) {
    reject("LIMIT_EXCEEDED", `${actor.id} holds ${MAX_OPEN_LOCKS_PER_OWNER} open locks on pool ${pool.id}`);
  }
  if (pool.reserve0 === 0n) reject("INSUFFICIENT_LIQUIDITY", `pool ${pool.id} has no liquidity`);
  const reserveIn = zeroForOne ? pool.reserve0 : pool.reserve1;
  const pendingIn = zeroForOne ? pool.pending0 : pool.pending1;
  if (reserveIn + pendingIn + amountIn > MAX_UINT112) {
    reject("OVERFLOW", `reserve of ${zeroForOne ? pool.token0 : pool.token1} in ${pool.id} could exceed 2^112-1 once its locks execute`);
  }
  const amountOut = quoteExactIn(pool, zeroForOne, amountIn);
  if (amountOut === 0n) reject("INSUFFICIENT_LIQUIDITY", `${amountIn} in buys nothing on ${pool.id} (V2 INSUFFICIENT_OUTPUT_AMOUNT)`);
  return amountOut;
}

/** Records a lock (mutation; everything was validated). */
export function openLock(
  state: EngineState,
  pool: Pool,
  owner: Account,
  zeroForOne: boolean,
  amountIn: bigint,
  amountOut: bigint,
  expiryMs: number,
  prepaid: boolean,
): Lock {
  if (prepaid) reserve(state, owner, zeroForOne ? pool.token0 : pool.token1, amountIn);
  pool.lockSeq += 1;
  const lock: Lock = { id: `${pool.id}#${pool.lockSeq}`, owner: owner.id, zeroForOne, amountIn, amountOut, expiryMs, prepaid };
  pool.locks.set(lock.id, lock);
  pool.locksByOwner.set(owner.id, (pool.locksByOwner.get(owner.id) ?? 0) + 1);
  if (zeroForOne) {
    pool.pending0 += amountIn;
    pool.owed1 += amountOut;
  } else {
    pool.pending1 += amountIn;
    pool.owed0 += amountOut;
  }
  checkPayable(pool);
  state.dirtyPools.add(pool);
  return lock;
}

/** Executes an open lock (mutation; the owner's input is available). */
export function executeOpenLock(state: EngineState, pool: Pool, lock: Lock, owner: Account): void {
  const tokenIn = lock.zeroForOne ? pool.token0 : pool.token1;
  const tokenOut = lock.zeroForOne ? pool.token1 : pool.token0;
  if (lock.prepaid) spendReserved(state, owner, tokenIn, lock.amountIn);
  else debit(state, owner, tokenIn, lock.amountIn);
  forget(pool, lock);
  if (lock.zeroForOne) {
    pool.reserve0 += lock.amountIn;
    pool.reserve1 -= lock.amountOut;
  } else {
    pool.reserve1 += lock.amountIn;
    pool.reserve0 -= lock.amountOut;
  }
  checkPayable(pool);
  credit(state, owner, tokenOut, lock.amountOut);
  state.dirtyPools.add(pool);
}

/** Cancels an open lock (mutation): input back to the owner if it was reserved. */
export function closeLock(state: EngineState, pool: Pool, lock: Lock): void {
  const owner = state.accounts.get(lock.owner);
  invariant(owner !== undefined, `lock ${lock.id} has no owner account`);
  if (lock.prepaid) release(state, owner, lock.zeroForOne ? pool.token0 : pool.token1, lock.amountIn);
  forget(pool, lock);
  state.dirtyPools.add(pool);
}

function forget(pool: Pool, lock: Lock): void {
  pool.locks.delete(lock.id);
  const n = (pool.locksByOwner.get(lock.owner) ?? 0) - 1;
  if (n > 0) pool.locksByOwner.set(lock.owner, n);
  else pool.locksByOwner.delete(lock.owner);
  if (lock.zeroForOne) {
    pool.pending0 -= lock.amountIn;
    pool.owed1 -= lock.amountOut;
  } else {
    pool.pending1 -= lock.amountIn;
    pool.owed0 -= lock.amountOut;
  }
}

/**
 * Payability (module doc): all sums non-negative and each reserve at least 1 above what the locks
 * of the opposite direction are owed. A failure is an engine bug.
 */
export function checkPayable(pool: Pool): void {
  if (
    !(
      pool.pending0 >= 0n &&
      pool.pending1 >= 0n &&
      pool.owed0 >= 0n &&
      pool.owed1 >= 0n &&
      (pool.totalSupply === 0n || (pool.reserve0 - pool.owed0 >= 1n && pool.reserve1 - pool.owed1 >= 1n))
    )
  ) {
    invariant(false, `pool ${pool.id} cannot pay its open locks: reserves ${pool.reserve0}/${pool.reserve1}, owed ${pool.owed0}/${pool.owed1}`);
  }
}

export function requireLock(state: EngineState, value: unknown): [Pool, Lock] {
  if (typeof value !== "string" || value.length === 0 || value.length > 96) reject("INVALID_ID", "lockId must be a lock id <pool>#<n>");
  const lock = findLock(state, value);
  if (lock === undefined) reject("UNKNOWN_LOCK", `no open lock ${value}`);
  const pool = state.pools.get(value.slice(0, value.lastIndexOf("#")));
  invariant(pool !== undefined, `lock ${value} without its pool`);
  return [pool, lock];
}

export function requireExpiry(state: EngineState, value: unknown): number {
  const expiry = requireInt(value, "expiryMs", 0, Number.MAX_SAFE_INTEGER);
  if (expiry <= state.timeMs) reject("INVALID_OP", `expiryMs ${expiry} must be after the engine's time ${state.timeMs} ms`);
  if (expiry - state.timeMs > MAX_LOCK_DURATION_MS) {
    reject("INVALID_OP", `expiryMs must be at most ${MAX_LOCK_DURATION_MS} ms (7 days) after the engine's time ${state.timeMs} ms`);
  }
  return expiry;
}

export function optionalFlag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") reject("INVALID_OP", `${field} must be a boolean`);
  return value;
}
