/**
 * Perpetual futures (dYdX V4 style): margin, the documented liquidation-price examples, funding,
 * liquidation with the insurance fund and deleveraging.
 */
import { describe, expect, it } from "vitest";
import { bankruptcyQuote, fillablePriceTicks } from "../src/core/perps/liquidation.js";
import { USDC, expectConserved, ok, perpEngine, perpOk, trader, usdcSection, usd8 } from "./perps.helpers.js";

describe("dYdX liquidation-price examples (v4 docs, concepts/trading/liquidations)", () => {
  // "Isolated Liquidation Price": deposit $1,000, short 3 ETH at $3,000, MMF 5% ⇒
  // p' = (e − s·p) / (|s|·MMF − s) = 10000 / 3.15 ≈ 3174.60; equity there ≈ 476.2 = 5% of notional.
  it("isolated: short 3 ETH at 3000 with $1000, MMF 5% ⇒ liquidation price 3174.60", () => {
    const { engine, setPrice } = perpEngine({ imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10 });
    trader(engine, "alice", 1000n * USDC);
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 3000 }));
    const sold = perpOk(engine.placeOrder({ account: "alice", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 3000, timeInForce: "IOC" }));
    expect(sold.position).toBe(-3000);
    expect(usdcSection(engine, "alice")).toMatchObject({ quoteBalance: 10_000n * USDC, equity: 1000n * USDC, maintenanceRequirement: 450n * USDC });

    setPrice("ETH-USD", "3174.60");
    // equity 10000 − 3·3174.60 = 476.20 ≥ MMR 3·3174.60·5% = 476.19
    expect(usdcSection(engine, "alice")).toMatchObject({ equity: 476_200_000n, maintenanceRequirement: 476_190_000n, liquidatable: false });
    expect(engine.liquidatePosition({ liquidator: "liquidator", account: "alice", market: "ETH-PERP" })).toMatchObject({
      status: "rejected",
      code: "NOT_LIQUIDATABLE",
    });
    setPrice("ETH-USD", "3174.61");
    // equity 476.17 < MMR 476.1915
    expect(usdcSection(engine, "alice")).toMatchObject({ equity: 476_170_000n, maintenanceRequirement: 476_191_500n, liquidatable: true });
    expectConserved(engine);
  });

  // "Cross Liquidation Price": $1,000; short 1.5 ETH at 3,000 (MMF 5%) and long 1,000 STRK at 1.75
  // (MMF 10%) ⇒ MMR_o = 175, p' = (1000 + 4500 − 175) / (1.5·0.05 + 1.5) ≈ 3380.95.
  it("cross: short 1.5 ETH at 3000 + long 1000 STRK at 1.75 with $1000 ⇒ ETH liquidation price 3380.95", () => {
    const { engine, setPrice } = perpEngine({ imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10 });
    ok(
      engine.createPerpMarket({
        market: "STRK-PERP",
        quote: "USDC",
        asset: "STRK-USD",
        assetDecimals: 18,
        lotSize: 10n ** 18n,
        tickSize: 100n,
        imfPpm: 200_000,
        mmfPpm: 100_000,
        maxLeverage: 5,
        makerFeePpm: 0,
        takerFeePpm: 0,
      }),
    );
    setPrice("STRK-USD", "1.75");
    trader(engine, "bob", 1000n * USDC);
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 1500 }));
    ok(engine.placeOrder({ account: "mm", market: "STRK-PERP", side: "sell", priceTicks: 17_500, lots: 1000 }));
    ok(engine.placeOrder({ account: "bob", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 1500, timeInForce: "IOC" }));
    ok(engine.placeOrder({ account: "bob", market: "STRK-PERP", side: "buy", priceTicks: 17_500, lots: 1000, timeInForce: "IOC" }));
    // Q = 1000 + 4500 − 1750; equity = Q + 1750 − 4500 = 1000; MMR = 225 + 175
    expect(usdcSection(engine, "bob")).toMatchObject({ quoteBalance: 3750n * USDC, equity: 1000n * USDC, maintenanceRequirement: 400n * USDC });

    setPrice("ETH-USD", "3380.95");
    // equity 5500 − 1.5·3380.95 = 428.575 ≥ MMR 0.075·3380.95 + 175 = 428.57125
    expect(usdcSection(engine, "bob")).toMatchObject({ equity: 428_575_000n, maintenanceRequirement: 428_571_250n, liquidatable: false });
    setPrice("ETH-USD", "3380.96");
    // equity 428.56 < MMR 428.572
    expect(usdcSection(engine, "bob")).toMatchObject({ equity: 428_560_000n, maintenanceRequirement: 428_572_000n, liquidatable: true });
    expectConserved(engine);
  });

  // v4-chain `GetBankruptcyPriceInQuoteQuantums`: bankruptcy quote = −DNNV − TNC·|DMMR|/TMMR. Worked
  // example: closing a 10-unit long at oracle 50,000 (DNNV = −500,000) with TNC = 30,000,
  // |DMMR| = 50,000 (MMF 10%) and TMMR = 100,000 ⇒ 500,000 − 15,000 = 485,000 (48,500 per unit).
  it("bankruptcy quote: 10 long at 50,000, TNC 30,000, DMMR 50,000, TMMR 100,000 ⇒ 485,000", () => {
    const { engine } = perpEngine({ imfPpm: 200_000, mmfPpm: 100_000, maxLeverage: 5 });
    const market = engine.state.perps.markets.get("ETH-PERP")!;
    const perLot = { num: 50_000n * USDC, den: 1n }; // one lot worth 50,000 USDC
    expect(bankruptcyQuote(perLot, market, false, 30_000n * USDC, 100_000n * USDC, 10)).toBe(485_000n * USDC);
    // closing a short (buying) pays −DNNV − TNC·|DMMR|/TMMR = −500,000 − 15,000
    expect(bankruptcyQuote(perLot, market, true, 30_000n * USDC, 100_000n * USDC, 10)).toBe(-515_000n * USDC);
    // Fillable price (docs): P·(1 − SMMR·MMF·BA·(1 − TNC/TMMR)) = 50,000·(1 − 1.5·0.1·0.7) = 44,750 per lot
    expect(fillablePriceTicks(market, perLot, false, 30_000n * USDC, 100_000n * USDC)).toBe(Number((44_750n * USDC) / market.tickSize));
  });
});

