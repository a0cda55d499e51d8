/**
 * Lock-swaps (src/core/amm/lockswap.ts), worked cases with exact values:
 *  - a 1000 WETH / 2,000,000 USDC pool at 3000 ppm: locks in both directions, an instant swap between
 *    them, execute/cancel in another order than acquired (literal amounts to the base unit);
 *  - the per-direction virtual pool against an independent reimplementation; B→A quotes use the B side
 *    (regression for DESIGN §6's known bug);
 *  - the drain attack on the naive design (min of actual and a mixed virtual pool): what it would pay
 *    out, and that ours stays solvent with K not decreased;
 *  - why DESIGN's `⌊R_X·R_Y/in⌋` alone is not enough (an instant swap overtaking a lock), and that
 *    R_0·R_1 may dip between two executes while the settled product does not;
 *  - instant swap at exactly the quoted amount succeeds, one base unit more is SLIPPAGE;
 *  - permissions, expiry at checkpoint time, limits, fee votes, state and exit roots;
 *  - routes: a 4-pool chain, a last leg that fails (nothing changes), and the op-level protocol
 *    (acquire hop by hop, cancel all on failure: balances exactly restored).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getAmountOut } from "../src/core/amm/math.js";
import { MAX_LOCK_DURATION_MS, MAX_OPEN_LOCKS_PER_OWNER } from "../src/core/amm/lockswap.js";
import { Engine } from "../src/core/engine.js";
import type { Result } from "../src/core/results.js";
import { parseScenario, runScenario, toJson, type StepOutput } from "../src/cli/scenario.js";

const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
const POOL = "WETH/USDC";

function ok<T extends object>(r: Result<T>): T {
  if (r.status !== "accepted") throw new Error(`expected accepted, got ${r.code}: ${r.message}`);
  return r;
}

function code(r: Result): string {
  return r.status === "rejected" ? r.code : "accepted";
}

/** 1000 WETH / 2,000,000 USDC at `feePpm` (WETH = token0), accounts lp, alice, bob, carol, eve. */
function wethUsdc(feePpm = 3000, extra: Record<string, unknown> = {}): Engine {
  const e = new Engine();
  ok(e.createToken({ symbol: "WETH", decimals: 18 }));
  ok(e.createToken({ symbol: "USDC", decimals: 6 }));
  for (const a of ["lp", "alice", "bob", "carol", "eve", "admin"]) {
    ok(e.createAccount({ account: a }));
    ok(e.deposit({ account: a, token: "WETH", amount: 10n ** 24n }));
    ok(e.deposit({ account: a, token: "USDC", amount: 10n ** 16n }));
  }
  ok(e.createPool({ pool: POOL, token0: "WETH", token1: "USDC", feePpm, ...extra }));
  ok(e.addLiquidity({ account: "lp", pool: POOL, amount0Desired: 1000n * E18, amount1Desired: 2_000_000n * E6 }));
  return e;
}

function pool(e: Engine, id = POOL): NonNullable<ReturnType<Engine["getPool"]>> {
  const p = e.getPool(id);
  if (p === undefined) throw new Error(`no pool ${id}`);
  return p;
}

/** Independent reimplementation of the quote: virtual pool of direction X→Y, then getAmountOut. */
function refQuote(rX: bigint, rY: bigint, sX: bigint, oX: bigint, amountIn: bigint, fee: bigint): bigint {
  const vin = rX + sX;
  const curve = (rX * rY) / vin;
  const vout = curve < rY - oX ? curve : rY - oX;
  return getAmountOut(amountIn, vin, vout, fee);
}

