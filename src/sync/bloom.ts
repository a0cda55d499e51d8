/**
 * A Bloom filter over batch ids, for the Bloom-filter variant of Kleppmann & Howard's
 * reconciliation ("Byzantine Eventual Consistency and the Fundamental Limits of Peer-to-Peer
 * Databases", 2020, §4.3): a node sends its heads plus a filter of the batches it added since the
 * last sync with that peer; the peer sends back every batch it has that is *not* in the filter (and
 * their descendants), so a reconciliation normally completes in one round trip. A false positive only
 * costs a fallback round of heads/needs: the receiver sees unknown parents and asks for them.
 *
 * Ids are 32-byte hashes (EIP-712 digests), already uniform, so the k bit positions come from the
 * id's own bytes by double hashing (Kirsch & Mitzenmacher 2006): `h_i = h1 + i·h2 mod m`, with `h1`,
 * `h2` two 32-bit words of the id XOR a per-filter `salt` (fresh per filter so that a false positive
 * does not repeat on every sync).
 *
 * Sizing: `bitsPerElement` 10 and k = 7 give a false-positive rate of about 0.8 %.
 *
 * Wire form (see protocol.ts): `k` (1 byte), `salt` (4 bytes), `mBits` (4 bytes, a multiple of 8),
 * then `mBits/8` bytes of bits.
 */
import { SemilatticeError } from "../core/errors.js";

export const BLOOM_MAX_BITS = 8 * 1024 * 1024; // 1 MiB of filter
export const BLOOM_MAX_K = 16;

export class BloomFilter {
  readonly bits: Uint8Array;

  constructor(
    /** Size in bits, a positive multiple of 8, at most {@link BLOOM_MAX_BITS}. */
    readonly mBits: number,
    /** Hash functions, 1..{@link BLOOM_MAX_K}. */
    readonly k: number,
    /** 32-bit salt mixed into every position. */
    readonly salt: number,
    bits?: Uint8Array,
  ) {
    if (!Number.isSafeInteger(mBits) || mBits <= 0 || mBits % 8 !== 0 || mBits > BLOOM_MAX_BITS) {
      throw new SemilatticeError("INVALID_CONFIG", `bloom: mBits must be a positive multiple of 8 up to ${BLOOM_MAX_BITS}, got ${mBits}`);
    }
    if (!Number.isInteger(k) || k < 1 || k > BLOOM_MAX_K) throw new SemilatticeError("INVALID_CONFIG", `bloom: k must be 1..${BLOOM_MAX_K}, got ${k}`);
    if (!Number.isInteger(salt) || salt < 0 || salt > 0xffffffff) throw new SemilatticeError("INVALID_CONFIG", "bloom: salt must be a u32");
    if (bits !== undefined && bits.length !== mBits / 8) throw new SemilatticeError("INVALID_CONFIG", "bloom: bits length does not match mBits");
    this.bits = bits ?? new Uint8Array(mBits / 8);
  }

  /** A filter sized for `n` elements at `bitsPerElement` bits each (min 64 bits), k = 7. */
  static forCount(n: number, salt: number, bitsPerElement = 10): BloomFilter {
    const m = Math.min(BLOOM_MAX_BITS, Math.max(64, Math.ceil((n * bitsPerElement) / 8) * 8));
    return new BloomFilter(m, 7, salt >>> 0);
  }

  /** Adds a 32-byte id (`0x` + 64 hex). */
  add(id: string): void {
    const [h1, h2] = this.words(id);
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const pos = bit % this.mBits;
      this.bits[pos >>> 3] = (this.bits[pos >>> 3] as number) | (1 << (pos & 7));
    }
  }

  /** True if `id` may be in the set (false positives possible, false negatives not). */
  has(id: string): boolean {
    const [h1, h2] = this.words(id);
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const pos = bit % this.mBits;
      if (((this.bits[pos >>> 3] as number) & (1 << (pos & 7))) === 0) return false;
    }
    return true;
  }

  private words(id: string): [number, number] {
    if (id.length !== 66) throw new SemilatticeError("INVALID_ID", `bloom: id must be 0x + 64 hex, got ${id.length} chars`);
    const h1 = (parseInt(id.slice(2, 10), 16) ^ this.salt) >>> 0;
    const h2 = ((parseInt(id.slice(10, 18), 16) ^ Math.imul(this.salt, 0x9e3779b1)) | 1) >>> 0;
    return [h1, h2];
  }
}
