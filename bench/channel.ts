/**
 * Channel benchmark (issue 3 §10): delivered-and-applied ops per second per replica, with 2, 4 and
 * 10 replicas in one process, on real order flow; and the local (tentative) confirmation latency of
 * `Replica.submit`.
 *
 * Workload: the Coinbase level-2 recording's flow as the Coinbase replay feeds the engine
 * (`replayCoinbase(…, {recordFlow: true})`: 10 markets, 10,808 limit / market / cancel / partial
 * cancel ops after a seed of 12,414 resting orders). The flow's 30 accounts (bids, asks and taker
 * per product) are split among the N participants by trader (account i → participant i mod N); the
 * channel's genesis holds the tokens, markets, the participants' deposits (the flow's, summed per
 * participant) and the seed orders. Each participant's share of the events, in flow order, is cut
 * into batches of `BATCH_OPS` ops. In each round every participant that has events left submits one
 * batch (parents = its heads), then every replica receives every other replica's new batches (each
 * replica in its own rotated order, so concurrent batches arrive out of batch-id order and the
 * replay path runs), then brings its tentative state up to date. Cancels name the engine order id
 * the author's replica last saw for its own order (`resultsOf` its batches), so — as in a real
 * channel — a cancel can miss when the final order differs from the author's tentative view.
 *
 * Three schedules: concurrent rounds with the canonical order restored eagerly (the default
 * replica), the same rounds with `canonicalize: "onRead"` (restored once, when the state is read at
 * the end), and no concurrency at all (each batch reaches everyone before the next is authored).
 *
 * Measured (one run = the whole flow through every replica; best of several runs):
 * - **per replica** ops/s = ops × N / wall time: every replica delivers and applies every op, and
 *   the N replicas share one thread, so this is the rate one replica sustains on its own core;
 *   wall time covers encoding, signing, decoding, hashing, signature recovery, DAG, ordering,
 *   snapshots/replays and applying;
 * - **peer**: one bare `Engine` applying the same ops in the channel's final order (no channel);
 *   ratio = per-replica rate / peer rate, i.e. 1 / the channel's overhead factor;
 * - submit() latency p50/p99 for the benchmark's batches and, separately, for 1-op batches (what
 *   one user op costs to confirm locally), in the note.
 * After each run every replica's state root must be equal and equal to the peer's.
 */
import { Replica, type ChannelConfig } from "../src/channel/replica.js";
import { createSigner, type Hex, type Signer } from "../src/channel/identity.js";
import { applyBatch, type CanonicalMode } from "../src/channel/tentative.js";
import { Engine } from "../src/core/engine.js";
import type { Op } from "../src/core/ops.js";
import { replayCoinbase } from "../src/replay/coinbase.js";
import type { BookEvent, BookFlow } from "../src/replay/flow.js";
import { defaultDataDir } from "../src/replay/paths.js";
import { row, type BenchRow, type Timing } from "./support.js";

export const BATCH_OPS = 300;

export interface Setup {
  n: number;
  signers: Signer[];
  config: ChannelConfig;
  /** Per participant: its events, in flow order. */
  events: BookEvent[][];
  /** Flow account → participant index. */
  owner: Map<string, number>;
  markets: string[];
  /** ref → order id of the seed orders (genesis). */
  seedIds: Map<number, number>;
  totalOps: number;
}