describe("worked case: 1000 WETH / 2,000,000 USDC at 3000 ppm", () => {
  it("locks both ways, an instant swap between them, executed/cancelled out of order", () => {
    const e = wethUsdc();
    // No lock open: V2 exact (Uniswap's reference value for 1 in on 1000/1000, scaled).
    const a = ok(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: 2000n * E6, expiryMs: 60_000 }));
    expect(a).toMatchObject({ lockId: "WETH/USDC#1", tokenOut: "WETH", amountOut: 996006981039903216n });
    expect(e.reservedOf("alice", "USDC")).toBe(2000n * E6);
    // Same direction: quoted as if alice's lock had executed: in = 2,002,000 USDC, out = ⌊R·R/in⌋ WETH.
    const b = ok(e.acquireLock({ account: "bob", pool: POOL, tokenIn: "USDC", amountIn: 2000n * E6, expiryMs: 60_000 }));
    expect(b.amountOut).toBe(994018940180455634n);
    expect(b.amountOut).toBe(refQuote(2_000_000n * E6, 1000n * E18, 2000n * E6, a.amountOut, 2000n * E6, 3000n));
    // Other direction: the USDC locks do not enter its quote (V2 exact on the actual reserves).
    const c = ok(e.acquireLock({ account: "carol", pool: POOL, tokenIn: "WETH", amountIn: E18, expiryMs: 60_000 }));
    expect(c.amountOut).toBe(1992013962n);
    expect(c.amountOut).toBe(getAmountOut(E18, 1000n * E18, 2_000_000n * E6, 3000n));
    // An instant swap is quoted after both open USDC locks (in = 2,004,000 USDC).
    const s = ok(e.swap({ account: "carol", pool: POOL, tokenIn: "USDC", amountIn: 2000n * E6 }));
    expect(s.amountOut).toBe(992036845613616152n);
    expect(pool(e)).toMatchObject({ pending0: E18, pending1: 4000n * E6, owed0: a.amountOut + b.amountOut, owed1: 1992013962n });
    // Out of order: bob executes, alice cancels, carol executes.
    expect(ok(e.executeLock({ account: "bob", lockId: b.lockId })).amountOut).toBe(994018940180455634n);
    expect(ok(e.cancelLock({ account: "alice", lockId: a.lockId }))).toMatchObject({ released: 2000n * E6, expired: false });
    expect(ok(e.executeLock({ account: "carol", lockId: c.lockId })).amountOut).toBe(1992013962n);
    expect(pool(e)).toMatchObject({
      reserve0: 999013944214205928214n,
      reserve1: 2002007986038n,
      pending0: 0n,
      pending1: 0n,
      owed0: 0n,
      owed1: 0n,
    });
    expect(e.reservedOf("alice", "USDC")).toBe(0n);
    expect(pool(e).reserve0 * pool(e).reserve1).toBeGreaterThan(1000n * E18 * 2_000_000n * E6);
    expect(e.checkConservation().ok).toBe(true);
  });

  it("an instant swap at exactly the quoted amount succeeds; one base unit more is SLIPPAGE", () => {
    const e = wethUsdc();
    ok(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: 50_000n * E6, expiryMs: 60_000 }));
    ok(e.acquireLock({ account: "bob", pool: POOL, tokenIn: "WETH", amountIn: 7n * E18, expiryMs: 60_000 }));
    const p = pool(e);
    const quoted = refQuote(p.reserve1, p.reserve0, p.pending1, p.owed0, 10_000n * E6, 3000n);
    const root = e.stateRoot();
    const tooMuch = e.swap({ account: "carol", pool: POOL, tokenIn: "USDC", amountIn: 10_000n * E6, minAmountOut: quoted + 1n });
    expect(tooMuch).toMatchObject({ status: "rejected", code: "SLIPPAGE" });
    expect(e.stateRoot()).toBe(root);
    expect(ok(e.swap({ account: "carol", pool: POOL, tokenIn: "USDC", amountIn: 10_000n * E6, minAmountOut: quoted })).amountOut).toBe(quoted);
    // The same for a lock's minAmountOut.
    const q2 = refQuote(pool(e).reserve1, pool(e).reserve0, pool(e).pending1, pool(e).owed0, 1000n * E6, 3000n);
    expect(code(e.acquireLock({ account: "eve", pool: POOL, tokenIn: "USDC", amountIn: 1000n * E6, minAmountOut: q2 + 1n, expiryMs: 9 }))).toBe("SLIPPAGE");
    expect(ok(e.acquireLock({ account: "eve", pool: POOL, tokenIn: "USDC", amountIn: 1000n * E6, minAmountOut: q2, expiryMs: 9 })).amountOut).toBe(q2);
  });
});

