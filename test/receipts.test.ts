/**
 * Certified receipts (src/core/receipts.ts, src/channel/receipts.ts) on bare engines with real
 * secp256k1 certificates: the outbox in the exit tree, the inbox's checks, credited-once counters,
 * conservation across two channels, and the contract's exit-leaf hash never matching an outbox leaf.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import { exitLeafHash, exitLeaves, exitProof, exitRoot, outboxProof } from "../src/core/exit.js";
import { processProof, toHex } from "../src/core/merkle.js";
import { OUTBOX_LEAF_TAG, outboxLeafHash, outboxLeaves } from "../src/core/receipts.js";
import type { CreditReceiptOp, Op } from "../src/core/ops.js";
import { domainSeparator } from "../src/channel/batch.js";
import type { CheckpointCertificate } from "../src/channel/checkpoint.js";
import { checkpointDigest, type CheckpointMessage } from "../src/channel/checkpointTypes.js";
import type { Hex, Signer } from "../src/channel/identity.js";
import { creditReceiptFor, receiptCertificateRejection } from "../src/channel/receipts.js";
import { applyBatch } from "../src/channel/tentative.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { signers } from "./channel.helpers.js";
import { setup, type Fixture } from "./settlement.helpers.js";

const A = ("0x" + "aa".repeat(32)) as Hex;
const B = ("0x" + "bb".repeat(32)) as Hex;
const CONTRACT_A = ("0x" + "a1".repeat(20)) as Hex;
const CONTRACT_B = ("0x" + "b1".repeat(20)) as Hex;
const ss = signers(5); // 0..3 participants of A, 4 an outsider
const members = ss.slice(0, 4);
const owner = members[0]!.address;

function engineOf(self: Hex, other: Hex, otherContract: Hex): Engine {
  const e = new Engine();
  const ops: Op[] = [
    { type: "createToken", symbol: "USDC", decimals: 6 },
    { type: "createToken", symbol: "WETH", decimals: 18 },
    { type: "linkChannel", channel: other, self, chainId: 31337, verifyingContract: otherContract, participants: members.map((s) => s.address), quorum: 3 },
  ];
  for (const s of members) ops.push({ type: "createAccount", account: s.address, address: s.address }, { type: "deposit", account: s.address, token: "USDC", amount: 1_000_000n });
  for (const op of ops) expect(e.apply(op).status).toBe("accepted");
  return e;
}

function certify(engine: Engine, channelId: Hex, contract: Hex, by: readonly Signer[], height = 1): CheckpointCertificate {
  const checkpoint: CheckpointMessage = { channelId, height, stateRoot: engine.stateRoot() as Hex, exitRoot: engine.exitRoot() as Hex, time: 1_763_700_000_000 + height };
  const digest = checkpointDigest(domainSeparator({ chainId: 31337, verifyingContract: contract }), checkpoint);
  return { checkpoint, heads: [], signatures: by.map((s) => ({ signer: s.address, signature: s.sign(digest) })).sort((x, y) => (x.signer < y.signer ? -1 : 1)) };
}

/** Through the channel's path (signature check, then the engine), as the owner's batch. */
function credit(dest: Engine, op: CreditReceiptOp) {
  return applyBatch(dest, [op], owner)[0]!;
}

