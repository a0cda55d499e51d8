/**
 * Canonical binary encoding of ops and batches (DESIGN §3 "Encoding": one op has one byte string).
 *
 * Every value has exactly one encoding, and the decoder accepts nothing else: a byte string that
 * decodes re-encodes to itself. Anything non-canonical, oversized or unknown is rejected with a
 * {@link CodecError} (stable `code`, clear message); the decoder never throws anything else and never
 * reads past its input.
 *
 * Primitives:
 * - `varint`: unsigned LEB128, minimal (no trailing 0x00 group), value ≤ 2^53 − 1 (safe integer).
 * - `int` (ticks, lots, ppm, ids, ms): varint; JS numbers that are non-negative safe integers only.
 * - `bigint` (amounts in base units): 1 length byte L ∈ 0..32, then L bytes big-endian magnitude with
 *   no leading zero byte (0 is L = 0). Non-negative, < 2^256.
 * - `string` (ids, symbols, addresses): varint byte length ≤ `maxStringBytes`, then well-formed UTF-8.
 * - `bool`: one byte, 0 or 1. `enum`: one byte, the index in the field's list of values.
 * - `roles`: varint count, then role indices (see `core/roles.ts` order) strictly increasing.
 * - `u64`: 8 bytes big-endian, value ≤ 2^53 − 1. `bytesN`: N raw bytes.
 * - `hexes` (signatures, Merkle proofs of `creditReceipt`): varint count ≤ {@link MAX_LIST_LENGTH},
 *   then per entry varint byte length ≤ {@link MAX_HEX_BYTES} and the raw bytes; in the op a
 *   lower-case 0x-hex string (upper-case hex is not encodable, so one value has one encoding).
 *
 * Op: `tag` byte (see {@link OP_TAGS}), one `flags` byte with bit i set iff the op's i-th optional
 * field is present (unused bits must be 0), then the fields in the order of {@link OP_FIELDS}; an
 * absent optional field takes no bytes. An op object with a field the schema does not know, a missing
 * required field or a value of the wrong type is not encodable (`INVALID_FIELD` / `UNKNOWN_FIELD`).
 *
 * Batch (version 1):
 * ```
 * u8 version = 1 ‖ bytes32 channelId ‖ bytes20 author ‖ u64 seq ‖ u64 timestamp
 * ‖ varint nParents ‖ nParents × bytes32 (strictly ascending) ‖ bytes32 payloadDigest ‖ bytes65 signature
 * ‖ payload
 * payload = varint nOps ‖ nOps × op
 * ```
 * The payload's bytes are what `payloadDigest` (SHA-256) covers (see `batch.ts`).
 *
 * Limits ({@link CodecLimits}): ops per batch, bytes per batch (checked before parsing), parents per
 * batch, bytes per string.
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { OP_TYPES, type Op, type OpType } from "../core/ops.js";
import type { FieldKind } from "../core/opSchema.js";
import { OP_REGISTRY } from "../core/registry.js";
import { RoleNames, type RoleName } from "../core/roles.js";
import type { Batch, BatchHeader } from "./batch.js";
import { ByteReader, ByteWriter, parseHex, type BytesFail, type Hex } from "../runtime/bytes.js";

export type CodecErrorCode =
  | "TRUNCATED"
  | "TRAILING_BYTES"
  | "NON_CANONICAL"
  | "UNKNOWN_TAG"
  | "UNKNOWN_VERSION"
  | "TOO_LARGE"
  | "OUT_OF_RANGE"
  | "INVALID_UTF8"
  | "INVALID_FIELD"
  | "UNKNOWN_FIELD";

/** Malformed, non-canonical, oversized or unencodable input. `code` is stable; `message` says where. */
export class CodecError extends SemilatticeError {
  override readonly name = "CodecError";
  declare readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

export interface CodecLimits {
  /** Most ops in one batch. Default 4096. */
  maxOpsPerBatch: number;
  /** Most bytes of one encoded batch (header, signature and payload). Default 1 MiB. */
  maxBatchBytes: number;
  /** Most parents of one batch. Default 64. */
  maxParents: number;
  /** Most UTF-8 bytes of one string field. Default 128 (engine ids are ≤ 64 characters). */
  maxStringBytes: number;
}

export const DEFAULT_CODEC_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxOpsPerBatch: 4096,
  maxBatchBytes: 1 << 20,
  maxParents: 64,
  maxStringBytes: 128,
});

export const BATCH_VERSION = 1;
/** Bytes before the parents list: version, channelId, author, seq, timestamp. */
const FIXED_PREFIX = 1 + 32 + 20 + 8 + 8;

