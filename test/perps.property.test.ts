/**
 * Properties of the perps module over random op sequences (fast-check): conservation after every op,
 * the insurance fund never negative, positions summing to zero, no accepted order opening past free
 * collateral (and so the leverage cap), and liquidations never leaving the account below what the
 * rules allow.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Engine } from "../src/core/engine.js";
import { requirement } from "../src/core/perps/margin.js";
import type { PerpLiquidationResult } from "../src/core/perps/liquidation.js";
import type { PerpOrderResult } from "../src/core/perps/orders.js";
import { indexPrice } from "../src/core/perps/price.js";
import { USDC, perpEngine, trader, usdcSection, usd8 } from "./perps.helpers.js";

const TRADERS = ["t0", "t1", "t2", "t3"];

const action = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("price" as const), bps: fc.integer({ min: -1500, max: 1500 }) }) },
  { weight: 5, arbitrary: fc.record({
    kind: fc.constant("order" as const),
    who: fc.integer({ min: 0, max: 3 }),
    buy: fc.boolean(),
    /** % of the size at which the trader's 2,000 USDC would be at the 20x cap. */
    sizePct: fc.integer({ min: 5, max: 130 }),
    offsetBps: fc.integer({ min: -300, max: 300 }),
    ioc: fc.boolean(),
  }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("quote" as const), spreadBps: fc.integer({ min: 1, max: 200 }), lots: fc.integer({ min: 1, max: 20_000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("liquidate" as const), who: fc.integer({ min: 0, max: 4 }), keeper: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("close" as const), who: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("withdraw" as const), who: fc.integer({ min: 0, max: 3 }), amount: fc.bigInt({ min: 1n, max: 5_000n * USDC }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("funding" as const), minutes: fc.integer({ min: 1, max: 90 }) }) },
);

function sumPositions(engine: Engine): number {
  let sum = 0;
  for (const lots of engine.state.perps.markets.get("ETH-PERP")!.positions.values()) sum += lots;
  return sum;
}

