/**
 * The `linkChannel` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { isAddress } from "../../address.js";
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import { MAX_LINK_PARTICIPANTS, MAX_LINKED_CHANNELS, requireBytes32 } from "../../receipts.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireInt } from "../../validate.js";

/* ───────────────────────────── cross-channel receipts (receipts.ts) ───────────────────────────── */

/**
 * Genesis op: this channel (`self`, bytes32) accepts certified receipts from `channel` (bytes32), whose
 * checkpoints are EIP-712 signed under `{chainId, verifyingContract}` by its `participants`
 * (addresses); a certificate needs `quorum` (> 2/3 of them) distinct signatures. Receipts may be sent
 * only to linked channels.
 */
export interface LinkChannelParameters {
  type: "linkChannel";
  channel: string;
  self: string;
  chainId: number;
  verifyingContract: string;
  participants: string[];
  quorum: number;
}

/** What an accepted `linkChannel` returns besides `status`. */
export type LinkChannelReturnType = { channel: string };

/** Every rejection code `linkChannel` can return (checked by `test/ops.registry.test.ts`). */
export const linkChannelErrorCodes = ["INVALID_OP", "INVALID_ID", "ALREADY_EXISTS", "LIMIT_EXCEEDED"] as const;
export type LinkChannelErrorType = OpErrorType<typeof linkChannelErrorCodes>;

/* ───────────────────────────── ops ───────────────────────────── */

/** Genesis op: accept certified receipts from `channel`; names this channel `self`. */
export function applyLinkChannel(state: EngineState, op: LinkChannelParameters): Accepted<{ channel: string }> {
  const r = state.receipts;
  const channel = requireBytes32(op.channel, "channel");
  const self = requireBytes32(op.self, "self");
  if (channel === self) reject("INVALID_OP", "a channel cannot link itself");
  if (r.self !== undefined && r.self !== self) reject("INVALID_OP", `this channel is already named ${r.self}`);
  const chainId = requireInt(op.chainId, "chainId", 0, Number.MAX_SAFE_INTEGER);
  if (typeof op.verifyingContract !== "string" || !isAddress(op.verifyingContract)) reject("INVALID_ID", "verifyingContract must be 0x followed by 40 hex digits");
  if (!Array.isArray(op.participants) || op.participants.length === 0 || op.participants.length > MAX_LINK_PARTICIPANTS) {
    reject("INVALID_OP", `participants must be 1..${MAX_LINK_PARTICIPANTS} addresses`);
  }
  const participants: string[] = [];
  for (const p of op.participants as unknown[]) {
    if (typeof p !== "string" || !isAddress(p)) reject("INVALID_ID", "participants must be addresses (0x + 40 hex digits)");
    participants.push(p.toLowerCase());
  }
  if (new Set(participants).size !== participants.length) reject("INVALID_OP", "participants must be distinct");
  const quorum = requireInt(op.quorum, "quorum", 1, participants.length);
  // A BFT certificate: q > 2n/3, so two conflicting certificates share an honest signer.
  if (3 * quorum <= 2 * participants.length) reject("INVALID_OP", `quorum ${quorum} must exceed 2/3 of ${participants.length} participants`);
  if (r.links.has(channel)) reject("ALREADY_EXISTS", `channel ${channel} is already linked`);
  if (r.links.size >= MAX_LINKED_CHANNELS) reject("LIMIT_EXCEEDED", `at most ${MAX_LINKED_CHANNELS} linked channels`);
  // ── mutation ──
  r.self = self;
  r.links.set(channel, { channelId: channel, chainId, verifyingContract: op.verifyingContract.toLowerCase(), participants, quorum });
  r.dirty = true;
  return { status: "accepted", channel };
}

export const linkChannelOp = defineOp<LinkChannelParameters, LinkChannelReturnType>({
  type: "linkChannel",
  kind: "genesis",
  fields: [
    req("channel", "string"),
    req("self", "string"),
    req("chainId", "int"),
    req("verifyingContract", "string"),
    req("participants", "strings"),
    req("quorum", "int"),
  ],
  handler: applyLinkChannel,
  rejects: linkChannelErrorCodes,
  docs: {
    section: "core",
    summary: "genesis: receipts certified by `quorum` (> 2/3) of the linked channel's `participants` (addresses) under its EIP-712 domain (`chainId`, `verifyingContract`) are accepted",
    result: "`channel`",
  },
});
