/**
 * The Aave V3 Polygon day (2024-01-06) through our lending pool: every SUPPLY/WITHDRAW/BORROW/REPAY of
 * WETH and USDC.e, our indexes against Aave's published per-minute indexes. The bounds are the figures
 * this replay gives (regression bounds, a little above them), see src/replay/aave.ts for the seeding.
 */
import { describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import { AAVE_RESERVES, replayAave, utilizationFromRate } from "../src/replay/aave.js";
import { parseRayDecimal } from "../src/replay/aaveData.js";

describe("Aave V3 Polygon replay", () => {
  it("replays the day and tracks the published indexes to ~1e-5", () => {
    const engine = new Engine({ journal: true });
    const report = replayAave(engine);
    const [usdc, weth] = report.reserves;
    expect(usdc).toMatchObject({ asset: "aave:USDC.e", events: 880, accepted: 880, rejected: 0, owners: 318, minutes: 1440 });
    expect(weth).toMatchObject({ asset: "aave:WETH", events: 413, accepted: 413, rejected: 0, owners: 231, minutes: 1434 });
    // Aave's own consecutive updates through our index arithmetic: every borrow index to the wei.
    expect(usdc).toMatchObject({ indexTransitions: 1230, borrowIndexExact: 1230, liquidityIndexExact: 882 });
    expect(weth).toMatchObject({ indexTransitions: 444, borrowIndexExact: 444, liquidityIndexExact: 413 });
    // Seed utilisation from the first published borrow rate through the rate model.
    expect(usdc?.seedUtilizationRay).toBe(917_322_564n * 10n ** 18n);
    expect(weth?.seedUtilizationRay).toBe(229_420_966n * 10n ** 18n);
    // Figures obtained: USDC.e liquidity 1.015e-5 mean / 3.109e-5 max, borrow 1.889e-5 / 5.243e-5;
    // WETH liquidity 1.932e-6 / 5.665e-6, borrow 1.003e-9 / 2.118e-9.
    expect(usdc?.liquidityIndexRelErrorMean).toBeLessThan(1.1e-5);
    expect(usdc?.liquidityIndexRelErrorMax).toBeLessThan(3.2e-5);
    expect(usdc?.borrowIndexRelErrorMean).toBeLessThan(2.0e-5);
    expect(usdc?.borrowIndexRelErrorMax).toBeLessThan(5.3e-5);
    expect(weth?.liquidityIndexRelErrorMean).toBeLessThan(2.0e-6);
    expect(weth?.liquidityIndexRelErrorMax).toBeLessThan(5.7e-6);
    expect(weth?.borrowIndexRelErrorMean).toBeLessThan(1.1e-9);
    expect(weth?.borrowIndexRelErrorMax).toBeLessThan(2.2e-9);
    expect(report.conservationOk).toBe(true);
    expect(report.exitSolvent).toBe(true);
    // Deterministic: the journal re-applied reaches the same state root.
    expect(Engine.replay(engine.journal ?? []).stateRoot()).toBe(engine.stateRoot());
  }, 60_000);

  it("inverts the kinked model and parses published rays exactly", () => {
    const [usdc, weth] = AAVE_RESERVES;
    // USDC.e above the kink: 4% + 60% × (U − 90%)/10% = 10% ⇔ U = 91%.
    expect(utilizationFromRate(usdc!, 10n ** 26n)).toBeCloseTo(0.91, 12);
    // WETH below the kink: 1% + 3.3% × U/80% = 2.65% ⇔ U = 40%.
    expect(utilizationFromRate(weth!, 265n * 10n ** 23n)).toBeCloseTo(0.4, 12);
    expect(parseRayDecimal("1.050326923376189330551063654")).toBe(1_050_326_923_376_189_330_551_063_654n);
    expect(parseRayDecimal("0.09782062385907111890654821")).toBe(97_820_623_859_071_118_906_548_210n);
  });
});