describe("the per-direction virtual pool", () => {
  it("B→A quotes use the B side (regression: never the A reserve for both directions)", () => {
    const e = wethUsdc();
    // Open locks in both directions, of very different sizes.
    const a1 = ok(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "WETH", amountIn: 300n * E18, expiryMs: 99 }));
    ok(e.acquireLock({ account: "bob", pool: POOL, tokenIn: "USDC", amountIn: 100_000n * E6, expiryMs: 99 }));
    const p = pool(e);
    const d = 5000n * E6;
    const ours = ok(e.acquireLock({ account: "carol", pool: POOL, tokenIn: "USDC", amountIn: d, expiryMs: 99 })).amountOut;
    // USDC→WETH: in = R_USDC + S_USDC, out = min(⌊R_WETH·R_USDC/in⌋, R_WETH − O_WETH).
    expect(ours).toBe(refQuote(p.reserve1, p.reserve0, p.pending1, p.owed0, d, 3000n));
    // The buggy variant (A's reserve and pending on the input side) would quote something else entirely.
    const buggy = refQuote(p.reserve0, p.reserve1, p.pending0, a1.amountOut, d, 3000n);
    expect(buggy).not.toBe(ours);
    // And WETH→USDC now uses the WETH side only.
    const q = pool(e);
    const w = ok(e.acquireLock({ account: "eve", pool: POOL, tokenIn: "WETH", amountIn: 2n * E18, expiryMs: 99 })).amountOut;
    expect(w).toBe(refQuote(q.reserve0, q.reserve1, q.pending0, q.owed1, 2n * E18, 3000n));
  });

  it("DESIGN's ⌊R_X·R_Y/in⌋ alone over-promises once an instant swap overtakes a lock; the min with R_Y − O_X keeps every lock payable", () => {
    const e = new Engine();
    ok(e.createToken({ symbol: "A", decimals: 18 }));
    ok(e.createToken({ symbol: "B", decimals: 18 }));
    for (const a of ["lp", "alice", "bob", "eve"]) {
      ok(e.createAccount({ account: a }));
      ok(e.deposit({ account: a, token: "A", amount: 10n ** 30n }));
      ok(e.deposit({ account: a, token: "B", amount: 10n ** 30n }));
    }
    ok(e.createPool({ pool: "A/B", token0: "A", token1: "B", feePpm: 3000 }));
    ok(e.addLiquidity({ account: "lp", pool: "A/B", amount0Desired: 1000n * E18, amount1Desired: 1000n * E18 }));
    const l1 = ok(e.acquireLock({ account: "alice", pool: "A/B", tokenIn: "A", amountIn: 100n * E18, expiryMs: 99 }));
    expect(l1.amountOut).toBe(90661089388014913158n);
    // bob's instant swap is priced after alice's lock but executes before it.
    expect(ok(e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: 100n * E18 })).amountOut).toBe(75549190327885001553n);
    const p = pool(e, "A/B");
    const vin = p.reserve0 + p.pending0;
    const designOut = (p.reserve0 * p.reserve1) / vin;
    const left = p.reserve1 - p.owed1;
    expect(designOut).toBe(847413242199438748576n);
    expect(left).toBe(833789720284100085289n);
    // A huge lock quoted on DESIGN's pool alone would be owed 13.6 B more than the pool holds.
    const huge = 10n ** 29n;
    expect(getAmountOut(huge, vin, designOut, 3000n) - left).toBe(13623511715781206919n);
    const ours = ok(e.acquireLock({ account: "eve", pool: "A/B", tokenIn: "A", amountIn: huge, expiryMs: 99 }));
    expect(ours.amountOut).toBe(833789710248516812488n);
    expect(pool(e, "A/B").reserve1 - pool(e, "A/B").owed1).toBe(10035583272801n);
    ok(e.executeLock({ account: "eve", lockId: ours.lockId }));
    ok(e.executeLock({ account: "alice", lockId: l1.lockId }));
    expect(pool(e, "A/B").reserve1).toBe(10035583272801n);
    expect(e.checkConservation().ok).toBe(true);
  });

  it("R_0·R_1 can dip between two executes (fixed prices, out of order) but never below the last lock-free product", () => {
    const e = new Engine();
    ok(e.createToken({ symbol: "A", decimals: 0 }));
    ok(e.createToken({ symbol: "B", decimals: 0 }));
    for (const a of ["lp", "alice", "bob"]) {
      ok(e.createAccount({ account: a }));
      ok(e.deposit({ account: a, token: "A", amount: 10n ** 6n }));
      ok(e.deposit({ account: a, token: "B", amount: 10n ** 6n }));
    }
    ok(e.createPool({ pool: "A/B", token0: "A", token1: "B", feePpm: 0 }));
    ok(e.addLiquidity({ account: "lp", pool: "A/B", amount0Desired: 2000n, amount1Desired: 2000n }));
    const l1 = ok(e.acquireLock({ account: "alice", pool: "A/B", tokenIn: "A", amountIn: 200n, expiryMs: 9 }));
    const l2 = ok(e.acquireLock({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: 200n, expiryMs: 9 }));
    expect([l1.amountOut, l2.amountOut]).toEqual([181n, 151n]);
    ok(e.executeLock({ account: "bob", lockId: l2.lockId }));
    expect(pool(e, "A/B").reserve0 * pool(e, "A/B").reserve1).toBe(2200n * 1849n); // 4,067,800
    ok(e.executeLock({ account: "alice", lockId: l1.lockId }));
    expect(pool(e, "A/B").reserve0 * pool(e, "A/B").reserve1).toBe(2400n * 1668n); // 4,003,200: dipped, ≥ 4,000,000
  });
});

