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
import { MAX_AMOUNT } from "../math.js";
import { lastPrice, priceOf } from "../oracle.js";
import type { EngineState } from "../state.js";
import { requireId, requireInt } from "../validate.js";
import {
  calculateCompoundedInterest,
  calculateLinearInterest, percentMul, RAY,
  rayDiv,
  rayMul
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

export function nowSeconds(state: EngineState): number {
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

export function requireReserve(state: EngineState, value: unknown, field: string): Reserve {
  const r = state.lending.reserves.get(requireId(value, field));
  if (r === undefined) reject("UNKNOWN_RESERVE", `${field}: no lending reserve for ${String(value)}`);
  return r;
}

export function requireBps(value: unknown, field: string, min: number, max: number): bigint {
  return BigInt(requireInt(value, field, min, max));
}

export function requireRay(value: unknown, field: string, min: bigint, max: bigint): bigint {
  if (typeof value !== "bigint" || value < min || value > max) reject("INVALID_OP", `${field} must be a ray bigint in ${min}..${max}`);
  return value;
}

export function optionalCap(value: unknown, field: string): bigint {
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

export interface LendingResult {
  asset: string;
  /** Underlying moved, base units. */
  amount: bigint;
  /** The account's supply balance (supply, withdraw) or debt (borrow, repay) after the op, base units. */
  balance: bigint;
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

export function hasDebt(state: EngineState, id: string): boolean {
  for (const r of state.lending.reserves.values()) if ((r.debts.get(id) ?? 0n) !== 0n) return true;
  return false;
}

/** accountData, returning a thrown Rejection instead of throwing (so a trial mutation can be undone). */
export function safeAccountData(state: EngineState, id: string): AccountData | RejectionBox {
  try {
    return accountData(state, id);
  } catch (error) {
    return new RejectionBox(error);
  }
}
/**
 * What {@link safeAccountData} caught, to be rethrown after the trial mutation is undone. A plain value,
 * not an `Error`: the engine's reject path captures no stack.
 */
export class RejectionBox {
  constructor(readonly rejection: unknown) {}
}

export function addScaled(map: Map<string, bigint>, id: string, delta: bigint): void {
  const next = (map.get(id) ?? 0n) + delta;
  if (next < 0n) invariant(false, `scaled balance of ${id} would go negative`);
  if (next === 0n) map.delete(id);
  else map.set(id, next);
}

export function restoreScaled(map: Map<string, bigint>, id: string, value: bigint): void {
  if (value === 0n) map.delete(id);
  else map.set(id, value);
}

function ceilDivBig(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** A ray as a decimal with 4 places, for messages. */
export function formatRay(value: bigint): string {
  if (value === MAX_HEALTH_FACTOR) return "∞";
  const scaled = (value * 10_000n) / RAY;
  return `${scaled / 10_000n}.${(scaled % 10_000n).toString().padStart(4, "0")}`;
}