export function prepare(flow: BookFlow, n: number): Setup {
  const signers = Array.from({ length: n }, (_, i) => createSigner(("0x" + (i + 1).toString(16).padStart(64, "0")) as Hex));
  const accounts = [...flow.accounts].sort();
  const owner = new Map(accounts.map((a, i) => [a, i % n]));
  const addr = (account: string): string => signers[owner.get(account)!]!.address;
  const genesis: Op[] = [];
  for (const t of flow.tokens) genesis.push({ type: "createToken", symbol: t.symbol, decimals: t.decimals });
  for (const m of flow.markets) genesis.push({ type: "createMarket", ...m });
  for (const d of flow.deposits) genesis.push({ type: "deposit", account: addr(d.account), token: d.token, amount: d.amount });
  const markets = flow.markets.map((m) => m.market);
  // seed orders in genesis; their ids are 1, 2, … in order when accepted
  const probe = new Engine();
  for (const s of signers) probe.createAccount({ account: s.address, address: s.address, roles: ["Trader", "MarketMaker"] });
  for (const op of genesis) probe.apply(op);
  const seedIds = new Map<number, number>();
  for (const e of flow.seed) {
    if (e.kind !== "limit") continue;
    const op: Op = { type: "placeOrder", account: addr(e.account), market: markets[e.market]!, side: e.side, priceTicks: e.priceTicks, lots: e.lots, selfTradePrevention: "cancelMaker" };
    const r = probe.apply(op);
    if (r.status !== "accepted") continue;
    genesis.push(op);
    seedIds.set(e.ref, (r as unknown as { orderId: number }).orderId);
  }
  const events: BookEvent[][] = Array.from({ length: n }, () => []);
  for (const e of flow.events) events[owner.get(e.account)!]!.push(e);
  const config: ChannelConfig = {
    channelId: ("0x" + "c0".repeat(32)) as Hex,
    chainId: 31337,
    verifyingContract: ("0x" + "5e".repeat(20)) as Hex,
    participants: signers.map((s) => ({ address: s.address, roles: ["Trader", "MarketMaker"] })),
    genesis,
  };
  return { n, signers, config, events, owner, markets, seedIds, totalOps: flow.events.length };
}

/** One participant's author-side state: where it is in its events and its refs' order ids. */
export class Author {
  next = 0;
  readonly refBatch = new Map<number, { batch: Hex; index: number }>();
  constructor(
    readonly setup: Setup,
    readonly index: number,
    readonly replica: Replica,
  ) {}

  orderId(ref: number): number {
    const at = this.refBatch.get(ref);
    if (at === undefined) return this.setup.seedIds.get(ref) ?? 0;
    // the author's latest view of its own order; does not force the canonical order (onRead)
    const r = this.replica.latestResultsOf(at.batch)?.[at.index];
    return r !== undefined && r.status === "accepted" ? (r as unknown as { orderId: number }).orderId : 0;
  }

  nextBatch(): { ops: Op[]; refs: [number, number][] } | undefined {
    const mine = this.setup.events[this.index]!;
    if (this.next >= mine.length) return undefined;
    const me = this.setup.signers[this.index]!.address;
    const ops: Op[] = [];
    const refs: [number, number][] = [];
    for (; this.next < mine.length && ops.length < BATCH_OPS; this.next++) {
      const e = mine[this.next]!;
      const market = this.setup.markets[e.market]!;
      if (e.kind === "limit") {
        refs.push([e.ref, ops.length]);
        ops.push({ type: "placeOrder", account: me, market, side: e.side, priceTicks: e.priceTicks, lots: e.lots, selfTradePrevention: "cancelMaker" });
      } else if (e.kind === "market") {
        ops.push({ type: "marketOrder", account: me, market, side: e.side, lots: e.lots, worstPriceTicks: e.worstPriceTicks, selfTradePrevention: "cancelMaker" });
      } else {
        const op: Op = { type: "cancelOrder", account: me, market, orderId: this.orderId(e.ref) };
        if (e.lots !== undefined) op.lots = e.lots;
        ops.push(op);
      }
    }
    return { ops, refs };
  }
}

interface RunResult {
  seconds: number;
  submitMicros: number[];
  roots: string[];
  order: Hex[];
  replicas: Replica[];
  batches: number;
}

/**
 * `concurrent`: every participant submits in a round before anyone receives (concurrent batches,
 * reorders and replays). Otherwise each batch reaches every replica before the next is authored
 * (no concurrency: every batch sorts last everywhere — the fast path only).
 */
