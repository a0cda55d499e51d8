/**
 * AMM unit and property tests: Uniswap V2's own reference values, MINIMUM_LIQUIDITY and the √ first
 * mint, ppm ≡ 997/1000, getAmountIn/getAmountOut round trips, rejections that leave the state exactly
 * as it was, K never decreasing, and conservation after every op of random op sequences.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getAmountIn, getAmountOut, MINIMUM_LIQUIDITY, quote } from "../src/core/amm/math.js";
import { Engine } from "../src/core/engine.js";
import { MAX_AMOUNT, MAX_UINT112 } from "../src/core/math.js";
import type { Result } from "../src/core/results.js";
import { defaultDataDir } from "../src/replay/paths.js";
import { priceChartSvg, replayUniswapEvents, type UniswapReport } from "../src/replay/uniswap.js";
import { loadUniswapEvents, parseUniswapTicks } from "../src/replay/uniswapData.js";

const E18 = 10n ** 18n;

/** UniswapV2Library with its literal constants, to compare the ppm generalisation against. */
const v2Out = (i: bigint, rIn: bigint, rOut: bigint): bigint => (i * 997n * rOut) / (rIn * 1000n + i * 997n);
const v2In = (o: bigint, rIn: bigint, rOut: bigint): bigint => (rIn * o * 1000n) / ((rOut - o) * 997n) + 1n;

/** Engine with tokens A/B, pool "A/B" (A = token0) at `feePpm`, and funded accounts alice, bob. */
function setup(feePpm = 3000, funds = 10n ** 30n): Engine {
  const e = new Engine();
  ok(e.createToken({ symbol: "A", decimals: 18 }));
  ok(e.createToken({ symbol: "B", decimals: 18 }));
  for (const account of ["alice", "bob"]) {
    ok(e.createAccount({ account }));
    ok(e.deposit({ account, token: "A", amount: funds }));
    ok(e.deposit({ account, token: "B", amount: funds }));
  }
  ok(e.createPool({ pool: "A/B", token0: "A", token1: "B", feePpm }));
  return e;
}

function ok<T extends object>(r: Result<T>): T {
  if (r.status !== "accepted") throw new Error(`expected accepted, got ${r.code}: ${r.message}`);
  return r;
}

/** Everything observable about the engine (state root + the pool), to prove a rejection changed nothing. */
function snapshot(e: Engine): unknown {
  return { root: e.stateRoot(), pool: e.getPool("A/B"), a: e.balanceOf("alice", "A"), b: e.balanceOf("alice", "B") };
}