describe("the drain attack (DESIGN §6)", () => {
  /**
   * The naive design: one virtual pool holding both directions' open locks, and quotes on
   * min(actual, virtual) per reserve. Returns what a lock of `d` X→Y would be quoted.
   */
  function naiveQuote(r: [bigint, bigint], s: [bigint, bigint], o: [bigint, bigint], xIs0: boolean, d: bigint): bigint {
    // virtual reserves if every open lock executes: R_0 + S_0 − O_0, R_1 + S_1 − O_1
    const v0 = r[0] + s[0] - o[0];
    const v1 = r[1] + s[1] - o[1];
    const m0 = r[0] < v0 ? r[0] : v0;
    const m1 = r[1] < v1 ? r[1] : v1;
    return xIs0 ? getAmountOut(d, m0, m1, 3000n) : getAmountOut(d, m1, m0, 3000n);
  }

  it("big lock one way, locks the other way, cancel the first, execute the rest: the naive design pays out the pool, ours stays solvent with K not decreased", () => {
    const e = wethUsdc();
    const k0 = pool(e).reserve0 * pool(e).reserve1;
    const attackerStart = { weth: e.balanceOf("eve", "WETH"), usdc: e.balanceOf("eve", "USDC") };
    // 1. A huge WETH→USDC lock (9000 WETH against a 1000 WETH pool).
    const big = ok(e.acquireLock({ account: "eve", pool: POOL, tokenIn: "WETH", amountIn: 9000n * E18, expiryMs: 99 }));
    // Naive model, from the same state: 5 USDC→WETH locks of 20,000 USDC against the distorted pool.
    let nr: [bigint, bigint] = [1000n * E18, 2_000_000n * E6];
    const ns: [bigint, bigint] = [9000n * E18, 0n];
    const no: [bigint, bigint] = [0n, big.amountOut];
    const naiveOuts: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const out = naiveQuote(nr, ns, no, false, 20_000n * E6);
      naiveOuts.push(out);
      ns[1] += 20_000n * E6;
      no[0] += out;
    }
    // Naive: cancel the big lock, execute the five.
    const naivePaid = naiveOuts.reduce((a, b) => a + b, 0n);
    nr = [nr[0] - naivePaid, nr[1] + 100_000n * E6];
    // The naive pool quotes USDC→WETH on (R_USDC − O_USDC, R_WETH): 100,000 USDC (fair value ≈ 48
    // WETH at 2000 USDC/WETH) take 387 WETH, and K falls by more than a third.
    expect(naiveOuts[0]).toBe(getAmountOut(20_000n * E6, 2_000_000n * E6 - big.amountOut, 1000n * E18, 3000n));
    expect(naivePaid).toBe(387358199303521949371n);
    expect(nr[0] * nr[1] * 3n).toBeLessThan(k0 * 2n);
    // Ours: the same five USDC→WETH locks are quoted on the USDC side only.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(ok(e.acquireLock({ account: "eve", pool: POOL, tokenIn: "USDC", amountIn: 20_000n * E6, expiryMs: 99 })).lockId);
    ok(e.cancelLock({ account: "eve", lockId: big.lockId }));
    let paid = 0n;
    for (const id of ids) paid += ok(e.executeLock({ account: "eve", lockId: id })).amountOut;
    const p = pool(e);
    // Exactly the USDC side's virtual pool, lock after lock (the WETH lock never entered it).
    let expected = 0n;
    for (let i = 0n; i < 5n; i++) expected += refQuote(2_000_000n * E6, 1000n * E18, i * 20_000n * E6, expected, 20_000n * E6, 3000n);
    expect(paid).toBe(expected);
    expect(paid).toBeLessThan(48n * E18); // 100,000 USDC buys < 48 WETH on a 2000 USDC/WETH pool
    expect(p.reserve0 * p.reserve1).toBeGreaterThanOrEqual(k0);
    expect(p.reserve0).toBe(1000n * E18 - paid);
    // The attacker is poorer at the price before the attack (it paid the fee and the price impact).
    const price = 2000n * E6; // USDC base units per WETH
    const before = attackerStart.usdc + (attackerStart.weth * price) / E18;
    const after = e.balanceOf("eve", "USDC") + (e.balanceOf("eve", "WETH") * price) / E18;
    expect(after).toBeLessThan(before);
    expect(e.checkConservation().ok).toBe(true);
  });
});

