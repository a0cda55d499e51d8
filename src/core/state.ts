/**
 * The engine's whole state, as plain data. Module functions (`ledger.ts`, `amm/`, `orderbook/`) read
 * and mutate it; `Engine` owns it. Nothing here depends on time or randomness, and every map whose
 * order matters (state root, exit root) is sorted by key before it is digested.
 */
import type { Market } from "./orderbook/market.js";
import { createOracleState, type OracleState } from "./oracle.js";
import { createLendingState, type LendingState } from "./lending/pool.js";
import { createPerpsState, type PerpsState } from "./perps/state.js";
import { createReceiptsState, type ReceiptsState } from "./receipts.js";

export interface Token {
  readonly symbol: string;
  /** Decimals of one whole token, 0..36. */
  readonly decimals: number;
  /** 20-byte address, lower-case 0x-hex: the token's identity on chain and in the exit root. */
  readonly address: string;
}

export interface Account {
  readonly id: string;
  /** 20-byte address, lower-case 0x-hex: the account's identity on chain and in the exit root. */
  readonly address: string;
  /** Bit mask of {@link Role}s. */
  readonly roles: number;
  /** Free balance per token symbol, base units. Absent ⇒ 0. */
  readonly free: Map<string, bigint>;
  /** Reserved per token symbol (open orders, later locks and margin), base units. Absent ⇒ 0. */
  readonly reserved: Map<string, bigint>;
  /** LP shares per pool id. Absent ⇒ 0. */
  readonly lpShares: Map<string, bigint>;
  /**
   * Cumulative amount withdrawn from the channel per token symbol (ledger `withdraw` ops), base units.
   * Absent ⇒ 0. The exit leaf carries it so the settlement contract pays each withdrawal once (exit.ts).
   */
  readonly withdrawn: Map<string, bigint>;
}

/** A constant-product pool (Uniswap V2 pair semantics; see `amm/pool.ts`; locks: `amm/lockswap.ts`). */
export interface Pool {
  readonly id: string;
  readonly token0: string;
  readonly token1: string;
  /**
   * Effective swap fee in ppm, kept in the pool (3000 = Uniswap V2): the LP-share-weighted median of
   * the fee votes, non-voting shares voting {@link Pool.baseFeePpm} (see `amm/lockswap.ts`).
   */
  feePpm: bigint;
  reserve0: bigint;
  reserve1: bigint;
  /** LP shares outstanding, including the MINIMUM_LIQUIDITY locked forever at the first mint. */
  totalSupply: bigint;
  /** The fee the pool was created with: the vote of every LP share that has not voted. */
  readonly baseFeePpm: bigint;
  /** Who may acquire lock-swaps: nobody ("off"), "anybody", or the accounts of `lockAllowList`. */
  lockPolicy: LockPolicy;
  /** Accounts allowed to acquire locks when `lockPolicy` is "allowList". */
  readonly lockAllowList: Set<string>;
  /** Account that may change `lockPolicy` (setLockPolicy); undefined ⇒ fixed at creation. */
  readonly admin: string | undefined;
  /** S_0: Σ amountIn of open token0→token1 locks, token0 base units (not in reserve0). */
  pending0: bigint;
  /** S_1: Σ amountIn of open token1→token0 locks, token1 base units. */
  pending1: bigint;
  /** Σ amountOut promised by open token1→token0 locks, token0 base units (payable from reserve0). */
  owed0: bigint;
  /** Σ amountOut promised by open token0→token1 locks, token1 base units (payable from reserve1). */
  owed1: bigint;
  /** Open locks by id, in acquisition order. */
  readonly locks: Map<string, Lock>;
  /** Open locks per owner account id (absent ⇒ 0). */
  readonly locksByOwner: Map<string, number>;
  /** Sequence number of the last lock acquired on this pool (lock ids are `<pool>#<seq>`). */
  lockSeq: number;
  /** Fee votes in ppm by LP account id. */
  readonly feeVotes: Map<string, bigint>;
}

/** Who may acquire lock-swaps on a pool. */
export type LockPolicy = "off" | "anybody" | "allowList";

/**
 * An open lock-swap (DESIGN §6): `amountIn` of the input token for exactly `amountOut` of the other,
 * executable by its owner while `timeMs < expiryMs`.
 */
export interface Lock {
  /** `<pool>#<seq>`: deterministic, assigned in op order. */
  readonly id: string;
  readonly owner: string;
  /** true: token0 in, token1 out. */
  readonly zeroForOne: boolean;
  /** Base units of the input token. */
  readonly amountIn: bigint;
  /** Base units of the output token, fixed at acquisition. */
  readonly amountOut: bigint;
  /** The lock can be executed while the engine's time is below this (ms since the epoch). */
  readonly expiryMs: number;
  /** true: the input was reserved from the owner at acquisition; false: paid from free balance at execution. */
  readonly prepaid: boolean;
}

/** Per-token flow totals, the right-hand side of the conservation equation. */
export interface TokenTotals {
  deposited: bigint;
  withdrawn: bigint;
}

export interface EngineState {
  readonly tokens: Map<string, Token>;
  readonly accounts: Map<string, Account>;
  /** Account id by address: an address belongs to one account only. */
  readonly accountByAddress: Map<string, string>;
  readonly pools: Map<string, Pool>;
  readonly markets: Map<string, Market>;
  readonly totals: Map<string, TokenTotals>;
  /** Fees collected by the protocol per token (order-book maker/taker fees), base units. */
  readonly protocolFees: Map<string, bigint>;
  /** The engine's time, ms since the Unix epoch: the last decided checkpoint's time (see time.ts). */
  timeMs: number;
  /** Next order id; order ids are assigned in op order, so they are the same on every replica. */
  nextOrderId: number;
  /** Id of the next on-chain deposit record to credit (= records credited so far; see deposits.ts). */
  depositsCredited: bigint;
  /** Oracle price reports per asset (see oracle.ts). */
  readonly oracle: OracleState;
  /** Lending reserves (see lending/pool.ts). */
  readonly lending: LendingState;
  /** Perpetual futures: markets, margin accounts, vault, insurance fund (see perps/). */
  readonly perps: PerpsState;
  /** Cross-channel receipts: linked channels, outbox and inbox counters (see receipts.ts). */
  readonly receipts: ReceiptsState;
  /** Entities changed since the last state-root computation (see `stateRoot.ts`). */
  readonly dirtyAccounts: Set<Account>;
  readonly dirtyPools: Set<Pool>;
  readonly dirtyMarkets: Set<Market>;
}

export function createState(): EngineState {
  return {
    tokens: new Map(),
    accounts: new Map(),
    accountByAddress: new Map(),
    pools: new Map(),
    markets: new Map(),
    totals: new Map(),
    protocolFees: new Map(),
    timeMs: 0,
    nextOrderId: 1,
    depositsCredited: 0n,
    oracle: createOracleState(),
    lending: createLendingState(),
    perps: createPerpsState(),
    receipts: createReceiptsState(),
    dirtyAccounts: new Set(),
    dirtyPools: new Set(),
    dirtyMarkets: new Set(),
  };
}
