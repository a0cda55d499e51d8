/**
 * ECIES over secp256k1 for the key shares of a sealed batch, with a **verifiable decryption**: the
 * recipient can later publish the ECDH point of its share together with a Chaum–Pedersen proof
 * that the point is right, so that anyone can decrypt the committed encrypted share and check it.
 *
 * Construction (the eciesjs / SECG SEC 1 shape, composed from audited noble primitives):
 * - ephemeral key e, E = e·G (33 bytes compressed), one per sealed batch (a multi-recipient ECIES:
 *   the KDF binds each recipient's key and index, so the share keys are independent); shared point
 *   S = e·P = x·E, of which the ECDH primitive (SEC 1 §3.3.1) uses the x-coordinate;
 * - share key k = HKDF-SHA256(ikm = x(S), salt = E ‖ P, info = "semilattice/seal/share-key/v1" ‖ context);
 * - AES-256-GCM (`@noble/ciphers`) under k with a zero nonce (k is used once) and AAD = info;
 * - `context` = ciphertextDigest ‖ u16be(index): a share only decrypts for its own batch and slot.
 * - encrypted share = E ‖ H(k) ‖ GCM(share) (33 + 32 + |share| + 16 bytes). H(k) =
 *   SHA-256(tag ‖ k) commits to the share key (GCM alone is not key-committing), so revealing k
 *   later fixes exactly one plaintext: the committed share. That reveal is the cheap happy path
 *   (a hash and a 33-byte decryption to check, no curve operation).
 *
 * Why not the `eciesjs` package: its KDF input and wire layout are internal and not bound to a
 * caller context, and it does not expose the ECDH point — which is exactly what a publicly
 * checkable blame needs. So the same construction is composed here from `@noble/curves`
 * (secp256k1 points, the proof), `@noble/hashes` (HKDF, SHA-256) and `@noble/ciphers` (AES-GCM),
 * all audited; the ECDH itself (the one curve operation on the hot path) runs in Node's OpenSSL
 * (`node:crypto` createECDH), several times faster than pure JS, with the same result.
 *
 * When the k a recipient derives does not match H(k) or does not decrypt, the *author* sealed a
 * bogus share; the recipient proves it without revealing its key with a decryption proof:
 * Chaum–Pedersen 1992 DLEQ, Fiat–Shamir with SHA-256): proves log_G(P) = log_E(S)
 * without revealing x. Nonce r = SHA-256(tag ‖ x ‖ E ‖ context) mod n (deterministic, as in RFC 6979
 * / EdDSA: no RNG at reveal time), A = r·G, B = r·E, c = H(tag ‖ P ‖ E ‖ S ‖ A ‖ B ‖ context) mod n,
 * z = r + c·x mod n; proof = c ‖ z (64 bytes). Verify: A' = z·G − c·P, B' = z·E − c·S, c = H(… A' B' …).
 *
 * Limit (docs/sealing.md): answering reveals is a static Diffie–Hellman oracle on x for points E the
 * author chose; a dedicated sealing key per participant (not its signing key) keeps that apart.
 */
import { createECDH } from "node:crypto";
import { gcm } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { SealingError } from "./errors.js";

const Point = secp256k1.Point;
const N = Point.Fn.ORDER;
const KEY_INFO_TAG = utf8ToBytes("semilattice/seal/share-key/v1");
const KEY_CHECK_TAG = utf8ToBytes("semilattice/seal/share-key-check/v1");
const NONCE_TAG = utf8ToBytes("semilattice/seal/dleq-nonce/v1");
const CHALLENGE_TAG = utf8ToBytes("semilattice/seal/dleq-challenge/v1");
const ZERO_NONCE = new Uint8Array(12);

/** Compressed point length. */
export const POINT_BYTES = 33;
/** Decryption proof length: c ‖ z. */
export const DECRYPTION_PROOF_BYTES = 64;
/** AES-GCM tag length. */
export const GCM_TAG_BYTES = 16;
/** Bytes of an encrypted share beyond its plaintext: E (33) ‖ key check (32) ‖ GCM tag (16). */
export const ENCRYPTED_SHARE_OVERHEAD = POINT_BYTES + 32 + GCM_TAG_BYTES;

/** x(S) for S = secret·publicKey: Node's OpenSSL ECDH (32 bytes). Throws on an invalid key. */
export function ecdhX(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(secretKey);
  return new Uint8Array(ecdh.computeSecret(publicKey));
}

/** Parses a secp256k1 public key (33 or 65 bytes) and returns it compressed; throws INVALID_SEAL_PARAMETERS. */
export function compressPublicKey(publicKey: Uint8Array): Uint8Array {
  try {
    return Point.fromBytes(publicKey).toBytes(true);
  } catch (cause) {
    throw new SealingError("INVALID_SEAL_PARAMETERS", "not a secp256k1 public key", String(cause));
  }
}

/** context = ciphertextDigest ‖ u16be(index). */
export function shareContext(ciphertextDigest: Uint8Array, index: number): Uint8Array {
  const out = new Uint8Array(ciphertextDigest.length + 2);
  out.set(ciphertextDigest, 0);
  out[ciphertextDigest.length] = (index >>> 8) & 0xff;
  out[ciphertextDigest.length + 1] = index & 0xff;
  return out;
}

/** The share key k = HKDF-SHA256(x(S), E ‖ P, tag ‖ context) (32 bytes); `sharedX` = x(S), 32 bytes. */
export function shareKeyOf(sharedX: Uint8Array, ephemeral: Uint8Array, recipientPublicKey: Uint8Array, context: Uint8Array): Uint8Array {
  return hkdf(sha256, sharedX, concatBytes(ephemeral, recipientPublicKey), concatBytes(KEY_INFO_TAG, context), 32);
}

