/**
 * Lending pool, Aave V3 style (DESIGN §2, issue 7): reserves with Aave's kinked rate model, liquidity
 * and variable-borrow indexes in ray, scaled balances, health factor, close factor and liquidation bonus.
 *
 * Sources (aave-v3-core v3.0.x, as deployed on Polygon in January 2024):
 * - `ReserveLogic.updateState` / `_updateIndexes` / `_accrueToTreasury` / `updateInterestRates`
 *   → {@link updateState}, {@link updateInterestRates};
 * - `MathUtils.calculateLinearInterest` (supply) and `calculateCompoundedInterest` (borrow, 3-term
 *   Taylor approximation) → `lending/math.ts`;
 * - `DefaultReserveInterestRateStrategy.calculateInterestRates` → `lending/rates.ts`;
 * - `GenericLogic.calculateUserAccountData` → {@link accountData};
 * - `ValidationLogic.validateBorrow` / `validateHFAndLtv` / `validateSupply` caps → the handlers below;
 * - `LiquidationLogic.executeLiquidationCall` / `_calculateDebt` /
 *   `_calculateAvailableCollateralToLiquidate` → {@link applyLiquidate}.
 *
 * **Time.** Aave accrues per whole second of `block.timestamp`; here the reserve's clock is
 * `⌊state.timeMs / 1000⌋` (time enters only through `advanceTime`), so second-aligned replays accrue
 * exactly as Aave.
 *
 * **Balances.** A supplier holds a *scaled* balance `s = amount.rayDiv(liquidityIndex)` (Aave's aToken
 * `scaledBalanceOf`); its balance is `s.rayMul(normalizedIncome)`. A borrower's scaled debt is
 * `amount.rayDiv(variableBorrowIndex)`, its debt `scaled.rayMul(normalizedDebt)`. Every supply with
 * `liquidationThreshold > 0` counts as collateral (Aave enables collateral on first supply).
 *
 * **Funds.** Supplied tokens leave the supplier's free balance into the reserve's `cash` (the aToken
 * contract's underlying balance in Aave); borrows and withdrawals pay out of `cash`. Conservation counts
 * `cash` (conservation.ts). The treasury's share (reserve factor, liquidation protocol fee) is a scaled
 * supply balance of the protocol (Aave mints aTokens to the treasury); it exits to the protocol address.
 *
 * **Exit at channel close** ({@link lendingExitAdjustments}): first every borrower's debt is repaid
 * out of its own free balance of that asset (as far as it goes); debt still unpaid is settled out of
 * the borrower's collateral at the last oracle prices (no bonus), the seized collateral going to the
 * debt reserve's suppliers in kind; then every supply balance (and the treasury's) receives
 * `min(balance, ⌊balance · distributable / Σ balances⌋)` where `distributable` is the reserve's cash
 * plus what borrowers repaid. So Σ exits ≤ cash + repaid: the exit root is always solvent. Debt beyond
 * the borrower's collateral (bad debt) is lost to that reserve's suppliers, pro rata.
 *
 * **Deviations from Aave V3.0**, all deliberate: no stable-rate debt (Aave removed it in v3.2), no
 * eMode, isolation mode, siloed borrowing, debt ceilings, flash loans or unbacked minting; the health
 * factor is the same quotient in ray instead of wad (27 digits, not 18); every supply with
 * `liquidationThreshold > 0` is collateral (no per-user collateral switch); caps are in base units, not
 * whole tokens; the treasury's reserve-factor share is credited as supply balance at each accrual
 * instead of accumulating in `accruedToTreasury` until `mintToTreasury`; the liquidator pays from its
 * free balance; reserves are created by a setup op (like pools and markets), not by a governance role;
 * rounding is v3.0's (v3.1+ round the capped liquidation's debt with `percentDivCeil`, and v3.3+ round
 * scaled mints/burns directionally).
 */
import { invariant, reject } from "../errors.js";
import { credit, debit } from "../ledger.js";
import { MAX_AMOUNT } from "../math.js";
import type {
  BorrowOp,
  CreateReserveOp,
  LiquidateOp,
  RepayOp,
  SupplyOp,
  WithdrawSupplyOp,
} from "../ops.js";
import { lastPrice, priceOf } from "../oracle.js";
import type { Accepted } from "../results.js";
import { Role, TRADING_ROLES } from "../roles.js";
import type { EngineState } from "../state.js";
import { optionalBoolean, requireAccount, requireActor, requireAmount, requireFree, requireId, requireInt, requireToken } from "../validate.js";
import {
  calculateCompoundedInterest,
  calculateLinearInterest,
  percentDiv,
  percentMul,
  PERCENTAGE_FACTOR,
  RAY,
  rayDiv,
  rayMul,
} from "./math.js";
import { calculateInterestRates, type RateModel } from "./rates.js";

/** Limits. */
export const MAX_RESERVES = 128;
/** Largest rate parameter: 1000% APR in ray. */
export const MAX_RATE_RAY = 10n * RAY;
/** Aave's liquidation constants (LiquidationLogic). */
export const DEFAULT_LIQUIDATION_CLOSE_FACTOR = 5_000n;
export const MAX_LIQUIDATION_CLOSE_FACTOR = 10_000n;
/** Health factor (ray) below which the whole debt may be liquidated: 0.95 (Aave: 0.95e18 in wad). */
export const CLOSE_FACTOR_HF_THRESHOLD_RAY = (95n * RAY) / 100n;
/** Health factor 1 in ray: below it an account is liquidatable. */
export const HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY = RAY;
/** Reported health factor of an account without debt (Aave: type(uint256).max). */
export const MAX_HEALTH_FACTOR = (1n << 256n) - 1n;

