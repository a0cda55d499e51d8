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
import { PPM } from "../math.js";
import type { BookSide } from "../orderbook/book.js";
import { type Frac } from "./margin.js";
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
export function premiumTerm(impact: Frac | undefined, price: Frac, isBid: boolean): bigint {
  if (impact === undefined) return 0n;
  // impact/P − 1 = (impact.num · P.den − impact.den · P.num) / (impact.den · P.num)
  const diff = impact.num * price.den - impact.den * price.num;
  const signed = isBid ? diff : -diff;
  if (signed <= 0n) return 0n;
  return (signed * PPM) / (impact.den * price.num);
}

export function clamp(x: bigint, bound: bigint): bigint {
  return x > bound ? bound : x < -bound ? -bound : x;
}
