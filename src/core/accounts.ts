/**
 * Handlers of the setup and ledger ops: createToken, createAccount, deposit, withdraw, transfer.
 * Each validates every field first (rejecting with a stable code) and only then mutates.
 */
import { invariant, reject } from "./errors.js";
import { isAddress } from "./address.js";
import { Role, RoleNames, type RoleName } from "./roles.js";
import type { EngineState, TokenTotals } from "./state.js";

/** Limits (TIGER_STYLE: a limit on everything). */
export const MAX_TOKENS = 10_000;
export const MAX_ACCOUNTS = 10_000_000;
export const MAX_DECIMALS = 36;

export function totalsOf(state: EngineState, token: string): TokenTotals {
  const totals = state.totals.get(token);
  invariant(totals !== undefined, `token ${token} has no totals`); // set when the token is created
  return totals;
}

export function requireRoles(value: unknown): number {
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

export function optionalAddress(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !isAddress(value)) reject("INVALID_ID", `${field} must be 0x followed by 40 hex digits`);
  return value.toLowerCase();
}
