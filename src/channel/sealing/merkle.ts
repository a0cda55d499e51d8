/**
 * SHA-256 Merkle tree over a sealed batch's encrypted shares: the `sharesRoot` a signed batch header
 * commits to (Fino's "Merkle root over the shares is signed").
 *
 * Shape (RFC 6962 spirit, domain-separated): leaf i = SHA-256(0x00 ‖ "semilattice/seal/share-leaf/v1"
 * ‖ u16be(i) ‖ encryptedShare_i); node = SHA-256(0x01 ‖ left ‖ right); a level's odd last node is
 * promoted unchanged (never duplicated, so two different leaf lists never give one root: CVE-2012-2459).
 * The leaf hashes its index, so a proof is bound to its position and a share cannot be passed off as
 * another participant's. Proofs are the sibling list bottom-up; the verifier knows the leaf count n
 * (it is in the commitment), which fixes where a level has no sibling.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { SealingError } from "./errors.js";

const LEAF_TAG = utf8ToBytes("semilattice/seal/share-leaf/v1");

/** Leaf hash of encrypted share `index` (0-based participant index). */
export function shareLeaf(index: number, encryptedShare: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + LEAF_TAG.length + 2 + encryptedShare.length);
  buf[0] = 0x00;
  buf.set(LEAF_TAG, 1);
  buf[1 + LEAF_TAG.length] = (index >>> 8) & 0xff;
  buf[2 + LEAF_TAG.length] = index & 0xff;
  buf.set(encryptedShare, 3 + LEAF_TAG.length);
  return sha256(buf);
}

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Uint8Array;
    const right = level[i + 1];
    next.push(right === undefined ? left : node(left, right));
  }
  return next;
}

/** The root over `leaves` (at least one). */
export function sharesMerkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new SealingError("INVALID_SEAL_PARAMETERS", "a shares tree needs at least one leaf");
  let level = leaves.slice();
  while (level.length > 1) level = nextLevel(level);
  return level[0] as Uint8Array;
}

/** Sibling path of `leaves[index]`, bottom-up (levels where the node is promoted contribute none). */
export function sharesMerkleProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new SealingError("INVALID_SEAL_PARAMETERS", `no share leaf ${String(index)} among ${leaves.length}`);
  const proof: Uint8Array[] = [];
  let level = leaves.slice();
  let i = index;
  while (level.length > 1) {
    const sibling = i ^ 1;
    if (sibling < level.length) proof.push(level[sibling] as Uint8Array);
    level = nextLevel(level);
    i >>= 1;
  }
  return proof;
}

/**
 * Whether `leaf` at `index` of a tree of `leafCount` leaves leads to `root` through `proof`.
 * A proof of the wrong length, or a sibling that is not 32 bytes, is simply false.
 */
export function verifySharesMerkleProof(root: Uint8Array, leafCount: number, index: number, leaf: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= leafCount) return false;
  let acc = leaf;
  let i = index;
  let width = leafCount;
  let used = 0;
  while (width > 1) {
    const sibling = i ^ 1;
    if (sibling < width) {
      const s = proof[used++];
      if (s === undefined || s.length !== 32) return false;
      acc = (i & 1) === 0 ? node(acc, s) : node(s, acc);
    }
    i >>= 1;
    width = Math.ceil(width / 2);
  }
  return used === proof.length && bytesEqual(acc, root);
}

/** Constant-length byte equality (not secret-dependent here: digests only). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
