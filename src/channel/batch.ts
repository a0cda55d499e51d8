/**
 * Signed batches (DESIGN §3): a participant's ops travel in a batch whose header
 * `{channelId, author, seq, parents, payloadDigest, timestamp}` is signed as EIP-712 typed data, so
 * that the settlement contract can check it (equivocation proofs, DESIGN §5).
 *
 * - `payloadDigest` = SHA-256 (node:crypto) of the canonical payload encoding (`codec.ts`).
 * - `batchId` = the EIP-712 digest `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(header))` with
 *   domain `{name: "Semilattice", version: "1", chainId, verifyingContract}` and type
 *   `Batch(bytes32 channelId,address author,uint64 seq,bytes32[] parents,bytes32 payloadDigest,uint64 timestamp)`
 *   (EIP-712: a `bytes32[]` member is hashed as keccak256 of the concatenated elements). Computed
 *   with @noble/hashes' keccak; the tests check equality with viem's `hashTypedData`.
 * - `parents` are the author's heads, listed in ascending byte order (one canonical header per set).
 * - `seq` and `timestamp` (ms since the Unix epoch, set by the author) are uint64 on the wire and
 *   safe integers here.
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { createHash } from "node:crypto";
import { keccak256 } from "../core/keccak.js";
import type { Op } from "../core/ops.js";
import { DEFAULT_CODEC_LIMITS, encodeBatch, encodePayload, type CodecLimits } from "./codec.js";
import { parseHex, toHex, type Hex } from "../runtime/bytes.js";
import { recoverAddress, type Signer } from "./identity.js";

export interface BatchHeader {
  /** bytes32, 0x-hex lower-case. */
  channelId: Hex;
  /** The signer's address, lower-case. */
  author: Hex;
  /** 1 + the author's highest seq among the batch's ancestors (see `dag.ts`). */
  seq: number;
  /** Batch ids (bytes32) of the author's heads when it signed, strictly ascending. */
  parents: Hex[];
  /** SHA-256 of the canonical payload, 0x-hex. */
  payloadDigest: Hex;
  /** Author's clock, ms since the Unix epoch. Not used for ordering. */
  timestamp: number;
}

export interface Batch {
  header: BatchHeader;
  /** 65 bytes r ‖ s ‖ v over {@link batchId}. */
  signature: Uint8Array;
  ops: Op[];
}

/** EIP-712 domain fields that come from the channel config. */
export interface BatchDomain {
  chainId: number | bigint;
  /** 20-byte address of the adjudicator contract. */
  verifyingContract: Hex;
}

export const EIP712_DOMAIN_NAME = "Semilattice";
export const EIP712_DOMAIN_VERSION = "1";

/** EIP-712 types of the batch header, in viem's `types` shape. */
export const BATCH_TYPES = {
  Batch: [
    { name: "channelId", type: "bytes32" },
    { name: "author", type: "address" },
    { name: "seq", type: "uint64" },
    { name: "parents", type: "bytes32[]" },
    { name: "payloadDigest", type: "bytes32" },
    { name: "timestamp", type: "uint64" },
  ],
} as const;

