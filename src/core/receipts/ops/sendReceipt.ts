/**
 * The `sendReceipt` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { debit, freeOf } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import { requireBytes32, totalsOf } from "../../receipts.js";
import type { Accepted, BalanceResult } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount, requireFree, requireToken } from "../../validate.js";

/**
 * Outbox: debits `amount` of `token` from `account`'s free balance and adds it to the cumulative
 * amount sent to channel `toChannel` (bytes32), an exit-tree leaf the destination credits once
 * certified.
 */
export interface SendReceiptParameters {
  type: "sendReceipt";
  account: string;
  toChannel: string;
  token: string;
  amount: bigint;
}

/** What an accepted `sendReceipt` returns besides `status`. */
export type SendReceiptReturnType = BalanceResult & { cumulativeSent: bigint };

/** Every rejection code `sendReceipt` can return (checked by `test/ops.registry.test.ts`). */
export const sendReceiptErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "INSUFFICIENT_BALANCE",
  "UNKNOWN_CHANNEL",
] as const;
export type SendReceiptErrorType = OpErrorType<typeof sendReceiptErrorCodes>;

/** Outbox: debits `amount` and adds it to the cumulative counter for (toChannel, account, token). */
export function applySendReceipt(state: EngineState, op: SendReceiptParameters): Accepted<BalanceResult & { cumulativeSent: bigint }> {
  const r = state.receipts;
  const account = requireAccount(state, op.account, "account");
  const toChannel = requireBytes32(op.toChannel, "toChannel");
  if (!r.links.has(toChannel)) reject("UNKNOWN_CHANNEL", `toChannel ${toChannel} is not a linked channel`);
  const token = requireToken(state, op.token, "token");
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, token.symbol, amount);
  const key = `${toChannel}|${account.id}|${token.symbol}`;
  const cumulativeSent = (r.sent.get(key) ?? 0n) + amount;
  // ── mutation ──
  debit(state, account, token.symbol, amount);
  r.sent.set(key, cumulativeSent);
  totalsOf(r, token.symbol).sentOut += amount;
  r.dirty = true;
  return { status: "accepted", balance: freeOf(account, token.symbol), cumulativeSent };
}

export const sendReceiptOp = defineOp<SendReceiptParameters, SendReceiptReturnType>({
  type: "sendReceipt",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("toChannel", "string"),
    req("token", "string"),
    req("amount", "amount"),
  ],
  handler: applySendReceipt,
  rejects: sendReceiptErrorCodes,
  docs: {
    section: "core",
    summary: "debits the free balance into the outbox for channel `toChannel` (bytes32)",
    result: "`balance` (free, after), `cumulativeSent` (to that channel, account and token)",
  },
});
