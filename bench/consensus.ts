/**
 * Checkpoint consensus benchmark (issue 4 target: n = 4 in one process, loopback simulated network
 * with no added delay, finality p50 ≤ 20 ms and p99 ≤ 100 ms).
 *
 * Rows:
 * 1. **Tendermint alone**: decisions per second of the bare state machine (`consensus/sim.ts`, real
 *    secp256k1 signatures, zero-delay virtual network: no timeout ever fires on the happy path, so
 *    wall time is pure computation) with n = 4; peer: the same with n = 7.
 * 2. **Checkpoints over a live channel**: n = 4 {@link Replica}s each wrapped in a
 *    {@link Checkpointer}, in one process on a zero-delay loopback (messages are queued and delivered
 *    FIFO, timers fire on the wall clock). Each replica in turn submits a batch of `opsPerBatch`
 *    order-book ops; finality of a batch = wall time from its local submission to the decision that
 *    contains it, at the submitting replica (cadence `checkpointIntervalMs`, included in finality).
 *    opsPerSecond = ops finalized per second; peer: the same channel with tentative state only (no
 *    checkpoints), i.e. what consensus costs in throughput. Two loads: an offered rate (open loop:
 *    batches keep coming whatever consensus is doing) and a closed loop (the most this one core
 *    running all four replicas sustains). All four replicas share one core here, so per-machine
 *    figures (one replica per core) are higher; the ratio to the tentative-only peer is the portable number.
 */
import { Checkpointer, type CheckpointWire } from "../src/channel/checkpoint.js";
import { runConsensusSim } from "../src/channel/consensus/sim.js";
import { createSigner, type Hex, type Signer } from "../src/channel/identity.js";
import { Replica, type ChannelConfig } from "../src/channel/replica.js";
import type { Op } from "../src/core/ops.js";
import { Engine } from "../src/core/engine.js";
import { replayCoinbase } from "../src/replay/coinbase.js";
import { defaultDataDir } from "../src/replay/paths.js";
import { Author, BATCH_OPS, prepare } from "./channel.js";
import type { BenchRow } from "./support.js";

export interface ConsensusBenchRow extends BenchRow {
  finalityMsP50?: number;
  finalityMsP99?: number;
  decisionsPerSecond?: number;
}

