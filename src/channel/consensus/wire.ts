/**
 * Canonical binary encoding of the checkpoint layer's messages ({@link CheckpointWire}), for a
 * transport between processes. One message has one byte string; the decoder rejects anything
 * else (unknown tags, out-of-range integers, non-ascending heads, trailing bytes, over the limits)
 * with a {@link WireError} of stable code, and never throws anything else.
 *
 * Layout (big-endian):
 * - consensus `0x01`: message, then `0x00` (no value) or `0x01` value
 * - signature `0x02`: height u64 ‖ signer (20) ‖ signature (65)
 * - proof `0x03`: height u64 ‖ value ‖ count u16 ‖ count × message
 * - message: kind u8 (1 proposal, 2 prevote, 3 precommit) ‖ height u64 ‖ round u32 ‖ sender (20) ‖
 *   signature (65) ‖ proposal: valueId (32) ‖ validRound i32 ; vote: `0x00` (nil) or `0x01` valueId (32)
 * - value: height u64 ‖ heads count u16 ‖ heads (32 each, strictly ascending) ‖ stateRoot (32) ‖
 *   exitRoot (32) ‖ timeMs u64 ‖ deposits count u16 ‖ deposits (recordId u256 ‖ account (20) ‖
 *   token (20) ‖ amount u256 each; ids consecutive, amounts > 0, at most `maxDeposits`)
 * Integers decode to safe integers only (u64 ≤ 2^53 − 1).
 */
import type { CheckpointValue, CheckpointWire } from "../checkpoint.js";
import { MAX_DEPOSITS_PER_CHECKPOINT, wellFormedDeposits, type DepositRecord } from "../deposits.js";
import type { Hex } from "../identity.js";
import type { ConsensusMessage } from "./tendermint.js";

export interface WireLimits {
  /** Most heads in a value. Default 1024. */
  maxHeads: number;
  /** Most messages in a proof. Default 1024. */
  maxProofMessages: number;
  /** Most deposit records in a value. Default 256. */
  maxDeposits?: number;
}

export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({ maxHeads: 1024, maxProofMessages: 1024, maxDeposits: MAX_DEPOSITS_PER_CHECKPOINT });

export type WireErrorCode = "TRUNCATED" | "TRAILING_BYTES" | "UNKNOWN_TAG" | "OUT_OF_RANGE" | "NON_CANONICAL" | "LIMIT";

export class WireError extends Error {
  override readonly name = "WireError";
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}

