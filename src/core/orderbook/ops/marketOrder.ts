/**
 * The `marketOrder` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { placeOrderErrorCodes } from "./placeOrder.js";
import type { SelfTradePrevention, Side } from "../../ops.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import { applyPerpMarketOrder, perpMarketOf } from "../../perps/orders.js";
import type { Accepted, OrderResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { applyMarketOrder as applySpotMarketOrder } from "../matching.js";

/** A market order: takes liquidity up to `worstPriceTicks`, never rests (IOC). */
export interface MarketOrderParameters {
  type: "marketOrder";
  account: string;
  market: string;
  side: Side;
  lots: number;
  worstPriceTicks: number;
  selfTradePrevention?: SelfTradePrevention;
}

/** What an accepted `marketOrder` returns besides `status`. */
export type MarketOrderReturnType = OrderResult;

/** Every rejection code `marketOrder` can return: the same as `placeOrder`'s (one matching path; checked by `test/ops.registry.test.ts`). */
export const marketOrderErrorCodes = placeOrderErrorCodes;
export type MarketOrderErrorType = OpErrorType<typeof marketOrderErrorCodes>;

/** On a spot market the order-book op (orderbook/matching.ts); given a perp market id, the perp order (perps/orders.ts). */
export function applyMarketOrder(state: EngineState, op: MarketOrderParameters): Accepted<MarketOrderReturnType> {
  return perpMarketOf(state, op.market) === undefined ? applySpotMarketOrder(state, op) : applyPerpMarketOrder(state, op);
}

export const marketOrderOp = defineOp<MarketOrderParameters, MarketOrderReturnType>({
  type: "marketOrder",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("market", "string"),
    req("side", "enum", { values: ["buy", "sell"] }),
    req("lots", "int"),
    req("worstPriceTicks", "int"),
    opt("selfTradePrevention", "enum", { values: ["cancelTaker", "cancelMaker", "cancelBoth"] }),
  ],
  handler: applyMarketOrder,
  rejects: marketOrderErrorCodes,
  docs: {
    section: "core",
    result: "as `placeOrder`",
  },
});
