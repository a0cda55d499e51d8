/**
 * The `fundInsurance` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { debit } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount, requireFree, requireToken } from "../../validate.js";
import { addInsurance, addVault } from "../market.js";

/** Moves `amount` of `token` from the account's free balance into the insurance fund (a donation). */
export interface FundInsuranceParameters {
  type: "fundInsurance";
  account: string;
  token: string;
  amount: bigint;
}

/** What an accepted `fundInsurance` returns besides `status`. */
export type FundInsuranceReturnType = { insuranceFund: bigint };

/** Every rejection code `fundInsurance` can return (checked by `test/ops.registry.test.ts`). */
export const fundInsuranceErrorCodes = ["INVALID_OP", "INVALID_AMOUNT", "INVALID_ID", "UNKNOWN_TOKEN", "UNKNOWN_ACCOUNT", "INSUFFICIENT_BALANCE"] as const;
export type FundInsuranceErrorType = OpErrorType<typeof fundInsuranceErrorCodes>;

/**
 * Handler of `fundInsurance`: free balance → insurance fund (dYdX: governance funds it from the
 * community treasury). Any account may donate. Rejects: actor errors, UNKNOWN_TOKEN, INVALID_AMOUNT,
 * INSUFFICIENT_BALANCE.
 */
export function applyFundInsurance(state: EngineState, op: FundInsuranceParameters): Accepted<{ insuranceFund: bigint }> {
  const account = requireAccount(state, op.account, "account");
  const token = requireToken(state, op.token, "token").symbol;
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, token, amount);

  debit(state, account, token, amount);
  addInsurance(state.perps, token, amount);
  addVault(state.perps, token, amount);
  return { status: "accepted", insuranceFund: state.perps.insurance.get(token) ?? 0n };
}

export const fundInsuranceOp = defineOp<FundInsuranceParameters, FundInsuranceReturnType>({
  type: "fundInsurance",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("token", "string"),
    req("amount", "amount", { doc: "free balance → insurance fund" }),
  ],
  handler: applyFundInsurance,
  rejects: fundInsuranceErrorCodes,
  docs: {
    section: "perps",
    result: "`insuranceFund`",
  },
});
