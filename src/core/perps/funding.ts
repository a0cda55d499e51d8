/**
 * Funding, dYdX V4 style (docs "Funding"; v4-chain x/perpetuals `MaybeProcessNewFundingSampleEpoch`,
 * `MaybeProcessNewFundingTickEpoch`, `GetSettlementPpm`).
 *
 * **Samples** (`updateFundingRate`, at most one per {@link FUNDING_SAMPLE_MS} = 60 s, dYdX's
 * `funding-sample` epoch):
 *
 *   premium = (max(0, impactBid − index) − max(0, index − impactAsk)) / index
 *
 * where impactBid (impactAsk) is the average execution price of a market sell (buy) of the impact
 * notional (dYdX: 500 USDC / IMF) against the book. A side without that much liquidity contributes 0.
 * Each term is computed exactly from the book and floored to ppm (toward zero), then the sample is
 * clamped to ±60 × (IMF − MMF) (dYdX premium-vote clamp, 6000%). dYdX takes the median of the
 * validators' votes as the sample; here the book is one shared state, so the sample is that one value.
 *
 * **Settlement** (`settleFunding`, once per {@link FUNDING_PERIOD_MS} = 1 hour, dYdX's `funding-tick`):
 * the 8-hour rate R is the mean of the period's samples (rounded toward zero; no samples ⇒ 0, and the
 * interest-rate component is 0 as on dYdX's cross markets), clamped to ±6 × (IMF − MMF) (dYdX
 * funding-rate clamp, 600%). Each position pays `S · P · R / 8` for the hour (P the index price per lot
 * at settlement): longs pay shorts when R > 0, shorts pay longs when R < 0.
 *
 * **Rounding that conserves funds** (as dYdX's `GetSettlementPpm`: "round positive settlement amount
 * to zero, and negative amount to negative infinity"): every account's signed amount is floored, so
 * receivers get at most their exact share and payers pay at least theirs. Since Σ S = 0, the exact
 * amounts sum to 0 and the floored ones to −r with 0 ≤ r < (number of positions); that remainder r
 * goes to the insurance fund. Nothing is created: Σ received + r = Σ paid, exactly.
 */
import { invariant, reject } from "../errors.js";
import { PPM } from "../math.js";
import type { BookSide } from "../orderbook/book.js";
import type { Accepted } from "../results.js";
import type { EngineState } from "../state.js";
import { floorDiv, type Frac } from "./margin.js";
import { addInsurance, addQuote, markMarket } from "./market.js";
import type { SettleFundingOp, UpdateFundingRateOp } from "./ops.js";
import { requirePerpMarket } from "./orders.js";
import { indexPrice, indexTicks } from "./price.js";
import type { PerpMarket } from "./state.js";

/** dYdX `funding-sample` epoch: one premium sample per minute. */
export const FUNDING_SAMPLE_MS = 60_000;
/** dYdX `funding-tick` epoch: funding is paid every hour. */
export const FUNDING_PERIOD_MS = 3_600_000;
/** The funding rate is an 8-hour rate; one period pays 1/8 of it. */
export const PERIODS_PER_RATE = 8n;
/** Most samples kept in one period (8 hours of minutes): settle before that. */
export const MAX_SAMPLES = 480;

export interface FundingSampleResult {
  /** The clamped premium sample, ppm. */
  premiumPpm: bigint;
  /** Impact bid/ask as ⌊average price / tickSize⌋, or null when the side is too thin. */
  impactBidTicks: number | null;
  impactAskTicks: number | null;
  indexTicks: number;
  /** Samples in the current period, including this one. */
  samples: number;
}

/**
 * Handler of `updateFundingRate {market}`: records one premium sample.
 * Rejects: UNKNOWN_MARKET, FUNDING_NOT_DUE (< 60 s since the last sample), LIMIT_EXCEEDED
 * ({@link MAX_SAMPLES} unsettled samples), STALE_PRICE / UNKNOWN_PRICE.
 */
export function applyUpdateFundingRate(state: EngineState, op: UpdateFundingRateOp): Accepted<FundingSampleResult> {
  const market = requirePerpMarket(state, op.market);
  if (market.lastSampleMs >= 0 && state.timeMs < market.lastSampleMs + FUNDING_SAMPLE_MS) {
    reject("FUNDING_NOT_DUE", `${market.id}: next premium sample at ${market.lastSampleMs + FUNDING_SAMPLE_MS} ms, now ${state.timeMs}`);
  }
  if (market.samples.length >= MAX_SAMPLES) reject("LIMIT_EXCEEDED", `${market.id}: ${MAX_SAMPLES} samples unsettled; settleFunding first`);
  const price = indexPrice(state, market);
  const bid = impactPrice(market.book.bids, market.impactNotional);
  const ask = impactPrice(market.book.asks, market.impactNotional);
  const raw = premiumTerm(bid, price, true) - premiumTerm(ask, price, false);
  const premiumPpm = clamp(raw, market.premiumClampPpm);

  market.samples.push(premiumPpm);
  market.lastSampleMs = state.timeMs;
  markMarket(state.perps, market);
  return {
    status: "accepted",
    premiumPpm,
    impactBidTicks: bid === undefined ? null : Number((bid.num / bid.den) / market.tickSize),
    impactAskTicks: ask === undefined ? null : Number((ask.num / ask.den) / market.tickSize),
    indexTicks: indexTicks(market, price),
    samples: market.samples.length,
  };
}

