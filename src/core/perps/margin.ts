/**
 * Cross-margin arithmetic (dYdX V4 x/subaccounts `GetNetCollateralAndMarginRequirements`, docs
 * "Margining"): per account and collateral token,
 *
 *   equity (total account value, TNC)   = Q + Σ S_i · P_i
 *   initial requirement (IMR)           = Σ |S_i| · P_i · IMF_i
 *   maintenance requirement (MMR)       = Σ |S_i| · P_i · MMF_i
 *   free collateral                     = equity − IMR
 *
 * with `Q` the signed quote balance, `S_i` the signed position in lots and `P_i` the index (oracle)
 * price per lot as an exact fraction (quote base units per lot). Unrealized PnL is inside `S·P`: for a
 * position bought at `p`, `Q` fell by `S·p`, so `Q + S·P` = collateral + `S·(P − p)`.
 *
 * Rounding (every term separately, always in the protocol's favour): position values are floored
 * (toward −∞: equity is never overstated), requirements are ceiled. The free-collateral check uses the
 * **effective** IMF `max(IMF, 1/maxLeverage)` of each market (the channel's leverage cap); `initial`
 * reports the market IMF alone so the two rejections can be told apart.
 */
import { PPM } from "../math.js";
import type { PerpAccount, PerpMarket, PerpsState } from "./state.js";

/** An exact non-negative fraction `num / den` (den > 0). Index prices are quote base units per lot. */
export interface Frac {
  readonly num: bigint;
  readonly den: bigint;
}

/** ⌊a / b⌋ for b > 0 (toward −∞, also for negative a). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** ⌈a / b⌉ for b > 0 (toward +∞, also for negative a). */
export function ceilDivSigned(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/** ⌊S · P⌋: signed position value in quote base units, floored. */
export function positionValue(lots: number, price: Frac): bigint {
  return floorDiv(BigInt(lots) * price.num, price.den);
}

/** ⌈|S| · P · ppm / 1e6⌉: a margin requirement in quote base units, ceiled. */
export function requirement(lots: number, price: Frac, ppm: bigint): bigint {
  const abs = BigInt(lots < 0 ? -lots : lots);
  return ceilDivSigned(abs * price.num * ppm, price.den * PPM);
}

export interface MarginSummary {
  /** Collateral token. */
  token: string;
  /** Signed quote balance Q, base units. */
  quoteBalance: bigint;
  /** Σ ⌊S·P⌋ over the positions margined in this token. */
  positionValue: bigint;
  /** Q + Σ ⌊S·P⌋ (dYdX total account value / TNC). */
  equity: bigint;
  /** Σ ⌈|S|·P·IMF⌉ with the markets' IMF. */
  initialRequirement: bigint;
  /** Σ ⌈|S|·P·max(IMF, 1/maxLeverage)⌉: what free collateral is measured against. */
  effectiveInitialRequirement: bigint;
  /** Σ ⌈|S|·P·MMF⌉. */
  maintenanceRequirement: bigint;
  /** equity − effectiveInitialRequirement (may be negative). */
  freeCollateral: bigint;
}

/** A hypothetical change for {@link marginOf}: the position in `market` becomes `lots`, Q moves by `quoteDelta`. */
export interface MarginChange {
  market: PerpMarket;
  lots: number;
  quoteDelta: bigint;
}

/** Looks up an index price; returns undefined when none is usable (stale or missing). */
export type PriceLookup = (market: PerpMarket) => Frac | undefined;

/**
 * The account's margin in `token`, optionally after `change`. Returns undefined if a needed index
 * price is unavailable (callers reject, or treat it as a failed check).
 */
export function marginOf(
  perps: PerpsState,
  pa: PerpAccount | undefined,
  token: string,
  price: PriceLookup,
  change?: MarginChange,
): MarginSummary | undefined {
  const quoteBalance = (pa?.quote.get(token) ?? 0n) + (change?.quoteDelta ?? 0n);
  let value = 0n;
  let initial = 0n;
  let effective = 0n;
  let maintenance = 0n;
  const add = (market: PerpMarket, lots: number): boolean => {
    if (lots === 0) return true;
    const p = price(market);
    if (p === undefined) return false;
    value += positionValue(lots, p);
    initial += requirement(lots, p, market.imfPpm);
    effective += requirement(lots, p, market.effectiveImfPpm);
    maintenance += requirement(lots, p, market.mmfPpm);
    return true;
  };
  if (pa !== undefined) {
    for (const id of pa.markets) {
      const market = perps.markets.get(id)!;
      if (market.quote !== token || market === change?.market) continue;
      if (!add(market, market.positions.get(pa.account) ?? 0)) return undefined;
    }
  }
  if (change !== undefined && change.market.quote === token && !add(change.market, change.lots)) return undefined;
  const equity = quoteBalance + value;
  return {
    token,
    quoteBalance,
    positionValue: value,
    equity,
    initialRequirement: initial,
    effectiveInitialRequirement: effective,
    maintenanceRequirement: maintenance,
    freeCollateral: equity - effective,
  };
}

/** Whether `after` (a new position of `lots`, previously `before`) only reduces the position. */
export function isReducing(before: number, after: number): boolean {
  return before > 0 ? after >= 0 && after < before : before < 0 ? after <= 0 && after > before : false;
}

/**
 * The collateral rule for a trade (dYdX V4 `internalCanUpdateSubaccounts`): allowed if free collateral
 * after it is ≥ 0, or if it only reduces the position and does not lower free collateral.
 * Returns "ok", "margin" (fails with the market IMF) or "leverage" (passes IMF, fails the cap).
 */
export function tradeCheck(
  perps: PerpsState,
  pa: PerpAccount | undefined,
  market: PerpMarket,
  newLots: number,
  quoteDelta: bigint,
  price: PriceLookup,
): "ok" | "margin" | "leverage" | "price" {
  const after = marginOf(perps, pa, market.quote, price, { market, lots: newLots, quoteDelta });
  if (after === undefined) return "price";
  if (after.freeCollateral >= 0n) return "ok";
  const oldLots = pa === undefined ? 0 : (market.positions.get(pa.account) ?? 0);
  if (isReducing(oldLots, newLots)) {
    const before = marginOf(perps, pa, market.quote, price);
    if (before !== undefined && after.freeCollateral >= before.freeCollateral) return "ok";
  }
  return after.equity - after.initialRequirement < 0n ? "margin" : "leverage";
}