const enc = new TextEncoder();
const DOMAIN_TYPEHASH = keccak256(enc.encode("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
const BATCH_TYPEHASH = keccak256(enc.encode("Batch(bytes32 channelId,address author,uint64 seq,bytes32[] parents,bytes32 payloadDigest,uint64 timestamp)"));

export class BatchError extends SemilatticeError {
  override readonly name = "BatchError";
  declare readonly code: "INVALID_HEADER" | "BAD_SIGNATURE" | "BAD_PAYLOAD_DIGEST" | "WRONG_CHANNEL";
  constructor(code: "INVALID_HEADER" | "BAD_SIGNATURE" | "BAD_PAYLOAD_DIGEST" | "WRONG_CHANNEL", message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** keccak256 domain separator of a channel's EIP-712 domain (32 bytes). */
export function domainSeparator(domain: BatchDomain): Uint8Array {
  const buf = new Uint8Array(5 * 32);
  buf.set(DOMAIN_TYPEHASH, 0);
  buf.set(keccak256(enc.encode(EIP712_DOMAIN_NAME)), 32);
  buf.set(keccak256(enc.encode(EIP712_DOMAIN_VERSION)), 64);
  buf.set(uint256(BigInt(domain.chainId)), 96);
  buf.set(hexTo(domain.verifyingContract, 20), 128 + 12);
  return keccak256(buf);
}

/**
 * The EIP-712 digest of `header` under the domain whose separator is `separator` (32 bytes): the
 * batch id and the message the author signs. Throws BatchError INVALID_HEADER on malformed fields.
 */
export function batchDigest(separator: Uint8Array, header: BatchHeader): Uint8Array {
  const s = new Uint8Array(7 * 32);
  s.set(BATCH_TYPEHASH, 0);
  s.set(hexTo(header.channelId, 32), 32);
  s.set(hexTo(header.author, 20), 64 + 12);
  s.set(uint256(BigInt(header.seq)), 96);
  const parents = new Uint8Array(32 * header.parents.length);
  header.parents.forEach((p, i) => parents.set(hexTo(p, 32), 32 * i));
  s.set(keccak256(parents), 128);
  s.set(hexTo(header.payloadDigest, 32), 160);
  s.set(uint256(BigInt(header.timestamp)), 192);
  const m = new Uint8Array(2 + 64);
  m[0] = 0x19;
  m[1] = 0x01;
  m.set(separator, 2);
  m.set(keccak256(s), 34);
  return keccak256(m);
}

export { toHex };

/** SHA-256 of payload bytes, 0x-hex. */
export function payloadDigestOf(payload: Uint8Array): Hex {
  return ("0x" + createHash("sha256").update(payload).digest("hex")) as Hex;
}

/** A batch signed by `signer`, with its id and encodings. */
export interface SignedBatch {
  id: Hex;
  batch: Batch;
  /** Full canonical encoding (what goes on the wire). */
  bytes: Uint8Array;
}

/**
 * Builds and signs a batch: encodes the payload, digests it, sorts the parents, signs the EIP-712
 * digest. Throws CodecError (ops not encodable, limits) or BatchError (INVALID_HEADER).
 */
export function createBatch(
  args: { separator: Uint8Array; channelId: Hex; seq: number; parents: readonly Hex[]; timestamp: number; ops: readonly Op[] },
  signer: Signer,
  limits: CodecLimits = DEFAULT_CODEC_LIMITS,
): SignedBatch {
  const payload = encodePayload(args.ops, limits);
  const header: BatchHeader = {
    channelId: args.channelId.toLowerCase() as Hex,
    author: signer.address,
    seq: args.seq,
    parents: [...new Set(args.parents.map((p) => p.toLowerCase() as Hex))].sort(),
    payloadDigest: payloadDigestOf(payload),
    timestamp: args.timestamp,
  };
  const digest = batchDigest(args.separator, header);
  const signature = signer.sign(digest);
  const bytes = encodeBatch(header, signature, payload, limits);
  return { id: toHex(digest), batch: { header, signature, ops: [...args.ops] }, bytes };
}

/**
 * Verifies a decoded batch against its own channel: right channel id, payload digest = SHA-256 of
 * `payload`, signature recovers to `header.author`. Returns the batch id; throws {@link BatchError}.
 */
export function verifyBatch(separator: Uint8Array, channelId: Hex, header: BatchHeader, signature: Uint8Array, payload: Uint8Array): Hex {
  if (header.channelId !== channelId) throw new BatchError("WRONG_CHANNEL", `batch is for channel ${header.channelId}, not ${channelId}`);
  const digest = payloadDigestOf(payload);
  if (digest !== header.payloadDigest) throw new BatchError("BAD_PAYLOAD_DIGEST", `payload digest ${digest} does not match the header's ${header.payloadDigest}`);
  const id = batchDigest(separator, header);
  const signer = recoverAddress(id, signature);
  if (signer !== header.author) {
    throw new BatchError("BAD_SIGNATURE", signer === undefined ? "signature is malformed or does not recover" : `signature recovers to ${signer}, not the author ${header.author}`);
  }
  return toHex(id);
}

function uint256(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new BatchError("INVALID_HEADER", "uint256 out of range");
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function hexTo(hex: string, n: number): Uint8Array {
  const bytes = parseHex(hex, n);
  if (bytes === undefined) throw new BatchError("INVALID_HEADER", `expected 0x + ${2 * n} hex digits, got ${String(hex)}`);
  return bytes;
}
