/**
 * State of the perpetual-futures module (dYdX V4 style; see `perps/README` in the module docs of
 * `market.ts`). Plain data, owned by {@link EngineState.perps}.
 *
 * Accounting model (dYdX V4 x/subaccounts): every account has, per collateral (quote) token, a signed
 * **quote balance** `Q` and signed **positions** `S` (lots) per perpetual market. A trade of `k` lots
 * at price `p` moves `k·p` of Q from buyer to seller and `k` lots from seller to buyer, so it is
 * zero-sum in both. Equity ("total account value") is `Q + Σ S·P` at the index (oracle) price `P`.
 *
 * Conservation: the module holds, per token, a **vault** of the tokens deposited as margin. It always
 * equals `Σ Q (all accounts) + insurance fund` (checked by `checkConservation`). Since `Σ S = 0` in
 * every market (each long lot has a short lot), `Σ Q + IF` is also `Σ equity + IF`.
 */
import type { Account } from "../state.js";
import type { Market } from "../orderbook/market.js";

/** A perpetual market: its risk parameters and its order book (a core {@link Market}). */
export interface PerpMarket {
  readonly id: string;
  /** Collateral (quote) token: margin, PnL, funding and fees are in it. */
  readonly quote: string;
  /** Oracle asset whose price is the index price. */
  readonly asset: string;
  /** Base units of the asset per lot. */
  readonly lotSize: bigint;
  /** Decimals of one whole asset (ETH 18): converts the oracle's per-asset price to per-lot. */
  readonly assetDecimals: number;
  /**
   * lotSize · 10^quoteDecimals / (10^assetDecimals · 10^8), reduced by their gcd (derived at creation,
   * not state of its own): the index price per lot is `oraclePrice · priceScaleNum / priceScaleDen`.
   */
  readonly priceScaleNum: bigint;
  readonly priceScaleDen: bigint;
  /** Quote base units per lot per tick (as a spot market). */
  readonly tickSize: bigint;
  /** Initial margin fraction, ppm (dYdX `InitialMarginPpm`). */
  readonly imfPpm: bigint;
  /** Maintenance margin fraction, ppm of notional (dYdX: IMF × MaintenanceFractionPpm). */
  readonly mmfPpm: bigint;
  /** Leverage cap of the channel rules for this market (integer ×). */
  readonly maxLeverage: number;
  /** max(imfPpm, ⌈1e6 / maxLeverage⌉): the fraction the free-collateral check applies. */
  readonly effectiveImfPpm: bigint;
  /** Max liquidation penalty, ppm of the closed notional (dYdX `MaxLiquidationFeePpm`, default 15000). */
  readonly liquidationFeePpm: bigint;
  /** Impact notional for funding samples, quote base units (dYdX: 500 USDC / IMF). */
  readonly impactNotional: bigint;
  /** |premium sample| cap, ppm: 60 × (IMF − MMF) (dYdX PremiumVoteClampFactorPpm 6000%). */
  readonly premiumClampPpm: bigint;
  /** |8-hour funding rate| cap, ppm: 6 × (IMF − MMF) (dYdX FundingRateClampFactorPpm 600%). */
  readonly fundingClampPpm: bigint;
  /** The order book: a core order-book market in `state.markets` (same id), no reservations. */
  readonly book: Market;
  /** Positions by account, lots (long > 0, short < 0). Zero positions are deleted. */
  readonly positions: Map<Account, number>;
  /** Premium samples of the current funding period, ppm (one per `updateFundingRate`). */
  samples: bigint[];
  /** Time of the last sample, ms (−1 before the first). */
  lastSampleMs: number;
  /** Time the current funding period started, ms. */
  lastFundingMs: number;
  /** The last settled 8-hour funding rate, ppm (after the clamp). */
  lastFundingRatePpm: bigint;
  /** Total long lots (= total short lots). */
  openInterestLots: number;
}

/** One account's perpetuals sub-ledger. */
export interface PerpAccount {
  readonly account: Account;
  /** Signed quote balance per collateral token, base units. Zero entries are deleted. */
  readonly quote: Map<string, bigint>;
  /** Perp market ids in which the account has a position (for cross-margin sums). */
  readonly markets: Set<string>;
}

export interface PerpsState {
  readonly markets: Map<string, PerpMarket>;
  readonly accounts: Map<string, PerpAccount>;
  /** Tokens held by the perps module per collateral token (= Σ Q + insurance fund). */
  readonly vault: Map<string, bigint>;
  /** Insurance fund per collateral token, never negative. */
  readonly insurance: Map<string, bigint>;
  /**
   * Bad debt per token: negative quote balances of accounts with no position left that the insurance
   * fund could not cover (rounding dust at most, see liquidation.ts). Informational; the negative Q
   * stays on the account and is counted in `Σ Q`.
   */
  readonly badDebt: Map<string, bigint>;
  /** Perp accounts/markets changed since the last state-root computation. */
  readonly dirty: Set<string>;
}

export function createPerpsState(): PerpsState {
  return {
    markets: new Map(),
    accounts: new Map(),
    vault: new Map(),
    insurance: new Map(),
    badDebt: new Map(),
    dirty: new Set(),
  };
}
