/**
 * Certificates and exit leaves as the adjudicator (contracts/Adjudicator.sol) takes them.
 *
 * - A **certificate** is a checkpoint `Checkpoint{channelId, height, stateRoot, exitRoot, time}` (the
 *   EIP-712 type of `src/channel/checkpointTypes.ts`, the one source of truth; time in ms) plus at
 *   least `quorum` 65-byte signatures over its EIP-712 digest under the channel domain
 *   `{name "Semilattice", version "1", chainId, verifyingContract: adjudicator}` (`batch.ts`
 *   `domainSeparator`), ordered by ascending signer address (the contract rejects anything else, which
 *   is how it refuses duplicates).
 * - A **close** is the same fields under the distinct type {@link CLOSE_TYPE_STRING}, signed by all n
 *   participants: `cooperativeClose` accepts only that type, so an ordinary unanimous checkpoint can
 *   never be replayed as a close.
 * - An **exit leaf** on chain is `(account, token, amount, withdrawn)` (`src/core/exit.ts`).
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { keccak256 } from "../core/keccak.js";
import type { ExitLeaf } from "../core/exit.js";
import { checkpointDigest, type CheckpointMessage } from "../channel/checkpointTypes.js";
import { parseHex, toHex, type Hex } from "../runtime/bytes.js";
import { recoverAddress, type Signer } from "../channel/identity.js";

export { CHECKPOINT_TYPES, CHECKPOINT_TYPE_STRING, type CheckpointMessage } from "../channel/checkpointTypes.js";

/** EIP-712 type of a cooperative close (settlement-only). */
export const CLOSE_TYPE_STRING = "Close(bytes32 channelId,uint64 height,bytes32 stateRoot,bytes32 exitRoot,uint64 time)";

export const CLOSE_TYPES = {
  Close: [
    { name: "channelId", type: "bytes32" },
    { name: "height", type: "uint64" },
    { name: "stateRoot", type: "bytes32" },
    { name: "exitRoot", type: "bytes32" },
    { name: "time", type: "uint64" },
  ],
} as const;

export interface Certificate {
  checkpoint: CheckpointMessage;
  /** 65-byte r ‖ s ‖ v signatures, 0x-hex, ordered by ascending signer address. */
  signatures: Hex[];
}

/** The contract's `Checkpoint` tuple (its `timeMs` is the message's `time`, ms since the Unix epoch). */
export interface ContractCheckpoint {
  channelId: Hex;
  height: bigint;
  stateRoot: Hex;
  exitRoot: Hex;
  timeMs: bigint;
}

/** The contract's `ExitLeaf` tuple. */
export interface ContractLeaf {
  account: Hex;
  token: Hex;
  amount: bigint;
  withdrawn: bigint;
}

export class CertificateError extends SemilatticeError {
  override readonly name = "CertificateError";
  declare readonly code: "INVALID_CHECKPOINT" | "BAD_SIGNATURE" | "DUPLICATE_SIGNER" | "INVALID_LEAF";
  constructor(code: "INVALID_CHECKPOINT" | "BAD_SIGNATURE" | "DUPLICATE_SIGNER" | "INVALID_LEAF", message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

const CLOSE_TYPEHASH = keccak256(new TextEncoder().encode(CLOSE_TYPE_STRING));

/** EIP-712 digest of the `Close` message for `cp` under the channel domain `separator`. */
export function closeDigest(separator: Uint8Array, cp: CheckpointMessage): Uint8Array {
  // EIP-712 hashStruct: keccak256(typeHash ‖ the five fields as 32-byte words), then 0x1901 ‖ domain ‖ it.
  const words = new Uint8Array(6 * 32);
  words.set(CLOSE_TYPEHASH, 0);
  words.set(bytes32(cp.channelId), 32);
  words.set(word(uint64(cp.height, "height")), 64);
  words.set(bytes32(cp.stateRoot), 96);
  words.set(bytes32(cp.exitRoot), 128);
  words.set(word(uint64(cp.time, "time")), 160);
  const m = new Uint8Array(66);
  m[0] = 0x19;
  m[1] = 0x01;
  m.set(separator, 2);
  m.set(keccak256(words), 34);
  return keccak256(m);
}

/**
 * Signs `digest` with every signer and returns the signatures ordered by ascending signer address, as
 * the contract requires. Throws CertificateError DUPLICATE_SIGNER if two signers share an address.
 */
export function signSorted(digest: Uint8Array, signers: readonly Signer[]): Hex[] {
  const sorted = [...signers].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.address === sorted[i - 1]!.address) throw new CertificateError("DUPLICATE_SIGNER", `signer ${sorted[i]!.address} twice`);
  }
  return sorted.map((s) => toHex(s.sign(digest)));
}