export interface Reserve extends RateModel {
  readonly asset: string;
  readonly decimals: number;
  /** Basis points (Aave's reserve configuration). */
  readonly ltv: bigint;
  readonly liquidationThreshold: bigint;
  /** 10500 = the liquidator receives 105% of the debt's value in collateral. */
  readonly liquidationBonus: bigint;
  /** Share of the liquidation bonus taken by the protocol, bps. */
  readonly liquidationProtocolFee: bigint;
  /** Base units; 0 = no cap. */
  readonly supplyCap: bigint;
  readonly borrowCap: bigint;
  /** True when anybody may liquidate debt of this reserve; otherwise only the Liquidator role. */
  readonly permissionlessLiquidation: boolean;
  /** Ray. */
  liquidityIndex: bigint;
  variableBorrowIndex: bigint;
  currentLiquidityRate: bigint;
  currentVariableBorrowRate: bigint;
  /** Seconds (⌊timeMs / 1000⌋) of the last updateState. */
  lastUpdateTimestamp: number;
  /** Underlying held by the pool, base units. */
  cash: bigint;
  /** Σ scaled supply balances, including the treasury's. */
  scaledSupply: bigint;
  /** Σ scaled variable debt. */
  scaledDebt: bigint;
  /** The treasury's scaled supply (reserve factor and liquidation protocol fees). */
  treasuryScaled: bigint;
  /** Scaled supply per account id. Absent ⇒ 0. */
  readonly supplies: Map<string, bigint>;
  /** Scaled variable debt per account id. Absent ⇒ 0. */
  readonly debts: Map<string, bigint>;
}

export interface LendingState {
  readonly reserves: Map<string, Reserve>;
  /** Reserves changed since the last state-root computation. */
  readonly dirty: Set<Reserve>;
}

export function createLendingState(): LendingState {
  return { reserves: new Map(), dirty: new Set() };
}

/* ───────────────────────────── reserve state (ReserveLogic) ───────────────────────────── */

function nowSeconds(state: EngineState): number {
  return Math.floor(state.timeMs / 1000);
}

/** ReserveLogic.getNormalizedIncome: the liquidity index accrued (linearly) to now, without storing it. */
export function normalizedIncome(state: EngineState, r: Reserve): bigint {
  const elapsed = nowSeconds(state) - r.lastUpdateTimestamp;
  if (elapsed <= 0) return r.liquidityIndex;
  return rayMul(calculateLinearInterest(r.currentLiquidityRate, BigInt(elapsed)), r.liquidityIndex);
}

/** ReserveLogic.getNormalizedDebt: the variable borrow index compounded to now, without storing it. */
export function normalizedDebt(state: EngineState, r: Reserve): bigint {
  const elapsed = nowSeconds(state) - r.lastUpdateTimestamp;
  if (elapsed <= 0) return r.variableBorrowIndex;
  return rayMul(calculateCompoundedInterest(r.currentVariableBorrowRate, BigInt(elapsed)), r.variableBorrowIndex);
}

/**
 * ReserveLogic.updateState: accrue both indexes to now and mint the reserve factor's share of the new
 * interest to the treasury (`_accrueToTreasury`: `(debtNow − debtBefore).percentMul(reserveFactor)`,
 * scaled by the new liquidity index). Indexes only move when their rate/debt is non-zero, as in Aave.
 */
export function updateState(state: EngineState, r: Reserve): void {
  const now = nowSeconds(state);
  if (now <= r.lastUpdateTimestamp) return;
  const elapsed = BigInt(now - r.lastUpdateTimestamp);
  const prevBorrowIndex = r.variableBorrowIndex;
  if (r.currentLiquidityRate !== 0n) {
    r.liquidityIndex = rayMul(calculateLinearInterest(r.currentLiquidityRate, elapsed), r.liquidityIndex);
  }
  if (r.scaledDebt !== 0n) {
    r.variableBorrowIndex = rayMul(calculateCompoundedInterest(r.currentVariableBorrowRate, elapsed), r.variableBorrowIndex);
  }
  // _accrueToTreasury
  if (r.reserveFactor !== 0n) {
    const accrued = rayMul(r.scaledDebt, r.variableBorrowIndex) - rayMul(r.scaledDebt, prevBorrowIndex);
    const toMint = percentMul(accrued, r.reserveFactor);
    if (toMint !== 0n) {
      const scaled = rayDiv(toMint, r.liquidityIndex);
      r.treasuryScaled += scaled;
      r.scaledSupply += scaled;
    }
  }
  r.lastUpdateTimestamp = now;
  state.lending.dirty.add(r);
}

/** ReserveLogic.updateInterestRates, with cash and debt as they are after the op (see rates.ts). */
export function updateInterestRates(state: EngineState, r: Reserve): void {
  const rates = calculateInterestRates(r, r.cash, rayMul(r.scaledDebt, r.variableBorrowIndex));
  r.currentLiquidityRate = rates.liquidityRate;
  r.currentVariableBorrowRate = rates.variableBorrowRate;
  state.lending.dirty.add(r);
}

/* ───────────────────────────── account data (GenericLogic) ───────────────────────────── */

export interface AccountData {
  /** Base currency (USD·1e8, see oracle.ts). */
  totalCollateralBase: bigint;
  totalDebtBase: bigint;
  /** Collateral-weighted average LTV and liquidation threshold, bps. */
  avgLtv: bigint;
  avgLiquidationThreshold: bigint;
  /** Ray; {@link MAX_HEALTH_FACTOR} without debt. */
  healthFactorRay: bigint;
}

/**
 * GenericLogic.calculateUserAccountData over every reserve (sorted by asset, so the result never depends
 * on insertion order): collateral `⌊balance · price / 10^decimals⌋`, debt `⌊debt · price / 10^decimals⌋`
 * (Aave v3.0 rounds both down), average LTV and threshold weighted by collateral value (rounded down),
 * and `HF = (collateral.percentMul(avgLiquidationThreshold)).rayDiv(debt)` — Aave computes the same
 * quotient with `wadDiv` (18 decimals); we keep 27. Reads oracle prices: throws STALE_PRICE /
 * UNKNOWN_PRICE for any reserve the account uses, so call it before mutating.
 */
