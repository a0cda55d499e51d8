/**
 * The sealing threshold of a channel of `n` participants: t = n − f with f = ⌊(n − 1)/3⌋ the number
 * of Byzantine participants the channel tolerates (n ≥ 3f + 1, DESIGN.md §3).
 *
 * Why n − f: any f participants (a Byzantine coalition) hold f < t shares and learn nothing about
 * the key (Shamir is perfectly hiding below the threshold), while the n − f others can always open
 * even if the f withhold. Any t with f < t ≤ n − f has both properties; n − f is the largest, so an
 * early opening needs the f Byzantine plus n − 2f ≥ f + 1 honest participants to reveal before the
 * order is final — which honest participants never do.
 */
import { SEALING_LIMITS, SealingError } from "./errors.js";

/** f = ⌊(n − 1)/3⌋: Byzantine participants tolerated among n. */
export function faultTolerance(n: number): number {
  assertParticipantCount(n);
  return Math.floor((n - 1) / 3);
}

/** t = n − f: shares needed to open a sealed batch among n participants. */
export function sealingThreshold(n: number): number {
  return n - faultTolerance(n);
}

/**
 * Checks that `threshold` is admissible for `n` recipients: f < t ≤ n − f and t ≥ 2 (the Shamir
 * package's minimum). Throws {@link SealingError} `INVALID_SEAL_PARAMETERS` otherwise.
 */
export function assertThreshold(n: number, threshold: number): void {
  const f = faultTolerance(n);
  if (!Number.isInteger(threshold) || threshold <= f || threshold > n - f || threshold < 2) {
    throw new SealingError("INVALID_SEAL_PARAMETERS", `threshold ${String(threshold)} is not admissible for ${n} recipients`, `need max(f + 1, 2) ≤ t ≤ n − f with f = ${f}; the default is t = n − f = ${n - f}`);
  }
}

function assertParticipantCount(n: number): void {
  if (!Number.isInteger(n) || n < SEALING_LIMITS.minRecipients || n > SEALING_LIMITS.maxRecipients) {
    throw new SealingError("INVALID_SEAL_PARAMETERS", `recipient count ${String(n)} is outside ${SEALING_LIMITS.minRecipients}..${SEALING_LIMITS.maxRecipients}`);
  }
}
