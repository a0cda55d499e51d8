/**
 * A recipient's side of a sealed batch: check its own share before acknowledging the batch, and
 * reveal it once the batch's place in the order is final; anybody's side: verify a reveal.
 *
 * **What a reveal is** (the choice, and why): not the bare Shamir share — a bare share cannot be
 * checked by anyone but its recipient, so a Byzantine participant could reveal garbage and make an
 * honest author's batch look undecryptable. Every encrypted share carries H(k_i), a commitment to
 * its share key (ecies.ts), so a reveal is the **share key k_i**: anyone checks H(k_i) against the
 * committed encrypted share (under the signed `sharesRoot`) and decrypts it, obtaining **exactly the
 * plaintext of the committed encrypted share** — a revealer cannot substitute a share, and checking
 * a reveal costs a hash and a 33-byte AES-GCM decryption (no curve operation).
 *
 * When the recipient's own k_i (from its ECDH) does not match H(k_i) or does not decrypt to a
 * well-formed share, the *author* sealed a bogus share. The recipient then reveals a **blame**:
 * the ECDH point S_i = x_i·E_i with a Chaum–Pedersen proof that it is right (ecies.ts). Anyone
 * re-derives k_i from S_i and sees the mismatch: public evidence against the author
 * ({@link verifyRevealedShare} throws BOGUS_SHARE). A blame against a good share is refused
 * (INVALID_REVEAL), so a revealer can neither forge a share nor blame an honest author.
 *
 * Limits: (1) what this proves is that a share is the one the author committed, not that the n
 * shares are consistent (that would need verifiable secret sharing, which Fino deliberately avoids):
 * an author can commit shares of different keys; the deterministic choice of shares (open.ts) makes
 * every replica reach the same verdict (`UNDECRYPTABLE`), and the key commitment rules out two valid
 * openings. (2) A blame answers a Diffie–Hellman query on the recipient's key for an E the author
 * chose; use a dedicated sealing key. (3) Anyone who knows k_i (the author does) can publish the
 * key reveal of share i: it still opens only the committed share, and the author can read its own
 * payload anyway.
 * (4) Replay: a reveal carries the ciphertext digest of its batch and its proof is bound to it (and
 * to the index); presented for another batch it is refused (SHARE_REPLAYED, or INVALID_REVEAL if the
 * digest field was rewritten).
 */
import { createECDH } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { addressOfPublicKey, type Hex } from "../identity.js";
import { compressPublicKey, decryptShareWithKey, ecdhX, ephemeralOf, POINT_BYTES, proveDecryption, shareContext, sharedPointOf, shareKeyOf, verifyDecryptionProof } from "./ecies.js";
import { SealingError } from "./errors.js";
import { bytesEqual, shareLeaf, verifySharesMerkleProof } from "./merkle.js";
import { SHARE_BYTES, type SealCommitment, type SealedShare } from "./seal.js";

/** A share known to be the plaintext of committed encrypted share `index`. */
export interface VerifiedShare {
  index: number;
  /** The Shamir share (33 bytes: 32 y-bytes ‖ x-coordinate). */
  share: Uint8Array;
}

/**
 * Participant `index`'s reveal for the batch whose ciphertext digest it names: its share key
 * (`key`, the normal case), or, when its committed share is bogus, the proven ECDH point (`blame`).
 */
export type RevealedShare =
  | { kind: "key"; ciphertextDigest: Uint8Array; index: number; /** k_i (32 bytes). */ shareKey: Uint8Array }
  | { kind: "blame"; ciphertextDigest: Uint8Array; index: number; /** S = x·E, compressed. */ sharedPoint: Uint8Array; /** Chaum–Pedersen c ‖ z (64 bytes). */ proof: Uint8Array };

export interface CheckOwnShareParameters {
  /** The commitment from the signed batch header. */
  commitment: SealCommitment;
  /** The recipient's encrypted share and its Merkle proof, as delivered with the batch. */
  sealedShare: SealedShare;
  /** The recipient's 32-byte secp256k1 secret key. */
  secretKey: Uint8Array;
}
export type CheckOwnShareReturnType = VerifiedShare;

/**
 * What a recipient runs before it acknowledges a sealed batch: its encrypted share is in the
 * committed root at its index, and decrypts (under this batch's context) to a well-formed share.
 * @throws SealingError INVALID_SEAL_PARAMETERS (the share is not this key's), WRONG_SHARES_ROOT, BOGUS_SHARE
 */
