/**
 * The lock-swap replay (src/replay/uniswapLocks.ts) on the real Uniswap V3 USDC/WETH day: P% of the
 * swaps as lock-swaps settled 1..20 swaps later. Deterministic selection; both engines conserve;
 * every lock-swap is settled (executed or cancelled); P = 0 reproduces the instant-only replay.
 */
import { describe, expect, it } from "vitest";
import { defaultDataDir } from "../src/replay/paths.js";
import { loadUniswapEvents } from "../src/replay/uniswapData.js";
import { compareLockSwapEvents, lockSelection } from "../src/replay/uniswapLocks.js";

describe("lock-swap replay of the Uniswap day", () => {
  const events = loadUniswapEvents(defaultDataDir());

  it("selection is a fixed function of the swap index", () => {
    const picked = Array.from({ length: 1000 }, (_, i) => lockSelection(i, 25).lock).filter(Boolean).length;
    expect(picked).toBe(Array.from({ length: 1000 }, (_, i) => lockSelection(i, 25).lock).filter(Boolean).length);
    expect(picked).toBeGreaterThan(200);
    expect(picked).toBeLessThan(300);
    for (let i = 0; i < 1000; i++) {
      const d = lockSelection(i, 25).delay;
      expect(d >= 1 && d <= 20).toBe(true);
    }
  });

  it("P = 0 is the instant-only replay", () => {
    const r = compareLockSwapEvents(events.slice(0, 1500), 0);
    expect(r.lockSwaps).toBe(0);
    expect(r.lpProfitUsd.difference).toBe(0);
    expect(r.priceDeviationBpsMean.withLockSwaps).toBe(r.priceDeviationBpsMean.instantOnly);
  });

  it("P = 30 on the whole day: every lock settled, conservation, deterministic", () => {
    const r = compareLockSwapEvents(events, 30);
    expect(r.conservationOk).toBe(true);
    expect(r.lockSwaps).toBeGreaterThan(0.25 * r.swaps);
    expect(r.executed + r.cancelled).toBe(r.lockSwaps);
    expect(r.beatExecutionPrice).toBeLessThanOrEqual(r.lockSwaps);
    expect(compareLockSwapEvents(events, 30)).toEqual(r);
  });
});
