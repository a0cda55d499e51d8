/**
 * The `creditDeposit` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import type { CreditDepositResult } from "../../deposits.js";
import { accountByAddress, tokenByAddress } from "../../deposits.js";
import { invariant, reject } from "../../errors.js";
import { credit, freeOf } from "../../ledger.js";
import { MAX_AMOUNT } from "../../math.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAmount } from "../../validate.js";

/**
 * Credits on-chain deposit record `recordId` (a system op: only a decided checkpoint applies it, see
 * `deposits.ts`): `amount` base units of the token whose on-chain address is `token` to the account
 * whose address is `account`. Records are credited once each, consecutively from 0.
 */
export interface CreditDepositParameters {
  type: "creditDeposit";
  /** The record's number on chain (the adjudicator's `recordId`). */
  recordId: bigint;
  /** Beneficiary: 0x + 40 hex digits (any case), the address of an engine account. */
  account: string;
  /** Token address: 0x + 40 hex digits (ETH: the zero address), the address of an engine token. */
  token: string;
  amount: bigint;
}

/** What an accepted `creditDeposit` returns besides `status`. */
export type CreditDepositReturnType = CreditDepositResult;

/** Every rejection code `creditDeposit` can return (checked by `test/ops.registry.test.ts`). */
export const creditDepositErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "OVERFLOW",
  "DEPOSIT_ALREADY_CREDITED",
  "DEPOSIT_OUT_OF_ORDER",
] as const;
export type CreditDepositErrorType = OpErrorType<typeof creditDepositErrorCodes>;

/**
 * Credits deposit record `recordId`: `amount` base units of the token whose on-chain address is
 * `token` to the account whose address is `account`, then expects record `recordId + 1`.
 *
 * @throws Rejection INVALID_OP (recordId not a non-negative bigint), DEPOSIT_ALREADY_CREDITED
 *   (recordId < depositsCredited), DEPOSIT_OUT_OF_ORDER (recordId > depositsCredited), INVALID_ID
 *   (account or token not 0x + 40 hex digits), UNKNOWN_ACCOUNT (no account has that address),
 *   UNKNOWN_TOKEN (no token has that address), INVALID_AMOUNT (not in 1..2^128−1), OVERFLOW (the
 *   token's total in the engine would exceed 2^128−1, as for `deposit`).
 */
export function applyCreditDeposit(state: EngineState, op: CreditDepositParameters): Accepted<CreditDepositResult> {
  const recordId = op.recordId;
  if (typeof recordId !== "bigint" || recordId < 0n) reject("INVALID_OP", "recordId must be a non-negative bigint");
  const next = state.depositsCredited;
  if (recordId < next) reject("DEPOSIT_ALREADY_CREDITED", `deposit record ${recordId} is already credited (next is ${next})`);
  if (recordId > next) reject("DEPOSIT_OUT_OF_ORDER", `deposit record ${recordId} cannot be credited before record ${next}`);
  const account = accountByAddress(state, op.account);
  const token = tokenByAddress(state, op.token);
  const amount = requireAmount(op.amount, "amount");
  const totals = state.totals.get(token.symbol);
  invariant(totals !== undefined, `token ${token.symbol} has no totals`); // set when the token is created
  if (totals.deposited - totals.withdrawn + amount > MAX_AMOUNT) {
    reject("OVERFLOW", `deposit would put more than 2^128-1 of ${token.symbol} in the engine`);
  }

  state.depositsCredited = next + 1n;
  totals.deposited += amount;
  credit(state, account, token.symbol, amount);
  return { status: "accepted", recordId, account: account.id, token: token.symbol, balance: freeOf(account, token.symbol) };
}

export const creditDepositOp = defineOp<CreditDepositParameters, CreditDepositReturnType>({
  type: "creditDeposit",
  kind: "system",
  fields: [
    req("recordId", "amount"),
    req("account", "string"),
    req("token", "string"),
    req("amount", "amount"),
  ],
  handler: applyCreditDeposit,
  rejects: creditDepositErrorCodes,
  docs: {
    section: "core",
    summary: "system op: only a decided checkpoint credits on-chain deposit records, consecutively from 0",
    result: "`recordId`, `account`, `token` (the engine ids credited), `balance` (free, after)",
  },
});