export function checkOwnShare(parameters: CheckOwnShareParameters): CheckOwnShareReturnType {
  const { commitment, sealedShare, secretKey } = parameters;
  const publicKey = publicKeyOfSecret(secretKey);
  assertAddress(sealedShare, publicKey);
  assertInRoot(commitment, sealedShare);
  const own = ownShareKey(commitment, sealedShare, secretKey, publicKey);
  const opened = decryptShareWithKey(sealedShare.encryptedShare, own.shareKey, own.context);
  if (opened.keyMismatch) throw new SealingError("BOGUS_SHARE", `share ${sealedShare.index} commits to a key its recipient cannot derive`);
  return { index: sealedShare.index, share: assertShareShape(opened.share, sealedShare.index) };
}

function ownShareKey(commitment: SealCommitment, sealedShare: SealedShare, secretKey: Uint8Array, publicKey: Uint8Array): { shareKey: Uint8Array; ephemeral: Uint8Array; context: Uint8Array } {
  const ephemeral = ephemeralOf(sealedShare.encryptedShare);
  if (ephemeral === undefined) throw new SealingError("BOGUS_SHARE", `share ${sealedShare.index}: no valid ephemeral key`);
  const context = shareContext(commitment.ciphertextDigest, sealedShare.index);
  return { shareKey: shareKeyOf(ecdhX(secretKey, ephemeral), ephemeral, publicKey, context), ephemeral, context };
}

export interface RevealShareParameters {
  commitment: SealCommitment;
  sealedShare: SealedShare;
  secretKey: Uint8Array;
}
export type RevealShareReturnType = RevealedShare;

/**
 * The reveal a participant publishes once the batch's position is final: its share key when its
 * share is good, a blame (proven ECDH point) when it is bogus — the reveal is then the evidence.
 * Deterministic for the same inputs.
 * @throws SealingError INVALID_SEAL_PARAMETERS (not this key's share), WRONG_SHARES_ROOT, BOGUS_SHARE (no valid ephemeral key: visible to all)
 */
export function revealShare(parameters: RevealShareParameters): RevealShareReturnType {
  const { commitment, sealedShare, secretKey } = parameters;
  const publicKey = publicKeyOfSecret(secretKey);
  assertAddress(sealedShare, publicKey);
  assertInRoot(commitment, sealedShare);
  const own = ownShareKey(commitment, sealedShare, secretKey, publicKey);
  const opened = decryptShareWithKey(sealedShare.encryptedShare, own.shareKey, own.context);
  if (!opened.keyMismatch && opened.share !== undefined && shareShapeOk(opened.share)) {
    return { kind: "key", ciphertextDigest: commitment.ciphertextDigest.slice(), index: sealedShare.index, shareKey: own.shareKey };
  }
  return blameShare(parameters);
}

/** The blame form of a reveal (the proven ECDH point), whatever the share; {@link revealShare} uses it for bogus shares. */
export function blameShare(parameters: RevealShareParameters): RevealShareReturnType {
  const { commitment, sealedShare, secretKey } = parameters;
  const publicKey = publicKeyOfSecret(secretKey);
  assertAddress(sealedShare, publicKey);
  assertInRoot(commitment, sealedShare);
  const own = ownShareKey(commitment, sealedShare, secretKey, publicKey);
  const sharedPoint = sharedPointOf(secretKey, own.ephemeral);
  return {
    kind: "blame",
    ciphertextDigest: commitment.ciphertextDigest.slice(),
    index: sealedShare.index,
    sharedPoint,
    proof: proveDecryption(secretKey, own.ephemeral, sharedPoint, own.context),
  };
}

export interface VerifyRevealedShareParameters {
  commitment: SealCommitment;
  /** The committed encrypted share at `reveal.index`, with its Merkle proof. */
  sealedShare: SealedShare;
  /** Participant `reveal.index`'s public key (33 or 65 bytes), from the channel's genesis. */
  recipientPublicKey: Uint8Array;
  reveal: RevealedShare;
}
export type VerifyRevealedShareReturnType = VerifiedShare;

/**
 * Checks a reveal against the commitment and returns the share it proves (module doc).
 * A valid blame always throws BOGUS_SHARE: it is the evidence that the author sealed a bogus share.
 * @throws SealingError SHARE_REPLAYED (another batch's reveal), INVALID_SEAL_PARAMETERS (index or
 *   key mismatch), WRONG_SHARES_ROOT, INVALID_REVEAL (the revealer's fault: wrong key, bad proof,
 *   blame of a good share), BOGUS_SHARE (the author's fault, proven)
 */
