/**
 * Validation of op fields. Every function either returns the checked value or throws a
 * {@link Rejection} (turned into a `rejected` result by the engine), so op handlers read as a list of
 * requirements followed by effects.
 */
import { reject } from "./errors.js";
import { MAX_AMOUNT } from "./math.js";
import type { Account, EngineState, Pool, Token } from "./state.js";

/** Longest identifier (token symbol, account, pool, market id). */
export const MAX_ID_LENGTH = 64;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:\-/]*$/;

export function requireId(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH || !ID_PATTERN.test(value)) {
    reject("INVALID_ID", `${field} must be 1..${MAX_ID_LENGTH} characters of [A-Za-z0-9._:-/], starting alphanumeric`);
  }
  return value;
}

/** A positive amount in base units, at most {@link MAX_AMOUNT}. */
export function requireAmount(value: unknown, field: string): bigint {
  if (typeof value !== "bigint") reject("INVALID_AMOUNT", `${field} must be a bigint amount in base units`);
  if (value <= 0n) reject("INVALID_AMOUNT", `${field} must be positive, got ${value}`);
  if (value > MAX_AMOUNT) reject("INVALID_AMOUNT", `${field} exceeds the amount limit 2^128-1`);
  return value;
}

/** A bound such as `minAmountOut`: absent ⇒ `fallback`; otherwise 0..MAX_AMOUNT. */
export function optionalBound(value: unknown, field: string, fallback: bigint): bigint {
  if (value === undefined) return fallback;
  if (typeof value !== "bigint") reject("INVALID_AMOUNT", `${field} must be a bigint amount in base units`);
  if (value < 0n || value > MAX_AMOUNT) reject("INVALID_AMOUNT", `${field} must be in 0..2^128-1, got ${value}`);
  return value;
}

/** A safe integer in [min, max]; rejects with `code`. */
export function requireInt(
  value: unknown,
  field: string,
  min: number,
  max: number,
  code: "INVALID_OP" | "INVALID_PRICE" | "INVALID_SIZE" = "INVALID_OP",
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    reject(code, `${field} must be an integer in ${min}..${max}`);
  }
  return value;
}

export function requireOneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    reject("INVALID_OP", `${field} must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}

export function optionalOneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  return value === undefined ? fallback : requireOneOf(value, field, allowed);
}

export function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") reject("INVALID_OP", `${field} must be a boolean`);
  return value;
}

export function requireToken(state: EngineState, value: unknown, field: string): Token {
  const token = state.tokens.get(requireId(value, field));
  if (token === undefined) reject("UNKNOWN_TOKEN", `${field}: unknown token ${String(value)}`);
  return token;
}

export function requireAccount(state: EngineState, value: unknown, field: string): Account {
  const account = state.accounts.get(requireId(value, field));
  if (account === undefined) reject("UNKNOWN_ACCOUNT", `${field}: unknown account ${String(value)}`);
  return account;
}

/** The account exists and holds one of the roles in `mask`. */
export function requireActor(state: EngineState, value: unknown, field: string, mask: number, what: string): Account {
  const account = requireAccount(state, value, field);
  if ((account.roles & mask) === 0) reject("NOT_PERMITTED", `${account.id} has no role that may ${what}`);
  return account;
}

export function requirePool(state: EngineState, value: unknown, field: string): Pool {
  const pool = state.pools.get(requireId(value, field));
  if (pool === undefined) reject("UNKNOWN_POOL", `${field}: unknown pool ${String(value)}`);
  return pool;
}

/** The account's free balance covers `amount`. */
export function requireFree(account: Account, token: string, amount: bigint): void {
  const balance = account.free.get(token) ?? 0n;
  if (balance < amount) {
    reject("INSUFFICIENT_BALANCE", `${account.id} has ${balance} ${token} free, needs ${amount}`);
  }
}
