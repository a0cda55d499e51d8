/**
 * Certified receipts settle on chain (`Adjudicator.moveReceipt`, `src/settlement/receipts.ts`): two
 * channels A and B on one adjudicator with the same USDC; A's engine sends receipts to B, A's
 * participants certify A's checkpoints, B's engine credits them through the channel path (real
 * signature checks), and the contract moves exactly the sent amounts from A's holdings to B's, once per
 * unit. Every rejection names its custom error; balances are asserted exactly in base units; at the
 * end both channels close and every exit leaf is paid in full from its own channel's holdings.
 */
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckpointCertificate } from "../src/channel/checkpoint.js";
import { checkpointDigest, type CheckpointMessage } from "../src/channel/checkpointTypes.js";
import { creditReceiptFor } from "../src/channel/receipts.js";
import { applyBatch } from "../src/channel/tentative.js";
import { Engine } from "../src/core/engine.js";
import { exitLeaves, exitProof } from "../src/core/exit.js";
import { outboxLeafHash, outboxLeaves } from "../src/core/receipts.js";
import { toHex } from "../src/core/merkle.js";
import { fromCheckpointCertificate, signClose, toContractCheckpoint, type Certificate } from "../src/settlement/certificate.js";
import { ETH_ADDRESS, type LeafWithProof } from "../src/settlement/client.js";
import { outboxReceipt, toContractOutboxLeaf, type OutboxLeafWithProof } from "../src/settlement/receipts.js";
import { ok, party, revertOf, setup, type Fixture, type Party } from "./settlement.helpers.js";

/**
 * Gas bounds: a moveReceipt that verifies a fresh 3-of-4 certificate and stores it (as `withdraw` does,
 * 156k in docs/settlement.md; measured 152,566 for the first move into a fresh `moved` slot), and a
 * move against a stored root without signatures (moveSettledReceipt: measured 77,434, a fresh `moved` slot).
 */
const MOVE_GAS_BOUND = 170_000n;
const SETTLED_MOVE_GAS_BOUND = 90_000n;
const USDC = (n: number): bigint => BigInt(n) * 1_000_000n;

interface Side {
  id: Hex;
  members: Party[];
  engine: Engine;
  height: number;
}

let f: Fixture;
let A: Side;
let B: Side;
let C: Hex; // a third open channel with USDC (a receipt's wrong destination)
let alice: Party;
let bob: Party;
let erin: Party;

/** The checkpoint of `side`'s engine now, signed by `by` (default: its first three members, quorum of 4). */
function certifyNow(side: Side, by: readonly Party[] = side.members.slice(0, 3), channelId: Hex = side.id): CheckpointCertificate {
  side.height += 1;
  const checkpoint: CheckpointMessage = {
    channelId,
    height: side.height,
    stateRoot: side.engine.stateRoot() as Hex,
    exitRoot: side.engine.exitRoot() as Hex,
    time: 1_767_225_600_000 + side.height,
  };
  const digest = checkpointDigest(f.adjudicator.domainSeparator, checkpoint);
  const signatures = by.map((p) => ({ signer: p.signer.address, signature: p.signer.sign(digest) })).sort((x, y) => (x.signer < y.signer ? -1 : 1));
  return { checkpoint, heads: [], signatures };
}

function engineFor(accounts: readonly Party[], self: Hex, other: Side | { id: Hex; members: Party[] }): Engine {
  const e = new Engine();
  ok(e.createToken({ symbol: "ETH", decimals: 18, address: ETH_ADDRESS }));
  ok(e.createToken({ symbol: "USDC", decimals: 6, address: f.usdc.address }));
  for (const p of accounts) ok(e.createAccount({ account: p.address.toLowerCase(), address: p.address }));
  ok(
    e.linkChannel({
      channel: other.id,
      self,
      chainId: f.chain.chainId,
      verifyingContract: f.adjudicator.address.toLowerCase(),
      participants: other.members.map((p) => p.address.toLowerCase()),
      quorum: 3,
    }),
  );
  return e;
}

async function openChannel(members: readonly Party[]): Promise<Hex> {
  const { channelId } = await f.adjudicator.open(f.relayer.account, {
    participants: members.map((p) => ({ address: p.address, roles: ["Trader", "MarketMaker"] })),
    quorum: 3,
    disputeWindowSeconds: 3600,
    bondWei: 0n,
    tokens: [ETH_ADDRESS, f.usdc.address],
  });
  return channelId;
}