export function accountData(state: EngineState, accountId: string): AccountData {
  let totalCollateralBase = 0n;
  let totalDebtBase = 0n;
  let ltvSum = 0n;
  let ltSum = 0n;
  for (const asset of sortedAssets(state)) {
    const r = state.lending.reserves.get(asset) as Reserve;
    const scaledSupply = r.supplies.get(accountId) ?? 0n;
    const scaledDebt = r.debts.get(accountId) ?? 0n;
    const isCollateral = scaledSupply !== 0n && r.liquidationThreshold !== 0n;
    if (!isCollateral && scaledDebt === 0n) continue;
    const price = priceOf(state, asset);
    const unit = 10n ** BigInt(r.decimals);
    if (isCollateral) {
      const value = (rayMul(scaledSupply, normalizedIncome(state, r)) * price) / unit;
      totalCollateralBase += value;
      ltvSum += value * r.ltv;
      ltSum += value * r.liquidationThreshold;
    }
    if (scaledDebt !== 0n) totalDebtBase += (rayMul(scaledDebt, normalizedDebt(state, r)) * price) / unit;
  }
  const avgLtv = totalCollateralBase === 0n ? 0n : ltvSum / totalCollateralBase;
  const avgLiquidationThreshold = totalCollateralBase === 0n ? 0n : ltSum / totalCollateralBase;
  const healthFactorRay =
    totalDebtBase === 0n ? MAX_HEALTH_FACTOR : rayDiv(percentMul(totalCollateralBase, avgLiquidationThreshold), totalDebtBase);
  return { totalCollateralBase, totalDebtBase, avgLtv, avgLiquidationThreshold, healthFactorRay };
}

let sortedCache: { size: number; assets: string[] } = { size: -1, assets: [] };
function sortedAssets(state: EngineState): string[] {
  // Reserves are never removed, so the count identifies the set within one state; the cache is keyed
  // on the map object too so several engines in one process never share it.
  if (sortedCache.size !== state.lending.reserves.size || cacheOwner !== state.lending.reserves) {
    sortedCache = { size: state.lending.reserves.size, assets: [...state.lending.reserves.keys()].sort() };
    cacheOwner = state.lending.reserves;
  }
  return sortedCache.assets;
}
let cacheOwner: Map<string, Reserve> | undefined;

/* ───────────────────────────── ops ───────────────────────────── */

function requireReserve(state: EngineState, value: unknown, field: string): Reserve {
  const r = state.lending.reserves.get(requireId(value, field));
  if (r === undefined) reject("UNKNOWN_RESERVE", `${field}: no lending reserve for ${String(value)}`);
  return r;
}

function requireBps(value: unknown, field: string, min: number, max: number): bigint {
  return BigInt(requireInt(value, field, min, max));
}

function requireRay(value: unknown, field: string, min: bigint, max: bigint): bigint {
  if (typeof value !== "bigint" || value < min || value > max) reject("INVALID_OP", `${field} must be a ray bigint in ${min}..${max}`);
  return value;
}

function optionalCap(value: unknown, field: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value !== "bigint" || value < 0n || value > MAX_AMOUNT) reject("INVALID_AMOUNT", `${field} must be 0..2^128-1 base units (0 = no cap)`);
  return value;
}

export interface ReserveView {
  asset: string;
  /** Ray. */
  utilizationRay: bigint;
  variableBorrowRateRay: bigint;
  liquidityRateRay: bigint;
  /** Ray, accrued to now (Aave's getNormalizedIncome / getNormalizedDebt). */
  liquidityIndexRay: bigint;
  variableBorrowIndexRay: bigint;
  /** Base units, accrued to now: Σ supply balances (incl. treasury) and Σ debt. */
  totalSupplied: bigint;
  totalBorrowed: bigint;
  /** Base units of underlying in the pool. */
  cash: bigint;
  /** The treasury's supply balance, base units, accrued to now. */
  treasury: bigint;
}

/** `getReserve`: rates as stored at the last update, indexes and totals accrued to now. */
export function reserveView(state: EngineState, r: Reserve): ReserveView {
  const income = normalizedIncome(state, r);
  const debtIndex = normalizedDebt(state, r);
  const totalBorrowed = rayMul(r.scaledDebt, debtIndex);
  const rates = calculateInterestRates(r, r.cash, rayMul(r.scaledDebt, r.variableBorrowIndex));
  return {
    asset: r.asset,
    utilizationRay: rates.utilization,
    variableBorrowRateRay: r.currentVariableBorrowRate,
    liquidityRateRay: r.currentLiquidityRate,
    liquidityIndexRay: income,
    variableBorrowIndexRay: debtIndex,
    totalSupplied: rayMul(r.scaledSupply, income),
    totalBorrowed,
    cash: r.cash,
    treasury: rayMul(r.treasuryScaled, income),
  };
}

