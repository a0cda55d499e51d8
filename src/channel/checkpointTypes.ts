/**
 * EIP-712 typed data of the checkpoint layer (DESIGN §3 "Order and checkpoints", §5): the
 * `Checkpoint` a replica signs after a decision (q of these signatures form the certificate the
 * settlement contract accepts), and the consensus messages `Proposal` and `Vote` that Tendermint
 * replicas sign (Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus", 2018, Algorithm 1:
 * ⟨PROPOSAL, h, r, v, vr⟩, ⟨PREVOTE, h, r, id(v)⟩, ⟨PRECOMMIT, h, r, id(v)⟩).
 *
 * Domain: the channel's, the same as the batches' (`batch.ts`):
 * `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)` with
 * name "Semilattice", version "1".
 *
 * **Time is in milliseconds** since the Unix epoch (uint64), like batch timestamps and the engine's
 * `state.timeMs`. A contract that needs seconds divides by 1000.
 *
 * `stateRoot` is the engine's SHA-256 Merkle state root and `exitRoot` the OpenZeppelin-style keccak
 * exit root (docs/architecture.md, "Roots"), both bytes32.
 *
 * Digests are computed with @noble/hashes keccak (no viem on the hot path); the tests check them
 * against viem's `hashTypedData` with exactly these type definitions.
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { keccak256 } from "../core/keccak.js";
import type { Hex } from "./identity.js";

/** The certified checkpoint, as the settlement contract verifies it (viem `types` shape). */
export const CHECKPOINT_TYPES = {
  Checkpoint: [
    { name: "channelId", type: "bytes32" },
    { name: "height", type: "uint64" },
    { name: "stateRoot", type: "bytes32" },
    { name: "exitRoot", type: "bytes32" },
    { name: "time", type: "uint64" },
  ],
} as const;

/** The EIP-712 encodeType string of {@link CHECKPOINT_TYPES} (for Solidity's `CHECKPOINT_TYPEHASH`). */
export const CHECKPOINT_TYPE_STRING = "Checkpoint(bytes32 channelId,uint64 height,bytes32 stateRoot,bytes32 exitRoot,uint64 time)";

/**
 * A Tendermint proposal ⟨PROPOSAL, h, r, v, vr⟩ (Algorithm 1 line 19): the value is named by its id
 * (keccak of its canonical encoding, see `checkpoint.ts`); `validRound` is vr, −1 when none.
 */
export const PROPOSAL_TYPES = {
  Proposal: [
    { name: "channelId", type: "bytes32" },
    { name: "height", type: "uint64" },
    { name: "round", type: "uint32" },
    { name: "valueId", type: "bytes32" },
    { name: "validRound", type: "int32" },
  ],
} as const;

export const PROPOSAL_TYPE_STRING = "Proposal(bytes32 channelId,uint64 height,uint32 round,bytes32 valueId,int32 validRound)";

/**
 * A Tendermint vote: `voteType` 1 = PREVOTE, 2 = PRECOMMIT; `valueId` is id(v) or bytes32(0) for nil.
 */
export const VOTE_TYPES = {
  Vote: [
    { name: "channelId", type: "bytes32" },
    { name: "height", type: "uint64" },
    { name: "round", type: "uint32" },
    { name: "voteType", type: "uint8" },
    { name: "valueId", type: "bytes32" },
  ],
} as const;

export const VOTE_TYPE_STRING = "Vote(bytes32 channelId,uint64 height,uint32 round,uint8 voteType,bytes32 valueId)";

/** bytes32 zero: the id of nil in a vote. */
export const NIL_ID: Hex = `0x${"0".repeat(64)}`;

export const VOTE_TYPE_PREVOTE = 1;
export const VOTE_TYPE_PRECOMMIT = 2;

export interface CheckpointMessage {
  channelId: Hex;
  height: number;
  stateRoot: Hex;
  exitRoot: Hex;
  /** ms since the Unix epoch. */
  time: number;
}

export interface ProposalMessage {
  channelId: Hex;
  height: number;
  round: number;
  valueId: Hex;
  validRound: number;
}

export interface VoteMessage {
  channelId: Hex;
  height: number;
  round: number;
  voteType: typeof VOTE_TYPE_PREVOTE | typeof VOTE_TYPE_PRECOMMIT;
  valueId: Hex;
}

/** Malformed field in a typed-data message. */
export class TypedDataError extends SemilatticeError {
  override readonly name = "TypedDataError";
  declare readonly code: "INVALID_TYPED_DATA";
  constructor(message: string, parameters?: SemilatticeErrorParameters) {
    super("INVALID_TYPED_DATA", message, parameters);
  }
}

const enc = new TextEncoder();
const CHECKPOINT_TYPEHASH = keccak256(enc.encode(CHECKPOINT_TYPE_STRING));
const PROPOSAL_TYPEHASH = keccak256(enc.encode(PROPOSAL_TYPE_STRING));
const VOTE_TYPEHASH = keccak256(enc.encode(VOTE_TYPE_STRING));

/** EIP-712 digest of a checkpoint under the channel domain whose separator is `separator` (`batch.ts` domainSeparator). */
export function checkpointDigest(separator: Uint8Array, m: CheckpointMessage): Uint8Array {
  return digest(separator, [CHECKPOINT_TYPEHASH, bytes32(m.channelId), uint(m.height, 64), bytes32(m.stateRoot), bytes32(m.exitRoot), uint(m.time, 64)]);
}

export function proposalDigest(separator: Uint8Array, m: ProposalMessage): Uint8Array {
  return digest(separator, [PROPOSAL_TYPEHASH, bytes32(m.channelId), uint(m.height, 64), uint(m.round, 32), bytes32(m.valueId), int(m.validRound, 32)]);
}

export function voteDigest(separator: Uint8Array, m: VoteMessage): Uint8Array {
  return digest(separator, [VOTE_TYPEHASH, bytes32(m.channelId), uint(m.height, 64), uint(m.round, 32), uint(m.voteType, 8), bytes32(m.valueId)]);
}

function digest(separator: Uint8Array, words: Uint8Array[]): Uint8Array {
  const s = new Uint8Array(32 * words.length);
  words.forEach((w, i) => s.set(w, 32 * i));
  const m = new Uint8Array(66);
  m[0] = 0x19;
  m[1] = 0x01;
  m.set(separator, 2);
  m.set(keccak256(s), 34);
  return keccak256(m);
}

function bytes32(hex: string): Uint8Array {
  if (typeof hex !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new TypedDataError(`expected bytes32 (0x + 64 hex digits), got ${String(hex)}`);
  return Buffer.from(hex.slice(2), "hex");
}

function uint(v: number, bits: number): Uint8Array {
  if (!Number.isSafeInteger(v) || v < 0 || (bits < 53 && v >= 2 ** bits)) throw new TypedDataError(`expected uint${bits}, got ${String(v)}`);
  return word(BigInt(v));
}

function int(v: number, bits: number): Uint8Array {
  if (!Number.isSafeInteger(v) || v < -(2 ** (bits - 1)) || v >= 2 ** (bits - 1)) throw new TypedDataError(`expected int${bits}, got ${String(v)}`);
  // EIP-712 / ABI: signed integers are sign-extended two's complement in 256 bits
  return word(v < 0 ? (1n << 256n) + BigInt(v) : BigInt(v));
}

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
