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
import { SemilatticeError, type SemilatticeErrorParameters } from "../../core/errors.js";
import type { CheckpointValue, CheckpointWire } from "../checkpoint.js";
import { MAX_DEPOSITS_PER_CHECKPOINT, wellFormedDeposits, type DepositRecord } from "../deposits.js";
import { ByteReader, ByteWriter, type BytesFail, type Hex } from "../../runtime/bytes.js";
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

export class WireError extends SemilatticeError {
  override readonly name = "WireError";
  declare readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** Byte-level failures of the shared reader and writer, as {@link WireError}s of the same code. */
const wireFail: BytesFail = (code, message) => new WireError(code === "TOO_LARGE" ? "LIMIT" : code === "INVALID_UTF8" ? "NON_CANONICAL" : code, message);

const KIND = { proposal: 1, prevote: 2, precommit: 3 } as const;

function writeMessage(w: ByteWriter, m: ConsensusMessage): void {
  const k = KIND[m.kind];
  if (k === undefined) throw new WireError("UNKNOWN_TAG", "unknown message kind");
  w.u8(k);
  w.u64(m.height);
  w.u32(m.round);
  w.lowerHex(m.sender, 20);
  w.fixed(m.signature, 65);
  if (m.kind === "proposal") {
    w.lowerHex(m.valueId, 32);
    w.i32(m.validRound);
  } else if (m.valueId === null) {
    w.u8(0);
  } else {
    w.u8(1);
    w.lowerHex(m.valueId, 32);
  }
}

function readMessage(r: ByteReader): ConsensusMessage {
  const k = r.u8("message kind");
  if (k < 1 || k > 3) throw new WireError("UNKNOWN_TAG", `unknown message kind ${k}`);
  const height = r.u64("height");
  const round = r.u32("round");
  const sender = r.hex(20, "sender");
  const signature = r.copy(65, "signature");
  if (k === 1) return { kind: "proposal", height, round, sender, signature, valueId: r.hex(32, "valueId"), validRound: r.i32("validRound") };
  const flag = r.u8("vote value flag");
  if (flag > 1) throw new WireError("NON_CANONICAL", "vote value flag must be 0 or 1");
  return { kind: k === 2 ? "prevote" : "precommit", height, round, sender, signature, valueId: flag === 0 ? null : r.hex(32, "valueId") };
}

function writeValue(w: ByteWriter, v: CheckpointValue, limits: WireLimits): void {
  if (!Array.isArray(v.heads) || v.heads.length > limits.maxHeads) throw new WireError("LIMIT", `at most ${limits.maxHeads} heads`);
  w.u64(v.height);
  w.u16(v.heads.length);
  v.heads.forEach((h, i) => {
    if (i > 0 && !(v.heads[i - 1]! < h)) throw new WireError("NON_CANONICAL", "heads must be strictly ascending");
    w.lowerHex(h, 32);
  });
  w.lowerHex(v.stateRoot, 32);
  w.lowerHex(v.exitRoot, 32);
  w.u64(v.timeMs);
  const maxDeposits = limits.maxDeposits ?? MAX_DEPOSITS_PER_CHECKPOINT;
  if (!wellFormedDeposits(v.deposits, maxDeposits)) throw new WireError("OUT_OF_RANGE", `deposits must be at most ${maxDeposits} well-formed records with consecutive ids`);
  w.u16(v.deposits.length);
  for (const d of v.deposits) {
    w.u256(d.recordId);
    w.lowerHex(d.account, 20);
    w.lowerHex(d.token, 20);
    w.u256(d.amount);
  }
}

function readValue(r: ByteReader, limits: WireLimits): CheckpointValue {
  const height = r.u64("value height");
  const n = r.u16("heads count");
  if (n > limits.maxHeads) throw new WireError("LIMIT", `at most ${limits.maxHeads} heads`);
  const heads: Hex[] = [];
  for (let i = 0; i < n; i++) {
    const h = r.hex(32, "head");
    if (i > 0 && !(heads[i - 1]! < h)) throw new WireError("NON_CANONICAL", "heads must be strictly ascending");
    heads.push(h);
  }
  const stateRoot = r.hex(32, "stateRoot");
  const exitRoot = r.hex(32, "exitRoot");
  const timeMs = r.u64("timeMs");
  const maxDeposits = limits.maxDeposits ?? MAX_DEPOSITS_PER_CHECKPOINT;
  const k = r.u16("deposits count");
  if (k > maxDeposits) throw new WireError("LIMIT", `at most ${maxDeposits} deposits`);
  const deposits: DepositRecord[] = [];
  for (let i = 0; i < k; i++) deposits.push({ recordId: r.u256("recordId"), account: r.hex(20, "account"), token: r.hex(20, "token"), amount: r.u256("amount") });
  if (!wellFormedDeposits(deposits, maxDeposits)) throw new WireError("OUT_OF_RANGE", "deposit ids must be consecutive and amounts positive");
  return { height, heads, stateRoot, exitRoot, timeMs, deposits };
}

/** Canonical bytes of a checkpoint-layer message. Throws {@link WireError} on a malformed one. */
export function encodeCheckpointWire(m: CheckpointWire, limits: WireLimits = DEFAULT_WIRE_LIMITS): Uint8Array {
  const w = new ByteWriter(wireFail, 256);
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
      w.lowerHex(m.signer, 20);
      w.fixed(m.signature, 65);
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
  return w.finish();
}

/** Decodes {@link encodeCheckpointWire}'s output; anything else throws {@link WireError}. */
export function decodeCheckpointWire(bytes: Uint8Array, limits: WireLimits = DEFAULT_WIRE_LIMITS): CheckpointWire {
  if (!(bytes instanceof Uint8Array)) throw new WireError("TRUNCATED", "expected bytes");
  const r = new ByteReader(bytes, wireFail);
  const tag = r.u8("tag");
  let out: CheckpointWire;
  if (tag === 1) {
    const message = readMessage(r);
    const flag = r.u8("value flag");
    if (flag > 1) throw new WireError("NON_CANONICAL", "value flag must be 0 or 1");
    out = flag === 0 ? { kind: "consensus", message } : { kind: "consensus", message, value: readValue(r, limits) };
  } else if (tag === 2) {
    out = { kind: "signature", height: r.u64("height"), signer: r.hex(20, "signer"), signature: r.copy(65, "signature") };
  } else if (tag === 3) {
    const height = r.u64("height");
    const value = readValue(r, limits);
    const n = r.u16("proof count");
    if (n > limits.maxProofMessages) throw new WireError("LIMIT", `at most ${limits.maxProofMessages} proof messages`);
    const messages: ConsensusMessage[] = [];
    for (let i = 0; i < n; i++) messages.push(readMessage(r));
    out = { kind: "proof", height, value, messages };
  } else {
    throw new WireError("UNKNOWN_TAG", `unknown tag ${tag}`);
  }
  r.end("message");
  return out;
}
