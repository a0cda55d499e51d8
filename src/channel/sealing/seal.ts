/**
 * `seal`: what an author does to a batch payload so that nobody can read it before its place in the
 * order is final (Fino's blind order-fairness, Malkhi & Szalachowski 2022; docs/sealing.md).
 *
 * 1. a fresh 32-byte key K; the payload is encrypted with AES-256-GCM (`@noble/ciphers`' WebCrypto
 *    binding: the platform's native AES, ~100× the pure-JS speed on a 20 kB payload) under K,
 *    a random 12-byte nonce and the caller's associated data (channel id ‖ author ‖ seq: a sealed
 *    payload cannot be lifted into another batch);
 * 2. K is Shamir-shared, t of n (`shamir-secret-sharing`, Privy's audited GF(2^8) implementation);
 * 3. share i is ECIES-encrypted to participant i's secp256k1 key (ecies.ts; one ephemeral key per
 *    batch), bound to this batch's ciphertext digest and to i;
 * 4. a Merkle root over the encrypted shares (merkle.ts).
 *
 * The {@link SealCommitment} is what a signed batch header commits to (its digest,
 * {@link sealCommitmentDigest}, takes the place of the plaintext payload digest): ciphertext digest,
 * shares root, a commitment to K (so the scheme is key-committing: GCM alone is not, and a crafted
 * ciphertext could otherwise open to two payloads under two keys), n and t.
 */
import { gcm } from "@noble/ciphers/webcrypto.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { split } from "shamir-secret-sharing";
import { addressOfPublicKey, type Hex } from "../identity.js";
import { compressPublicKey, encryptShare, ephemeralKeyPair, shareContext } from "./ecies.js";
import { SEALING_LIMITS, SealingError } from "./errors.js";
import { bytesEqual, shareLeaf, sharesMerkleProof, sharesMerkleRoot } from "./merkle.js";
import { assertThreshold, sealingThreshold } from "./threshold.js";

/** Version of the sealing scheme in {@link SealCommitment}. */
export const SEAL_VERSION = 1;
/** Bytes of a Shamir share of a 32-byte key: 32 y-bytes ‖ 1 x-coordinate byte. */
export const SHARE_BYTES = 33;
/** Bytes of the payload key and of its AES-GCM nonce. */
export const PAYLOAD_KEY_BYTES = 32;
export const PAYLOAD_NONCE_BYTES = 12;

const CIPHERTEXT_TAG = utf8ToBytes("semilattice/seal/ciphertext/v1");
const KEY_COMMITMENT_TAG = utf8ToBytes("semilattice/seal/key/v1");
const COMMITMENT_TAG = utf8ToBytes("semilattice/seal/commitment/v1");

/** A participant a batch is sealed to: its address and its secp256k1 public key (33 or 65 bytes). */
export interface SealRecipient {
  address: Hex;
  publicKey: Uint8Array;
}

/** What a signed batch header commits to (all digests 32 bytes). */
export interface SealCommitment {
  version: typeof SEAL_VERSION;
  /** n: number of recipients (= Merkle leaves). */
  recipientCount: number;
  /** t: shares needed to open. */
  threshold: number;
  /** SHA-256(tag ‖ u16be(|ad|) ‖ ad ‖ nonce ‖ ciphertext). */
  ciphertextDigest: Uint8Array;
  /** Merkle root over the encrypted shares, leaf i = H(0x00 ‖ tag ‖ u16be(i) ‖ encryptedShare_i). */
  sharesRoot: Uint8Array;
  /** SHA-256(tag ‖ K): makes opening key-committing. */
  keyCommitment: Uint8Array;
}

/** Encrypted share i with its Merkle proof. */
export interface SealedShare {
  index: number;
  address: Hex;
  /** E (33 bytes) ‖ AES-GCM(share, 33 bytes) ‖ tag (16 bytes). */
  encryptedShare: Uint8Array;
  /** Siblings bottom-up to `sharesRoot`. */
  proof: Uint8Array[];
}

