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
import { invariant, reject } from "../errors.js";
import { credit, debit } from "../ledger.js";
import { PPM } from "../math.js";
import { PRICE_UNIT } from "../oracle.js";
import { MAX_FEE_PPM, newMarket } from "../orderbook/market.js";
import type { Accepted } from "../results.js";
import { TRADING_ROLES } from "../roles.js";
import type { Account, EngineState } from "../state.js";
import { requireAccount, requireActor, requireAmount, requireFree, requireId, requireInt, requireToken } from "../validate.js";
import { marginOf } from "./margin.js";
import type { CreatePerpMarketOp, DepositMarginOp, FundInsuranceOp, WithdrawMarginOp } from "./ops.js";
import { priceCache } from "./price.js";
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

/**
 * Handler of `createPerpMarket`.
 *
 * Rejects: INVALID_ID, UNKNOWN_TOKEN (quote), INVALID_OP (decimals, ppm fields out of range, MMF > IMF,
 * maxLeverage), INVALID_AMOUNT (lotSize, tickSize, impactNotional), ALREADY_EXISTS (id taken by a spot
 * or perp market), LIMIT_EXCEEDED.
 */
export function applyCreatePerpMarket(state: EngineState, op: CreatePerpMarketOp): Accepted<{ market: string }> {
  const id = requireId(op.market, "market");
  const quote = requireToken(state, op.quote, "quote");
  const asset = requireId(op.asset, "asset");
  const assetDecimals = requireInt(op.assetDecimals, "assetDecimals", 0, 36);
  const lotSize = requireAmount(op.lotSize, "lotSize");
  const tickSize = requireAmount(op.tickSize, "tickSize");
  const imfPpm = BigInt(requireInt(op.imfPpm, "imfPpm", 1, 1_000_000));
  const mmfPpm = BigInt(requireInt(op.mmfPpm, "mmfPpm", 1, Number(imfPpm)));
  const maxLeverage = requireInt(op.maxLeverage, "maxLeverage", 1, MAX_LEVERAGE);
  const makerFeePpm = BigInt(requireInt(op.makerFeePpm, "makerFeePpm", 0, MAX_FEE_PPM));
  const takerFeePpm = BigInt(requireInt(op.takerFeePpm, "takerFeePpm", 0, MAX_FEE_PPM));
  const liquidationFeePpm = BigInt(
    op.liquidationFeePpm === undefined ? DEFAULT_LIQUIDATION_FEE_PPM : requireInt(op.liquidationFeePpm, "liquidationFeePpm", 0, 1_000_000),
  );
  const impactNotional =
    op.impactNotional === undefined
      ? (IMPACT_NOTIONAL_WHOLE_QUOTE * 10n ** BigInt(quote.decimals) * PPM) / imfPpm
      : requireAmount(op.impactNotional, "impactNotional");
  if (state.markets.has(id)) reject("ALREADY_EXISTS", `market ${id} already exists`);
  if (state.perps.markets.size >= MAX_PERP_MARKETS) reject("LIMIT_EXCEEDED", `at most ${MAX_PERP_MARKETS} perp markets`);

  const leverageImf = (PPM + BigInt(maxLeverage) - 1n) / BigInt(maxLeverage); // ⌈1e6 / maxLeverage⌉
  const scaleNum = lotSize * 10n ** BigInt(quote.decimals);
  const scaleDen = 10n ** BigInt(assetDecimals) * PRICE_UNIT;
  const g = gcd(scaleNum, scaleDen);
  const book = newMarket({ id, base: asset, quote: quote.symbol, lotSize, tickSize, makerFeePpm, takerFeePpm });
  const market: PerpMarket = {
    id,
    quote: quote.symbol,
    asset,
    lotSize,
    assetDecimals,
    priceScaleNum: scaleNum / g,
    priceScaleDen: scaleDen / g,
    tickSize,
    imfPpm,
    mmfPpm,
    maxLeverage,
    effectiveImfPpm: imfPpm > leverageImf ? imfPpm : leverageImf,
    liquidationFeePpm,
    impactNotional,
    premiumClampPpm: PREMIUM_CLAMP_FACTOR * (imfPpm - mmfPpm),
    fundingClampPpm: FUNDING_CLAMP_FACTOR * (imfPpm - mmfPpm),
    book,
    positions: new Map(),
    samples: [],
    lastSampleMs: -1,
    lastFundingMs: state.timeMs,
    lastFundingRatePpm: 0n,
    openInterestLots: 0,
  };
  state.markets.set(id, book);
  state.dirtyMarkets.add(book);
  state.perps.markets.set(id, market);
  markMarket(state.perps, market);
  return { status: "accepted", market: id };
}

