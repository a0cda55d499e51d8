/**
 * Errors of the sealing scheme (docs/sealing.md). Every one is a {@link SealingError}, which
 * derives from {@link SemilatticeError}; `code` is stable and part of the public API.
 *
 * Two kinds are kept apart, as in the engine:
 * - **thrown** {@link SealingError}: the caller passed something malformed or out of limits, or a
 *   share/reveal check failed (`checkOwnShare`, `verifyRevealedShare`): nothing is changed.
 * - **returned** {@link OpenResult} with code `UNDECRYPTABLE` (open.ts): a deterministic outcome
 *   about a sealed batch that every replica records alike (evidence against its author).
 */
import { SemilatticeError } from "../../core/errors.js";

/** Stable codes of {@link SealingError}. */
export const SealingErrorCodes = [
  /** A parameter is malformed: recipient list, threshold, key, index, associated data. */
  "INVALID_SEAL_PARAMETERS",
  /** A payload, associated data, recipient count or proof exceeds {@link SEALING_LIMITS}. */
  "SEAL_TOO_LARGE",
  /** The ciphertext delivered does not match the committed ciphertext digest (altered in transit, not opened). */
  "CIPHERTEXT_MISMATCH",
  /** An encrypted share and its Merkle proof do not lead to the committed `sharesRoot`. */
  "WRONG_SHARES_ROOT",
  /** The committed encrypted share does not decrypt (or not to a well-formed share): the author's fault. */
  "BOGUS_SHARE",
  /** A reveal names another sealed batch (another ciphertext digest) than the one it is checked against. */
  "SHARE_REPLAYED",
  /** A reveal's shared point or decryption proof is invalid: the revealer's fault. */
  "INVALID_REVEAL",
  /** Fewer than `threshold` distinct valid shares were given to `open`. */
  "NOT_ENOUGH_SHARES",
] as const;
export type SealingErrorCode = (typeof SealingErrorCodes)[number];

/** What {@link SealingError} is thrown for: malformed input or a failed share/reveal check. */
export class SealingError extends SemilatticeError {
  override name = "SealingError";
  declare readonly code: SealingErrorCode;
  constructor(code: SealingErrorCode, shortMessage: string, details?: string) {
    super(code, shortMessage, { docsPath: "sealing.md", ...(details === undefined ? {} : { details }) });
  }
}

/** Limits on everything a sealed batch carries (TIGER_STYLE). */
export const SEALING_LIMITS = Object.freeze({
  /** Plaintext payload bytes: the codec's batch limit is 1 MiB; a sealed payload may not be larger. */
  maxPayloadBytes: 1 << 20,
  /** Recipients (participants) of one sealed batch; the Shamir package allows at most 255. */
  maxRecipients: 64,
  /** Minimum recipients: Shamir with threshold ≥ 2 needs at least 2 shares. */
  minRecipients: 2,
  /** Associated data (channel id ‖ author ‖ seq, …) bound into the payload's authentication tag. */
  maxAssociatedDataBytes: 256,
});
