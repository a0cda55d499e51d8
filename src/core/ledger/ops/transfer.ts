/**
 * The `transfer` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { credit, debit, freeOf } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted, BalanceResult } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireActor, requireAmount, requireFree, requireToken } from "../../validate.js";

/** Moves `amount` of `token` from `from`'s free balance to `to`. */
export interface TransferParameters {
  type: "transfer";
  from: string;
  to: string;
  token: string;
  amount: bigint;
}

/** What an accepted `transfer` returns besides `status`. */
export type TransferReturnType = BalanceResult;

/** Every rejection code `transfer` can return (checked by `test/ops.registry.test.ts`). */
export const transferErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
] as const;
export type TransferErrorType = OpErrorType<typeof transferErrorCodes>;

/** Moves free balance between two different accounts. The sender needs a trading role. */
export function applyTransfer(state: EngineState, op: TransferParameters): Accepted<BalanceResult> {
  const from = requireActor(state, op.from, "from", TRADING_ROLES, "transfer");
  const to = requireAccount(state, op.to, "to");
  const token = requireToken(state, op.token, "token");
  const amount = requireAmount(op.amount, "amount");
  if (from === to) reject("INVALID_OP", "from and to must be different accounts");
  requireFree(from, token.symbol, amount);

  debit(state, from, token.symbol, amount);
  credit(state, to, token.symbol, amount);
  return { status: "accepted", balance: freeOf(from, token.symbol) };
}

export const transferOp = defineOp<TransferParameters, TransferReturnType>({
  type: "transfer",
  kind: "batch",
  fields: [
    req("from", "string"),
    req("to", "string"),
    req("token", "string"),
    req("amount", "amount"),
  ],
  handler: applyTransfer,
  rejects: transferErrorCodes,
  docs: {
    section: "core",
    result: "`balance` (sender's, after)",
  },
});
