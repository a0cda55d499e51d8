/**
 * The one place the Byzantine quorum is computed (Castro & Liskov 1999; Buchman, Kwon & Milosevic
 * 2018 for Tendermint): with n participants, at most f = ⌊(n − 1)/3⌋ may be faulty, and a quorum
 * is q = ⌊2n/3⌋ + 1 participants, the smallest count above 2n/3 (the papers' 2f + 1 when n = 3f + 1).
 * Checkpoints, certificates, receipts and the settlement contract all use this q.
 */
import { invariant } from "../core/errors.js";

/** q = ⌊2n/3⌋ + 1 for `n` ≥ 1 participants. */
export function quorum(n: number): number {
  invariant(Number.isSafeInteger(n) && n >= 1, `participant count must be a positive integer, got ${n}`);
  return Math.floor((2 * n) / 3) + 1;
}

/** f = ⌊(n − 1)/3⌋: the most faulty participants tolerated by `n` ≥ 1 (n ≥ 3f + 1). */
export function maxFaulty(n: number): number {
  invariant(Number.isSafeInteger(n) && n >= 1, `participant count must be a positive integer, got ${n}`);
  return Math.floor((n - 1) / 3);
}
