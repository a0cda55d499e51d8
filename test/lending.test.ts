import { describe, expect, it } from "vitest";
import { calculateInterestRates } from "../src/core/lending/rates.js";
import { calculateCompoundedInterest, calculateLinearInterest, percentDiv, percentMul, rayDiv, rayMul, SECONDS_PER_YEAR } from "../src/core/lending/math.js";
import { expectExitSolvent, lendingSetup, pct, RAY, T0, USD, USDC_RESERVE } from "./lending.helpers.js";

const model = (optimal: number, base: number, s1: number, s2: number, rf = 0) => ({
  optimalUsageRatio: pct(optimal),
  baseVariableBorrowRate: pct(base),
  variableRateSlope1: pct(s1),
  variableRateSlope2: pct(s2),
  reserveFactor: BigInt(rf * 100),
});

describe("Aave WadRayMath / PercentageMath / MathUtils", () => {
  it("rounds half up as Aave", () => {
    expect(rayMul(3n, RAY / 2n)).toBe(2n); // 1.5 → 2
    expect(rayMul(1n, RAY / 2n - 1n)).toBe(0n); // 0.4999… → 0
    expect(rayDiv(1n, 2n * RAY)).toBe(1n); // 0.5 → 1
    expect(percentMul(15n, 5000n)).toBe(8n); // 7.5 → 8
    expect(percentDiv(1n, 20_000n)).toBe(1n); // 0.5 → 1
  });

  it("linear and 3-term compounded interest over one year at 10% APR", () => {
    const r = pct(10);
    expect(calculateLinearInterest(r, SECONDS_PER_YEAR)).toBe(RAY + pct(10));
    const c = calculateCompoundedInterest(r, SECONDS_PER_YEAR);
    // e^0.1 = 1.105170918…; Aave's 3 terms with its integer powers (b2 = rate²/Y² = 10055109076,
    // b3 = b2·rate/Y = 31, truncated) give 1.105162042821782…: below the true value, as Aave states.
    expect(c).toBe(1_105_162_042_821_782_412_575_504_000n);
    expect(c < 1_105_170_918_075_647_624_811_707_826n).toBe(true);
    expect(calculateCompoundedInterest(r, 0n)).toBe(RAY);
    expect(calculateCompoundedInterest(r, 1n)).toBe(RAY + pct(10) / SECONDS_PER_YEAR);
  });
});

describe("kinked rate model (DefaultReserveInterestRateStrategy)", () => {
  it("Aave's documented examples: optimal 90%, slope1 4%, slope2 60%", () => {
    const m = model(90, 0, 4, 60, 10);
    // U = 0: base rate, no supply rate.
    expect(calculateInterestRates(m, 1_000_000n, 0n)).toEqual({ utilization: 0n, variableBorrowRate: 0n, liquidityRate: 0n });
    // U = 45% (half of optimal): 4% × 45/90 = 2%.
    const half = calculateInterestRates(m, 550_000n, 450_000n);
    expect(half.utilization).toBe(pct(45));
    expect(half.variableBorrowRate).toBe(pct(2));
    // supply rate = 2% × 45% × (1 − 10%) = 0.81%
    expect(half.liquidityRate).toBe(pct(0.81));
    // U = 90% (the kink): base + slope1 = 4%.
    expect(calculateInterestRates(m, 100_000n, 900_000n).variableBorrowRate).toBe(pct(4));
    // U = 95%: 4% + 60% × (5/10) = 34%.
    expect(calculateInterestRates(m, 50_000n, 950_000n).variableBorrowRate).toBe(pct(34));
    // U = 100%: base + slope1 + slope2 = 64%.
    const full = calculateInterestRates(m, 0n, 1_000_000n);
    expect(full.variableBorrowRate).toBe(pct(64));
    expect(full.liquidityRate).toBe(pct(57.6));
  });

  it("Compound's JumpRateModelV2 as a second reference: base 2%, multiplier 10% at kink 80%, jump 109%", () => {
    // Compound V2's JumpRateModelV2 (multiplierPerYear is the rate added at the kink: it divides by kink):
    // below kink rate = base + U·multiplier/kink; above = base + multiplier + (U − kink)·jump.
    // Aave's form with slope1 = multiplier and slope2 = jump·(1 − kink) is the same function.
    const m = model(80, 2, 10, 109 * 0.2);
    const compound = (u: number): number => (u <= 0.8 ? 0.02 + (u * 0.1) / 0.8 : 0.02 + 0.1 + (u - 0.8) * 1.09);
    for (const [cash, debt, u] of [
      [600n, 400n, 0.4],
      [200n, 800n, 0.8],
      [100n, 900n, 0.9],
      [0n, 1000n, 1],
    ] as const) {
      const r = calculateInterestRates(m, cash, debt);
      expect(r.utilization).toBe(pct(u * 100));
      expect(r.variableBorrowRate).toBe(pct(Math.round(compound(u) * 1_000_000) / 10_000));
    }
    // Compound's formula at these parameters: 40% → 7%, 80% → 12%, 90% → 22.9%, 100% → 33.8%.
    expect(calculateInterestRates(m, 100n, 900n).variableBorrowRate).toBe(pct(22.9));
    expect(calculateInterestRates(m, 0n, 1000n).variableBorrowRate).toBe(pct(33.8));
  });
});

