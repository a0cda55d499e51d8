/**
 * Semilattice: a deterministic DeFi engine (ledger, Uniswap V2-exact AMM, price-time order book,
 * lending, perpetuals), exact to the base unit, in a Byzantine-tolerant multi-party channel with
 * Tendermint checkpoints and settlement on an EVM chain. See docs/architecture.md.
 *
 * The package root exports the engine, the channel (`MultiPartyChannel`, `createSigner`, the
 * transports, the checkpointer, and `createLocalChannel`, which wires a whole N-party channel with
 * checkpoints in one process) and settlement (`connectChain`, `AdjudicatorClient`, the session
 * helpers). The embedded EVM is loaded only when a chain is started. The seed's whole flow:
 * examples/seed-flow.mjs.
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

/* ───────── the channel: identity, participants, transports, checkpoints ───────── */
export { createSigner, recoverAddress, verifySignature, IdentityError, type Hex, type Participant, type Signer } from "./channel/identity.js";
export { MultiPartyChannel, ZERO_ADDRESS, type ChannelEvents, type ChannelRules, type MultiPartyChannelOptions, type OpHandle } from "./node/channel.js";
export {
  createLocalChannel,
  DEFAULT_BUDGET_MS,
  DEFAULT_START_TIME_MS,
  LocalChannelError,
  MAX_LOCAL_PARTIES,
  type CreateLocalChannelParameters,
  type LocalChannel,
  type LocalChannelErrorCode,
  type LocalFinal,
} from "./node/local.js";
export { Replica, type ChannelLimits, type ReplicaOptions } from "./channel/replica.js";
export {
  Checkpointer,
  CheckpointError,
  type CheckpointCertificate,
  type CheckpointerOptions,
  type CheckpointValue,
  type CheckpointWalEntry,
  type Finality,
} from "./channel/checkpoint.js";
export type { DepositRecord, DepositSource } from "./channel/deposits.js";
export { attachCheckpointer, muxTransport, type AttachOptions } from "./channel/consensus/attach.js";
export { SimNetwork, SimTransport, type Partition, type SimFaults, type SimStats } from "./sync/simNetwork.js";
export { WsTransport, type WsTransportOptions } from "./sync/wsTransport.js";
export { realClock, silentLogger, stderrLogger, MemoryLogger, type Clock, type Logger, type PeerId, type Transport, type TransportHandlers } from "./sync/transport.js";

/* ───────── settlement on an EVM chain ───────── */
export { connectChain, type SettlementChain } from "./settlement/chain.js";
export { SettlementError } from "./settlement/errors.js";
export { createEmbeddedChain, EmbeddedChainError, type EmbeddedChain } from "./settlement/evm.js";
export {
  AdjudicatorClient,
  ContractRevertError,
  Erc20Client,
  ETH_ADDRESS,
  type ChannelConfig,
  type ChannelStatus,
  type ChannelView,
  type DepositEvent,
  type LeafWithProof,
  type TxResult,
} from "./settlement/client.js";
export { certify, fromCheckpointCertificate, signClose, verifyCertificate, CertificateError, type Certificate, type CheckpointMessage } from "./settlement/certificate.js";
export { ChainDepositSource, type ChainDepositSourceOptions } from "./settlement/deposits.js";
export { SettlementWatcher, type SettlementEvent, type WatcherOptions } from "./settlement/watcher.js";
export {
  checkGenesisCredits,
  closeAndClaim,
  createParty,
  depositMidChannel,
  exitsWithProofs,
  genesisCredits,
  openSettlement,
  reconcile,
  withdrawAll,
  type GasUsed,
  type OpenedSettlement,
  type ReconcileRow,
  type SessionDeposit,
  type SessionParty,
  type SessionToken,
} from "./settlement/session.js";
export { ArtifactNotFoundError, loadArtifact, SHIPPED_CONTRACTS } from "./settlement/artifacts.js";
export type { ContractArtifact } from "./settlement/compile.js";
export { DataNotFoundError, defaultDataDir } from "./replay/paths.js";
