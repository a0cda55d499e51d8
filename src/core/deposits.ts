/**
 * Crediting on-chain deposit records (issue 5, DESIGN §5): "`deposit` of ERC-20 tokens and ETH into
 * a numbered deposit record (event emitted); the channel credits it with an op that names the record;
 * a correct replica accepts that op only when the record exists on chain and was not credited before."
 *
 * The op is `creditDeposit` (`ledger/ops/creditDeposit.ts`). The engine half of that rule lives here: records are credited
 * **consecutively in id order** — the state keeps `depositsCredited`, the id of the next record it
 * expects (0 at creation; in the state root's globals), so a record can never be credited twice or
 * skipped. The chain half (the record exists, with exactly these fields) is the checkpoint's:
 * `creditDeposit` is a system op that only a decided checkpoint applies (`src/channel/checkpoint.ts`,
 * `src/channel/deposits.ts`); participants' batches cannot carry it (`src/channel/tentative.ts`).
 */
import { isAddress } from "./address.js";
import { reject } from "./errors.js";
import type { Account, EngineState, Token } from "./state.js";

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

export function accountByAddress(state: EngineState, value: unknown): Account {
  if (typeof value !== "string" || !isAddress(value)) reject("INVALID_ID", "account must be 0x followed by 40 hex digits");
  const id = state.accountByAddress.get(value.toLowerCase());
  const account = id === undefined ? undefined : state.accounts.get(id);
  if (account === undefined) reject("UNKNOWN_ACCOUNT", `account: no account has address ${value}`);
  return account;
}

export function tokenByAddress(state: EngineState, value: unknown): Token {
  if (typeof value !== "string" || !isAddress(value)) reject("INVALID_ID", "token must be 0x followed by 40 hex digits");
  const address = value.toLowerCase();
  // O(tokens) (≤ MAX_TOKENS); credits are rare (at most one checkpoint's worth at a time).
  for (const token of state.tokens.values()) if (token.address === address) return token;
  reject("UNKNOWN_TOKEN", `token: no token has address ${value}`);
}
