/**
 * `npm run bench -- --only seal`: the CPU cost of a sealed batch (src/channel/sealing/cost.ts)
 * against the unsealed path, on real 300-op batches: the Coinbase level-2 recording's flow as the
 * Coinbase replay feeds the engine (limit / market / cancel ops), encoded with the channel codec.
 * Cancels name the order ids the flow's refs would get in a fresh book (ref + 1): the encoding is
 * what is measured, the ops are not applied.
 */
import { Engine } from "../src/core/engine.js";
import type { Op } from "../src/core/ops.js";
import { measureSealingCost } from "../src/channel/sealing/cost.js";
import { replayCoinbase } from "../src/replay/coinbase.js";
import { defaultDataDir } from "../src/replay/paths.js";
import type { BenchRow } from "./support.js";

const OPS_PER_BATCH = 300;
const ACCOUNT = "0x" + "ab".repeat(20);

/** Up to `count` batches of 300 real Coinbase-flow ops. */
export function coinbaseBatches(count: number): Op[][] {
  const flow = replayCoinbase(new Engine(), { dataDir: defaultDataDir(), recordFlow: true }).flow!;
  const ops: Op[] = flow.events.map((e) => {
    const market = flow.markets[e.market]!.market;
    if (e.kind === "limit") return { type: "placeOrder", account: ACCOUNT, market, side: e.side, priceTicks: e.priceTicks, lots: e.lots, selfTradePrevention: "cancelMaker" };
    if (e.kind === "market") return { type: "marketOrder", account: ACCOUNT, market, side: e.side, lots: e.lots, worstPriceTicks: e.worstPriceTicks, selfTradePrevention: "cancelMaker" };
    const op: Op = { type: "cancelOrder", account: ACCOUNT, market, orderId: e.ref + 1 };
    if (e.lots !== undefined) op.lots = e.lots;
    return op;
  });
  const batches: Op[][] = [];
  for (let i = 0; i + OPS_PER_BATCH <= ops.length && batches.length < count; i += OPS_PER_BATCH) batches.push(ops.slice(i, i + OPS_PER_BATCH));
  return batches;
}

export async function benchSealing(): Promise<BenchRow[]> {
  const batches = coinbaseBatches(16);
  const rows: BenchRow[] = [];
  for (const participants of [4, 7]) {
    const c = await measureSealingCost({ batches, participants, rounds: 5 });
    const p = c.parts;
    rows.push({
      name: `seal: ${participants} participants, ${c.opsPerBatch}-op Coinbase batches`,
      opsPerSecond: Math.round((c.opsPerBatch * 1e6) / c.sealedMicrosPerBatch),
      peer: "unsealed: encode + sha256",
      peerOpsPerSecond: Math.round((c.opsPerBatch * 1e6) / c.unsealedMicrosPerBatch),
      ratio: Math.round((c.unsealedMicrosPerBatch / c.sealedMicrosPerBatch) * 1000) / 1000,
      note:
        `per batch (${c.payloadBytes} B): sealed ${c.sealedMicrosPerBatch} µs vs unsealed ${c.unsealedMicrosPerBatch} µs = ${c.ratio}× the CPU; ` +
        `${c.sealedMicrosPerOp} vs ${c.unsealedMicrosPerOp} µs/op; parts µs: encode ${p.encode}, seal ${p.seal}, checkOwnShare ${p.checkOwnShare}, reveal ${p.reveal}, verify ${c.threshold} reveals ${p.verifyReveals}, open ${p.open}`,
    });
  }
  return rows;
}
