/**
 * Index price of a perpetual market, from the oracle module (`oracle.ts`).
 *
 * The oracle reports USD with 8 decimals per whole asset (Aave's `BASE_CURRENCY_UNIT`). The collateral
 * is valued at exactly 1 USD per whole token, as dYdX V4 values USDC (its quote asset has no oracle).
 * So the index price per lot, in quote base units, is the exact fraction
 *
 *   P = price · lotSize · 10^quoteDecimals / (10^assetDecimals · 10^8)
 *
 * an exact {@link Frac} (the constant factor is reduced once, at market creation); every use of it
 * rounds once, as `margin.ts` states.
 */
import { reject } from "../errors.js";
import { priceInfo } from "../oracle.js";
import type { EngineState } from "../state.js";
import type { Frac } from "./margin.js";
import type { PerpMarket } from "./state.js";

/** The market's index price per lot, or undefined when the oracle has no fresh price. */
export function tryIndexPrice(state: EngineState, market: PerpMarket): Frac | undefined {
  const info = priceInfo(state, market.asset);
  if (info.price === undefined) return undefined;
  return fracOf(market, info.price);
}

/** The market's index price per lot; rejects `STALE_PRICE` / `UNKNOWN_PRICE` (validation phase only). */
export function indexPrice(state: EngineState, market: PerpMarket): Frac {
  const info = priceInfo(state, market.asset);
  if (info.price === undefined) {
    if (info.code === "STALE_PRICE") reject("STALE_PRICE", `perp ${market.id}: index price of ${market.asset} is stale at time ${state.timeMs}`);
    reject("UNKNOWN_PRICE", `perp ${market.id}: no index price for ${market.asset}`);
  }
  return fracOf(market, info.price);
}

function fracOf(market: PerpMarket, price: bigint): Frac {
  return { num: price * market.priceScaleNum, den: market.priceScaleDen };
}

/** A per-op cache of index prices (undefined = unavailable), as the lookup `margin.ts` takes. */
export function priceCache(state: EngineState, known?: PerpMarket, price?: Frac): (market: PerpMarket) => Frac | undefined {
  const cache = new Map<PerpMarket, Frac | undefined>();
  if (known !== undefined) cache.set(known, price);
  return (market) => {
    if (cache.has(market)) return cache.get(market);
    const p = tryIndexPrice(state, market);
    cache.set(market, p);
    return p;
  };
}

/** Index price in ticks (⌊P / tickSize⌋), for reports. */
export function indexTicks(market: PerpMarket, price: Frac): number {
  return Number(price.num / (price.den * market.tickSize));
}
