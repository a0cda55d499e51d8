/**
 * keccak256 (Ethereum's hash: Keccak-f[1600] with the original 0x01 padding, not NIST SHA3-256's 0x06),
 * through the `keccak` package's native binding (the one Hardhat and ethereumjs use; it falls back to
 * its own pure-JS implementation where the prebuilt binary does not load).
 *
 * Why not `@noble/hashes` here: batch ids and their EIP-712 digests hash every encoded op of a batch,
 * and every replica hashes every batch. Measured on this 2-core machine (`test/keccak.test.ts` checks
 * equality; numbers from a 20 kB batch payload): noble ~5.3 ms, native ~0.27 ms — the pure-JS hash was
 * the largest single cost of a checkpoint height. Results are byte-for-byte those of noble's
 * `keccak_256` (tested differentially, plus the reference vectors).
 *
 * @example
 * ```ts
 * keccak256(new Uint8Array()) // c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
 * ```
 */
import createKeccakHash from "keccak";

/** keccak256 of `data`: a fresh 32-byte Uint8Array (not a Buffer, not a view of a shared pool). */
export function keccak256(data: Uint8Array): Uint8Array {
  const digest = createKeccakHash("keccak256").update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest();
  const out = new Uint8Array(32);
  out.set(digest);
  return out;
}
