/**
 * The ops the core engine applies (each defined in its own file, `<family>/ops/<type>.ts`, and listed
 * in `registry.ts`). An op is a plain object with a `type` equal to the name of the
 * {@link Engine} method that applies it, so scenarios, the channel and the API all speak one language.
 *
 * Units: every token amount is a `bigint` in the token's base units (USDC: 1e-6, WETH: 1e-18).
 * Order-book prices are integer **ticks** and sizes integer **lots** of the market (see
 * {@link CreateMarketOp}); both are JS `number`s limited to safe integers, and every money amount
 * derived from them is computed in `bigint`.
 */
import type { OpParameters } from "./registry.js";

export { OP_TYPES, type Op, type OpParameters, type OpReturnType, type OpType } from "./registry.js";

/* Each op's parameter type (`XParameters`, also under its historical name `XOp`), result and rejection codes. */
export type { CreateTokenParameters, CreateTokenParameters as CreateTokenOp, CreateTokenReturnType, CreateTokenErrorType } from "./setup/ops/createToken.js";
export type { CreateAccountParameters, CreateAccountParameters as CreateAccountOp, CreateAccountReturnType, CreateAccountErrorType } from "./setup/ops/createAccount.js";
export type { AdvanceTimeParameters, AdvanceTimeParameters as AdvanceTimeOp, AdvanceTimeReturnType, AdvanceTimeErrorType } from "./setup/ops/advanceTime.js";
export type { DepositParameters, DepositParameters as DepositOp, DepositReturnType, DepositErrorType } from "./ledger/ops/deposit.js";
export type { CreditDepositParameters, CreditDepositParameters as CreditDepositOp, CreditDepositReturnType, CreditDepositErrorType } from "./ledger/ops/creditDeposit.js";
export type { WithdrawParameters, WithdrawParameters as WithdrawOp, WithdrawReturnType, WithdrawErrorType } from "./ledger/ops/withdraw.js";
export type { TransferParameters, TransferParameters as TransferOp, TransferReturnType, TransferErrorType } from "./ledger/ops/transfer.js";
export type { LinkChannelParameters, LinkChannelParameters as LinkChannelOp, LinkChannelReturnType, LinkChannelErrorType } from "./receipts/ops/linkChannel.js";
export type { SendReceiptParameters, SendReceiptParameters as SendReceiptOp, SendReceiptReturnType, SendReceiptErrorType } from "./receipts/ops/sendReceipt.js";
export type { CreditReceiptParameters, CreditReceiptParameters as CreditReceiptOp, CreditReceiptReturnType, CreditReceiptErrorType } from "./receipts/ops/creditReceipt.js";
export type { CreatePoolParameters, CreatePoolParameters as CreatePoolOp, CreatePoolReturnType, CreatePoolErrorType } from "./amm/ops/createPool.js";
export type { AddLiquidityParameters, AddLiquidityParameters as AddLiquidityOp, AddLiquidityReturnType, AddLiquidityErrorType } from "./amm/ops/addLiquidity.js";
export type { RemoveLiquidityParameters, RemoveLiquidityParameters as RemoveLiquidityOp, RemoveLiquidityReturnType, RemoveLiquidityErrorType } from "./amm/ops/removeLiquidity.js";
export type { SwapParameters, SwapParameters as SwapOp, SwapReturnType, SwapErrorType } from "./amm/ops/swap.js";
export type { AcquireLockParameters, AcquireLockParameters as AcquireLockOp, AcquireLockReturnType, AcquireLockErrorType } from "./amm/ops/acquireLock.js";
export type { ExecuteLockParameters, ExecuteLockParameters as ExecuteLockOp, ExecuteLockReturnType, ExecuteLockErrorType } from "./amm/ops/executeLock.js";
export type { CancelLockParameters, CancelLockParameters as CancelLockOp, CancelLockReturnType, CancelLockErrorType } from "./amm/ops/cancelLock.js";
export type { RouteSwapParameters, RouteSwapParameters as RouteSwapOp, RouteSwapReturnType, RouteSwapErrorType } from "./amm/ops/routeSwap.js";
export type { SetLockPolicyParameters, SetLockPolicyParameters as SetLockPolicyOp, SetLockPolicyReturnType, SetLockPolicyErrorType } from "./amm/ops/setLockPolicy.js";
export type { VoteFeeParameters, VoteFeeParameters as VoteFeeOp, VoteFeeReturnType, VoteFeeErrorType } from "./amm/ops/voteFee.js";
export type { CreateMarketParameters, CreateMarketParameters as CreateMarketOp, CreateMarketReturnType, CreateMarketErrorType } from "./orderbook/ops/createMarket.js";
export type { PlaceOrderParameters, PlaceOrderParameters as PlaceOrderOp, PlaceOrderReturnType, PlaceOrderErrorType } from "./orderbook/ops/placeOrder.js";
export type { MarketOrderParameters, MarketOrderParameters as MarketOrderOp, MarketOrderReturnType, MarketOrderErrorType } from "./orderbook/ops/marketOrder.js";
export type { CancelOrderParameters, CancelOrderParameters as CancelOrderOp, CancelOrderReturnType, CancelOrderErrorType } from "./orderbook/ops/cancelOrder.js";
export type { SetPriceParameters, SetPriceParameters as SetPriceOp, SetPriceReturnType, SetPriceErrorType } from "./oracle/ops/setPrice.js";
export type { SetPriceConfigParameters, SetPriceConfigParameters as SetPriceConfigOp, SetPriceConfigReturnType, SetPriceConfigErrorType } from "./oracle/ops/setPriceConfig.js";
export type { CreateReserveParameters, CreateReserveParameters as CreateReserveOp, CreateReserveReturnType, CreateReserveErrorType } from "./lending/ops/createReserve.js";
export type { SupplyParameters, SupplyParameters as SupplyOp, SupplyReturnType, SupplyErrorType } from "./lending/ops/supply.js";
export type { WithdrawSupplyParameters, WithdrawSupplyParameters as WithdrawSupplyOp, WithdrawSupplyReturnType, WithdrawSupplyErrorType } from "./lending/ops/withdrawSupply.js";
export type { BorrowParameters, BorrowParameters as BorrowOp, BorrowReturnType, BorrowErrorType } from "./lending/ops/borrow.js";
export type { RepayParameters, RepayParameters as RepayOp, RepayReturnType, RepayErrorType } from "./lending/ops/repay.js";
export type { LiquidateParameters, LiquidateParameters as LiquidateOp, LiquidateReturnType, LiquidateErrorType } from "./lending/ops/liquidate.js";
export type { CreatePerpMarketParameters, CreatePerpMarketParameters as CreatePerpMarketOp, CreatePerpMarketReturnType, CreatePerpMarketErrorType } from "./perps/ops/createPerpMarket.js";
export type { DepositMarginParameters, DepositMarginParameters as DepositMarginOp, DepositMarginReturnType, DepositMarginErrorType } from "./perps/ops/depositMargin.js";
export type { WithdrawMarginParameters, WithdrawMarginParameters as WithdrawMarginOp, WithdrawMarginReturnType, WithdrawMarginErrorType } from "./perps/ops/withdrawMargin.js";
export type { FundInsuranceParameters, FundInsuranceParameters as FundInsuranceOp, FundInsuranceReturnType, FundInsuranceErrorType } from "./perps/ops/fundInsurance.js";
export type { OpenPositionParameters, OpenPositionParameters as OpenPositionOp, OpenPositionReturnType, OpenPositionErrorType } from "./perps/ops/openPosition.js";
export type { ClosePositionParameters, ClosePositionParameters as ClosePositionOp, ClosePositionReturnType, ClosePositionErrorType } from "./perps/ops/closePosition.js";
export type { UpdateFundingRateParameters, UpdateFundingRateParameters as UpdateFundingRateOp, UpdateFundingRateReturnType, UpdateFundingRateErrorType } from "./perps/ops/updateFundingRate.js";
export type { SettleFundingParameters, SettleFundingParameters as SettleFundingOp, SettleFundingReturnType, SettleFundingErrorType } from "./perps/ops/settleFunding.js";
export type { LiquidatePositionParameters, LiquidatePositionParameters as LiquidatePositionOp, LiquidatePositionReturnType, LiquidatePositionErrorType } from "./perps/ops/liquidatePosition.js";

export type Side = "buy" | "sell";
export type TimeInForce = "GTC" | "IOC" | "FOK";

/**
 * Self-trade prevention when an incoming order would match a resting order of the same account:
 * `cancelTaker` (default) cancels the incoming remainder; `cancelMaker` cancels the resting order and
 * goes on matching; `cancelBoth` does both.
 */
export type SelfTradePrevention = "cancelTaker" | "cancelMaker" | "cancelBoth";

/** The perpetual-futures ops (`perps/ops/`); `placeOrder`/`marketOrder`/`cancelOrder` act on perp markets too. */
export type PerpOp = OpParameters<
  "createPerpMarket" | "depositMargin" | "withdrawMargin" | "fundInsurance" | "openPosition" | "closePosition" | "updateFundingRate" | "settleFunding" | "liquidatePosition"
>;
