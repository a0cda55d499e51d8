/**
 * Ops of the perpetual-futures module (dYdX V4 style). `placeOrder`, `marketOrder` and `cancelOrder`
 * are the order-book ops of `ops.ts`: given a perp market id they act on the perp market (see
 * `perps/orders.ts`); the ops below are perp-only.
 *
 * Units: amounts are bigint base units of the collateral token; fractions are ppm (1e6 = 100%);
 * prices are integer ticks and sizes integer lots of the market (as a spot market); times are ms.
 */
import type { SelfTradePrevention, Side } from "../ops.js";

/**
 * Creates a perpetual market with its own order book.
 *
 * One lot is `lotSize` base units of the asset (whose whole unit has `assetDecimals`); one tick is
 * `tickSize` base units of `quote` per lot, so `lots` at `priceTicks` is worth `lots × priceTicks ×
 * tickSize` quote base units. The index price is the oracle price of `asset`.
 */
export interface CreatePerpMarketOp {
  type: "createPerpMarket";
  market: string;
  /** Collateral token (USDC). Valued at 1 USD per whole token. */
  quote: string;
  /** Oracle asset id of the index price ("ETH-USD", "WETH"). */
  asset: string;
  /** Decimals of one whole asset, 0..36 (ETH: 18). */
  assetDecimals: number;
  lotSize: bigint;
  tickSize: bigint;
  /** Initial margin fraction, ppm, 1..1000000 (dYdX large-cap: 50000 = 5%). */
  imfPpm: number;
  /** Maintenance margin fraction, ppm of notional, 1..imfPpm (dYdX large-cap: 30000 = 3%). */
  mmfPpm: number;
  /** Leverage cap of the channel rules, 1..1000 (×). The check uses max(IMF, 1/maxLeverage). */
  maxLeverage: number;
  /** Trading fees, ppm of notional, rounded up, 0..100000. */
  makerFeePpm: number;
  takerFeePpm: number;
  /** Max liquidation penalty, ppm of the closed notional; default 15000 (dYdX 1.5%). */
  liquidationFeePpm?: number;
  /** Impact notional for funding samples, quote base units; default 500 whole quote tokens / IMF (dYdX). */
  impactNotional?: bigint;
}

/** Moves `amount` of `token` from the account's free balance into its perp collateral (Q). */
export interface DepositMarginOp {
  type: "depositMargin";
  account: string;
  token: string;
  amount: bigint;
}

/** Moves `amount` of collateral back to the free balance; free collateral must stay ≥ 0. */
export interface WithdrawMarginOp {
  type: "withdrawMargin";
  account: string;
  token: string;
  amount: bigint;
}

/** Moves `amount` of `token` from the account's free balance into the insurance fund (a donation). */
export interface FundInsuranceOp {
  type: "fundInsurance";
  account: string;
  token: string;
  amount: bigint;
}

/**
 * A marketable IOC order (the seeds' guide's convenience): opens or adds to a position. Without
 * `worstPriceTicks` the limit is the index price ± 5% (rounded outward to a tick).
 */
export interface OpenPositionOp {
  type: "openPosition";
  account: string;
  market: string;
  side: Side;
  lots: number;
  worstPriceTicks?: number;
  selfTradePrevention?: SelfTradePrevention;
}

/** A marketable IOC order for the whole position, opposite side (limit as {@link OpenPositionOp}). */
export interface ClosePositionOp {
  type: "closePosition";
  account: string;
  market: string;
  worstPriceTicks?: number;
  selfTradePrevention?: SelfTradePrevention;
}

/**
 * Takes one premium sample from the book (dYdX: one per `funding-sample` epoch of 60 s). Rejected
 * `FUNDING_NOT_DUE` less than 60 s after the previous sample.
 */
export interface UpdateFundingRateOp {
  type: "updateFundingRate";
  market: string;
}

/**
 * Settles one funding period (dYdX `funding-tick`, 1 hour): averages the samples into the 8-hour
 * rate, clamps it, and pays `S × P × rate / 8` between longs and shorts. Rejected `FUNDING_NOT_DUE`
 * less than 1 hour after the period began.
 */
export interface SettleFundingOp {
  type: "settleFunding";
  market: string;
}

/** Liquidator role: closes `account`'s position in `market` (see `perps/liquidation.ts`). */
export interface LiquidatePositionOp {
  type: "liquidatePosition";
  liquidator: string;
  account: string;
  market: string;
}

export type PerpOp =
  | CreatePerpMarketOp
  | DepositMarginOp
  | WithdrawMarginOp
  | FundInsuranceOp
  | OpenPositionOp
  | ClosePositionOp
  | UpdateFundingRateOp
  | SettleFundingOp
  | LiquidatePositionOp;

export const PERP_OP_TYPES: readonly PerpOp["type"][] = [
  "createPerpMarket",
  "depositMargin",
  "withdrawMargin",
  "fundInsurance",
  "openPosition",
  "closePosition",
  "updateFundingRate",
  "settleFunding",
  "liquidatePosition",
];
