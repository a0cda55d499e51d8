/**
 * The `advanceTime` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { expireLocks } from "../../amm/lockswap.js";
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { MAX_TIME_MS } from "../../time.js";
import { requireInt } from "../../validate.js";

/**
 * Sets the engine's time (ms since the Unix epoch) to `timeMs`, which must not be earlier than the
 * current time. In a channel only decided checkpoints do this (DESIGN §3); participants cannot.
 */
export interface AdvanceTimeParameters {
  type: "advanceTime";
  timeMs: number;
}

/** What an accepted `advanceTime` returns besides `status`. */
export type AdvanceTimeReturnType = { timeMs: number };

/** Every rejection code `advanceTime` can return (checked by `test/ops.registry.test.ts`). */
export const advanceTimeErrorCodes = ["INVALID_OP"] as const;
export type AdvanceTimeErrorType = OpErrorType<typeof advanceTimeErrorCodes>;

/**
 * Moves the time forward, then cancels every lock-swap that has expired (`timeMs ≥ expiryMs`, see
 * amm/lockswap.ts); `expiredLocks` (only when > 0) says how many.
 */
export function applyAdvanceTime(state: EngineState, op: AdvanceTimeParameters): Accepted<{ timeMs: number; expiredLocks?: number }> {
  const timeMs = requireInt(op.timeMs, "timeMs", 0, MAX_TIME_MS);
  if (timeMs < state.timeMs) reject("INVALID_OP", `time cannot go backwards: ${timeMs} < current ${state.timeMs} ms`);

  state.timeMs = timeMs;
  const expiredLocks = expireLocks(state);
  return expiredLocks === 0 ? { status: "accepted", timeMs } : { status: "accepted", timeMs, expiredLocks };
}

export const advanceTimeOp = defineOp<AdvanceTimeParameters, AdvanceTimeReturnType>({
  type: "advanceTime",
  kind: "system",
  fields: [
    req("timeMs", "int", { doc: "ms since the epoch; never earlier than the current time" }),
  ],
  handler: applyAdvanceTime,
  rejects: advanceTimeErrorCodes,
  docs: {
    section: "core",
    result: "`timeMs`, [`expiredLocks`: lock-swaps cancelled because `timeMs ≥ expiryMs`, only when > 0]",
  },
});