export function applyCreateReserve(state: EngineState, op: CreateReserveOp): Accepted<{ asset: string }> {
  const token = requireToken(state, op.asset, "asset");
  const optimalUsageRatio = requireRay(op.optimalUsageRatio, "optimalUsageRatio", 1n, RAY);
  const baseVariableBorrowRate = requireRay(op.baseVariableBorrowRate, "baseVariableBorrowRate", 0n, MAX_RATE_RAY);
  const variableRateSlope1 = requireRay(op.variableRateSlope1, "variableRateSlope1", 0n, MAX_RATE_RAY);
  const variableRateSlope2 = requireRay(op.variableRateSlope2, "variableRateSlope2", 0n, MAX_RATE_RAY);
  const reserveFactor = requireBps(op.reserveFactor, "reserveFactor", 0, 10_000);
  const ltv = requireBps(op.ltv, "ltv", 0, 10_000);
  const liquidationThreshold = requireBps(op.liquidationThreshold, "liquidationThreshold", 0, 10_000);
  const liquidationBonus = requireBps(op.liquidationBonus, "liquidationBonus", 0, 20_000);
  const liquidationProtocolFee = op.liquidationProtocolFee === undefined ? 0n : requireBps(op.liquidationProtocolFee, "liquidationProtocolFee", 0, 10_000);
  const supplyCap = optionalCap(op.supplyCap, "supplyCap");
  const borrowCap = optionalCap(op.borrowCap, "borrowCap");
  const permissionlessLiquidation = optionalBoolean(op.permissionlessLiquidation, "permissionlessLiquidation");
  const liquidityIndex = op.liquidityIndex === undefined ? RAY : requireRay(op.liquidityIndex, "liquidityIndex", RAY, 1000n * RAY);
  const variableBorrowIndex =
    op.variableBorrowIndex === undefined ? RAY : requireRay(op.variableBorrowIndex, "variableBorrowIndex", RAY, 1000n * RAY);
  // PoolConfigurator.configureReserveAsCollateral's checks.
  if (ltv > liquidationThreshold) reject("INVALID_OP", `ltv ${ltv} must not exceed liquidationThreshold ${liquidationThreshold}`);
  if (liquidationThreshold !== 0n) {
    if (liquidationBonus <= PERCENTAGE_FACTOR) reject("INVALID_OP", "liquidationBonus must exceed 10000 (100%) for a collateral");
    if (percentMul(liquidationThreshold, liquidationBonus) > PERCENTAGE_FACTOR) {
      reject("INVALID_OP", "liquidationThreshold × liquidationBonus must not exceed 100%");
    }
  }
  if (state.lending.reserves.has(token.symbol)) reject("ALREADY_EXISTS", `reserve ${token.symbol} already exists`);
  if (state.lending.reserves.size >= MAX_RESERVES) reject("LIMIT_EXCEEDED", `at most ${MAX_RESERVES} reserves`);

  const r: Reserve = {
    asset: token.symbol,
    decimals: token.decimals,
    optimalUsageRatio,
    baseVariableBorrowRate,
    variableRateSlope1,
    variableRateSlope2,
    reserveFactor,
    ltv,
    liquidationThreshold,
    liquidationBonus,
    liquidationProtocolFee,
    supplyCap,
    borrowCap,
    permissionlessLiquidation,
    liquidityIndex,
    variableBorrowIndex,
    currentLiquidityRate: 0n,
    currentVariableBorrowRate: baseVariableBorrowRate,
    lastUpdateTimestamp: nowSeconds(state),
    cash: 0n,
    scaledSupply: 0n,
    scaledDebt: 0n,
    treasuryScaled: 0n,
    supplies: new Map(),
    debts: new Map(),
  };
  state.lending.reserves.set(r.asset, r);
  state.lending.dirty.add(r);
  return { status: "accepted", asset: r.asset };
}

export interface LendingResult {
  asset: string;
  /** Underlying moved, base units. */
  amount: bigint;
  /** The account's supply balance (supply, withdraw) or debt (borrow, repay) after the op, base units. */
  balance: bigint;
}

/** `supply`: SupplyLogic.executeSupply. Rejects CAP_EXCEEDED above the supply cap. */
export function applySupply(state: EngineState, op: SupplyOp): Accepted<LendingResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "supply");
  const r = requireReserve(state, op.asset, "asset");
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, r.asset, amount);
  const index = normalizedIncome(state, r);
  const scaled = rayDiv(amount, index);
  if (scaled === 0n) reject("INVALID_AMOUNT", "amount is below one scaled unit (Aave INVALID_MINT_AMOUNT)");
  if (r.supplyCap !== 0n && rayMul(r.scaledSupply, index) + amount > r.supplyCap) {
    reject("CAP_EXCEEDED", `supply of ${amount} would exceed the ${r.asset} supply cap ${r.supplyCap}`);
  }
  if (r.cash + amount > MAX_AMOUNT) reject("OVERFLOW", "reserve cash would exceed 2^128-1");

  updateState(state, r);
  debit(state, account, r.asset, amount);
  r.cash += amount;
  addScaled(r.supplies, account.id, scaled);
  r.scaledSupply += scaled;
  updateInterestRates(state, r);
  return { status: "accepted", asset: r.asset, amount, balance: rayMul(r.supplies.get(account.id) ?? 0n, r.liquidityIndex) };
}

/**
 * `withdrawSupply` (scenario name `withdraw` with an `asset` field): SupplyLogic.executeWithdraw.
 * `amount` equal to the whole balance burns the whole scaled balance (Aave's `type(uint256).max`).
 * Rejects INSUFFICIENT_BALANCE above the balance, INSUFFICIENT_LIQUIDITY above the pool's cash, and
 * HEALTH_FACTOR_TOO_LOW when the account has debt and would be left with HF < 1.
 */