/* ───────────────────────────── op schema ───────────────────────────── */

const STR = 0;
const BIG = 1;
const INT = 2;
const BOOL = 3;
const ENUM = 4;
const ROLES = 5;
const STRS = 6;
const HEXS = 7;

/** Most strings in one list field (route pools, lock allow-lists). */
export const MAX_LIST_LENGTH = 256;

/** Most bytes of one `hexes` entry (a 65-byte signature, a 32-byte proof sibling). */
export const MAX_HEX_BYTES = 96;
const LOWER_HEX = /^0x(?:[0-9a-f]{2})*$/;

/** Field kinds of {@link OP_FIELDS} (exported for schema-driven tests). */
export const FIELD_KINDS = { STR: 0, BIG: 1, INT: 2, BOOL: 3, ENUM: 4, ROLES: 5, STRS: 6, HEXS: 7 } as const;

export interface Field {
  name: string;
  kind: number;
  optional: boolean;
  values?: readonly string[];
}

/** Codec kind of each core field kind (`core/opSchema.ts`). */
const KIND_OF: Readonly<Record<FieldKind, number>> = { string: STR, amount: BIG, int: INT, boolean: BOOL, enum: ENUM, roles: ROLES, strings: STRS, hexes: HEXS };

/** Field order of every op type: the encoding is these fields in this order (from `core/registry.ts`). */
export const OP_FIELDS: Readonly<Partial<Record<OpType, readonly Field[]>>> = Object.fromEntries(
  OP_REGISTRY.map(({ op }) => [
    op.type,
    op.fields.map((f): Field => ({ name: f.name, kind: KIND_OF[f.kind], optional: f.optional, ...(f.values ? { values: f.values } : {}) })),
  ]),
);

/**
 * Tag byte of every op type (stable: new types get new tags, tags are never reused), from the registry
 * line of each op (`core/registry.ts`).
 */
export const OP_TAGS: Readonly<Partial<Record<OpType, number>>> = Object.fromEntries(OP_REGISTRY.map(({ tag, op }) => [op.type, tag]));

const TYPE_BY_TAG: (OpType | undefined)[] = [];
const ALLOWED_KEYS: Record<string, Set<string>> = {};
for (const type of OP_TYPES) {
  const tag = OP_TAGS[type];
  const fields = OP_FIELDS[type];
  if (tag === undefined || fields === undefined) continue;
  TYPE_BY_TAG[tag] = type;
  if (fields.filter((f) => f.optional).length > 8) throw new Error(`codec: ${type} has more than 8 optional fields (one flags byte)`);
  ALLOWED_KEYS[type] = new Set(["type", ...fields.map((f) => f.name)]);
}

/* ───────────────────────────── writer and reader ───────────────────────────── */

/** Byte-level failures of the shared reader and writer, as {@link CodecError}s of the same code. */
const codecFail: BytesFail = (code, message) => new CodecError(code, message);

/** Growable byte buffer (the shared {@link ByteWriter}, failing with {@link CodecError}). */
export class Writer extends ByteWriter {
  constructor() {
    super(codecFail);
  }
}

/** Cursor over untrusted bytes (the shared {@link ByteReader}, failing with {@link CodecError}, under `limits`). */
export class Reader extends ByteReader {
  constructor(
    buf: Uint8Array,
    readonly limits: CodecLimits,
  ) {
    super(buf, codecFail, limits.maxStringBytes);
  }
}

/* ───────────────────────────── ops ───────────────────────────── */

/** Appends the canonical encoding of `op`. Throws CodecError (INVALID_FIELD, UNKNOWN_FIELD, UNKNOWN_TAG, OUT_OF_RANGE, TOO_LARGE). */
export function writeOp(w: Writer, op: Op, limits: CodecLimits = DEFAULT_CODEC_LIMITS): void {
  if (typeof op !== "object" || op === null) throw new CodecError("INVALID_FIELD", "op must be an object");
  const type = op.type;
  const tag = typeof type === "string" && Object.hasOwn(OP_TAGS, type) ? OP_TAGS[type] : undefined;
  const fields = tag === undefined ? undefined : OP_FIELDS[type];
  if (tag === undefined || fields === undefined) throw new CodecError("UNKNOWN_TAG", `unknown op type ${String(type)}`);
  const allowed = ALLOWED_KEYS[type]!;
  const rec = op as unknown as Record<string, unknown>;
  for (const key in rec) {
    if (!allowed.has(key) && rec[key] !== undefined) throw new CodecError("UNKNOWN_FIELD", `${type}: unknown field ${key}`);
  }
  let flags = 0;
  let bit = 0;
  for (const f of fields) {
    if (!f.optional) continue;
    if (rec[f.name] !== undefined) flags |= 1 << bit;
    bit++;
  }
  w.u8(tag);
  w.u8(flags);
  for (const f of fields) {
    const v = rec[f.name];
    if (v === undefined) {
      if (f.optional) continue;
      throw new CodecError("INVALID_FIELD", `${type}.${f.name} is required`);
    }
    writeField(w, type, f, v, limits);
  }
}

