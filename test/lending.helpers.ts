import { expect } from "vitest";
import { Engine } from "../src/core/engine.js";
import type { CreateReserveOp } from "../src/core/ops.js";
import type { Params } from "../src/core/engine.js";

export const RAY = 10n ** 27n;
/** 2024-01-06T00:00:00Z. */
export const T0 = 1_704_499_200_000;
export const USD = 100_000_000n; // 1 USD in the oracle's 8-decimal base currency
export const pct = (p: number): bigint => (BigInt(Math.round(p * 100)) * RAY) / 10_000n; // percent → ray

export const USDC_RESERVE: Params<CreateReserveOp> = {
  asset: "USDC",
  optimalUsageRatio: pct(90),
  baseVariableBorrowRate: 0n,
  variableRateSlope1: pct(4),
  variableRateSlope2: pct(60),
  reserveFactor: 1000,
  ltv: 8000,
  liquidationThreshold: 8500,
  liquidationBonus: 10500,
  liquidationProtocolFee: 1000,
};
export const WETH_RESERVE: Params<CreateReserveOp> = {
  asset: "WETH",
  optimalUsageRatio: pct(80),
  baseVariableBorrowRate: 0n,
  variableRateSlope1: pct(3.3),
  variableRateSlope2: pct(80),
  reserveFactor: 1500,
  ltv: 8000,
  liquidationThreshold: 8250,
  liquidationBonus: 10500,
  liquidationProtocolFee: 1000,
};

/** USDC and WETH reserves, an oracle at 1 USD / 2,000 USD, accounts alice, bob, carol, liq (Liquidator), o (Oracle). */
export function lendingSetup(): Engine {
  const e = new Engine();
  const ok = (r: { status: string }): void => expect(r.status).toBe("accepted");
  ok(e.advanceTime({ timeMs: T0 }));
  ok(e.createToken({ symbol: "USDC", decimals: 6 }));
  ok(e.createToken({ symbol: "WETH", decimals: 18 }));
  ok(e.createAccount({ account: "o", roles: ["Oracle"] }));
  for (const id of ["alice", "bob", "carol"]) ok(e.createAccount({ account: id }));
  ok(e.createAccount({ account: "liq", roles: ["Liquidator"] }));
  ok(e.setPriceConfig({ account: "o", asset: "USDC", maxAgeMs: 365 * 86_400_000 }));
  ok(e.setPriceConfig({ account: "o", asset: "WETH", maxAgeMs: 365 * 86_400_000 }));
  ok(e.setPrice({ account: "o", asset: "USDC", price: USD }));
  ok(e.setPrice({ account: "o", asset: "WETH", price: 2_000n * USD }));
  ok(e.createReserve(USDC_RESERVE));
  ok(e.createReserve(WETH_RESERVE));
  return e;
}

/** Σ exit leaves per token ≤ the engine's holdings of it (deposits − withdrawals). */
export function expectExitSolvent(e: Engine): void {
  const exits = new Map<string, bigint>();
  for (const leaf of e.exitLeaves()) exits.set(leaf.token, (exits.get(leaf.token) ?? 0n) + leaf.amount);
  for (const t of e.checkConservation().tokens) {
    expect((exits.get(t.token) ?? 0n) <= t.expected, `exit of ${t.token} ${exits.get(t.token)} > holdings ${t.expected}`).toBe(true);
  }
}
