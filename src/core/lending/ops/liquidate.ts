/**
 * The `liquidate` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { credit, debit } from "../../ledger.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import { priceOf } from "../../oracle.js";
import type { Accepted } from "../../results.js";
import { Role } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { optionalBoolean, requireAccount, requireAmount, requireFree } from "../../validate.js";
import { percentDiv, percentMul, rayDiv, rayMul } from "../math.js";
import type { LiquidationResult } from "../pool.js";
import {
  accountData,
  addScaled,
  CLOSE_FACTOR_HF_THRESHOLD_RAY,
  DEFAULT_LIQUIDATION_CLOSE_FACTOR,
  formatRay,
  HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY,
  MAX_LIQUIDATION_CLOSE_FACTOR,
  minBig,
  normalizedDebt,
  normalizedIncome,
  requireReserve,
  updateInterestRates,
  updateState,
} from "../pool.js";

/** Liquidates `user` (HF < 1): repays up to `debtToCover` of `debtAsset`, seizes `collateralAsset`. */
export interface LiquidateParameters {
  type: "liquidate";
  account: string;
  user: string;
  collateralAsset: string;
  debtAsset: string;
  debtToCover: bigint;
  /** Receive the collateral as supply balance instead of underlying; default false. */
  receiveAToken?: boolean;
}

/** What an accepted `liquidate` returns besides `status`. */
export type LiquidateReturnType = LiquidationResult;

/** Every rejection code `liquidate` can return (checked by `test/ops.registry.test.ts`). */
export const liquidateErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
  "INSUFFICIENT_LIQUIDITY",
  "STALE_PRICE",
  "UNKNOWN_PRICE",
  "UNKNOWN_RESERVE",
  "NOT_LIQUIDATABLE",
] as const;
export type LiquidateErrorType = OpErrorType<typeof liquidateErrorCodes>;

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
export function applyLiquidate(state: EngineState, op: LiquidateParameters): Accepted<LiquidationResult> {
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

export const liquidateOp = defineOp<LiquidateParameters, LiquidateReturnType>({
  type: "liquidate",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "Liquidator role unless the debt reserve is permissionless" }),
    req("user", "string", { doc: "HF < 1" }),
    req("collateralAsset", "string"),
    req("debtAsset", "string"),
    req("debtToCover", "amount", { doc: "debt base units; capped by the close factor" }),
    opt("receiveAToken", "boolean", { doc: "take the collateral as supply balance" }),
  ],
  handler: applyLiquidate,
  rejects: liquidateErrorCodes,
  docs: {
    section: "lending",
    result: "`user`, `debtAsset`, `collateralAsset`, `debtRepaid`, `collateralSeized` (to the liquidator), `protocolFee` (to the treasury), `closeFactor` (bps: 5000, or 10000 when HF < 0.95), `healthFactorRay` (before)",
  },
});
