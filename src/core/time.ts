/**
 * Time in the engine. The engine has no clock: time enters only through the `advanceTime` op, which
 * the channel applies when a checkpoint is decided (its decided `time`), and which scenarios and
 * replays use directly. Deadlines, lock expiries, interest and funding all read `state.timeMs`.
 * Time never goes backwards.
 */

/** Latest representable time: 2^53 − 1 ms (year 287396). */
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER;