describe("Uniswap V2 arithmetic (src/core/amm/math.ts)", () => {
  // UniswapV2Pair.spec.ts getInputPrice cases: [swapAmount, token0Amount, token1Amount, expectedOutputAmount],
  // the first three ×1e18 (verified against the spec's text in @uniswap/v2-core's repository).
  const cases: [bigint, bigint, bigint, bigint][] = [
    [1n, 5n, 10n, 1662497915624478906n],
    [1n, 10n, 5n, 453305446940074565n],
    [2n, 5n, 10n, 2851015155847869602n],
    [2n, 10n, 5n, 831248957812239453n],
    [1n, 10n, 10n, 906610893880149131n],
    [1n, 100n, 100n, 987158034397061298n],
    [1n, 1000n, 1000n, 996006981039903216n],
  ];
  it.each(cases)("getInputPrice %s in, reserves %s/%s → %s", (amount, r0, r1, expected) => {
    expect(getAmountOut(amount * E18, r0 * E18, r1 * E18, 3000n)).toBe(expected);
  });

  it("reproduces the getInputPrice cases through Engine.swap, with the spec's reserves afterwards", () => {
    for (const [amount, r0, r1, expected] of cases) {
      const e = setup();
      ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: r0 * E18, amount1Desired: r1 * E18 }));
      const r = ok(e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: amount * E18, minAmountOut: expected }));
      expect(r).toEqual({ status: "accepted", amountIn: amount * E18, amountOut: expected, tokenIn: "A", tokenOut: "B" });
      expect(e.getPool("A/B")).toMatchObject({ reserve0: (r0 + amount) * E18, reserve1: r1 * E18 - expected });
      expect(e.balanceOf("bob", "B")).toBe(10n ** 30n + expected);
    }
  });

  it("UniswapV2Pair.spec swap:token1: 1e18 of token1 into 5e18/10e18 pays 453305446940074565 of token0", () => {
    const e = setup();
    ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 5n * E18, amount1Desired: 10n * E18 }));
    const r = ok(e.swap({ account: "bob", pool: "A/B", tokenIn: "B", amountIn: E18 }));
    expect(r.amountOut).toBe(453305446940074565n);
    expect(e.getPool("A/B")).toMatchObject({ reserve0: 5n * E18 - 453305446940074565n, reserve1: 11n * E18 });
  });

  it("small and zero-output cases of the spec (reserves in wei): 1 wei into 1e18/1000e18 → 996; 10 into 1000e18/1e18 → 0", () => {
    expect(getAmountOut(1n, E18, 1000n * E18, 3000n)).toBe(996n);
    expect(getAmountOut(10n, 1000n * E18, E18, 3000n)).toBe(0n);
    expect(getAmountOut(100n, 1000n * E18, 1000n * E18, 3000n)).toBe(99n);
  });

  it("3000 ppm ≡ 997/1000 for getAmountOut and getAmountIn over the whole uint112 range", () => {
    const amt = fc.bigInt({ min: 1n, max: MAX_UINT112 });
    fc.assert(
      fc.property(amt, amt, amt, (x, rIn, rOut) => {
        expect(getAmountOut(x, rIn, rOut, 3000n)).toBe(v2Out(x, rIn, rOut));
        if (x < rOut) expect(getAmountIn(x, rIn, rOut, 3000n)).toBe(v2In(x, rIn, rOut));
      }),
      { numRuns: 2000 },
    );
  });

  // getAmountIn adds 1 unconditionally (V2), so when the exact input is an integer it asks 1 unit more:
  // the tight bound of the first round trip is x + 1, and it is reached (fast-check finds such cases).
  it("round trips favour the pool: getAmountIn(getAmountOut(x)) ≤ x + 1 and getAmountOut(getAmountIn(y)) ≥ y", () => {
    const amt = fc.bigInt({ min: 1n, max: 1n << 100n });
    fc.assert(
      fc.property(amt, amt, amt, fc.bigInt({ min: 0n, max: 999_999n }), (x, rIn, rOut, fee) => {
        const out = getAmountOut(x, rIn, rOut, fee);
        if (out > 0n) expect(getAmountIn(out, rIn, rOut, fee)).toBeLessThanOrEqual(x + 1n);
        if (x < rOut) {
          const paid = getAmountIn(x, rIn, rOut, fee);
          expect(getAmountOut(paid, rIn, rOut, fee)).toBeGreaterThanOrEqual(x);
          // and one unit less would not buy it
          if (paid > 1n) expect(getAmountOut(paid - 1n, rIn, rOut, fee)).toBeLessThanOrEqual(x);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("quote is UniswapV2Library.quote (floor(a·rB/rA))", () => {
    expect(quote(E18, 5n * E18, 10n * E18)).toBe(2n * E18);
    expect(quote(7n, 3n, 5n)).toBe(11n);
    expect(quote(1n, 3n, 2n)).toBe(0n);
  });

  it("throws RangeError on inputs the Solidity library would revert on", () => {
    expect(() => getAmountOut(0n, 1n, 1n, 3000n)).toThrow(RangeError);
    expect(() => getAmountOut(1n, 0n, 1n, 3000n)).toThrow(RangeError);
    expect(() => getAmountOut(1n, 1n, 0n, 3000n)).toThrow(RangeError);
    expect(() => getAmountOut(1n, 1n, 1n, 1_000_000n)).toThrow(RangeError);
    expect(() => getAmountOut(1n, 1n, 1n, -1n)).toThrow(RangeError);
    expect(() => getAmountIn(0n, 1n, 10n, 3000n)).toThrow(RangeError);
    expect(() => getAmountIn(10n, 1n, 10n, 3000n)).toThrow(RangeError);
    expect(() => getAmountIn(1n, 0n, 10n, 3000n)).toThrow(RangeError);
    expect(() => quote(0n, 1n, 1n)).toThrow(RangeError);
    expect(() => quote(1n, 0n, 1n)).toThrow(RangeError);
  });
});

describe("liquidity (UniswapV2Pair mint/burn + Router02 addLiquidity)", () => {
  it("first mint: 1e18/4e18 → totalSupply 2e18, 2e18 − 1000 to the minter, 1000 locked", () => {
    const e = setup();
    const r = ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: E18, amount1Desired: 4n * E18 }));
    expect(r).toEqual({ status: "accepted", amount0: E18, amount1: 4n * E18, liquidity: 2n * E18 - MINIMUM_LIQUIDITY });
    expect(MINIMUM_LIQUIDITY).toBe(1000n);
    expect(e.getPool("A/B")).toMatchObject({ reserve0: E18, reserve1: 4n * E18, totalSupply: 2n * E18 });
    expect(e.lpSharesOf("alice", "A/B")).toBe(2n * E18 - 1000n);
    expect(e.balanceOf("alice", "A")).toBe(10n ** 30n - E18);
  });

  it("UniswapV2Pair.spec burn: 3e18/3e18, burn all → 3e18 − 1000 each back, 1000 of each stay with the locked supply", () => {
    const e = setup();
    ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 3n * E18, amount1Desired: 3n * E18 }));
    const r = ok(e.removeLiquidity({ account: "alice", pool: "A/B", liquidity: 3n * E18 - 1000n }));
    expect(r).toEqual({ status: "accepted", amount0: 3n * E18 - 1000n, amount1: 3n * E18 - 1000n, liquidity: 3n * E18 - 1000n });
    expect(e.getPool("A/B")).toMatchObject({ reserve0: 1000n, reserve1: 1000n, totalSupply: 1000n });
    expect(e.lpSharesOf("alice", "A/B")).toBe(0n);
    expect(e.balanceOf("alice", "A")).toBe(10n ** 30n - 1000n);
  });

  it("later mints take the router's optimal amounts and mint min(a0·S/r0, a1·S/r1)", () => {
    const e = setup();
    ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 10n * E18, amount1Desired: 40n * E18 }));
    // desired 1e18/10e18: quote(1e18) = 4e18 ≤ 10e18 → (1e18, 4e18); S = 20e18 → mints 2e18.
    expect(ok(e.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: E18, amount1Desired: 10n * E18 }))).toMatchObject({
      amount0: E18,
      amount1: 4n * E18,
      liquidity: 2n * E18,
    });
    // desired 10e18/4e18: quote(10e18) = 40e18 > 4e18 → (quote(4e18 of B) = 1e18, 4e18).
    expect(ok(e.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: 10n * E18, amount1Desired: 4n * E18 }))).toMatchObject({
      amount0: E18,
      amount1: 4n * E18,
      liquidity: 2n * E18,
    });
    expect(e.getPool("A/B")).toMatchObject({ reserve0: 12n * E18, reserve1: 48n * E18, totalSupply: 24n * E18 });
  });

  it("a mint whose optimal amounts round to nothing is INSUFFICIENT_LIQUIDITY, like the pair", () => {
    const e = setup();
    ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 10n ** 6n, amount1Desired: 10n ** 12n }));
    const before = snapshot(e);
    expect(e.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: 10n ** 6n, amount1Desired: 1n })).toMatchObject({
      status: "rejected",
      code: "INSUFFICIENT_LIQUIDITY",
    });
    expect(snapshot(e)).toEqual(before);
  });
});

