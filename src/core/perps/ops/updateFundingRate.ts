/**
 * The `updateFundingRate` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import type { FundingSampleResult } from "../funding.js";
import { FUNDING_SAMPLE_MS, MAX_SAMPLES, clamp, impactPrice, premiumTerm } from "../funding.js";
import { markMarket } from "../market.js";
import { requirePerpMarket } from "../orders.js";
import { indexPrice, indexTicks } from "../price.js";

/**
 * Takes one premium sample from the book (dYdX: one per `funding-sample` epoch of 60 s). Rejected
 * `FUNDING_NOT_DUE` less than 60 s after the previous sample.
 */
export interface UpdateFundingRateParameters {
  type: "updateFundingRate";
  market: string;
}

/** What an accepted `updateFundingRate` returns besides `status`. */
export type UpdateFundingRateReturnType = FundingSampleResult;

/** Every rejection code `updateFundingRate` can return (checked by `test/ops.registry.test.ts`). */
export const updateFundingRateErrorCodes = ["INVALID_OP", "UNKNOWN_MARKET", "LIMIT_EXCEEDED", "STALE_PRICE", "UNKNOWN_PRICE", "FUNDING_NOT_DUE"] as const;
export type UpdateFundingRateErrorType = OpErrorType<typeof updateFundingRateErrorCodes>;

/**
 * Handler of `updateFundingRate {market}`: records one premium sample.
 * Rejects: UNKNOWN_MARKET, FUNDING_NOT_DUE (< 60 s since the last sample), LIMIT_EXCEEDED
 * ({@link MAX_SAMPLES} unsettled samples), STALE_PRICE / UNKNOWN_PRICE.
 */
export function applyUpdateFundingRate(state: EngineState, op: UpdateFundingRateParameters): Accepted<FundingSampleResult> {
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

export const updateFundingRateOp = defineOp<UpdateFundingRateParameters, UpdateFundingRateReturnType>({
  type: "updateFundingRate",
  kind: "system",
  fields: [
    req("market", "string", { doc: "— one premium sample (at most one per 60 s)" }),
  ],
  handler: applyUpdateFundingRate,
  rejects: updateFundingRateErrorCodes,
  docs: {
    section: "perps",
    result: "`premiumPpm`, `impactBidTicks`, `impactAskTicks` (null: side thinner than the impact notional), `indexTicks`, `samples`",
  },
});
