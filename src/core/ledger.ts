/**
 * Ledger primitives: free and reserved balances per account and token.
 *
 * These functions mutate and therefore never validate input: callers validate first (and reject),
 * then call these. What they check are invariants — a balance can never go negative — and a failure
 * there is an engine bug ({@link InvariantError}), not a rejection.
 */
import { invariant } from "./errors.js";
import type { Account, EngineState } from "./state.js";

export function freeOf(account: Account, token: string): bigint {
  return account.free.get(token) ?? 0n;
}

export function reservedOf(account: Account, token: string): bigint {
  return account.reserved.get(token) ?? 0n;
}

export function lpSharesOf(account: Account, pool: string): bigint {
  return account.lpShares.get(pool) ?? 0n;
}

/** Adds `amount` to the free balance. */
export function credit(state: EngineState, account: Account, token: string, amount: bigint): void {
  invariant(amount >= 0n, "credit of a negative amount");
  account.free.set(token, freeOf(account, token) + amount);
  state.dirtyAccounts.add(account);
}

/** Removes `amount` from the free balance; the caller has checked it is there. */
export function debit(state: EngineState, account: Account, token: string, amount: bigint): void {
  const balance = freeOf(account, token);
  // The message is built only on failure: a template literal here would cost ~25% of a swap.
  if (!(amount >= 0n && balance >= amount)) invariant(false, `debit ${amount} of ${token} exceeds free balance ${balance} of ${account.id}`);
  setOrDelete(account.free, token, balance - amount);
  state.dirtyAccounts.add(account);
}

/** Moves `amount` from free to reserved (an order or lock holds it). */
export function reserve(state: EngineState, account: Account, token: string, amount: bigint): void {
  debit(state, account, token, amount);
  account.reserved.set(token, reservedOf(account, token) + amount);
}

/** Moves `amount` from reserved back to free. */
export function release(state: EngineState, account: Account, token: string, amount: bigint): void {
  spendReserved(state, account, token, amount);
  account.free.set(token, freeOf(account, token) + amount);
}

/** Removes `amount` from reserved: it leaves the account (paid to a counterparty or as a fee). */
export function spendReserved(state: EngineState, account: Account, token: string, amount: bigint): void {
  const held = reservedOf(account, token);
  if (!(amount >= 0n && held >= amount)) invariant(false, `spend ${amount} of ${token} exceeds reserved ${held} of ${account.id}`);
  setOrDelete(account.reserved, token, held - amount);
  state.dirtyAccounts.add(account);
}

/** Adds (or with a negative delta, removes) LP shares. */
export function addLpShares(state: EngineState, account: Account, pool: string, delta: bigint): void {
  const next = lpSharesOf(account, pool) + delta;
  if (next < 0n) invariant(false, `LP shares of ${account.id} in ${pool} would go negative`);
  setOrDelete(account.lpShares, pool, next);
  state.dirtyAccounts.add(account);
}

/** Adds collected protocol fees. */
export function collectFee(state: EngineState, token: string, amount: bigint): void {
  invariant(amount >= 0n, "negative fee");
  if (amount === 0n) return;
  state.protocolFees.set(token, (state.protocolFees.get(token) ?? 0n) + amount);
}

/** Zero entries are deleted so that the state root does not depend on a balance's history. */
function setOrDelete<K>(map: Map<K, bigint>, key: K, value: bigint): void {
  if (value === 0n) map.delete(key);
  else map.set(key, value);
}