async function depositBoth(side: Side, p: Party, amount: bigint): Promise<void> {
  await f.adjudicator.deposit(p.account, side.id, f.usdc.address, amount, p.address);
  ok(side.engine.deposit({ account: p.address.toLowerCase(), token: "USDC", amount }));
}

/** B credits `p`'s receipt through the channel path (signatures checked against A's participants). */
function creditInB(cert: CheckpointCertificate, p: Party): bigint {
  const op = creditReceiptFor(A.engine, cert, B.id, p.address.toLowerCase(), "USDC");
  const [result] = applyBatch(B.engine, [op], p.address.toLowerCase());
  expect(result).toMatchObject({ status: "accepted" });
  return (result as unknown as { credited: bigint }).credited;
}

const holdings = (id: Hex): Promise<bigint> => f.adjudicator.holdings(id, f.usdc.address);

async function expectHoldings(a: bigint, b: bigint): Promise<void> {
  expect(await holdings(A.id)).toBe(a);
  expect(await holdings(B.id)).toBe(b);
}

/** moveReceipt with explicit contract arguments (to pass what the typed client would refuse to build). */
function rawMove(from: Hex, to: Hex, cert: Certificate, leaf: ReturnType<typeof toContractOutboxLeaf>, proof: readonly Hex[]): Promise<unknown> {
  return f.adjudicator.send(f.relayer.account, "moveReceipt", [
    from,
    to,
    toContractCheckpoint(cert.checkpoint),
    cert.signatures,
    leaf,
    proof,
  ]);
}

function proofsOf(engine: Engine): LeafWithProof[] {
  const leaves = exitLeaves(engine.state);
  const outbox = outboxLeaves(engine.state);
  return leaves.map((leaf, i) => ({ leaf, proof: exitProof(leaves, i, outbox) as Hex[] }));
}

beforeAll(async () => {
  f = await setup({ names: ["alice", "bob", "carol", "dave"] });
  [alice, bob] = f.parties as [Party, Party];
  erin = party("erin");
  const bMembers = [alice, erin, party("frank"), party("grace")];
  for (const p of bMembers.slice(1)) {
    await f.chain.fund(p.address, 10n ** 18n);
    await f.usdc.mint(f.relayer.account, p.address, USDC(1_000_000));
    await f.usdc.approve(p.account, f.adjudicator.address, 2n ** 255n);
  }
  const bId = await openChannel(bMembers);
  A = { id: f.channelId, members: f.parties, engine: f.engine, height: 0 };
  B = { id: bId, members: bMembers, engine: new Engine(), height: 0 };
  // A's engine mirrors channel A (the fixture's accounts) and links B; B's has alice, bob and erin and links A
  ok(A.engine.linkChannel({ channel: B.id, self: A.id, chainId: f.chain.chainId, verifyingContract: f.adjudicator.address.toLowerCase(), participants: bMembers.map((p) => p.address.toLowerCase()), quorum: 3 }));
  B.engine = engineFor([alice, bob, erin], B.id, A);
  C = await openChannel(bMembers);
  await depositBoth(A, alice, USDC(1000));
  await depositBoth(A, bob, USDC(500));
  await depositBoth(B, erin, USDC(200));
}, 120_000);

afterAll(async () => {
  await f.chain.close();
});