function runChannel(setup: Setup, concurrent = true, canonicalize: CanonicalMode = "eager"): RunResult {
  const replicas = setup.signers.map((s, i) => new Replica(setup.config, s, { now: () => 1_700_000_000_000 + i, canonicalize }));
  const authors = replicas.map((r, i) => new Author(setup, i, r));
  const submitMicros: number[] = [];
  let batches = 0;
  let opsSubmitted = 0;
  const start = process.hrtime.bigint();
  for (let round = 0; ; round++) {
    const fresh: { from: number; bytes: Uint8Array }[] = [];
    for (const a of authors) {
      const next = a.nextBatch();
      if (next === undefined) continue;
      const t0 = process.hrtime.bigint();
      const s = a.replica.submit(next.ops);
      opsSubmitted += next.ops.length;
      submitMicros.push(Number(process.hrtime.bigint() - t0) / 1000);
      for (const [ref, index] of next.refs) a.refBatch.set(ref, { batch: s.id, index });
      batches++;
      if (!concurrent) {
        replicas.forEach((rep, i) => {
          if (i === a.index) return;
          const r = rep.receive(s.bytes, `p${a.index}`);
          if (r.error !== undefined || r.accepted.length !== 1) throw new Error(`replica ${i}: ${r.error?.code ?? "not delivered"}`);
        });
        continue;
      }
      fresh.push({ from: a.index, bytes: s.bytes });
    }
    if (!concurrent && authors.every((a) => a.next >= setup.events[a.index]!.length)) break;
    if (!concurrent) continue;
    if (concurrent && fresh.length === 0) break;
    replicas.forEach((rep, i) => {
      for (let k = 0; k < fresh.length; k++) {
        const f = fresh[(k + i + round) % fresh.length]!;
        if (f.from === i) continue;
        const r = rep.receive(f.bytes, `p${f.from}`);
        if (r.error !== undefined) throw new Error(`replica ${i}: ${r.error.code} ${r.error.message}`);
      }
      // eager: bring the tentative state into canonical order now (replays happen here); onRead: at the end
      if (canonicalize === "eager") rep.getCurrentState();
    });
  }
  for (const rep of replicas) rep.getCurrentState(); // every replica ends canonical, inside the timing
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (opsSubmitted !== setup.totalOps) throw new Error(`submitted ${opsSubmitted} of ${setup.totalOps} ops`);
  const roots = replicas.map((r) => r.stateRoot());
  return { seconds, submitMicros, roots, order: replicas[0]!.batchIdsInOrder(), replicas, batches };
}

function peerRun(setup: Setup, replica: Replica, order: Hex[]): { seconds: number; root: string } {
  const engine = new Engine();
  for (const p of setup.config.participants) engine.createAccount({ account: p.address, address: p.address, roles: p.roles });
  for (const op of setup.config.genesis) engine.apply(op);
  const batches = order.map((id) => replica.getBatch(id)!);
  const start = process.hrtime.bigint();
  for (const b of batches) applyBatch(engine, b.ops, b.header.author);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, root: engine.stateRoot() };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** submit() latency of 1-op batches on a replica holding the benchmark's state. */
