/**
 * The ops the core engine applies. An op is a plain object with a `type` equal to the name of the
 * {@link Engine} method that applies it, so scenarios, the channel and the API all speak one language.
 *
 * Units: every token amount is a `bigint` in the token's base units (USDC: 1e-6, WETH: 1e-18).
 * Order-book prices are integer **ticks** and sizes integer **lots** of the market (see
 * {@link CreateMarketOp}); both are JS `number`s limited to safe integers, and every money amount
 * derived from them is computed in `bigint`.
 */
import type { RoleName } from "./roles.js";
import { PERP_OP_TYPES, type PerpOp } from "./perps/ops.js";

export type {
  ClosePositionOp,
  CreatePerpMarketOp,
  DepositMarginOp,
  FundInsuranceOp,
  LiquidatePositionOp,
  OpenPositionOp,
  PerpOp,
  SettleFundingOp,
  UpdateFundingRateOp,
  WithdrawMarginOp,
} from "./perps/ops.js";

/* ───────────────────────────── setup ───────────────────────────── */

/** Registers a token. `symbol` is its id in every other op. */
export interface CreateTokenOp {
  type: "createToken";
  symbol: string;
  /** Decimals of one whole token (USDC 6, WETH 18), 0..36. */
  decimals: number;
  /** On-chain address (0x + 40 hex); derived from the symbol when omitted (see `exit.ts`). */
  address?: string;
}

/** Opens an account. Roles default to Trader + MarketMaker. */
export interface CreateAccountOp {
  type: "createAccount";
  account: string;
  roles?: RoleName[];
  /** On-chain address (0x + 40 hex); derived from the id when omitted (see `exit.ts`). */
  address?: string;
}

/**
 * Sets the engine's time (ms since the Unix epoch) to `timeMs`, which must not be earlier than the
 * current time. In a channel only decided checkpoints do this (DESIGN §3); participants cannot.
 */
export interface AdvanceTimeOp {
  type: "advanceTime";
  timeMs: number;
}

/* ───────────────────────────── ledger ───────────────────────────── */

/** Credits `amount` of `token` to `account` (an on-chain deposit record, in the channel). */
export interface DepositOp {
  type: "deposit";
  account: string;
  token: string;
  amount: bigint;
}

/**
 * Credits on-chain deposit record `recordId` (a system op: only a decided checkpoint applies it, see
 * `deposits.ts`): `amount` base units of the token whose on-chain address is `token` to the account
 * whose address is `account`. Records are credited once each, consecutively from 0.
 */
export interface CreditDepositOp {
  type: "creditDeposit";
  /** The record's number on chain (the adjudicator's `recordId`). */
  recordId: bigint;
  /** Beneficiary: 0x + 40 hex digits (any case), the address of an engine account. */
  account: string;
  /** Token address: 0x + 40 hex digits (ETH: the zero address), the address of an engine token. */
  token: string;
  amount: bigint;
}

/** Debits `amount` of `token` from the free balance of `account` (leaves the channel). */
export interface WithdrawOp {
  type: "withdraw";
  account: string;
  token: string;
  amount: bigint;
}

/** Moves `amount` of `token` from `from`'s free balance to `to`. */
export interface TransferOp {
  type: "transfer";
  from: string;
  to: string;
  token: string;
  amount: bigint;
}

/* ───────────────────────────── cross-channel receipts (receipts.ts) ───────────────────────────── */

/**
 * Genesis op: this channel (`self`, bytes32) accepts certified receipts from `channel` (bytes32), whose
 * checkpoints are EIP-712 signed under `{chainId, verifyingContract}` by its `participants`
 * (addresses); a certificate needs `quorum` (> 2/3 of them) distinct signatures. Receipts may be sent
 * only to linked channels.
 */
export interface LinkChannelOp {
  type: "linkChannel";
  channel: string;
  self: string;
  chainId: number;
  verifyingContract: string;
  participants: string[];
  quorum: number;
}

/**
 * Outbox: debits `amount` of `token` from `account`'s free balance and adds it to the cumulative
 * amount sent to channel `toChannel` (bytes32), an exit-tree leaf the destination credits once
 * certified.
 */
