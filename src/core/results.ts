/**
 * Results of ops. `accepted` results carry the op's events (amounts moved, fills); `rejected` ones a
 * stable {@link RejectCode} and a message, and the engine state is exactly as before the op.
 */
import type { RejectCode } from "./errors.js";

export interface Rejected {
  status: "rejected";
  code: RejectCode;
  message: string;
}

export type Accepted<T extends object = object> = { status: "accepted" } & T;

export type Result<T extends object = object> = Accepted<T> | Rejected;

export interface BalanceResult {
  /** The account's free balance of the token after the op. */
  balance: bigint;
}

export interface SwapResult {
  amountIn: bigint;
  amountOut: bigint;
  tokenIn: string;
  tokenOut: string;
}

export interface LiquidityResult {
  amount0: bigint;
  amount1: bigint;
  /** LP shares minted (add) or burned (remove). */
  liquidity: bigint;
}

/** One match between the incoming (taker) order and a resting (maker) order. */
export interface Fill {
  makerOrderId: number;
  maker: string;
  /** Execution price: always the maker's price. */
  priceTicks: number;
  lots: number;
  /** Base units moved from seller to buyer: lots × lotSize. */
  baseAmount: bigint;
  /** Quote notional before fees: lots × priceTicks × tickSize. */
  quoteAmount: bigint;
  makerFee: bigint;
  takerFee: bigint;
}

export type OrderStatus = "resting" | "filled" | "partiallyFilled" | "cancelled";

export interface OrderResult {
  orderId: number;
  /** The order's own status (named so it does not collide with the result's `status: "accepted"`). */
  orderStatus: OrderStatus;
  fills: Fill[];
  filledLots: number;
  /** Lots left on the book (0 unless GTC). */
  restingLots: number;
  /** Lots not filled and not resting (IOC/market remainder, self-trade prevention). */
  cancelledLots: number;
  /** Resting orders of the same account cancelled by self-trade prevention (`cancelMaker`/`cancelBoth`). */
  selfTradeCancelled: number[];
}

export interface CancelResult {
  orderId: number;
  cancelledLots: number;
  /** Lots still resting after a partial cancel (0 after a full cancel). */
  remainingLots: number;
}

export function rejected(code: RejectCode, message: string): Rejected {
  return { status: "rejected", code, message };
}
