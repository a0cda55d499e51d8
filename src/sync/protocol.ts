/**
 * The sync protocol's messages and their strict binary codec.
 *
 * Kleppmann & Howard, "Byzantine Eventual Consistency and the Fundamental Limits of Peer-to-Peer
 * Databases" (2020), §4: two nodes reconcile by exchanging their **heads** (the hashes of the DAG's
 * sinks), requesting the hashes they do not know (**needs**), and answering with the **batches** in
 * topological order, until neither side is missing anything; §4.3 adds a **Bloom filter** of the
 * batches the sender added since its last sync with that peer, so the peer can send everything the
 * sender lacks in the first reply (one round trip in the common case; the paper measures 1.02).
 *
 * Messages (all carry a `session` number chosen by the initiator, 0 = unsolicited eager relay):
 * | type | name     | fields                                  | sent by                           |
 * |------|----------|-----------------------------------------|-----------------------------------|
 * | 1    | request  | heads, bloom?                           | initiator, to start a session     |
 * | 2    | response | heads, bloom?, needs, batches           | responder                         |
 * | 3    | needs    | ids                                     | either side, for unknown hashes   |
 * | 4    | batches  | batches (encoded, topological order)    | either side: answers, pushes, relay |
 *
 * Wire format (big-endian): `version=1 (u8) · type (u8) · session (u32)` then, per field in the
 * order above: ids as `count (u16) · count × 32 bytes`; bloom as `present (u8: 0|1)` then
 * `k (u8) · salt (u32) · mBits (u32) · mBits/8 bytes`; batches as `count (u16) · count ×
 * (length (u32) · bytes)`. The decoder is strict: unknown version or type, counts above the
 * {@link SyncLimits}, duplicate ids, a present flag other than 0/1, a malformed filter, a truncated
 * field or trailing bytes all throw {@link ProtocolError} (the peer is then disconnected).
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { ByteReader, ByteWriter, toHex, type BytesErrorCode, type BytesFail, type Hex } from "../runtime/bytes.js";
import { BloomFilter, BLOOM_MAX_BITS, BLOOM_MAX_K } from "./bloom.js";

export const PROTOCOL_VERSION = 1;

export interface SyncLimits {
  /** Most ids (heads or needs) in one message. Default 4096. */
  maxIds: number;
  /** Most batches in one message. Default 1024. */
  maxBatches: number;
  /** Largest encoded batch accepted, bytes. Default 1 MiB. */
  maxBatchBytes: number;
  /** Largest message, bytes. Default 16 MiB. */
  maxMessageBytes: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxIds: 4096,
  maxBatches: 1024,
  maxBatchBytes: 1 << 20,
  maxMessageBytes: 16 << 20,
};

export type { Hex };

export interface RequestMsg {
  type: "request";
  session: number;
  heads: Hex[];
  bloom?: BloomFilter | undefined;
}
export interface ResponseMsg {
  type: "response";
  session: number;
  heads: Hex[];
  bloom?: BloomFilter | undefined;
  needs: Hex[];
  batches: Uint8Array[];
}
export interface NeedsMsg {
  type: "needs";
  session: number;
  ids: Hex[];
}
export interface BatchesMsg {
  type: "batches";
  session: number;
  batches: Uint8Array[];
}
export type SyncMessage = RequestMsg | ResponseMsg | NeedsMsg | BatchesMsg;

const TYPE_CODE = { request: 1, response: 2, needs: 3, batches: 4 } as const;

/** Stable codes of {@link ProtocolError}: the byte-level ones, plus unknown version or type and broken limits. */
export type ProtocolErrorCode = BytesErrorCode | "UNKNOWN_VERSION" | "UNKNOWN_TAG" | "LIMIT" | "INVALID_FIELD";

