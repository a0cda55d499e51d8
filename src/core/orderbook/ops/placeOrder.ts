/**
 * The `placeOrder` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import type { SelfTradePrevention, Side, TimeInForce } from "../../ops.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import { applyPerpPlaceOrder, perpMarketOf } from "../../perps/orders.js";
import type { Accepted, OrderResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { applyPlaceOrder as applySpotPlaceOrder } from "../matching.js";

/** A limit order. Funds are reserved at placement and released on cancel or fill. */
export interface PlaceOrderParameters {
  type: "placeOrder";
  account: string;
  market: string;
  side: Side;
  priceTicks: number;
  lots: number;
  /** Default GTC. IOC and FOK never rest. */
  timeInForce?: TimeInForce;
  /** Rejected with POST_ONLY_WOULD_CROSS instead of taking liquidity. Only with GTC. */
  postOnly?: boolean;
  selfTradePrevention?: SelfTradePrevention;
}

/** What an accepted `placeOrder` returns besides `status`. */
export type PlaceOrderReturnType = OrderResult;

/** Every rejection code `placeOrder` can return (checked by `test/ops.registry.test.ts`). */
export const placeOrderErrorCodes = [
  "INVALID_OP",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_MARKET",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
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
export type PlaceOrderErrorType = OpErrorType<typeof placeOrderErrorCodes>;

/** On a spot market the order-book op (orderbook/matching.ts); given a perp market id, the perp order (perps/orders.ts). */
export function applyPlaceOrder(state: EngineState, op: PlaceOrderParameters): Accepted<PlaceOrderReturnType> {
  return perpMarketOf(state, op.market) === undefined ? applySpotPlaceOrder(state, op) : applyPerpPlaceOrder(state, op);
}

export const placeOrderOp = defineOp<PlaceOrderParameters, PlaceOrderReturnType>({
  type: "placeOrder",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("market", "string"),
    req("side", "enum", { values: ["buy", "sell"] }),
    req("priceTicks", "int"),
    req("lots", "int"),
    opt("timeInForce", "enum", { values: ["GTC", "IOC", "FOK"] }),
    opt("postOnly", "boolean"),
    opt("selfTradePrevention", "enum", { values: ["cancelTaker", "cancelMaker", "cancelBoth"] }),
  ],
  handler: applyPlaceOrder,
  rejects: placeOrderErrorCodes,
  docs: {
    section: "core",
    result: "`orderId`, `orderStatus`, `fills`, `filledLots`, `restingLots`, `cancelledLots`, `selfTradeCancelled`",
  },
});
