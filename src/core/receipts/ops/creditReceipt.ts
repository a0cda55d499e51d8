/**
 * The `creditReceipt` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { hexToBytes } from "@noble/hashes/utils.js";
import { invariant, reject } from "../../errors.js";
import { credit, freeOf } from "../../ledger.js";
import { MAX_AMOUNT } from "../../math.js";
import { processProof, toHex } from "../../merkle.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { CreditReceiptResult } from "../../receipts.js";
import { BYTES32, MAX_RECEIPT_PROOF_LENGTH, netReceipts, outboxLeafHash, requireBytes32, SIGNATURE, totalsOf } from "../../receipts.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount, requireInt, requireToken } from "../../validate.js";

/**
 * Inbox: credits `account` with `cumulativeSent` minus what was already credited from `fromChannel`,
 * given that channel's certified checkpoint (`height`, `stateRoot`, `exitRoot`, `time`, ms; and q of
 * its participants' 65-byte `signatures`, 0x-hex) and the Merkle `proof` (bytes32 siblings, 0x-hex)
 * of the outbox leaf (this channel, account, token, cumulativeSent) under `exitRoot`.
 */
export interface CreditReceiptParameters {
  type: "creditReceipt";
  account: string;
  fromChannel: string;
  token: string;
  cumulativeSent: bigint;
  height: number;
  stateRoot: string;
  exitRoot: string;
  time: number;
  signatures: string[];
  proof: string[];
}

/** What an accepted `creditReceipt` returns besides `status`. */
export type CreditReceiptReturnType = CreditReceiptResult;

/** Every rejection code `creditReceipt` can return (checked by `test/ops.registry.test.ts`). */
export const creditReceiptErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "OVERFLOW",
  "UNKNOWN_CHANNEL",
  "INVALID_CERTIFICATE",
  "INVALID_PROOF",
  "RECEIPT_ALREADY_CREDITED",
] as const;
export type CreditReceiptErrorType = OpErrorType<typeof creditReceiptErrorCodes>;

/** Inbox: credits `cumulativeSent − credited` once the proof checks against the certified exit root. */
export function applyCreditReceipt(state: EngineState, op: CreditReceiptParameters): Accepted<CreditReceiptResult> {
  const r = state.receipts;
  const account = requireAccount(state, op.account, "account");
  const fromChannel = requireBytes32(op.fromChannel, "fromChannel");
  const link = r.links.get(fromChannel);
  if (link === undefined || r.self === undefined) reject("UNKNOWN_CHANNEL", `fromChannel ${fromChannel} is not a linked channel`);
  const token = requireToken(state, op.token, "token");
  const cumulativeSent = requireAmount(op.cumulativeSent, "cumulativeSent");
  requireInt(op.height, "height", 0, Number.MAX_SAFE_INTEGER);
  requireInt(op.time, "time", 0, Number.MAX_SAFE_INTEGER);
  requireBytes32(op.stateRoot, "stateRoot", "INVALID_CERTIFICATE");
  const exitRoot = requireBytes32(op.exitRoot, "exitRoot", "INVALID_CERTIFICATE");
  const sigs = op.signatures as unknown;
  if (!Array.isArray(sigs) || sigs.length < link.quorum || sigs.length > link.participants.length) {
    reject("INVALID_CERTIFICATE", `a certificate of ${fromChannel} carries ${link.quorum}..${link.participants.length} signatures`);
  }
  for (const s of sigs as unknown[]) if (typeof s !== "string" || !SIGNATURE.test(s)) reject("INVALID_CERTIFICATE", "signatures must be 65 bytes, lower-case 0x-hex");
  const proof = op.proof as unknown;
  if (!Array.isArray(proof) || proof.length > MAX_RECEIPT_PROOF_LENGTH) reject("INVALID_PROOF", `proof must be at most ${MAX_RECEIPT_PROOF_LENGTH} siblings`);
  for (const p of proof as unknown[]) if (typeof p !== "string" || !BYTES32.test(p)) reject("INVALID_PROOF", "proof siblings must be bytes32, lower-case 0x-hex");
  const leaf = outboxLeafHash({ toChannel: r.self, accountAddress: account.address, tokenAddress: token.address, sent: cumulativeSent });
  const root = processProof(
    leaf,
    (proof as string[]).map((p) => hexToBytes(p.slice(2))),
  );
  if (toHex(root) !== exitRoot) reject("INVALID_PROOF", `no outbox leaf (${r.self}, ${account.address}, ${token.address}, ${cumulativeSent}) under exit root ${exitRoot}`);
  const key = `${fromChannel}|${account.id}|${token.symbol}`;
  const already = r.credited.get(key) ?? 0n;
  if (cumulativeSent <= already) reject("RECEIPT_ALREADY_CREDITED", `${already} of the ${cumulativeSent} sent is already credited`);
  const amount = cumulativeSent - already;
  const totals = state.totals.get(token.symbol);
  invariant(totals !== undefined, `token ${token.symbol} has no totals`);
  if (totals.deposited - totals.withdrawn + netReceipts(state, token.symbol) + amount > MAX_AMOUNT) {
    reject("OVERFLOW", `receipt would put more than 2^128-1 of ${token.symbol} in the engine`);
  }
  // ── mutation ──
  r.credited.set(key, cumulativeSent);
  totalsOf(r, token.symbol).receivedIn += amount;
  credit(state, account, token.symbol, amount);
  r.dirty = true;
  return { status: "accepted", balance: freeOf(account, token.symbol), credited: amount };
}

export const creditReceiptOp = defineOp<CreditReceiptParameters, CreditReceiptReturnType>({
  type: "creditReceipt",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("fromChannel", "string"),
    req("token", "string"),
    req("cumulativeSent", "amount"),
    req("height", "int"),
    req("stateRoot", "string"),
    req("exitRoot", "string"),
    req("time", "int"),
    req("signatures", "hexes"),
    req("proof", "hexes"),
  ],
  handler: applyCreditReceipt,
  rejects: creditReceiptErrorCodes,
  docs: {
    section: "core",
    summary: "the source channel's certified checkpoint (`height`, `stateRoot`, `exitRoot`, `time` ms, `signatures` 65-byte 0x-hex) and the outbox leaf's Merkle `proof` (bytes32 0x-hex)",
    result: "`balance` (free, after), `credited` (cumulativeSent − credited before)",
  },
});