describe("rejections leave the state exactly as it was", () => {
  function seeded(): Engine {
    const e = setup();
    ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 5n * E18, amount1Desired: 10n * E18 }));
    ok(e.createAccount({ account: "watcher", roles: ["Observer"] }));
    ok(e.deposit({ account: "watcher", token: "A", amount: E18 }));
    return e;
  }
  const out1e18 = 1662497915624478906n;
  const cases: [string, (e: Engine) => Result, string][] = [
    ["amountIn 0", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: 0n }), "INVALID_AMOUNT"],
    ["amountIn negative", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: -1n }), "INVALID_AMOUNT"],
    ["amountIn above 2^128-1", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: MAX_AMOUNT + 1n }), "INVALID_AMOUNT"],
    ["amountIn a number", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: 5 as unknown as bigint }), "INVALID_AMOUNT"],
    ["unknown pool", (e) => e.swap({ account: "bob", pool: "X/Y", tokenIn: "A", amountIn: E18 }), "UNKNOWN_POOL"],
    ["unknown account", (e) => e.swap({ account: "carol", pool: "A/B", tokenIn: "A", amountIn: E18 }), "UNKNOWN_ACCOUNT"],
    ["unknown token", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "Z", amountIn: E18 }), "UNKNOWN_TOKEN"],
    ["observer may not swap", (e) => e.swap({ account: "watcher", pool: "A/B", tokenIn: "A", amountIn: E18 }), "NOT_PERMITTED"],
    ["both amountIn and amountOut", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: E18, amountOut: 1n }), "INVALID_OP"],
    ["neither amountIn nor amountOut", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A" }), "INVALID_OP"],
    ["maxAmountIn with exact input", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: E18, maxAmountIn: E18 }), "INVALID_OP"],
    [
      "minAmountOut one unit over the output",
      (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: E18, minAmountOut: out1e18 + 1n }),
      "SLIPPAGE",
    ],
    [
      "maxAmountIn one unit under the input",
      (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountOut: out1e18, maxAmountIn: getAmountIn(out1e18, 5n * E18, 10n * E18, 3000n) - 1n }),
      "SLIPPAGE",
    ],
    ["exact output = reserve", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountOut: 10n * E18 }), "INSUFFICIENT_LIQUIDITY"],
    ["exact output > reserve", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountOut: 10n * E18 + 1n }), "INSUFFICIENT_LIQUIDITY"],
    ["output rounds to 0", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "B", amountIn: 1n }), "INSUFFICIENT_LIQUIDITY"],
    ["more than the balance", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: 10n ** 30n + 1n }), "INSUFFICIENT_BALANCE"],
    ["reserve above uint112", (e) => e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: MAX_UINT112 }), "INSUFFICIENT_BALANCE"],
    ["createPool duplicate id", (e) => e.createPool({ pool: "A/B", token0: "A", token1: "B", feePpm: 3000 }), "ALREADY_EXISTS"],
    ["createPool same tokens", (e) => e.createPool({ pool: "A/A", token0: "A", token1: "A", feePpm: 3000 }), "INVALID_OP"],
    ["createPool unknown token", (e) => e.createPool({ pool: "A/Z", token0: "A", token1: "Z", feePpm: 3000 }), "UNKNOWN_TOKEN"],
    ["createPool fee 1e6", (e) => e.createPool({ pool: "A/B2", token0: "A", token1: "B", feePpm: 1_000_000 }), "INVALID_OP"],
    ["createPool fee -1", (e) => e.createPool({ pool: "A/B2", token0: "A", token1: "B", feePpm: -1 }), "INVALID_OP"],
    ["createPool fee 2.5", (e) => e.createPool({ pool: "A/B2", token0: "A", token1: "B", feePpm: 2.5 }), "INVALID_OP"],
    ["createPool bad id", (e) => e.createPool({ pool: "", token0: "A", token1: "B", feePpm: 3000 }), "INVALID_ID"],
    [
      "addLiquidity amount1Min one unit over",
      (e) => e.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: E18, amount1Desired: 3n * E18, amount1Min: 2n * E18 + 1n }),
      "SLIPPAGE",
    ],
    [
      "addLiquidity amount0Min one unit over",
      (e) => e.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: 3n * E18, amount1Desired: 2n * E18, amount0Min: E18 + 1n }),
      "SLIPPAGE",
    ],
    ["addLiquidity zero", (e) => e.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: 0n, amount1Desired: E18 }), "INVALID_AMOUNT"],
    ["observer may not add liquidity", (e) => e.addLiquidity({ account: "watcher", pool: "A/B", amount0Desired: E18, amount1Desired: 2n * E18 }), "NOT_PERMITTED"],
    [
      "addLiquidity beyond the balance",
      (e) => e.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: 10n ** 30n, amount1Desired: 10n ** 31n }),
      "INSUFFICIENT_BALANCE",
    ],
    ["removeLiquidity more than held", (e) => e.removeLiquidity({ account: "bob", pool: "A/B", liquidity: 1n }), "INSUFFICIENT_BALANCE"],
    [
      "removeLiquidity amount0Min one unit over",
      (e) => e.removeLiquidity({ account: "alice", pool: "A/B", liquidity: 10n ** 12n, amount0Min: (10n ** 12n * 5n * E18) / 7071067811865475244n + 1n }),
      "SLIPPAGE",
    ],
  ];
  it.each(cases)("%s → %s", (_name, op, code) => {
    const e = seeded();
    const before = snapshot(e);
    const r = op(e);
    expect(r).toMatchObject({ status: "rejected", code });
    expect(snapshot(e)).toEqual(before);
  });

  it("the boundaries themselves are accepted: minAmountOut = output, maxAmountIn = input, amount1Min = optimal", () => {
    const e = seeded();
    ok(e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: E18, minAmountOut: out1e18 }));
    const f = seeded();
    const need = getAmountIn(out1e18, 5n * E18, 10n * E18, 3000n);
    expect(ok(f.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountOut: out1e18, maxAmountIn: need }))).toMatchObject({ amountIn: need });
    const g = seeded();
    ok(g.addLiquidity({ account: "bob", pool: "A/B", amount0Desired: E18, amount1Desired: 3n * E18, amount1Min: 2n * E18 }));
  });

  it("first mint of √(a0·a1) ≤ 1000 is INSUFFICIENT_LIQUIDITY; 1001 mints 1", () => {
    const e = setup();
    const before = snapshot(e);
    expect(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 1000n, amount1Desired: 1000n })).toMatchObject({
      status: "rejected",
      code: "INSUFFICIENT_LIQUIDITY",
    });
    expect(snapshot(e)).toEqual(before);
    expect(ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 1001n, amount1Desired: 1001n })).liquidity).toBe(1n);
  });

  it("a first deposit with a min above its desired amount is SLIPPAGE (stricter than Router02, which skips mins there)", () => {
    const e = setup();
    const before = snapshot(e);
    expect(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: E18, amount1Desired: E18, amount0Min: E18 + 1n })).toMatchObject({
      code: "SLIPPAGE",
    });
    expect(snapshot(e)).toEqual(before);
  });

  it("swaps on an empty pool are INSUFFICIENT_LIQUIDITY", () => {
    const e = setup();
    expect(e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: E18 })).toMatchObject({ code: "INSUFFICIENT_LIQUIDITY" });
    expect(e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountOut: 1n })).toMatchObject({ code: "INSUFFICIENT_LIQUIDITY" });
  });

  it("reserves above 2^112−1 are OVERFLOW (V2's uint112), on mint and on swap", () => {
    const e = setup(3000, 1n << 120n);
    const before = snapshot(e);
    expect(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: MAX_UINT112 + 1n, amount1Desired: E18 })).toMatchObject({
      code: "OVERFLOW",
    });
    expect(snapshot(e)).toEqual(before);
    ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: MAX_UINT112 - 10n, amount1Desired: MAX_UINT112 }));
    const mid = snapshot(e);
    expect(e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: 11n })).toMatchObject({ code: "OVERFLOW" });
    expect(snapshot(e)).toEqual(mid);
    ok(e.swap({ account: "bob", pool: "A/B", tokenIn: "A", amountIn: 10n }));
    expect(e.getPool("A/B")?.reserve0).toBe(MAX_UINT112);
  });

  it("a burn paying 0 of a token is INSUFFICIENT_LIQUIDITY (V2 INSUFFICIENT_LIQUIDITY_BURNED)", () => {
    const e = setup();
    ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 10n ** 6n, amount1Desired: 10n ** 24n }));
    const before = snapshot(e);
    expect(e.removeLiquidity({ account: "alice", pool: "A/B", liquidity: 1n })).toMatchObject({ code: "INSUFFICIENT_LIQUIDITY" });
    expect(snapshot(e)).toEqual(before);
  });
});

