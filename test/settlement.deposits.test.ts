/**
 * Deposits credited by checkpoints, on the embedded EVM (issue 5: "`deposit` of ERC-20 tokens and ETH
 * into a numbered deposit record (event emitted); the channel credits it with an op that names the
 * record; a correct replica accepts that op only when the record exists on chain and was not credited
 * before").
 *
 * Four Replicas with Checkpointers on a seeded virtual-time network; each replica has its own
 * SettlementWatcher + ChainDepositSource. The genesis has no deposits: checkpoints credit every
 * record (`creditDeposit`), including one made mid-channel; a Byzantine proposer that lists a record
 * that is not on chain, differs from it, or was credited before is not prevoted by the correct
 * replicas, and the height is decided without it in a later round.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainSeparator } from "../src/channel/batch.js";
import { Checkpointer, checkpointValueId, type CheckpointCertificate, type CheckpointValue, type CheckpointWire } from "../src/channel/checkpoint.js";
import type { DepositRecord } from "../src/channel/deposits.js";
import { messageDigest } from "../src/channel/consensus/tendermint.js";
import { Replica } from "../src/channel/replica.js";
import type { Op } from "../src/core/ops.js";
import { cloneEngine } from "../src/core/snapshot.js";
import { connectChain, type SettlementChain } from "../src/settlement/chain.js";
import { fromCheckpointCertificate } from "../src/settlement/certificate.js";
import { ETH_ADDRESS, Erc20Client } from "../src/settlement/client.js";
import { ChainDepositSource } from "../src/settlement/deposits.js";
import { closeAndClaim, depositMidChannel, openSettlement, reconcile, type OpenedSettlement } from "../src/settlement/session.js";
import { SettlementWatcher } from "../src/settlement/watcher.js";
import { loopback } from "./checkpoint.net.js";
import { party } from "./settlement.helpers.js";

let chain: SettlementChain;
beforeAll(async () => {
  chain = await connectChain();
});
afterAll(async () => {
  await chain.close();
});

const USDC = (whole: bigint): bigint => whole * 1_000_000n;
const ETH = 10n ** 18n;

/** A channel on chain with four replicas whose checkpointers credit deposits from their own watchers. */
async function world(label: string) {
  const parties = ["alice", "bob", "carol", "dave"].map((n) => party(`${label} ${n}`));
  const operator = privateKeyToAccount(`0x${Buffer.from(keccak_256(new TextEncoder().encode(`${label} operator`))).toString("hex")}` as Hex);
  const s: OpenedSettlement = await openSettlement({
    chain,
    operator,
    parties,
    tokens: [
      { symbol: "ETH", decimals: 18, native: true },
      { symbol: "USDC", decimals: 6 },
    ],
    deposits: [
      { party: 0, token: "USDC", amount: USDC(1_000n) },
      { party: 1, token: "USDC", amount: USDC(2_000n) },
      { party: 2, token: "ETH", amount: 3n * ETH },
      { party: 3, token: "USDC", amount: USDC(4_000n) + 1n },
    ],
    disputeWindowSeconds: 600,
  });
  expect(s.genesis.every((op) => op.type === "createToken")).toBe(true);
  let seed = 777;
  const reps: Replica[] = [];
  const cps: Checkpointer[] = [];
  const net = loopback({ n: parties.length, startMs: 1_767_225_600_000, delay: () => 1 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 5), nodes: () => ({ reps, cps }) });
  const config = {
    channelId: s.channelId,
    chainId: chain.chainId,
    verifyingContract: s.adjudicator.address.toLowerCase() as Hex,
    participants: parties.map((p) => ({ address: p.signer.address, roles: ["Trader" as const, "MarketMaker" as const] })),
    genesis: s.genesis,
  };
  for (const p of parties) reps.push(new Replica(config, p.signer, { now: net.now }));
  const watchers = parties.map((p) => new SettlementWatcher({ client: s.adjudicator, channelId: s.channelId, sender: p.account, latestCertificate: () => undefined }));
  const real = watchers.map((w) => new ChainDepositSource(w));
  /** A Byzantine participant's view of the chain: `lie[i](id)` overrides what its watcher says. */
  const lie: (((id: bigint) => DepositRecord | undefined) | undefined)[] = [];
  const sources = real.map((r, i) => ({ confirmed: (id: bigint) => lie[i]?.(id) ?? r.confirmed(id) }));
  /** Replaces a replica's outgoing message (a Byzantine participant); identity when undefined. */
  const tamper: ((w: CheckpointWire) => CheckpointWire)[] = [];
  const sent: { from: number; w: CheckpointWire }[] = [];
  const certs: CheckpointCertificate[][] = parties.map(() => []);
  const decided: CheckpointValue[] = [];
  reps.forEach((r, i) => {
    const cp = new Checkpointer(r, {
      signer: parties[i]!.signer,
      now: net.now,
      checkpointIntervalMs: 20,
      deposits: sources[i]!,
      send: (w0, to) => {
        const w = tamper[i]?.(w0) ?? w0;
        sent.push({ from: i, w });
        net.send(i, w, to);
      },
      schedule: (ms, fn) => net.schedule(ms, fn),
    });
    cp.onCheckpoint((c) => certs[i]!.push(c));
    cps.push(cp);
  });
  cps[0]!.onDecide((v) => decided.push(v));
  const submit = (i: number, ops: Op[]): { id: Hex; results: unknown[] } => {
    const b = reps[i]!.submit(ops);
    net.sendBatch(i, b.bytes);
    cps[i]!.poll();
    return { id: b.id, results: b.results };
  };
  const run = (until: () => boolean, maxMs: number): boolean => net.run(until, maxMs);
  /** Watchers read the chain (only those in `who`), checkpointers are told. */
  const watch = async (who = [0, 1, 2, 3]): Promise<void> => {
    for (const i of who) await watchers[i]!.poll();
    for (const i of who) cps[i]!.depositsChanged();
  };
  const credited = (n: number): boolean => cps.every((c) => c.getFinalState().depositsCredited === BigInt(n));
  const separator = domainSeparator({ chainId: chain.chainId, verifyingContract: config.verifyingContract });
  /** `value` re-proposed by participant i (signed by it) in place of its own proposal. */
  const reproposal = (i: number, m: Extract<CheckpointWire, { kind: "consensus" }>["message"], value: CheckpointValue): CheckpointWire => {
    const body = { kind: "proposal" as const, height: m.height, round: m.round, valueId: checkpointValueId(value), validRound: (m as { validRound: number }).validRound };
    return { kind: "consensus", message: { ...body, sender: parties[i]!.signer.address, signature: parties[i]!.signer.sign(messageDigest(separator, s.channelId, body)) }, value };
  };
  return { s, parties, reps, cps, watchers, certs, decided, sent, tamper, lie, submit, run, watch, credited, reproposal, now: net.now };
}

