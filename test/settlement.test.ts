/**
 * The adjudicator (contracts/Adjudicator.sol) on a real EVM (Hardhat's in-process EDR), compiled from
 * source with solc-js: the full lifecycle with ERC-20 and ETH, a mid-channel withdrawal, a stale
 * proposal beaten by a challenge, claims, and the certificate rules. Certificates are real secp256k1
 * signatures over the EIP-712 digests of checkpoints whose exit roots come from real Engine states.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SettlementWatcher } from "../src/settlement/watcher.js";
import { checkpointDigest, CHECKPOINT_TYPE_STRING } from "../src/channel/checkpointTypes.js";
import { keccak256, toHex } from "viem";
import { ETH_ADDRESS } from "../src/settlement/client.js";
import { exitLeafHash } from "../src/core/exit.js";
import { toHex as bytesHex, verifyCertificate } from "../src/settlement/certificate.js";
import { certificate, checkpoint, depositBoth, leafOf, leavesWithProofs, ok, revertOf, setup, WINDOW, type Fixture } from "./settlement.helpers.js";

describe("adjudicator lifecycle on the embedded EVM", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setup();
  });
  afterAll(async () => {
    await f.chain.close();
  });

  it("agrees with the TS side on the EIP-712 digest, type hash and leaf hash", async () => {
    const cp = { channelId: f.channelId, height: 7, stateRoot: `0x${"11".repeat(32)}`, exitRoot: `0x${"22".repeat(32)}`, time: 1_700_000_000_123 } as const;
    expect(await f.adjudicator.checkpointDigest(cp)).toBe(bytesHex(checkpointDigest(f.adjudicator.domainSeparator, cp)));
    expect(await f.adjudicator.read("CHECKPOINT_TYPEHASH", [])).toBe(keccak256(toHex(CHECKPOINT_TYPE_STRING)));
    const leaf = { account: "x", accountAddress: f.parties[0]!.address.toLowerCase(), token: "USDC", tokenAddress: f.usdc.address.toLowerCase(), amount: 123n, withdrawn: 45n };
    expect(await f.adjudicator.leafHash(leaf)).toBe(bytesHex(exitLeafHash(leaf)));
    // the off-chain certificate check applies the contract's rules
    const cert = certificate(f, { ...cp, height: 1 });
    const members = f.parties.map((p) => p.address);
    expect(verifyCertificate(f.adjudicator.domainSeparator, cert, members, 3)).toEqual(f.parties.slice(0, 3).map((p) => p.address.toLowerCase()).sort());
    expect(() => verifyCertificate(f.adjudicator.domainSeparator, cert, members, 4)).toThrow(/quorum is 4/);
    expect(() => verifyCertificate(f.adjudicator.domainSeparator, { ...cert, signatures: [cert.signatures[0]!, cert.signatures[0]!, cert.signatures[1]!] }, members, 3)).toThrow(/strictly ascending/);
    expect(() => verifyCertificate(f.adjudicator.domainSeparator, cert, members.slice(1), 3)).toThrow(/not a participant/);
  });

  it("deposits, withdraws mid-channel, settles through a challenge and pays every leaf exactly", async () => {
    const [alice, bob, carol, dave] = f.parties as [typeof f.parties[0], typeof f.parties[0], typeof f.parties[0], typeof f.parties[0]];
    const usdcBefore = new Map<string, bigint>();
    for (const p of f.parties) usdcBefore.set(p.address, await f.usdc.balanceOf(p.address));
    // deposits: ERC-20 and ETH, each a numbered record, credited in the engine
    await depositBoth(f, alice, "USDC", 5_000_000_000n);
    await depositBoth(f, bob, "USDC", 3_000_000_000n);
    await depositBoth(f, carol, "ETH", 2n * 10n ** 18n);
    await depositBoth(f, dave, "ETH", 3n * 10n ** 18n);
    await depositBoth(f, dave, "USDC", 1_000_000_000n);
    expect(await f.adjudicator.depositCount(f.channelId)).toBe(5n);
    expect(await f.adjudicator.holdings(f.channelId, f.usdc.address)).toBe(9_000_000_000n);
    expect(await f.adjudicator.holdings(f.channelId, ETH_ADDRESS)).toBe(5n * 10n ** 18n);

    // trading in the channel: an ETH/USDC pool, swaps, transfers
    const id = (p: typeof alice): string => p.address.toLowerCase();
    ok(f.engine.createPool({ pool: "ETH-USDC", token0: "ETH", token1: "USDC", feePpm: 3000 }));
    ok(f.engine.transfer({ from: id(dave), to: id(alice), token: "ETH", amount: 10n ** 18n }));
    ok(f.engine.addLiquidity({ account: id(alice), pool: "ETH-USDC", amount0Desired: 10n ** 18n, amount1Desired: 3_000_000_000n }));
    ok(f.engine.swap({ account: id(carol), pool: "ETH-USDC", tokenIn: "ETH", amountIn: 10n ** 17n }));
    ok(f.engine.swap({ account: id(bob), pool: "ETH-USDC", tokenIn: "USDC", amountIn: 500_000_000n }));
    const cp1 = checkpoint(f);
    const cert1 = certificate(f, cp1);

    // (a) bob withdraws 1,000 USDC mid-channel: engine op, next checkpoint, on-chain withdraw
    ok(f.engine.withdraw({ account: id(bob), token: "USDC", amount: 1_000_000_000n }));
    const cp2 = checkpoint(f);
    const cert2 = certificate(f, cp2);
    const exits2 = leavesWithProofs(f.engine);
    const bobLeaf = leafOf(exits2, bob, "USDC");
    expect(bobLeaf.leaf.withdrawn).toBe(1_000_000_000n);
    const w = await f.adjudicator.withdraw(f.relayer.account, f.channelId, cert2, bobLeaf);
    expect(w.amount).toBe(1_000_000_000n);
    expect(await f.usdc.balanceOf(bob.address)).toBe(usdcBefore.get(bob.address)! - 3_000_000_000n + 1_000_000_000n);
    // the same withdrawal again pays nothing (the stored checkpoint needs no signatures)
    expect(await revertOf(f.adjudicator.withdraw(f.relayer.account, f.channelId, { checkpoint: cp2, signatures: [] }, bobLeaf))).toMatch(/NothingToPay/);
    // an older certificate is stale now
    expect(await revertOf(f.adjudicator.withdraw(f.relayer.account, f.channelId, cert1, leafOf(exits2, bob, "USDC")))).toMatch(/StaleCheckpoint/);

    // more trading, then checkpoint 3 (the latest)
    ok(f.engine.swap({ account: id(dave), pool: "ETH-USDC", tokenIn: "ETH", amountIn: 5n * 10n ** 17n }));
    ok(f.engine.transfer({ from: id(alice), to: id(carol), token: "USDC", amount: 250_000_000n }));
    const cp3 = checkpoint(f);
    const cert3 = certificate(f, cp3, f.parties.slice(1)); // another quorum: bob, carol, dave
    const exits3 = leavesWithProofs(f.engine);

    // (b) dave proposes the stale checkpoint 2; carol's watcher, holding 3, challenges on its own
    const watcher = new SettlementWatcher({ client: f.adjudicator, channelId: f.channelId, sender: carol.account, latestCertificate: () => cert3, pollIntervalMs: 20 });
    await watcher.poll(); // catches up with the deposits so far
    expect(watcher.deposits.map((d) => d.recordId)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(watcher.deposits[2]).toMatchObject({ beneficiary: carol.address, token: ETH_ADDRESS, amount: 2n * 10n ** 18n });
    watcher.start();
    expect(await revertOf(f.adjudicator.challengeSettlement(carol.account, f.channelId, cert2))).toMatch(/WrongStatus/);
    await f.adjudicator.proposeSettlement(dave.account, f.channelId, cert2);
    await vi.waitFor(() => expect(watcher.challenges.length).toBe(1), { timeout: 30_000, interval: 20 });
    await watcher.stop();
    await watcher.poll(); // reads its own challenge back (no second challenge: nothing higher to send)
    expect(watcher.challenges.length).toBe(1);
    expect(watcher.challenges[0]!.height).toBe(3);
    expect(watcher.settlements.map((s) => [s.kind, s.height])).toEqual([["checkpoint", 2n], ["proposed", 2n], ["checkpoint", 3n], ["challenged", 3n]]);
    expect(await revertOf(f.adjudicator.challengeSettlement(bob.account, f.channelId, cert2))).toMatch(/StaleCheckpoint/);
    expect(await revertOf(f.adjudicator.challengeSettlement(bob.account, f.channelId, cert3))).toMatch(/StaleCheckpoint/);
    const view = await f.adjudicator.channel(f.channelId);
    expect(view.height).toBe(3n);
    expect(view.exitRoot).toBe(cp3.exitRoot);
    expect(await revertOf(f.adjudicator.finalizeSettlement(alice.account, f.channelId))).toMatch(/DisputeWindowOpen/);
    await f.chain.increaseTimeSeconds(WINDOW);
    await f.adjudicator.finalizeSettlement(alice.account, f.channelId);
    expect((await f.adjudicator.channel(f.channelId)).status).toBe("Finalized");

    // (c) every leaf is claimed (by a relayer: claims are permissionless and pay the leaf's account)
    const ethBefore = new Map<string, bigint>();
    for (const p of f.parties) ethBefore.set(p.address, await f.chain.publicClient.getBalance({ address: p.address }));
    let claimedUsdc = 0n;
    let claimedEth = 0n;
    for (const exit of exits3) {
      const c = await f.adjudicator.claim(f.relayer.account, f.channelId, exit);
      expect(c.amount).toBe(exit.leaf.amount + exit.leaf.withdrawn - (exit === leafOf(exits3, bob, "USDC") ? 1_000_000_000n : 0n));
      if (exit.leaf.token === "USDC") claimedUsdc += c.amount;
      else claimedEth += c.amount;
    }
    // double claim: nothing left to pay
    expect(await revertOf(f.adjudicator.claim(f.relayer.account, f.channelId, exits3[0]!))).toMatch(/NothingToPay/);
    // on-chain balances reconcile exactly with the final channel state
    for (const p of f.parties) {
      const final = (token: string): bigint => f.engine.exitLeaves().find((l) => l.accountAddress === p.address.toLowerCase() && l.token === token)?.amount ?? 0n;
      const deposited = (token: string): bigint => (p === alice ? (token === "USDC" ? 5_000_000_000n : 0n) : p === bob ? (token === "USDC" ? 3_000_000_000n : 0n) : p === carol ? (token === "ETH" ? 2n * 10n ** 18n : 0n) : token === "ETH" ? 3n * 10n ** 18n : 1_000_000_000n);
      const withdrawn = p === bob ? 1_000_000_000n : 0n;
      expect(await f.usdc.balanceOf(p.address)).toBe(usdcBefore.get(p.address)! - deposited("USDC") + withdrawn + final("USDC"));
      expect(await f.chain.publicClient.getBalance({ address: p.address })).toBe(ethBefore.get(p.address)! + final("ETH"));
    }
    // what stays in the contract is exactly the unclaimable dust (MINIMUM_LIQUIDITY share + rounding)
    const totals = f.engine.state.totals;
    expect(await f.adjudicator.holdings(f.channelId, f.usdc.address)).toBe(totals.get("USDC")!.deposited - 1_000_000_000n - claimedUsdc + 0n);
    expect(await f.adjudicator.holdings(f.channelId, ETH_ADDRESS)).toBe(totals.get("ETH")!.deposited - claimedEth);
    expect(claimedUsdc + 1_000_000_000n).toBeLessThanOrEqual(9_000_000_000n);
    // bonds come back one window after finalization (late equivocation reports can still slash)
    expect(await revertOf(f.adjudicator.reclaimBond(alice.account, f.channelId))).toMatch(/BondLocked/);
    await f.chain.increaseTimeSeconds(WINDOW);
    const r = await f.adjudicator.reclaimBond(alice.account, f.channelId);
    expect(r.gasUsed).toBeGreaterThan(0n);
    expect(await f.adjudicator.bondOf(f.channelId, alice.address)).toBe(0n);
  });
});