export interface SendReceiptOp {
  type: "sendReceipt";
  account: string;
  toChannel: string;
  token: string;
  amount: bigint;
}

/**
 * Inbox: credits `account` with `cumulativeSent` minus what was already credited from `fromChannel`,
 * given that channel's certified checkpoint (`height`, `stateRoot`, `exitRoot`, `time`, ms; and q of
 * its participants' 65-byte `signatures`, 0x-hex) and the Merkle `proof` (bytes32 siblings, 0x-hex)
 * of the outbox leaf (this channel, account, token, cumulativeSent) under `exitRoot`.
 */
export interface CreditReceiptOp {
  type: "creditReceipt";
  account: string;
  fromChannel: string;
  token: string;
  cumulativeSent: bigint;
  height: number;
  stateRoot: string;
  exitRoot: string;
  time: number;
  signatures: string[];
  proof: string[];
}

/* ───────────────────────────── AMM ───────────────────────────── */

/** Creates an empty constant-product pool of `token0`/`token1` (Uniswap V2 pair semantics). */
export interface CreatePoolOp {
  type: "createPool";
  pool: string;
  token0: string;
  token1: string;
  /** Swap fee in ppm, kept in the pool; 3000 reproduces Uniswap V2's 997/1000. 0..999999. */
  feePpm: number;
  /** Who may acquire lock-swaps: "off", "anybody" (default) or "allowList" (see `amm/lockswap.ts`). */
  lockPolicy?: "off" | "anybody" | "allowList";
  /** Account ids allowed to lock when `lockPolicy` is "allowList" (at most 256). */
  lockAllowList?: string[];
  /** Account that may change the lock policy later (setLockPolicy); omitted ⇒ the policy is fixed. */
  admin?: string;
}

/**
 * Adds liquidity as UniswapV2Router02.addLiquidity does: the first deposit sets the price and mints
 * √(amount0·amount1) − MINIMUM_LIQUIDITY; later ones use the optimal pair of amounts at the current
 * ratio and mint min(amount0·supply/reserve0, amount1·supply/reserve1).
 */
export interface AddLiquidityOp {
  type: "addLiquidity";
  account: string;
  pool: string;
  amount0Desired: bigint;
  amount1Desired: bigint;
  /** Lower bounds on the amounts actually used (router `amountAMin`/`amountBMin`); default 0. */
  amount0Min?: bigint;
  amount1Min?: bigint;
}

/** Burns `liquidity` LP shares for a pro-rata share of both reserves (rounded down). */
export interface RemoveLiquidityOp {
  type: "removeLiquidity";
  account: string;
  pool: string;
  liquidity: bigint;
  amount0Min?: bigint;
  amount1Min?: bigint;
}

/**
 * Swaps on a pool. Exactly one of `amountIn` (exact input, bounded by `minAmountOut`) or `amountOut`
 * (exact output, bounded by `maxAmountIn`) is given.
 */
export interface SwapOp {
  type: "swap";
  account: string;
  pool: string;
  tokenIn: string;
  amountIn?: bigint;
  minAmountOut?: bigint;
  amountOut?: bigint;
  maxAmountIn?: bigint;
}

/* ───────────────────────────── lock-swaps (amm/lockswap.ts) ───────────────────────────── */

/**
 * Locks a swap's price: `amountIn` of `tokenIn` for an `amountOut` of the pool's other token fixed now
 * (quoted on the direction's pessimistic virtual pool), executable by `account` while the engine's
 * time is below `expiryMs` (ms since the epoch, at most 7 days ahead). The input is reserved now,
 * or with `payOnExecute` debited from the free balance at execution (route legs fed by earlier legs).
 */
export interface AcquireLockOp {
  type: "acquireLock";
  account: string;
  pool: string;
  tokenIn: string;
  amountIn: bigint;
  /** Lower bound on the locked amountOut; default 0. */
  minAmountOut?: bigint;
  expiryMs: number;
  payOnExecute?: boolean;
}

/** Executes the caller's open lock `lockId` (`<pool>#<n>`) at its fixed amounts. */
export interface ExecuteLockOp {
  type: "executeLock";
  account: string;
  lockId: string;
}

