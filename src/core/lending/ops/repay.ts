/**
 * The `repay` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { debit } from "../../ledger.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount, requireFree } from "../../validate.js";
import { rayDiv, rayMul } from "../math.js";
import type { LendingResult } from "../pool.js";
import { addScaled, minBig, normalizedDebt, requireReserve, updateInterestRates, updateState } from "../pool.js";

/** Repays up to `amount` of `onBehalfOf`'s (default: own) `asset` debt from the free balance. */
export interface RepayParameters {
  type: "repay";
  account: string;
  asset: string;
  amount: bigint;
  onBehalfOf?: string;
}

/** What an accepted `repay` returns besides `status`. */
export type RepayReturnType = LendingResult;

/** Every rejection code `repay` can return (checked by `test/ops.registry.test.ts`). */
export const repayErrorCodes = ["INVALID_OP", "INVALID_AMOUNT", "INVALID_ID", "UNKNOWN_ACCOUNT", "INSUFFICIENT_BALANCE", "UNKNOWN_RESERVE"] as const;
export type RepayErrorType = OpErrorType<typeof repayErrorCodes>;

/**
 * `repay`: BorrowLogic.executeRepay. Pays `min(amount, debt)` of `onBehalfOf`'s (default: the payer's)
 * debt out of the payer's free balance; paying the whole debt burns the whole scaled debt.
 */
export function applyRepay(state: EngineState, op: RepayParameters): Accepted<LendingResult> {
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

export const repayOp = defineOp<RepayParameters, RepayReturnType>({
  type: "repay",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "payer" }),
    req("asset", "string"),
    req("amount", "amount", { doc: "repays min(amount, debt)" }),
    opt("onBehalfOf", "string", { doc: "default the payer" }),
  ],
  handler: applyRepay,
  rejects: repayErrorCodes,
  docs: {
    section: "lending",
    result: "`asset`, `amount` (repaid), `balance` (debt after)",
  },
});
