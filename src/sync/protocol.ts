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

export type Hex = `0x${string}`;

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

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

/* ───────────────────────────── encode ───────────────────────────── */

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  len = 0;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.len, v);
    this.len += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.len, v);
    this.len += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, v);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Encodes a message. Throws {@link ProtocolError} if it breaks `limits` (the sender must split:
 * see `chunkBatches`).
 */
export function encodeMessage(msg: SyncMessage, limits: SyncLimits = DEFAULT_SYNC_LIMITS): Uint8Array {
  const w = new Writer();
  w.u8(PROTOCOL_VERSION);
  w.u8(TYPE_CODE[msg.type]);
  if (!Number.isInteger(msg.session) || msg.session < 0 || msg.session > 0xffffffff) throw new ProtocolError("session must be a u32");
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
  if (w.len > limits.maxMessageBytes) throw new ProtocolError(`message of ${w.len} bytes exceeds ${limits.maxMessageBytes}`);
  return w.done();
}

function writeIds(w: Writer, ids: readonly Hex[], limits: SyncLimits): void {
  if (ids.length > limits.maxIds) throw new ProtocolError(`${ids.length} ids exceed the limit ${limits.maxIds}`);
  w.u16(ids.length);
  for (const id of ids) w.bytes(hexToId(id));
}

function writeBloom(w: Writer, bloom: BloomFilter | undefined): void {
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

function writeBatches(w: Writer, batches: readonly Uint8Array[], limits: SyncLimits): void {
  if (batches.length > limits.maxBatches) throw new ProtocolError(`${batches.length} batches exceed the limit ${limits.maxBatches}`);
  w.u16(batches.length);
  for (const b of batches) {
    if (b.length > limits.maxBatchBytes) throw new ProtocolError(`batch of ${b.length} bytes exceeds ${limits.maxBatchBytes}`);
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

class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new ProtocolError(`truncated ${what} at byte ${this.pos}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/** Decodes one message; throws {@link ProtocolError} on anything not produced by {@link encodeMessage}. */
export function decodeMessage(bytes: Uint8Array, limits: SyncLimits = DEFAULT_SYNC_LIMITS): SyncMessage {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError("message must be bytes");
  if (bytes.length > limits.maxMessageBytes) throw new ProtocolError(`message of ${bytes.length} bytes exceeds ${limits.maxMessageBytes}`);
  const r = new Reader(bytes);
  const version = r.u8("version");
  if (version !== PROTOCOL_VERSION) throw new ProtocolError(`unknown protocol version ${version}`);
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
      throw new ProtocolError(`unknown message type ${code}`);
  }
  if (r.remaining !== 0) throw new ProtocolError(`${r.remaining} trailing bytes`);
  return msg;
}

function readIds(r: Reader, limits: SyncLimits, what: string): Hex[] {
  const n = r.u16(`${what} count`);
  if (n > limits.maxIds) throw new ProtocolError(`${n} ${what} exceed the limit ${limits.maxIds}`);
  r.need(n * 32, what);
  const out: Hex[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id = idToHex(r.bytes(32, what));
    if (seen.has(id)) throw new ProtocolError(`duplicate id in ${what}`);
    seen.add(id);
    out.push(id);
  }
  return out;
}

function readBloom(r: Reader): BloomFilter | undefined {
  const present = r.u8("bloom flag");
  if (present === 0) return undefined;
  if (present !== 1) throw new ProtocolError(`bloom flag must be 0 or 1, got ${present}`);
  const k = r.u8("bloom k");
  const salt = r.u32("bloom salt");
  const mBits = r.u32("bloom size");
  if (k < 1 || k > BLOOM_MAX_K) throw new ProtocolError(`bloom k ${k} out of 1..${BLOOM_MAX_K}`);
  if (mBits === 0 || mBits % 8 !== 0 || mBits > BLOOM_MAX_BITS) throw new ProtocolError(`bloom size ${mBits} bits invalid`);
  const bits = r.bytes(mBits / 8, "bloom bits");
  return new BloomFilter(mBits, k, salt, bits);
}

function readBatches(r: Reader, limits: SyncLimits): Uint8Array[] {
  const n = r.u16("batch count");
  if (n > limits.maxBatches) throw new ProtocolError(`${n} batches exceed the limit ${limits.maxBatches}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = r.u32("batch length");
    if (len === 0) throw new ProtocolError("empty batch");
    if (len > limits.maxBatchBytes) throw new ProtocolError(`batch of ${len} bytes exceeds ${limits.maxBatchBytes}`);
    out.push(r.bytes(len, "batch"));
  }
  return out;
}

/* ───────────────────────────── ids ───────────────────────────── */

const HEX = "0123456789abcdef";

export function idToHex(b: Uint8Array): Hex {
  let s = "0x";
  for (let i = 0; i < b.length; i++) {
    const v = b[i] as number;
    s += HEX[v >> 4] + (HEX[v & 15] as string);
  }
  return s as Hex;
}

/** A 32-byte id from `0x` + 64 hex (either case). */
export function hexToId(id: string): Uint8Array {
  if (typeof id !== "string" || id.length !== 66 || !/^0x[0-9a-fA-F]{64}$/.test(id)) throw new ProtocolError(`not a 32-byte hex id: ${String(id).slice(0, 80)}`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(id.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}