describe("permissions, expiry, limits", () => {
  it("policy off / allow-list / admin changes it; no admin ⇒ fixed", () => {
    const e = wethUsdc(3000, { lockPolicy: "allowList", lockAllowList: ["alice"], admin: "admin" });
    const lock = { pool: POOL, tokenIn: "USDC", amountIn: 1000n * E6, expiryMs: 10 };
    expect(code(e.acquireLock({ account: "alice", ...lock }))).toBe("accepted");
    expect(code(e.acquireLock({ account: "bob", ...lock }))).toBe("NOT_PERMITTED");
    expect(code(e.setLockPolicy({ account: "bob", pool: POOL, lockPolicy: "anybody" }))).toBe("NOT_PERMITTED");
    ok(e.setLockPolicy({ account: "admin", pool: POOL, lockPolicy: "off" }));
    expect(code(e.acquireLock({ account: "alice", ...lock }))).toBe("LOCKS_DISABLED");
    // Open locks are unaffected; instant swaps are too.
    expect(code(e.executeLock({ account: "alice", lockId: "WETH/USDC#1" }))).toBe("accepted");
    expect(code(e.swap({ account: "bob", pool: POOL, tokenIn: "USDC", amountIn: 1000n * E6 }))).toBe("accepted");
    ok(e.setLockPolicy({ account: "admin", pool: POOL, lockPolicy: "anybody" }));
    expect(code(e.acquireLock({ account: "bob", ...lock }))).toBe("accepted");
    const fixed = wethUsdc(3000, { lockPolicy: "off" });
    expect(code(fixed.setLockPolicy({ account: "admin", pool: POOL, lockPolicy: "anybody" }))).toBe("NOT_PERMITTED");
    expect(code(fixed.routeSwap({ account: "bob", route: [POOL], tokenIn: "USDC", amountIn: E6 }))).toBe("LOCKS_DISABLED");
    expect(code(fixed.createPool({ pool: "X", token0: "WETH", token1: "USDC", feePpm: 1, lockAllowList: ["x"] }))).toBe("INVALID_OP");
    expect(code(fixed.createPool({ pool: "X", token0: "WETH", token1: "USDC", feePpm: 1, lockPolicy: "some" as never }))).toBe("INVALID_OP");
    expect(code(fixed.createPool({ pool: "X", token0: "WETH", token1: "USDC", feePpm: 1, admin: "nobody" }))).toBe("UNKNOWN_ACCOUNT");
  });

  it("expiry at checkpoint time: execute before, anybody cancels after, advanceTime sweeps", () => {
    const e = wethUsdc();
    ok(e.advanceTime({ timeMs: 1000 }));
    expect(code(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: E6, expiryMs: 1000 }))).toBe("INVALID_OP");
    expect(code(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: E6, expiryMs: 1001 + MAX_LOCK_DURATION_MS }))).toBe("INVALID_OP");
    const a = ok(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: 5n * E6, expiryMs: 2000 }));
    const b = ok(e.acquireLock({ account: "bob", pool: POOL, tokenIn: "WETH", amountIn: E18, expiryMs: 3000 }));
    expect(code(e.cancelLock({ account: "bob", lockId: a.lockId }))).toBe("NOT_PERMITTED");
    expect(code(e.executeLock({ account: "bob", lockId: a.lockId }))).toBe("NOT_PERMITTED");
    // The op-level rules at expiry (advanceTime below also cancels expired locks itself, so through
    // ops these are reached only by an engine whose time moved without the sweep: set it directly).
    e.state.timeMs = 2000;
    expect(code(e.executeLock({ account: "alice", lockId: a.lockId }))).toBe("LOCK_EXPIRED");
    expect(ok(e.cancelLock({ account: "bob", lockId: a.lockId }))).toMatchObject({ released: 5n * E6, expired: true });
    expect(e.reservedOf("alice", "USDC")).toBe(0n);
    expect(ok(e.advanceTime({ timeMs: 2999 }))).toEqual({ status: "accepted", timeMs: 2999 });
    expect(code(e.executeLock({ account: "carol", lockId: b.lockId }))).toBe("NOT_PERMITTED");
    expect(ok(e.advanceTime({ timeMs: 3000 }))).toEqual({ status: "accepted", timeMs: 3000, expiredLocks: 1 });
    expect(code(e.executeLock({ account: "bob", lockId: b.lockId }))).toBe("UNKNOWN_LOCK");
    expect(e.reservedOf("bob", "WETH")).toBe(0n);
    expect(pool(e)).toMatchObject({ pending0: 0n, pending1: 0n, owed0: 0n, owed1: 0n });
    expect(code(e.cancelLock({ account: "bob", lockId: "nonsense" }))).toBe("UNKNOWN_LOCK");
    expect(code(e.cancelLock({ account: "bob", lockId: 7 as never }))).toBe("INVALID_ID");
  });

  it("open locks per owner are limited; a payOnExecute lock expires within 60 s and needs its input at execution", () => {
    const e = wethUsdc();
    for (let i = 0; i < MAX_OPEN_LOCKS_PER_OWNER; i++) ok(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: E6, expiryMs: 9 }));
    expect(code(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: E6, expiryMs: 9 }))).toBe("LIMIT_EXCEEDED");
    ok(e.createAccount({ account: "poor" }));
    expect(code(e.acquireLock({ account: "poor", pool: POOL, tokenIn: "USDC", amountIn: 10n * E6, expiryMs: 60_001, payOnExecute: true }))).toBe("INVALID_OP");
    const l = ok(e.acquireLock({ account: "poor", pool: POOL, tokenIn: "USDC", amountIn: 10n * E6, expiryMs: 60_000, payOnExecute: true }));
    expect(code(e.executeLock({ account: "poor", lockId: l.lockId }))).toBe("INSUFFICIENT_BALANCE");
    ok(e.deposit({ account: "poor", token: "USDC", amount: 10n * E6 }));
    expect(ok(e.executeLock({ account: "poor", lockId: l.lockId })).amountOut).toBe(l.amountOut);
    expect(e.balanceOf("poor", "WETH")).toBe(l.amountOut);
  });

  it("locks are in the state root and reserved input is in the exit root", () => {
    const e1 = wethUsdc();
    const e2 = wethUsdc();
    expect(e1.stateRoot()).toBe(e2.stateRoot());
    ok(e1.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: E6, expiryMs: 9 }));
    ok(e2.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: E6, expiryMs: 10 }));
    expect(e1.stateRoot()).not.toBe(e2.stateRoot());
    const exit = e1.exitLeaves().find((l) => l.account === "alice" && l.token === "USDC");
    expect(exit?.amount).toBe(10n ** 16n); // free + reserved: the lock is cancelled at close
  });
});

