/**
 * The `settleFunding` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { invariant, reject } from "../../errors.js";
import { PPM } from "../../math.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import type { FundingSettlementResult } from "../funding.js";
import { FUNDING_PERIOD_MS, FundingPayment, fundingRate, PERIODS_PER_RATE } from "../funding.js";
import { floorDiv } from "../margin.js";
import { addInsurance, addQuote, markMarket } from "../market.js";
import { requirePerpMarket } from "../orders.js";
import { indexPrice } from "../price.js";

/**
 * Settles one funding period (dYdX `funding-tick`, 1 hour): averages the samples into the 8-hour
 * rate, clamps it, and pays `S × P × rate / 8` between longs and shorts. Rejected `FUNDING_NOT_DUE`
 * less than 1 hour after the period began.
 */
export interface SettleFundingParameters {
  type: "settleFunding";
  market: string;
}

/** What an accepted `settleFunding` returns besides `status`. */
export type SettleFundingReturnType = FundingSettlementResult;

/** Every rejection code `settleFunding` can return (checked by `test/ops.registry.test.ts`). */
export const settleFundingErrorCodes = ["INVALID_OP", "UNKNOWN_MARKET", "STALE_PRICE", "UNKNOWN_PRICE", "FUNDING_NOT_DUE"] as const;
export type SettleFundingErrorType = OpErrorType<typeof settleFundingErrorCodes>;

/**
 * Handler of `settleFunding {market}`: pays one period's funding (module doc).
 * Rejects: UNKNOWN_MARKET, FUNDING_NOT_DUE (< 1 hour since the period began), STALE_PRICE /
 * UNKNOWN_PRICE (only when there are positions to pay).
 */
export function applySettleFunding(state: EngineState, op: SettleFundingParameters): Accepted<FundingSettlementResult> {
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

export const settleFundingOp = defineOp<SettleFundingParameters, SettleFundingReturnType>({
  type: "settleFunding",
  kind: "system",
  fields: [
    req("market", "string", { doc: "— pays one funding period (at most one per hour)" }),
  ],
  handler: applySettleFunding,
  rejects: settleFundingErrorCodes,
  docs: {
    section: "perps",
    result: "`fundingRatePpm` (8-hour rate), `samples`, `paid`, `received`, `toInsuranceFund`, `payments` (`account`, `lots`, `amount`: + received, − paid)",
  },
});