export function applyWithdrawSupply(state: EngineState, op: WithdrawSupplyOp): Accepted<LendingResult> {
  const account = requireAccount(state, op.account, "account");
  const r = requireReserve(state, op.asset, "asset");
  const amount = requireAmount(op.amount, "amount");
  const index = normalizedIncome(state, r);
  const held = r.supplies.get(account.id) ?? 0n;
  const balance = rayMul(held, index);
  if (amount > balance) reject("INSUFFICIENT_BALANCE", `${account.id} has ${balance} ${r.asset} supplied, withdraws ${amount}`);
  if (amount > r.cash) reject("INSUFFICIENT_LIQUIDITY", `reserve ${r.asset} has ${r.cash} available, withdraws ${amount}`);
  const scaled = amount === balance ? held : minBig(rayDiv(amount, index), held);

  // Validate the health factor on a trial mutation, undone before rejecting.
  r.supplies.set(account.id, held - scaled);
  const hf = hasDebt(state, account.id) ? safeAccountData(state, account.id) : undefined;
  restoreScaled(r.supplies, account.id, held);
  if (hf instanceof Error) throw hf.rejection;
  if (hf !== undefined && hf.healthFactorRay < HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY) {
    reject("HEALTH_FACTOR_TOO_LOW", `withdrawal would leave ${account.id} with health factor ${formatRay(hf.healthFactorRay)} < 1`);
  }

  updateState(state, r);
  addScaled(r.supplies, account.id, -scaled);
  r.scaledSupply -= scaled;
  r.cash -= amount;
  credit(state, account, r.asset, amount);
  updateInterestRates(state, r);
  return { status: "accepted", asset: r.asset, amount, balance: rayMul(r.supplies.get(account.id) ?? 0n, r.liquidityIndex) };
}

/**
 * `borrow`: BorrowLogic.executeBorrow with ValidationLogic.validateBorrow's checks: the borrow cap
 * (CAP_EXCEEDED), the pool's cash (INSUFFICIENT_LIQUIDITY), collateral > 0, HF ≥ 1 before, and
 * `(debt + amount) ≤ collateral · avgLtv` in base currency (Aave's `collateralNeededInBaseCurrency`,
 * HEALTH_FACTOR_TOO_LOW); and, as the issue asks, HF ≥ 1 after the borrow.
 */
export function applyBorrow(state: EngineState, op: BorrowOp): Accepted<LendingResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "borrow");
  const r = requireReserve(state, op.asset, "asset");
  const amount = requireAmount(op.amount, "amount");
  if (amount > r.cash) reject("INSUFFICIENT_LIQUIDITY", `reserve ${r.asset} has ${r.cash} available, borrows ${amount}`);
  const debtIndex = normalizedDebt(state, r);
  if (r.borrowCap !== 0n && rayMul(r.scaledDebt, debtIndex) + amount > r.borrowCap) {
    reject("CAP_EXCEEDED", `borrow of ${amount} would exceed the ${r.asset} borrow cap ${r.borrowCap}`);
  }
  const scaled = rayDiv(amount, debtIndex);
  if (scaled === 0n) reject("INVALID_AMOUNT", "amount is below one scaled unit (Aave INVALID_MINT_AMOUNT)");
  const before = accountData(state, account.id);
  if (before.totalCollateralBase === 0n) reject("HEALTH_FACTOR_TOO_LOW", `${account.id} has no collateral`);
  if (before.healthFactorRay < HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY) {
    reject("HEALTH_FACTOR_TOO_LOW", `${account.id} has health factor ${formatRay(before.healthFactorRay)} < 1`);
  }
  const price = priceOf(state, r.asset);
  const amountBase = (price * amount) / 10n ** BigInt(r.decimals);
  if (before.avgLtv === 0n) reject("HEALTH_FACTOR_TOO_LOW", `${account.id}'s collateral has LTV 0`);
  const collateralNeeded = percentDiv(before.totalDebtBase + amountBase, before.avgLtv);
  if (collateralNeeded > before.totalCollateralBase) {
    reject("HEALTH_FACTOR_TOO_LOW", `borrow needs ${collateralNeeded} of collateral (base units), ${account.id} has ${before.totalCollateralBase} (LTV)`);
  }
  const held = r.debts.get(account.id) ?? 0n;
  r.debts.set(account.id, held + scaled);
  const after = safeAccountData(state, account.id);
  restoreScaled(r.debts, account.id, held);
  if (after instanceof Error) throw after.rejection;
  if (after.healthFactorRay < HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY) {
    reject("HEALTH_FACTOR_TOO_LOW", `borrow would leave ${account.id} with health factor ${formatRay(after.healthFactorRay)} < 1`);
  }

  updateState(state, r);
  addScaled(r.debts, account.id, scaled);
  r.scaledDebt += scaled;
  r.cash -= amount;
  credit(state, account, r.asset, amount);
  updateInterestRates(state, r);
  return { status: "accepted", asset: r.asset, amount, balance: rayMul(r.debts.get(account.id) ?? 0n, r.variableBorrowIndex) };
}

/**
 * `repay`: BorrowLogic.executeRepay. Pays `min(amount, debt)` of `onBehalfOf`'s (default: the payer's)
 * debt out of the payer's free balance; paying the whole debt burns the whole scaled debt.
 */
export function applyRepay(state: EngineState, op: RepayOp): Accepted<LendingResult> {
  const payer = requireAccount(state, op.account, "account");
  const borrower = op.onBehalfOf === undefined ? payer : requireAccount(state, op.onBehalfOf, "onBehalfOf");
  const r = requireReserve(state, op.asset, "asset");
  const amount = requireAmount(op.amount, "amount");
  const debtIndex = normalizedDebt(state, r);
  const held = r.debts.get(borrower.id) ?? 0n;
  const debt = rayMul(held, debtIndex);
  if (debt === 0n) reject("INVALID_OP", `${borrower.id} has no ${r.asset} debt (Aave NO_DEBT_OF_SELECTED_TYPE)`);
  const paid = minBig(amount, debt);
  requireFree(payer, r.asset, paid);
  const scaled = paid === debt ? held : minBig(rayDiv(paid, debtIndex), held);

  updateState(state, r);
  debit(state, payer, r.asset, paid);
  r.cash += paid;
  addScaled(r.debts, borrower.id, -scaled);
  r.scaledDebt -= scaled;
  updateInterestRates(state, r);
  return { status: "accepted", asset: r.asset, amount: paid, balance: rayMul(r.debts.get(borrower.id) ?? 0n, r.variableBorrowIndex) };
}