describe("outbox: sendReceipt", () => {
  it("debits, counts cumulatively, leaves account.withdrawn alone, conserves, and puts a provable leaf in the exit tree", () => {
    const a = engineOf(A, B, CONTRACT_B);
    const before = a.exitRoot();
    expect(before).toBe(exitRoot(exitLeaves(a.state))); // no outbox: the tree as before
    expect(a.sendReceipt({ account: owner, toChannel: B, token: "USDC", amount: 300n })).toMatchObject({ status: "accepted", balance: 999_700n, cumulativeSent: 300n });
    expect(a.sendReceipt({ account: owner, toChannel: B, token: "USDC", amount: 200n })).toMatchObject({ status: "accepted", cumulativeSent: 500n });
    expect(a.sentOf(B, owner, "USDC")).toBe(500n);
    expect(a.state.accounts.get(owner)!.withdrawn.size).toBe(0);
    expect(a.checkConservation().ok).toBe(true);
    const usdc = a.checkConservation().tokens.find((t) => t.token === "USDC")!;
    expect(usdc.expected).toBe(4_000_000n - 500n);
    const leaves = exitLeaves(a.state);
    const outbox = outboxLeaves(a.state);
    expect(outbox).toEqual([{ toChannel: B, account: owner, accountAddress: owner, token: "USDC", tokenAddress: a.getToken("USDC")!.address, sent: 500n }]);
    const root = a.exitRoot();
    expect(root).not.toBe(before);
    expect(root).toBe(exitRoot(leaves, outbox));
    // the outbox leaf and every exit leaf prove against the same root
    const p = outboxProof(leaves, outbox, 0).map((h) => hexToBytes(h.slice(2)));
    expect(toHex(processProof(outboxLeafHash(outbox[0]!), p))).toBe(root);
    leaves.forEach((leaf, i) => expect(toHex(processProof(exitLeafHash(leaf), exitProof(leaves, i, outbox).map((h) => hexToBytes(h.slice(2)))))).toBe(root));
  });

  it("rejects an unlinked destination, more than the free balance, and zero", () => {
    const a = engineOf(A, B, CONTRACT_B);
    expect(a.sendReceipt({ account: owner, toChannel: ("0x" + "cc".repeat(32)) as Hex, token: "USDC", amount: 1n })).toMatchObject({ code: "UNKNOWN_CHANNEL" });
    expect(a.sendReceipt({ account: owner, toChannel: B, token: "USDC", amount: 1_000_001n })).toMatchObject({ code: "INSUFFICIENT_BALANCE" });
    expect(a.sendReceipt({ account: owner, toChannel: B, token: "USDC", amount: 0n })).toMatchObject({ code: "INVALID_AMOUNT" });
  });

  it("linkChannel: quorum must exceed 2/3, and a channel has one name", () => {
    const e = new Engine();
    const base = { type: "linkChannel", channel: A, self: B, chainId: 1, verifyingContract: CONTRACT_A, participants: members.map((s) => s.address) } as const;
    expect(e.apply({ ...base, quorum: 2 })).toMatchObject({ code: "INVALID_OP" });
    expect(e.apply({ ...base, quorum: 3 }).status).toBe("accepted");
    expect(e.apply({ ...base, channel: ("0x" + "cc".repeat(32)) as Hex, self: A, quorum: 3 })).toMatchObject({ code: "INVALID_OP" });
    expect(applyBatch(e, [{ ...base, channel: ("0x" + "dd".repeat(32)) as Hex, quorum: 3 }], owner)[0]).toMatchObject({ code: "NOT_PERMITTED" });
  });
});