export function verifyRevealedShare(parameters: VerifyRevealedShareParameters): VerifyRevealedShareReturnType {
  const { commitment, sealedShare, reveal } = parameters;
  if (!(reveal.ciphertextDigest instanceof Uint8Array) || !bytesEqual(reveal.ciphertextDigest, commitment.ciphertextDigest)) {
    throw new SealingError("SHARE_REPLAYED", `reveal of share ${String(reveal.index)} names another sealed batch`);
  }
  if (reveal.index !== sealedShare.index) throw new SealingError("INVALID_SEAL_PARAMETERS", `reveal of share ${String(reveal.index)} checked against share ${sealedShare.index}`);
  const publicKey = compressPublicKey(parameters.recipientPublicKey);
  assertAddress(sealedShare, publicKey);
  assertInRoot(commitment, sealedShare);
  const context = shareContext(commitment.ciphertextDigest, sealedShare.index);
  if (reveal.kind === "key") {
    if (!(reveal.shareKey instanceof Uint8Array)) throw new SealingError("INVALID_REVEAL", `reveal of share ${reveal.index} is malformed`);
    const opened = decryptShareWithKey(sealedShare.encryptedShare, reveal.shareKey, context);
    if (opened.keyMismatch) throw new SealingError("INVALID_REVEAL", `reveal of share ${reveal.index}: not the key the committed share commits to`);
    return { index: sealedShare.index, share: assertShareShape(opened.share, sealedShare.index) };
  }
  if (reveal.kind !== "blame" || !(reveal.sharedPoint instanceof Uint8Array) || reveal.sharedPoint.length !== POINT_BYTES || !(reveal.proof instanceof Uint8Array)) {
    throw new SealingError("INVALID_REVEAL", `reveal of share ${String(reveal.index)} is malformed`);
  }
  const ephemeral = ephemeralOf(sealedShare.encryptedShare);
  if (ephemeral === undefined) throw new SealingError("BOGUS_SHARE", `share ${sealedShare.index}: no valid ephemeral key`);
  if (!verifyDecryptionProof(publicKey, ephemeral, reveal.sharedPoint, context, reveal.proof)) {
    throw new SealingError("INVALID_REVEAL", `blame of share ${reveal.index}: the decryption proof does not verify`);
  }
  const opened = decryptShareWithKey(sealedShare.encryptedShare, shareKeyOf(reveal.sharedPoint.subarray(1), ephemeral, publicKey, context), context);
  if (!opened.keyMismatch && opened.share !== undefined && shareShapeOk(opened.share)) {
    throw new SealingError("INVALID_REVEAL", `blame of share ${reveal.index} refused: the committed share is good`);
  }
  throw new SealingError("BOGUS_SHARE", `share ${reveal.index} is proven bogus: the author committed a share its recipient cannot open`);
}

/** The compressed public key of a secret key (Node's OpenSSL: the fast path of checkOwnShare). */
function publicKeyOfSecret(secretKey: Uint8Array): Uint8Array {
  try {
    const ecdh = createECDH("secp256k1");
    ecdh.setPrivateKey(secretKey);
    return new Uint8Array(ecdh.getPublicKey(null, "compressed"));
  } catch (cause) {
    throw new SealingError("INVALID_SEAL_PARAMETERS", "not a secp256k1 secret key", String(cause));
  }
}

function assertAddress(sealedShare: SealedShare, compressedPublicKey: Uint8Array): void {
  const address: Hex = addressOfPublicKey(secp256k1.Point.fromBytes(compressedPublicKey).toBytes(false));
  if (typeof sealedShare.address !== "string" || sealedShare.address.toLowerCase() !== address) {
    throw new SealingError("INVALID_SEAL_PARAMETERS", `share ${String(sealedShare.index)} is addressed to ${String(sealedShare.address)}, not to ${address}`);
  }
}

function assertInRoot(commitment: SealCommitment, s: SealedShare): void {
  if (!Number.isInteger(s.index) || s.index < 0 || s.index >= commitment.recipientCount) {
    throw new SealingError("INVALID_SEAL_PARAMETERS", `share index ${String(s.index)} outside 0..${commitment.recipientCount - 1}`);
  }
  if (!(s.encryptedShare instanceof Uint8Array) || !Array.isArray(s.proof) || s.proof.length > 16) {
    throw new SealingError("WRONG_SHARES_ROOT", `share ${s.index}: malformed encrypted share or proof`);
  }
  if (!verifySharesMerkleProof(commitment.sharesRoot, commitment.recipientCount, s.index, shareLeaf(s.index, s.encryptedShare), s.proof)) {
    throw new SealingError("WRONG_SHARES_ROOT", `share ${s.index} is not under the committed shares root`);
  }
}

function shareShapeOk(share: Uint8Array): boolean {
  return share.length === SHARE_BYTES && share[SHARE_BYTES - 1] !== 0;
}

function assertShareShape(share: Uint8Array | undefined, index: number): Uint8Array {
  if (share === undefined) throw new SealingError("BOGUS_SHARE", `share ${index} does not decrypt under its committed key`);
  if (!shareShapeOk(share)) throw new SealingError("BOGUS_SHARE", `share ${index} is not a well-formed Shamir share`);
  return share;
}