describe("margin checks", () => {
  it("rejects an order that would leave free collateral < 0 (INSUFFICIENT_MARGIN) or pass IMF but break maxLeverage (LEVERAGE_EXCEEDED)", () => {
    // IMF 5% (20x) but the channel caps leverage at 10x: the check uses max(5%, 10%) = 10%
    const { engine } = perpEngine({ imfPpm: 50_000, mmfPpm: 30_000, maxLeverage: 10 });
    trader(engine, "carol", 1000n * USDC);
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 10_000 }));
    // 3.4 ETH = 10,200 notional: IMR at 10% = 1,020 > 1,000 equity, at 5% = 510 ⇒ leverage cap
    const before = engine.stateRoot();
    expect(engine.placeOrder({ account: "carol", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 3400, timeInForce: "IOC" })).toMatchObject({
      status: "rejected",
      code: "LEVERAGE_EXCEEDED",
    });
    // 7 ETH = 21,000: IMR at 5% = 1,050 > 1,000 ⇒ margin
    expect(engine.placeOrder({ account: "carol", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 7000, timeInForce: "IOC" })).toMatchObject({
      status: "rejected",
      code: "INSUFFICIENT_MARGIN",
    });
    expect(engine.stateRoot()).toBe(before);
    // exactly 10x: 3.333 ETH = 9,999 notional, IMR 999.9 ≤ 1,000
    const r = perpOk(engine.placeOrder({ account: "carol", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 3333, timeInForce: "IOC" }));
    expect(r.position).toBe(3333);
    expect(usdcSection(engine, "carol")).toMatchObject({ equity: 1000n * USDC, effectiveInitialRequirement: 999_900_000n, freeCollateral: 100_000n });
    // withdrawing more than the free collateral is rejected; exactly it is accepted
    expect(engine.withdrawMargin({ account: "carol", token: "USDC", amount: 100_001n })).toMatchObject({ status: "rejected", code: "INSUFFICIENT_MARGIN" });
    ok(engine.withdrawMargin({ account: "carol", token: "USDC", amount: 100_000n }));
    // reducing the position is always allowed
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 299_000, lots: 1000 }));
    expect(ok(engine.closePosition({ account: "carol", market: "ETH-PERP", worstPriceTicks: 299_000 })).position).toBe(2333);
    expectConserved(engine);
  });

  it("cancels a resting maker order that fails its collateral check at match time", () => {
    const { engine, setPrice } = perpEngine({ imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10 });
    trader(engine, "dave", 300n * USDC);
    trader(engine, "erin", 10_000n * USDC);
    // dave bids 1 ETH at 3000: IMR 300 ≤ 300 at placement
    const bid = ok(engine.placeOrder({ account: "dave", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 1000 }));
    setPrice("ETH-USD", "2900"); // the same fill now leaves equity 200 below IMR 290
    const r = perpOk(engine.placeOrder({ account: "erin", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 1000, timeInForce: "IOC" }));
    expect(r.undercollateralizedCancelled).toEqual([bid.orderId]);
    expect(r.filledLots).toBe(0);
    expect(engine.getOrder("ETH-PERP", bid.orderId)).toBeUndefined();
    expectConserved(engine);
  });
});