function writeField(w: Writer, type: string, f: Field, v: unknown, limits: CodecLimits): void {
  const where = `${type}.${f.name}`;
  switch (f.kind) {
    case STR: {
      if (typeof v !== "string") throw new CodecError("INVALID_FIELD", `${where} must be a string`);
      const bytes = Buffer.byteLength(v, "utf8");
      if (bytes > limits.maxStringBytes) throw new CodecError("TOO_LARGE", `${where}: string of ${bytes} bytes exceeds the limit ${limits.maxStringBytes}`);
      if (!isWellFormed(v)) throw new CodecError("INVALID_UTF8", `${where} contains a lone surrogate`);
      if (v.charCodeAt(0) === 0xfeff) throw new CodecError("INVALID_FIELD", `${where} must not start with a byte-order mark`);
      w.str(v);
      return;
    }
    case BIG:
      if (typeof v !== "bigint") throw new CodecError("INVALID_FIELD", `${where} must be a bigint`);
      if (v < 0n || v >= 1n << 256n) throw new CodecError("OUT_OF_RANGE", `${where} must be in 0..2^256-1`);
      w.big(v);
      return;
    case INT:
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new CodecError("OUT_OF_RANGE", `${where} must be a non-negative safe integer`);
      w.varint(v);
      return;
    case BOOL:
      if (typeof v !== "boolean") throw new CodecError("INVALID_FIELD", `${where} must be a boolean`);
      w.u8(v ? 1 : 0);
      return;
    case ENUM: {
      const i = typeof v === "string" ? f.values!.indexOf(v) : -1;
      if (i < 0) throw new CodecError("INVALID_FIELD", `${where} must be one of ${f.values!.join(", ")}`);
      w.u8(i);
      return;
    }
    case STRS: {
      if (!Array.isArray(v)) throw new CodecError("INVALID_FIELD", `${where} must be an array of strings`);
      if (v.length > MAX_LIST_LENGTH) throw new CodecError("TOO_LARGE", `${where}: ${v.length} entries exceed the limit ${MAX_LIST_LENGTH}`);
      w.varint(v.length);
      for (const x of v) writeField(w, type, { name: `${f.name}[]`, kind: STR, optional: false }, x, limits);
      return;
    }
    case HEXS: {
      if (!Array.isArray(v)) throw new CodecError("INVALID_FIELD", `${where} must be an array of 0x-hex strings`);
      if (v.length > MAX_LIST_LENGTH) throw new CodecError("TOO_LARGE", `${where}: ${v.length} entries exceed the limit ${MAX_LIST_LENGTH}`);
      w.varint(v.length);
      for (const x of v) {
        if (typeof x !== "string" || !LOWER_HEX.test(x)) throw new CodecError("INVALID_FIELD", `${where} entries must be lower-case 0x-hex of whole bytes`);
        const n = (x.length - 2) / 2;
        if (n > MAX_HEX_BYTES) throw new CodecError("TOO_LARGE", `${where}: entry of ${n} bytes exceeds the limit ${MAX_HEX_BYTES}`);
        w.varint(n);
        w.bytes(Buffer.from(x.slice(2), "hex"));
      }
      return;
    }
    case ROLES: {
      if (!Array.isArray(v)) throw new CodecError("INVALID_FIELD", `${where} must be an array of role names`);
      let last = -1;
      const idx: number[] = [];
      for (const r of v) {
        const i = typeof r === "string" ? RoleNames.indexOf(r as RoleName) : -1;
        if (i < 0) throw new CodecError("INVALID_FIELD", `${where}: unknown role ${String(r)}`);
        if (i <= last) throw new CodecError("INVALID_FIELD", `${where}: roles must be listed once each, in the order ${RoleNames.join(", ")}`);
        idx.push(i);
        last = i;
      }
      w.varint(idx.length);
      for (const i of idx) w.u8(i);
      return;
    }
  }
}

