/**
 * Sync benchmarks (issue 3):
 * - **Reconciliation**: round trips per reconciliation and byte overhead, Kleppmann & Howard's Bloom
 *   variant against plain heads/needs, on the same seeded steady-state simulation (4 replicas on the
 *   simulated network, no faults, no eager relay, so reconciliation carries every batch). The row's
 *   ops/s are reconciliations per wall second; the note carries the round trips and bytes.
 * - **Delivered-and-applied ops/s per replica** with 2, 4 and 10 replicas: all in one process over
 *   the simulated network, against one OS process per replica over WebSocket on 127.0.0.1. The
 *   workload is synthetic (limit orders, swaps and transfers on a small genesis, 256-op batches,
 *   4 batches per participant per round); "per replica" = ops signed by everyone / wall seconds
 *   until every replica has delivered and applied all of them.
 */
import type { Op } from "../src/core/ops.js";
import type { Participant } from "../src/channel/identity.js";
import { channelIdOf, runSimulation, testSigner, type FlowItem } from "../src/cli/sim.js";
import { runChannelSim, runChannelTcp, type ChannelPlan, type ChannelRun } from "../src/cli/channelDemo.js";
import { Prng } from "../src/runtime/prng.js";
import type { BenchRow } from "./support.js";

/** A small-genesis plan: every participant trades `opsEach` ops (orders, swaps, transfers), deterministically. */
export function syntheticPlan(n: number, opsEach: number, seed = 1): ChannelPlan {
  const participants: Participant[] = Array.from({ length: n }, (_, i) => ({ address: testSigner(i).address, roles: ["Trader", "MarketMaker"] }));
  const genesis: Op[] = [
    { type: "createToken", symbol: "A", decimals: 6 },
    { type: "createToken", symbol: "B", decimals: 6 },
    { type: "createPool", pool: "A/B", token0: "A", token1: "B", feePpm: 3000 },
    { type: "createMarket", market: "A-B", base: "A", quote: "B", lotSize: 1_000n, tickSize: 1n, makerFeePpm: 1000, takerFeePpm: 2000 },
  ];
  for (const p of participants) {
    genesis.push({ type: "deposit", account: p.address, token: "A", amount: 10n ** 18n });
    genesis.push({ type: "deposit", account: p.address, token: "B", amount: 10n ** 18n });
  }
  genesis.push({ type: "addLiquidity", account: (participants[0] as Participant).address, pool: "A/B", amount0Desired: 10n ** 15n, amount1Desired: 10n ** 15n });
  const prng = new Prng(seed);
  const queues: FlowItem[][] = participants.map((p) => {
    const q: FlowItem[] = [];
    for (let i = 0; i < opsEach; i++) {
      const x = prng.int(10);
      if (x < 5) {
        const buy = prng.chance(0.5);
        q.push({ kind: "op", op: { type: "placeOrder", account: p.address, market: "A-B", side: buy ? "buy" : "sell", priceTicks: (buy ? 990 : 1000) + prng.int(20), lots: 1 + prng.int(20) } });
      } else if (x < 8) {
        q.push({ kind: "op", op: { type: "swap", account: p.address, pool: "A/B", tokenIn: prng.chance(0.5) ? "A" : "B", amountIn: BigInt(1 + prng.int(1_000_000)) } });
      } else {
        q.push({ kind: "op", op: { type: "transfer", from: p.address, to: prng.pick(participants).address, token: "A", amount: BigInt(1 + prng.int(1000)) } });
      }
    }
    return q;
  });
  return { participants, channelId: channelIdOf(`semilattice/bench/${n}`), genesis, seedOrderIds: [], queues };
}

function perReplica(run: ChannelRun): number {
  return run.summary.ops / run.seconds;
}

export async function benchSync(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];

  // Reconciliation: Bloom vs plain on the same seeded steady state.
  const common = { seed: 41, participants: 4, faults: false, relay: "none" as const, eventsPerParticipant: 40 };
  const t0 = process.hrtime.bigint();
  const bloom = runSimulation({ ...common, mode: "bloom" });
  const t1 = process.hrtime.bigint();
  const plain = runSimulation({ ...common, mode: "plain" });
  const t2 = process.hrtime.bigint();
  const overhead = (r: typeof bloom): string => `${Math.round((r.syncBytes.sent - r.syncBytes.batchBytes) / Math.max(1, r.batches))} B/batch overhead, ${r.syncBytes.duplicateBatches} duplicate batches`;
  rows.push({
    name: "sync: reconciliations, Bloom vs plain (4 replicas, sim)",
    opsPerSecond: Math.round(bloom.sessions / (Number(t1 - t0) / 1e9)),
    peer: "plain heads/needs (same seed)",
    peerOpsPerSecond: Math.round(plain.sessions / (Number(t2 - t1) / 1e9)),
    ratio: Math.round((plain.roundTripsMean / bloom.roundTripsMean) * 100) / 100,
    note:
      `round trips per reconciliation: Bloom ${bloom.roundTripsMean.toFixed(4)} (${bloom.sessions} sessions) vs plain ${plain.roundTripsMean.toFixed(4)} ` +
      `(${plain.sessions}); ratio = plain/Bloom round trips; bytes: Bloom ${bloom.syncBytes.sent} (${overhead(bloom)}), plain ${plain.syncBytes.sent} (${overhead(plain)})`,
  });

  // Delivered-and-applied ops/s per replica: one process vs one process per replica over ws.
  for (const n of [2, 4, 10]) {
    const plan = syntheticPlan(n, Math.round(16_384 / n));
    const inProcess = runChannelSim(plan);
    const processes = await runChannelTcp(plan);
    const ok = inProcess.summary.stateRootsEqual && processes.summary.stateRootsEqual && inProcess.stateRoots[0]?.stateRoot !== undefined;
    rows.push({
      name: `sync: delivered+applied ops/s per replica, ${n} replicas`,
      opsPerSecond: Math.round(perReplica(inProcess)),
      peer: `${n} OS processes over ws (127.0.0.1)`,
      peerOpsPerSecond: Math.round(perReplica(processes)),
      ratio: Math.round((perReplica(inProcess) / perReplica(processes)) * 100) / 100,
      note:
        `${inProcess.summary.ops} ops in ${inProcess.summary.batches} batches; in one process ${inProcess.seconds.toFixed(2)} s (all ${n} replicas on one thread), ` +
        `as processes ${processes.seconds.toFixed(2)} s; state roots equal: ${ok ? "yes" : "NO"}; round trips/reconciliation ${inProcess.summary.syncRoundTripsMean} / ${processes.summary.syncRoundTripsMean}`,
    });
  }
  return rows;
}
