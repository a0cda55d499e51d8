/**
 * Real Tendermint certificates on chain: four Replicas with Checkpointers (src/channel/checkpoint.ts,
 * issue 4) on a seeded virtual-time network, configured with the adjudicator's channel id and EIP-712
 * domain and a genesis that credits the on-chain deposit records (creditDeposit ops naming them;
 * test/settlement.deposits.test.ts credits them through checkpoints instead). The certificate the
 * replicas produce for the decided state (q EIP-712 Checkpoint signatures) pays a mid-channel
 * withdrawal; a later decided height's certificate beats the withdrawal's checkpoint proposed as
 * stale (the watcher challenges), and on-chain balances reconcile exactly with the decided final state.
 */
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Checkpointer, type CheckpointCertificate } from "../src/channel/checkpoint.js";
import { Replica } from "../src/channel/replica.js";
import type { Op } from "../src/core/ops.js";
import { connectChain, type SettlementChain } from "../src/settlement/chain.js";
import { fromCheckpointCertificate } from "../src/settlement/certificate.js";
import { checkGenesisCredits, closeAndClaim, genesisCredits, openSettlement, reconcile, withdrawAll } from "../src/settlement/session.js";
import { loopback } from "./checkpoint.net.js";
import { party } from "./settlement.helpers.js";

let chain: SettlementChain;
beforeAll(async () => {
  chain = await connectChain();
});
afterAll(async () => {
  await chain.close();
});

