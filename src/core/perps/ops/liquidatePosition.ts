/**
 * The `liquidatePosition` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { invariant, reject } from "../../errors.js";
import { feeUp } from "../../math.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import { newResult, removeResting } from "../../orderbook/matching.js";
import type { Accepted } from "../../results.js";
import { Role } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireActor } from "../../validate.js";
import type { PerpLiquidationResult } from "../liquidation.js";
import { bankruptcyQuote, fillablePriceTicks } from "../liquidation.js";
import { marginOf } from "../margin.js";
import { addInsurance, addQuote, perpAccountFor, setPosition } from "../market.js";
import { matchPerp, requirePerpMarket } from "../orders.js";
import { indexPrice, indexTicks, priceCache } from "../price.js";

/** Liquidator role: closes `account`'s position in `market` (see `perps/liquidation.ts`). */
export interface LiquidatePositionParameters {
  type: "liquidatePosition";
  liquidator: string;
  account: string;
  market: string;
}

/** What an accepted `liquidatePosition` returns besides `status`. */
export type LiquidatePositionReturnType = PerpLiquidationResult;

/** Every rejection code `liquidatePosition` can return (checked by `test/ops.registry.test.ts`). */
export const liquidatePositionErrorCodes = [
  "INVALID_OP",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_MARKET",
  "NOT_PERMITTED",
  "STALE_PRICE",
  "UNKNOWN_PRICE",
  "NOT_LIQUIDATABLE",
] as const;
export type LiquidatePositionErrorType = OpErrorType<typeof liquidatePositionErrorCodes>;

/** Handler of `liquidatePosition` (module doc). Rejects: actor errors (NOT_PERMITTED without the
 * Liquidator role, or liquidating oneself), UNKNOWN_ACCOUNT, UNKNOWN_MARKET, STALE_PRICE /
 * UNKNOWN_PRICE, NOT_LIQUIDATABLE (no position, or equity ≥ maintenance requirement). */