describe("LP-voted fees", () => {
  it("share-weighted lower median; non-voters vote the creation fee; balance changes re-weigh; open locks keep their price", () => {
    const e = wethUsdc();
    const lpShares = e.lpSharesOf("lp", POOL); // 44721359549994793 of 44721359549995793
    ok(e.addLiquidity({ account: "bob", pool: POOL, amount0Desired: 500n * E18, amount1Desired: 1_000_000n * E6 }));
    const bobShares = e.lpSharesOf("bob", POOL);
    expect(bobShares).toBe((500n * E18 * (lpShares + 1000n)) / (1000n * E18));
    const total = pool(e).totalSupply;
    const before = ok(e.acquireLock({ account: "alice", pool: POOL, tokenIn: "USDC", amountIn: 1000n * E6, expiryMs: 9 }));
    // bob (1/3) votes 10000: 2/3 still vote 3000 ⇒ 3000.
    expect(ok(e.voteFee({ account: "bob", pool: POOL, feePpm: 10_000 })).feePpm).toBe(3000n);
    // lp (≈2/3) votes 500 ⇒ cumulative at 500 is ≥ half ⇒ 500.
    expect(ok(e.voteFee({ account: "lp", pool: POOL, feePpm: 500 })).feePpm).toBe(500n);
    expect(total).toBe(lpShares + bobShares + 1000n);
    // The open lock keeps its amountOut; new quotes use 500 ppm.
    expect(e.getLock(before.lockId)?.amountOut).toBe(before.amountOut);
    const p = pool(e);
    const q = ok(e.acquireLock({ account: "carol", pool: POOL, tokenIn: "WETH", amountIn: E18, expiryMs: 9 })).amountOut;
    expect(q).toBe(refQuote(p.reserve0, p.reserve1, p.pending0, p.owed1, E18, 500n));
    // lp burns most of its shares: bob's 10000 now weighs more than half ⇒ 10000.
    ok(e.removeLiquidity({ account: "lp", pool: POOL, liquidity: (lpShares * 9n) / 10n }));
    expect(pool(e).feePpm).toBe(10_000n);
    // bob leaves entirely: his vote is dropped; lp's 500 against the 1000 locked shares ⇒ 500.
    ok(e.removeLiquidity({ account: "bob", pool: POOL, liquidity: bobShares }));
    expect(e.getLocks(POOL)?.feeVotes.map((v) => v.account)).toEqual(["lp"]);
    expect(pool(e).feePpm).toBe(500n);
    expect(code(e.voteFee({ account: "carol", pool: POOL, feePpm: 1 }))).toBe("NOT_PERMITTED");
    expect(code(e.voteFee({ account: "lp", pool: POOL, feePpm: 1_000_000 }))).toBe("INVALID_OP");
  });

  it("tie: exactly half the supply at the lower fee ⇒ the lower fee", () => {
    const e = new Engine();
    ok(e.createToken({ symbol: "A", decimals: 0 }));
    ok(e.createToken({ symbol: "B", decimals: 0 }));
    for (const a of ["x", "y"]) {
      ok(e.createAccount({ account: a }));
      ok(e.deposit({ account: a, token: "A", amount: 10n ** 9n }));
      ok(e.deposit({ account: a, token: "B", amount: 10n ** 9n }));
    }
    ok(e.createPool({ pool: "A/B", token0: "A", token1: "B", feePpm: 3000 }));
    ok(e.addLiquidity({ account: "x", pool: "A/B", amount0Desired: 2000n, amount1Desired: 2000n })); // x: 1000, locked: 1000
    ok(e.voteFee({ account: "x", pool: "A/B", feePpm: 100 }));
    expect(pool(e, "A/B").feePpm).toBe(100n); // 1000 of 2000 at 100: 2·1000 ≥ 2000
    ok(e.voteFee({ account: "x", pool: "A/B", feePpm: 5000 }));
    expect(pool(e, "A/B").feePpm).toBe(3000n); // 1000 locked at 3000 reach half first
  });
});