describe("moveReceipt: a certified receipt moves holdings from the source channel to the destination", () => {
  let cert1: CheckpointCertificate;
  let cert2: CheckpointCertificate;
  let receipt1: OutboxLeafWithProof;

  it("the contract's outbox leaf hash is the engine's", async () => {
    ok(A.engine.sendReceipt({ account: alice.address.toLowerCase(), toChannel: B.id, token: "USDC", amount: USDC(300) }));
    cert1 = certifyNow(A);
    expect(creditInB(cert1, alice)).toBe(USDC(300));
    receipt1 = outboxReceipt(A.engine, B.id, alice.address.toLowerCase(), "USDC", fromCheckpointCertificate(cert1));
    expect(receipt1.leaf.sent).toBe(USDC(300));
    expect(await f.adjudicator.outboxLeafHash(receipt1.leaf)).toBe(toHex(outboxLeafHash(receipt1.leaf)));
    await expectHoldings(USDC(1500), USDC(200));
  });

  it("rejects forged, under-quorum and other-channel certificates, a leaf for another channel, a wrong proof, and an exit leaf as a receipt", async () => {
    const good = fromCheckpointCertificate(cert1);
    const leaf = toContractOutboxLeaf(receipt1.leaf);
    const p = receipt1.proof;
    // under quorum: two of A's four participants
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, { ...good, signatures: good.signatures.slice(0, 2) }, receipt1))).toMatch(/UnderQuorum\(2, 3\)/);
    // forged: A's checkpoint signed by three of B's participants who are not A's (erin, frank, grace)
    A.height -= 1;
    const byOutsiders = fromCheckpointCertificate(certifyNow(A, B.members.slice(1)));
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, byOutsiders, receipt1))).toMatch(/NotParticipant/);
    // a tampered signature recovers to someone else
    const flipped = good.signatures.map((s, i) => (i === 0 ? ((s.slice(0, 10) + (s[10] === "0" ? "1" : "0") + s.slice(11)) as Hex) : s));
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, { ...good, signatures: flipped }, receipt1))).toMatch(/NotParticipant|SignersNotAscending|ECDSA|unknown/);
    // another channel's certificate: B's quorum certifies a checkpoint of B carrying A's exit root
    const ofB = fromCheckpointCertificate(certifyNow({ ...B, engine: A.engine }, B.members.slice(0, 3)));
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, ofB, receipt1))).toMatch(/WrongChannel/);
    // the leaf names B but the call names C; the leaf rewritten to C (an open channel with USDC)
    expect(await revertOf(rawMove(A.id, C, good, leaf, p))).toMatch(/WrongChannel/);
    expect(await revertOf(rawMove(A.id, C, good, { ...leaf, toChannel: C }, p))).toMatch(/InvalidProof/);
    // a wrong proof, and more than was sent
    const otherSibling = (`0x${(BigInt(p[0]!) ^ 1n).toString(16).padStart(64, "0")}`) as Hex;
    for (const wrong of [[otherSibling, ...p.slice(1)], [], [...p, p[0]!]]) expect(await revertOf(rawMove(A.id, B.id, good, leaf, wrong))).toMatch(/InvalidProof/);
    expect(await revertOf(rawMove(A.id, B.id, good, { ...leaf, cumulativeSent: leaf.cumulativeSent + 1n }, p))).toMatch(/InvalidProof/);
    // an exit leaf (4 words) with its valid proof cannot pass as an outbox leaf: alice's 700 USDC exit
    const exits = proofsOf(A.engine);
    const aliceExit = exits.find((e) => e.leaf.accountAddress === alice.address.toLowerCase() && e.leaf.token === "USDC")!;
    expect(aliceExit.leaf.amount).toBe(USDC(700));
    for (const cumulativeSent of [aliceExit.leaf.amount, aliceExit.leaf.withdrawn, aliceExit.leaf.amount + aliceExit.leaf.withdrawn]) {
      const asReceipt = { toChannel: B.id, account: alice.address.toLowerCase() as Hex, token: f.usdc.address.toLowerCase() as Hex, cumulativeSent };
      expect(await revertOf(rawMove(A.id, B.id, good, asReceipt, aliceExit.proof))).toMatch(/InvalidProof/);
    }
    // a source or destination that is no channel here; a channel to itself
    const none = `0x${"ee".repeat(32)}` as Hex;
    expect(await revertOf(rawMove(A.id, none, good, { ...leaf, toChannel: none }, p))).toMatch(/WrongStatus\(0\)/);
    expect(await revertOf(rawMove(A.id, A.id, good, { ...leaf, toChannel: A.id }, p))).toMatch(/MoveToSameChannel/);
    expect(await revertOf(rawMove(none, B.id, good, leaf, p))).toMatch(/WrongStatus\(0\)/);
    // nothing moved, and A's stored checkpoint is still the empty one
    await expectHoldings(USDC(1500), USDC(200));
    expect((await f.adjudicator.channel(A.id)).height).toBe(0n);
  });

  it("moves exactly the sent amount once; the same certificate again moves nothing", async () => {
    const tx = await f.adjudicator.moveReceipt(f.relayer.account, A.id, fromCheckpointCertificate(cert1), receipt1);
    expect(tx.amount).toBe(USDC(300));
    console.log(`moveReceipt gas: ${tx.gasUsed} (fresh 3-of-4 certificate, verified and stored)`);
    expect(tx.gasUsed).toBeLessThan(MOVE_GAS_BOUND);
    await expectHoldings(USDC(1200), USDC(500));
    expect(await f.adjudicator.moved(A.id, B.id, alice.address, f.usdc.address)).toBe(USDC(300));
    expect((await f.adjudicator.channel(A.id)).height).toBe(1n); // stored: A can never settle below it
    expect(await revertOf(f.adjudicator.moveReceipt(bob.account, A.id, fromCheckpointCertificate(cert1), receipt1))).toMatch(/NothingToMove\(300000000, 300000000\)/);
    // the stored checkpoint needs no signatures, and still moves nothing
    expect(await revertOf(f.adjudicator.moveReceipt(bob.account, A.id, { ...fromCheckpointCertificate(cert1), signatures: [] }, receipt1))).toMatch(/NothingToMove/);
    await expectHoldings(USDC(1200), USDC(500));
  });

  it("a later receipt moves only the difference; the older certificate moves nothing more", async () => {
    ok(A.engine.sendReceipt({ account: alice.address.toLowerCase(), toChannel: B.id, token: "USDC", amount: USDC(50) }));
    ok(A.engine.sendReceipt({ account: bob.address.toLowerCase(), toChannel: B.id, token: "USDC", amount: USDC(20) }));
    cert2 = certifyNow(A, A.members.slice(1, 4));
    expect(creditInB(cert2, alice)).toBe(USDC(50));
    expect(creditInB(cert2, bob)).toBe(USDC(20));
    const receipt2 = outboxReceipt(A.engine, B.id, alice.address.toLowerCase(), "USDC", fromCheckpointCertificate(cert2));
    expect(receipt2.leaf.sent).toBe(USDC(350));
    const tx = await f.adjudicator.moveReceipt(f.relayer.account, A.id, fromCheckpointCertificate(cert2), receipt2);
    expect(tx.amount).toBe(USDC(50));
    console.log(`moveReceipt gas: ${tx.gasUsed} (fresh certificate, moved slot already set)`);
    expect(tx.gasUsed).toBeLessThan(MOVE_GAS_BOUND);
    await expectHoldings(USDC(1150), USDC(550));
    expect(await f.adjudicator.moved(A.id, B.id, alice.address, f.usdc.address)).toBe(USDC(350));
    // the older certificate: stale (A's stored checkpoint is now height 2); its leaf is not under height 2's root
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, fromCheckpointCertificate(cert1), receipt1))).toMatch(/StaleCheckpoint\(1, 2\)/);
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, fromCheckpointCertificate(cert2), receipt1))).toMatch(/InvalidProof/);
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, fromCheckpointCertificate(cert2), receipt2))).toMatch(/NothingToMove/);
    await expectHoldings(USDC(1150), USDC(550));
  });

  it("solvency: a certificate claiming more than the source holds moves at most its holdings", async () => {
    // channel D: A's participants, 100 USDC deposited; its quorum certifies an engine in which alice
    // "deposited" a million and sent 900 000 USDC to C (a dishonest quorum: nothing on chain backs it)
    const D: Side = { id: await openChannel(A.members), members: A.members, engine: new Engine(), height: 0 };
    D.engine = engineFor([alice], D.id, { id: C, members: B.members });
    await f.adjudicator.deposit(alice.account, D.id, f.usdc.address, USDC(100), alice.address);
    ok(D.engine.deposit({ account: alice.address.toLowerCase(), token: "USDC", amount: USDC(1_000_000) }));
    ok(D.engine.sendReceipt({ account: alice.address.toLowerCase(), toChannel: C, token: "USDC", amount: USDC(900_000) }));
    const cert = fromCheckpointCertificate(certifyNow(D));
    const receipt = outboxReceipt(D.engine, C, alice.address.toLowerCase(), "USDC", cert);
    const before = { a: await holdings(A.id), b: await holdings(B.id), c: await holdings(C) };
    expect(before.c).toBe(0n);
    const tx = await f.adjudicator.moveReceipt(f.relayer.account, D.id, cert, receipt);
    expect(tx.amount).toBe(USDC(100));
    expect(await holdings(D.id)).toBe(0n);
    expect(await holdings(C)).toBe(USDC(100));
    expect(await f.adjudicator.moved(D.id, C, alice.address, f.usdc.address)).toBe(USDC(100));
    // other channels untouched; a second call finds nothing to move (D holds nothing)
    await expectHoldings(before.a, before.b);
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, D.id, cert, receipt))).toMatch(/NothingToMove\(900000000000, 100000000\)/);
    expect(await f.usdc.balanceOf(f.adjudicator.address)).toBe(USDC(1500) + USDC(200) + USDC(100));
  });

  it("end to end: A settles, bob's unmoved receipt moves from the final root, and both channels pay every leaf in full", async () => {
    // A closes cooperatively at its latest certified checkpoint (height 2, stored by the last move)
    const cp = cert2.checkpoint;
    expect(cp.height).toBe(2);
    expect(cp.exitRoot).toBe(A.engine.exitRoot());
    await f.adjudicator.cooperativeClose(f.relayer.account, A.id, cp, signClose(f.adjudicator.domainSeparator, cp, A.members.map((p) => p.signer)));
    expect((await f.adjudicator.channel(A.id)).status).toBe("Finalized");
    const bobReceipt = outboxReceipt(A.engine, B.id, bob.address.toLowerCase(), "USDC");
    // an open-channel move no longer applies; the settled one moves bob's 20 from the final root
    expect(await revertOf(f.adjudicator.moveReceipt(f.relayer.account, A.id, { checkpoint: cp, signatures: [] }, bobReceipt))).toMatch(/WrongStatus\(3\)/);
    const moved = await f.adjudicator.moveSettledReceipt(f.relayer.account, A.id, bobReceipt);
    expect(moved.amount).toBe(USDC(20));
    console.log(`moveSettledReceipt gas: ${moved.gasUsed} (stored root, no signatures)`);
    expect(moved.gasUsed).toBeLessThan(SETTLED_MOVE_GAS_BOUND);
    expect(await revertOf(f.adjudicator.moveSettledReceipt(f.relayer.account, A.id, bobReceipt))).toMatch(/NothingToMove/);
    await expectHoldings(USDC(1130), USDC(570));

    // A's claims: alice 1000 − 350, bob 500 − 20; paid in full and A's holdings end at zero
    const before = new Map<string, bigint>();
    for (const p of [alice, bob, erin]) before.set(p.address, await f.usdc.balanceOf(p.address));
    const aExits = proofsOf(A.engine).filter((e) => e.leaf.token === "USDC");
    expect(aExits.map((e) => [e.leaf.accountAddress, e.leaf.amount])).toEqual(
      [
        [alice.address.toLowerCase(), USDC(650)],
        [bob.address.toLowerCase(), USDC(480)],
      ].sort((x, y) => ((x[0] as string) < (y[0] as string) ? -1 : 1)),
    );
    for (const e of aExits) expect((await f.adjudicator.claim(f.relayer.account, A.id, e)).amount).toBe(e.leaf.amount);
    expect(await holdings(A.id)).toBe(0n);

    // B: alice holds the 350 credited, bob 20, erin her 200; B closes and pays them from B's holdings
    const bCp = fromCheckpointCertificate(certifyNow(B)).checkpoint;
    await f.adjudicator.cooperativeClose(f.relayer.account, B.id, bCp, signClose(f.adjudicator.domainSeparator, bCp, B.members.map((p) => p.signer)));
    const bExits = proofsOf(B.engine).filter((e) => e.leaf.token === "USDC");
    expect(bExits.map((e) => e.leaf.amount).reduce((x, y) => x + y, 0n)).toBe(USDC(570));
    for (const e of bExits) expect((await f.adjudicator.claim(f.relayer.account, B.id, e)).amount).toBe(e.leaf.amount);
    expect(await holdings(B.id)).toBe(0n);

    expect((await f.usdc.balanceOf(alice.address)) - before.get(alice.address)!).toBe(USDC(650) + USDC(350));
    expect((await f.usdc.balanceOf(bob.address)) - before.get(bob.address)!).toBe(USDC(480) + USDC(20));
    expect((await f.usdc.balanceOf(erin.address)) - before.get(erin.address)!).toBe(USDC(200));
    // what is left in the contract is exactly channel C's (moved in from D, claimable by nobody yet)
    expect(await f.usdc.balanceOf(f.adjudicator.address)).toBe(USDC(100));
  });
});
