/**
 * The `deposit` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { totalsOf } from "../../accounts.js";
import { reject } from "../../errors.js";
import { credit, freeOf } from "../../ledger.js";
import { MAX_AMOUNT } from "../../math.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted, BalanceResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount, requireToken } from "../../validate.js";

/* ───────────────────────────── ledger ───────────────────────────── */

/** Credits `amount` of `token` to `account` (an on-chain deposit record, in the channel). */
export interface DepositParameters {
  type: "deposit";
  account: string;
  token: string;
  amount: bigint;
}

/** What an accepted `deposit` returns besides `status`. */
export type DepositReturnType = BalanceResult;

/** Every rejection code `deposit` can return (checked by `test/ops.registry.test.ts`). */
export const depositErrorCodes = ["INVALID_OP", "INVALID_AMOUNT", "INVALID_ID", "UNKNOWN_TOKEN", "UNKNOWN_ACCOUNT", "OVERFLOW"] as const;
export type DepositErrorType = OpErrorType<typeof depositErrorCodes>;

/**
 * Credits a deposit. The total deposited of a token is capped at 2^128 − 1 (OVERFLOW): since every
 * balance, reserve and fee derives from deposits, this one cap bounds them all.
 */
export function applyDeposit(state: EngineState, op: DepositParameters): Accepted<BalanceResult> {
  const account = requireAccount(state, op.account, "account");
  const token = requireToken(state, op.token, "token");
  const amount = requireAmount(op.amount, "amount");
  const totals = totalsOf(state, token.symbol);
  if (totals.deposited - totals.withdrawn + amount > MAX_AMOUNT) {
    reject("OVERFLOW", `deposit would put more than 2^128-1 of ${token.symbol} in the engine`);
  }

  totals.deposited += amount;
  credit(state, account, token.symbol, amount);
  return { status: "accepted", balance: freeOf(account, token.symbol) };
}

export const depositOp = defineOp<DepositParameters, DepositReturnType>({
  type: "deposit",
  kind: "genesis",
  fields: [
    req("account", "string"),
    req("token", "string"),
    req("amount", "amount"),
  ],
  handler: applyDeposit,
  rejects: depositErrorCodes,
  docs: {
    section: "core",
    result: "`balance` (free, after)",
  },
});
