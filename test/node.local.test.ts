/**
 * createLocalChannel (src/node/local.ts): four parties on the seeded simulated network with real
 * Checkpointers; ops of every kind reach every replica, `finalize` returns a certificate that
 * verifies against the participants with quorum 3 and whose roots are the final state's; deposit
 * records from a DepositSource are credited by checkpoints; bad parameters and unreachable goals are
 * LocalChannelErrors.
 */
import { describe, expect, it } from "vitest";
import { domainSeparator } from "../src/channel/batch.js";
import type { DepositRecord, DepositSource } from "../src/channel/deposits.js";
import { SemilatticeError } from "../src/core/errors.js";
import type { Op } from "../src/core/ops.js";
import { createLocalChannel, LocalChannelError } from "../src/node/local.js";
import { fromCheckpointCertificate, verifyCertificate } from "../src/settlement/certificate.js";
import { CHANNEL_ID, CONTRACT, genesisFor, signers } from "./channel.helpers.js";

describe("createLocalChannel", () => {
  it("runs a 4-party channel to a certified final state equal on every replica", () => {
    const ss = signers(4);
    const local = createLocalChannel({ signers: ss, channelId: CHANNEL_ID, verifyingContract: CONTRACT, genesis: genesisFor(ss.map((s) => s.address)), seed: 7 });
    const [a, b, c, d] = local.channels;
    expect(a!.addLiquidity({ pool: "WETH/USDC", amount0Desired: 100n * 10n ** 18n, amount1Desired: 300_000_000_000n }).status).toBe("accepted");
    local.sync();
    expect(b!.transfer({ to: c!.address, token: "USDC", amount: 5_000_000n }).status).toBe("accepted");
    expect(c!.swap({ pool: "WETH/USDC", tokenIn: "USDC", amountIn: 3_000_000_000n }).status).toBe("accepted");
    expect(d!.placeOrder({ market: "WETH-USDC", side: "sell", priceTicks: 3000, lots: 10 }).status).toBe("accepted");
    const root = local.sync();
    for (const ch of local.channels) expect(ch.stateRoot()).toBe(root);
    const { height, certificate, finalState } = local.finalize();
    expect(certificate.checkpoint.height).toBe(height);
    expect(finalState.stateRoot()).toBe(certificate.checkpoint.stateRoot);
    expect(finalState.exitRoot()).toBe(certificate.checkpoint.exitRoot);
    for (const cp of local.checkpointers) expect(cp.certificate(height)?.checkpoint).toEqual(certificate.checkpoint);
    // every batch so far is final everywhere
    for (const cp of local.checkpointers) for (const id of a!.replica.batchIdsInOrder()) expect(cp.finality(id).status).toBe("final");
    const separator = domainSeparator({ chainId: 31337, verifyingContract: CONTRACT });
    expect(verifyCertificate(separator, fromCheckpointCertificate(certificate), ss.map((s) => s.address), 3).length).toBeGreaterThanOrEqual(3);
    // the final state holds the ops: carol got bob's 5 USDC and swapped 3,000 USDC for WETH
    expect(finalState.balanceOf(c!.address, "WETH")).toBeGreaterThan(500n * 10n ** 18n);
    expect(local.now()).toBeGreaterThan(1_767_225_600_000);
    local.close();
  });

  it("credits deposit records through checkpoints", () => {
    const ss = signers(4);
    const records: DepositRecord[] = [];
    const source: DepositSource = { confirmed: (id) => records.find((r) => r.recordId === id) };
    const USDC = "0x00000000000000000000000000000000000000a1";
    const WETH = "0x00000000000000000000000000000000000000a2";
    const genesis: Op[] = [
      { type: "createToken", symbol: "USDC", decimals: 6, address: USDC },
      { type: "createToken", symbol: "WETH", decimals: 18, address: WETH },
    ]; // no deposit: checkpoints credit the records
    const local = createLocalChannel({ signers: ss, channelId: CHANNEL_ID, genesis, deposits: ss.map(() => source) });
    records.push({ recordId: 0n, account: ss[1]!.address, token: USDC, amount: 7_000_000n }, { recordId: 1n, account: ss[2]!.address, token: WETH, amount: 10n ** 18n });
    local.creditDeposits(2);
    for (const cp of local.checkpointers) {
      expect(cp.getFinalState().depositsCredited).toBe(2n);
      expect(cp.getFinalState().balanceOf(ss[1]!.address, "USDC")).toBe(7_000_000n);
    }
    // the credited money moves in the channel
    expect(local.channels[1]!.transfer({ to: ss[3]!.address, token: "USDC", amount: 2_000_000n }).status).toBe("accepted");
    const { finalState } = local.finalize();
    expect(finalState.balanceOf(ss[3]!.address, "USDC")).toBe(2_000_000n);
    local.close();
  });

  it("refuses bad parameters and reports goals not reached in the budget", () => {
    const ss = signers(4);
    const bad = (f: () => unknown, pattern: RegExp): void => {
      try {
        f();
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(LocalChannelError);
        expect(error).toBeInstanceOf(SemilatticeError);
        expect((error as LocalChannelError).message).toMatch(pattern);
      }
    };
    bad(() => createLocalChannel({ signers: ss.slice(0, 1), channelId: CHANNEL_ID }), /signers must be 2\.\.64/);
    bad(() => createLocalChannel({ signers: [ss[0]!, ss[0]!], channelId: CHANNEL_ID }), /distinct/);
    bad(() => createLocalChannel({ signers: ss, channelId: CHANNEL_ID, roles: [["Trader"]] }), /roles must have one entry per signer/);
    bad(() => createLocalChannel({ signers: ss, channelId: CHANNEL_ID, deposits: [] }), /deposits must have one source per signer/);
    const local = createLocalChannel({ signers: ss, channelId: CHANNEL_ID, genesis: genesisFor([]) });
    bad(() => local.advance(-1), /non-negative/);
    // no deposit source: a record can never be credited
    bad(() => local.creditDeposits(1, 2_000), /TIMEOUT|not credited within 2000 virtual ms/);
    expect((() => {
      try {
        local.creditDeposits(1, 1_000);
      } catch (error) {
        return (error as LocalChannelError).code;
      }
    })()).toBe("TIMEOUT");
    local.close();
  });
});