export interface MarginResult {
  /** The account's quote balance Q in the token after the op. */
  quoteBalance: bigint;
  /** Its free balance of the token after the op. */
  balance: bigint;
}

/**
 * Handler of `depositMargin`: free balance → perp collateral. Trading roles only.
 * Rejects: actor errors, UNKNOWN_TOKEN, INVALID_AMOUNT, INSUFFICIENT_BALANCE.
 */
export function applyDepositMargin(state: EngineState, op: DepositMarginOp): Accepted<MarginResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "trade perpetuals");
  const token = requireToken(state, op.token, "token").symbol;
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, token, amount);

  debit(state, account, token, amount);
  const pa = perpAccountFor(state.perps, account);
  addQuote(state.perps, pa, token, amount);
  addVault(state.perps, token, amount);
  return { status: "accepted", quoteBalance: pa.quote.get(token) ?? 0n, balance: account.free.get(token) ?? 0n };
}

/**
 * Handler of `withdrawMargin`: perp collateral → free balance. Any account may withdraw its own
 * collateral (as `withdraw`), but free collateral after it must stay ≥ 0 (dYdX: a withdrawal may not
 * leave the subaccount under its initial margin). Unrealized profit is withdrawable (Q may go
 * negative, covered by the position's value).
 *
 * Rejects: UNKNOWN_ACCOUNT, UNKNOWN_TOKEN, INVALID_AMOUNT, STALE_PRICE/UNKNOWN_PRICE (an open position's
 * index price is needed), INSUFFICIENT_MARGIN (free collateral would go negative).
 */
export function applyWithdrawMargin(state: EngineState, op: WithdrawMarginOp): Accepted<MarginResult> {
  const account = requireAccount(state, op.account, "account");
  const token = requireToken(state, op.token, "token").symbol;
  const amount = requireAmount(op.amount, "amount");
  const pa = state.perps.accounts.get(account.id);
  const prices = priceCache(state);
  const before = marginOf(state.perps, pa, token, prices);
  if (before === undefined) {
    reject("STALE_PRICE", `${account.id}: an index price of an open ${token} position is unavailable`);
  }
  if (before.freeCollateral < amount) {
    reject("INSUFFICIENT_MARGIN", `${account.id} has ${before.freeCollateral} ${token} free collateral, withdrawal needs ${amount}`);
  }
  invariant((state.perps.vault.get(token) ?? 0n) >= amount, "perp vault below an account's free collateral");

  addQuote(state.perps, pa!, token, -amount);
  addVault(state.perps, token, -amount);
  credit(state, account, token, amount);
  return { status: "accepted", quoteBalance: pa!.quote.get(token) ?? 0n, balance: account.free.get(token) ?? 0n };
}

/**
 * Handler of `fundInsurance`: free balance → insurance fund (dYdX: governance funds it from the
 * community treasury). Any account may donate. Rejects: actor errors, UNKNOWN_TOKEN, INVALID_AMOUNT,
 * INSUFFICIENT_BALANCE.
 */
export function applyFundInsurance(state: EngineState, op: FundInsuranceOp): Accepted<{ insuranceFund: bigint }> {
  const account = requireAccount(state, op.account, "account");
  const token = requireToken(state, op.token, "token").symbol;
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, token, amount);

  debit(state, account, token, amount);
  addInsurance(state.perps, token, amount);
  addVault(state.perps, token, amount);
  return { status: "accepted", insuranceFund: state.perps.insurance.get(token) ?? 0n };
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

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function encodeMap(map: Map<string, bigint>): string {
  return [...map.keys()]
    .sort()
    .map((k) => `${k}=${map.get(k)}`)
    .join(",");
}