function decisionsPerSecond(n: number, heights: number): number {
  runConsensusSim({ n, seed: 1, heights: 20, minDelayMs: 0, maxDelayMs: 0 }); // warm-up
  const t0 = performance.now();
  const r = runConsensusSim({ n, seed: 2, heights, minDelayMs: 0, maxDelayMs: 0 });
  const s = (performance.now() - t0) / 1000;
  if (!r.terminated || r.violations.length > 0) throw new Error(`consensus sim n=${n} did not terminate cleanly`);
  return heights / s;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function channelConfig(n: number): { config: ChannelConfig; keys: Hex[] } {
  const keys = Array.from({ length: n }, (_, i) => ("0x" + (i + 101).toString(16).padStart(64, "0")) as Hex);
  const addrs = keys.map((k) => createSigner(k).address);
  const genesis: Op[] = [
    { type: "createToken", symbol: "USDC", decimals: 6 },
    { type: "createToken", symbol: "WETH", decimals: 18 },
    { type: "createMarket", market: "WETH-USDC", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 1000n, makerFeePpm: 1000, takerFeePpm: 2000 },
  ];
  for (const a of addrs) {
    genesis.push({ type: "deposit", account: a, token: "USDC", amount: 10n ** 15n });
    genesis.push({ type: "deposit", account: a, token: "WETH", amount: 10n ** 24n });
  }
  return {
    config: { channelId: ("0x" + "5e".repeat(32)) as Hex, chainId: 31337, verifyingContract: ("0x" + "c0".repeat(20)) as Hex, participants: addrs.map((address) => ({ address, roles: ["Trader", "MarketMaker"] })), genesis },
    keys,
  };
}

/** What the replicas submit: a channel config and, per participant, its next batch (undefined when done). */
export interface Workload {
  name: string;
  config: ChannelConfig;
  signers: Signer[];
  /** Participant i's next batch, authored on `replica` (its own); `submitted` is told the batch id. */
  next(i: number, replica: Replica): { ops: Op[]; submitted?: (id: Hex) => void } | undefined;
}

/** Synthetic: `opsPerBatch` limit orders per batch at prices spread over 200 ticks (every batch touches most levels). */
export function syntheticWorkload(n: number, opsPerBatch: number): Workload {
  const { config, keys } = channelConfig(n);
  const signers = keys.map((k) => createSigner(k));
  let seq = 0;
  return {
    name: `synthetic, ${opsPerBatch} orders/batch`,
    config,
    signers,
    next(i) {
      seq++;
      const ops = Array.from({ length: opsPerBatch }, (_, k) => ({ type: "placeOrder", account: signers[i]!.address, market: "WETH-USDC", side: (seq + k) % 2 === 0 ? "buy" : "sell", priceTicks: 1900 + ((seq * 7 + k * 13) % 200), lots: 1 + (k % 5) }) as Op);
      return { ops };
    },
  };
}

/** The Coinbase level-2 flow as the channel bench splits it (bench/channel.ts): real books, 10 markets, ≤ 300-op batches. */
export function coinbaseWorkload(n: number): Workload {
  const flow = replayCoinbase(new Engine(), { dataDir: defaultDataDir(), recordFlow: true }).flow!;
  const setup = prepare(flow, n);
  const authors = new Map<number, Author>();
  return {
    name: `Coinbase flow, ${BATCH_OPS}-op batches`,
    config: setup.config,
    signers: setup.signers,
    next(i, replica) {
      let a = authors.get(i);
      if (a === undefined) authors.set(i, (a = new Author(setup, i, replica)));
      const b = a.nextBatch();
      if (b === undefined) return undefined;
      return { ops: b.ops, submitted: (id) => b.refs.forEach(([ref, index]) => a.refBatch.set(ref, { batch: id, index })) };
    },
  };
}

/**
 * Runs a live n-replica channel for at most `seconds` of wall time (or until the workload is done).
 * Open loop: replicas take turns submitting their next batch every (ops in a batch) /
 * `targetOpsPerSecond` seconds, whatever consensus is doing (batches arriving during a height wait
 * for the next one, as in a real deployment), while the loop delivers queued messages and fires due
 * timers in between. `targetOpsPerSecond` 0 = closed loop: the next batch is submitted as soon as
 * every queued message has been delivered. Returns ops finalized (or, without checkpoints, applied)
 * per second, finality per batch (ms), and how many submitted batches were not final at the end.
 */
export function liveChannel(
  workload: Workload,
  seconds: number,
  checkpoints: boolean,
  targetOpsPerSecond = 0,
  checkpointIntervalMs = 5,
): { opsPerSecond: number; finality: number[]; heights: number; rounds: number[]; batches: number; unfinalized: number } {
  const { config, signers } = workload;
  const n = signers.length;
  const reps = signers.map((s) => new Replica(config, s));
  // FIFO with a moving head (shift() on a long array is O(length))
  const inbox: { to: number; from: number; w?: CheckpointWire; bytes?: Uint8Array }[] = [];
  let head = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const submitted = new Map<Hex, { at: number; by: number; ops: number }>();
  const finality: number[] = [];
  let finalOps = 0;
  let heights = 0;
  const rounds: number[] = [];
  const cps = checkpoints
    ? reps.map(
        (r, i) =>
          new Checkpointer(r, {
            signer: signers[i]!,
            now: () => Date.now(),
            checkpointIntervalMs,
            send: (w, to) => {
              for (let j = 0; j < n; j++) if (j !== i && (to === undefined || to === String(j))) inbox.push({ to: j, from: i, w });
            },
            schedule: (ms, fn) => timers.push({ at: performance.now() + ms, fn }),
          }),
      )
    : [];
  cps.forEach((c, i) =>
    c.onDecide((_v, _at, round) => {
      if (i === 0) heights++;
      if (i === 0) rounds.push(round);
      const at = performance.now();
      for (const [id, s] of submitted) {
        if (s.by !== i || c.finality(id).status !== "final") continue;
        finality.push(at - s.at);
        finalOps += s.ops;
        submitted.delete(id);
      }
    }),
  );
  let seq = 0;
  const finished = new Set<number>();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let nextSubmit = t0;
  let tentativeOps = 0;
  for (let now = t0; now < end; now = performance.now()) {
    const idle = head === inbox.length;
    if (finished.size < n && (targetOpsPerSecond > 0 ? now >= nextSubmit : idle)) {
      let i = seq % n;
      while (finished.has(i)) i = ++seq % n;
      seq++;
      const b = workload.next(i, reps[i]!);
      if (b === undefined) finished.add(i);
      else {
        nextSubmit += targetOpsPerSecond > 0 ? (b.ops.length / targetOpsPerSecond) * 1000 : 0;
        const s = reps[i]!.submit(b.ops);
        b.submitted?.(s.id);
        tentativeOps += b.ops.length;
        if (checkpoints) submitted.set(s.id, { at: performance.now(), by: i, ops: b.ops.length });
        for (let j = 0; j < n; j++) if (j !== i) inbox.push({ to: j, from: i, bytes: s.bytes });
      }
    }
    if (finished.size === n && head === inbox.length && (!checkpoints || submitted.size === 0)) break;
    // deliver a slice of the queue, then due timers
    for (let k = 0; k < 64 && head < inbox.length; k++) {
      const m = inbox[head]!;
      inbox[head++] = undefined as never;
      if (m.bytes !== undefined) {
        reps[m.to]!.receive(m.bytes, String(m.from));
        if (checkpoints) cps[m.to]!.poll();
      } else cps[m.to]!.receive(m.w!, String(m.from));
    }
    if (head > 4096 && head * 2 > inbox.length) {
      inbox.splice(0, head);
      head = 0;
    }
    if (timers.length > 0) {
      const t = performance.now();
      const due = timers.filter((x) => x.at <= t);
      if (due.length > 0) {
        for (const x of due) timers.splice(timers.indexOf(x), 1);
        for (const x of due) x.fn();
      }
    }
  }
  const s = (performance.now() - t0) / 1000;
  return { opsPerSecond: (checkpoints ? finalOps : tentativeOps) / s, finality: finality.sort((a, b) => a - b), heights, rounds, batches: seq, unfinalized: submitted.size };
}

export async function benchConsensus(): Promise<ConsensusBenchRow[]> {
  const rows: ConsensusBenchRow[] = [];
  const d4 = decisionsPerSecond(4, 300);
  const d7 = decisionsPerSecond(7, 150);
  rows.push({
    name: "tendermint decisions/s, n=4, zero-delay sim",
    opsPerSecond: Math.round(d4),
    peer: "same, n=7",
    peerOpsPerSecond: Math.round(d7),
    ratio: Math.round((d4 / d7) * 100) / 100,
    decisionsPerSecond: Math.round(d4),
    finalityMsP50: Math.round((1000 / d4) * 100) / 100,
    note: "state machine + secp256k1 sign/recover only; finality per height = 1/decisions per second",
  });
  // Open loop at fixed offered loads (the finality target is stated "while sustaining" a throughput),
  // on the real Coinbase flow and on a synthetic flow that touches most price levels every batch.
  for (const [make, offered] of [
    [() => coinbaseWorkload(4), 8000],
    [() => syntheticWorkload(4, 200), 4000],
  ] as const) {
    const tentative = liveChannel(make(), 3, false);
    const live = liveChannel(make(), 4, true, offered);
    const name = make().name;
    const round0 = live.rounds.filter((r) => r === 0).length;
    const p50 = Math.round(percentile(live.finality, 50) * 10) / 10;
    const p99 = Math.round(percentile(live.finality, 99) * 10) / 10;
    rows.push({
      name: `checkpoint finality, n=4 replicas in 1 process, ${name}, offered ${offered} ops/s`,
      opsPerSecond: Math.round(live.opsPerSecond),
      peer: "same channel, tentative only, closed loop",
      peerOpsPerSecond: Math.round(tentative.opsPerSecond),
      ratio: Math.round((live.opsPerSecond / tentative.opsPerSecond) * 100) / 100,
      finalityMsP50: p50,
      finalityMsP99: p99,
      decisionsPerSecond: Math.round(live.heights / 4),
      note: `channel ops/s (×4 = per-replica rate, as bench channel counts it); checkpointIntervalMs 5; finality p50 ${p50} ms, p99 ${p99} ms over ${live.finality.length} batches (${live.unfinalized} not final at the end); ${live.heights} heights, ${round0} decided in round 0`,
    });
  }
  return rows;
}
