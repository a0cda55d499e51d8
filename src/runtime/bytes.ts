/**
 * The project's one byte reader and writer: canonical, bounds-checked, big-endian. Every binary
 * format above the core is written with these two classes: ops and batches (`channel/codec.ts`),
 * checkpoint-layer messages (`channel/consensus/wire.ts`) and sync messages (`sync/protocol.ts`).
 * Each format keeps its own layout, limits and error class: the reader and writer report a failure
 * through the format's {@link BytesFail} so that a decoder throws only its own error type.
 *
 * Primitives (each has exactly one encoding; the reader accepts nothing else):
 * - `u8`, `u16`, `u32`: fixed width, unsigned. `i32`: two's complement in 4 bytes.
 * - `u64`: 8 bytes; values ≤ 2^53 − 1 only (safe integers), larger ones are OUT_OF_RANGE.
 * - `u256`: 32 bytes, for bigints in 0..2^256 − 1.
 * - `varint`: unsigned LEB128, minimal (no trailing zero group), at most 8 bytes, ≤ 2^53 − 1.
 * - `big`: 1 length byte L ∈ 0..32, then L bytes of minimal big-endian magnitude (0 is L = 0).
 * - `str`: varint byte length ≤ the reader's `maxStringBytes`, then well-formed UTF-8 (no BOM first).
 * - `bytes(n)`: n raw bytes (`hex(n)` reads them as lower-case 0x-hex).
 *
 * Limits: the reader never reads past its input (TRUNCATED), `end()` rejects trailing bytes
 * (TRAILING_BYTES), strings are capped by `maxStringBytes` (TOO_LARGE). The writer refuses values
 * its primitive cannot hold (OUT_OF_RANGE) instead of wrapping them.
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";

/** A 0x-prefixed hex string: the project's one `Hex` type (the same shape as viem's). */
export type Hex = `0x${string}`;

/** Stable codes of byte-level failures; each format's error class carries them unchanged. */
export type BytesErrorCode = "TRUNCATED" | "TRAILING_BYTES" | "NON_CANONICAL" | "OUT_OF_RANGE" | "TOO_LARGE" | "INVALID_UTF8";

/** Builds the error a format throws for a byte-level failure (its own error class, same code). */
export type BytesFail = (code: BytesErrorCode, message: string) => Error;

