/**
 * On-chain deposits entering the channel through checkpoints (DESIGN §5: a `deposit` of ERC-20 tokens
 * or ETH makes a numbered deposit record (an event); the channel credits it with an op that names
 * the record, and a correct replica accepts that op only when the record exists on chain and was
 * not credited before).
 *
 * - The op is the core's `creditDeposit {recordId, account, token, amount}` (`src/core/deposits.ts`):
 *   the engine credits records once each, consecutively from 0 ("not credited before").
 * - A checkpoint value lists the records it credits (`CheckpointValue.deposits`, `checkpoint.ts`);
 *   the decided value applies them to the final state after its batches, before its time.
 * - A replica prevotes such a value only when each listed record equals, field for field, what its
 *   own view of the chain says ({@link DepositSource}): "the record exists on chain". A record its
 *   watcher has not seen yet makes the verdict wait (Tendermint prevotes nil at timeoutPropose).
 *
 * Units: `amount` in the token's base units (what the contract recorded); addresses lower-case
 * 0x-hex, 20 bytes; ETH is the zero address (the adjudicator's convention).
 */
import { keccak256 } from "../core/keccak.js";
import type { Hex } from "./identity.js";

/** One on-chain deposit record of the channel, as the adjudicator's `Deposited` event carries it. */
export interface DepositRecord {
  /** The record's number on chain: 0, 1, 2, … per channel. */
  recordId: bigint;
  /** Beneficiary (a participant), lower-case 0x + 40 hex. */
  account: Hex;
  /** Token address, lower-case 0x + 40 hex; ETH = 0x000…0. */
  token: Hex;
  /** Base units of `token`, > 0. */
  amount: bigint;
}

/** This replica's view of the chain's confirmed deposit records (synchronous; fed by a watcher). */
export interface DepositSource {
  /** Record `recordId` once this replica counts it as confirmed on chain, else undefined. */
  confirmed(recordId: bigint): DepositRecord | undefined;
}

/** Default most records one checkpoint credits. */
export const MAX_DEPOSITS_PER_CHECKPOINT = 256;

const ADDRESS = /^0x[0-9a-f]{40}$/;
const U256 = 1n << 256n;

/**
 * Whether `records` is well-formed for a checkpoint value: an array of at most `max` records with
 * consecutive ids, lower-case addresses, amounts in 1..2^256−1 and ids below 2^256.
 */
export function wellFormedDeposits(records: unknown, max: number): records is DepositRecord[] {
  if (!Array.isArray(records) || records.length > max) return false;
  let prev: bigint | undefined;
  for (const d of records as unknown[]) {
    if (typeof d !== "object" || d === null) return false;
    const r = d as Record<string, unknown>;
    if (typeof r.recordId !== "bigint" || r.recordId < 0n || r.recordId >= U256) return false;
    if (prev !== undefined && r.recordId !== prev + 1n) return false;
    prev = r.recordId;
    if (typeof r.account !== "string" || !ADDRESS.test(r.account) || typeof r.token !== "string" || !ADDRESS.test(r.token)) return false;
    if (typeof r.amount !== "bigint" || r.amount <= 0n || r.amount >= U256) return false;
  }
  return true;
}

/**
 * keccak256 of the records' ABI encoding, `abi.encode` of each record's (uint256 recordId, address
 * account, address token, uint256 amount) concatenated: 128 bytes per record (keccak256 of no bytes
 * for none).
 */
export function depositsDigest(records: readonly DepositRecord[]): Uint8Array {
  const buf = new Uint8Array(128 * records.length);
  records.forEach((d, i) => {
    buf.set(word(d.recordId), 128 * i);
    buf.set(Buffer.from(d.account.slice(2), "hex"), 128 * i + 32 + 12);
    buf.set(Buffer.from(d.token.slice(2), "hex"), 128 * i + 64 + 12);
    buf.set(word(d.amount), 128 * i + 96);
  });
  return keccak256(buf);
}

/** Whether two records are the same record (all four fields). */
export function sameDeposit(a: DepositRecord, b: DepositRecord): boolean {
  return a.recordId === b.recordId && a.account.toLowerCase() === b.account.toLowerCase() && a.token.toLowerCase() === b.token.toLowerCase() && a.amount === b.amount;
}

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