describe("funding", () => {
  it("samples the premium from impact prices, clamps the 8h rate, and pays S·P·R/8 with floor rounding that conserves funds exactly", () => {
    const { engine } = perpEngine({ imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10 });
    trader(engine, "long1", 10_000n * USDC);
    trader(engine, "long2", 10_000n * USDC);
    trader(engine, "short1", 10_000n * USDC);
    // positions: long1 +1001 lots, long2 +333 lots, short1 −1334 lots (via the mm's book)
    ok(engine.placeOrder({ account: "short1", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 1334 }));
    ok(engine.placeOrder({ account: "long1", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 1001, timeInForce: "IOC" }));
    ok(engine.placeOrder({ account: "long2", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 333, timeInForce: "IOC" }));
    // The book: bids only (impact notional = 500 USDC / 10% = 5,000 USDC). Impact bid = 3030 (+1%
    // over the 3000 index); no asks ⇒ no impact ask term. Premium = +10,000 ppm.
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 303_000, lots: 5000 }));
    engine.advanceTime({ timeMs: 60_000 });
    const sample = ok(engine.updateFundingRate({ market: "ETH-PERP" }));
    expect(sample).toMatchObject({ premiumPpm: 10_000n, impactBidTicks: 303_000, impactAskTicks: null, indexTicks: 300_000, samples: 1 });
    expect(engine.updateFundingRate({ market: "ETH-PERP" })).toMatchObject({ status: "rejected", code: "FUNDING_NOT_DUE" });
    expect(engine.settleFunding({ market: "ETH-PERP" })).toMatchObject({ status: "rejected", code: "FUNDING_NOT_DUE" });
    engine.advanceTime({ timeMs: 120_000 });
    ok(engine.updateFundingRate({ market: "ETH-PERP" }));
    engine.advanceTime({ timeMs: 3_600_000 });

    const vault = engine.state.perps.vault.get("USDC");
    const quoteBefore = new Map(["long1", "long2", "short1"].map((a) => [a, usdcSection(engine, a).quoteBalance]));
    const s = ok(engine.settleFunding({ market: "ETH-PERP" }));
    // mean of two 10,000 ppm samples = 1% per 8h; clamp 600% × (10% − 5%) = 30% does not bind.
    expect(s.fundingRatePpm).toBe(10_000n);
    // one lot (0.001 ETH) at 3000 = 3 USDC = 3,000,000 units; per hour a long pays lots · 3e6 · 0.01 / 8 = lots · 3,750
    // long1: 1001 · 3,750 = 3,753,750 (exact); long2: 333 · 3,750 = 1,248,750; short1 receives 1334 · 3,750
    expect(s.payments).toEqual([
      { account: "long1", lots: 1001, amount: -3_753_750n },
      { account: "long2", lots: 333, amount: -1_248_750n },
      { account: "short1", lots: -1334, amount: 5_002_500n },
    ]);
    expect(s.paid).toBe(5_002_500n);
    expect(s.received).toBe(5_002_500n);
    expect(s.toInsuranceFund).toBe(0n);
    for (const p of s.payments) expect(usdcSection(engine, p.account).quoteBalance - quoteBefore.get(p.account)!).toBe(p.amount);
    expect(engine.state.perps.vault.get("USDC")).toBe(vault);
    expectConserved(engine);
  });

  it("rounds every account toward −∞ and gives the remainder to the insurance fund (never creates funds)", () => {
    const { engine, setPrice } = perpEngine({ imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10 });
    setPrice("ETH-USD", "3000.03"); // one lot = 3.00003 USDC: payments are not whole base units
    trader(engine, "a", 10_000n * USDC);
    trader(engine, "b", 10_000n * USDC);
    trader(engine, "c", 10_000n * USDC);
    ok(engine.placeOrder({ account: "a", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 7 }));
    ok(engine.placeOrder({ account: "b", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 6 }));
    ok(engine.placeOrder({ account: "c", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 13, timeInForce: "IOC" }));
    // Premium −0.7% from an impact ask at 2979.03 (index − 21 USD): shorts pay longs.
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "sell", priceTicks: 297_903, lots: 5000 }));
    engine.advanceTime({ timeMs: 60_000 });
    const sample = ok(engine.updateFundingRate({ market: "ETH-PERP" }));
    // (3000.03 − 2979.03) / 3000.03 = 0.0069999… ⇒ floored to 6999 ppm
    expect(sample.premiumPpm).toBe(-6999n);
    engine.advanceTime({ timeMs: 3_600_000 });
    const s = ok(engine.settleFunding({ market: "ETH-PERP" }));
    // per lot per hour: 3,000,030 · 6999 / 1e6 / 8 = 2,624.6512… units
    // a (−7 lots) pays ⌈18,372.56…⌉ = 18,373; b (−6) pays ⌈15,747.91…⌉ = 15,748; c (+13) gets ⌊34,120.47…⌋ = 34,120
    expect(s.payments).toEqual([
      { account: "a", lots: -7, amount: -18_373n },
      { account: "b", lots: -6, amount: -15_748n },
      { account: "c", lots: 13, amount: 34_120n },
    ]);
    expect(s.toInsuranceFund).toBe(1n);
    expect(s.paid).toBe(s.received + s.toInsuranceFund);
    expect(engine.insuranceFundOf("USDC")).toBe(1n);
    expectConserved(engine);
  });
});

