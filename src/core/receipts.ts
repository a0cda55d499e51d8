/**
 * Certified receipts between channels (DESIGN §7 "cross-shard transfers by certified receipts"): how
 * value leaves one channel and enters another without the two ever being sequenced together.
 *
 * **Outbox (source channel).** `sendReceipt {account, toChannel, token, amount}` debits the account's
 * free balance and adds `amount` to the cumulative counter `sent[toChannel, account, token]`. The
 * value leaves this channel as a withdrawal does (conservation: `sentOut` is subtracted like
 * `withdrawn`), but it is *not* added to the account's `withdrawn`, so the settlement contract never
 * pays it out here. Every counter is a leaf of the channel's exit tree (`exit.ts`), so a checkpoint
 * certificate of this channel (q EIP-712 `Checkpoint` signatures over its exitRoot) certifies it.
 *
 * **Outbox leaf.** keccak256(keccak256(abi.encode(bytes32 OUTBOX_LEAF_TAG, bytes32 toChannel,
 * address account, address token, uint256 cumulativeSent))): five 32-byte words, 160 bytes, where an
 * exit leaf is abi.encode of four words, 128 bytes. The contract's `leafHash(ExitLeaf)` hashes
 * exactly 128 bytes, so an outbox leaf equals an exit leaf only if keccak256 has a collision between
 * a 160-byte and a 128-byte preimage: an outbox entry can never be claimed as an exit (and an exit
 * leaf never credited as a receipt, for the same reason the other way round). The double hash keeps
 * the OpenZeppelin argument that a leaf is never an inner node (inner nodes hash 64 bytes once).
 * The tag (keccak256 of "semilattice.outbox.v1") separates the encoding from any other 5-word leaf a
 * later version might add. Tree order: the exit leaves as before, then the outbox leaves sorted by
 * (toChannel, account address, token address); a channel that never sent keeps its old exit root.
 *
 * **Inbox (destination channel).** `creditReceipt {account, fromChannel, token, cumulativeSent,
 * height, stateRoot, exitRoot, time, signatures, proof}` carries the source checkpoint (the
 * `Checkpoint{channelId = fromChannel, height, stateRoot, exitRoot, time}` message), its signatures
 * and the Merkle proof of the outbox leaf (toChannel = this channel, the account's and token's
 * addresses, cumulativeSent). Accepted only if `fromChannel` is a linked channel (`linkChannel`, a
 * genesis op: the source's channel id, EIP-712 domain, participants and quorum), the certificate has
 * between `quorum` and `participants` signatures, the proof recomputes the certified exitRoot, and
 * `cumulativeSent` exceeds what was already credited: it then credits `cumulativeSent − credited`
 * and records `credited = cumulativeSent`. A replayed or older receipt is rejected
 * `RECEIPT_ALREADY_CREDITED` and credits nothing: each unit sent is credited at most once, whatever
 * order or how often receipts arrive, and a later receipt covers every earlier one.
 *
 * **Who checks the signatures (layering).** Recovering secp256k1 signers is channel crypto
 * (`src/channel/identity.ts`, native libsecp256k1), which the core does not import. The core checks
 * everything else (link, counts, proof, counters) with keccak alone; the channel layer checks, before
 * the op reaches the engine, that the signatures recover to `quorum` distinct participants of the
 * link over the EIP-712 digest of the checkpoint under the source's domain (`src/channel/receipts.ts`,
 * called from `applyBatch` in `tentative.ts` — the path of every batch op, tentative and final, as
 * permission checks are). An engine used outside a channel trusts its caller for the signatures, as
 * it does for `deposit`.
 *
 * **Limits.** Proofs of at most {@link MAX_RECEIPT_PROOF_LENGTH} siblings, at most
 * {@link MAX_LINKED_CHANNELS} links, link participants at most {@link MAX_LINK_PARTICIPANTS}
 * (so at most that many signatures), quorum > 2n/3 of them.
 */
