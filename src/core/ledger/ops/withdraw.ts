/**
 * The `withdraw` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { totalsOf } from "../../accounts.js";
import { debit, freeOf } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted, BalanceResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount, requireFree, requireToken } from "../../validate.js";

/** Debits `amount` of `token` from the free balance of `account` (leaves the channel). */
export interface WithdrawParameters {
  type: "withdraw";
  account: string;
  token: string;
  amount: bigint;
}

/** What an accepted `withdraw` returns besides `status`. */
export type WithdrawReturnType = BalanceResult;

/** Every rejection code `withdraw` can return (checked by `test/ops.registry.test.ts`). */
export const withdrawErrorCodes = ["INVALID_OP", "INVALID_AMOUNT", "INVALID_ID", "UNKNOWN_TOKEN", "UNKNOWN_ACCOUNT", "INSUFFICIENT_BALANCE"] as const;
export type WithdrawErrorType = OpErrorType<typeof withdrawErrorCodes>;

/**
 * Debits a withdrawal from the free balance and adds it to the account's cumulative `withdrawn` (what the
 * settlement contract may pay it mid-channel). Any account may withdraw its own funds, whatever its roles.
 */
export function applyWithdraw(state: EngineState, op: WithdrawParameters): Accepted<BalanceResult> {
  const account = requireAccount(state, op.account, "account");
  const token = requireToken(state, op.token, "token");
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, token.symbol, amount);

  totalsOf(state, token.symbol).withdrawn += amount;
  debit(state, account, token.symbol, amount);
  // Cumulative per account, for the exit leaf (exit.ts): the contract pays withdrawn − paid once.
  account.withdrawn.set(token.symbol, (account.withdrawn.get(token.symbol) ?? 0n) + amount);
  return { status: "accepted", balance: freeOf(account, token.symbol) };
}

export const withdrawOp = defineOp<WithdrawParameters, WithdrawReturnType>({
  type: "withdraw",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("token", "string"),
    req("amount", "amount"),
  ],
  handler: applyWithdraw,
  rejects: withdrawErrorCodes,
  docs: {
    section: "core",
    result: "`balance`",
  },
});
