/**
 * Perpetual futures, dYdX V4 style: markets, margin deposits and withdrawals, the insurance fund,
 * and the module's ledger primitives.
 *
 * **Where the rules live.** A market's risk parameters — IMF, MMF, the leverage cap `maxLeverage`,
 * fees, the liquidation penalty and the impact notional — are fields of its `createPerpMarket` op:
 * the channel's rules are its genesis ops, agreed by every participant, so they are part of the state
 * (and of the state root) rather than configuration outside it. The funding clamps follow dYdX's
 * defaults from IMF and MMF: |premium sample| ≤ 6000% × (IMF − MMF), |8-hour rate| ≤ 600% × (IMF − MMF)
 * (v4-chain x/perpetuals `DefaultPremiumVoteClampFactorPpm`, `DefaultFundingRateClampFactorPpm`).
 *
 * **The book.** Each perp market owns a core order-book `Market` (`orderbook/market.ts`) registered in `state.markets`
 * under the same id (so ids are unique across spot and perp markets), reused as is: price levels in a
 * heap, FIFO queues, O(1) cancel, `cancelOrder`, `getDepth`, `getOrder` and its state-root encoding.
 * Perp orders reserve nothing (dYdX checks collateral when an order is placed and again when it
 * matches), so their `reserved` is 0; `perps/orders.ts` matches them and settles fills into positions.
 */
import { invariant } from "../errors.js";
import type { Account } from "../state.js";
import type { PerpAccount, PerpMarket, PerpsState } from "./state.js";

/** Most perp markets. */
export const MAX_PERP_MARKETS = 1_000;
/** Largest leverage cap. */
export const MAX_LEVERAGE = 1_000;
/** dYdX's default max liquidation penalty: 1.5%. */
export const DEFAULT_LIQUIDATION_FEE_PPM = 15_000;
/** dYdX impact notional: 500 whole quote tokens / IMF. */
export const IMPACT_NOTIONAL_WHOLE_QUOTE = 500n;
/** dYdX clamp factors (ppm of IMF − MMF): premium samples 6000%, 8-hour rate 600%. */
export const PREMIUM_CLAMP_FACTOR = 60n;
export const FUNDING_CLAMP_FACTOR = 6n;

export interface MarginResult {
  /** The account's quote balance Q in the token after the op. */
  quoteBalance: bigint;
  /** Its free balance of the token after the op. */
  balance: bigint;
}

/* ───────────────────────────── ledger primitives (no validation) ───────────────────────────── */

export function perpAccountFor(perps: PerpsState, account: Account): PerpAccount {
  let pa = perps.accounts.get(account.id);
  if (pa === undefined) {
    pa = { account, quote: new Map(), markets: new Set() };
    perps.accounts.set(account.id, pa);
  }
  perps.dirty.add(`pa:${account.id}`);
  return pa;
}

/** Q += delta (signed). */
export function addQuote(perps: PerpsState, pa: PerpAccount, token: string, delta: bigint): void {
  if (delta === 0n) return;
  const next = (pa.quote.get(token) ?? 0n) + delta;
  if (next === 0n) pa.quote.delete(token);
  else pa.quote.set(token, next);
  perps.dirty.add(`pa:${pa.account.id}`);
}

export function addVault(perps: PerpsState, token: string, delta: bigint): void {
  const next = (perps.vault.get(token) ?? 0n) + delta;
  if (next < 0n) invariant(false, `perp vault of ${token} would go negative`);
  if (next === 0n) perps.vault.delete(token);
  else perps.vault.set(token, next);
  perps.dirty.add("pg");
}

export function addInsurance(perps: PerpsState, token: string, delta: bigint): void {
  const next = (perps.insurance.get(token) ?? 0n) + delta;
  if (next < 0n) invariant(false, `insurance fund of ${token} would go negative`);
  if (next === 0n) perps.insurance.delete(token);
  else perps.insurance.set(token, next);
  perps.dirty.add("pg");
}

/** Sets `pa`'s position in `market` to `lots`, keeping open interest and the account's market set. */
export function setPosition(perps: PerpsState, market: PerpMarket, pa: PerpAccount, lots: number): void {
  const old = market.positions.get(pa.account) ?? 0;
  if (old === lots) return;
  market.openInterestLots += Math.max(lots, 0) - Math.max(old, 0);
  if (lots === 0) {
    market.positions.delete(pa.account);
    pa.markets.delete(market.id);
  } else {
    market.positions.set(pa.account, lots);
    pa.markets.add(market.id);
  }
  markMarket(perps, market);
  perps.dirty.add(`pa:${pa.account.id}`);
}

export function markMarket(perps: PerpsState, market: PerpMarket): void {
  perps.dirty.add(`pm:${market.id}`);
}

/* ───────────────────────────── state-root encoding ───────────────────────────── */

/**
 * Canonical text of a perps state-root leaf. Keys: `pm:<market>` (parameters, funding state, positions
 * sorted by account), `pa:<account>` (quote balances sorted by token), `pg` (vault, insurance fund and
 * bad debt per token). Returns undefined for a key that no longer exists.
 */
export function encodePerpsLeaf(perps: PerpsState, key: string): string | undefined {
  if (key === "pg") return `${encodeMap(perps.vault)}|${encodeMap(perps.insurance)}|${encodeMap(perps.badDebt)}`;
  if (key.startsWith("pm:")) {
    const m = perps.markets.get(key.slice(3));
    if (m === undefined) return undefined;
    const positions = [...m.positions].map(([a, lots]) => `${a.id}=${lots}`).sort();
    return (
      `${m.quote}|${m.asset}|${m.assetDecimals}|${m.lotSize}|${m.tickSize}|${m.imfPpm}|${m.mmfPpm}|${m.maxLeverage}|` +
      `${m.liquidationFeePpm}|${m.impactNotional}|${m.samples.join(",")}|${m.lastSampleMs}|${m.lastFundingMs}|` +
      `${m.lastFundingRatePpm}|${m.openInterestLots}|${positions.join(",")}`
    );
  }
  const pa = perps.accounts.get(key.slice(3));
  return pa === undefined ? undefined : encodeMap(pa.quote);
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function encodeMap(map: Map<string, bigint>): string {
  return [...map.keys()]
    .sort()
    .map((k) => `${k}=${map.get(k)}`)
    .join(",");
}