import { keccak256 } from "./keccak.js";
import { hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { reject } from "./errors.js";
import type { BalanceResult } from "./results.js";
import type { EngineState } from "./state.js";

export const MAX_LINKED_CHANNELS = 64;
export const MAX_LINK_PARTICIPANTS = 256;
/** Siblings in an outbox proof: a tree of up to 2^64 leaves. */
export const MAX_RECEIPT_PROOF_LENGTH = 64;

/** keccak256("semilattice.outbox.v1"): the first word of every outbox leaf. */
export const OUTBOX_LEAF_TAG = keccak256(utf8ToBytes("semilattice.outbox.v1"));

export const BYTES32 = /^0x[0-9a-f]{64}$/;
export const SIGNATURE = /^0x[0-9a-f]{130}$/;

/** A channel whose certified receipts this channel accepts. */
export interface LinkedChannel {
  /** bytes32 channel id, lower-case 0x-hex. */
  readonly channelId: string;
  /** EIP-712 domain of its checkpoints. */
  readonly chainId: number;
  readonly verifyingContract: string;
  /** Its participants' addresses, lower-case, distinct. */
  readonly participants: readonly string[];
  /** Signatures of distinct participants a certificate needs. */
  readonly quorum: number;
}

export interface ReceiptTotals {
  /** Σ sendReceipt amounts (value that left this channel for another). */
  sentOut: bigint;
  /** Σ amounts credited by creditReceipt (value that entered from another channel). */
  receivedIn: bigint;
}

export interface ReceiptsState {
  /** This channel's own id (set by the first `linkChannel`); receipts credited here must name it. */
  self: string | undefined;
  readonly links: Map<string, LinkedChannel>;
  /** Cumulative sent per `toChannel|account|token`. */
  readonly sent: Map<string, bigint>;
  /** Cumulative credited per `fromChannel|account|token` (the source's cumulativeSent last credited). */
  readonly credited: Map<string, bigint>;
  /** Per token symbol. */
  readonly totals: Map<string, ReceiptTotals>;
  /** Changed since the last state-root computation. */
  dirty: boolean;
}

export function createReceiptsState(): ReceiptsState {
  return { self: undefined, links: new Map(), sent: new Map(), credited: new Map(), totals: new Map(), dirty: false };
}

/** One outbox counter as an exit-tree leaf. */
export interface OutboxLeaf {
  toChannel: string;
  account: string;
  accountAddress: string;
  token: string;
  tokenAddress: string;
  /** Cumulative amount sent to `toChannel` by `account`, base units. */
  sent: bigint;
}

export interface CreditReceiptResult extends BalanceResult {
  /** Base units credited by this receipt (cumulativeSent − previously credited). */
  credited: bigint;
}

/* ───────────────────────────── queries and leaves ───────────────────────────── */

/** receivedIn − sentOut of `token`: the receipts' term in the conservation equation. */
export function netReceipts(state: EngineState, token: string): bigint {
  const t = state.receipts.totals.get(token);
  return t === undefined ? 0n : t.receivedIn - t.sentOut;
}

/** The outbox counters as exit-tree leaves, sorted by (toChannel, account address, token address). */
export function outboxLeaves(state: EngineState): OutboxLeaf[] {
  const out: OutboxLeaf[] = [];
  for (const [key, sent] of state.receipts.sent) {
    const [toChannel, account, token] = key.split("|") as [string, string, string];
    const accountAddress = state.accounts.get(account)?.address ?? "";
    const tokenAddress = state.tokens.get(token)?.address ?? "";
    out.push({ toChannel, account, accountAddress, token, tokenAddress, sent });
  }
  out.sort((a, b) => cmp(a.toChannel, b.toChannel) || cmp(a.accountAddress, b.accountAddress) || cmp(a.tokenAddress, b.tokenAddress));
  return out;
}

/** keccak256(keccak256(abi.encode(OUTBOX_LEAF_TAG, toChannel, account, token, sent))). */
export function outboxLeafHash(leaf: Pick<OutboxLeaf, "toChannel" | "accountAddress" | "tokenAddress" | "sent">): Uint8Array {
  const encoded = new Uint8Array(160);
  encoded.set(OUTBOX_LEAF_TAG, 0);
  encoded.set(hexToBytes(leaf.toChannel.slice(2)), 32);
  encoded.set(hexToBytes(leaf.accountAddress.slice(2)), 76);
  encoded.set(hexToBytes(leaf.tokenAddress.slice(2)), 108);
  encoded.set(hexToBytes(leaf.sent.toString(16).padStart(64, "0")), 128);
  return keccak256(keccak256(encoded));
}

/** Canonical text of the receipts state for the state root, or "" when never used. */
export function encodeReceipts(r: ReceiptsState): string {
  if (r.links.size === 0 && r.sent.size === 0 && r.credited.size === 0) return "";
  const links = [...r.links.values()]
    .sort((a, b) => cmp(a.channelId, b.channelId))
    .map((l) => `${l.channelId}/${l.chainId}/${l.verifyingContract}/${l.quorum}/${l.participants.join("+")}`);
  const map = (m: Map<string, bigint>): string =>
    [...m.keys()]
      .sort()
      .map((k) => `${k}=${m.get(k)}`)
      .join(",");
  return `${r.self ?? ""}|${links.join(",")}|s:${map(r.sent)}|c:${map(r.credited)}`;
}

export function totalsOf(r: ReceiptsState, token: string): ReceiptTotals {
  let t = r.totals.get(token);
  if (t === undefined) r.totals.set(token, (t = { sentOut: 0n, receivedIn: 0n }));
  return t;
}

export function requireBytes32(value: unknown, field: string, code: "INVALID_ID" | "INVALID_CERTIFICATE" = "INVALID_ID"): string {
  if (typeof value !== "string" || !BYTES32.test(value)) reject(code, `${field} must be bytes32: 0x followed by 64 lower-case hex digits`);
  return value;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