/** Reads one op. Throws CodecError on anything non-canonical, unknown or oversized. */
export function readOp(r: Reader): Op {
  const at = r.pos;
  const tag = r.u8("op tag");
  const type = TYPE_BY_TAG[tag];
  if (type === undefined) throw new CodecError("UNKNOWN_TAG", `unknown op tag ${tag} at offset ${at}`);
  const flags = r.u8(`${type} flags`);
  const fields = OP_FIELDS[type]!;
  const op: Record<string, unknown> = { type };
  let bit = 0;
  for (const f of fields) {
    if (f.optional) {
      const present = (flags & (1 << bit)) !== 0;
      bit++;
      if (!present) continue;
    }
    op[f.name] = readField(r, type, f);
  }
  if (flags >>> bit !== 0) throw new CodecError("NON_CANONICAL", `${type} at offset ${at}: flags 0x${flags.toString(16)} set bits for fields that do not exist`);
  return op as unknown as Op;
}

function readField(r: Reader, type: string, f: Field): unknown {
  const where = `${type}.${f.name}`;
  switch (f.kind) {
    case STR:
      return r.str(where);
    case BIG:
      return r.big(where);
    case INT:
      return r.varint(where);
    case BOOL: {
      const b = r.u8(where);
      if (b > 1) throw new CodecError("NON_CANONICAL", `${where}: boolean byte ${b} is not 0 or 1`);
      return b === 1;
    }
    case ENUM: {
      const i = r.u8(where);
      const value = f.values![i];
      if (value === undefined) throw new CodecError("UNKNOWN_TAG", `${where}: unknown value index ${i}`);
      return value;
    }
    case STRS: {
      const n = r.varint(where);
      if (n > MAX_LIST_LENGTH) throw new CodecError("TOO_LARGE", `${where}: ${n} entries exceed the limit ${MAX_LIST_LENGTH}`);
      const out: string[] = [];
      for (let k = 0; k < n; k++) out.push(r.str(`${where}[${k}]`));
      return out;
    }
    case HEXS: {
      const n = r.varint(where);
      if (n > MAX_LIST_LENGTH) throw new CodecError("TOO_LARGE", `${where}: ${n} entries exceed the limit ${MAX_LIST_LENGTH}`);
      const out: string[] = [];
      for (let k = 0; k < n; k++) {
        const len = r.varint(`${where}[${k}]`);
        if (len > MAX_HEX_BYTES) throw new CodecError("TOO_LARGE", `${where}[${k}]: ${len} bytes exceed the limit ${MAX_HEX_BYTES}`);
        out.push(r.hex(len, `${where}[${k}]`));
      }
      return out;
    }
    default: {
      const n = r.varint(where);
      if (n > RoleNames.length) throw new CodecError("TOO_LARGE", `${where}: ${n} roles, at most ${RoleNames.length}`);
      const out: RoleName[] = [];
      let last = -1;
      for (let k = 0; k < n; k++) {
        const i = r.u8(where);
        if (i >= RoleNames.length) throw new CodecError("UNKNOWN_TAG", `${where}: unknown role index ${i}`);
        if (i <= last) throw new CodecError("NON_CANONICAL", `${where}: role indices must be strictly increasing`);
        out.push(RoleNames[i]!);
        last = i;
      }
      return out;
    }
  }
}

/** Canonical bytes of one op. */
export function encodeOp(op: Op, limits: CodecLimits = DEFAULT_CODEC_LIMITS): Uint8Array {
  const w = new Writer();
  writeOp(w, op, limits);
  return w.finish();
}

/** Decodes exactly one op (no trailing bytes). */
export function decodeOp(bytes: Uint8Array, limits: CodecLimits = DEFAULT_CODEC_LIMITS): Op {
  const r = new Reader(bytes, limits);
  const op = readOp(r);
  r.end("op");
  return op;
}

/* ───────────────────────────── payloads and batches ───────────────────────────── */

/** Canonical payload bytes of a list of ops: varint count ‖ ops. Throws CodecError (TOO_LARGE beyond maxOpsPerBatch). */
export function encodePayload(ops: readonly Op[], limits: CodecLimits = DEFAULT_CODEC_LIMITS): Uint8Array {
  if (!Array.isArray(ops)) throw new CodecError("INVALID_FIELD", "ops must be an array");
  if (ops.length > limits.maxOpsPerBatch) throw new CodecError("TOO_LARGE", `${ops.length} ops exceed the limit ${limits.maxOpsPerBatch} per batch`);
  const w = new Writer();
  w.varint(ops.length);
  for (const op of ops) writeOp(w, op, limits);
  return w.finish();
}

/** Decodes a payload (the whole input). */
export function decodePayload(bytes: Uint8Array, limits: CodecLimits = DEFAULT_CODEC_LIMITS): Op[] {
  const r = new Reader(bytes, limits);
  const ops = readPayload(r);
  r.end("payload");
  return ops;
}