/** A sync message that is malformed, non-canonical, over the {@link SyncLimits} or not encodable. */
export class ProtocolError extends SemilatticeError {
  override readonly name = "ProtocolError";
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** Byte-level failures of the shared reader and writer, as {@link ProtocolError}s of the same code. */
const protocolFail: BytesFail = (code, message) => new ProtocolError(code, message);

/* ───────────────────────────── encode ───────────────────────────── */

/**
 * Encodes a message. Throws {@link ProtocolError} if it breaks `limits` (the sender must split:
 * see `chunkBatches`).
 */
export function encodeMessage(msg: SyncMessage, limits: SyncLimits = DEFAULT_SYNC_LIMITS): Uint8Array {
  const w = new ByteWriter(protocolFail, 256);
  w.u8(PROTOCOL_VERSION);
  w.u8(TYPE_CODE[msg.type]);
  if (!Number.isInteger(msg.session) || msg.session < 0 || msg.session > 0xffffffff) throw new ProtocolError("INVALID_FIELD", "session must be a u32");
  w.u32(msg.session);
  switch (msg.type) {
    case "request":
      writeIds(w, msg.heads, limits);
      writeBloom(w, msg.bloom);
      break;
    case "response":
      writeIds(w, msg.heads, limits);
      writeBloom(w, msg.bloom);
      writeIds(w, msg.needs, limits);
      writeBatches(w, msg.batches, limits);
      break;
    case "needs":
      writeIds(w, msg.ids, limits);
      break;
    case "batches":
      writeBatches(w, msg.batches, limits);
      break;
  }
  if (w.length > limits.maxMessageBytes) throw new ProtocolError("LIMIT", `message of ${w.length} bytes exceeds ${limits.maxMessageBytes}`);
  return w.finish();
}

function writeIds(w: ByteWriter, ids: readonly Hex[], limits: SyncLimits): void {
  if (ids.length > limits.maxIds) throw new ProtocolError("LIMIT", `${ids.length} ids exceed the limit ${limits.maxIds}`);
  w.u16(ids.length);
  for (const id of ids) w.bytes(hexToId(id));
}

function writeBloom(w: ByteWriter, bloom: BloomFilter | undefined): void {
  if (bloom === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1);
  w.u8(bloom.k);
  w.u32(bloom.salt);
  w.u32(bloom.mBits);
  w.bytes(bloom.bits);
}

function writeBatches(w: ByteWriter, batches: readonly Uint8Array[], limits: SyncLimits): void {
  if (batches.length > limits.maxBatches) throw new ProtocolError("LIMIT", `${batches.length} batches exceed the limit ${limits.maxBatches}`);
  w.u16(batches.length);
  for (const b of batches) {
    if (b.length > limits.maxBatchBytes) throw new ProtocolError("LIMIT", `batch of ${b.length} bytes exceeds ${limits.maxBatchBytes}`);
    w.u32(b.length);
    w.bytes(b);
  }
}

/**
 * Splits encoded batches (in topological order, which is kept) into groups that fit one message
 * under `limits` (count and bytes, with room for the header).
 */
export function chunkBatches(batches: readonly Uint8Array[], limits: SyncLimits = DEFAULT_SYNC_LIMITS, reserve = 64): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let bytes = reserve;
  for (const b of batches) {
    if (cur.length > 0 && (cur.length >= limits.maxBatches || bytes + 4 + b.length > limits.maxMessageBytes)) {
      out.push(cur);
      cur = [];
      bytes = reserve;
    }
    cur.push(b);
    bytes += 4 + b.length;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/* ───────────────────────────── decode ───────────────────────────── */

/** Decodes one message; throws {@link ProtocolError} on anything not produced by {@link encodeMessage}. */
export function decodeMessage(bytes: Uint8Array, limits: SyncLimits = DEFAULT_SYNC_LIMITS): SyncMessage {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError("INVALID_FIELD", "message must be bytes");
  if (bytes.length > limits.maxMessageBytes) throw new ProtocolError("LIMIT", `message of ${bytes.length} bytes exceeds ${limits.maxMessageBytes}`);
  const r = new ByteReader(bytes, protocolFail);
  const version = r.u8("version");
  if (version !== PROTOCOL_VERSION) throw new ProtocolError("UNKNOWN_VERSION", `unknown protocol version ${version}`);
  const code = r.u8("type");
  const session = r.u32("session");
  let msg: SyncMessage;
  switch (code) {
    case 1:
      msg = { type: "request", session, heads: readIds(r, limits, "heads"), bloom: readBloom(r) };
      break;
    case 2:
      msg = {
        type: "response",
        session,
        heads: readIds(r, limits, "heads"),
        bloom: readBloom(r),
        needs: readIds(r, limits, "needs"),
        batches: readBatches(r, limits),
      };
      break;
    case 3:
      msg = { type: "needs", session, ids: readIds(r, limits, "needs") };
      break;
    case 4:
      msg = { type: "batches", session, batches: readBatches(r, limits) };
      break;
    default:
      throw new ProtocolError("UNKNOWN_TAG", `unknown message type ${code}`);
  }
  if (r.remaining !== 0) throw new ProtocolError("TRAILING_BYTES", `${r.remaining} trailing bytes`);
  return msg;
}

function readIds(r: ByteReader, limits: SyncLimits, what: string): Hex[] {
  const n = r.u16(`${what} count`);
  if (n > limits.maxIds) throw new ProtocolError("LIMIT", `${n} ${what} exceed the limit ${limits.maxIds}`);
  r.need(n * 32, what);
  const out: Hex[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id = r.hex(32, what);
    if (seen.has(id)) throw new ProtocolError("NON_CANONICAL", `duplicate id in ${what}`);
    seen.add(id);
    out.push(id);
  }
  return out;
}

function readBloom(r: ByteReader): BloomFilter | undefined {
  const present = r.u8("bloom flag");
  if (present === 0) return undefined;
  if (present !== 1) throw new ProtocolError("NON_CANONICAL", `bloom flag must be 0 or 1, got ${present}`);
  const k = r.u8("bloom k");
  const salt = r.u32("bloom salt");
  const mBits = r.u32("bloom size");
  if (k < 1 || k > BLOOM_MAX_K) throw new ProtocolError("OUT_OF_RANGE", `bloom k ${k} out of 1..${BLOOM_MAX_K}`);
  if (mBits === 0 || mBits % 8 !== 0 || mBits > BLOOM_MAX_BITS) throw new ProtocolError("OUT_OF_RANGE", `bloom size ${mBits} bits invalid`);
  const bits = r.copy(mBits / 8, "bloom bits");
  return new BloomFilter(mBits, k, salt, bits);
}

function readBatches(r: ByteReader, limits: SyncLimits): Uint8Array[] {
  const n = r.u16("batch count");
  if (n > limits.maxBatches) throw new ProtocolError("LIMIT", `${n} batches exceed the limit ${limits.maxBatches}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = r.u32("batch length");
    if (len === 0) throw new ProtocolError("NON_CANONICAL", "empty batch");
    if (len > limits.maxBatchBytes) throw new ProtocolError("LIMIT", `batch of ${len} bytes exceeds ${limits.maxBatchBytes}`);
    out.push(r.copy(len, "batch"));
  }
  return out;
}

/* ───────────────────────────── ids ───────────────────────────── */

/** Lower-case 0x-hex of an id's bytes. */
export function idToHex(b: Uint8Array): Hex {
  return toHex(b);
}

/** A 32-byte id from `0x` + 64 hex (either case). */
export function hexToId(id: string): Uint8Array {
  if (typeof id !== "string" || id.length !== 66 || !/^0x[0-9a-fA-F]{64}$/.test(id)) throw new ProtocolError("INVALID_FIELD", `not a 32-byte hex id: ${String(id).slice(0, 80)}`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(id.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}
