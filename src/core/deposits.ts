/**
 * Crediting on-chain deposit records (issue 5, DESIGN §5): "`deposit` of ERC-20 tokens and ETH into
 * a numbered deposit record (event emitted); the channel credits it with an op that names the record;
 * a correct replica accepts that op only when the record exists on chain and was not credited before."
 *
 * The op is {@link CreditDepositOp}. The engine half of that rule lives here: records are credited
 * **consecutively in id order** — the state keeps `depositsCredited`, the id of the next record it
 * expects (0 at creation; in the state root's globals), so a record can never be credited twice or
 * skipped. The chain half (the record exists, with exactly these fields) is the checkpoint's:
 * `creditDeposit` is a system op that only a decided checkpoint applies (`src/channel/checkpoint.ts`,
 * `src/channel/deposits.ts`); participants' batches cannot carry it (`src/channel/tentative.ts`).
 */
import { isAddress } from "./address.js";
import { invariant, reject } from "./errors.js";
import { credit, freeOf } from "./ledger.js";
import { MAX_AMOUNT } from "./math.js";
import type { CreditDepositOp } from "./ops.js";
import type { Accepted } from "./results.js";
import type { Account, EngineState, Token } from "./state.js";
import { requireAmount } from "./validate.js";

/** What an accepted `creditDeposit` reports. */
export interface CreditDepositResult {
  /** The record credited. */
  recordId: bigint;
  /** Engine account id and token symbol credited. */
  account: string;
  token: string;
  /** The account's free balance of the token after the credit, base units. */
  balance: bigint;
}

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
export function applyCreditDeposit(state: EngineState, op: CreditDepositOp): Accepted<CreditDepositResult> {
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

function accountByAddress(state: EngineState, value: unknown): Account {
  if (typeof value !== "string" || !isAddress(value)) reject("INVALID_ID", "account must be 0x followed by 40 hex digits");
  const id = state.accountByAddress.get(value.toLowerCase());
  const account = id === undefined ? undefined : state.accounts.get(id);
  if (account === undefined) reject("UNKNOWN_ACCOUNT", `account: no account has address ${value}`);
  return account;
}

function tokenByAddress(state: EngineState, value: unknown): Token {
  if (typeof value !== "string" || !isAddress(value)) reject("INVALID_ID", "token must be 0x followed by 40 hex digits");
  const address = value.toLowerCase();
  // O(tokens) (≤ MAX_TOKENS); credits are rare (at most one checkpoint's worth at a time).
  for (const token of state.tokens.values()) if (token.address === address) return token;
  reject("UNKNOWN_TOKEN", `token: no token has address ${value}`);
}