describe("Tendermint certificates settle on the adjudicator", () => {
  it("a decided checkpoint's certificate pays a withdrawal and settles the channel; balances reconcile", async () => {
    const parties = ["alice", "bob", "carol", "dave"].map(party);
    const operator = privateKeyToAccount(`0x${"42".repeat(32)}`);
    const s = await openSettlement({
      chain,
      operator,
      parties,
      tokens: [
        { symbol: "ETH", decimals: 18, native: true },
        { symbol: "USDC", decimals: 6 },
      ],
      deposits: parties.map((_, i) => ({ party: i, token: "USDC", amount: 1_000_000_000n * BigInt(i + 1) })).concat([{ party: 2, token: "ETH", amount: 3n * 10n ** 18n }]),
      disputeWindowSeconds: 600,
    });
    const genesis = [...s.genesis, ...genesisCredits(s.records)];
    await checkGenesisCredits(s.adjudicator, s.channelId, genesis);

    // four replicas + checkpointers on a virtual-time network (delays 1..5 ms, seeded)
    let seed = 12345;
    const reps: Replica[] = [];
    const cps: Checkpointer[] = [];
    const net = loopback({ n: parties.length, startMs: 1_767_225_600_000, delay: () => 1 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 5), nodes: () => ({ reps, cps }) });
    const config = {
      channelId: s.channelId,
      chainId: chain.chainId,
      verifyingContract: s.adjudicator.address.toLowerCase() as Hex,
      participants: parties.map((p) => ({ address: p.signer.address, roles: ["Trader" as const, "MarketMaker" as const] })),
      genesis,
    };
    for (const p of parties) reps.push(new Replica(config, p.signer, { now: net.now }));
    const certs: CheckpointCertificate[][] = parties.map(() => []);
    reps.forEach((r, i) => {
      const cp = new Checkpointer(r, {
        signer: parties[i]!.signer,
        now: net.now,
        checkpointIntervalMs: 20,
        send: (w, to) => net.send(i, w, to),
        schedule: (ms, fn) => net.schedule(ms, fn),
      });
      cp.onCheckpoint((c) => certs[i]!.push(c));
      cps.push(cp);
    });
    const submit = (i: number, ops: Op[]): Hex => {
      const b = reps[i]!.submit(ops);
      net.sendBatch(i, b.bytes);
      cps[i]!.poll();
      return b.id;
    };
    const run = (until: () => boolean, maxMs: number): void => void net.run(until, maxMs);
    for (const c of cps) c.start();
    const a = parties.map((p) => p.signer.address);
    const ids = [
      submit(0, [{ type: "transfer", from: a[0]!, to: a[1]!, token: "USDC", amount: 250_000_000n }]),
      submit(2, [{ type: "transfer", from: a[2]!, to: a[3]!, token: "ETH", amount: 10n ** 18n }]),
    ];
    run(() => cps.every((c) => ids.every((id) => c.finality(id).status === "final")) && certs.every((c) => c.length > 0), 10_000);
    const stale = certs[0]!.at(-1)!;
    ids.push(submit(1, [{ type: "withdraw", account: a[1]!, token: "USDC", amount: 700_000_000n }]));
    run(() => cps.every((c) => ids.every((id) => c.finality(id).status === "final")), 10_000);
    const finalHeight = cps[0]!.finality(ids[2]!);
    expect(finalHeight.status).toBe("final");
    run(() => certs.every((c) => c.some((x) => x.checkpoint.height === (finalHeight as { height: number }).height)), 10_000);
    const decided = certs[0]!.find((x) => x.checkpoint.height === (finalHeight as { height: number }).height)!;
    // every replica holds an equal certificate for that height, and its final state has those roots
    for (const c of certs) expect(c.find((x) => x.checkpoint.height === decided.checkpoint.height)!.checkpoint).toEqual(decided.checkpoint);
    const finalEngine = cps[0]!.getFinalState();
    expect(finalEngine.stateRoot()).toBe(decided.checkpoint.stateRoot);
    expect(finalEngine.exitRoot()).toBe(decided.checkpoint.exitRoot);

    // the replicas' certificate, as the contract takes it: withdraw mid-channel, then settle
    const cert = fromCheckpointCertificate(decided);
    expect(cert.signatures.length).toBe(s.quorum);
    expect(await withdrawAll(s, finalEngine, cert, 1)).toBe(700_000_000n);
    const staleCert = fromCheckpointCertificate(stale);
    expect(staleCert.checkpoint.height).toBeLessThan(cert.checkpoint.height);
    // a checkpoint below the one a withdrawal was paid against can never be proposed
    await expect(s.adjudicator.proposeSettlement(parties[3]!.account, s.channelId, staleCert)).rejects.toThrow(/StaleCheckpoint/);

    // one more decided height; dave proposes the withdrawal's (now stale) checkpoint, carol's watcher
    // answers with the newest certificate, the window passes, everything is claimed
    ids.push(submit(3, [{ type: "transfer", from: a[3]!, to: a[0]!, token: "USDC", amount: 123_000_000n }]));
    run(() => cps.every((c) => ids.every((id) => c.finality(id).status === "final")), 10_000);
    const lastHeight = (cps[0]!.finality(ids[3]!) as { height: number }).height;
    run(() => certs.every((c) => c.some((x) => x.checkpoint.height === lastHeight)), 10_000);
    const latest = fromCheckpointCertificate(certs[2]!.find((x) => x.checkpoint.height === lastHeight)!);
    const lastEngine = cps[0]!.getFinalState();
    expect(lastEngine.exitRoot()).toBe(latest.checkpoint.exitRoot);
    await closeAndClaim(s, lastEngine, latest, { kind: "dispute", staleCert: cert, proposer: 3, challenger: 2 });
    expect((await s.adjudicator.channel(s.channelId)).height).toBe(BigInt(lastHeight));
    const rows = await reconcile(s, lastEngine);
    for (const r of rows) expect(r.onChainReceived, `${r.party} ${r.token}`).toBe(r.channelFinal);
    expect(rows.find((r) => r.party === parties[1]!.account.address && r.token === "USDC")!.channelFinal).toBe(2_000_000_000n + 250_000_000n);
    expect(rows.find((r) => r.party === parties[0]!.account.address && r.token === "USDC")!.channelFinal).toBe(1_000_000_000n - 250_000_000n + 123_000_000n);
  });
});