function singleOpLatency(setup: Setup, replica: Replica): number[] {
  const me = setup.signers[0]!.address;
  const out: number[] = [];
  for (let i = 0; i < 400; i++) {
    const op: Op = i % 2 === 0 ? { type: "placeOrder", account: me, market: setup.markets[0]!, side: "buy", priceTicks: 1, lots: 1 } : { type: "cancelOrder", account: me, market: setup.markets[0]!, orderId: 0 };
    const t0 = process.hrtime.bigint();
    replica.submit([op]);
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out.slice(100);
}

export async function benchChannel(): Promise<BenchRow[]> {
  const flow = replayCoinbase(new Engine(), { dataDir: defaultDataDir(), recordFlow: true }).flow!;
  const rows: BenchRow[] = [];
  for (const n of [2, 4, 10]) {
    const setup = prepare(flow, n);
    let best: RunResult | undefined;
    const runs = n === 10 ? 2 : 3;
    for (let r = 0; r < runs; r++) {
      const res = runChannel(setup);
      if (new Set(res.roots).size !== 1) throw new Error(`${n} replicas: state roots differ`);
      if (best === undefined || res.seconds < best.seconds) best = res;
    }
    let peerBest = Infinity;
    let peerRoot = "";
    for (let r = 0; r < 10; r++) {
      const p = peerRun(setup, best!.replicas[0]!, best!.order);
      peerBest = Math.min(peerBest, p.seconds);
      peerRoot = p.root;
    }
    if (peerRoot !== best!.roots[0]) throw new Error(`${n} replicas: peer root differs from the channel's`);
    const ops = setup.totalOps;
    const ours: Timing = { ops: ops * n, seconds: best!.seconds, opsPerSecond: (ops * n) / best!.seconds };
    const peer: Timing = { ops, seconds: peerBest, opsPerSecond: ops / peerBest };
    let lazy: RunResult | undefined;
    for (let r = 0; r < 2; r++) {
      const res = runChannel(setup, true, "onRead");
      // cancels name the ids the authors saw, which may differ from eager's: compare with the peer, not eager
      if (new Set(res.roots).size !== 1) throw new Error(`${n} replicas (onRead): state roots differ`);
      if (peerRun(setup, res.replicas[0]!, res.order).root !== res.roots[0]) throw new Error(`${n} replicas (onRead): peer root differs`);
      if (lazy === undefined || res.seconds < lazy.seconds) lazy = res;
    }
    let fast: RunResult | undefined;
    for (let r = 0; r < 2; r++) {
      const res = runChannel(setup, false);
      if (new Set(res.roots).size !== 1) throw new Error(`${n} replicas (sequential): state roots differ`);
      if (peerRun(setup, res.replicas[0]!, res.order).root !== res.roots[0]) throw new Error(`${n} replicas (sequential): peer root differs`);
      if (fast === undefined || res.seconds < fast.seconds) fast = res;
    }
    const single = singleOpLatency(setup, best!.replicas[0]!);
    const stats = best!.replicas[0]!.stats;
    const us = (x: number): string => `${x.toFixed(0)} µs`;
    rows.push(
      row(`channel: ${n} replicas, Coinbase flow, per replica`, ours, "one Engine, same ops, no channel", peer, [
        `${ops} ops in ${best!.batches} batches of ≤${BATCH_OPS}, every replica applies all; channel aggregate ${Math.round(ops / best!.seconds).toLocaleString("en-US")} ops/s on one thread; state roots equal (and = peer)`,
        `submit() of a ${BATCH_OPS}-op batch p50 ${us(percentile(best!.submitMicros, 50))} p99 ${us(percentile(best!.submitMicros, 99))}; of a 1-op batch p50 ${us(percentile(single, 50))} p99 ${us(percentile(single, 99))}`,
        `replica 0: ${stats.replays} replays, ${stats.batchesReplayed} batches re-applied, ${stats.snapshotsTaken} snapshots`,
      ].join("; ")),
    );
    const lazyT: Timing = { ops: ops * n, seconds: lazy!.seconds, opsPerSecond: (ops * n) / lazy!.seconds };
    const ls = lazy!.replicas[0]!.stats;
    rows.push(
      row(`channel: ${n} replicas, canonical order on read, per replica`, lazyT, "one Engine, same ops, no channel", peer, [
        `same rounds, canonicalize "onRead": out-of-order arrivals applied at once on top, canonical order restored when the state is read (here once, at the end, timed); roots equal (and = peer on the same batches)`,
        `submit() of a ${BATCH_OPS}-op batch p50 ${us(percentile(lazy!.submitMicros, 50))} p99 ${us(percentile(lazy!.submitMicros, 99))}`,
        `replica 0: ${ls.replays} replays, ${ls.batchesReplayed} batches re-applied, ${ls.snapshotsTaken} snapshots`,
      ].join("; ")),
    );
    const fastT: Timing = { ops: ops * n, seconds: fast!.seconds, opsPerSecond: (ops * n) / fast!.seconds };
    rows.push(
      row(`channel: ${n} replicas, no concurrency (fast path only), per replica`, fastT, "one Engine, same ops, no channel", peer, `each batch reaches every replica before the next is authored: no reorders, no replays; isolates the pipeline (encode, sign, decode, SHA-256, keccak, recover, DAG, order, apply)`),
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchChannel().then(
    (rows) => {
      for (const r of rows) console.log(r);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
