/**
 * Certified receipts on chain (`Adjudicator.moveReceipt`): the outbox leaf of a source channel's exit
 * tree (`src/core/receipts.ts`) with its Merkle proof, built from the source engine at the certified
 * checkpoint, in the contract's shape. The client call is `AdjudicatorClient.moveReceipt`.
 */
import { SettlementError } from "./errors.js";
import type { Hex } from "../runtime/bytes.js";
import type { Engine } from "../core/engine.js";
import { exitLeaves, exitRoot, outboxProof } from "../core/exit.js";
import { outboxLeaves, type OutboxLeaf } from "../core/receipts.js";
import { CertificateError, type Certificate } from "./certificate.js";

/** A proof-carrying outbox leaf: the engine's leaf and its siblings in the whole exit tree. */
export interface OutboxLeafWithProof {
  leaf: OutboxLeaf;
  proof: readonly Hex[];
}

/** The contract's `OutboxLeaf` tuple. */
export interface ContractOutboxLeaf {
  toChannel: Hex;
  account: Hex;
  token: Hex;
  cumulativeSent: bigint;
}

/**
 * The outbox leaf of `account`'s receipts of `token` (engine ids: the account id and token symbol) to
 * `toChannel` in `source`'s current state, with its proof. When `cert` is given, the engine must be
 * at that checkpoint (its exit root equal to the certified one), or the proof could not check.
 * @throws Error if the account sent nothing of the token to `toChannel`, or the roots differ
 */
export function outboxReceipt(source: Engine, toChannel: string, account: string, token: string, cert?: Certificate): OutboxLeafWithProof {
  const leaves = exitLeaves(source.state);
  const outbox = outboxLeaves(source.state);
  const root = exitRoot(leaves, outbox);
  if (cert !== undefined && root !== cert.checkpoint.exitRoot.toLowerCase()) {
    throw new SettlementError("MISMATCH", `outboxReceipt: the source engine's exit root ${root} is not the certified ${cert.checkpoint.exitRoot} (height ${cert.checkpoint.height})`);
  }
  const index = outbox.findIndex((o) => o.toChannel === toChannel.toLowerCase() && o.account === account && o.token === token);
  if (index < 0) throw new SettlementError("NOT_FOUND", `outboxReceipt: ${account} sent no ${token} to ${toChannel}`);
  return { leaf: outbox[index]!, proof: outboxProof(leaves, outbox, index) as Hex[] };
}

export function toContractOutboxLeaf(leaf: OutboxLeaf): ContractOutboxLeaf {
  const address = (v: string, field: string): Hex => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new CertificateError("INVALID_LEAF", `${field} must be an address, got ${v}`);
    return v.toLowerCase() as Hex;
  };
  if (!/^0x[0-9a-fA-F]{64}$/.test(leaf.toChannel)) throw new CertificateError("INVALID_LEAF", `toChannel must be bytes32, got ${leaf.toChannel}`);
  if (typeof leaf.sent !== "bigint" || leaf.sent < 0n || leaf.sent >= 1n << 256n) throw new CertificateError("INVALID_LEAF", "cumulativeSent must be a uint256");
  return { toChannel: leaf.toChannel.toLowerCase() as Hex, account: address(leaf.accountAddress, "account"), token: address(leaf.tokenAddress, "token"), cumulativeSent: leaf.sent };
}