describe("inbox: creditReceipt", () => {
  const setupPair = () => {
    const a = engineOf(A, B, CONTRACT_B);
    const b = engineOf(B, A, CONTRACT_A);
    expect(a.sendReceipt({ account: owner, toChannel: B, token: "USDC", amount: 700n }).status).toBe("accepted");
    return { a, b, cert: certify(a, A, CONTRACT_A, members.slice(0, 3)) };
  };

  it("credits exactly the certified amount once; a replay credits nothing; a later receipt credits only the difference", () => {
    const { a, b, cert } = setupPair();
    const op = creditReceiptFor(a, cert, B, owner, "USDC");
    expect(op.cumulativeSent).toBe(700n);
    expect(credit(b, op)).toMatchObject({ status: "accepted", credited: 700n, balance: 1_000_700n });
    expect(credit(b, op)).toMatchObject({ status: "rejected", code: "RECEIPT_ALREADY_CREDITED" });
    expect(b.balanceOf(owner, "USDC")).toBe(1_000_700n);
    // more is sent; the older certificate still credits nothing, the newer one the difference only
    expect(a.sendReceipt({ account: owner, toChannel: B, token: "USDC", amount: 50n }).status).toBe("accepted");
    const cert2 = certify(a, A, CONTRACT_A, members.slice(1, 4), 2);
    expect(credit(b, op)).toMatchObject({ code: "RECEIPT_ALREADY_CREDITED" });
    expect(credit(b, creditReceiptFor(a, cert2, B, owner, "USDC"))).toMatchObject({ status: "accepted", credited: 50n, balance: 1_000_750n });
    expect(b.creditedOf(A, owner, "USDC")).toBe(750n);
    // conservation in each channel, and across both: Σ sent = Σ credited
    expect(a.checkConservation().ok).toBe(true);
    expect(b.checkConservation().ok).toBe(true);
    const held = (e: Engine) => e.checkConservation().tokens.find((t) => t.token === "USDC")!.actual;
    expect(held(a) + held(b)).toBe(8_000_000n);
  });

  it("rejects forged certificates: a bad signature, a non-participant, under quorum, a duplicate signer, another channel's certificate", () => {
    const { a, b, cert } = setupPair();
    const good = creditReceiptFor(a, cert, B, owner, "USDC");
    const flip = (s: string) => s.slice(0, 10) + (s[10] === "0" ? "1" : "0") + s.slice(11);
    const outsider = certify(a, A, CONTRACT_A, [members[0]!, members[1]!, ss[4]!]);
    const cases: [string, CreditReceiptOp, string][] = [
      ["bad signature", { ...good, signatures: [flip(good.signatures[0]!), ...good.signatures.slice(1)] }, "INVALID_CERTIFICATE"],
      ["non-participant", creditReceiptFor(a, outsider, B, owner, "USDC"), "INVALID_CERTIFICATE"],
      ["under quorum", { ...good, signatures: good.signatures.slice(0, 2) }, "INVALID_CERTIFICATE"],
      ["duplicate signer", { ...good, signatures: [good.signatures[0]!, good.signatures[0]!, good.signatures[1]!] }, "INVALID_CERTIFICATE"],
      // signed by A's participants under B's domain / another channel id: recovers to other addresses
      ["other domain", creditReceiptFor(a, certify(a, A, CONTRACT_B, members.slice(0, 3)), B, owner, "USDC"), "INVALID_CERTIFICATE"],
      ["other channel", { ...creditReceiptFor(a, certify(a, ("0x" + "cc".repeat(32)) as Hex, CONTRACT_A, members.slice(0, 3)), B, owner, "USDC"), fromChannel: A }, "INVALID_CERTIFICATE"],
      ["unlinked channel", { ...good, fromChannel: ("0x" + "cc".repeat(32)) as Hex }, "UNKNOWN_CHANNEL"],
      ["more than certified", { ...good, cumulativeSent: 701n }, "INVALID_PROOF"],
      ["another account's leaf", { ...good, account: members[1]!.address }, "NOT_PERMITTED"],
      ["wrong root", { ...good, exitRoot: a.stateRoot() }, "INVALID_CERTIFICATE"],
      ["proof too long", { ...good, proof: Array.from({ length: 65 }, () => good.exitRoot) }, "INVALID_PROOF"],
    ];
    for (const [name, op, code] of cases) expect(credit(b, op), name).toMatchObject({ status: "rejected", code });
    // the core alone (no signature check) still refuses a forged root, and the channel check is what stops a forged signature
    expect(b.creditReceipt({ ...good, cumulativeSent: 701n })).toMatchObject({ code: "INVALID_PROOF" });
    expect(receiptCertificateRejection(b, { ...good, signatures: [flip(good.signatures[0]!), ...good.signatures.slice(1)] })).toMatchObject({ code: "INVALID_CERTIFICATE" });
    expect(b.balanceOf(owner, "USDC")).toBe(1_000_000n);
    expect(credit(b, good)).toMatchObject({ status: "accepted", credited: 700n });
  });

  it("a receipt sent to another channel cannot be credited here", () => {
    const C = ("0x" + "cc".repeat(32)) as Hex;
    const a = engineOf(A, B, CONTRACT_B);
    expect(a.apply({ type: "linkChannel", channel: C, self: A, chainId: 31337, verifyingContract: CONTRACT_B, participants: members.map((s) => s.address), quorum: 3 }).status).toBe("accepted");
    expect(a.sendReceipt({ account: owner, toChannel: C, token: "USDC", amount: 10n }).status).toBe("accepted");
    const b = engineOf(B, A, CONTRACT_A);
    const forC = creditReceiptFor(a, certify(a, A, CONTRACT_A, members.slice(0, 3)), C, owner, "USDC");
    expect(credit(b, forC)).toMatchObject({ code: "INVALID_PROOF" });
  });
});

describe("the contract never takes an outbox leaf for an exit leaf", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setup();
  }, 120_000);
  afterAll(async () => {
    await f.chain.close();
  });

  it("leafHash(ExitLeaf) of the exit leaves built from an outbox entry's words differs from the outbox leaf hash", async () => {
    const account = f.parties[0]!.address.toLowerCase();
    const tokenAddress = f.usdc.address.toLowerCase();
    const sent = 123_456n;
    const outboxHash = toHex(outboxLeafHash({ toChannel: B, accountAddress: account, tokenAddress, sent }));
    const tag = BigInt(toHex(OUTBOX_LEAF_TAG));
    for (const withdrawn of [0n, sent, tag, BigInt(B)]) {
      const leaf = { account: "x", accountAddress: account, token: "USDC", tokenAddress, amount: sent, withdrawn };
      const onChain = await f.adjudicator.leafHash(leaf);
      expect(onChain).toBe(toHex(exitLeafHash(leaf)));
      expect(onChain).not.toBe(outboxHash);
    }
  });
});
