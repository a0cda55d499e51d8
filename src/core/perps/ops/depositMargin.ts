/**
 * The `depositMargin` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { debit } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireAmount, requireFree, requireToken } from "../../validate.js";
import type { MarginResult } from "../market.js";
import { addQuote, addVault, perpAccountFor } from "../market.js";

/** Moves `amount` of `token` from the account's free balance into its perp collateral (Q). */
export interface DepositMarginParameters {
  type: "depositMargin";
  account: string;
  token: string;
  amount: bigint;
}

/** What an accepted `depositMargin` returns besides `status`. */
export type DepositMarginReturnType = MarginResult;

/** Every rejection code `depositMargin` can return (checked by `test/ops.registry.test.ts`). */
export const depositMarginErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
] as const;
export type DepositMarginErrorType = OpErrorType<typeof depositMarginErrorCodes>;

/**
 * Handler of `depositMargin`: free balance → perp collateral. Trading roles only.
 * Rejects: actor errors, UNKNOWN_TOKEN, INVALID_AMOUNT, INSUFFICIENT_BALANCE.
 */
export function applyDepositMargin(state: EngineState, op: DepositMarginParameters): Accepted<MarginResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "trade perpetuals");
  const token = requireToken(state, op.token, "token").symbol;
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, token, amount);

  debit(state, account, token, amount);
  const pa = perpAccountFor(state.perps, account);
  addQuote(state.perps, pa, token, amount);
  addVault(state.perps, token, amount);
  return { status: "accepted", quoteBalance: pa.quote.get(token) ?? 0n, balance: account.free.get(token) ?? 0n };
}

export const depositMarginOp = defineOp<DepositMarginParameters, DepositMarginReturnType>({
  type: "depositMargin",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "Trader/MarketMaker" }),
    req("token", "string"),
    req("amount", "amount"),
  ],
  handler: applyDepositMargin,
  rejects: depositMarginErrorCodes,
  docs: {
    section: "perps",
    result: "`quoteBalance` (Q after), `balance` (free after)",
  },
});
