/**
 * Shared setup for the perpetuals tests: USDC collateral (6 decimals), an oracle, a market maker and
 * traders, and ETH-USD / STRK-USD perp markets.
 *
 * ETH-USD: one lot = 0.001 ETH (lotSize 1e15, 18 decimals), one tick = 10 USDC base units per lot =
 * 0.01 USD per ETH, so 3000.00 USD/ETH is 300000 ticks and 1 ETH is 1000 lots.
 * STRK-USD: one lot = 1 STRK, one tick = 100 base units per lot = 0.0001 USD per STRK.
 */
import { expect } from "vitest";
import { Engine } from "../src/core/engine.js";
import type { OrderResult, Result } from "../src/core/results.js";
import type { PerpOrderResult } from "../src/core/perps/orders.js";
import type { PerpAccountView } from "../src/core/perps/view.js";

export const USDC = 1_000_000n; // one whole USDC in base units

/** USD with 8 decimals (the oracle's unit) from a decimal string. */
export function usd8(value: string): bigint {
  const [whole, frac = ""] = value.split(".");
  return BigInt(whole!) * 100_000_000n + BigInt((frac + "00000000").slice(0, 8));
}

export function ok<T extends object>(r: Result<T>): T & { status: "accepted" } {
  if (r.status !== "accepted") throw new Error(`rejected ${r.code}: ${r.message}`);
  return r;
}

/** An accepted order on a perp market (placeOrder's result there carries the perp fields). */
export function perpOk(r: Result<OrderResult>): PerpOrderResult {
  return ok(r) as unknown as PerpOrderResult;
}

export interface PerpSetup {
  engine: Engine;
  setPrice(asset: string, price: string): void;
}

export function perpEngine(opts: { imfPpm?: number; mmfPpm?: number; maxLeverage?: number; takerFeePpm?: number; makerFeePpm?: number } = {}): PerpSetup {
  const engine = new Engine();
  ok(engine.createToken({ symbol: "USDC", decimals: 6 }));
  ok(engine.createAccount({ account: "oracle", roles: ["Oracle"] }));
  ok(engine.createAccount({ account: "liquidator", roles: ["Liquidator"] }));
  ok(engine.createAccount({ account: "mm" }));
  ok(engine.deposit({ account: "mm", token: "USDC", amount: 10_000_000n * USDC }));
  ok(engine.depositMargin({ account: "mm", token: "USDC", amount: 10_000_000n * USDC }));
  ok(
    engine.createPerpMarket({
      market: "ETH-PERP",
      quote: "USDC",
      asset: "ETH-USD",
      assetDecimals: 18,
      lotSize: 10n ** 15n,
      tickSize: 10n,
      imfPpm: opts.imfPpm ?? 100_000,
      mmfPpm: opts.mmfPpm ?? 50_000,
      maxLeverage: opts.maxLeverage ?? 10,
      makerFeePpm: opts.makerFeePpm ?? 0,
      takerFeePpm: opts.takerFeePpm ?? 0,
    }),
  );
  const setPrice = (asset: string, price: string): void => {
    ok(engine.setPrice({ account: "oracle", asset, price: usd8(price) }));
  };
  setPrice("ETH-USD", "3000");
  return { engine, setPrice };
}

export function trader(engine: Engine, id: string, usdc: bigint): void {
  ok(engine.createAccount({ account: id, roles: ["Trader"] }));
  ok(engine.deposit({ account: id, token: "USDC", amount: usdc }));
  ok(engine.depositMargin({ account: id, token: "USDC", amount: usdc }));
}

export function expectConserved(engine: Engine): void {
  const report = engine.checkConservation();
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

/** The account's USDC perps section (all zero when it holds no USDC collateral and no position). */
export function usdcSection(engine: Engine, account: string): PerpAccountView {
  const section = engine.getPerpAccount(account).find((s) => s.token === "USDC");
  return section ?? { ...ZERO_SECTION, positions: [] };
}

const ZERO_SECTION: PerpAccountView = {
  token: "USDC",
  quoteBalance: 0n,
  equity: 0n,
  initialRequirement: 0n,
  effectiveInitialRequirement: 0n,
  maintenanceRequirement: 0n,
  freeCollateral: 0n,
  liquidatable: false,
  positions: [],
};