class Writer {
  private parts: number[] = [];
  u8(v: number): void {
    this.parts.push(v & 0xff);
  }
  u16(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new WireError("OUT_OF_RANGE", `u16 out of range: ${v}`);
    this.parts.push(v >>> 8, v & 0xff);
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new WireError("OUT_OF_RANGE", `u32 out of range: ${v}`);
    this.parts.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  i32(v: number): void {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new WireError("OUT_OF_RANGE", `i32 out of range: ${v}`);
    this.u32(v >>> 0);
  }
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new WireError("OUT_OF_RANGE", `u64 must be a safe non-negative integer: ${v}`);
    this.u32(Math.floor(v / 2 ** 32));
    this.u32(v % 2 ** 32);
  }
  bytes(b: Uint8Array, n: number): void {
    if (!(b instanceof Uint8Array) || b.length !== n) throw new WireError("OUT_OF_RANGE", `expected ${n} bytes`);
    for (const x of b) this.parts.push(x);
  }
  hex(h: string, n: number): void {
    if (typeof h !== "string" || !new RegExp(`^0x[0-9a-f]{${2 * n}}$`).test(h)) throw new WireError("OUT_OF_RANGE", `expected lower-case 0x + ${2 * n} hex digits`);
    this.bytes(Buffer.from(h.slice(2), "hex"), n);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

class Reader {
  private at = 0;
  constructor(private readonly b: Uint8Array) {}
  private need(n: number): void {
    if (this.at + n > this.b.length) throw new WireError("TRUNCATED", "message ends early");
  }
  u8(): number {
    this.need(1);
    return this.b[this.at++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    this.need(4);
    const v = ((this.b[this.at]! << 24) >>> 0) + (this.b[this.at + 1]! << 16) + (this.b[this.at + 2]! << 8) + this.b[this.at + 3]!;
    this.at += 4;
    return v;
  }
  i32(): number {
    return this.u32() | 0;
  }
  u64(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (hi >= 2 ** 21) throw new WireError("OUT_OF_RANGE", "u64 above 2^53 − 1");
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  hex(n: number): Hex {
    return ("0x" + Buffer.from(this.bytes(n)).toString("hex")) as Hex;
  }
  end(): void {
    if (this.at !== this.b.length) throw new WireError("TRAILING_BYTES", `${this.b.length - this.at} bytes after the message`);
  }
}

const KIND = { proposal: 1, prevote: 2, precommit: 3 } as const;

function writeMessage(w: Writer, m: ConsensusMessage): void {
  const k = KIND[m.kind];
  if (k === undefined) throw new WireError("UNKNOWN_TAG", "unknown message kind");
  w.u8(k);
  w.u64(m.height);
  w.u32(m.round);
  w.hex(m.sender, 20);
  w.bytes(m.signature, 65);
  if (m.kind === "proposal") {
    w.hex(m.valueId, 32);
    w.i32(m.validRound);
  } else if (m.valueId === null) {
    w.u8(0);
  } else {
    w.u8(1);
    w.hex(m.valueId, 32);
  }
}

function readMessage(r: Reader): ConsensusMessage {
  const k = r.u8();
  if (k < 1 || k > 3) throw new WireError("UNKNOWN_TAG", `unknown message kind ${k}`);
  const height = r.u64();
  const round = r.u32();
  const sender = r.hex(20);
  const signature = r.bytes(65);
  if (k === 1) return { kind: "proposal", height, round, sender, signature, valueId: r.hex(32), validRound: r.i32() };
  const flag = r.u8();
  if (flag > 1) throw new WireError("NON_CANONICAL", "vote value flag must be 0 or 1");
  return { kind: k === 2 ? "prevote" : "precommit", height, round, sender, signature, valueId: flag === 0 ? null : r.hex(32) };
}

function writeValue(w: Writer, v: CheckpointValue, limits: WireLimits): void {
  if (!Array.isArray(v.heads) || v.heads.length > limits.maxHeads) throw new WireError("LIMIT", `at most ${limits.maxHeads} heads`);
  w.u64(v.height);
  w.u16(v.heads.length);
  v.heads.forEach((h, i) => {
    if (i > 0 && !(v.heads[i - 1]! < h)) throw new WireError("NON_CANONICAL", "heads must be strictly ascending");
    w.hex(h, 32);
  });
  w.hex(v.stateRoot, 32);
  w.hex(v.exitRoot, 32);
  w.u64(v.timeMs);
  const maxDeposits = limits.maxDeposits ?? MAX_DEPOSITS_PER_CHECKPOINT;
  if (!wellFormedDeposits(v.deposits, maxDeposits)) throw new WireError("OUT_OF_RANGE", `deposits must be at most ${maxDeposits} well-formed records with consecutive ids`);
  w.u16(v.deposits.length);
  for (const d of v.deposits) {
    w.bytes(u256(d.recordId), 32);
    w.hex(d.account, 20);
    w.hex(d.token, 20);
    w.bytes(u256(d.amount), 32);
  }
}

function u256(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function readU256(r: Reader): bigint {
  let v = 0n;
  for (const b of r.bytes(32)) v = (v << 8n) | BigInt(b);
  return v;
}

function readValue(r: Reader, limits: WireLimits): CheckpointValue {
  const height = r.u64();
  const n = r.u16();
  if (n > limits.maxHeads) throw new WireError("LIMIT", `at most ${limits.maxHeads} heads`);
  const heads: Hex[] = [];
  for (let i = 0; i < n; i++) {
    const h = r.hex(32);
    if (i > 0 && !(heads[i - 1]! < h)) throw new WireError("NON_CANONICAL", "heads must be strictly ascending");
    heads.push(h);
  }
  const stateRoot = r.hex(32);
  const exitRoot = r.hex(32);
  const timeMs = r.u64();
  const maxDeposits = limits.maxDeposits ?? MAX_DEPOSITS_PER_CHECKPOINT;
  const k = r.u16();
  if (k > maxDeposits) throw new WireError("LIMIT", `at most ${maxDeposits} deposits`);
  const deposits: DepositRecord[] = [];
  for (let i = 0; i < k; i++) deposits.push({ recordId: readU256(r), account: r.hex(20), token: r.hex(20), amount: readU256(r) });
  if (!wellFormedDeposits(deposits, maxDeposits)) throw new WireError("OUT_OF_RANGE", "deposit ids must be consecutive and amounts positive");
  return { height, heads, stateRoot, exitRoot, timeMs, deposits };
}

/** Canonical bytes of a checkpoint-layer message. Throws {@link WireError} on a malformed one. */
export function encodeCheckpointWire(m: CheckpointWire, limits: WireLimits = DEFAULT_WIRE_LIMITS): Uint8Array {
  const w = new Writer();
  switch (m.kind) {
    case "consensus":
      w.u8(1);
      writeMessage(w, m.message);
      if (m.value === undefined) w.u8(0);
      else {
        w.u8(1);
        writeValue(w, m.value, limits);
      }
      break;
    case "signature":
      w.u8(2);
      w.u64(m.height);
      w.hex(m.signer, 20);
      w.bytes(m.signature, 65);
      break;
    case "proof":
      if (!Array.isArray(m.messages) || m.messages.length > limits.maxProofMessages) throw new WireError("LIMIT", `at most ${limits.maxProofMessages} proof messages`);
      w.u8(3);
      w.u64(m.height);
      writeValue(w, m.value, limits);
      w.u16(m.messages.length);
      for (const x of m.messages) writeMessage(w, x);
      break;
    default:
      throw new WireError("UNKNOWN_TAG", "unknown checkpoint message kind");
  }
  return w.done();
}

/** Decodes {@link encodeCheckpointWire}'s output; anything else throws {@link WireError}. */
export function decodeCheckpointWire(bytes: Uint8Array, limits: WireLimits = DEFAULT_WIRE_LIMITS): CheckpointWire {
  if (!(bytes instanceof Uint8Array)) throw new WireError("TRUNCATED", "expected bytes");
  const r = new Reader(bytes);
  const tag = r.u8();
  let out: CheckpointWire;
  if (tag === 1) {
    const message = readMessage(r);
    const flag = r.u8();
    if (flag > 1) throw new WireError("NON_CANONICAL", "value flag must be 0 or 1");
    out = flag === 0 ? { kind: "consensus", message } : { kind: "consensus", message, value: readValue(r, limits) };
  } else if (tag === 2) {
    out = { kind: "signature", height: r.u64(), signer: r.hex(20), signature: r.bytes(65) };
  } else if (tag === 3) {
    const height = r.u64();
    const value = readValue(r, limits);
    const n = r.u16();
    if (n > limits.maxProofMessages) throw new WireError("LIMIT", `at most ${limits.maxProofMessages} proof messages`);
    const messages: ConsensusMessage[] = [];
    for (let i = 0; i < n; i++) messages.push(readMessage(r));
    out = { kind: "proof", height, value, messages };
  } else {
    throw new WireError("UNKNOWN_TAG", `unknown tag ${tag}`);
  }
  r.end();
  return out;
}
