/**
 * Oracle prices (DESIGN §2, issue 7).
 *
 * **Unit.** A price is a positive integer in the **base currency with 8 decimals per one whole unit
 * of the asset**, Aave V3's convention (its `AaveOracle` returns Chainlink USD feeds with
 * `BASE_CURRENCY_UNIT = 1e8`): WETH at 2,241.37 USD is `224137000000n`; USDC.e at 0.9998 USD is
 * `99980000n`. The value of `amount` base units of a token with `decimals` is
 * `amount · price / 10^decimals` base-currency units (see {@link valueInBase}, rounded as stated there).
 *
 * **Who.** Only accounts holding the Oracle role may `setPrice`. Each oracle's latest report per asset
 * is kept (a newer report from the same oracle replaces its older one), stamped with the engine's time
 * `state.timeMs` when applied: an oracle cannot backdate or postdate a price.
 *
 * **Staleness.** A report is *fresh* while `state.timeMs − reportTimeMs ≤ maxAgeMs` (per asset, default
 * {@link DEFAULT_MAX_PRICE_AGE_MS} = 1 hour, Chainlink's usual heartbeat; changed with
 * `setPriceConfig`). Stale reports are ignored; an asset with reports but none fresh is `STALE_PRICE`,
 * one never priced is `UNKNOWN_PRICE`. Time enters only through `advanceTime`, so staleness is the
 * same on every replica.
 *
 * **Several oracles.** The price is the median of the fresh latest reports, one per oracle: the middle
 * one for an odd count; for an even count the floor of the mean of the two middle ones
 * (`⌊(a + b) / 2⌋`, rounded down). With one oracle it is that oracle's price.
 *
 * Assets are identifiers, not necessarily registered tokens (a perpetual market may price "ETH-USD").
 *
 * **API for other modules:** {@link priceOf}`(state, asset)` returns the current price or throws a
 * {@link Rejection} (`STALE_PRICE` / `UNKNOWN_PRICE`) — call it in the validation phase of an op,
 * before any mutation. {@link priceInfo} returns the same without throwing.
 */
import { reject } from "./errors.js";
import { MAX_AMOUNT } from "./math.js";
import type { EngineState } from "./state.js";

/** Decimals of the base currency (Aave V3: USD with 8 decimals). */
export const PRICE_DECIMALS = 8;
/** One whole unit of the base currency: 1e8. */
export const PRICE_UNIT = 10n ** 8n;
/** Default staleness limit: 1 hour. */
export const DEFAULT_MAX_PRICE_AGE_MS = 3_600_000;
/** Longest configurable staleness limit: 365 days. */
export const MAX_PRICE_AGE_MS = 365 * 86_400_000;
/** Limits: priced assets, and oracles reporting per asset. */
export const MAX_PRICED_ASSETS = 10_000;
export const MAX_ORACLES_PER_ASSET = 64;

/** One oracle's latest report for an asset. */
export interface PriceReport {
  /** Base-currency units (8 decimals) per whole asset. */
  price: bigint;
  /** `state.timeMs` when the report was applied. */
  timeMs: number;
}

export interface AssetPrices {
  readonly asset: string;
  /** Staleness limit, ms. */
  maxAgeMs: number;
  /** Latest report per oracle account id. */
  readonly reports: Map<string, PriceReport>;
}

export interface OracleState {
  readonly assets: Map<string, AssetPrices>;
  /** Assets changed since the last state-root computation. */
  readonly dirty: Set<AssetPrices>;
}

export function createOracleState(): OracleState {
  return { assets: new Map(), dirty: new Set() };
}

/** What {@link priceInfo} reports. */
export interface PriceInfo {
  asset: string;
  /** The median price, or undefined when unknown or stale. */
  price: bigint | undefined;
  /** Fresh reports the median was taken over. */
  oracles: number;
  maxAgeMs: number;
  /** `UNKNOWN_PRICE` or `STALE_PRICE` when there is no price. */
  code: "UNKNOWN_PRICE" | "STALE_PRICE" | undefined;
}