/* ─────────────── property tests over random op sequences ─────────────── */

type RandomOp =
  | { kind: "swapIn"; who: number; zeroForOne: boolean; frac: bigint; min: bigint }
  | { kind: "swapOut"; who: number; zeroForOne: boolean; frac: bigint; max: bigint }
  | { kind: "add"; who: number; a0: bigint; a1: bigint }
  | { kind: "remove"; who: number; frac: bigint }
  | { kind: "deposit"; who: number; token: number; amount: bigint }
  | { kind: "withdraw"; who: number; token: number; amount: bigint } // amount: ppm of the balance
  | { kind: "transfer"; who: number; to: number; token: number; amount: bigint }; // amount: ppm of the balance

const WHO = ["alice", "bob", "carol"] as const;
const TOKENS = ["A", "B"] as const;
const amountArb = fc.bigInt({ min: 0n, max: 10n ** 26n });
const fracArb = fc.bigInt({ min: 0n, max: 1_000_000n }); // ppm of a reserve or a holding; 0 ⇒ a bad (zero) amount
const who = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<RandomOp> = fc.oneof(
  fc.record({ kind: fc.constant("swapIn" as const), who, zeroForOne: fc.boolean(), frac: fracArb, min: fc.bigInt({ min: 0n, max: 10n ** 20n }) }),
  fc.record({ kind: fc.constant("swapOut" as const), who, zeroForOne: fc.boolean(), frac: fracArb, max: fc.bigInt({ min: 0n, max: 10n ** 26n }) }),
  fc.record({ kind: fc.constant("add" as const), who, a0: fracArb, a1: fracArb }),
  fc.record({ kind: fc.constant("remove" as const), who, frac: fracArb }),
  fc.record({ kind: fc.constant("deposit" as const), who, token: fc.integer({ min: 0, max: 1 }), amount: amountArb }),
  fc.record({ kind: fc.constant("withdraw" as const), who, token: fc.integer({ min: 0, max: 1 }), amount: fracArb }),
  fc.record({ kind: fc.constant("transfer" as const), who, to: who, token: fc.integer({ min: 0, max: 1 }), amount: fracArb }),
);

