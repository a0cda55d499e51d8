/**
 * The `borrow` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { credit } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import { priceOf } from "../../oracle.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireAmount } from "../../validate.js";
import { percentDiv, rayDiv, rayMul } from "../math.js";
import type { LendingResult } from "../pool.js";
import {
  accountData,
  addScaled,
  formatRay,
  HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY,
  normalizedDebt,
  requireReserve,
  restoreScaled,
  RejectionBox,
  safeAccountData,
  updateInterestRates,
  updateState,
} from "../pool.js";

/** Borrows `amount` of `asset` at the variable rate into the free balance (Aave `borrow`). */
export interface BorrowParameters {
  type: "borrow";
  account: string;
  asset: string;
  amount: bigint;
}

/** What an accepted `borrow` returns besides `status`. */
export type BorrowReturnType = LendingResult;

/** Every rejection code `borrow` can return (checked by `test/ops.registry.test.ts`). */
export const borrowErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "NOT_PERMITTED",
  "INSUFFICIENT_LIQUIDITY",
  "STALE_PRICE",
  "UNKNOWN_PRICE",
  "UNKNOWN_RESERVE",
  "HEALTH_FACTOR_TOO_LOW",
  "CAP_EXCEEDED",
] as const;
export type BorrowErrorType = OpErrorType<typeof borrowErrorCodes>;

/**
 * `borrow`: BorrowLogic.executeBorrow with ValidationLogic.validateBorrow's checks: the borrow cap
 * (CAP_EXCEEDED), the pool's cash (INSUFFICIENT_LIQUIDITY), collateral > 0, HF ≥ 1 before, and
 * `(debt + amount) ≤ collateral · avgLtv` in base currency (Aave's `collateralNeededInBaseCurrency`,
 * HEALTH_FACTOR_TOO_LOW); and, as the issue asks, HF ≥ 1 after the borrow.
 */
export function applyBorrow(state: EngineState, op: BorrowParameters): Accepted<LendingResult> {
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
  if (after instanceof RejectionBox) throw after.rejection;
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

export const borrowOp = defineOp<BorrowParameters, BorrowReturnType>({
  type: "borrow",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("asset", "string"),
    req("amount", "amount", { doc: "≤ cash, ≤ borrow cap; debt + amount ≤ collateral × LTV; HF ≥ 1 after" }),
  ],
  handler: applyBorrow,
  rejects: borrowErrorCodes,
  docs: {
    section: "lending",
    result: "`asset`, `amount`, `balance` (debt after)",
  },
});
