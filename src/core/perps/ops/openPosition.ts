/**
 * The `openPosition` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import type { SelfTradePrevention, Side } from "../../ops.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import { MAX_LOTS } from "../../orderbook/book.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireInt } from "../../validate.js";
import type { PerpOrderResult } from "../orders.js";
import { perpOrder, requirePerpMarket, requireSide, requireStp, worstPrice } from "../orders.js";

/**
 * A marketable IOC order (the seeds' guide's convenience): opens or adds to a position. Without
 * `worstPriceTicks` the limit is the index price ± 5% (rounded outward to a tick).
 */
export interface OpenPositionParameters {
  type: "openPosition";
  account: string;
  market: string;
  side: Side;
  lots: number;
  worstPriceTicks?: number;
  selfTradePrevention?: SelfTradePrevention;
}

/** What an accepted `openPosition` returns besides `status`. */
export type OpenPositionReturnType = PerpOrderResult;

/** Every rejection code `openPosition` can return (checked by `test/ops.registry.test.ts`). */
export const openPositionErrorCodes = [
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
export type OpenPositionErrorType = OpErrorType<typeof openPositionErrorCodes>;

/**
 * `openPosition {account, market, side, lots, [worstPriceTicks], [selfTradePrevention]}`: IOC.
 * Rejects: as `placeOrder`; UNKNOWN_MARKET if `market` is not a perp market.
 */
export function applyOpenPosition(state: EngineState, op: OpenPositionParameters): Accepted<PerpOrderResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "trade");
  const market = requirePerpMarket(state, op.market);
  const isBuy = requireSide(op.side);
  const lots = requireInt(op.lots, "lots", 1, MAX_LOTS, "INVALID_SIZE");
  const limitTicks = worstPrice(state, market, isBuy, op.worstPriceTicks);
  const stp = requireStp(op.selfTradePrevention);
  return perpOrder(state, { account, market, isBuy, limitTicks, lots, tif: "IOC", postOnly: false, stp });
}

export const openPositionOp = defineOp<OpenPositionParameters, OpenPositionReturnType>({
  type: "openPosition",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("market", "string"),
    req("side", "enum", { values: ["buy", "sell"] }),
    req("lots", "int"),
    opt("worstPriceTicks", "int", { doc: "default index ± 5%, rounded outward" }),
    opt("selfTradePrevention", "enum", { values: ["cancelTaker", "cancelMaker", "cancelBoth"] }),
  ],
  handler: applyOpenPosition,
  rejects: openPositionErrorCodes,
  docs: {
    section: "perps",
    summary: "an IOC order",
    result: "as `placeOrder`",
  },
});
