/**
 * Semilattice: a deterministic DeFi engine (ledger, Uniswap V2-exact AMM, price-time order book),
 * exact to the base unit. See docs/architecture.md.
 *
 * @example
 * ```ts
 * import { Engine } from "semilattice";
 * const engine = new Engine();
 * engine.createToken({ symbol: "USDC", decimals: 6 });
 * ```
 */
export { Engine, type Params } from "./core/engine.js";
export * from "./core/ops.js";
export * from "./core/results.js";
export { RejectCodes, type RejectCode, InvariantError, SemilatticeError, type SemilatticeErrorParameters } from "./core/errors.js";
export {
  decodeEngine,
  encodeEngine,
  SnapshotError,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotErrorCode,
  type SnapshotLimits,
} from "./core/serialize.js";
export { Role, type RoleName, RoleNames } from "./core/roles.js";
export { PPM, RAY, MAX_AMOUNT, MAX_UINT112, isqrt } from "./core/math.js";
export { getAmountIn, getAmountOut, quote, MINIMUM_LIQUIDITY } from "./core/amm/math.js";
export type { ConservationReport, TokenConservation } from "./core/conservation.js";
export { exitLeafHash, exitProof, exitRoot, outboxProof, type ExitLeaf } from "./core/exit.js";
export {
  MAX_LINK_PARTICIPANTS,
  MAX_LINKED_CHANNELS,
  MAX_RECEIPT_PROOF_LENGTH,
  OUTBOX_LEAF_TAG,
  outboxLeafHash,
  outboxLeaves,
  type CreditReceiptResult,
  type LinkedChannel,
  type OutboxLeaf,
} from "./core/receipts.js";
export type { CreditDepositResult } from "./core/deposits.js";
export { addressFor, PROTOCOL_ADDRESS } from "./core/address.js";
export type { Depth, OrderView } from "./core/orderbook/market.js";
export type { Account, EngineState, Lock, LockPolicy, Pool, Token } from "./core/state.js";
export {
  MAX_ALLOW_LIST,
  MAX_FEE_VOTERS,
  MAX_LOCK_DURATION_MS,
  MAX_OPEN_LOCKS_PER_OWNER,
  MAX_OPEN_LOCKS_PER_POOL,
  MAX_ROUTE_HOPS,
  quoteExactIn,
  virtualReserves,
  type AcquireLockResult,
  type CancelLockResult,
  type ExecuteLockResult,
  type LockView,
  type RouteLeg,
  type RouteSwapResult,
  type VoteFeeResult,
} from "./core/amm/lockswap.js";
export { AsyncRouteNetwork, RouteCoordinator, Shard, type Receipt, type RoutePlan, type RouteRequest, type RouteReply } from "./route/crossEngine.js";
export {
  accountData,
  normalizedDebt,
  normalizedIncome,
  CLOSE_FACTOR_HF_THRESHOLD_RAY,
  DEFAULT_LIQUIDATION_CLOSE_FACTOR,
  MAX_HEALTH_FACTOR,
  MAX_LIQUIDATION_CLOSE_FACTOR,
  type AccountData,
  type LendingAccountView,
  type LendingResult,
  type LiquidationResult,
  type Reserve,
  type ReserveView,
} from "./core/lending/pool.js";
export { calculateInterestRates, type RateModel, type Rates } from "./core/lending/rates.js";
export { calculateCompoundedInterest, calculateLinearInterest, percentDiv, percentMul, rayDiv, rayMul, SECONDS_PER_YEAR } from "./core/lending/math.js";
export { priceOf, priceInfo, valueInBase, median, PRICE_DECIMALS, PRICE_UNIT, DEFAULT_MAX_PRICE_AGE_MS, type PriceInfo } from "./core/oracle.js";
export type { PerpOrderResult } from "./core/perps/orders.js";
export type { PerpAccountView, PerpPositionView } from "./core/perps/view.js";
export type { PerpLiquidationResult, Deleveraging } from "./core/perps/liquidation.js";
export type { FundingPayment, FundingSampleResult, FundingSettlementResult } from "./core/perps/funding.js";
export type { MarginResult } from "./core/perps/market.js";
