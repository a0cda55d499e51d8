/**
 * The `setLockPolicy` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState, LockPolicy } from "../../state.js";
import { requireAccount, requirePool } from "../../validate.js";
import { requireLockPolicy } from "../lockswap.js";

/** Changes who may acquire locks on `pool`; only the pool's admin may. */
export interface SetLockPolicyParameters {
  type: "setLockPolicy";
  account: string;
  pool: string;
  lockPolicy: "off" | "anybody" | "allowList";
  lockAllowList?: string[];
}

/** What an accepted `setLockPolicy` returns besides `status`. */
export type SetLockPolicyReturnType = { pool: string; lockPolicy: string };

/** Every rejection code `setLockPolicy` can return (checked by `test/ops.registry.test.ts`). */
export const setLockPolicyErrorCodes = ["INVALID_OP", "INVALID_ID", "UNKNOWN_ACCOUNT", "UNKNOWN_POOL", "NOT_PERMITTED", "LIMIT_EXCEEDED"] as const;
export type SetLockPolicyErrorType = OpErrorType<typeof setLockPolicyErrorCodes>;

/* ───────────────────────────── permissions and fees ───────────────────────────── */

/**
 * Changes who may acquire locks on a pool. Only the pool's `admin` (set at createPool) may; a pool
 * without an admin keeps the policy it was created with. Open locks are unaffected.
 *
 * @throws Rejection NOT_PERMITTED (not the admin), INVALID_OP (unknown policy, allowList with another
 *   policy), LIMIT_EXCEEDED (allow-list too long), INVALID_ID, UNKNOWN_POOL, UNKNOWN_ACCOUNT
 */
export function applySetLockPolicy(state: EngineState, op: SetLockPolicyParameters): Accepted<{ pool: string; lockPolicy: LockPolicy }> {
  const actor = requireAccount(state, op.account, "account");
  const pool = requirePool(state, op.pool, "pool");
  if (pool.admin === undefined || pool.admin !== actor.id) reject("NOT_PERMITTED", `${actor.id} is not the admin of pool ${pool.id}`);
  const [policy, allow] = requireLockPolicy(op.lockPolicy, op.lockAllowList);
  // ── mutation ──
  pool.lockPolicy = policy;
  pool.lockAllowList.clear();
  for (const id of allow) pool.lockAllowList.add(id);
  state.dirtyPools.add(pool);
  return { status: "accepted", pool: pool.id, lockPolicy: policy };
}

export const setLockPolicyOp = defineOp<SetLockPolicyParameters, SetLockPolicyReturnType>({
  type: "setLockPolicy",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "the pool's admin" }),
    req("pool", "string"),
    req("lockPolicy", "enum", { values: ["off", "anybody", "allowList"] }),
    opt("lockAllowList", "strings"),
  ],
  handler: applySetLockPolicy,
  rejects: setLockPolicyErrorCodes,
  docs: {
    section: "core",
    result: "`pool`, `lockPolicy`",
  },
});
