/**
 * Time in the engine. The engine has no clock: time enters only through the `advanceTime` op, which
 * the channel applies when a checkpoint is decided (its decided `time`), and which scenarios and
 * replays use directly. Deadlines, lock expiries, interest and funding all read `state.timeMs`.
 * Time never goes backwards.
 */
import { expireLocks } from "./amm/lockswap.js";
import { reject } from "./errors.js";
import type { AdvanceTimeOp } from "./ops.js";
import type { Accepted } from "./results.js";
import type { EngineState } from "./state.js";
import { requireInt } from "./validate.js";

/** Latest representable time: 2^53 − 1 ms (year 287396). */
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER;

/**
 * Moves the time forward, then cancels every lock-swap that has expired (`timeMs ≥ expiryMs`, see
 * amm/lockswap.ts); `expiredLocks` (only when > 0) says how many.
 */
export function applyAdvanceTime(state: EngineState, op: AdvanceTimeOp): Accepted<{ timeMs: number; expiredLocks?: number }> {
  const timeMs = requireInt(op.timeMs, "timeMs", 0, MAX_TIME_MS);
  if (timeMs < state.timeMs) reject("INVALID_OP", `time cannot go backwards: ${timeMs} < current ${state.timeMs} ms`);

  state.timeMs = timeMs;
  const expiredLocks = expireLocks(state);
  return expiredLocks === 0 ? { status: "accepted", timeMs } : { status: "accepted", timeMs, expiredLocks };
}