describe("liquidation", () => {
  /** alice: long 1 ETH at 3000 on 400 USDC (7.5x), IMF 10%, MMF 5%; liquidity rests for her to be closed into. */
  function longAlice(insurance: bigint) {
    const setup = perpEngine({ imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10 });
    const { engine } = setup;
    trader(engine, "alice", 400n * USDC);
    trader(engine, "shorty", 100_000n * USDC);
    if (insurance > 0n) {
      ok(engine.deposit({ account: "mm", token: "USDC", amount: insurance }));
      ok(engine.fundInsurance({ account: "mm", token: "USDC", amount: insurance }));
    }
    ok(engine.placeOrder({ account: "shorty", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 1000 }));
    ok(engine.placeOrder({ account: "alice", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 1000, timeInForce: "IOC" }));
    return setup;
  }

  it("closes against the book within the fillable price and pays the capped penalty to the insurance fund", () => {
    const { engine, setPrice } = longAlice(0n);
    setPrice("ETH-USD", "2680"); // equity 400 − 320 = 80 < MMR 134
    expect(engine.liquidatePosition({ liquidator: "alice", account: "alice", market: "ETH-PERP" })).toMatchObject({ code: "NOT_PERMITTED" });
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 267_000, lots: 1000 }));
    const r = ok(engine.liquidatePosition({ liquidator: "liquidator", account: "alice", market: "ETH-PERP" }));
    // fillable = 2680 · (1 − 1.5 · 5% · (1 − 80/134)) = 2680 · (1 − 0.03022…) ⇒ 2599.00 (ceil to a tick)
    expect(r).toMatchObject({ equity: 80n * USDC, maintenanceRequirement: 134n * USDC, fillablePriceTicks: 259_900, filledLots: 1000, remainingLots: 0 });
    // bankruptcy quote = 2680 − 80 · 134/134 = 2600; sold at 2670 ⇒ Δ = 70, capped at 1.5% · 2670 = 40.05
    expect(r.penalty).toBe(40_050_000n);
    expect(engine.insuranceFundOf("USDC")).toBe(40_050_000n);
    // alice: Q = 400 − 3000 + 2670 − 40.05 = 29.95 and no position
    expect(usdcSection(engine, "alice")).toMatchObject({ quoteBalance: 29_950_000n, equity: 29_950_000n, positions: [] });
    expectConserved(engine);
  });

  it("lets the insurance fund cover a fill below the bankruptcy price", () => {
    const { engine, setPrice } = longAlice(1000n * USDC);
    setPrice("ETH-USD", "2620"); // equity 20 < MMR 131
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 251_000, lots: 1000 }));
    const r = ok(engine.liquidatePosition({ liquidator: "liquidator", account: "alice", market: "ETH-PERP" }));
    // fillable 2620 · (1 − 0.075 · 111/131) = 2453.49…; bankruptcy quote 2620 − 20 = 2600; filled at 2510 ⇒ IF pays 90
    expect(r).toMatchObject({ filledLots: 1000, insuranceCovered: 90n * USDC, penalty: 0n, deleveragedLots: 0 });
    expect(engine.insuranceFundOf("USDC")).toBe(910n * USDC);
    expect(usdcSection(engine, "alice")).toMatchObject({ quoteBalance: 0n, equity: 0n });
    expectConserved(engine);
  });

  it("deleverages against offsetting positions at the bankruptcy price when the insurance fund cannot cover", () => {
    const { engine, setPrice } = longAlice(50n * USDC);
    setPrice("ETH-USD", "2580"); // equity −20: bankrupt
    ok(engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 251_000, lots: 1000 }));
    const shortyBefore = usdcSection(engine, "shorty").quoteBalance;
    const r = ok(engine.liquidatePosition({ liquidator: "liquidator", account: "alice", market: "ETH-PERP" }));
    // a fill at 2510 needs 2600 − 2510 = 90 > 50 in the fund ⇒ no book fill; deleverage 1000 lots
    // against shorty at the bankruptcy quote 2580 − (−20) = 2600
    expect(r).toMatchObject({ filledLots: 0, deleveragedLots: 1000, deleveraging: [{ account: "shorty", lots: 1000, quote: 2600n * USDC }] });
    expect(usdcSection(engine, "alice")).toMatchObject({ quoteBalance: 0n, positions: [] });
    expect(usdcSection(engine, "shorty").quoteBalance).toBe(shortyBefore - 2600n * USDC);
    expect(engine.state.perps.markets.get("ETH-PERP")!.positions.size).toBe(0);
    expect(engine.insuranceFundOf("USDC")).toBe(50n * USDC); // untouched: never negative
    expectConserved(engine);
  });
});