/** A certificate of `cp` signed by `signers` (each a participant's key). */
export function certify(separator: Uint8Array, cp: CheckpointMessage, signers: readonly Signer[]): Certificate {
  return { checkpoint: { ...cp }, signatures: signSorted(checkpointDigest(separator, cp), signers) };
}

/**
 * A certificate as the checkpoint layer keeps it (`src/channel/checkpoint.ts` CheckpointCertificate:
 * signer + 65-byte signature each) in the contract's shape: signatures as hex, ascending by signer.
 * Throws CertificateError DUPLICATE_SIGNER if a signer appears twice.
 */
export function fromCheckpointCertificate(cert: { checkpoint: CheckpointMessage; signatures: readonly { signer: string; signature: Uint8Array }[] }): Certificate {
  const sorted = [...cert.signatures].sort((a, b) => (a.signer.toLowerCase() < b.signer.toLowerCase() ? -1 : a.signer.toLowerCase() > b.signer.toLowerCase() ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.signer.toLowerCase() === sorted[i - 1]!.signer.toLowerCase()) throw new CertificateError("DUPLICATE_SIGNER", `signer ${sorted[i]!.signer} twice`);
  }
  return { checkpoint: { ...cert.checkpoint }, signatures: sorted.map((s) => toHex(s.signature)) };
}

/** n-of-n `Close` signatures over `cp`. */
export function signClose(separator: Uint8Array, cp: CheckpointMessage, signers: readonly Signer[]): Hex[] {
  return signSorted(closeDigest(separator, cp), signers);
}

/**
 * Checks a certificate off chain the way the contract will (ascending distinct signers, each in
 * `participants`, at least `quorum`); returns the signers. Throws {@link CertificateError}.
 */
export function verifyCertificate(separator: Uint8Array, cert: Certificate, participants: readonly string[], quorum: number): Hex[] {
  const digest = checkpointDigest(separator, cert.checkpoint);
  const allowed = new Set(participants.map((p) => p.toLowerCase()));
  const signers: Hex[] = [];
  for (const sig of cert.signatures) {
    const signer = recoverAddress(digest, hexBytes(sig, 65));
    if (signer === undefined || !allowed.has(signer)) throw new CertificateError("BAD_SIGNATURE", `signature ${sig.slice(0, 12)}… is not a participant's`);
    if (signers.length > 0 && signer <= signers[signers.length - 1]!) throw new CertificateError("DUPLICATE_SIGNER", `signers must be strictly ascending (${signer})`);
    signers.push(signer);
  }
  if (signers.length < quorum) throw new CertificateError("BAD_SIGNATURE", `${signers.length} signatures, quorum is ${quorum}`);
  return signers;
}

export function toContractCheckpoint(cp: CheckpointMessage): ContractCheckpoint {
  return {
    channelId: bytes32Hex(cp.channelId),
    height: BigInt(uint64(cp.height, "height")),
    stateRoot: bytes32Hex(cp.stateRoot),
    exitRoot: bytes32Hex(cp.exitRoot),
    timeMs: BigInt(uint64(cp.time, "time")),
  };
}

export function toContractLeaf(leaf: ExitLeaf): ContractLeaf {
  const address = (v: string, field: string): Hex => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new CertificateError("INVALID_LEAF", `${field} must be an address, got ${v}`);
    return v.toLowerCase() as Hex;
  };
  const amount = (v: bigint, field: string): bigint => {
    if (typeof v !== "bigint" || v < 0n || v >= 1n << 256n) throw new CertificateError("INVALID_LEAF", `${field} must be a uint256`);
    return v;
  };
  return { account: address(leaf.accountAddress, "account"), token: address(leaf.tokenAddress, "token"), amount: amount(leaf.amount, "amount"), withdrawn: amount(leaf.withdrawn, "withdrawn") };
}

export { toHex };

function hexBytes(hex: string, n: number): Uint8Array {
  const bytes = parseHex(hex, n);
  if (bytes === undefined) throw new CertificateError("BAD_SIGNATURE", `expected ${n} bytes of 0x-hex`);
  return bytes;
}

function bytes32(hex: string): Uint8Array {
  return hexBytes(bytes32Hex(hex), 32);
}

function bytes32Hex(hex: string): Hex {
  if (typeof hex !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new CertificateError("INVALID_CHECKPOINT", `expected bytes32, got ${String(hex)}`);
  return hex.toLowerCase() as Hex;
}

function uint64(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new CertificateError("INVALID_CHECKPOINT", `${field} must be a non-negative safe integer`);
  return v;
}

function word(v: number): Uint8Array {
  const out = new Uint8Array(32);
  let x = BigInt(v);
  for (let i = 31; i >= 0 && x > 0n; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
