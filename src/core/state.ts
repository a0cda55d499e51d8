/**
 * The engine's whole state, as plain data. Module functions (`ledger.ts`, `amm/`, `orderbook/`) read
 * and mutate it; `Engine` owns it. Nothing here depends on time or randomness, and every map whose
 * order matters (state root, exit root) is sorted by key before it is digested.
 */
import type { Market } from "./orderbook/market.js";
import { createOracleState, type OracleState } from "./oracle.js";
import { createPerpsState, type PerpsState } from "./perps/state.js";

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
}

/** A constant-product pool (Uniswap V2 pair semantics; see `amm/pool.ts`). */
export interface Pool {
  readonly id: string;
  readonly token0: string;
  readonly token1: string;
  /** Swap fee in ppm, kept in the pool (3000 = Uniswap V2). */
  readonly feePpm: bigint;
  reserve0: bigint;
  reserve1: bigint;
  /** LP shares outstanding, including the MINIMUM_LIQUIDITY locked forever at the first mint. */
  totalSupply: bigint;
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
  /** Oracle price reports per asset (see oracle.ts). */
  readonly oracle: OracleState;
  /** Perpetual futures: markets, margin accounts, vault, insurance fund (see perps/). */
  readonly perps: PerpsState;
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
    oracle: createOracleState(),
    perps: createPerpsState(),
    dirtyAccounts: new Set(),
    dirtyPools: new Set(),
    dirtyMarkets: new Set(),
  };
}