/** A sealed payload: the commitment plus everything the recipients need. */
export interface SealedPayload {
  commitment: SealCommitment;
  /** The associated data the payload was sealed under (authenticated, not encrypted). */
  associatedData: Uint8Array;
  nonce: Uint8Array;
  /** AES-256-GCM ciphertext ‖ 16-byte tag. */
  ciphertext: Uint8Array;
  shares: SealedShare[];
}

export interface SealParameters {
  /** The plaintext payload (e.g. `encodePayload(ops)`), at most {@link SEALING_LIMITS}.maxPayloadBytes. */
  payload: Uint8Array;
  /** The channel's participants in their fixed order; index i receives share i. */
  recipients: readonly SealRecipient[];
  /** t; defaults to n − f ({@link sealingThreshold}); must satisfy f < t ≤ n − f. */
  threshold?: number;
  /** Bound into the payload's tag and the ciphertext digest (channel id ‖ author ‖ seq); ≤ 256 bytes. */
  associatedData?: Uint8Array;
}
export type SealReturnType = SealedPayload;
export type SealErrorType = SealingError;

/**
 * Seals `payload` to `recipients` (see the module doc).
 * @throws SealingError INVALID_SEAL_PARAMETERS (bad recipients, threshold), SEAL_TOO_LARGE (limits)
 */
export async function seal(parameters: SealParameters): Promise<SealReturnType> {
  const { payload, recipients } = parameters;
  const associatedData = parameters.associatedData ?? new Uint8Array(0);
  if (!(payload instanceof Uint8Array)) throw new SealingError("INVALID_SEAL_PARAMETERS", "payload must be a Uint8Array");
  if (payload.length > SEALING_LIMITS.maxPayloadBytes) throw new SealingError("SEAL_TOO_LARGE", `payload of ${payload.length} bytes exceeds ${SEALING_LIMITS.maxPayloadBytes}`);
  if (!(associatedData instanceof Uint8Array) || associatedData.length > SEALING_LIMITS.maxAssociatedDataBytes) {
    throw new SealingError("SEAL_TOO_LARGE", `associated data must be at most ${SEALING_LIMITS.maxAssociatedDataBytes} bytes`);
  }
  if (!Array.isArray(recipients)) throw new SealingError("INVALID_SEAL_PARAMETERS", "recipients must be an array");
  if (recipients.length > SEALING_LIMITS.maxRecipients) throw new SealingError("SEAL_TOO_LARGE", `${recipients.length} recipients exceed ${SEALING_LIMITS.maxRecipients}`);
  const n = recipients.length;
  const threshold = parameters.threshold ?? sealingThreshold(n);
  assertThreshold(n, threshold);
  const keys = recipientKeys(recipients);

  const key = randomBytes(PAYLOAD_KEY_BYTES);
  const nonce = randomBytes(PAYLOAD_NONCE_BYTES);
  const ciphertext = await gcm(key, nonce, associatedData).encrypt(payload);
  const ciphertextDigest = digestCiphertext(associatedData, nonce, ciphertext);
  const keyCommitment = commitKey(key);

  const plainShares = await split(key, n, threshold);
  const ephemeral = ephemeralKeyPair();
  const encrypted = plainShares.map((share, i) => encryptShare(share, keys[i] as Uint8Array, shareContext(ciphertextDigest, i), ephemeral));
  ephemeral.secretKey.fill(0);
  const leaves = encrypted.map((e, i) => shareLeaf(i, e));
  const sharesRoot = sharesMerkleRoot(leaves);
  key.fill(0);
  for (const s of plainShares) s.fill(0);

  return {
    commitment: { version: SEAL_VERSION, recipientCount: n, threshold, ciphertextDigest, sharesRoot, keyCommitment },
    associatedData: associatedData.slice(),
    nonce,
    ciphertext,
    shares: encrypted.map((encryptedShare, index) => ({ index, address: (recipients[index] as SealRecipient).address, encryptedShare, proof: sharesMerkleProof(leaves, index) })),
  };
}