describe("exit root", () => {
  it("pays max(0, equity) at the index price; a loss the insurance fund cannot absorb is shared pro rata, so claims never exceed the vault", () => {
    const { engine, setPrice } = perpEngine({ imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10 });
    trader(engine, "alice", 400n * USDC);
    trader(engine, "shorty", 100_000n * USDC);
    ok(engine.placeOrder({ account: "shorty", market: "ETH-PERP", side: "sell", priceTicks: 300_000, lots: 1000 }));
    ok(engine.placeOrder({ account: "alice", market: "ETH-PERP", side: "buy", priceTicks: 300_000, lots: 1000, timeInForce: "IOC" }));
    setPrice("ETH-USD", "2500"); // alice: 400 − 500 = −100, not liquidated yet; the insurance fund is empty
    const claims = new Map(engine.exitLeaves().filter((l) => l.token === "USDC").map((l) => [l.account, l.amount]));
    // vault 10,100,400 USDC; positive equities 10,000,000 (mm) + 100,500 (shorty) ⇒ scaled by 10,100,400 / 10,100,500
    expect(claims.get("alice")).toBeUndefined();
    expect(claims.get("shorty")).toBe(100_499_004_999n);
    expect(claims.get("mm")).toBe(9_999_900_995_000n);
    expect(claims.get("protocol")).toBeUndefined();
    expect([...claims.values()].reduce((a, b) => a + b, 0n)).toBeLessThanOrEqual(engine.state.perps.vault.get("USDC")!);
    expectConserved(engine);
  });
});

describe("units", () => {
  it("usd8 parses the oracle's 8-decimal unit", () => {
    expect(usd8("3174.6")).toBe(317_460_000_000n);
  });
});
