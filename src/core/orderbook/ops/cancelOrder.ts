/**
 * The `cancelOrder` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { release } from "../../ledger.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted, CancelResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireInt } from "../../validate.js";
import { touchLevel } from "../book.js";
import { requireMarket } from "../market.js";
import { removeResting, requireTrader, reservationBroken } from "../matching.js";

/**
 * Cancels a resting order, or with `lots` reduces it by that many lots keeping its time priority
 * (a partial cancel, as exchanges and LOBSTER's type-2 events do). Only the owner may cancel.
 */
export interface CancelOrderParameters {
  type: "cancelOrder";
  account: string;
  market: string;
  orderId: number;
  lots?: number;
}

/** What an accepted `cancelOrder` returns besides `status`. */
export type CancelOrderReturnType = CancelResult;

/** Every rejection code `cancelOrder` can return (checked by `test/ops.registry.test.ts`). */
export const cancelOrderErrorCodes = [
  "INVALID_OP",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_MARKET",
  "UNKNOWN_ORDER",
  "NOT_PERMITTED",
  "INVALID_SIZE",
] as const;
export type CancelOrderErrorType = OpErrorType<typeof cancelOrderErrorCodes>;

/**
 * Handler of `cancelOrder`: removes resting order `orderId` (releasing all it still reserves), or with
 * `lots` reduces it by that many lots keeping its place in the queue (releasing `lots × perLot`).
 * Reducing it to 0 lots is a full cancel.
 *
 * Shape: `{account, market, orderId, lots?}`; returns {@link CancelResult}.
 *
 * Rejects: actor errors, UNKNOWN_MARKET, UNKNOWN_ORDER (not resting in this market; malformed id),
 * NOT_PERMITTED (somebody else's order), INVALID_SIZE (`lots` not in 1..remaining).
 */
export function applyCancelOrder(state: EngineState, op: CancelOrderParameters): Accepted<CancelResult> {
  const account = requireTrader(state, op.account);
  const market = requireMarket(state, op.market);
  const order = typeof op.orderId === "number" ? market.orders.get(op.orderId) : undefined;
  if (order === undefined) return reject("UNKNOWN_ORDER", `no resting order ${String(op.orderId)} in ${market.id}`);
  if (order.account !== account) reject("NOT_PERMITTED", `order ${order.id} belongs to another account`);
  const lots = op.lots === undefined ? order.lots : requireInt(op.lots, "lots", 1, order.lots, "INVALID_SIZE");

  // ── no rejection below this line ──
  state.dirtyMarkets.add(market);
  if (lots === order.lots) {
    removeResting(state, market, order);
    return { status: "accepted", orderId: order.id, cancelledLots: lots, remainingLots: 0 };
  }
  const freed = BigInt(lots) * order.level.perLot;
  order.lots -= lots;
  order.level.totalLots -= lots;
  order.reserved -= freed;
  touchLevel(order.level);
  // Perp orders reserve nothing (perLot 0): releasing 0 would write a zero balance entry.
  if (freed > 0n) release(state, order.account, order.side === "buy" ? market.quote : market.base, freed);
  if (order.reserved < BigInt(order.lots) * order.level.perLot) reservationBroken(order);
  return { status: "accepted", orderId: order.id, cancelledLots: lots, remainingLots: order.lots };
}

export const cancelOrderOp = defineOp<CancelOrderParameters, CancelOrderReturnType>({
  type: "cancelOrder",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("market", "string"),
    req("orderId", "int"),
    opt("lots", "int", { doc: "partial cancel, keeps time priority" }),
  ],
  handler: applyCancelOrder,
  rejects: cancelOrderErrorCodes,
  docs: {
    section: "core",
    result: "`orderId`, `cancelledLots`, `remainingLots`",
  },
});