function readPayload(r: Reader): Op[] {
  const n = r.varint("op count");
  if (n > r.limits.maxOpsPerBatch) throw new CodecError("TOO_LARGE", `${n} ops exceed the limit ${r.limits.maxOpsPerBatch} per batch`);
  // each op takes at least 2 bytes: reject impossible counts before allocating
  if (n * 2 > r.buf.length - r.pos) throw new CodecError("TRUNCATED", `op count ${n} cannot fit in the ${r.buf.length - r.pos} bytes left`);
  const ops = new Array<Op>(n);
  for (let i = 0; i < n; i++) ops[i] = readOp(r);
  return ops;
}

/** Encoded header fields and signature, followed by `payload` (already canonical bytes). */
export function encodeBatch(header: BatchHeader, signature: Uint8Array, payload: Uint8Array, limits: CodecLimits = DEFAULT_CODEC_LIMITS): Uint8Array {
  if (header.parents.length > limits.maxParents) throw new CodecError("TOO_LARGE", `${header.parents.length} parents exceed the limit ${limits.maxParents}`);
  if (signature.length !== 65) throw new CodecError("INVALID_FIELD", "signature must be 65 bytes");
  const w = new Writer();
  w.u8(BATCH_VERSION);
  w.bytes(hexBytes(header.channelId, 32, "channelId"));
  w.bytes(hexBytes(header.author, 20, "author"));
  w.u64(checkU64(header.seq, "seq"));
  w.u64(checkU64(header.timestamp, "timestamp"));
  w.varint(header.parents.length);
  let last = "";
  for (const p of header.parents) {
    const lower = p.toLowerCase();
    if (lower <= last) throw new CodecError("INVALID_FIELD", "parents must be strictly ascending and distinct");
    last = lower;
    w.bytes(hexBytes(p, 32, "parent"));
  }
  w.bytes(hexBytes(header.payloadDigest, 32, "payloadDigest"));
  w.bytes(signature);
  w.bytes(payload);
  if (w.length > limits.maxBatchBytes) throw new CodecError("TOO_LARGE", `batch of ${w.length} bytes exceeds the limit ${limits.maxBatchBytes}`);
  return w.finish();
}

/** A decoded batch plus the exact payload bytes its digest covers. */
export interface DecodedBatch extends Batch {
  payload: Uint8Array;
}

/**
 * Decodes one batch (the whole input). Checks form only: signature, digest and DAG rules are
 * `batch.ts` / `dag.ts`. Throws {@link CodecError}.
 */
export function decodeBatch(bytes: Uint8Array, limits: CodecLimits = DEFAULT_CODEC_LIMITS): DecodedBatch {
  if (!(bytes instanceof Uint8Array)) throw new CodecError("INVALID_FIELD", "batch must be a Uint8Array");
  if (bytes.length > limits.maxBatchBytes) throw new CodecError("TOO_LARGE", `batch of ${bytes.length} bytes exceeds the limit ${limits.maxBatchBytes}`);
  const r = new Reader(bytes, limits);
  const version = r.u8("version");
  if (version !== BATCH_VERSION) throw new CodecError("UNKNOWN_VERSION", `unknown batch version ${version}`);
  r.need(FIXED_PREFIX - 1, "batch header");
  const channelId = r.hex(32, "channelId");
  const author = r.hex(20, "author");
  const seq = r.u64("seq");
  const timestamp = r.u64("timestamp");
  const nParents = r.varint("parent count");
  if (nParents > limits.maxParents) throw new CodecError("TOO_LARGE", `${nParents} parents exceed the limit ${limits.maxParents}`);
  const parents: Hex[] = [];
  for (let i = 0; i < nParents; i++) {
    const p = r.hex(32, "parent");
    if (i > 0 && p <= parents[i - 1]!) throw new CodecError("NON_CANONICAL", "parents must be strictly ascending and distinct");
    parents.push(p);
  }
  const payloadDigest = r.hex(32, "payloadDigest");
  const signature = r.bytes(65, "signature").slice();
  const payloadStart = r.pos;
  const ops = readPayload(r);
  r.end("batch");
  return {
    header: { channelId, author, seq, parents, payloadDigest, timestamp },
    signature,
    ops,
    payload: bytes.subarray(payloadStart),
  };
}

function hexBytes(hex: string, n: number, what: string): Uint8Array {
  const bytes = parseHex(hex, n);
  if (bytes === undefined) throw new CodecError("INVALID_FIELD", `${what} must be 0x + ${2 * n} hex digits`);
  return bytes;
}

function checkU64(v: number, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new CodecError("OUT_OF_RANGE", `${what} must be a non-negative safe integer`);
  return v;
}

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
