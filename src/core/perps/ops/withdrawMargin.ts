/**
 * The `withdrawMargin` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { invariant, reject } from "../../errors.js";
import { credit } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount, requireToken } from "../../validate.js";
import { marginOf } from "../margin.js";
import type { MarginResult } from "../market.js";
import { addQuote, addVault } from "../market.js";
import { priceCache } from "../price.js";

/** Moves `amount` of collateral back to the free balance; free collateral must stay ≥ 0. */
export interface WithdrawMarginParameters {
  type: "withdrawMargin";
  account: string;
  token: string;
  amount: bigint;
}

/** What an accepted `withdrawMargin` returns besides `status`. */
export type WithdrawMarginReturnType = MarginResult;

/** Every rejection code `withdrawMargin` can return (checked by `test/ops.registry.test.ts`). */
export const withdrawMarginErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "STALE_PRICE",
  "UNKNOWN_PRICE",
  "INSUFFICIENT_MARGIN",
] as const;
export type WithdrawMarginErrorType = OpErrorType<typeof withdrawMarginErrorCodes>;

/**
 * Handler of `withdrawMargin`: perp collateral → free balance. Any account may withdraw its own
 * collateral (as `withdraw`), but free collateral after it must stay ≥ 0 (dYdX: a withdrawal may not
 * leave the subaccount under its initial margin). Unrealized profit is withdrawable (Q may go
 * negative, covered by the position's value).
 *
 * Rejects: UNKNOWN_ACCOUNT, UNKNOWN_TOKEN, INVALID_AMOUNT, STALE_PRICE/UNKNOWN_PRICE (an open position's
 * index price is needed), INSUFFICIENT_MARGIN (free collateral would go negative).
 */
export function applyWithdrawMargin(state: EngineState, op: WithdrawMarginParameters): Accepted<MarginResult> {
  const account = requireAccount(state, op.account, "account");
  const token = requireToken(state, op.token, "token").symbol;
  const amount = requireAmount(op.amount, "amount");
  const pa = state.perps.accounts.get(account.id);
  const prices = priceCache(state);
  const before = marginOf(state.perps, pa, token, prices);
  if (before === undefined) {
    reject("STALE_PRICE", `${account.id}: an index price of an open ${token} position is unavailable`);
  }
  if (before.freeCollateral < amount) {
    reject("INSUFFICIENT_MARGIN", `${account.id} has ${before.freeCollateral} ${token} free collateral, withdrawal needs ${amount}`);
  }
  invariant((state.perps.vault.get(token) ?? 0n) >= amount, "perp vault below an account's free collateral");

  addQuote(state.perps, pa!, token, -amount);
  addVault(state.perps, token, -amount);
  credit(state, account, token, amount);
  return { status: "accepted", quoteBalance: pa!.quote.get(token) ?? 0n, balance: account.free.get(token) ?? 0n };
}

export const withdrawMarginOp = defineOp<WithdrawMarginParameters, WithdrawMarginReturnType>({
  type: "withdrawMargin",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("token", "string"),
    req("amount", "amount", { doc: "≤ free collateral" }),
  ],
  handler: applyWithdrawMargin,
  rejects: withdrawMarginErrorCodes,
  docs: {
    section: "perps",
    result: "`quoteBalance`, `balance`",
  },
});
