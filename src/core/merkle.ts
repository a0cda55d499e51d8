/**
 * Keccak Merkle tree compatible with OpenZeppelin's `MerkleProof.verify` (sorted-pair hashing) and
 * its StandardMerkleTree leaf convention (leaf = keccak256(keccak256(abi.encode(values))), hashed
 * twice so a leaf can never be passed off as an inner node).
 *
 * Shape: leaves in the given order form the bottom level; each level pairs neighbours with
 * keccak256(min(a,b) ‖ max(a,b)); an odd last node is promoted unchanged. A proof is the list of
 * siblings from leaf to root.
 */
import { keccak256 } from "./keccak.js";
import { bytesToHex } from "@noble/hashes/utils.js";

export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  if (compareBytes(a, b) <= 0) {
    out.set(a, 0);
    out.set(b, 32);
  } else {
    out.set(b, 0);
    out.set(a, 32);
  }
  return keccak256(out);
}

/** Root of the tree over `leaves` (32-byte hashes); 32 zero bytes for no leaves. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(32);
  let level = leaves.slice();
  while (level.length > 1) level = nextLevel(level);
  return level[0] as Uint8Array;
}

/** Sibling path for `leaves[index]`, bottom-up. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`no leaf ${index}`);
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

/** Recomputes the root from a leaf and its proof (what MerkleProof.processProof does). */
export function processProof(leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  let node = leaf;
  for (const sibling of proof) node = hashPair(node, sibling);
  return node;
}

export function toHex(bytes: Uint8Array): string {
  return "0x" + bytesToHex(bytes);
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i] as Uint8Array, level[i + 1] as Uint8Array));
  if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
  return next;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
