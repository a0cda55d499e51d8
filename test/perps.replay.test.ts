/**
 * The perpetuals replay on the June 2022 crash window (CoinGecko hourly, 1,911 → 896 USD, −27.8% in
 * one hour): liquidations, deleveraging, the insurance fund and conservation after every step; the
 * same ops give the same state root, and the journal replays to it.
 */
import { describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import { replayPerps } from "../src/replay/perps.js";
import { defaultDataDir } from "../src/replay/paths.js";
import { loadPriceSegments } from "../src/replay/perpsData.js";

describe("perps replay on real prices", () => {
  it("June 2022 crash: liquidations, deleveraging, insurance fund never negative, conservation every step, deterministic", () => {
    const segments = loadPriceSegments(defaultDataDir()).filter((s) => s.id === "2022-06");
    const engine = new Engine({ journal: true });
    const report = replayPerps(engine, { dataDir: defaultDataDir(), segments });
    const s = report.segments[0]!;
    expect(s).toMatchObject({ steps: 362, priceStart: 1805.38, priceMin: 896.08, maxStepMovePct: 27.76, conservationOk: true, conservationChecks: 363 });
    // The run's own figures (deterministic): 104 liquidations, 10 liquidation ops that left lots open
    // (thin book, equity ≥ 0), 4 deleveraging matches (116.679 ETH) when the insurance fund could not
    // cover a fill below the bankruptcy price, no bad debt.
    expect(s).toMatchObject({
      positionsOpened: 282,
      liquidations: 104,
      liquidatedLots: 2_833_525,
      partialLiquidations: 10,
      deleveragingEvents: 4,
      deleveragedLots: 116_679,
      penaltiesToInsurance: 36_396_542_909n,
      insuranceCovered: 40_935_198_526n,
      badDebt: 0n,
      fundingSettlements: 228,
      fundingPaid: 1_382_747_993n,
      fundingRemainderToInsurance: 777n,
    });
    // 100,000 USDC seed + penalties − cover + funding remainder
    expect(report.insuranceFundEnd).toBe(100_000_000_000n + 36_396_542_909n - 40_935_198_526n + 777n);
    expect(report.conservationOk).toBe(true);
    const snapshot = { liquidations: s.liquidations, deleveragingEvents: s.deleveragingEvents, insuranceFundEnd: report.insuranceFundEnd };

    const again = new Engine();
    const second = replayPerps(again, { dataDir: defaultDataDir(), segments });
    expect({ liquidations: second.segments[0]!.liquidations, deleveragingEvents: second.segments[0]!.deleveragingEvents, insuranceFundEnd: second.insuranceFundEnd }).toEqual(snapshot);
    expect(again.stateRoot()).toBe(engine.stateRoot());
    expect(again.exitRoot()).toBe(engine.exitRoot());
    expect(Engine.replay(engine.journal!).stateRoot()).toBe(engine.stateRoot());
    // the exit root's perps claims never exceed what the module holds
    const usdcClaims = engine.exitLeaves().filter((l) => l.token === "USDC").reduce((n, l) => n + l.amount, 0n);
    const report2 = engine.checkConservation().tokens.find((t) => t.token === "USDC")!;
    expect(usdcClaims).toBeLessThanOrEqual(report2.expected);
  });
});