function applyRandom(e: Engine, op: RandomOp): Result {
  const pool = e.getPool("A/B");
  if (pool === undefined) throw new Error("no pool");
  const account = WHO[op.who] as string;
  switch (op.kind) {
    case "swapIn": {
      const held = e.balanceOf(account, op.zeroForOne ? "A" : "B");
      return e.swap({ account, pool: "A/B", tokenIn: op.zeroForOne ? "A" : "B", amountIn: (held * op.frac) / 1_000_000n, minAmountOut: op.min });
    }
    case "swapOut": {
      const reserveOut = op.zeroForOne ? pool.reserve1 : pool.reserve0;
      const amountOut = (reserveOut * op.frac) / 1_000_000n;
      return e.swap({ account, pool: "A/B", tokenIn: op.zeroForOne ? "A" : "B", amountOut, maxAmountIn: op.max });
    }
    case "add": // desired amounts as ppm of the account's balances
      return e.addLiquidity({
        account,
        pool: "A/B",
        amount0Desired: (e.balanceOf(account, "A") * op.a0) / 1_000_000n,
        amount1Desired: (e.balanceOf(account, "B") * op.a1) / 1_000_000n,
      });
    case "remove":
      return e.removeLiquidity({ account, pool: "A/B", liquidity: (e.lpSharesOf(account, "A/B") * op.frac) / 1_000_000n });
    case "deposit":
      return e.deposit({ account, token: TOKENS[op.token] as string, amount: op.amount });
    case "withdraw": {
      const token = TOKENS[op.token] as string;
      return e.withdraw({ account, token, amount: (e.balanceOf(account, token) * op.amount) / 1_000_000n });
    }
    case "transfer": {
      const token = TOKENS[op.token] as string;
      return e.transfer({ from: account, to: WHO[op.to] as string, token, amount: (e.balanceOf(account, token) * op.amount) / 1_000_000n });
    }
  }
}