export interface LiquidationResult {
  user: string;
  debtAsset: string;
  collateralAsset: string;
  /** Debt repaid by the liquidator, base units of the debt asset. */
  debtRepaid: bigint;
  /** Collateral received by the liquidator (underlying, or supply balance with receiveAToken). */
  collateralSeized: bigint;
  /** Collateral to the treasury (share of the bonus), base units of the collateral asset. */
  protocolFee: bigint;
  /** Close factor applied, bps (5000, or 10000 below HF 0.95). */
  closeFactor: bigint;
  /** The user's health factor before, ray. */
  healthFactorRay: bigint;
}

/**
 * `liquidate`: LiquidationLogic.executeLiquidationCall (v3.0). The user's HF must be < 1
 * (NOT_LIQUIDATABLE otherwise). At most `closeFactor · debt` is repaid: 50%, or 100% when HF < 0.95.
 * Collateral seized = `(debtPrice · debtToCover · collateralUnit) / (collateralPrice · debtUnit)`
 * `.percentMul(liquidationBonus)` (rounded down, then half up), capped by the user's collateral (then
 * the debt covered is recomputed with `percentDiv`); the protocol takes
 * `(seized − seized.percentDiv(bonus)).percentMul(liquidationProtocolFee)` of it as treasury supply.
 * The liquidator pays the debt out of its free balance and receives the collateral as underlying (or,
 * with `receiveAToken`, as supply balance). Only the Liquidator role, unless the debt reserve was
 * created with `permissionlessLiquidation`.
 */
export function applyLiquidate(state: EngineState, op: LiquidateOp): Accepted<LiquidationResult> {
  const liquidator = requireAccount(state, op.account, "account");
  const user = requireAccount(state, op.user, "user");
  const debtR = requireReserve(state, op.debtAsset, "debtAsset");
  const colR = requireReserve(state, op.collateralAsset, "collateralAsset");
  const debtToCover = requireAmount(op.debtToCover, "debtToCover");
  const receiveAToken = optionalBoolean(op.receiveAToken, "receiveAToken");
  if (!debtR.permissionlessLiquidation && (liquidator.roles & Role.Liquidator) === 0) {
    reject("NOT_PERMITTED", `${liquidator.id} has no Liquidator role`);
  }
  if (liquidator.id === user.id) reject("NOT_PERMITTED", "an account cannot liquidate itself");
  const data = accountData(state, user.id);
  if (data.healthFactorRay >= HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY) {
    reject("NOT_LIQUIDATABLE", `${user.id} has health factor ${formatRay(data.healthFactorRay)} ≥ 1`);
  }
  const debtIndex = normalizedDebt(state, debtR);
  const userDebt = rayMul(debtR.debts.get(user.id) ?? 0n, debtIndex);
  if (userDebt === 0n) reject("NOT_LIQUIDATABLE", `${user.id} has no ${debtR.asset} debt`);
  const colIncome = normalizedIncome(state, colR);
  const userColScaled = colR.supplies.get(user.id) ?? 0n;
  const userCollateral = rayMul(userColScaled, colIncome);
  if (userCollateral === 0n || colR.liquidationThreshold === 0n) reject("NOT_LIQUIDATABLE", `${user.id} has no ${colR.asset} collateral`);

  // _calculateDebt
  const closeFactor = data.healthFactorRay > CLOSE_FACTOR_HF_THRESHOLD_RAY ? DEFAULT_LIQUIDATION_CLOSE_FACTOR : MAX_LIQUIDATION_CLOSE_FACTOR;
  const maxLiquidatable = percentMul(userDebt, closeFactor);
  const actualDebtToLiquidate = minBig(debtToCover, maxLiquidatable);
  // _calculateAvailableCollateralToLiquidate
  const colPrice = priceOf(state, colR.asset);
  const debtPrice = priceOf(state, debtR.asset);
  const colUnit = 10n ** BigInt(colR.decimals);
  const debtUnit = 10n ** BigInt(debtR.decimals);
  const baseCollateral = (debtPrice * actualDebtToLiquidate * colUnit) / (colPrice * debtUnit);
  const maxCollateralToLiquidate = percentMul(baseCollateral, colR.liquidationBonus);
  let collateralAmount: bigint;
  let debtAmountNeeded: bigint;
  if (maxCollateralToLiquidate > userCollateral) {
    collateralAmount = userCollateral;
    debtAmountNeeded = percentDiv((colPrice * collateralAmount * debtUnit) / (debtPrice * colUnit), colR.liquidationBonus);
  } else {
    collateralAmount = maxCollateralToLiquidate;
    debtAmountNeeded = actualDebtToLiquidate;
  }
  let protocolFee = 0n;
  if (colR.liquidationProtocolFee !== 0n) {
    const bonusCollateral = collateralAmount - percentDiv(collateralAmount, colR.liquidationBonus);
    protocolFee = percentMul(bonusCollateral, colR.liquidationProtocolFee);
  }
  const toLiquidator = collateralAmount - protocolFee;
  if (debtAmountNeeded === 0n || collateralAmount === 0n) reject("NOT_LIQUIDATABLE", "nothing to liquidate at these amounts");
  requireFree(liquidator, debtR.asset, debtAmountNeeded);
  const sameReserve = colR === debtR;
  if (!receiveAToken && toLiquidator > colR.cash + (sameReserve ? debtAmountNeeded : 0n)) {
    reject("INSUFFICIENT_LIQUIDITY", `reserve ${colR.asset} has ${colR.cash} available, the liquidator would receive ${toLiquidator}`);
  }

  // Effects. Debt reserve first (as Aave), then collateral.
  updateState(state, debtR);
  const heldDebt = debtR.debts.get(user.id) ?? 0n;
  const debtNow = rayMul(heldDebt, debtR.variableBorrowIndex);
  const debtScaled = debtAmountNeeded >= debtNow ? heldDebt : minBig(rayDiv(debtAmountNeeded, debtR.variableBorrowIndex), heldDebt);
  debit(state, liquidator, debtR.asset, debtAmountNeeded);
  debtR.cash += debtAmountNeeded;
  addScaled(debtR.debts, user.id, -debtScaled);
  debtR.scaledDebt -= debtScaled;
  updateInterestRates(state, debtR);

  updateState(state, colR);
  const heldCol = colR.supplies.get(user.id) ?? 0n;
  const colNow = rayMul(heldCol, colR.liquidityIndex);
  const seizedScaled = collateralAmount >= colNow ? heldCol : minBig(rayDiv(collateralAmount, colR.liquidityIndex), heldCol);
  const feeScaled = minBig(rayDiv(protocolFee, colR.liquidityIndex), seizedScaled);
  const liquidatorScaled = seizedScaled - feeScaled;
  addScaled(colR.supplies, user.id, -seizedScaled);
  colR.treasuryScaled += feeScaled;
  if (receiveAToken) {
    // User → liquidator and treasury: Σ scaled supply unchanged.
    addScaled(colR.supplies, liquidator.id, liquidatorScaled);
  } else {
    colR.scaledSupply -= liquidatorScaled;
    colR.cash -= toLiquidator;
    credit(state, liquidator, colR.asset, toLiquidator);
  }
  updateInterestRates(state, colR);
  return {
    status: "accepted",
    user: user.id,
    debtAsset: debtR.asset,
    collateralAsset: colR.asset,
    debtRepaid: debtAmountNeeded,
    collateralSeized: toLiquidator,
    protocolFee,
    closeFactor,
    healthFactorRay: data.healthFactorRay,
  };
}

