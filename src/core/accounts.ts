/**
 * Handlers of the setup and ledger ops: createToken, createAccount, deposit, withdraw, transfer.
 * Each validates every field first (rejecting with a stable code) and only then mutates.
 */
import { invariant, reject } from "./errors.js";
import { addressFor, isAddress } from "./address.js";
import { credit, debit, freeOf } from "./ledger.js";
import { MAX_AMOUNT } from "./math.js";
import type { CreateAccountOp, CreateTokenOp, DepositOp, TransferOp, WithdrawOp } from "./ops.js";
import type { Accepted, BalanceResult } from "./results.js";
import { DEFAULT_ROLES, Role, RoleNames, TRADING_ROLES, type RoleName } from "./roles.js";
import type { EngineState, TokenTotals } from "./state.js";
import { requireAccount, requireActor, requireAmount, requireFree, requireId, requireInt, requireToken } from "./validate.js";

/** Limits (TIGER_STYLE: a limit on everything). */
export const MAX_TOKENS = 10_000;
export const MAX_ACCOUNTS = 10_000_000;
export const MAX_DECIMALS = 36;

export function applyCreateToken(state: EngineState, op: CreateTokenOp): Accepted<{ token: string }> {
  const symbol = requireId(op.symbol, "symbol");
  const decimals = requireInt(op.decimals, "decimals", 0, MAX_DECIMALS);
  const address = optionalAddress(op.address, "address") ?? addressFor("token", symbol);
  if (state.tokens.has(symbol)) reject("ALREADY_EXISTS", `token ${symbol} already exists`);
  for (const token of state.tokens.values()) {
    if (token.address === address) reject("ALREADY_EXISTS", `address ${address} already belongs to token ${token.symbol}`);
  }
  if (state.tokens.size >= MAX_TOKENS) reject("LIMIT_EXCEEDED", `at most ${MAX_TOKENS} tokens`);

  state.tokens.set(symbol, { symbol, decimals, address });
  state.totals.set(symbol, { deposited: 0n, withdrawn: 0n });
  return { status: "accepted", token: symbol };
}

export function applyCreateAccount(state: EngineState, op: CreateAccountOp): Accepted<{ account: string; address: string }> {
  const id = requireId(op.account, "account");
  const roles = op.roles === undefined ? DEFAULT_ROLES : requireRoles(op.roles);
  const address = optionalAddress(op.address, "address") ?? addressFor("account", id);
  if (state.accounts.has(id)) reject("ALREADY_EXISTS", `account ${id} already exists`);
  const owner = state.accountByAddress.get(address);
  if (owner !== undefined) reject("ALREADY_EXISTS", `address ${address} already belongs to account ${owner}`);
  if (state.accounts.size >= MAX_ACCOUNTS) reject("LIMIT_EXCEEDED", `at most ${MAX_ACCOUNTS} accounts`);

  const account = { id, address, roles, free: new Map(), reserved: new Map(), lpShares: new Map(), withdrawn: new Map<string, bigint>() };
  state.accounts.set(id, account);
  state.accountByAddress.set(address, id);
  state.dirtyAccounts.add(account);
  return { status: "accepted", account: id, address };
}

/**
 * Credits a deposit. The total deposited of a token is capped at 2^128 − 1 (OVERFLOW): since every
 * balance, reserve and fee derives from deposits, this one cap bounds them all.
 */
export function applyDeposit(state: EngineState, op: DepositOp): Accepted<BalanceResult> {
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

/**
 * Debits a withdrawal from the free balance and adds it to the account's cumulative `withdrawn` (what the
 * settlement contract may pay it mid-channel). Any account may withdraw its own funds, whatever its roles.
 */
export function applyWithdraw(state: EngineState, op: WithdrawOp): Accepted<BalanceResult> {
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

/** Moves free balance between two different accounts. The sender needs a trading role. */
export function applyTransfer(state: EngineState, op: TransferOp): Accepted<BalanceResult> {
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

function totalsOf(state: EngineState, token: string): TokenTotals {
  const totals = state.totals.get(token);
  invariant(totals !== undefined, `token ${token} has no totals`); // set when the token is created
  return totals;
}

function requireRoles(value: unknown): number {
  if (!Array.isArray(value) || value.length > RoleNames.length) {
    reject("INVALID_OP", `roles must be an array of at most ${RoleNames.length} of ${RoleNames.join(", ")}`);
  }
  let mask = 0;
  for (const name of value) {
    if (typeof name !== "string" || !Object.hasOwn(Role, name)) {
      reject("INVALID_OP", `roles: unknown role ${String(name)}; roles are ${RoleNames.join(", ")}`);
    }
    mask |= Role[name as RoleName];
  }
  return mask;
}

function optionalAddress(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !isAddress(value)) reject("INVALID_ID", `${field} must be 0x followed by 40 hex digits`);
  return value.toLowerCase();
}
