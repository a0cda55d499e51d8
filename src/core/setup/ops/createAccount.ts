/**
 * The `createAccount` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { MAX_ACCOUNTS, optionalAddress, requireRoles } from "../../accounts.js";
import { addressFor } from "../../address.js";
import { reject } from "../../errors.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { RoleName } from "../../roles.js";
import { DEFAULT_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireId } from "../../validate.js";

/** Opens an account. Roles default to Trader + MarketMaker. */
export interface CreateAccountParameters {
  type: "createAccount";
  account: string;
  roles?: RoleName[];
  /** On-chain address (0x + 40 hex); derived from the id when omitted (see `exit.ts`). */
  address?: string;
}

/** What an accepted `createAccount` returns besides `status`. */
export type CreateAccountReturnType = { account: string; address: string };

/** Every rejection code `createAccount` can return (checked by `test/ops.registry.test.ts`). */
export const createAccountErrorCodes = ["INVALID_OP", "INVALID_ID", "ALREADY_EXISTS", "LIMIT_EXCEEDED"] as const;
export type CreateAccountErrorType = OpErrorType<typeof createAccountErrorCodes>;

export function applyCreateAccount(state: EngineState, op: CreateAccountParameters): Accepted<{ account: string; address: string }> {
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

export const createAccountOp = defineOp<CreateAccountParameters, CreateAccountReturnType>({
  type: "createAccount",
  kind: "genesis",
  fields: [
    req("account", "string"),
    opt("roles", "roles"),
    opt("address", "string"),
  ],
  handler: applyCreateAccount,
  rejects: createAccountErrorCodes,
  docs: {
    section: "core",
    result: "`account`, `address`",
  },
});