/** Cancels lock `lockId`: by its owner at any time, by anybody once it has expired. */
export interface CancelLockOp {
  type: "cancelLock";
  account: string;
  lockId: string;
}

/**
 * Swaps along `route` (1..5 distinct pool ids): a lock on every leg, hop by hop (each leg's output is
 * the next leg's input), then every leg executed; all or nothing.
 */
export interface RouteSwapOp {
  type: "routeSwap";
  account: string;
  route: string[];
  tokenIn: string;
  amountIn: bigint;
  /** Lower bound on the last leg's output; default 0. */
  minAmountOut?: bigint;
}

/** Changes who may acquire locks on `pool`; only the pool's admin may. */
export interface SetLockPolicyOp {
  type: "setLockPolicy";
  account: string;
  pool: string;
  lockPolicy: "off" | "anybody" | "allowList";
  lockAllowList?: string[];
}

/** An LP's vote for its pool's fee, ppm 0..999999; the fee is the share-weighted median of the votes. */
export interface VoteFeeOp {
  type: "voteFee";
  account: string;
  pool: string;
  feePpm: number;
}

/* ───────────────────────────── order book ───────────────────────────── */

/**
 * Creates a spot market `base`/`quote`.
 *
 * Price and size units: one **lot** is `lotSize` base units of `base`; one **tick** is `tickSize` base
 * units of `quote` per lot. An order of `lots` at `priceTicks` is worth exactly
 * `lots × priceTicks × tickSize` quote base units: no rounding anywhere in matching.
 */
export interface CreateMarketOp {
  type: "createMarket";
  market: string;
  base: string;
  quote: string;
  lotSize: bigint;
  tickSize: bigint;
  /** Fees in ppm of the quote notional, charged in quote and rounded up. 0..100000 (10%). */
  makerFeePpm: number;
  takerFeePpm: number;
}

export type Side = "buy" | "sell";
export type TimeInForce = "GTC" | "IOC" | "FOK";

/**
 * Self-trade prevention when an incoming order would match a resting order of the same account:
 * `cancelTaker` (default) cancels the incoming remainder; `cancelMaker` cancels the resting order and
 * goes on matching; `cancelBoth` does both.
 */
export type SelfTradePrevention = "cancelTaker" | "cancelMaker" | "cancelBoth";

