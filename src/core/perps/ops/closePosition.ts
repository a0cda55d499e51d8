/**
 * The `closePosition` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import type { SelfTradePrevention } from "../../ops.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import { MAX_LOTS } from "../../orderbook/book.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor } from "../../validate.js";
import type { PerpOrderResult } from "../orders.js";
import { perpOrder, requirePerpMarket, requireStp, worstPrice } from "../orders.js";

/** A marketable IOC order for the whole position, opposite side (limit as `openPosition`). */
export interface ClosePositionParameters {
  type: "closePosition";
  account: string;
  market: string;
  worstPriceTicks?: number;
  selfTradePrevention?: SelfTradePrevention;
}

/** What an accepted `closePosition` returns besides `status`. */
export type ClosePositionReturnType = PerpOrderResult;

/** Every rejection code `closePosition` can return (checked by `test/ops.registry.test.ts`). */
export const closePositionErrorCodes = [
  "INVALID_OP",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_MARKET",
  "NOT_PERMITTED",
  "INVALID_PRICE",
  "INVALID_SIZE",
  "POST_ONLY_WOULD_CROSS",
  "FOK_NOT_FILLABLE",
  "LIMIT_EXCEEDED",
  "STALE_PRICE",
  "UNKNOWN_PRICE",
  "INSUFFICIENT_MARGIN",
  "LEVERAGE_EXCEEDED",
] as const;
export type ClosePositionErrorType = OpErrorType<typeof closePositionErrorCodes>;

/**
 * `closePosition {account, market, [worstPriceTicks], [selfTradePrevention]}`: IOC for the whole
 * position on the other side. Rejects: as `openPosition`; INVALID_OP when there is no position.
 */
export function applyClosePosition(state: EngineState, op: ClosePositionParameters): Accepted<PerpOrderResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "trade");
  const market = requirePerpMarket(state, op.market);
  const position = market.positions.get(account) ?? 0;
  if (position === 0) reject("INVALID_OP", `${account.id} has no position in ${market.id}`);
  const isBuy = position < 0;
  const lots = Math.abs(position);
  if (lots > MAX_LOTS) reject("INVALID_SIZE", `position of ${lots} lots is above the order limit ${MAX_LOTS}; close it in parts`);
  const limitTicks = worstPrice(state, market, isBuy, op.worstPriceTicks);
  const stp = requireStp(op.selfTradePrevention);
  return perpOrder(state, { account, market, isBuy, limitTicks, lots, tif: "IOC", postOnly: false, stp });
}

export const closePositionOp = defineOp<ClosePositionParameters, ClosePositionReturnType>({
  type: "closePosition",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("market", "string"),
    opt("worstPriceTicks", "int"),
    opt("selfTradePrevention", "enum", { values: ["cancelTaker", "cancelMaker", "cancelBoth"] }),
  ],
  handler: applyClosePosition,
  rejects: closePositionErrorCodes,
  docs: {
    section: "perps",
    summary: "an IOC order for the whole position",
    result: "as `placeOrder`",
  },
});