/** Current price of `asset` without throwing (see module doc for the rule). */
export function priceInfo(state: EngineState, asset: string): PriceInfo {
  const entry = state.oracle.assets.get(asset);
  if (entry === undefined || entry.reports.size === 0) {
    return { asset, price: undefined, oracles: 0, maxAgeMs: entry?.maxAgeMs ?? DEFAULT_MAX_PRICE_AGE_MS, code: "UNKNOWN_PRICE" };
  }
  const fresh: bigint[] = [];
  for (const report of entry.reports.values()) {
    if (state.timeMs - report.timeMs <= entry.maxAgeMs) fresh.push(report.price);
  }
  if (fresh.length === 0) return { asset, price: undefined, oracles: 0, maxAgeMs: entry.maxAgeMs, code: "STALE_PRICE" };
  return { asset, price: median(fresh), oracles: fresh.length, maxAgeMs: entry.maxAgeMs, code: undefined };
}

/**
 * The median of every oracle's latest report, fresh or not (undefined if never priced). Only for
 * settling what is owed when the channel closes (the exit root), where a stale price is better than
 * none; ops use {@link priceOf}.
 */
export function lastPrice(state: EngineState, asset: string): bigint | undefined {
  const entry = state.oracle.assets.get(asset);
  if (entry === undefined || entry.reports.size === 0) return undefined;
  return median([...entry.reports.values()].map((r) => r.price));
}

/**
 * The oracle price of `asset` (base-currency units with 8 decimals per whole asset). Throws a
 * {@link Rejection} `UNKNOWN_PRICE` (never priced) or `STALE_PRICE` (no report within the staleness
 * limit at `state.timeMs`): call it before mutating.
 */
export function priceOf(state: EngineState, asset: string): bigint {
  const info = priceInfo(state, asset);
  if (info.price === undefined) {
    if (info.code === "STALE_PRICE") {
      reject("STALE_PRICE", `price of ${asset} is stale: no report within ${info.maxAgeMs} ms of time ${state.timeMs}`);
    }
    reject("UNKNOWN_PRICE", `no price for ${asset}`);
  }
  return info.price;
}

/**
 * Value of `amount` base units of an asset with `decimals` at `price`, in base-currency units:
 * `⌊amount · price / 10^decimals⌋` (rounded down, as Aave's GenericLogic
 * `amount * price / assetUnit`).
 */
export function valueInBase(amount: bigint, price: bigint, decimals: number): bigint {
  return (amount * price) / 10n ** BigInt(decimals);
}

/** Median of a non-empty list: odd ⇒ middle; even ⇒ ⌊(lower middle + upper middle) / 2⌋. */
export function median(values: readonly bigint[]): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid] as bigint;
  return ((sorted[mid - 1] as bigint) + (sorted[mid] as bigint)) / 2n;
}

export interface SetPriceResult {
  asset: string;
  /** The asset's median price after this report. */
  price: bigint;
  /** Fresh reports in that median. */
  oracles: number;
}

export function requirePrice(value: unknown, field: string): bigint {
  if (typeof value !== "bigint") reject("INVALID_PRICE", `${field} must be a bigint: base-currency units with 8 decimals per whole asset`);
  if (value <= 0n || value > MAX_AMOUNT) reject("INVALID_PRICE", `${field} must be in 1..2^128-1, got ${value}`);
  return value;
}

/** Canonical text of an asset's prices for the state root: `maxAgeMs|oracle=price@time,...` sorted by oracle. */
export function encodeAssetPrices(entry: AssetPrices): string {
  const reports = [...entry.reports.keys()].sort().map((id) => {
    const r = entry.reports.get(id) as PriceReport;
    return `${id}=${r.price}@${r.timeMs}`;
  });
  return `${entry.maxAgeMs}|${reports.join(",")}`;
}
