/**
 * The `executeLock` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireFree } from "../../validate.js";
import type { ExecuteLockResult } from "../lockswap.js";
import { executeOpenLock, requireLock } from "../lockswap.js";

/** Executes the caller's open lock `lockId` (`<pool>#<n>`) at its fixed amounts. */
export interface ExecuteLockParameters {
  type: "executeLock";
  account: string;
  lockId: string;
}

/** What an accepted `executeLock` returns besides `status`. */
export type ExecuteLockReturnType = ExecuteLockResult;

/** Every rejection code `executeLock` can return (checked by `test/ops.registry.test.ts`). */
export const executeLockErrorCodes = [
  "INVALID_OP",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
  "UNKNOWN_LOCK",
  "LOCK_EXPIRED",
] as const;
export type ExecuteLockErrorType = OpErrorType<typeof executeLockErrorCodes>;

/**
 * Executes the caller's lock at its fixed amounts: `R_X += amountIn`, `R_Y −= amountOut`,
 * `S_X −= amountIn`, `O_X −= amountOut`; the owner pays the input (from its reservation, or its free
 * balance for a payOnExecute lock) and receives `amountOut`.
 *
 * @returns {@link ExecuteLockResult}
 * @throws Rejection UNKNOWN_LOCK, NOT_PERMITTED (not the owner), LOCK_EXPIRED (`timeMs ≥ expiryMs`),
 *   INSUFFICIENT_BALANCE (payOnExecute input missing), INVALID_ID
 */
export function applyExecuteLock(state: EngineState, op: ExecuteLockParameters): Accepted<ExecuteLockResult> {
  const actor = requireActor(state, op.account, "account", TRADING_ROLES, "execute locks");
  const [pool, lock] = requireLock(state, op.lockId);
  if (lock.owner !== actor.id) reject("NOT_PERMITTED", `lock ${lock.id} belongs to ${lock.owner}`);
  if (state.timeMs >= lock.expiryMs) reject("LOCK_EXPIRED", `lock ${lock.id} expired at ${lock.expiryMs} ms (now ${state.timeMs})`);
  const tokenIn = lock.zeroForOne ? pool.token0 : pool.token1;
  if (!lock.prepaid) requireFree(actor, tokenIn, lock.amountIn);
  // ── mutation ──
  executeOpenLock(state, pool, lock, actor);
  return {
    status: "accepted",
    lockId: lock.id,
    tokenIn,
    tokenOut: lock.zeroForOne ? pool.token1 : pool.token0,
    amountIn: lock.amountIn,
    amountOut: lock.amountOut,
  };
}

export const executeLockOp = defineOp<ExecuteLockParameters, ExecuteLockReturnType>({
  type: "executeLock",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "the owner" }),
    req("lockId", "string"),
  ],
  handler: applyExecuteLock,
  rejects: executeLockErrorCodes,
  docs: {
    section: "core",
    result: "`lockId`, `tokenIn`, `tokenOut`, `amountIn`, `amountOut`",
  },
});
