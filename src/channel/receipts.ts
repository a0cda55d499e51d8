/**
 * The channel half of certified receipts (`src/core/receipts.ts`): checking a `creditReceipt`'s
 * certificate signatures, and building a `creditReceipt` from a source channel's certificate.
 *
 * **Signature check** ({@link receiptCertificateRejection}): the op's checkpoint
 * `Checkpoint{channelId = fromChannel, height, stateRoot, exitRoot, time}` is hashed as EIP-712 under
 * the *source* channel's domain (`chainId`, `verifyingContract` of the link, name "Semilattice",
 * version "1": exactly what the source's replicas sign, `checkpointTypes.ts`), and every signature
 * must recover (low s, v ∈ {27, 28}) to a participant of the link, all distinct, at least `quorum` of
 * them. Any failure rejects `INVALID_CERTIFICATE`. It runs in `applyBatch` (`tentative.ts`), the one
 * path by which a batch op reaches an engine — tentative and final (`checkpoint.ts`) alike — so
 * every replica decides the same. It is a pure function of the engine's state (the link) and the
 * op: deterministic. The core then checks the proof against the certified exit root and the
 * credited counter.
 *
 * A certificate of another channel fails here: its signers are not the link's participants (or, with
 * the same participants, its digest names another channelId or domain, so the signatures recover to
 * other addresses).
 */
import { SemilatticeError } from "../core/errors.js";
import type { Engine } from "../core/engine.js";
import type { CreditReceiptOp } from "../core/ops.js";
import type { Rejected } from "../core/results.js";
import { exitLeaves, outboxProof } from "../core/exit.js";
import { outboxLeaves } from "../core/receipts.js";
import { domainSeparator, toHex } from "./batch.js";
import type { CheckpointCertificate } from "./checkpoint.js";
import { checkpointDigest } from "./checkpointTypes.js";
import { recoverAddress, type Hex } from "./identity.js";

const BYTES32 = /^0x[0-9a-f]{64}$/;
const SIGNATURE = /^0x[0-9a-f]{130}$/;

/**
 * Why `op`'s certificate is not signed by a quorum of the linked source channel's participants, or
 * undefined when it is — or when the op is malformed or names no linked channel, which the engine
 * itself rejects with its own code. Never throws.
 */
export function receiptCertificateRejection(engine: Engine, op: CreditReceiptOp): Rejected | undefined {
  const link = typeof op.fromChannel === "string" ? engine.linkedChannel(op.fromChannel) : undefined;
  if (link === undefined) return undefined;
  const sigs = op.signatures as unknown;
  if (!Array.isArray(sigs) || sigs.length > link.participants.length || !sigs.every((s) => typeof s === "string" && SIGNATURE.test(s))) return undefined;
  if (typeof op.stateRoot !== "string" || !BYTES32.test(op.stateRoot) || typeof op.exitRoot !== "string" || !BYTES32.test(op.exitRoot)) return undefined;
  if (!Number.isSafeInteger(op.height) || op.height < 0 || !Number.isSafeInteger(op.time) || op.time < 0) return undefined;
  const digest = checkpointDigest(domainSeparator({ chainId: link.chainId, verifyingContract: link.verifyingContract as Hex }), {
    channelId: link.channelId as Hex,
    height: op.height,
    stateRoot: op.stateRoot as Hex,
    exitRoot: op.exitRoot as Hex,
    time: op.time,
  });
  const seen = new Set<string>();
  for (const s of sigs as string[]) {
    const signer = recoverAddress(digest, Buffer.from(s.slice(2), "hex"));
    if (signer === undefined || !link.participants.includes(signer)) {
      return { status: "rejected", code: "INVALID_CERTIFICATE", message: `a signature of the certificate is not by a participant of ${link.channelId}` };
    }
    if (seen.has(signer)) return { status: "rejected", code: "INVALID_CERTIFICATE", message: `${signer} signed the certificate twice` };
    seen.add(signer);
  }
  if (seen.size < link.quorum) {
    return { status: "rejected", code: "INVALID_CERTIFICATE", message: `${seen.size} signatures, the quorum of ${link.channelId} is ${link.quorum}` };
  }
  return undefined;
}

/**
 * The `creditReceipt` op that credits, in channel `toChannel`, everything `account` has sent there
 * of `token` up to the certified checkpoint: `source` must be the source channel's engine at exactly
 * that checkpoint (its exit root is the certificate's; e.g. `Checkpointer.getFinalState()` when
 * `cert` is the latest certificate). `tokenInDest` is the token's symbol in the destination
 * (default: the same symbol; the token's address must be the same in both channels).
 * Throws Error if the source's exit root is not the certificate's or nothing was sent.
 */
export function creditReceiptFor(
  source: Engine,
  cert: CheckpointCertificate,
  toChannel: string,
  account: string,
  token: string,
  tokenInDest: string = token,
): CreditReceiptOp {
  if (source.exitRoot() !== cert.checkpoint.exitRoot) throw new SemilatticeError("NOT_AT_CHECKPOINT", "creditReceiptFor: the source engine is not at the certified checkpoint");
  const leaves = exitLeaves(source.state);
  const outbox = outboxLeaves(source.state);
  const index = outbox.findIndex((o) => o.toChannel === toChannel && o.account === account && o.token === token);
  if (index < 0) throw new SemilatticeError("NO_RECEIPT", `creditReceiptFor: ${account} sent no ${token} to ${toChannel} by height ${cert.checkpoint.height}`);
  const cp = cert.checkpoint;
  return {
    type: "creditReceipt",
    account,
    fromChannel: cp.channelId,
    token: tokenInDest,
    cumulativeSent: outbox[index]!.sent,
    height: cp.height,
    stateRoot: cp.stateRoot,
    exitRoot: cp.exitRoot,
    time: cp.time,
    signatures: cert.signatures.map((s) => toHex(s.signature)),
    proof: outboxProof(leaves, outbox, index),
  };
}