describe("routes", () => {
  /** T0..T4 and pools P1 (T0/T1) … P4 (T3/T4), each 10^24 / 2·10^24 (T4 side reversed in P4). */
  function chain(extraP4: Record<string, unknown> = {}): Engine {
    const e = new Engine();
    for (let i = 0; i < 5; i++) ok(e.createToken({ symbol: `T${i}`, decimals: 18 }));
    for (const a of ["lp", "trader"]) {
      ok(e.createAccount({ account: a }));
      for (let i = 0; i < 5; i++) ok(e.deposit({ account: a, token: `T${i}`, amount: 10n ** 27n }));
    }
    for (let i = 1; i <= 4; i++) {
      const [t0, t1] = i === 4 ? ["T4", "T3"] : [`T${i - 1}`, `T${i}`];
      ok(e.createPool({ pool: `P${i}`, token0: t0, token1: t1, feePpm: 3000, ...(i === 4 ? extraP4 : {}) }));
      ok(e.addLiquidity({ account: "lp", pool: `P${i}`, amount0Desired: 10n ** 24n, amount1Desired: 2n * 10n ** 24n }));
    }
    return e;
  }

  it("a 4-pool chain at 3000 ppm: each leg's output is the next leg's input", () => {
    const e = chain();
    const r = ok(e.routeSwap({ account: "trader", route: ["P1", "P2", "P3", "P4"], tokenIn: "T0", amountIn: 1000n * E18, minAmountOut: 1n }));
    const l1 = getAmountOut(1000n * E18, 10n ** 24n, 2n * 10n ** 24n, 3000n);
    const l2 = getAmountOut(l1, 10n ** 24n, 2n * 10n ** 24n, 3000n);
    const l3 = getAmountOut(l2, 10n ** 24n, 2n * 10n ** 24n, 3000n);
    const l4 = getAmountOut(l3, 2n * 10n ** 24n, 10n ** 24n, 3000n); // P4 holds T3 as token1
    expect(r.legs.map((l) => l.amountOut)).toEqual([l1, l2, l3, l4]);
    expect(r.legs.map((l) => l.lockId)).toEqual(["P1#1", "P2#1", "P3#1", "P4#1"]);
    expect([l1, l2, l3, l4]).toEqual([1992013962079806432986n, 3964202783336091666325n, 7873501828582289466612n, 3909595730296216171549n]);
    expect(r).toMatchObject({ tokenIn: "T0", tokenOut: "T4", amountIn: 1000n * E18, amountOut: l4 });
    expect(e.balanceOf("trader", "T4")).toBe(10n ** 27n + l4);
    expect(e.balanceOf("trader", "T1")).toBe(10n ** 27n);
    expect(e.checkConservation().ok).toBe(true);
  });

  it("a route whose last leg fails changes nothing (op), or is cancelled leg by leg (protocol): balances exactly restored", () => {
    const e = chain({ lockPolicy: "off" });
    const root = e.stateRoot();
    const r = e.routeSwap({ account: "trader", route: ["P1", "P2", "P3", "P4"], tokenIn: "T0", amountIn: 1000n * E18 });
    expect(r).toMatchObject({ status: "rejected", code: "LOCKS_DISABLED" });
    expect(r.status === "rejected" && r.message.startsWith("leg 3 (P4)")).toBe(true);
    expect(e.stateRoot()).toBe(root);
    expect(code(e.routeSwap({ account: "trader", route: ["P1", "P2", "P1"], tokenIn: "T0", amountIn: E18 }))).toBe("INVALID_OP");
    expect(code(e.routeSwap({ account: "trader", route: ["P1", "P2", "P3", "P4", "P3", "P2"], tokenIn: "T0", amountIn: E18 }))).toBe("INVALID_OP");
    expect(code(e.routeSwap({ account: "trader", route: ["P1", "P3"], tokenIn: "T0", amountIn: E18 }))).toBe("INVALID_OP");
    const ok3 = e.routeSwap({ account: "trader", route: ["P1", "P2", "P3"], tokenIn: "T0", amountIn: E18, minAmountOut: 10n ** 30n });
    expect(code(ok3)).toBe("SLIPPAGE");
    expect(e.stateRoot()).toBe(root);
    // The same protocol, op by op: acquire hop by hop, the last acquire fails, cancel all.
    const balances = (): bigint[] => ["T0", "T1", "T2", "T3", "T4"].flatMap((t) => [e.balanceOf("trader", t), e.reservedOf("trader", t)]);
    const start = balances();
    const pools = (): unknown[] => ["P1", "P2", "P3", "P4"].map((p) => ({ ...pool(e, p), locks: undefined, locksByOwner: undefined, lockSeq: undefined }));
    const poolsBefore = pools();
    const ids: string[] = [];
    let amount = 1000n * E18;
    let token = "T0";
    const next: Record<string, string> = { P1: "T1", P2: "T2", P3: "T3", P4: "T4" };
    let failed = "";
    for (const [k, p] of ["P1", "P2", "P3", "P4"].entries()) {
      const res = e.acquireLock({ account: "trader", pool: p, tokenIn: token, amountIn: amount, expiryMs: 60_000, payOnExecute: k > 0 });
      if (res.status === "rejected") {
        failed = res.code;
        break;
      }
      ids.push(res.lockId);
      amount = res.amountOut;
      token = next[p] as string;
    }
    expect(failed).toBe("LOCKS_DISABLED");
    expect(ids).toEqual(["P1#1", "P2#1", "P3#1"]);
    expect(e.reservedOf("trader", "T0")).toBe(1000n * E18);
    for (const id of ids.reverse()) ok(e.cancelLock({ account: "trader", lockId: id }));
    expect(balances()).toEqual(start);
    expect(pools()).toEqual(poolsBefore);
    expect(e.checkConservation().ok).toBe(true);
  });
});

