/**
 * The channel and the chain together (issue 5 items 1–4 end to end, at test scale): four
 * MultiPartyChannel replicas over the seeded simulated network, whose channel id and EIP-712 domain
 * are the adjudicator's on the embedded EVM; genesis credits the on-chain deposit records (creditDeposit ops naming them)
 * (checked replica-side); participants trade (AMM liquidity and swaps, transfers), one withdraws
 * mid-channel (a `withdraw` op, then the contract pays it against a certificate), and the channel
 * closes cooperatively or through the dispute path (a stale proposal, the watcher's challenge, the
 * window, claims). Every participant's on-chain balances must reconcile exactly with the final
 * channel state.
 *
 * Certificates: the replicas' states are checked equal and a quorum of them signs the EIP-712
 * Checkpoint of that state (the step after a Tendermint decision, issue 4, which is not wired here).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigner } from "../src/channel/identity.js";
import type { Engine } from "../src/core/engine.js";
import { MultiPartyChannel } from "../src/node/channel.js";
import { SimNetwork } from "../src/sync/simNetwork.js";
import { connectChain, type SettlementChain } from "../src/settlement/chain.js";
import { certify, type Certificate } from "../src/settlement/certificate.js";
import { checkGenesisCredits, closeAndClaim, genesisCredits, openSettlement, reconcile, withdrawAll, type OpenedSettlement, type SessionParty } from "../src/settlement/session.js";
import type { Op } from "../src/core/ops.js";

const EPOCH_MS = 1_767_225_600_000;
function key(label: string): Hex {
  return `0x${Buffer.from(keccak_256(new TextEncoder().encode(`semilattice channel settlement ${label}`))).toString("hex")}`;
}
function sessionParty(label: string): SessionParty {
  return { signer: createSigner(key(label)), account: privateKeyToAccount(key(label)) };
}

let chain: SettlementChain;
beforeAll(async () => {
  chain = await connectChain();
});
afterAll(async () => {
  await chain.close();
});

async function run(mode: "cooperative" | "dispute"): Promise<void> {
  const parties = ["alice", "bob", "carol", "dave"].map((n) => sessionParty(`${mode} ${n}`));
  const operator = privateKeyToAccount(key(`${mode} operator`));
  const s: OpenedSettlement = await openSettlement({
    chain,
    operator,
    parties,
    tokens: [
      { symbol: "ETH", decimals: 18, native: true },
      { symbol: "USDC", decimals: 6 },
    ],
    deposits: [
      { party: 0, token: "ETH", amount: 20n * 10n ** 18n },
      { party: 0, token: "USDC", amount: 60_000_000_000n },
      { party: 1, token: "USDC", amount: 25_000_000_000n },
      { party: 2, token: "ETH", amount: 5n * 10n ** 18n },
      { party: 3, token: "USDC", amount: 7_500_000_000n },
      { party: 3, token: "ETH", amount: 10n ** 18n },
    ],
    disputeWindowSeconds: 600,
  });
  // this channel has no Checkpointers: its genesis credits the records (creditDeposit ops naming
  // them), checked replica-side against the chain; tampered geneses are refused
  const credits = genesisCredits(s.records);
  const genesis: Op[] = [...s.genesis, ...credits, { type: "createPool", pool: "ETH-USDC", token0: "ETH", token1: "USDC", feePpm: 3000 }];
  await checkGenesisCredits(s.adjudicator, s.channelId, genesis);
  const inflated = genesis.map((op) => (op === credits[1] && op.type === "creditDeposit" ? { ...op, amount: op.amount + 1n } : op));
  await expect(checkGenesisCredits(s.adjudicator, s.channelId, inflated)).rejects.toThrow(/is not deposit record 1 on chain/);
  await expect(checkGenesisCredits(s.adjudicator, s.channelId, [...genesis, credits[0]!])).rejects.toThrow(/credits deposit record 0 where record 6 is next/);
  await expect(checkGenesisCredits(s.adjudicator, s.channelId, genesis.filter((op) => op !== credits[2]))).rejects.toThrow(/credits deposit record 3 where record 2 is next/);
  await expect(checkGenesisCredits(s.adjudicator, s.channelId, [...genesis, { type: "deposit", account: parties[0]!.signer.address, token: "USDC", amount: 1n }])).rejects.toThrow(/names no on-chain deposit record/);

  const net = new SimNetwork(7, { minDelayMs: 1, meanExtraDelayMs: 3 });
  const participants = parties.map((p) => ({ address: p.signer.address, roles: ["Trader" as const, "MarketMaker" as const] }));
  const chans = parties.map((p) => {
    const transport = net.node(p.signer.address);
    return new MultiPartyChannel({
      participants,
      signer: p.signer,
      channelId: s.channelId,
      chainId: chain.chainId,
      verifyingContract: s.adjudicator.address.toLowerCase() as Hex,
      genesis,
      transport,
      clock: transport.clock(),
      now: () => EPOCH_MS + Math.floor(net.now()),
      rules: { syncIntervalMs: 50 },
    });
  });
  net.runUntil(1);
  const [alice, bob, carol, dave] = chans as [MultiPartyChannel, MultiPartyChannel, MultiPartyChannel, MultiPartyChannel];
  let height = 0;
  const settle = (): Engine => {
    for (const c of chans) c.flush();
    const heads = (c: MultiPartyChannel): string => c.replica.heads().join(",");
    expect(net.runUntilTrue(() => chans.every((c) => heads(c) === heads(alice)), net.now() + 60_000)).toBe(true);
    const roots = new Set(chans.map((c) => c.stateRoot()));
    expect(roots.size).toBe(1);
    return alice.getCurrentState();
  };
  const certifyNow = (engine: Engine, signers: number[]): Certificate => {
    height += 1;
    const cp = { channelId: s.channelId, height, stateRoot: engine.stateRoot() as Hex, exitRoot: engine.exitRoot() as Hex, time: EPOCH_MS + height * 1000 };
    return certify(s.adjudicator.domainSeparator, cp, signers.map((i) => parties[i]!.signer));
  };

  // trading: alice provides liquidity, the others swap concurrently, dave pays carol
  expect(alice.addLiquidity({ pool: "ETH-USDC", amount0Desired: 10n * 10n ** 18n, amount1Desired: 30_000_000_000n }).status).toBe("accepted");
  settle();
  expect(bob.swap({ pool: "ETH-USDC", tokenIn: "USDC", amountIn: 4_000_000_000n }).status).toBe("accepted");
  expect(carol.swap({ pool: "ETH-USDC", tokenIn: "ETH", amountIn: 2n * 10n ** 18n }).status).toBe("accepted");
  expect(dave.transfer({ to: carol.address, token: "USDC", amount: 1_500_000_000n }).status).toBe("accepted");
  const e1 = settle();
  const cert1 = certifyNow(e1, [0, 1, 2]);

  // (a) bob withdraws mid-channel: a withdraw op in the channel, a certificate, the contract pays
  expect(bob.withdraw({ token: "USDC", amount: 5_000_000_000n }).status).toBe("accepted");
  expect(bob.withdraw({ token: "ETH", amount: 10n ** 17n }).status).toBe("accepted");
  const e2 = settle();
  const cert2 = certifyNow(e2, [1, 2, 3]);
  const paidMid = await withdrawAll(s, e2, cert2, 1);
  expect(paidMid).toBe(5_000_000_000n + 10n ** 17n);
  expect(await withdrawAll(s, e2, cert2, 1)).toBe(0n); // nothing twice

  // more trading, then the final certified state
  expect(dave.swap({ pool: "ETH-USDC", tokenIn: "USDC", amountIn: 2_000_000_000n }).status).toBe("accepted");
  expect(alice.removeLiquidity({ pool: "ETH-USDC", liquidity: 10n ** 12n }).status).toBe("accepted");
  const finalEngine = settle();
  const finalCert = certifyNow(finalEngine, [0, 2, 3]);
  expect(finalEngine.checkConservation().ok).toBe(true);

  // (b) close and claim; (c) reconcile
  if (mode === "cooperative") await closeAndClaim(s, finalEngine, finalCert, { kind: "cooperative" });
  else {
    // a checkpoint below the one a withdrawal was paid against can never be proposed
    await expect(s.adjudicator.proposeSettlement(parties[3]!.account, s.channelId, cert1)).rejects.toThrow(/StaleCheckpoint\(1, 2\)/);
    await closeAndClaim(s, finalEngine, finalCert, { kind: "dispute", staleCert: cert2, proposer: 3, challenger: 2 });
  }
  const rows = await reconcile(s, finalEngine);
  expect(rows.length).toBe(8);
  for (const r of rows) expect(r.onChainReceived, `${r.party} ${r.token}`).toBe(r.channelFinal);
  expect(rows.filter((r) => r.withdrawn > 0n).map((r) => [r.token, r.withdrawn])).toEqual([
    ["ETH", 10n ** 17n],
    ["USDC", 5_000_000_000n],
  ]);
  const view = await s.adjudicator.channel(s.channelId);
  expect(view.status).toBe("Finalized");
  expect(view.height).toBe(3n);
  for (const k of ["deposit", "withdraw", "claim"] as const) expect(s.gas[k]).toBeGreaterThan(0n);
  if (mode === "cooperative") expect(s.gas.cooperativeClose).toBeGreaterThan(0n);
  else for (const k of ["propose", "challenge", "finalize"] as const) expect(s.gas[k]).toBeGreaterThan(0n);
  for (const c of chans) c.close();
}

describe("a multi-party channel settled on the embedded EVM", () => {
  it("cooperative close: on-chain balances reconcile exactly with the final channel state", async () => {
    await run("cooperative");
  });
  it("dispute path: a stale proposal is challenged by the watcher, and balances still reconcile exactly", async () => {
    await run("dispute");
  });
});