/** A limit order. Funds are reserved at placement and released on cancel or fill. */
export interface PlaceOrderOp {
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

/** A market order: takes liquidity up to `worstPriceTicks`, never rests (IOC). */
export interface MarketOrderOp {
  type: "marketOrder";
  account: string;
  market: string;
  side: Side;
  lots: number;
  worstPriceTicks: number;
  selfTradePrevention?: SelfTradePrevention;
}

/**
 * Cancels a resting order, or with `lots` reduces it by that many lots keeping its time priority
 * (a partial cancel, as exchanges and LOBSTER's type-2 events do). Only the owner may cancel.
 */
export interface CancelOrderOp {
  type: "cancelOrder";
  account: string;
  market: string;
  orderId: number;
  lots?: number;
}

/* ───────────────────────────── oracle ───────────────────────────── */

/**
 * An oracle's price report (Oracle role). `price` is in base-currency units with 8 decimals per whole
 * asset (Aave V3's USD·1e8): 2,241.37 USD per WETH is `224137000000n`. See `oracle.ts`.
 */
export interface SetPriceOp {
  type: "setPrice";
  account: string;
  /** Asset id: a token symbol, or any id such as a perpetual market's index ("ETH-USD"). */
  asset: string;
  price: bigint;
}

/** Sets an asset's price staleness limit in ms (Oracle role); default 3,600,000 (1 hour). */
export interface SetPriceConfigOp {
  type: "setPriceConfig";
  account: string;
  asset: string;
  maxAgeMs: number;
}

/* ───────────────────────────── lending (lending/pool.ts) ───────────────────────────── */

/**
 * Creates an Aave V3-style lending reserve for token `asset`. Rate parameters are APRs/ratios in
 * **ray** (1e27 = 100%), as Aave's DefaultReserveInterestRateStrategy; risk parameters in **basis
 * points** (10000 = 100%), as Aave's reserve configuration.
 */
export interface CreateReserveOp {
  type: "createReserve";
  asset: string;
  /** Ray in (0, 1e27]. */
  optimalUsageRatio: bigint;
  baseVariableBorrowRate: bigint;
  variableRateSlope1: bigint;
  variableRateSlope2: bigint;
  /** Bps 0..10000. */
  reserveFactor: number;
  ltv: number;
  liquidationThreshold: number;
  /** Bps 0..20000; > 10000 when liquidationThreshold > 0 (10500 = 5% bonus). */
  liquidationBonus: number;
  /** Bps of the bonus to the protocol, 0..10000; default 0. */
  liquidationProtocolFee?: number;
  /** Base units; absent or 0 = no cap. */
  supplyCap?: bigint;
  borrowCap?: bigint;
  /** Anybody may liquidate this reserve's debt; default false (Liquidator role only). */
  permissionlessLiquidation?: boolean;
  /** Starting indexes in ray (default 1e27): for continuing an existing reserve, e.g. a replay. */
  liquidityIndex?: bigint;
  variableBorrowIndex?: bigint;
}

/** Supplies `amount` of `asset` from the free balance into the reserve (Aave `supply`). */
export interface SupplyOp {
  type: "supply";
  account: string;
  asset: string;
  amount: bigint;
}

/**
 * Withdraws `amount` of supplied `asset` back to the free balance (Aave `withdraw`). Named
 * `withdrawSupply` because `withdraw` is the ledger's exit; the scenario file's `withdraw` with an
 * `asset` field is this op.
 */
export interface WithdrawSupplyOp {
  type: "withdrawSupply";
  account: string;
  asset: string;
  amount: bigint;
}

/** Borrows `amount` of `asset` at the variable rate into the free balance (Aave `borrow`). */
export interface BorrowOp {
  type: "borrow";
  account: string;
  asset: string;
  amount: bigint;
}

/** Repays up to `amount` of `onBehalfOf`'s (default: own) `asset` debt from the free balance. */
export interface RepayOp {
  type: "repay";
  account: string;
  asset: string;
  amount: bigint;
  onBehalfOf?: string;
}

/** Liquidates `user` (HF < 1): repays up to `debtToCover` of `debtAsset`, seizes `collateralAsset`. */
export interface LiquidateOp {
  type: "liquidate";
  account: string;
  user: string;
  collateralAsset: string;
  debtAsset: string;
  debtToCover: bigint;
  /** Receive the collateral as supply balance instead of underlying; default false. */
  receiveAToken?: boolean;
}

export type Op =
  | CreateTokenOp
  | CreateAccountOp
  | AdvanceTimeOp
  | DepositOp
  | CreditDepositOp
  | WithdrawOp
  | TransferOp
  | LinkChannelOp
  | SendReceiptOp
  | CreditReceiptOp
  | CreatePoolOp
  | AddLiquidityOp
  | RemoveLiquidityOp
  | SwapOp
  | AcquireLockOp
  | ExecuteLockOp
  | CancelLockOp
  | RouteSwapOp
  | SetLockPolicyOp
  | VoteFeeOp
  | CreateMarketOp
  | PlaceOrderOp
  | MarketOrderOp
  | CancelOrderOp
  | SetPriceOp
  | SetPriceConfigOp
  | CreateReserveOp
  | SupplyOp
  | WithdrawSupplyOp
  | BorrowOp
  | RepayOp
  | LiquidateOp
  | PerpOp;

export type OpType = Op["type"];

export const OP_TYPES: readonly OpType[] = [
  "createToken",
  "createAccount",
  "advanceTime",
  "deposit",
  "creditDeposit",
  "withdraw",
  "transfer",
  "linkChannel",
  "sendReceipt",
  "creditReceipt",
  "createPool",
  "addLiquidity",
  "removeLiquidity",
  "swap",
  "acquireLock",
  "executeLock",
  "cancelLock",
  "routeSwap",
  "setLockPolicy",
  "voteFee",
  "createMarket",
  "placeOrder",
  "marketOrder",
  "cancelOrder",
  "setPrice",
  "setPriceConfig",
  "createReserve",
  "supply",
  "withdrawSupply",
  "borrow",
  "repay",
  "liquidate",
  ...PERP_OP_TYPES,
];