describe("perps properties", () => {
  it("conservation, insurance fund ≥ 0, Σ positions = 0, free collateral after opening, liquidation bound", () => {
    const seen = { fills: 0, marginRejections: 0, liquidations: 0, deleveraging: 0, insuranceCover: 0, fundingPayments: 0 };
    fc.assert(
      fc.property(fc.array(action, { minLength: 5, maxLength: 60 }), (actions) => {
        const { engine, setPrice } = perpEngine({ imfPpm: 50_000, mmfPpm: 30_000, maxLeverage: 20, takerFeePpm: 500, makerFeePpm: 100 });
        for (const id of TRADERS) trader(engine, id, 2_000n * USDC);
        trader(engine, "t4", 50_000n * USDC);
        ok(engine.deposit({ account: "mm", token: "USDC", amount: 5_000n * USDC }));
        ok(engine.fundInsurance({ account: "mm", token: "USDC", amount: 5_000n * USDC }));
        // a starting book: the market maker quotes 5 levels a side, 0.2% apart
        for (let i = 1; i <= 5; i++) {
          engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: 300_000 - 600 * i, lots: 3000 });
          engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "sell", priceTicks: 300_000 + 600 * i, lots: 3000 });
        }
        let priceE8 = usd8("3000");
        let timeMs = 0;
        const market = engine.state.perps.markets.get("ETH-PERP")!;
        for (const a of actions) {
          const ticks = Number(priceE8 / 1_000_000n);
          switch (a.kind) {
            case "price": {
              priceE8 = (priceE8 * BigInt(10_000 + a.bps)) / 10_000n;
              if (priceE8 < usd8("100")) priceE8 = usd8("100");
              setPrice("ETH-USD", (Number(priceE8) / 1e8).toFixed(8));
              break;
            }
            case "order": {
              const id = TRADERS[a.who]!;
              const before = usdcSection(engine, id);
              const pos0 = before.positions[0]?.lots ?? 0;
              const r = engine.placeOrder({
                account: id,
                market: "ETH-PERP",
                side: a.buy ? "buy" : "sell",
                priceTicks: Math.max(1, Math.round((ticks * (10_000 + a.offsetBps)) / 10_000)),
                lots: Math.max(1, Number((2_000n * USDC * 20n * BigInt(a.sizePct) * 1000n) / priceE8)),
                timeInForce: a.ioc ? "IOC" : "GTC",
              });
              if (r.status === "accepted") {
                seen.fills += r.fills.length;
                const pos1 = (r as unknown as PerpOrderResult).position;
                // an order that grew the position from a free-collateral-positive account leaves it ≥ 0
                if (Math.abs(pos1) > Math.abs(pos0) && before.freeCollateral! >= 0n) {
                  expect(usdcSection(engine, id).freeCollateral!).toBeGreaterThanOrEqual(0n);
                }
              } else {
                expect(["INSUFFICIENT_MARGIN", "LEVERAGE_EXCEEDED", "LIMIT_EXCEEDED"]).toContain(r.code);
                seen.marginRejections++;
              }
              break;
            }
            case "quote": {
              const bid = Math.max(1, Math.floor((ticks * (10_000 - a.spreadBps)) / 10_000));
              const ask = Math.ceil((ticks * (10_000 + a.spreadBps)) / 10_000);
              engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "buy", priceTicks: bid, lots: a.lots, postOnly: true });
              engine.placeOrder({ account: "mm", market: "ETH-PERP", side: "sell", priceTicks: ask, lots: a.lots, postOnly: true });
              break;
            }
            case "liquidate": {
              // as a keeper would: the first liquidatable account, or (half the time) a given one
              const all = [...TRADERS, "t4"];
              const id = (a.keeper ? all.find((t) => usdcSection(engine, t).liquidatable === true) : undefined) ?? all[a.who]!;
              const before = usdcSection(engine, id);
              const r = engine.liquidatePosition({ liquidator: "liquidator", account: id, market: "ETH-PERP" });
              if (r.status === "rejected") {
                expect(["NOT_LIQUIDATABLE"]).toContain(r.code);
                expect(before.liquidatable !== true || before.positions.length === 0).toBe(true);
                break;
              }
              const l = r as PerpLiquidationResult & { status: "accepted" };
              seen.liquidations++;
              if (l.deleveragedLots > 0) seen.deleveraging++;
              if (l.insuranceCovered > 0n) seen.insuranceCover++;
              const closed = Math.abs(l.position) - l.remainingLots;
              const p = indexPrice(engine.state, market);
              const mmrClosed = requirement(closed, p, market.mmfPpm);
              const after = usdcSection(engine, id).equity!;
              // equity after ≥ TNC·(1 − MMR_closed/TMMR) − penalty − rounding (bankruptcy price rule)
              const bound = l.equity * (l.maintenanceRequirement - mmrClosed) - (l.penalty + 2n) * l.maintenanceRequirement;
              expect(after * l.maintenanceRequirement).toBeGreaterThanOrEqual(bound);
              // the penalty is capped at 1.5% of what was sold against the book (rounded up per fill)
              const notional = l.fills.reduce((n, f) => n + f.quoteAmount, 0n);
              expect(l.penalty).toBeLessThanOrEqual((notional * 15_000n) / 1_000_000n + BigInt(l.fills.length));
              break;
            }
            case "close":
              engine.closePosition({ account: TRADERS[a.who]!, market: "ETH-PERP" });
              break;
            case "withdraw":
              engine.withdrawMargin({ account: TRADERS[a.who]!, token: "USDC", amount: a.amount });
              break;
            case "funding": {
              timeMs += a.minutes * 60_000;
              engine.advanceTime({ timeMs });
              setPrice("ETH-USD", (Number(priceE8) / 1e8).toFixed(8)); // keep the price fresh
              engine.updateFundingRate({ market: "ETH-PERP" });
              const s = engine.settleFunding({ market: "ETH-PERP" });
              if (s.status === "accepted") {
                expect(s.paid).toBe(s.received + s.toInsuranceFund);
                expect(s.toInsuranceFund).toBeGreaterThanOrEqual(0n);
                seen.fundingPayments += s.payments.length;
              }
              break;
            }
          }
          const report = engine.checkConservation();
          expect(report.violations).toEqual([]);
          expect(report.ok).toBe(true);
          expect(engine.insuranceFundOf("USDC")).toBeGreaterThanOrEqual(0n);
          expect(sumPositions(engine)).toBe(0);
          expect(market.openInterestLots).toBe([...market.positions.values()].reduce((n, s) => n + Math.max(s, 0), 0));
        }
      }),
      { numRuns: 400, seed: 20261121 },
    );
    // the runs exercised what the properties are about
    expect(seen.fills).toBeGreaterThan(100);
    expect(seen.marginRejections).toBeGreaterThan(10);
    expect(seen.liquidations).toBeGreaterThan(10);
    expect(seen.deleveraging).toBeGreaterThan(0);
    expect(seen.fundingPayments).toBeGreaterThan(5);
  });
});

function ok<T extends { status: string }>(r: T): T {
  if (r.status !== "accepted") throw new Error(JSON.stringify(r));
  return r;
}