/** Byte-level failure of a reader or writer used without a format of its own. */
export class BytesError extends SemilatticeError {
  override readonly name = "BytesError";
  declare readonly code: BytesErrorCode;
  constructor(code: BytesErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** 2^256: the first value a `u256` or `big` cannot hold. */
const U256_END = 1n << 256n;

const bytesFail: BytesFail = (code, message) => new BytesError(code, message);

const utf8 = new TextEncoder();
const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Lower-case 0x-hex of `b`. */
export function toHex(b: Uint8Array): Hex {
  return ("0x" + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")) as Hex;
}

/** The `n` bytes of a 0x-hex string of exactly 2n digits (either case), or undefined if it is not one. */
export function parseHex(hex: unknown, n: number): Uint8Array | undefined {
  if (typeof hex !== "string" || hex.length !== 2 + 2 * n || !ANY_HEX_DIGITS.test(hex)) return undefined;
  return Buffer.from(hex.slice(2), "hex");
}

const ANY_HEX_DIGITS = /^0x[0-9a-fA-F]*$/;

/** Growable byte buffer; `finish()` returns a copy of what was written. */
export class ByteWriter {
  private buf: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  constructor(
    private readonly fail: BytesFail = bytesFail,
    initialBytes = 1024,
  ) {
    this.buf = new Uint8Array(initialBytes);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  /** One byte: the low 8 bits of `v` (callers pass tags, flags and counts they have checked). */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw this.fail("OUT_OF_RANGE", `u16 out of range: ${v}`);
    this.ensure(2);
    this.buf[this.length++] = v >>> 8;
    this.buf[this.length++] = v & 0xff;
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw this.fail("OUT_OF_RANGE", `u32 out of range: ${v}`);
    this.ensure(4);
    const b = this.buf;
    const o = this.length;
    b[o] = v >>> 24;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
    this.length += 4;
  }
  i32(v: number): void {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw this.fail("OUT_OF_RANGE", `i32 out of range: ${v}`);
    this.u32(v >>> 0);
  }
  /** 8 bytes big-endian; `v` a non-negative safe integer. */
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw this.fail("OUT_OF_RANGE", `u64 must be a safe non-negative integer: ${v}`);
    this.ensure(8);
    const hi = Math.floor(v / 0x1_0000_0000);
    const lo = v >>> 0;
    const b = this.buf;
    const o = this.length;
    b[o] = hi >>> 24;
    b[o + 1] = (hi >>> 16) & 0xff;
    b[o + 2] = (hi >>> 8) & 0xff;
    b[o + 3] = hi & 0xff;
    b[o + 4] = lo >>> 24;
    b[o + 5] = (lo >>> 16) & 0xff;
    b[o + 6] = (lo >>> 8) & 0xff;
    b[o + 7] = lo & 0xff;
    this.length += 8;
  }
  /** 32 bytes big-endian; `v` in 0..2^256 − 1. */
  u256(v: bigint): void {
    if (typeof v !== "bigint" || v < 0n || v >= U256_END) throw this.fail("OUT_OF_RANGE", "u256 must be a bigint in 0..2^256-1");
    this.ensure(32);
    const o = this.length;
    this.buf.fill(0, o, o + 32);
    for (let i = 31; i >= 0 && v > 0n; i--) {
      this.buf[o + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    this.length += 32;
  }
  /** Minimal unsigned LEB128 of a non-negative safe integer. */
  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw this.fail("OUT_OF_RANGE", `varint must be a safe non-negative integer: ${v}`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }
  /** Non-negative bigint < 2^256: length byte + minimal big-endian magnitude. */
  big(v: bigint): void {
    if (v === 0n) return this.u8(0);
    if (v < 0n || v >= U256_END) throw this.fail("OUT_OF_RANGE", "bigint must be in 0..2^256-1");
    let hex = v.toString(16);
    if (hex.length % 2 === 1) hex = "0" + hex;
    const n = hex.length / 2;
    this.ensure(1 + n);
    this.buf[this.length++] = n;
    for (let i = 0; i < n; i++) this.buf[this.length++] = parseInt(hex.substr(2 * i, 2), 16);
  }
  /** varint UTF-8 byte length, then the bytes (the caller checks well-formedness and limits). */
  str(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.varint(s.length);
      this.ensure(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
      return;
    }
    const b = utf8.encode(s);
    this.varint(b.length);
    this.bytes(b);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** Exactly `n` raw bytes of `b` (OUT_OF_RANGE if `b` is not a Uint8Array of that length). */
  fixed(b: Uint8Array, n: number): void {
    if (!(b instanceof Uint8Array) || b.length !== n) throw this.fail("OUT_OF_RANGE", `expected ${n} bytes`);
    this.bytes(b);
  }
  /** The `n` bytes of a lower-case 0x-hex string of exactly 2n digits (OUT_OF_RANGE otherwise). */
  lowerHex(h: string, n: number): void {
    if (typeof h !== "string" || h.length !== 2 + 2 * n || !LOWER_HEX_DIGITS.test(h)) throw this.fail("OUT_OF_RANGE", `expected lower-case 0x + ${2 * n} hex digits`);
    this.bytes(Buffer.from(h.slice(2), "hex"));
  }
  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const LOWER_HEX_DIGITS = /^0x[0-9a-f]*$/;

/** Cursor over untrusted bytes; every read checks bounds and canonical form. `what` names the field in messages. */
export class ByteReader {
  /** Offset of the next byte to read. */
  pos = 0;

  constructor(
    readonly buf: Uint8Array,
    private readonly fail: BytesFail = bytesFail,
    /** Most UTF-8 bytes of one `str`. */
    readonly maxStringBytes: number = 1 << 20,
  ) {}

  /** Bytes left after `pos`. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw this.fail("TRUNCATED", `truncated ${what}: needs ${n} bytes at offset ${this.pos}, input ends at ${this.buf.length}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const o = this.pos;
    this.pos += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
  i32(what: string): number {
    return this.u32(what) | 0;
  }
  u64(what: string): number {
    this.need(8, what);
    const b = this.buf;
    const o = this.pos;
    const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
    if (hi > 0x1fffff) throw this.fail("OUT_OF_RANGE", `${what}: uint64 at offset ${o} exceeds 2^53-1`);
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }
  u256(what: string): bigint {
    let v = 0n;
    for (const x of this.bytes(32, what)) v = (v << 8n) | BigInt(x);
    return v;
  }
  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i >= 8) throw this.fail("OUT_OF_RANGE", `${what}: varint longer than 8 bytes at offset ${this.pos}`);
      const b = this.u8(what);
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw this.fail("NON_CANONICAL", `${what}: varint has a redundant zero group at offset ${this.pos - 1}`);
        break;
      }
      scale *= 0x80;
    }
    if (value > Number.MAX_SAFE_INTEGER) throw this.fail("OUT_OF_RANGE", `${what}: ${value} exceeds 2^53-1`);
    return value;
  }
  big(what: string): bigint {
    const n = this.u8(what);
    if (n === 0) return 0n;
    if (n > 32) throw this.fail("OUT_OF_RANGE", `${what}: bigint of ${n} bytes exceeds 32`);
    this.need(n, what);
    const buf = this.buf;
    if (buf[this.pos] === 0) throw this.fail("NON_CANONICAL", `${what}: bigint has a leading zero byte at offset ${this.pos}`);
    let v = 0n;
    let i = 0;
    // 6 bytes at a time through a safe integer, then one bigint step
    for (; i + 6 <= n; i += 6) {
      const o = this.pos + i;
      const chunk = buf[o]! * 0x100_0000_0000 + buf[o + 1]! * 0x1_0000_0000 + ((buf[o + 2]! << 24) >>> 0) + (buf[o + 3]! << 16) + (buf[o + 4]! << 8) + buf[o + 5]!;
      v = (v << 48n) | BigInt(chunk);
    }
    for (; i < n; i++) v = (v << 8n) | BigInt(buf[this.pos + i]!);
    this.pos += n;
    return v;
  }
  str(what: string): string {
    const n = this.varint(what);
    if (n > this.maxStringBytes) throw this.fail("TOO_LARGE", `${what}: string of ${n} bytes exceeds the limit ${this.maxStringBytes}`);
    this.need(n, what);
    const start = this.pos;
    const end = start + n;
    const b = this.buf;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (b[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    let s: string;
    if (ascii) {
      s = Buffer.from(b.buffer, b.byteOffset + start, n).toString("latin1");
    } else {
      try {
        s = utf8Fatal.decode(b.subarray(start, end));
      } catch {
        throw this.fail("INVALID_UTF8", `${what}: invalid UTF-8 at offset ${start}`);
      }
      if (s.charCodeAt(0) === 0xfeff) throw this.fail("NON_CANONICAL", `${what}: string starts with a byte-order mark`);
    }
    this.pos = end;
    return s;
  }
  /** A view of the next `n` bytes (shares the input's memory). */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A copy of the next `n` bytes. */
  copy(n: number, what: string): Uint8Array {
    return this.bytes(n, what).slice();
  }
  /** The next `n` bytes as lower-case 0x-hex. */
  hex(n: number, what: string): Hex {
    return toHex(this.bytes(n, what));
  }
  /** Throws TRAILING_BYTES unless the whole input was read. */
  end(what: string): void {
    if (this.pos !== this.buf.length) throw this.fail("TRAILING_BYTES", `${what}: ${this.buf.length - this.pos} trailing bytes at offset ${this.pos}`);
  }
}