/* ───────────────────────────── queries and exit ───────────────────────────── */

export interface LendingAccountView {
  account: string;
  healthFactorRay: bigint;
  /** Base currency (USD·1e8). */
  totalCollateralBase: bigint;
  totalDebtBase: bigint;
  avgLtv: bigint;
  avgLiquidationThreshold: bigint;
  /** Per reserve, base units accrued to now (reserves with a position only, sorted by asset). */
  collateral: Record<string, bigint>;
  debt: Record<string, bigint>;
}

/** `getAccount` (lending part). Throws STALE_PRICE/UNKNOWN_PRICE if a used reserve has no price. */
export function lendingAccountView(state: EngineState, accountId: string): LendingAccountView {
  const data = accountData(state, accountId);
  const collateral: Record<string, bigint> = {};
  const debt: Record<string, bigint> = {};
  for (const asset of sortedAssets(state)) {
    const r = state.lending.reserves.get(asset) as Reserve;
    const s = r.supplies.get(accountId) ?? 0n;
    const d = r.debts.get(accountId) ?? 0n;
    if (s !== 0n) collateral[asset] = rayMul(s, normalizedIncome(state, r));
    if (d !== 0n) debt[asset] = rayMul(d, normalizedDebt(state, r));
  }
  return { account: accountId, ...data, collateral, debt };
}

/** Per-account, per-token changes to the exit amounts (see the module doc), and the treasury's share. */
export interface LendingExit {
  /** account id → token → delta (negative: free balance netted against debt). */
  accounts: Map<string, Map<string, bigint>>;
  /** token → amount to the protocol address. */
  protocol: Map<string, bigint>;
}

/**
 * The lending part of the exit root (module doc):
 * 1. each borrower's debt is netted against its own free balance of that asset (deducted from the
 *    free balance, added to the reserve's distributable cash);
 * 2. debt still unpaid is settled out of the borrower's collateral, at the last oracle prices (stale
 *    or not; no bonus), collateral assets in symbol order: the seized collateral balance becomes a
 *    claim of the debt reserve's suppliers, who are owed that debt;
 * 3. every reserve pays each supply balance (and each seized claim, and the treasury) pro rata out of
 *    its distributable cash: `min(balance, ⌊balance · distributable / Σ balances⌋)`; a seized claim's
 *    payout is split among the debt reserve's suppliers pro rata to their balances, rounded down.
 * Every step rounds down what is paid out, so Σ exits ≤ cash + netted free balances.
 */