/** SHA-256(tag ‖ k): the commitment to a share key carried in the encrypted share. */
export function shareKeyCheck(shareKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(KEY_CHECK_TAG, shareKey));
}

/** A fresh ephemeral key pair (secret 32 bytes, public compressed), one per sealed batch. */
export function ephemeralKeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = secp256k1.utils.randomSecretKey();
  return { secretKey, publicKey: secp256k1.getPublicKey(secretKey, true) };
}

/**
 * Encrypts `share` to `recipientPublicKey` (compressed) under the batch's ephemeral key pair.
 * Returns E ‖ H(k) ‖ GCM_k(share).
 */
export function encryptShare(share: Uint8Array, recipientPublicKey: Uint8Array, context: Uint8Array, ephemeralKey: { secretKey: Uint8Array; publicKey: Uint8Array }): Uint8Array {
  const ephemeral = ephemeralKey.publicKey;
  const key = shareKeyOf(ecdhX(ephemeralKey.secretKey, recipientPublicKey), ephemeral, recipientPublicKey, context);
  return concatBytes(ephemeral, shareKeyCheck(key), gcm(key, ZERO_NONCE, concatBytes(KEY_INFO_TAG, context)).encrypt(share));
}

/**
 * Decrypts an encrypted share with share key `shareKey`. Returns undefined when the key is not the
 * one the encrypted share commits to (`keyMismatch`), or it does not authenticate under it.
 */
export function decryptShareWithKey(encryptedShare: Uint8Array, shareKey: Uint8Array, context: Uint8Array): { share?: Uint8Array; keyMismatch: boolean } {
  if (encryptedShare.length < ENCRYPTED_SHARE_OVERHEAD || shareKey.length !== 32) return { keyMismatch: true };
  const check = encryptedShare.subarray(POINT_BYTES, POINT_BYTES + 32);
  if (!equal32(check, shareKeyCheck(shareKey))) return { keyMismatch: true };
  try {
    return { share: gcm(shareKey, ZERO_NONCE, concatBytes(KEY_INFO_TAG, context)).decrypt(encryptedShare.subarray(POINT_BYTES + 32)), keyMismatch: false };
  } catch {
    return { keyMismatch: false };
  }
}

function equal32(a: Uint8Array, b: Uint8Array): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** The ephemeral point E of an encrypted share, or undefined if it is not a valid point. */
export function ephemeralOf(encryptedShare: Uint8Array): Uint8Array | undefined {
  if (encryptedShare.length < ENCRYPTED_SHARE_OVERHEAD) return undefined;
  try {
    return Point.fromBytes(encryptedShare.subarray(0, POINT_BYTES)).toBytes(true);
  } catch {
    return undefined;
  }
}

/** S = x·E (compressed, 33 bytes) for the recipient's secret key x and an ephemeral point E: for a blame. */
export function sharedPointOf(secretKey: Uint8Array, ephemeral: Uint8Array): Uint8Array {
  return secp256k1.getSharedSecret(secretKey, ephemeral, true);
}

function scalarOf(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function scalarBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function challenge(P: Uint8Array, E: Uint8Array, S: Uint8Array, A: Uint8Array, B: Uint8Array, context: Uint8Array): bigint {
  return scalarOf(sha256(concatBytes(CHALLENGE_TAG, P, E, S, A, B, context))) % N;
}

/** Chaum–Pedersen proof that S = x·E where P = x·G (see the module doc). */
export function proveDecryption(secretKey: Uint8Array, ephemeral: Uint8Array, sharedPoint: Uint8Array, context: Uint8Array): Uint8Array {
  const x = scalarOf(secretKey);
  const P = secp256k1.getPublicKey(secretKey, true);
  let r = scalarOf(sha256(concatBytes(NONCE_TAG, secretKey, ephemeral, context))) % N;
  if (r === 0n) r = 1n; // probability 2^-256; keeps the proof total
  const E = Point.fromBytes(ephemeral);
  const A = Point.BASE.multiply(r).toBytes(true);
  const B = E.multiply(r).toBytes(true);
  const c = challenge(P, ephemeral, sharedPoint, A, B, context);
  const z = (r + c * x) % N;
  return concatBytes(scalarBytes(c), scalarBytes(z));
}

/** Whether `proof` shows that `sharedPoint` = x·`ephemeral` for the x of `recipientPublicKey` (compressed). */
export function verifyDecryptionProof(recipientPublicKey: Uint8Array, ephemeral: Uint8Array, sharedPoint: Uint8Array, context: Uint8Array, proof: Uint8Array): boolean {
  if (proof.length !== DECRYPTION_PROOF_BYTES || sharedPoint.length !== POINT_BYTES) return false;
  const c = scalarOf(proof.subarray(0, 32));
  const z = scalarOf(proof.subarray(32, 64));
  if (c >= N || z >= N) return false;
  try {
    const P = Point.fromBytes(recipientPublicKey);
    const E = Point.fromBytes(ephemeral);
    const S = Point.fromBytes(sharedPoint);
    const A = Point.BASE.multiplyUnsafe(z).subtract(P.multiplyUnsafe(c));
    const B = E.multiplyUnsafe(z).subtract(S.multiplyUnsafe(c));
    if (A.is0() || B.is0()) return false;
    return challenge(recipientPublicKey, ephemeral, sharedPoint, A.toBytes(true), B.toBytes(true), context) === c;
  } catch {
    return false;
  }
}