/** Checks each recipient (address derived from its key, all distinct) and returns the compressed keys. */
export function recipientKeys(recipients: readonly SealRecipient[]): Uint8Array[] {
  const seen = new Set<string>();
  return recipients.map((r, i) => {
    if (typeof r !== "object" || r === null || !(r.publicKey instanceof Uint8Array) || typeof r.address !== "string") {
      throw new SealingError("INVALID_SEAL_PARAMETERS", `recipient ${i} must be {address, publicKey}`);
    }
    const compressed = compressPublicKey(r.publicKey);
    const uncompressed = secp256k1.Point.fromBytes(compressed).toBytes(false);
    const address = addressOfPublicKey(uncompressed);
    if (address !== r.address.toLowerCase()) throw new SealingError("INVALID_SEAL_PARAMETERS", `recipient ${i}: address ${r.address} is not the address of its public key (${address})`);
    if (seen.has(address)) throw new SealingError("INVALID_SEAL_PARAMETERS", `recipient ${i}: address ${address} appears twice`);
    seen.add(address);
    return compressed;
  });
}

/** SHA-256(tag ‖ u16be(|ad|) ‖ ad ‖ nonce ‖ ciphertext). */
export function digestCiphertext(associatedData: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const len = new Uint8Array([(associatedData.length >>> 8) & 0xff, associatedData.length & 0xff]);
  return sha256(concatBytes(CIPHERTEXT_TAG, len, associatedData, nonce, ciphertext));
}

/** SHA-256(tag ‖ K). */
export function commitKey(key: Uint8Array): Uint8Array {
  return sha256(concatBytes(KEY_COMMITMENT_TAG, key));
}

/**
 * The 32-byte digest a signed header carries for a sealed payload:
 * SHA-256(tag ‖ version ‖ u16be(n) ‖ u16be(t) ‖ ciphertextDigest ‖ sharesRoot ‖ keyCommitment).
 */
export function sealCommitmentDigest(c: SealCommitment): Uint8Array {
  const head = new Uint8Array([c.version, (c.recipientCount >>> 8) & 0xff, c.recipientCount & 0xff, (c.threshold >>> 8) & 0xff, c.threshold & 0xff]);
  return sha256(concatBytes(COMMITMENT_TAG, head, c.ciphertextDigest, c.sharesRoot, c.keyCommitment));
}

/**
 * Checks that a sealed payload is internally consistent with its commitment: digest of the
 * ciphertext, one share per recipient in index order, each proof leading to the root.
 * What a replica runs on a sealed batch it receives, before anything else.
 * @throws SealingError INVALID_SEAL_PARAMETERS / SEAL_TOO_LARGE / WRONG_SHARES_ROOT
 */
export function assertSealedPayloadShape(sealed: SealedPayload): void {
  const c = sealed.commitment;
  if (c.version !== SEAL_VERSION) throw new SealingError("INVALID_SEAL_PARAMETERS", `unknown sealing version ${String(c.version)}`);
  assertThreshold(c.recipientCount, c.threshold);
  if (sealed.nonce.length !== PAYLOAD_NONCE_BYTES) throw new SealingError("INVALID_SEAL_PARAMETERS", "nonce must be 12 bytes");
  if (sealed.ciphertext.length > SEALING_LIMITS.maxPayloadBytes + 16) throw new SealingError("SEAL_TOO_LARGE", "ciphertext exceeds the payload limit");
  if (sealed.associatedData.length > SEALING_LIMITS.maxAssociatedDataBytes) throw new SealingError("SEAL_TOO_LARGE", "associated data exceeds its limit");
  if (sealed.shares.length !== c.recipientCount) throw new SealingError("INVALID_SEAL_PARAMETERS", `${sealed.shares.length} shares for ${c.recipientCount} recipients`);
  const digest = digestCiphertext(sealed.associatedData, sealed.nonce, sealed.ciphertext);
  if (!bytesEqual(digest, c.ciphertextDigest)) throw new SealingError("CIPHERTEXT_MISMATCH", "ciphertext does not match the committed ciphertext digest");
}