function propertyEngine(feePpm: number): Engine {
  const e = new Engine();
  ok(e.createToken({ symbol: "A", decimals: 18 }));
  ok(e.createToken({ symbol: "B", decimals: 6 }));
  for (const account of WHO) {
    ok(e.createAccount({ account }));
    ok(e.deposit({ account, token: "A", amount: 10n ** 25n }));
    ok(e.deposit({ account, token: "B", amount: 10n ** 25n }));
  }
  ok(e.createPool({ pool: "A/B", token0: "A", token1: "B", feePpm }));
  ok(e.addLiquidity({ account: "alice", pool: "A/B", amount0Desired: 10n ** 21n, amount1Desired: 3n * 10n ** 15n }));
  return e;
}

describe("properties over random op sequences (fast-check)", () => {
  it("conservation holds after every op; a rejected op changes nothing; K = r0·r1 never decreases on a swap", () => {
    const acceptedByKind = new Map<string, number>();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.array(opArb, { minLength: 1, maxLength: 40 }), (feePpm, ops) => {
        const e = propertyEngine(feePpm);
        let accepted = 0;
        for (const op of ops) {
          const before = e.getPool("A/B");
          const rootBefore = e.stateRoot();
          const r = applyRandom(e, op);
          const after = e.getPool("A/B");
          if (before === undefined || after === undefined) throw new Error("no pool");
          if (r.status === "rejected") {
            expect(e.stateRoot()).toBe(rootBefore);
          } else {
            accepted++;
            acceptedByKind.set(op.kind, (acceptedByKind.get(op.kind) ?? 0) + 1);
            if (op.kind === "swapIn" || op.kind === "swapOut") {
              expect(after.reserve0 * after.reserve1).toBeGreaterThanOrEqual(before.reserve0 * before.reserve1);
              expect(after.totalSupply).toBe(before.totalSupply);
            }
          }
          expect(after.reserve0 > 0n && after.reserve1 > 0n).toBe(true);
          expect(after.totalSupply * after.totalSupply).toBeLessThanOrEqual(after.reserve0 * after.reserve1);
          const c = e.checkConservation();
          expect(c.violations).toEqual([]);
          expect(c.ok).toBe(true);
        }
        return accepted >= 0;
      }),
      { numRuns: 150 },
    );
    // The sequences must exercise every kind of op, not just be rejected.
    for (const kind of ["swapIn", "swapOut", "add", "remove", "deposit", "withdraw", "transfer"]) {
      expect(acceptedByKind.get(kind) ?? 0, kind).toBeGreaterThan(20);
    }
  });

  it("K grows by at least the fee share on exact-input swaps and LP shares are worth no less after swaps", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ zeroForOne: fc.boolean(), frac: fc.bigInt({ min: 1n, max: 1_000_000n }) }), { minLength: 1, maxLength: 30 }),
        (swaps) => {
          const e = propertyEngine(3000);
          for (const s of swaps) {
            const p = e.getPool("A/B");
            if (p === undefined) throw new Error("no pool");
            const amountIn = ((s.zeroForOne ? p.reserve0 : p.reserve1) * s.frac) / 1_000_000n + 1n;
            const r = e.swap({ account: "bob", pool: "A/B", tokenIn: s.zeroForOne ? "A" : "B", amountIn });
            const q = e.getPool("A/B");
            if (q === undefined) throw new Error("no pool");
            if (r.status === "accepted") {
              // V2's K check, literally: (r_in'·1000 − 3·in)·r_out'·1000 ≥ r_in·r_out·1000².
              const [rIn, rOut, nIn, nOut] = s.zeroForOne
                ? [p.reserve0, p.reserve1, q.reserve0, q.reserve1]
                : [p.reserve1, p.reserve0, q.reserve1, q.reserve0];
              expect((nIn * 1000n - 3n * amountIn) * nOut * 1000n).toBeGreaterThanOrEqual(rIn * rOut * 1_000_000n);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/* ─────────────── the Uniswap V3 day through the AMM (src/replay/uniswap*.ts) ─────────────── */

describe("Uniswap V3 USDC/WETH 2024-01-05 replay", () => {
  const events = loadUniswapEvents(defaultDataDir());

  it("parses every event of the tick file exactly", () => {
    expect(events.length).toBe(6234);
    const count = (t: string): number => events.filter((e) => e.type === t).length;
    expect([count("SWAP"), count("MINT"), count("BURN"), count("COLLECT")]).toEqual([6046, 54, 69, 65]);
    expect(events[0]).toMatchObject({
      block: 18937382,
      timestamp: Date.UTC(2024, 0, 5, 0, 0, 23) / 1000,
      type: "SWAP",
      sender: "0x3fc91a3afd70395cd496c647d5a6cc9d4b2b7fad",
      amount0: -22686110n,
      amount1: 10000000000000000n,
      totalLiquidity: 12453647101533358277n,
      sqrtPriceX96: 1662995104975155420368771254341874n,
      currentTick: 199045,
      liquidity: undefined,
    });
    const mint = events.find((e) => e.type === "MINT");
    expect(mint).toMatchObject({ tickLower: 199060, tickUpper: 199070, liquidity: 389297572651811471360n, amount0: 7589502067301n });
    expect(() => parseUniswapTicks("a,b\n")).toThrow(/header/);
  });

  it("replays every swap on a V2-exact pool seeded with the virtual reserves, next to other markets, deterministically", () => {
    const run = (): { engine: Engine; report: UniswapReport } => {
      const engine = new Engine();
      // Another market on the same engine: its token, account and pool must be untouched.
      ok(engine.createToken({ symbol: "USDC", decimals: 6 }));
      ok(engine.createToken({ symbol: "X", decimals: 6 }));
      ok(engine.createAccount({ account: "other" }));
      ok(engine.deposit({ account: "other", token: "USDC", amount: 5_000_000n }));
      ok(engine.deposit({ account: "other", token: "X", amount: 5_000_000n }));
      ok(engine.createPool({ pool: "USDC/X", token0: "USDC", token1: "X", feePpm: 3000 }));
      ok(engine.addLiquidity({ account: "other", pool: "USDC/X", amount0Desired: 2_000_000n, amount1Desired: 2_000_000n }));
      const progress: number[] = [];
      const report = replayUniswapEvents(engine, events, (done, total) => {
        expect(total).toBe(6234);
        progress.push(done);
      });
      expect(progress.at(-1)).toBe(6234);
      expect(engine.balanceOf("other", "USDC")).toBe(3_000_000n);
      expect(engine.getPool("USDC/X")).toMatchObject({ reserve0: 2_000_000n, reserve1: 2_000_000n });
      return { engine, report };
    };
    const { engine, report } = run();
    const Q96 = 1n << 96n;
    // x = ⌊L·2^96/√P⌋, y = ⌊L·√P/2^96⌋ of the first event.
    expect(report.seed).toEqual({
      usdc: ((12453647101533358277n * Q96) / 1662995104975155420368771254341874n).toString(),
      weth: ((12453647101533358277n * 1662995104975155420368771254341874n) / Q96).toString(),
      liquidity: "12453647101533358277",
      sqrtPriceX96: "1662995104975155420368771254341874",
    });
    expect(report.seed.usdc).toBe("593314780965830"); // ≈ 593M USDC of virtual reserve
    expect(report.swaps).toBe(6046);
    expect(report.accepted + report.rejected).toBe(6046);
    expect(report.accepted).toBeGreaterThan(6000);
    expect(report.points.length).toBe(6046);
    expect(report.mints + report.burns + report.liquiditySkipped).toBe(54 + 69);
    expect(report.collects).toBe(65);
    expect(report.senders).toBe(121);
    // First swap: the pool was seeded with the real state, so the prices agree to well under 0.01 bps.
    const p0 = report.points[0];
    expect(p0 && Math.abs(p0.replayPrice / p0.realPrice - 1) * 1e4).toBeLessThan(0.01);
    expect(p0?.realPrice).toBeCloseTo(2269.7458, 3);
    // Liquidity follows the real active liquidity: every L change of a mint/burn/tick crossing applied.
    expect({ mints: report.mints, burns: report.burns, skipped: report.liquiditySkipped }).toEqual({ mints: 40, burns: 34, skipped: 49 });
    expect(report.crossings).toBeGreaterThan(0);
    // …so our LP supply stays the real L (the seed made S = L): a frozen, 50×-too-deep pool fails this.
    const pool = engine.getPool("uni:USDC/WETH");
    const lastL = events[events.length - 1]?.totalLiquidity ?? 0n;
    // (Within 5%: same-block events do not chain L perfectly; measured 0.9944. Frozen was ~50x.)
    expect(pool !== undefined && Number(pool.totalSupply) / Number(lastL)).toBeCloseTo(1, 1);
    // The replayed price moves like the real one: its daily range is most of the real range.
    const range = (get: (p: { realPrice: number; replayPrice: number }) => number): number =>
      Math.max(...report.points.map(get)) - Math.min(...report.points.map(get));
    expect(range((p) => p.replayPrice) / range((p) => p.realPrice)).toBeGreaterThan(0.7);
    // Deviation (regression values; what remains comes from tick crossings inside a swap and V2 keeping fees in the pool).
    expect(report.priceDeviationBpsMean).toBeCloseTo(93.5, 1);
    expect(report.priceDeviationBpsMax).toBeCloseTo(222.83, 1);
    expect(engine.checkConservation().ok).toBe(true);
    // Same data ⇒ same state root.
    expect(run().engine.stateRoot()).toBe(engine.stateRoot());
    // Its ids are taken now: a second replay on the same engine fails loudly instead of mixing in.
    expect(() => replayUniswapEvents(engine, events)).toThrow(/ALREADY_EXISTS/);

    const svg = priceChartSvg(report);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    const polylines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => (m[1] ?? "").split(" ").length);
    expect(polylines).toEqual([6046, 6046]);
    expect(svg).toContain("USD per ETH");
  });
});