export function applyLiquidatePosition(state: EngineState, op: LiquidatePositionParameters): Accepted<PerpLiquidationResult> {
  const liquidator = requireActor(state, op.liquidator, "liquidator", Role.Liquidator, "liquidate");
  const account = requireAccount(state, op.account, "account");
  const market = requirePerpMarket(state, op.market);
  if (liquidator === account) reject("NOT_PERMITTED", "an account cannot liquidate itself");
  const position = market.positions.get(account) ?? 0;
  if (position === 0) reject("NOT_LIQUIDATABLE", `${account.id} has no position in ${market.id}`);
  const price = indexPrice(state, market);
  const prices = priceCache(state, market, price);
  const pa = state.perps.accounts.get(account.id)!;
  const margin = marginOf(state.perps, pa, market.quote, prices);
  if (margin === undefined) reject("STALE_PRICE", `${account.id}: an index price of another open position is unavailable`);
  if (margin.equity >= margin.maintenanceRequirement) {
    reject("NOT_LIQUIDATABLE", `${account.id}: equity ${margin.equity} ≥ maintenance requirement ${margin.maintenanceRequirement}`);
  }

  // ── no rejection below this line ──
  const tnc = margin.equity;
  const tmmr = margin.maintenanceRequirement;
  const isBuy = position < 0;
  const lots = Math.abs(position);
  const limitTicks = fillablePriceTicks(market, price, isBuy, tnc, tmmr);
  const token = market.quote;
  const perps = state.perps;
  const result: PerpLiquidationResult = {
    account: account.id,
    market: market.id,
    position,
    equity: tnc,
    maintenanceRequirement: tmmr,
    indexTicks: indexTicks(market, price),
    fillablePriceTicks: limitTicks,
    filledLots: 0,
    fills: [],
    deleveragedLots: 0,
    deleveraging: [],
    remainingLots: lots,
    penalty: 0n,
    insuranceCovered: 0n,
    badDebt: 0n,
    insuranceFund: 0n,
    cancelledOrders: [],
    undercollateralizedCancelled: [],
  };

  // 1. cancel the account's resting orders in this market
  const own = [...market.book.orders.values()].filter((o) => o.account === account).sort((a, b) => a.id - b.id);
  for (const order of own) {
    result.cancelledOrders.push(order.id);
    removeResting(state, market.book, order);
  }
  state.dirtyMarkets.add(market.book);

  // 2–3. against the book, with the insurance fund settling each fill against the bankruptcy price
  let closed = 0; // lots closed so far (book + deleveraging)
  const bankruptcyDelta = (k: number): bigint => bankruptcyQuote(price, market, isBuy, tnc, tmmr, closed + k) - bankruptcyQuote(price, market, isBuy, tnc, tmmr, closed);
  let stoppedByInsurance = false;
  const order = { ...newResult(0), undercollateralizedCancelled: result.undercollateralizedCancelled };
  const { remaining } = matchPerp(state, market, pa, isBuy, limitTicks, lots, "cancelTaker", order, prices, {
    mayFill(k, quote) {
      const delta = (isBuy ? -quote : quote) - bankruptcyDelta(k);
      if (delta < 0n && -delta > (perps.insurance.get(token) ?? 0n)) {
        stoppedByInsurance = true;
        return false;
      }
      return true;
    },
    onFill(k, quote) {
      const delta = (isBuy ? -quote : quote) - bankruptcyDelta(k);
      if (delta > 0n) {
        const cap = feeUp(quote, market.liquidationFeePpm);
        const penalty = delta < cap ? delta : cap;
        addQuote(perps, pa, token, -penalty);
        addInsurance(perps, token, penalty);
        result.penalty += penalty;
      } else if (delta < 0n) {
        addQuote(perps, pa, token, -delta);
        addInsurance(perps, token, delta);
        result.insuranceCovered -= delta;
      }
      closed += k;
    },
  });
  result.fills = order.fills;
  result.filledLots = lots - remaining;

  // 4. deleveraging
  if (remaining > 0 && (stoppedByInsurance || tnc < 0n)) {
    let left = remaining;
    const counterparties = [...market.positions]
      .filter(([a, s]) => a !== account && (position > 0 ? s < 0 : s > 0))
      .sort(([a, s], [b, t]) => Math.abs(t) - Math.abs(s) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const [cpAccount, cpLots] of counterparties) {
      if (left === 0) break;
      const d = Math.min(left, Math.abs(cpLots));
      const quote = bankruptcyDelta(d); // signed, to the liquidated account
      const cp = perpAccountFor(perps, cpAccount);
      setPosition(perps, market, cp, cpLots + (position > 0 ? d : -d));
      addQuote(perps, cp, token, -quote);
      const now = market.positions.get(account) ?? 0;
      setPosition(perps, market, pa, now + (position > 0 ? -d : d));
      addQuote(perps, pa, token, quote);
      closed += d;
      left -= d;
      result.deleveraging.push({ account: cpAccount.id, lots: d, quote });
      result.deleveragedLots += d;
    }
    invariant(left === 0, "offsetting positions do not cover a position (Σ positions ≠ 0)");
  }
  result.remainingLots = Math.abs(market.positions.get(account) ?? 0);

  // 5. negative dust on an account with nothing left
  const q = pa.quote.get(token) ?? 0n;
  if (pa.markets.size === 0 && q < 0n) {
    const fund = perps.insurance.get(token) ?? 0n;
    const cover = -q < fund ? -q : fund;
    if (cover > 0n) {
      addInsurance(perps, token, -cover);
      addQuote(perps, pa, token, cover);
      result.insuranceCovered += cover;
    }
    const residual = -q - cover;
    if (residual > 0n) {
      perps.badDebt.set(token, (perps.badDebt.get(token) ?? 0n) + residual);
      perps.dirty.add("pg");
      result.badDebt = residual;
    }
  }
  perpAccountFor(perps, account); // mark dirty
  result.insuranceFund = perps.insurance.get(token) ?? 0n;
  return { status: "accepted", ...result };
}

export const liquidatePositionOp = defineOp<LiquidatePositionParameters, LiquidatePositionReturnType>({
  type: "liquidatePosition",
  kind: "batch",
  fields: [
    req("liquidator", "string", { doc: "Liquidator role" }),
    req("account", "string"),
    req("market", "string"),
  ],
  handler: applyLiquidatePosition,
  rejects: liquidatePositionErrorCodes,
  docs: {
    section: "perps",
    result: "`position`, `equity`, `maintenanceRequirement` (before), `indexTicks`, `fillablePriceTicks`, `filledLots`, `fills`, `deleveragedLots`, `deleveraging` (`account`, `lots`, `quote`), `remainingLots`, `penalty`, `insuranceCovered`, `badDebt`, `insuranceFund`, `cancelledOrders`, `undercollateralizedCancelled`",
  },
});