describe("lending pool", () => {
  it("supply, borrow, accrue a year, repay and withdraw with exact figures", () => {
    const e = lendingSetup();
    e.deposit({ account: "alice", token: "USDC", amount: 10_000_000_000n });
    e.deposit({ account: "bob", token: "WETH", amount: 10n ** 18n });
    expect(e.supply({ account: "alice", asset: "USDC", amount: 10_000_000_000n })).toMatchObject({ status: "accepted", balance: 10_000_000_000n });
    expect(e.supply({ account: "bob", asset: "WETH", amount: 10n ** 18n }).status).toBe("accepted");
    expect(e.borrow({ account: "bob", asset: "USDC", amount: 1_000_000_000n })).toMatchObject({ status: "accepted", balance: 1_000_000_000n });
    const r0 = e.getReserve("USDC");
    expect(r0).toMatchObject({ utilizationRay: pct(10), totalSupplied: 10_000_000_000n, totalBorrowed: 1_000_000_000n, cash: 9_000_000_000n });
    // 4% × 10/90 = 0.444…%; supply = that × 10% × 90%.
    expect(r0?.variableBorrowRateRay).toBe(rayDiv(rayMul(pct(4), pct(10)), pct(90)));
    e.advanceTime({ timeMs: T0 + 365 * 86_400_000 });
    const r1 = e.getReserve("USDC");
    expect(r1?.liquidityIndexRay).toBe(RAY + (r0?.liquidityRateRay ?? 0n));
    expect(r1?.variableBorrowIndexRay).toBe(calculateCompoundedInterest(r0?.variableBorrowRateRay ?? 0n, SECONDS_PER_YEAR));
    const debt = e.getLendingAccount("bob").debt["USDC"] as bigint;
    expect(debt).toBe(1_004_454_321n); // 1000 USDC × the 3-term compounded index 1.004454320986916…
    e.deposit({ account: "bob", token: "USDC", amount: 10_000_000n });
    expect(e.repay({ account: "bob", asset: "USDC", amount: 2_000_000_000n })).toMatchObject({ status: "accepted", amount: debt, balance: 0n });
    const supplied = e.getLendingAccount("alice").collateral["USDC"] as bigint;
    expect(supplied).toBe(10_004_000_000n); // supply rate 0.4444…% × 10% × 90% = 0.04% linear
    expect(e.withdrawSupply({ account: "alice", asset: "USDC", amount: supplied })).toMatchObject({ status: "accepted", balance: 0n });
    // The treasury keeps the reserve factor: 10% of the interest, as supply balance.
    const r2 = e.getReserve("USDC");
    expect(r2?.treasury).toBe(445_432n); // 10% of the 4,454,321 interest, half up
    expect(r2?.cash).toBe(10_000_000_000n + debt - 1_000_000_000n - supplied);
    expect(e.checkConservation().ok).toBe(true);
    expectExitSolvent(e);
  });

  it("rejects with stable codes and changes nothing", () => {
    const e = lendingSetup();
    e.deposit({ account: "bob", token: "WETH", amount: 10n ** 18n });
    e.deposit({ account: "alice", token: "USDC", amount: 5_000_000_000n });
    e.supply({ account: "alice", asset: "USDC", amount: 5_000_000_000n });
    const root = e.stateRoot();
    expect(e.borrow({ account: "bob", asset: "USDC", amount: 1n })).toMatchObject({ code: "HEALTH_FACTOR_TOO_LOW" }); // no collateral
    expect(e.supply({ account: "bob", asset: "DAI", amount: 1n })).toMatchObject({ code: "UNKNOWN_RESERVE" });
    expect(e.supply({ account: "bob", asset: "WETH", amount: 2n * 10n ** 18n })).toMatchObject({ code: "INSUFFICIENT_BALANCE" });
    expect(e.withdrawSupply({ account: "alice", asset: "USDC", amount: 5_000_000_001n })).toMatchObject({ code: "INSUFFICIENT_BALANCE" });
    expect(e.createReserve(USDC_RESERVE)).toMatchObject({ code: "ALREADY_EXISTS" });
    expect(e.createReserve({ ...USDC_RESERVE, asset: "WETH", ltv: 9000 })).toMatchObject({ code: "INVALID_OP" });
    expect(e.stateRoot()).toBe(root);
    e.supply({ account: "bob", asset: "WETH", amount: 10n ** 18n });
    // LTV 80% of 2,000 USD: 1,600 USDC is the most bob may borrow.
    expect(e.borrow({ account: "bob", asset: "USDC", amount: 1_600_000_001n })).toMatchObject({ code: "HEALTH_FACTOR_TOO_LOW" });
    expect(e.borrow({ account: "bob", asset: "USDC", amount: 1_600_000_000n }).status).toBe("accepted");
    // Withdrawing any collateral now would leave HF < 1? HF = 2000·0.825/1600 = 1.03125: a small withdrawal passes, a large one not.
    expect(e.withdrawSupply({ account: "bob", asset: "WETH", amount: 10n ** 17n })).toMatchObject({ code: "HEALTH_FACTOR_TOO_LOW" });
    expect(e.withdrawSupply({ account: "bob", asset: "WETH", amount: 10n ** 16n }).status).toBe("accepted");
    e.setPrice({ account: "o", asset: "WETH", price: 1_000n * USD });
    expect(e.liquidate({ account: "carol", user: "bob", collateralAsset: "WETH", debtAsset: "USDC", debtToCover: 1n })).toMatchObject({ code: "NOT_PERMITTED" });
    e.advanceTime({ timeMs: T0 + 366 * 86_400_000 });
    expect(e.liquidate({ account: "liq", user: "bob", collateralAsset: "WETH", debtAsset: "USDC", debtToCover: 1n })).toMatchObject({ code: "STALE_PRICE" });
  });

  it("caps: supply and borrow caps reject CAP_EXCEEDED", () => {
    const e = lendingSetup();
    e.createToken({ symbol: "DAI", decimals: 18 });
    e.setPriceConfig({ account: "o", asset: "DAI", maxAgeMs: 86_400_000 });
    e.setPrice({ account: "o", asset: "DAI", price: USD });
    expect(e.createReserve({ ...USDC_RESERVE, asset: "DAI", supplyCap: 1_000n * 10n ** 18n, borrowCap: 100n * 10n ** 18n }).status).toBe("accepted");
    e.deposit({ account: "alice", token: "DAI", amount: 2_000n * 10n ** 18n });
    expect(e.supply({ account: "alice", asset: "DAI", amount: 1_000n * 10n ** 18n + 1n })).toMatchObject({ code: "CAP_EXCEEDED" });
    expect(e.supply({ account: "alice", asset: "DAI", amount: 1_000n * 10n ** 18n }).status).toBe("accepted");
    expect(e.borrow({ account: "alice", asset: "DAI", amount: 100n * 10n ** 18n + 1n })).toMatchObject({ code: "CAP_EXCEEDED" });
    expect(e.borrow({ account: "alice", asset: "DAI", amount: 100n * 10n ** 18n }).status).toBe("accepted");
  });

  it("exit at close: debt netted against the borrower's free balance, else settled from its collateral in kind", () => {
    const setup = () => {
      const e = lendingSetup();
      e.deposit({ account: "alice", token: "USDC", amount: 10_000_000_000n });
      e.supply({ account: "alice", asset: "USDC", amount: 10_000_000_000n });
      e.deposit({ account: "bob", token: "WETH", amount: 10n ** 18n });
      e.supply({ account: "bob", asset: "WETH", amount: 10n ** 18n });
      expect(e.borrow({ account: "bob", asset: "USDC", amount: 1_600_000_000n }).status).toBe("accepted");
      return e;
    };
    const exits = (e: ReturnType<typeof setup>) =>
      Object.fromEntries(e.exitLeaves().map((l) => [`${l.account}:${l.token}`, l.amount]));
    // Bob still holds the 1,600 USDC: they repay his debt, Alice gets her 10,000 USDC, Bob his WETH.
    let e = setup();
    expect(exits(e)).toEqual({ "alice:USDC": 10_000_000_000n, "bob:WETH": 10n ** 18n });
    // Bob gave the USDC away: 0.8 WETH (1,600 USD at 2,000) of his collateral goes to USDC's supplier.
    e = setup();
    e.transfer({ from: "bob", to: "carol", token: "USDC", amount: 1_600_000_000n });
    expect(exits(e)).toEqual({
      "alice:USDC": 8_400_000_000n,
      "alice:WETH": 800_000_000_000_000_000n,
      "bob:WETH": 200_000_000_000_000_000n,
      "carol:USDC": 1_600_000_000n,
    });
    expectExitSolvent(e);
  });

  it("worked liquidation: HF 0.9796875 ⇒ close factor 50%; HF 0.928125 < 0.95 ⇒ 100%, with the bonus and protocol fee", () => {
    const setup = () => {
      const e = lendingSetup();
      e.deposit({ account: "alice", token: "USDC", amount: 10_000_000_000n });
      e.supply({ account: "alice", asset: "USDC", amount: 10_000_000_000n });
      e.deposit({ account: "bob", token: "WETH", amount: 10n ** 18n });
      e.supply({ account: "bob", asset: "WETH", amount: 10n ** 18n });
      expect(e.borrow({ account: "bob", asset: "USDC", amount: 1_600_000_000n }).status).toBe("accepted");
      e.deposit({ account: "liq", token: "USDC", amount: 2_000_000_000n });
      return e;
    };
    // WETH at 1,900: HF = 1900 × 0.825 / 1600 = 0.9796875 (≥ 0.95): at most half the debt.
    let e = setup();
    e.setPrice({ account: "o", asset: "WETH", price: 1_900n * USD });
    expect(e.getLendingAccount("bob").healthFactorRay).toBe((9_796_875n * RAY) / 10_000_000n);
    const half = e.liquidate({ account: "liq", user: "bob", collateralAsset: "WETH", debtAsset: "USDC", debtToCover: 1_600_000_000n });
    expect(half).toMatchObject({ status: "accepted", closeFactor: 5000n, debtRepaid: 800_000_000n });
    // 800 USD / 1,900 = 0.421052631578947368 WETH (floor), ×1.05 half up = 0.442105263157894736;
    // bonus part = 0.442…736 − 0.442…736/1.05 (half up) = 0.021052631578947368; fee = 10% half up = 0.002105263157894737.
    expect(half).toMatchObject({ collateralSeized: 439_999_999_999_999_999n, protocolFee: 2_105_263_157_894_737n });
    expect(e.getLendingAccount("bob").debt["USDC"]).toBe(800_000_000n);
    // WETH at 1,800: HF = 1800 × 0.825 / 1600 = 0.928125 < 0.95: the whole debt.
    e = setup();
    e.setPrice({ account: "o", asset: "WETH", price: 1_800n * USD });
    expect(e.getLendingAccount("bob").healthFactorRay).toBe((928_125n * RAY) / 1_000_000n);
    const full = e.liquidate({ account: "liq", user: "bob", collateralAsset: "WETH", debtAsset: "USDC", debtToCover: 1_600_000_000n });
    // base = 1600/1800 WETH = 0.888888888888888888; ×1.05 (half up) = 0.933333333333333332;
    // bonus part = 0.933…332 − 0.933…332/1.05 = 0.044444444444444444; fee 10% = 0.004444444444444444.
    expect(full).toMatchObject({
      status: "accepted",
      closeFactor: 10_000n,
      debtRepaid: 1_600_000_000n,
      collateralSeized: 928_888_888_888_888_888n,
      protocolFee: 4_444_444_444_444_444n,
    });
    const bob = e.getLendingAccount("bob");
    expect(bob.debt).toEqual({});
    expect(bob.collateral["WETH"]).toBe(10n ** 18n - 933_333_333_333_333_332n);
    expect(e.balanceOf("liq", "WETH")).toBe(928_888_888_888_888_888n);
    expect(e.getReserve("WETH")?.treasury).toBe(4_444_444_444_444_444n);
    expect(e.liquidate({ account: "liq", user: "bob", collateralAsset: "WETH", debtAsset: "USDC", debtToCover: 1n })).toMatchObject({
      code: "NOT_LIQUIDATABLE",
    });
    expect(e.checkConservation().ok).toBe(true);
    expectExitSolvent(e);
  });
});
