/**
 * Liquidation and deleveraging, dYdX V4 style (docs "Liquidations"; v4-chain x/clob/keeper
 * liquidations.go `GetFillablePrice`, `GetBankruptcyPriceInQuoteQuantums`,
 * `GetLiquidationInsuranceFundDelta`; deleveraging.go).
 *
 * `liquidatePosition {liquidator, account, market}` (Liquidator role) applies when the account is
 * liquidatable: equity < maintenance requirement over all its positions in that collateral token
 * (`margin.ts`: equity floored, requirement ceiled). It closes the account's whole position in
 * `market` (dYdX may close part of it, per its liquidations config; we close all of it):
 *
 * 1. The account's resting orders in the market are cancelled (they could only worsen it).
 * 2. **Against the book.** A protocol IOC order for the whole position, paying no trading fee, with
 *    limit = the **fillable price** (dYdX): `P · (1 ∓ SMMR · MMF · min(1, BA · (1 − TNC/TMMR)))` with
 *    the spread-to-maintenance ratio SMMR = 1.5 and bankruptcy adjustment BA = 1 (dYdX defaults); −
 *    for a long (selling), + for a short (buying); rounded to a tick away from the index (never a
 *    worse limit). Fills are at the makers' prices; makers pass their usual match-time check.
 * 3. **Insurance fund per fill** of `k` lots with quote `q` (dYdX `GetLiquidationInsuranceFundDelta`):
 *    `Δ = q_signed − bankruptcyQuote(k)`, where `bankruptcyQuote(k) = −ΔNC − TNC·|ΔMMR|/TMMR` is the
 *    quote at which closing `k` lots leaves the account's equity share of those lots at zero
 *    (ΔNC = ∓k·P, |ΔMMR| = k·P·MMF, TNC and TMMR taken before the liquidation). If Δ > 0 the account
 *    pays the penalty `min(Δ, ⌈q · liquidationFeePpm / 1e6⌉)` (max 1.5%) to the insurance fund and
 *    keeps the rest; if Δ < 0 the insurance fund pays −Δ to the account (the fill was below the
 *    bankruptcy price). Rounding: bankruptcy quotes are floored, cumulatively over the lots closed so
 *    far, so Δ rounds in the insurance fund's favour (dYdX rounds toward +∞, in the account's favour).
 * 4. **Deleveraging** (when the insurance fund cannot cover). If a fill would need more than the
 *    insurance fund holds, matching stops; the rest of the position is then closed against offsetting
 *    positions at the bankruptcy price (dYdX V4 deleveraging: no insurance fund involved, the loss
 *    beyond the account's equity falls on the counterparties, who give up that much of their profit).
 *    The same happens to whatever the book could not fill when the account's equity is negative. If
 *    equity is ≥ 0 and the book is merely thin, the remainder stays open and a later
 *    `liquidatePosition` continues. Counterparties: every opposite position, largest first, then by
 *    account id (dYdX walks offsetting subaccounts in a pseudo-random order; ours is deterministic).
 * 5. If the account then holds no position at all and its quote balance is negative (rounding dust),
 *    the insurance fund covers it as far as it can; what it cannot is recorded as bad debt.
 *
 * The insurance fund never goes negative: it only pays what it holds (step 3 stops before, step 5 is
 * capped). The liquidated account never ends worse than its bankruptcy level plus the capped penalty.
 */
import { PPM } from "../math.js";
import type { Fill } from "../results.js";
import { ceilDivSigned, floorDiv, type Frac } from "./margin.js";
import type { PerpMarket } from "./state.js";

/** dYdX `FillablePriceConfig.SpreadToMaintenanceMarginRatioPpm` default: 1.5. */
export const SPREAD_TO_MMR_PPM = 1_500_000n;
/** dYdX `FillablePriceConfig.BankruptcyAdjustmentPpm` default: 1. */
export const BANKRUPTCY_ADJUSTMENT_PPM = 1_000_000n;

export interface Deleveraging {
  /** The offsetting account. */
  account: string;
  lots: number;
  /** Quote paid to (+) or by (−) the liquidated account, at the bankruptcy price. */
  quote: bigint;
}

export interface PerpLiquidationResult {
  account: string;
  market: string;
  /** Position before, lots. */
  position: number;
  equity: bigint;
  maintenanceRequirement: bigint;
  indexTicks: number;
  /** Limit of the liquidation order. */
  fillablePriceTicks: number;
  /** Lots closed against the book, and those fills. */
  filledLots: number;
  fills: Fill[];
  /** Lots closed by deleveraging, and against whom. */
  deleveragedLots: number;
  deleveraging: Deleveraging[];
  /** Lots still open (book too thin and equity ≥ 0). */
  remainingLots: number;
  /** Penalty paid to the insurance fund, and losses it covered. */
  penalty: bigint;
  insuranceCovered: bigint;
  /** Negative quote balance left uncovered (bad debt), ≥ 0. */
  badDebt: bigint;
  /** Insurance fund after the op. */
  insuranceFund: bigint;
  cancelledOrders: number[];
  undercollateralizedCancelled: number[];
}

/**
 * Signed quote the liquidated account receives (+) or pays (−) for closing its first `k` lots at the
 * bankruptcy price, floored: `−ΔNC − TNC·|ΔMMR|/TMMR` with ΔNC = ∓k·P (−: closing a long) and
 * |ΔMMR| = k·P·MMF (dYdX `GetBankruptcyPriceInQuoteQuantums`).
 */
export function bankruptcyQuote(price: Frac, market: PerpMarket, isBuy: boolean, tnc: bigint, tmmr: bigint, k: number): bigint {
  if (k === 0) return 0n;
  const kp = BigInt(k) * price.num; // k·P = kp / den
  const den = price.den * PPM * tmmr;
  const sign = isBuy ? -1n : 1n;
  return floorDiv(sign * kp * PPM * tmmr - kp * tnc * market.mmfPpm, den);
}

/** The fillable price as a limit in ticks (module doc), rounded away from the index, at least 1. */
export function fillablePriceTicks(market: PerpMarket, price: Frac, isBuy: boolean, tnc: bigint, tmmr: bigint): number {
  // ba = min(1, BA·(1 − TNC/TMMR)) = baNum / baDen; adjustment f = SMMR·MMF·ba
  let baNum = BANKRUPTCY_ADJUSTMENT_PPM * (tmmr - tnc);
  const baDen = PPM * tmmr;
  if (baNum > baDen) baNum = baDen;
  if (baNum < 0n) baNum = 0n;
  const fNum = SPREAD_TO_MMR_PPM * market.mmfPpm * baNum;
  const fDen = PPM * PPM * baDen;
  const den = price.den * fDen * market.tickSize;
  const ticks = isBuy ? floorDiv(price.num * (fDen + fNum), den) : ceilDivSigned(price.num * (fDen - fNum), den);
  return Number(ticks < 1n ? 1n : ticks > 1_000_000_000_000n ? 1_000_000_000_000n : ticks);
}

