/**
 * The main job's settlement (src/cli/settleDemo.ts) on the embedded EVM, both paths: the Uniswap
 * day's 6,046 swaps by four replicas with Tendermint checkpoints (which credit every on-chain deposit,
 * one made mid-run), a mid-channel withdrawal, a
 * cooperative or dispute close, and every participant's on-chain balances equal to its final channel
 * balance plus its withdrawals. The run is deterministic (seeded simulated network, virtual time).
 */
import { describe, expect, it } from "vitest";
import { runSettlementDemo } from "../src/cli/settleDemo.js";
import { defaultDataDir } from "../src/replay/paths.js";

describe("settlement in the main job", () => {
  it("reconciles exactly in the cooperative and the dispute path, with the same final state", async () => {
    const coop = await runSettlementDemo({ dataDir: defaultDataDir(), participants: 4, mode: "cooperative" });
    const dispute = await runSettlementDemo({ dataDir: defaultDataDir(), participants: 4, mode: "dispute" });
    for (const run of [coop, dispute]) {
      expect(run.summary.onChainMatchesFinalState).toBe(true);
      expect(run.summary).toMatchObject({ swaps: 6046, swapsAccepted: 6046, endpoint: "embedded" });
      expect(run.rows.length).toBe(12);
      for (const r of run.rows) expect(r.onChainReceived).toBe(r.channelFinal);
      expect(run.rows.filter((r) => r.withdrawn > 0n).map((r) => r.token)).toEqual(["USDC", "WETH"]);
      // no deposit in the genesis: checkpoints credit all 13 records (3 per participant at the start,
      // participant 0's pool seed included, and 250,000 USDC by participant 3 after trading started)
      const d = run.summary.deposits;
      expect(d.records).toBe(13);
      expect(d.creditedAtHeight.length).toBe(13);
      expect(d.creditedAtHeight.every((h) => Number.isInteger(h) && h >= 0)).toBe(true);
      expect(d.midRun).toMatchObject({ participant: 3, token: "USDC", amount: "250000000000", recordId: 12 });
      expect(d.midRun.swapsBefore).toBeGreaterThan(1000);
      expect(d.midRun.creditedAtHeight).toBeGreaterThan(Math.max(...d.creditedAtHeight.slice(0, 12)));
      expect(run.summary.gasCalls.deposit).toBe(13);
    }
    expect(coop.summary.gasUsed.cooperativeClose).toBeGreaterThan(0);
    // gasUsed is per call (comparable with Nitro's 46,496 per deposit), not a sum over the calls.
    expect(coop.summary.gasCalls.deposit).toBeGreaterThan(1);
    expect(coop.summary.gasUsed.deposit).toBeGreaterThan(40_000);
    expect(coop.summary.gasUsed.deposit).toBeLessThan(120_000);
    expect(coop.summary.gasCalls).toMatchObject({ cooperativeClose: 1, propose: 0, challenge: 0, finalize: 0 });
    expect(dispute.summary.gasCalls).toMatchObject({ cooperativeClose: 0, propose: 1, challenge: 1, finalize: 1 });
    expect(coop.summary.gasUsed.propose).toBe(0);
    for (const k of ["propose", "challenge", "finalize"] as const) expect(dispute.summary.gasUsed[k]).toBeGreaterThan(0);
    // same channel run, same final balances, whichever way it closed
    expect(dispute.rows.map((r) => [r.token, r.channelFinal, r.withdrawn])).toEqual(coop.rows.map((r) => [r.token, r.channelFinal, r.withdrawn]));
    expect(dispute.summary.finalHeight).toBe(coop.summary.finalHeight);
  });
});
