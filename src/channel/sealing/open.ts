/**
 * Opening a sealed batch once its place in the order is final: the deterministic choice of t shares
 * and the decryption, identical on every replica given the same verified shares.
 *
 * Choice: among the verified shares (share.ts) the t with the **smallest participant indices**.
 * In the channel, the checkpoint after the one that ordered the batch fixes which reveals are in,
 * so every replica applies {@link chooseShares} to the same set and reconstructs the same key (or
 * reaches the same `UNDECRYPTABLE`). Opening never uses more than t shares, so an author who
 * committed inconsistent shares cannot make the result depend on which reveals a replica saw first.
 *
 * `UNDECRYPTABLE` is a returned outcome, not a thrown error: it is a fact about the sealed batch that
 * every replica records alike, and evidence against its author (docs/sealing.md: penalty).
 */
import { gcm } from "@noble/ciphers/webcrypto.js";
import { combine } from "shamir-secret-sharing";
import { SEALING_LIMITS, SealingError } from "./errors.js";
import { bytesEqual } from "./merkle.js";
import { assertSealedPayloadShape, commitKey, PAYLOAD_KEY_BYTES, type SealedPayload } from "./seal.js";
import type { VerifiedShare } from "./share.js";

/** Why a sealed batch did not open. */
export type UndecryptableReason =
  /** Two chosen shares carry the same x-coordinate: the author's shares are not of one polynomial. */
  | "SHARES_INCONSISTENT"
  /** The key the chosen shares reconstruct is not the committed key. */
  | "KEY_MISMATCH"
  /** The ciphertext does not authenticate under the committed key and the associated data. */
  | "CIPHERTEXT_NOT_AUTHENTIC"
  /** More shares were proven bogus than the channel can lose (n − t): t valid shares can never exist. */
  | "TOO_MANY_BOGUS_SHARES";

export type OpenResult =
  | { status: "opened"; payload: Uint8Array; sharesUsed: number[] }
  | { status: "rejected"; code: "UNDECRYPTABLE"; reason: UndecryptableReason; message: string; sharesUsed: number[] };

/**
 * The t shares with the smallest indices among `verified` (duplicates by index collapse), in
 * ascending index order; undefined while fewer than t distinct indices are present.
 */
export function chooseShares(verified: readonly VerifiedShare[], threshold: number): VerifiedShare[] | undefined {
  if (!Number.isInteger(threshold) || threshold < 1) throw new SealingError("INVALID_SEAL_PARAMETERS", `threshold ${String(threshold)} must be a positive integer`);
  if (verified.length > SEALING_LIMITS.maxRecipients * 4) throw new SealingError("SEAL_TOO_LARGE", `${verified.length} shares exceed ${SEALING_LIMITS.maxRecipients * 4}`);
  const byIndex = new Map<number, VerifiedShare>();
  for (const v of verified) if (!byIndex.has(v.index)) byIndex.set(v.index, v);
  if (byIndex.size < threshold) return undefined;
  return [...byIndex.values()].sort((a, b) => a.index - b.index).slice(0, threshold);
}

/**
 * Whether a sealed batch is provably undecryptable because `bogusCount` of its n shares were shown
 * bogus by valid reveals (verifyRevealedShare → BOGUS_SHARE): fewer than t good shares remain.
 */
export function tooManyBogusShares(bogusCount: number, recipientCount: number, threshold: number): boolean {
  return bogusCount > recipientCount - threshold;
}

export interface OpenParameters {
  sealed: SealedPayload;
  /** Verified shares (checkOwnShare / verifyRevealedShare); open chooses t of them itself. */
  shares: readonly VerifiedShare[];
}
export type OpenReturnType = OpenResult;

/**
 * Opens `sealed` with the t shares {@link chooseShares} picks.
 * @returns `opened` with the payload, or `rejected` `UNDECRYPTABLE` with the reason
 * @throws SealingError NOT_ENOUGH_SHARES (fewer than t distinct shares: wait for more reveals, nothing
 *   is decided), CIPHERTEXT_MISMATCH (the ciphertext is not the committed one), INVALID_SEAL_PARAMETERS
 */
export async function open(parameters: OpenParameters): Promise<OpenReturnType> {
  const { sealed } = parameters;
  assertSealedPayloadShape(sealed);
  const { threshold } = sealed.commitment;
  for (const s of parameters.shares) {
    if (!Number.isInteger(s.index) || s.index < 0 || s.index >= sealed.commitment.recipientCount || !(s.share instanceof Uint8Array)) {
      throw new SealingError("INVALID_SEAL_PARAMETERS", `share index ${String(s.index)} outside 0..${sealed.commitment.recipientCount - 1}`);
    }
  }
  const chosen = chooseShares(parameters.shares, threshold);
  if (chosen === undefined) throw new SealingError("NOT_ENOUGH_SHARES", `fewer than ${threshold} distinct shares`);
  const sharesUsed = chosen.map((s) => s.index);
  const rejected = (reason: UndecryptableReason, message: string): OpenResult => ({ status: "rejected", code: "UNDECRYPTABLE", reason, message, sharesUsed });

  let key: Uint8Array;
  try {
    key = await combine(chosen.map((s) => s.share));
  } catch (cause) {
    return rejected("SHARES_INCONSISTENT", `the chosen shares do not combine: ${String(cause)}`);
  }
  if (key.length !== PAYLOAD_KEY_BYTES || !bytesEqual(commitKey(key), sealed.commitment.keyCommitment)) {
    return rejected("KEY_MISMATCH", "the chosen shares reconstruct a key other than the committed one");
  }
  let payload: Uint8Array;
  try {
    payload = await gcm(key, sealed.nonce, sealed.associatedData).decrypt(sealed.ciphertext);
  } catch {
    return rejected("CIPHERTEXT_NOT_AUTHENTIC", "the ciphertext does not authenticate under the committed key");
  } finally {
    key.fill(0);
  }
  return { status: "opened", payload, sharesUsed };
}