export function lendingExitAdjustments(state: EngineState): LendingExit {
  const accounts = new Map<string, Map<string, bigint>>();
  const protocol = new Map<string, bigint>();
  const add = (id: string, token: string, delta: bigint): void => {
    if (delta === 0n) return;
    let m = accounts.get(id);
    if (m === undefined) accounts.set(id, (m = new Map()));
    m.set(token, (m.get(token) ?? 0n) + delta);
  };
  const assets = sortedAssets(state);
  const distributable = new Map<string, bigint>();
  /** asset → account → supply balance (accrued), reduced by seizures. */
  const balances = new Map<string, Map<string, bigint>>();
  const treasury = new Map<string, bigint>();
  /** account → debt asset → debt left after netting. */
  const residual = new Map<string, Map<string, bigint>>();
  for (const asset of assets) {
    const r = state.lending.reserves.get(asset) as Reserve;
    const income = normalizedIncome(state, r);
    const debtIndex = normalizedDebt(state, r);
    let dist = r.cash;
    for (const [id, scaled] of r.debts) {
      const debt = rayMul(scaled, debtIndex);
      const repaid = minBig(state.accounts.get(id)?.free.get(asset) ?? 0n, debt);
      add(id, asset, -repaid);
      dist += repaid;
      if (debt > repaid) {
        let m = residual.get(id);
        if (m === undefined) residual.set(id, (m = new Map()));
        m.set(asset, debt - repaid);
      }
    }
    distributable.set(asset, dist);
    const b = new Map<string, bigint>();
    for (const [id, scaled] of r.supplies) b.set(id, rayMul(scaled, income));
    balances.set(asset, b);
    treasury.set(asset, rayMul(r.treasuryScaled, income));
  }

  // 2. Seize collateral for unpaid debt: collateral asset → debt asset → seized balance.
  const seized = new Map<string, Map<string, bigint>>();
  for (const id of [...residual.keys()].sort()) {
    const debts = residual.get(id) as Map<string, bigint>;
    for (const debtAsset of [...debts.keys()].sort()) {
      const debtPrice = lastPrice(state, debtAsset);
      if (debtPrice === undefined) continue;
      const debtReserve = state.lending.reserves.get(debtAsset) as Reserve;
      // Value owed in base currency, rounded up (in the suppliers' favour).
      let owed = ceilDivBig((debts.get(debtAsset) as bigint) * debtPrice, 10n ** BigInt(debtReserve.decimals));
      for (const colAsset of assets) {
        if (owed === 0n) break;
        const col = state.lending.reserves.get(colAsset) as Reserve;
        const held = balances.get(colAsset)?.get(id) ?? 0n;
        const colPrice = lastPrice(state, colAsset);
        if (held === 0n || col.liquidationThreshold === 0n || colPrice === undefined) continue;
        const unit = 10n ** BigInt(col.decimals);
        const need = ceilDivBig(owed * unit, colPrice);
        const take = minBig(held, need);
        (balances.get(colAsset) as Map<string, bigint>).set(id, held - take);
        let m = seized.get(colAsset);
        if (m === undefined) seized.set(colAsset, (m = new Map()));
        m.set(debtAsset, (m.get(debtAsset) ?? 0n) + take);
        owed = take === need ? 0n : owed - (take * colPrice) / unit;
      }
    }
  }

  // 3. Pro-rata payout of each reserve's distributable cash.
  for (const asset of assets) {
    const b = balances.get(asset) as Map<string, bigint>;
    const t = treasury.get(asset) as bigint;
    const claimsOfDebt = seized.get(asset) ?? new Map<string, bigint>();
    let claims = t;
    for (const v of b.values()) claims += v;
    for (const v of claimsOfDebt.values()) claims += v;
    if (claims === 0n) continue;
    const dist = distributable.get(asset) as bigint;
    const share = (balance: bigint): bigint => minBig(balance, (balance * dist) / claims);
    for (const [id, v] of b) add(id, asset, share(v));
    if (share(t) > 0n) protocol.set(asset, (protocol.get(asset) ?? 0n) + share(t));
    // Seized collateral to the debt reserve's suppliers (and treasury), pro rata to their balances.
    for (const debtAsset of [...claimsOfDebt.keys()].sort()) {
      const payout = share(claimsOfDebt.get(debtAsset) as bigint);
      const owners = balances.get(debtAsset) as Map<string, bigint>;
      const ownersTreasury = treasury.get(debtAsset) as bigint;
      let weight = ownersTreasury;
      for (const v of owners.values()) weight += v;
      if (weight === 0n || payout === 0n) continue;
      for (const [id, v] of owners) add(id, asset, (payout * v) / weight);
      const toTreasury = (payout * ownersTreasury) / weight;
      if (toTreasury > 0n) protocol.set(asset, (protocol.get(asset) ?? 0n) + toTreasury);
    }
  }
  return { accounts, protocol };
}

/** Canonical text of a reserve for the state root. */
export function encodeReserve(r: Reserve): string {
  const map = (m: Map<string, bigint>): string =>
    [...m.keys()]
      .sort()
      .map((k) => `${k}=${m.get(k)}`)
      .join(",");
  return [
    r.decimals,
    r.optimalUsageRatio,
    r.baseVariableBorrowRate,
    r.variableRateSlope1,
    r.variableRateSlope2,
    r.reserveFactor,
    r.ltv,
    r.liquidationThreshold,
    r.liquidationBonus,
    r.liquidationProtocolFee,
    r.supplyCap,
    r.borrowCap,
    r.permissionlessLiquidation ? 1 : 0,
    r.liquidityIndex,
    r.variableBorrowIndex,
    r.currentLiquidityRate,
    r.currentVariableBorrowRate,
    r.lastUpdateTimestamp,
    r.cash,
    r.scaledSupply,
    r.scaledDebt,
    r.treasuryScaled,
    map(r.supplies),
    map(r.debts),
  ].join("|");
}

/* ───────────────────────────── helpers ───────────────────────────── */

function hasDebt(state: EngineState, id: string): boolean {
  for (const r of state.lending.reserves.values()) if ((r.debts.get(id) ?? 0n) !== 0n) return true;
  return false;
}

/** accountData, returning a thrown Rejection instead of throwing (so a trial mutation can be undone). */
function safeAccountData(state: EngineState, id: string): AccountData | RejectionBox {
  try {
    return accountData(state, id);
  } catch (error) {
    return new RejectionBox(error);
  }
}
class RejectionBox extends Error {
  constructor(readonly rejection: unknown) {
    super("rejection");
  }
}

function addScaled(map: Map<string, bigint>, id: string, delta: bigint): void {
  const next = (map.get(id) ?? 0n) + delta;
  if (next < 0n) invariant(false, `scaled balance of ${id} would go negative`);
  if (next === 0n) map.delete(id);
  else map.set(id, next);
}

function restoreScaled(map: Map<string, bigint>, id: string, value: bigint): void {
  if (value === 0n) map.delete(id);
  else map.set(id, value);
}

function ceilDivBig(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** A ray as a decimal with 4 places, for messages. */
export function formatRay(value: bigint): string {
  if (value === MAX_HEALTH_FACTOR) return "∞";
  const scaled = (value * 10_000n) / RAY;
  return `${scaled / 10_000n}.${(scaled % 10_000n).toString().padStart(4, "0")}`;
}
