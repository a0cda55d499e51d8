/**
 * The `cancelLock` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount } from "../../validate.js";
import type { CancelLockResult } from "../lockswap.js";
import { closeLock, requireLock } from "../lockswap.js";

/** Cancels lock `lockId`: by its owner at any time, by anybody once it has expired. */
export interface CancelLockParameters {
  type: "cancelLock";
  account: string;
  lockId: string;
}

/** What an accepted `cancelLock` returns besides `status`. */
export type CancelLockReturnType = CancelLockResult;

/** Every rejection code `cancelLock` can return (checked by `test/ops.registry.test.ts`). */
export const cancelLockErrorCodes = ["INVALID_OP", "INVALID_ID", "UNKNOWN_ACCOUNT", "NOT_PERMITTED", "UNKNOWN_LOCK"] as const;
export type CancelLockErrorType = OpErrorType<typeof cancelLockErrorCodes>;

/**
 * Cancels a lock: `S_X −= amountIn`, `O_X −= amountOut`, the reserved input returns to the owner.
 * The owner may cancel at any time; any account once the lock has expired (`timeMs ≥ expiryMs`).
 *
 * @returns {@link CancelLockResult}
 * @throws Rejection UNKNOWN_LOCK, UNKNOWN_ACCOUNT, NOT_PERMITTED (somebody else's live lock), INVALID_ID
 */
export function applyCancelLock(state: EngineState, op: CancelLockParameters): Accepted<CancelLockResult> {
  const actor = requireAccount(state, op.account, "account");
  const [pool, lock] = requireLock(state, op.lockId);
  const expired = state.timeMs >= lock.expiryMs;
  if (lock.owner !== actor.id && !expired) {
    reject("NOT_PERMITTED", `lock ${lock.id} belongs to ${lock.owner} and expires at ${lock.expiryMs} ms (now ${state.timeMs})`);
  }
  // ── mutation ──
  closeLock(state, pool, lock);
  return { status: "accepted", lockId: lock.id, released: lock.prepaid ? lock.amountIn : 0n, expired };
}

export const cancelLockOp = defineOp<CancelLockParameters, CancelLockReturnType>({
  type: "cancelLock",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "the owner; anybody once expired" }),
    req("lockId", "string"),
  ],
  handler: applyCancelLock,
  rejects: cancelLockErrorCodes,
  docs: {
    section: "core",
    result: "`lockId`, `released` (input back to free), `expired`",
  },
});
