/**
 * Attacks on the adjudicator, each on a real EVM (Hardhat's in-process EDR) with real secp256k1
 * signatures: forged, duplicate, unsorted, malleable, non-participant and under-quorum certificates;
 * another channel's certificate; a close signed by fewer than all; a malicious ERC-20 re-entering
 * claim and deposit; equivocation (batch headers and Tendermint votes) slashing; a buggy certificate
 * or close that promises more than was deposited; a token whose balance shrinks under the contract;
 * and one honest participant exiting alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFunctionData, toFunctionSelector, type Hex } from "viem";
import { batchDigest, type BatchHeader } from "../src/channel/batch.js";
import { voteDigest, VOTE_TYPE_PREVOTE, type VoteMessage } from "../src/channel/checkpointTypes.js";
import { Engine } from "../src/core/engine.js";
import { exitProof, exitRoot, type ExitLeaf } from "../src/core/exit.js";
import { connectChain, type SettlementChain } from "../src/settlement/chain.js";
import { certify, signClose, toContractLeaf, toHex } from "../src/settlement/certificate.js";
import { AdjudicatorClient, ETH_ADDRESS, Erc20Client } from "../src/settlement/client.js";
import { BOND, WINDOW, certificate, checkpoint, depositBoth, leafOf, leavesWithProofs, ok, party, revertOf, setup, type Fixture } from "./settlement.helpers.js";

let chain: SettlementChain;
beforeAll(async () => {
  chain = await connectChain();
});
afterAll(async () => {
  await chain.close();
});

const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function funded(): Promise<Fixture> {
  const f = await setup({ chain });
  const [alice, bob, carol, dave] = f.parties;
  await depositBoth(f, alice!, "USDC", 1_000_000_000n);
  await depositBoth(f, bob!, "USDC", 2_000_000_000n);
  await depositBoth(f, carol!, "ETH", 10n ** 18n);
  await depositBoth(f, dave!, "USDC", 500_000_000n);
  ok(f.engine.transfer({ from: alice!.address.toLowerCase(), to: carol!.address.toLowerCase(), token: "USDC", amount: 300_000_000n }));
  return f;
}

describe("certificates", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await funded();
  });

  it("rejects forged, duplicate, unsorted, malleable, non-participant and under-quorum signatures", async () => {
    const [alice, bob, carol, dave] = f.parties as [Fixture["parties"][0], Fixture["parties"][0], Fixture["parties"][0], Fixture["parties"][0]];
    const cp = checkpoint(f);
    const good = certificate(f, cp, [alice, bob, carol]);
    const propose = (signatures: Hex[]): Promise<string> => revertOf(f.adjudicator.proposeSettlement(alice.account, f.channelId, { checkpoint: cp, signatures }));
    // under quorum: 2 of 4 (quorum 3)
    expect(await propose(good.signatures.slice(0, 2))).toMatch(/UnderQuorum\(2, 3\)/);
    // duplicate: one participant's signature three times
    expect(await propose([good.signatures[0]!, good.signatures[0]!, good.signatures[0]!])).toMatch(/SignersNotAscending/);
    // unsorted (descending signers)
    expect(await propose([...good.signatures].reverse())).toMatch(/SignersNotAscending/);
    // forged: bob's signature with r altered recovers to a stranger (or to nothing)
    const forged = good.signatures.map((s, i) => (i === 1 ? (`${s.slice(0, 10)}${s[10] === "0" ? "1" : "0"}${s.slice(11)}` as Hex) : s));
    expect(await propose(forged)).toMatch(/NotParticipant|SignersNotAscending|ECDSAInvalidSignature/);
    // a stranger's real signature over the right digest
    const mallory = party("mallory");
    const withStranger = certify(f.adjudicator.domainSeparator, cp, [alice.signer, bob.signer, mallory.signer]);
    expect(await propose(withStranger.signatures)).toMatch(/NotParticipant/);
    // malleable twin (s → n − s, v flipped): OpenZeppelin's ECDSA refuses high s
    const sig = good.signatures[0]!;
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    const v = parseInt(sig.slice(130, 132), 16);
    const twin = `${sig.slice(0, 66)}${(CURVE_N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
    expect(await propose([twin, ...good.signatures.slice(1)])).toMatch(/ECDSAInvalidSignatureS/);
    // a non-participant cannot even propose a good certificate
    expect(await revertOf(f.adjudicator.proposeSettlement(f.relayer.account, f.channelId, good))).toMatch(/NotParticipant/);
    // and the good certificate passes (a different quorum works as well: bob, carol, dave)
    const other = certificate(f, cp, [bob, carol, dave]);
    await f.adjudicator.proposeSettlement(alice.account, f.channelId, other);
    expect((await f.adjudicator.channel(f.channelId)).height).toBe(BigInt(cp.height));
  });

  it("rejects another channel's certificate and a certificate signed for another deployment", async () => {
    const g = await setup({ chain }); // another channel, another adjudicator, same participants
    const cpG = { ...checkpoint(g), channelId: g.channelId };
    const certG = certificate(g, cpG);
    const h = await funded(); // fresh channel on its own adjudicator
    // g's certificate names g's channel: refused by h's channel
    expect(await revertOf(h.adjudicator.proposeSettlement(h.parties[0]!.account, h.channelId, certG))).toMatch(/WrongChannel/);
    // h's channel id, but signed under g's domain (other verifyingContract): recovers to strangers
    const cpH = checkpoint(h);
    const wrongDomain = certify(g.adjudicator.domainSeparator, cpH, h.parties.slice(0, 3).map((p) => p.signer));
    expect(await revertOf(h.adjudicator.proposeSettlement(h.parties[0]!.account, h.channelId, wrongDomain))).toMatch(/NotParticipant|SignersNotAscending/);
    // a second channel on the same adjudicator with the same participants: its certificate is refused
    const { channelId: second } = await h.adjudicator.open(h.relayer.account, {
      participants: h.parties.map((p) => ({ address: p.address, roles: ["Trader"] })),
      quorum: 3,
      disputeWindowSeconds: WINDOW,
      bondWei: BOND,
      tokens: [ETH_ADDRESS, h.usdc.address],
    });
    expect(second).not.toBe(h.channelId);
    const certSecond = certify(h.adjudicator.domainSeparator, { ...cpH, channelId: second }, h.parties.slice(0, 3).map((p) => p.signer));
    expect(await revertOf(h.adjudicator.proposeSettlement(h.parties[0]!.account, h.channelId, certSecond))).toMatch(/WrongChannel/);
    expect(await revertOf(h.adjudicator.withdraw(h.relayer.account, h.channelId, certSecond, leavesWithProofs(h.engine)[0]!))).toMatch(/WrongChannel/);
  });

  it("cooperative close needs every participant's Close signature, not a checkpoint certificate", async () => {
    const g = await funded();
    const cp = checkpoint(g);
    const three = signClose(g.adjudicator.domainSeparator, cp, g.parties.slice(0, 3).map((p) => p.signer));
    expect(await revertOf(g.adjudicator.cooperativeClose(g.relayer.account, g.channelId, cp, three))).toMatch(/UnderQuorum\(3, 4\)/);
    const asCheckpoint = certificate(g, cp, g.parties); // 4-of-4 on the Checkpoint type
    expect(await revertOf(g.adjudicator.cooperativeClose(g.relayer.account, g.channelId, cp, asCheckpoint.signatures))).toMatch(/NotParticipant|SignersNotAscending/);
    const all = signClose(g.adjudicator.domainSeparator, cp, g.parties.map((p) => p.signer));
    await g.adjudicator.cooperativeClose(g.relayer.account, g.channelId, cp, all);
    expect((await g.adjudicator.channel(g.channelId)).status).toBe("Finalized");
    // everything is claimable at once; a claim twice pays nothing
    const exits = leavesWithProofs(g.engine);
    for (const e of exits) expect((await g.adjudicator.claim(g.relayer.account, g.channelId, e)).amount).toBe(e.leaf.amount);
    expect(await revertOf(g.adjudicator.claim(g.relayer.account, g.channelId, exits[1]!))).toMatch(/NothingToPay/);
    expect(await g.adjudicator.holdings(g.channelId, g.usdc.address)).toBe(0n);
    expect(await g.adjudicator.holdings(g.channelId, ETH_ADDRESS)).toBe(0n);
    // a forged leaf (not in the tree) is refused
    const fake: ExitLeaf = { ...exits[0]!.leaf, amount: exits[0]!.leaf.amount + 1n };
    expect(await revertOf(g.adjudicator.claim(g.relayer.account, g.channelId, { leaf: fake, proof: exits[0]!.proof }))).toMatch(/InvalidProof/);
  });
});

describe("cooperative close and pay in one transaction", () => {
  it("pays every leaf (minus what was withdrawn) against the rebuilt root, and only with the whole tree", async () => {
    const f = await funded();
    const [alice, bob] = f.parties as [Fixture["parties"][0], Fixture["parties"][0]];
    ok(f.engine.withdraw({ account: bob.address.toLowerCase(), token: "USDC", amount: 400_000_000n }));
    const cp1 = checkpoint(f);
    await f.adjudicator.withdraw(f.relayer.account, f.channelId, certificate(f, cp1), leafOf(leavesWithProofs(f.engine), bob, "USDC"));
    ok(f.engine.transfer({ from: bob.address.toLowerCase(), to: alice.address.toLowerCase(), token: "USDC", amount: 100_000_000n }));
    const cp = checkpoint(f);
    const leaves = leavesWithProofs(f.engine).map((e) => e.leaf);
    const all = signClose(f.adjudicator.domainSeparator, cp, f.parties.map((p) => p.signer));
    // the whole tree only: a leaf left out, or leaves reordered, do not rebuild the signed root
    expect(await revertOf(f.adjudicator.cooperativeCloseAndPay(f.relayer.account, f.channelId, cp, all, leaves.slice(1)))).toMatch(/LeavesNotExitTree/);
    expect(await revertOf(f.adjudicator.cooperativeCloseAndPay(f.relayer.account, f.channelId, cp, all, [...leaves].reverse()))).toMatch(/LeavesNotExitTree/);
    expect(await revertOf(f.adjudicator.cooperativeCloseAndPay(f.relayer.account, f.channelId, cp, all.slice(1), leaves))).toMatch(/UnderQuorum/);
    const usdcBefore = await f.usdc.balanceOf(bob.address);
    const tx = await f.adjudicator.cooperativeCloseAndPay(f.relayer.account, f.channelId, cp, all, leaves);
    const bobLeaf = leaves.find((l) => l.accountAddress === bob.address.toLowerCase() && l.token === "USDC")!;
    expect(bobLeaf.withdrawn).toBe(400_000_000n);
    expect(tx.amounts).toEqual(leaves.map((l) => l.amount));
    expect(await f.usdc.balanceOf(bob.address)).toBe(usdcBefore + bobLeaf.amount);
    expect(await f.adjudicator.holdings(f.channelId, f.usdc.address)).toBe(0n);
    expect(await f.adjudicator.holdings(f.channelId, ETH_ADDRESS)).toBe(0n);
    expect((await f.adjudicator.channel(f.channelId)).status).toBe("Concluded");
    expect(await revertOf(f.adjudicator.claim(f.relayer.account, f.channelId, leavesWithProofs(f.engine)[0]!))).toMatch(/WrongStatus/);
  });
});

describe("re-entrancy", () => {
  it("a malicious ERC-20 re-entering claim and deposit fails; the outer call pays exactly once", async () => {
    const relayer = party("relayer");
    const [alice, bob] = [party("alice"), party("bob")];
    for (const p of [relayer, alice, bob]) await chain.fund(p.address, 10n ** 19n);
    const { client: adj } = await AdjudicatorClient.deploy(chain, relayer.account);
    const evil = await Erc20Client.deploy(chain, relayer.account, "", "", 18, "MaliciousToken");
    const { channelId } = await adj.open(relayer.account, {
      participants: [alice, bob].map((p) => ({ address: p.address, roles: ["Trader"] })),
      quorum: 2,
      disputeWindowSeconds: WINDOW,
      bondWei: 0n,
      tokens: [evil.address],
    });
    await evil.mint(relayer.account, alice.address, 1_000n);
    await evil.approve(alice.account, adj.address, 1_000n);
    // deposit: the token re-enters deposit() from inside transferFrom
    const reenterDeposit = encodeFunctionData({ abi: adj.abi, functionName: "deposit", args: [channelId, evil.address, 1n, alice.address] });
    await evil.send(relayer.account, "arm", [adj.address, reenterDeposit]);
    const d = await adj.deposit(alice.account, channelId, evil.address, 600n, alice.address);
    expect(d.deposit.amount).toBe(600n);
    const reentrant = toFunctionSelector("ReentrancyGuardReentrantCall()");
    expect(await evil.read("attempts")).toBe(1n);
    expect(await evil.read("successes")).toBe(0n);
    expect(await evil.read("lastRevert")).toBe(reentrant);
    expect(await adj.depositCount(channelId)).toBe(1n);
    expect(await adj.holdings(channelId, evil.address)).toBe(600n);

    // the channel: alice 600 → 400 to bob; close cooperatively
    const engine = new Engine();
    ok(engine.createToken({ symbol: "EVIL", decimals: 18, address: evil.address }));
    for (const p of [alice, bob]) ok(engine.createAccount({ account: p.address, address: p.address }));
    ok(engine.deposit({ account: alice.address, token: "EVIL", amount: 600n }));
    ok(engine.transfer({ from: alice.address, to: bob.address, token: "EVIL", amount: 400n }));
    const cp = { channelId, height: 1, stateRoot: engine.stateRoot() as Hex, exitRoot: engine.exitRoot() as Hex, time: 1 };
    await adj.cooperativeClose(relayer.account, channelId, cp, signClose(adj.domainSeparator, cp, [alice.signer, bob.signer]));
    const exits = leavesWithProofs(engine);
    const bobExit = exits.find((e) => e.leaf.accountAddress === bob.address)!;
    // claim: the token re-enters claim() with the same leaf from inside transfer
    const reenterClaim = encodeFunctionData({ abi: adj.abi, functionName: "claim", args: [channelId, toContractLeaf(bobExit.leaf), bobExit.proof] });
    await evil.send(relayer.account, "arm", [adj.address, reenterClaim]);
    expect((await adj.claim(relayer.account, channelId, bobExit)).amount).toBe(400n);
    expect(await evil.read("attempts")).toBe(2n);
    expect(await evil.read("successes")).toBe(0n);
    expect(await evil.read("lastRevert")).toBe(reentrant);
    expect(await evil.balanceOf(bob.address)).toBe(400n);
    expect(await adj.paid(channelId, bob.address, evil.address)).toBe(400n);
    expect(await adj.holdings(channelId, evil.address)).toBe(200n);
    expect(await revertOf(adj.claim(relayer.account, channelId, bobExit))).toMatch(/NothingToPay/);
  });
});

describe("equivocation", () => {
  it("two batch headers with one seq, or two prevotes in one round, slash the author's bond to the reporter", async () => {
    const f = await funded();
    const [alice, bob, carol, dave] = f.parties as [Fixture["parties"][0], Fixture["parties"][0], Fixture["parties"][0], Fixture["parties"][0]];
    const sep = f.adjudicator.domainSeparator;
    const header = (seq: number, digestByte: string): BatchHeader => ({
      channelId: f.channelId,
      author: dave.address.toLowerCase() as Hex,
      seq,
      parents: [`0x${"ab".repeat(32)}`],
      payloadDigest: `0x${digestByte.repeat(32)}` as Hex,
      timestamp: 1_767_225_600_123,
    });
    const signed = (h: BatchHeader, by = dave): { header: BatchHeader; signature: Hex } => ({ header: h, signature: toHex(by.signer.sign(batchDigest(sep, h))) });
    const a = signed(header(5, "01"));
    const b = signed(header(5, "02"));
    // the contract's batch digest is the channel's batch id
    expect(await f.adjudicator.read("batchDigest", [{ channelId: a.header.channelId, author: a.header.author, seq: 5n, parents: a.header.parents, payloadDigest: a.header.payloadDigest, timestampMs: BigInt(a.header.timestamp) }])).toBe(toHex(batchDigest(sep, a.header)));
    // not equivocations: different seq; the same header twice; a header "by dave" signed by bob
    expect(await revertOf(f.adjudicator.reportEquivocation(alice.account, a, signed(header(6, "02"))))).toMatch(/NotSameSlot/);
    expect(await revertOf(f.adjudicator.reportEquivocation(alice.account, a, a))).toMatch(/IdenticalMessages/);
    expect(await revertOf(f.adjudicator.reportEquivocation(alice.account, a, signed(header(5, "02"), bob)))).toMatch(/SignatureNotByAuthor/);
    // the author cannot report itself, a stranger cannot report
    expect(await revertOf(f.adjudicator.reportEquivocation(dave.account, a, b))).toMatch(/ReporterIsAuthor/);
    expect(await revertOf(f.adjudicator.reportEquivocation(f.relayer.account, a, b))).toMatch(/NotParticipant/);
    await f.adjudicator.reportEquivocation(alice.account, a, b);
    expect(await f.adjudicator.bondOf(f.channelId, dave.address)).toBe(0n);
    expect(await f.adjudicator.bondOf(f.channelId, alice.address)).toBe(2n * BOND);
    expect(await revertOf(f.adjudicator.reportEquivocation(bob.account, a, b))).toMatch(/AlreadyReported/); // once

    // Tendermint: carol prevotes two different values at one height and round
    const vote = (valueId: string): VoteMessage => ({ channelId: f.channelId, height: 3, round: 1, voteType: VOTE_TYPE_PREVOTE, valueId: `0x${valueId.repeat(32)}` as Hex });
    const sv = (m: VoteMessage): { vote: VoteMessage; signature: Hex } => ({ vote: m, signature: toHex(carol.signer.sign(voteDigest(sep, m))) });
    expect(await revertOf(f.adjudicator.reportVoteEquivocation(bob.account, sv(vote("0c")), sv(vote("0c"))))).toMatch(/IdenticalMessages/);
    expect(await revertOf(f.adjudicator.reportVoteEquivocation(bob.account, sv(vote("0c")), sv({ ...vote("0d"), round: 2 })))).toMatch(/NotSameSlot/);
    await f.adjudicator.reportVoteEquivocation(bob.account, sv(vote("0c")), sv(vote("0d")));
    expect(await f.adjudicator.bondOf(f.channelId, carol.address)).toBe(0n);
    expect(await f.adjudicator.bondOf(f.channelId, bob.address)).toBe(2n * BOND);
    // slashing moves bonds between participants: the channel's bond pot is unchanged
    expect(await f.adjudicator.bondHoldings(f.channelId)).toBe(4n * BOND);
    // a bond above MAX_BOND_WEI (2^96 − 1: 64 of them still fit one participant's uint128) is refused
    const config = { participants: f.parties.map((p) => ({ address: p.address, roles: ["Trader" as const] })), quorum: 3, disputeWindowSeconds: WINDOW, tokens: [ETH_ADDRESS] };
    await expect(f.adjudicator.open(f.relayer.account, { ...config, bondWei: 2n ** 96n })).rejects.toThrow(/bondWei must be in/);
    const sorted = f.parties.map((p) => p.address.toLowerCase()).sort();
    const rawOpen = (bondWei: bigint): Promise<unknown> => f.adjudicator.send(f.relayer.account, "open", [sorted, sorted.map(() => 1), 3, BigInt(WINDOW), bondWei, [ETH_ADDRESS]]);
    expect(await revertOf(rawOpen(2n ** 96n))).toMatch(/InvalidConfig\(bondWei\)/);
    await rawOpen(2n ** 96n - 1n);
    await f.adjudicator.open(f.relayer.account, { ...config, bondWei: 2n ** 96n - 1n });
  });
});

describe("solvency and the lone exit", () => {
  it("a certificate promising more than was deposited pays at most the channel's own holdings; other channels keep theirs", async () => {
    const f = await funded();
    const [alice, bob] = f.parties as [Fixture["parties"][0], Fixture["parties"][0]];
    // a second channel on the same contract and token, funded 700 USDC by bob
    const { channelId: other } = await f.adjudicator.open(f.relayer.account, {
      participants: f.parties.map((p) => ({ address: p.address, roles: ["Trader"] })),
      quorum: 3,
      disputeWindowSeconds: WINDOW,
      bondWei: 0n,
      tokens: [f.usdc.address],
    });
    await f.adjudicator.deposit(bob.account, other, f.usdc.address, 700_000_000n, bob.address);
    // a buggy exit tree (quorum-signed): alice 10,000 USDC, bob 9,000 USDC — deposits were 3,500
    const usdc = f.usdc.address.toLowerCase();
    const leaves: ExitLeaf[] = [
      { account: "a", accountAddress: alice.address.toLowerCase(), token: "USDC", tokenAddress: usdc, amount: 10_000_000_000n, withdrawn: 0n },
      { account: "b", accountAddress: bob.address.toLowerCase(), token: "USDC", tokenAddress: usdc, amount: 9_000_000_000n, withdrawn: 0n },
    ];
    const cp = { channelId: f.channelId, height: 1, stateRoot: f.engine.stateRoot() as Hex, exitRoot: exitRoot(leaves) as Hex, time: 1 };
    await f.adjudicator.proposeSettlement(alice.account, f.channelId, certificate(f, cp));
    await f.chain.increaseTimeSeconds(WINDOW);
    await f.adjudicator.finalizeSettlement(alice.account, f.channelId);
    const before = await f.usdc.balanceOf(alice.address);
    const paidAlice = await f.adjudicator.claim(f.relayer.account, f.channelId, { leaf: leaves[0]!, proof: exitProof(leaves, 0) as Hex[] });
    expect(paidAlice.amount).toBe(3_500_000_000n); // everything the channel holds, not a unit more
    expect(await f.usdc.balanceOf(alice.address)).toBe(before + 3_500_000_000n);
    expect(await revertOf(f.adjudicator.claim(f.relayer.account, f.channelId, { leaf: leaves[1]!, proof: exitProof(leaves, 1) as Hex[] }))).toMatch(/NothingToPay/);
    expect(await f.adjudicator.holdings(f.channelId, f.usdc.address)).toBe(0n);
    // the other channel's 700 USDC are untouched and the contract still holds them
    expect(await f.adjudicator.holdings(other, f.usdc.address)).toBe(700_000_000n);
    expect(await f.usdc.balanceOf(f.adjudicator.address)).toBe(700_000_000n);
  });

  it("cooperativeCloseAndPay on a tree promising more than was deposited pays at most the holdings, leaf by leaf", async () => {
    const f = await funded();
    const [alice, bob, carol] = f.parties as [Fixture["parties"][0], Fixture["parties"][0], Fixture["parties"][0]];
    // a buggy exit tree signed by all: 5,000 USDC promised where 3,500 were deposited
    const usdc = f.usdc.address.toLowerCase();
    const leaves: ExitLeaf[] = [
      { account: "a", accountAddress: alice.address.toLowerCase(), token: "USDC", tokenAddress: usdc, amount: 3_000_000_000n, withdrawn: 0n },
      { account: "b", accountAddress: bob.address.toLowerCase(), token: "USDC", tokenAddress: usdc, amount: 2_000_000_000n, withdrawn: 0n },
      { account: "c", accountAddress: carol.address.toLowerCase(), token: "ETH", tokenAddress: ETH_ADDRESS, amount: 10n ** 18n, withdrawn: 0n },
    ];
    const cp = { channelId: f.channelId, height: 1, stateRoot: f.engine.stateRoot() as Hex, exitRoot: exitRoot(leaves) as Hex, time: 1 };
    const all = signClose(f.adjudicator.domainSeparator, cp, f.parties.map((p) => p.signer));
    const bobBefore = await f.usdc.balanceOf(bob.address);
    const tx = await f.adjudicator.cooperativeCloseAndPay(f.relayer.account, f.channelId, cp, all, leaves);
    // alice's 3,000 in full, bob the 500 left and not a unit more, carol's ETH in full
    expect(tx.amounts).toEqual([3_000_000_000n, 500_000_000n, 10n ** 18n]);
    expect(await f.usdc.balanceOf(bob.address)).toBe(bobBefore + 500_000_000n);
    expect(await f.adjudicator.holdings(f.channelId, f.usdc.address)).toBe(0n);
    expect(await f.adjudicator.holdings(f.channelId, ETH_ADDRESS)).toBe(0n);
    // what the contract still holds is the bonds, and its balances cover exactly that
    expect(await f.adjudicator.totalHeld(f.usdc.address)).toBe(0n);
    expect(await f.adjudicator.bondHoldings(f.channelId)).toBe(4n * BOND);
    expect(await f.adjudicator.totalHeld(ETH_ADDRESS)).toBe(4n * BOND);
    expect(await f.chain.publicClient.getBalance({ address: f.adjudicator.address })).toBe(4n * BOND);
  });

  it("a token whose balance shrinks under the contract stops its own payouts (BalanceBelowHoldings) until made good; ETH keeps paying", async () => {
    const relayer = party("relayer");
    const [alice, bob] = [party("alice"), party("bob")];
    for (const p of [relayer, alice, bob]) await chain.fund(p.address, 10n ** 19n);
    const { client: adj } = await AdjudicatorClient.deploy(chain, relayer.account);
    const evil = await Erc20Client.deploy(chain, relayer.account, "", "", 18, "MaliciousToken");
    const { channelId } = await adj.open(relayer.account, {
      participants: [alice, bob].map((p) => ({ address: p.address, roles: ["Trader"] })),
      quorum: 2,
      disputeWindowSeconds: WINDOW,
      bondWei: 0n,
      tokens: [ETH_ADDRESS, evil.address],
    });
    await evil.mint(relayer.account, alice.address, 1_000n);
    await evil.approve(alice.account, adj.address, 1_000n);
    await adj.deposit(alice.account, channelId, evil.address, 600n, alice.address);
    await adj.deposit(bob.account, channelId, ETH_ADDRESS, 10n ** 18n, bob.address);
    const engine = new Engine();
    ok(engine.createToken({ symbol: "ETH", decimals: 18, address: ETH_ADDRESS }));
    ok(engine.createToken({ symbol: "EVIL", decimals: 18, address: evil.address }));
    for (const p of [alice, bob]) ok(engine.createAccount({ account: p.address, address: p.address }));
    ok(engine.deposit({ account: alice.address, token: "EVIL", amount: 600n }));
    ok(engine.deposit({ account: bob.address, token: "ETH", amount: 10n ** 18n }));
    ok(engine.transfer({ from: alice.address, to: bob.address, token: "EVIL", amount: 400n }));
    const cp = { channelId, height: 1, stateRoot: engine.stateRoot() as Hex, exitRoot: engine.exitRoot() as Hex, time: 1 };
    await adj.cooperativeClose(relayer.account, channelId, cp, signClose(adj.domainSeparator, cp, [alice.signer, bob.signer]));
    const exits = leavesWithProofs(engine);
    const bobEvil = exits.find((e) => e.leaf.accountAddress === bob.address && e.leaf.token === "EVIL")!;
    const bobEth = exits.find((e) => e.leaf.accountAddress === bob.address && e.leaf.token === "ETH")!;
    expect(await adj.totalHeld(evil.address)).toBe(600n);
    // the token takes 100 away from the adjudicator: it now has 500 of the 600 it holds for channels
    await evil.send(relayer.account, "seize", [adj.address, 100n]);
    expect(await revertOf(adj.claim(relayer.account, channelId, bobEvil))).toMatch(/BalanceBelowHoldings\(0x[0-9a-fA-F]{40}, 500, 600\)/);
    expect(await adj.paid(channelId, bob.address, evil.address)).toBe(0n);
    expect(await adj.holdings(channelId, evil.address)).toBe(600n);
    // the shortfall is the token's alone: ETH pays
    expect((await adj.claim(relayer.account, channelId, bobEth)).amount).toBe(10n ** 18n);
    // once the balance covers the holdings again, the payout goes through
    await evil.mint(relayer.account, adj.address, 100n);
    expect((await adj.claim(relayer.account, channelId, bobEvil)).amount).toBe(400n);
    expect(await adj.totalHeld(evil.address)).toBe(200n);
    expect(await evil.balanceOf(adj.address)).toBe(200n);
  });

  it("one honest participant exits alone with the last certificate after all others vanish", async () => {
    const f = await funded();
    const [alice] = f.parties as [Fixture["parties"][0]];
    // the last certified checkpoint (signed by all earlier; alice keeps it)
    ok(f.engine.transfer({ from: f.parties[1]!.address.toLowerCase(), to: alice.address.toLowerCase(), token: "USDC", amount: 123_456_789n }));
    const cp = checkpoint(f);
    const cert = certificate(f, cp, f.parties.slice(1)); // bob, carol, dave signed; then they vanish
    const exit = leafOf(leavesWithProofs(f.engine), alice, "USDC");
    expect(exit.leaf.amount).toBe(1_000_000_000n - 300_000_000n + 123_456_789n);
    // from here on only alice sends transactions
    const before = await f.usdc.balanceOf(alice.address);
    await f.adjudicator.proposeSettlement(alice.account, f.channelId, cert);
    await f.chain.increaseTimeSeconds(WINDOW);
    await f.adjudicator.finalizeSettlement(alice.account, f.channelId);
    const c = await f.adjudicator.claim(alice.account, f.channelId, exit);
    expect(c.amount).toBe(823_456_789n);
    expect(await f.usdc.balanceOf(alice.address)).toBe(before + 823_456_789n);
    await f.chain.increaseTimeSeconds(WINDOW);
    const r = await f.adjudicator.reclaimBond(alice.account, f.channelId);
    expect(r.gasUsed).toBeGreaterThan(0n);
    expect(await f.adjudicator.bondOf(f.channelId, alice.address)).toBe(0n);
    expect(await f.adjudicator.bondHoldings(f.channelId)).toBe(3n * BOND);
    expect(await revertOf(f.adjudicator.reclaimBond(alice.account, f.channelId))).toMatch(/NothingToPay/);
    // the vanished participants' funds stay claimable for them
    expect(await f.adjudicator.holdings(f.channelId, f.usdc.address)).toBe(3_500_000_000n - 823_456_789n);
    expect(await f.adjudicator.holdings(f.channelId, ETH_ADDRESS)).toBe(10n ** 18n);
  });
});