describe("examples/lockswap.json (docs/scenarios.md shows this output)", () => {
  it("runs with the documented results", () => {
    const out: StepOutput[] = [];
    runScenario(parseScenario(readFileSync("examples/lockswap.json", "utf8")), (o) => out.push(JSON.parse(toJson(o)) as StepOutput));
    expect(out.map((o) => `${o.type}:${o.status}:${String(o["code"] ?? o["lockId"] ?? "")}`)).toEqual([
      "addLiquidity:accepted:",
      "addLiquidity:accepted:",
      "acquireLock:accepted:WETH/USDC#1",
      "acquireLock:accepted:WETH/USDC#2",
      "acquireLock:accepted:WETH/USDC#3",
      "swap:accepted:",
      "getLocks:accepted:",
      "executeLock:accepted:WETH/USDC#2",
      "cancelLock:rejected:NOT_PERMITTED",
      "cancelLock:accepted:WETH/USDC#1",
      "executeLock:accepted:WETH/USDC#3",
      "routeSwap:accepted:",
      "acquireLock:rejected:NOT_PERMITTED",
      "voteFee:accepted:",
      "acquireLock:accepted:WETH/USDC#5",
      "advanceTime:accepted:",
      "executeLock:rejected:UNKNOWN_LOCK",
      "getPool:accepted:",
      "getBalance:accepted:",
    ]);
    expect(out[2]).toMatchObject({ amountOut: "996006981039903216" });
    expect(out[3]).toMatchObject({ amountOut: "994018940180455634" });
    expect(out[4]).toMatchObject({ amountOut: "1992013962" });
    expect(out[5]).toMatchObject({ amountOut: "992036845613616152" });
    expect(out[6]).toMatchObject({ pending0: "1000000000000000000", pending1: "4000000000", owed0: "1990025921220358850", owed1: "1992013962" });
    expect(out[11]).toMatchObject({ amountOut: "991551200279280471", legs: [{ lockId: "DAI/USDC#1", amountOut: "1995011971" }, { lockId: "WETH/USDC#4" }] });
    expect(out[13]).toMatchObject({ vote: "1000", feePpm: "1000" });
    expect(out[14]).toMatchObject({ amountOut: "994041749341581866", expiryMs: 1000 });
    expect(out[15]).toMatchObject({ timeMs: 1000, expiredLocks: 1 });
    expect(out[17]).toMatchObject({ feePpm: "1000", reserve0: "998022393013926647743", reserve1: "2004002998009" });
    expect(out[18]).toMatchObject({ free: "10000000000", reserved: "0" });
  });
});