describe("deposits credited by checkpoints", () => {
  it("credits the opening deposits and a mid-channel one through checkpoints; they show in the final state, exit root and payouts", async () => {
    const w = await world("lifecycle");
    const { s, parties, reps, cps } = w;
    const a = parties.map((p) => p.signer.address);
    for (const c of cps) c.start();
    // nothing is credited before the watchers have seen the records
    w.run(() => false, 200);
    expect(cps[0]!.getFinalState().depositsCredited).toBe(0n);
    await w.watch();
    expect(w.run(() => w.credited(4), 10_000)).toBe(true);
    for (const c of cps) {
      const e = c.getFinalState();
      expect(e.balanceOf(a[0]!, "USDC")).toBe(USDC(1_000n));
      expect(e.balanceOf(a[1]!, "USDC")).toBe(USDC(2_000n));
      expect(e.balanceOf(a[2]!, "ETH")).toBe(3n * ETH);
      expect(e.balanceOf(a[3]!, "USDC")).toBe(USDC(4_000n) + 1n);
      expect(e.checkConservation().ok).toBe(true);
    }
    // the replicas' tentative state has the credits too: participants trade the funds at once
    for (const r of reps) expect(r.getCurrentState().balanceOf(a[3]!, "USDC")).toBe(USDC(4_000n) + 1n);
    const t1 = w.submit(0, [{ type: "transfer", from: a[0]!, to: a[1]!, token: "USDC", amount: USDC(250n) }]);
    expect(t1.results[0]).toMatchObject({ status: "accepted" });
    expect(w.run(() => cps.every((c) => c.finality(t1.id).status === "final"), 10_000)).toBe(true);

    // mid-channel: bob deposits 777.000001 USDC more; record 4 is credited by a later checkpoint
    const record = await depositMidChannel(s, 1, "USDC", USDC(777n) + 1n);
    expect(record).toMatchObject({ recordId: 4n, beneficiary: a[1], amount: USDC(777n) + 1n });
    const heightBefore = cps[0]!.height;
    await w.watch();
    expect(w.run(() => w.credited(5), 10_000)).toBe(true);
    const crediting = w.decided.find((v) => v.deposits.some((d) => d.recordId === 4n))!;
    expect(crediting.height).toBeGreaterThanOrEqual(heightBefore);
    expect(crediting.deposits).toEqual([{ recordId: 4n, account: a[1], token: s.tokens.get("USDC")!.address.toLowerCase(), amount: USDC(777n) + 1n }]);
    const bobUsdc = USDC(2_000n) + USDC(250n) + USDC(777n) + 1n;
    for (const c of cps) expect(c.getFinalState().balanceOf(a[1]!, "USDC")).toBe(bobUsdc);
    // bob spends part of the new funds right away
    const t2 = w.submit(1, [{ type: "transfer", from: a[1]!, to: a[2]!, token: "USDC", amount: USDC(3_000n) }]);
    expect(t2.results[0]).toMatchObject({ status: "accepted" });

    // a participant cannot credit a record itself: creditDeposit in a batch is NOT_PERMITTED
    const forged = w.submit(3, [{ type: "creditDeposit", recordId: 5n, account: a[3]!, token: ETH_ADDRESS, amount: 10n * ETH }]);
    expect(forged.results[0]).toMatchObject({ status: "rejected", code: "NOT_PERMITTED" });
    expect(w.run(() => cps.every((c) => [t2.id, forged.id].every((id) => c.finality(id).status === "final")), 10_000)).toBe(true);
    expect(cps[2]!.resultsOf(forged.id).results?.[0]).toMatchObject({ status: "rejected", code: "NOT_PERMITTED" });
    // and the engine credits a record once: a second credit of record 4 is DEPOSIT_ALREADY_CREDITED
    const final = cps[0]!.getFinalState();
    expect(final.depositsCredited).toBe(5n);
    expect(cloneEngine(final).creditDeposit({ recordId: 4n, account: a[1]!, token: s.tokens.get("USDC")!.address, amount: USDC(777n) + 1n })).toMatchObject({ status: "rejected", code: "DEPOSIT_ALREADY_CREDITED" });

    // the exit root pays it: certify, close cooperatively, claim, reconcile exactly
    const h = cps[0]!.height - 1;
    expect(w.run(() => w.certs.every((c) => c.some((x) => x.checkpoint.height === h)), 10_000)).toBe(true);
    const cert = fromCheckpointCertificate(w.certs[0]!.find((x) => x.checkpoint.height === h)!);
    expect(final.exitRoot()).toBe(cert.checkpoint.exitRoot);
    const leaf = final.exitLeaves().find((l) => l.accountAddress === a[1] && l.tokenAddress === s.tokens.get("USDC")!.address.toLowerCase())!;
    expect(leaf.amount).toBe(bobUsdc - USDC(3_000n));
    await closeAndClaim(s, final, cert, { kind: "cooperative" });
    const rows = await reconcile(s, final);
    for (const r of rows) expect(r.onChainReceived, `${r.party} ${r.token}`).toBe(r.channelFinal);
    expect(rows.find((r) => r.party === parties[1]!.account.address && r.token === "USDC")!.channelFinal).toBe(USDC(2_000n) + USDC(250n) + USDC(777n) + 1n - USDC(3_000n));
    expect(await s.adjudicator.holdings(s.channelId, s.tokens.get("USDC")!.address)).toBe(0n);
  });

  it("a proposal listing a record not on chain, different from it, or credited before is not prevoted; the height is decided without it", async () => {
    const w = await world("byzantine");
    const { s, parties, cps } = w;
    const a = parties.map((p) => p.signer.address);
    const usdc = s.tokens.get("USDC")!.address.toLowerCase() as Hex;
    for (const c of cps) c.start();
    await w.watch();
    expect(w.run(() => w.credited(4), 10_000)).toBe(true);

    /**
     * The round-0 proposer of the next height proposes a forged value: with `lie.source`, its own
     * view of the chain lies while it builds its proposal (a self-consistent value: its roots are
     * those of the records it lists, so only the check against the chain can refuse it); with
     * `lie.rewrite`, it rewrites its proposal's deposits keeping the roots. Checks that no correct
     * replica prevoted the forged value and that the height was decided (in a later round, by a
     * correct proposer) with `expected` deposits.
     */
    const attack = async (
      lie: { source: (id: bigint) => DepositRecord | undefined } | { rewrite: (v: CheckpointValue) => DepositRecord[] },
      trigger: () => Promise<void>,
      expected: DepositRecord[],
    ): Promise<void> => {
      const h = cps[0]!.height;
      const liar = h % 4; // proposer(h, 0)
      let forgedId: Hex | undefined;
      let forged: CheckpointValue | undefined;
      if ("source" in lie) w.lie[liar] = lie.source;
      w.tamper[liar] = (wire) => {
        if (wire.kind !== "consensus" || wire.message.kind !== "proposal" || wire.value === undefined || wire.message.height !== h || wire.message.round !== 0) return wire;
        w.lie[liar] = undefined; // it validates later rounds' values with its true view
        if ("source" in lie) {
          forged = wire.value;
          forgedId = wire.message.valueId;
          return wire;
        }
        forged = { ...wire.value, deposits: lie.rewrite(wire.value) };
        forgedId = checkpointValueId(forged);
        return w.reproposal(liar, wire.message, forged);
      };
      const mark = w.sent.length;
      // something to checkpoint: a transfer by the next proposer
      const t = w.submit((h + 1) % 4, [{ type: "transfer", from: a[(h + 1) % 4]!, to: a[0]!, token: "ETH", amount: 1n }]);
      await trigger();
      expect(w.run(() => cps.every((c) => c.height > h && c.finality(t.id).status === "final"), 60_000)).toBe(true);
      w.tamper[liar] = undefined as never;
      expect(forgedId).toBeDefined();
      expect(forged!.deposits).not.toEqual(expected);
      // by signer (replicas also relay the messages of others they recorded)
      const prevotes = w.sent.slice(mark).filter((x) => x.w.kind === "consensus" && x.w.message.kind === "prevote" && x.w.message.valueId === forgedId);
      if ("source" in lie) expect(prevotes.length).toBeGreaterThan(0); // the liar's own
      expect(prevotes.every((x) => x.w.kind === "consensus" && x.w.message.sender === a[liar])).toBe(true);
      const v = w.decided.find((d) => d.height === h)!;
      expect(checkpointValueId(v)).not.toBe(forgedId);
      expect(v.deposits).toEqual(expected);
      // every replica, the liar included, holds the decided state
      const root = cps[0]!.getFinalState().stateRoot();
      for (const c of cps) expect(c.getFinalState().stateRoot()).toBe(root);
    };

    // (1) a record that does not exist on chain (record 4 is not made): correct replicas wait for it,
    //     prevote nil at timeoutPropose, and the next round decides the transfer alone
    await attack({ source: (id) => (id === 4n ? { recordId: 4n, account: a[0]!, token: usdc, amount: USDC(1_000_000n) } : undefined) }, async () => {}, []);
    expect(cps[0]!.getFinalState().depositsCredited).toBe(4n);
    expect(cps[0]!.getFinalState().balanceOf(a[0]!, "USDC")).toBe(USDC(1_000n));

    // (2) a real record 4 (carol, 55 USDC) listed with another amount, and (3) with another beneficiary
    const carol = await depositMidChannel(s, 2, "USDC", USDC(55n));
    const real: DepositRecord = { recordId: 4n, account: a[2]!, token: usdc, amount: USDC(55n) };
    expect(carol).toMatchObject({ recordId: 4n, amount: USDC(55n) });
    await attack({ source: (id) => (id === 4n ? { ...real, amount: real.amount * 1000n } : undefined) }, async () => {
      await w.watch();
    }, [real]);
    expect(cps[1]!.getFinalState().balanceOf(a[2]!, "USDC")).toBe(USDC(55n));
    const record5 = await depositMidChannel(s, 3, "ETH", 2n * ETH + 5n);
    expect(record5.recordId).toBe(5n);
    const real5: DepositRecord = { recordId: 5n, account: a[3]!, token: ETH_ADDRESS, amount: 2n * ETH + 5n };
    await attack({ source: (id) => (id === 5n ? { ...real5, account: a[0]! } : undefined) }, async () => {
      await w.watch();
    }, [real5]);

    // (4) a record credited before (record 0 again, roots of the honest value): invalid
    await attack({ rewrite: () => [{ recordId: 0n, account: a[0]!, token: usdc, amount: USDC(1_000n) }] }, async () => {}, []);
    for (const c of cps) {
      const e = c.getFinalState();
      expect(e.depositsCredited).toBe(6n);
      expect(e.balanceOf(a[0]!, "USDC")).toBe(USDC(1_000n));
      expect(e.balanceOf(a[3]!, "ETH")).toBe(2n * ETH + 5n);
      expect(e.checkConservation().ok).toBe(true);
    }
  });

  it("a replica whose watcher has not seen the records does not vote for them; the others decide, and it follows once it sees them", async () => {
    const w = await world("lagging");
    const { cps } = w;
    for (const c of cps) c.start();
    // replica 3's watcher has not read the chain: its verdict on the credits waits
    await w.watch([0, 1, 2]);
    const mark = w.sent.length;
    expect(w.run(() => [0, 1, 2].every((i) => cps[i]!.getFinalState().depositsCredited === 4n), 20_000)).toBe(true);
    const value = w.decided[0]!;
    expect(value.deposits.map((d) => d.recordId)).toEqual([0n, 1n, 2n, 3n]);
    const id = checkpointValueId(value);
    const three = w.parties[3]!.signer.address;
    const votes3 = w.sent.slice(mark).filter((x) => x.w.kind === "consensus" && x.w.message.sender === three && x.w.message.kind !== "proposal" && x.w.message.valueId === id);
    expect(votes3).toEqual([]);
    w.run(() => false, 2_000);
    expect(cps[3]!.height).toBe(0);
    expect(cps[3]!.getFinalState().depositsCredited).toBe(0n);
    // once its watcher reads the records, it validates the decided value and catches up
    await w.watch([3]);
    expect(w.run(() => w.credited(4), 20_000)).toBe(true);
    expect(cps[3]!.getFinalState().stateRoot()).toBe(cps[0]!.getFinalState().stateRoot());
    expect(cps[3]!.getFinalState().balanceOf(w.parties[3]!.signer.address, "USDC")).toBe(USDC(4_000n) + 1n);
  });

  it("the contract takes deposits only for participants and channel tokens, so every record is creditable", async () => {
    const w = await world("contract");
    const { s, parties } = w;
    const stranger = party("contract stranger");
    await chain.fund(stranger.account.address, 10n * ETH);
    const revert = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
      } catch (e) {
        return String((e as Error).message);
      }
      throw new Error("expected a revert");
    };
    expect(await revert(s.adjudicator.deposit(parties[0]!.account, s.channelId, ETH_ADDRESS, ETH, stranger.account.address))).toMatch(/NotParticipant/);
    const other = await Erc20Client.deploy(chain, s.operator, "Other", "OTH", 18);
    await other.mint(s.operator, parties[0]!.account.address, ETH);
    await other.approve(parties[0]!.account, s.adjudicator.address, ETH);
    expect(await revert(s.adjudicator.deposit(parties[0]!.account, s.channelId, other.address, ETH, parties[0]!.account.address))).toMatch(/UnknownToken/);
    expect(await s.adjudicator.depositCount(s.channelId)).toBe(4n);
  });
});