export interface FundingPayment {
  account: string;
  /** Position, lots. */
  lots: number;
  /** Signed amount credited to Q (negative: paid), quote base units. */
  amount: bigint;
}

export interface FundingSettlementResult {
  /** The clamped 8-hour rate, ppm. */
  fundingRatePpm: bigint;
  samples: number;
  /** Σ paid by payers, Σ received by receivers, and the rounding remainder to the insurance fund. */
  paid: bigint;
  received: bigint;
  toInsuranceFund: bigint;
  payments: FundingPayment[];
}

/**
 * Handler of `settleFunding {market}`: pays one period's funding (module doc).
 * Rejects: UNKNOWN_MARKET, FUNDING_NOT_DUE (< 1 hour since the period began), STALE_PRICE /
 * UNKNOWN_PRICE (only when there are positions to pay).
 */
export function applySettleFunding(state: EngineState, op: SettleFundingOp): Accepted<FundingSettlementResult> {
  const market = requirePerpMarket(state, op.market);
  if (state.timeMs < market.lastFundingMs + FUNDING_PERIOD_MS) {
    reject("FUNDING_NOT_DUE", `${market.id}: funding is due at ${market.lastFundingMs + FUNDING_PERIOD_MS} ms, now ${state.timeMs}`);
  }
  const price = market.positions.size > 0 ? indexPrice(state, market) : undefined;

  const rate = fundingRate(market);
  const payments: FundingPayment[] = [];
  let paid = 0n;
  let received = 0n;
  if (price !== undefined && rate !== 0n) {
    const den = price.den * PPM * PERIODS_PER_RATE;
    const holders = [...market.positions].sort(([a], [b]) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const [account, lots] of holders) {
      const amount = floorDiv(-BigInt(lots) * price.num * rate, den);
      if (amount < 0n) paid -= amount;
      else received += amount;
      payments.push({ account: account.id, lots, amount });
    }
  }
  const remainder = paid - received;
  invariant(remainder >= 0n, "funding would create funds"); // Σ S = 0 ⇒ Σ exact amounts = 0 ⇒ Σ floors ≤ 0

  for (const p of payments) addQuote(state.perps, state.perps.accounts.get(p.account)!, market.quote, p.amount);
  if (remainder > 0n) addInsurance(state.perps, market.quote, remainder);
  const samples = market.samples.length;
  market.samples = [];
  market.lastFundingMs = state.timeMs;
  market.lastFundingRatePpm = rate;
  markMarket(state.perps, market);
  return { status: "accepted", fundingRatePpm: rate, samples, paid, received, toInsuranceFund: remainder, payments };
}

/** The period's 8-hour rate: mean of the samples (toward zero), clamped. */
export function fundingRate(market: PerpMarket): bigint {
  if (market.samples.length === 0) return 0n;
  let sum = 0n;
  for (const s of market.samples) sum += s;
  return clamp(sum / BigInt(market.samples.length), market.fundingClampPpm);
}

/**
 * Average execution price per lot (exact fraction) of a market order for `notional` quote base units
 * against `side`, best level first; undefined if the side holds less than `notional`.
 */
export function impactPrice(side: BookSide, notional: bigint): Frac | undefined {
  let need = notional;
  let fullLots = 0n;
  let result: Frac | undefined;
  side.forEachLevel((level) => {
    const levelNotional = BigInt(level.totalLots) * level.lotNotional;
    if (levelNotional >= need) {
      // lots = fullLots + need / lotNotional ⇒ price = notional · lotNotional / (fullLots · lotNotional + need)
      result = { num: notional * level.lotNotional, den: fullLots * level.lotNotional + need };
      return false;
    }
    need -= levelNotional;
    fullLots += BigInt(level.totalLots);
    return true;
  });
  return result;
}

/** max(0, impactBid − P)/P (bid) or max(0, P − impactAsk)/P (ask), ppm, floored; 0 without an impact price. */
function premiumTerm(impact: Frac | undefined, price: Frac, isBid: boolean): bigint {
  if (impact === undefined) return 0n;
  // impact/P − 1 = (impact.num · P.den − impact.den · P.num) / (impact.den · P.num)
  const diff = impact.num * price.den - impact.den * price.num;
  const signed = isBid ? diff : -diff;
  if (signed <= 0n) return 0n;
  return (signed * PPM) / (impact.den * price.num);
}

function clamp(x: bigint, bound: bigint): bigint {
  return x > bound ? bound : x < -bound ? -bound : x;
}
