/**
 * The channel part of the main job (`npm start`, `semilattice demo`): the real Uniswap and Coinbase
 * order flow run by N participants (default 4), each its own replica of one multi-party channel,
 * acting concurrently and syncing peer to peer; at the end every replica's state root is printed and
 * they must all be equal.
 *
 * The plan ({@link channelPlan}, deterministic: the same data and N give the same plan):
 * - **Coinbase**: the level-2 recording's order flow (`replayCoinbase(…, {recordFlow})`), split by
 *   trader ({@link splitBookFlow}: flow account k → participant k mod N, acting with its own
 *   account). The snapshot book is placed in the channel's genesis (so every replica starts from it
 *   and its order ids are fixed); deposits are the replay's funding rule, credited to the owners.
 * - **Uniswap**: every swap of the V3 day as an exact-input swap on a V2-exact pool seeded, as in the
 *   replay, with the real pool's virtual reserves (by participant 0, in genesis); swap sender s →
 *   participant (index of s among senders in order of first appearance) mod N; each participant is
 *   deposited in genesis the sum of what its senders swap in (an upper bound: outputs stay in its
 *   account). Mints and burns (the replay's liquidity rule) are not part of the channel run.
 * - Each participant's work is its Coinbase items and its swaps, interleaved in recorded order.
 *
 * The run, in rounds: in each round every participant signs its next 4 × 256 items as 4 batches of
 * 256 ops — the batches of different participants in a round are concurrent, none sees the others'
 * — and the participants sync until all replicas hold the same heads; then the next round. Own
 * batches are applied at once; the concurrent ones that sort earlier make each replica replay from
 * its latest snapshot once per round (snapshots every 4096 ops, `snapshotBeforeOwnBatch` off: with a
 * book of 12k seed orders a state copy costs more than replaying a round). (A cancel names its order by flow
 * ref; its id is read from the replica's current result of the op that placed it, see `FlowDriver`.)
 * - `network: "sim"`: the replicas share this process and talk over the seeded simulated network
 *   (`src/sync/simNetwork.ts`, small random delays, no loss): same run every time.
 * - `network: "tcp"`: each participant is its own OS process (`semilattice participant`, hidden),
 *   on 127.0.0.1 over the authenticated WebSocket transport; this process only coordinates the rounds
 *   over the children's stdin/stdout (JSON lines) and collects the state roots.
 *
 * `opsPerSecond` = ops signed by all participants / wall seconds of the rounds (all replicas
 * delivering and applying every op, on however many cores the processes get).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Op } from "../core/ops.js";
import type { Hex, Participant } from "../channel/identity.js";
import { MultiPartyChannel } from "../node/channel.js";
import { domainSeparator } from "../channel/batch.js";
import type { CheckpointCertificate, Checkpointer } from "../channel/checkpoint.js";
import { attachCheckpointer, muxTransport } from "../channel/consensus/attach.js";
import { fromCheckpointCertificate, verifyCertificate } from "../settlement/certificate.js";
import { loadUniswapEvents } from "../replay/uniswapData.js";
import { quorum } from "../runtime/quorum.js";
import { SimNetwork } from "../sync/simNetwork.js";
import { stderrLogger, stderrWarnLogger, type Logger } from "../runtime/transport.js";
import { WsTransport } from "../sync/wsTransport.js";
import { channelIdOf, coinbaseFlow, FlowDriver, splitBookFlow, testSigner, type FlowItem } from "./sim.js";

export const DEMO_BATCH_OPS = 256;
/** Batches each participant signs per round. */
export const DEMO_BATCHES_PER_ROUND = 4;
export const MAX_DEMO_PARTICIPANTS = 64;
const EPOCH_MS = 1_700_000_000_000;

export interface ChannelPlan {
  participants: Participant[];
  channelId: Hex;
  genesis: Op[];
  seedOrderIds: [number, number][];
  queues: FlowItem[][];
}

export interface ChannelSummary {
  participants: number;
  batches: number;
  ops: number;
  opsPerSecond: number;
  stateRootsEqual: boolean;
  syncRoundTripsMean: number;
}

/** Checkpoint finality of the channel run (sim network only; `semilattice demo --json` key `checkpoint`). */
export interface CheckpointSummary {
  /** Height of the last certified checkpoint (heights start at 0), the same on every replica. */
  height: number;
  /**
   * Per op, from its submission (the step that signed it) to the decision containing it, on the
   * submitting replica, in ms of the simulated network's virtual clock (the clock the replicas and
   * checkpointers run on; CPU time does not advance it).
   */
  finalityMsP50: number;
  finalityMsP99: number;
  /** Every replica holds a certificate of the same checkpoint at `height`, each verifying with ≥ q signatures. */
  certificatesEqual: boolean;
}

export interface ChannelRun {
  summary: ChannelSummary;
  network: "sim" | "tcp";
  rounds: number;
  seconds: number;
  stateRoots: { address: Hex; stateRoot: string }[];
  conservation: boolean;
  /** Cancels whose order was not (or no longer) placed by the time they were sent. */
  cancelsSkipped: number;
  accepted: number;
  rejected: number;
  /** Sim network only. */
  checkpoint?: CheckpointSummary;
  /** Sim network only: the certified state root is every replica's final state root and its checkpointed current state's (final + nothing pending). */
  certifiedRootMatches?: boolean;
}

/** The deterministic plan for `n` participants from the data in `dataDir` (see the module doc). */
export function channelPlan(dataDir: string, n: number): ChannelPlan {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEMO_PARTICIPANTS) throw new RangeError(`participants must be 1..${MAX_DEMO_PARTICIPANTS}`);
  const participants: Participant[] = Array.from({ length: n }, (_, i) => ({ address: testSigner(i).address, roles: ["Trader", "MarketMaker"] }));
  const flow = coinbaseFlow(dataDir);
  const split = splitBookFlow(flow, participants);

  // Uniswap: pool seeded like the replay; swaps by sender.
  const events = loadUniswapEvents(dataDir);
  const first = events[0];
  if (first === undefined) throw new Error("uniswap: no events");
  const Q96 = 1n << 96n;
  const seedUsdc = (first.totalLiquidity * Q96) / first.sqrtPriceX96;
  const seedWeth = (first.totalLiquidity * first.sqrtPriceX96) / Q96;
  const lp = (participants[0] as Participant).address;
  const genesis: Op[] = [
    ...split.genesis,
    { type: "createToken", symbol: "uni:USDC", decimals: 6 },
    { type: "createToken", symbol: "uni:WETH", decimals: 18 },
    { type: "createPool", pool: "uni:USDC/WETH", token0: "uni:USDC", token1: "uni:WETH", feePpm: 500 },
    { type: "deposit", account: lp, token: "uni:USDC", amount: seedUsdc },
    { type: "deposit", account: lp, token: "uni:WETH", amount: seedWeth },
    { type: "addLiquidity", account: lp, pool: "uni:USDC/WETH", amount0Desired: seedUsdc, amount1Desired: seedWeth },
  ];
  const senderIndex = new Map<string, number>();
  const swapsOf: FlowItem[][] = participants.map(() => []);
  const funding = participants.map(() => ({ usdc: 0n, weth: 0n }));
  for (const e of events) {
    if (e.type !== "SWAP") continue;
    let s = senderIndex.get(e.sender);
    if (s === undefined) senderIndex.set(e.sender, (s = senderIndex.size));
    const who = s % n;
    const account = (participants[who] as Participant).address;
    const f = funding[who] as { usdc: bigint; weth: bigint };
    if (e.amount0 > 0n) {
      f.usdc += e.amount0;
      (swapsOf[who] as FlowItem[]).push({ kind: "op", op: { type: "swap", account, pool: "uni:USDC/WETH", tokenIn: "uni:USDC", amountIn: e.amount0 } });
    } else if (e.amount1 > 0n) {
      f.weth += e.amount1;
      (swapsOf[who] as FlowItem[]).push({ kind: "op", op: { type: "swap", account, pool: "uni:USDC/WETH", tokenIn: "uni:WETH", amountIn: e.amount1 } });
    }
  }
  funding.forEach((f, i) => {
    const account = (participants[i] as Participant).address;
    if (f.usdc > 0n) genesis.push({ type: "deposit", account, token: "uni:USDC", amount: f.usdc });
    if (f.weth > 0n) genesis.push({ type: "deposit", account, token: "uni:WETH", amount: f.weth });
  });
  // Interleave each participant's Coinbase items and swaps in recorded order (by relative position).
  const queues = participants.map((_, i) => interleave(split.queues[i] ?? [], swapsOf[i] ?? []));
  return { participants, channelId: channelIdOf("semilattice/demo"), genesis, seedOrderIds: [...split.seedOrderIds], queues };
}

function interleave<T>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // take from a while its relative position is not ahead of b's
    if (j >= b.length || (i < a.length && i * b.length <= j * a.length)) out.push(a[i++] as T);
    else out.push(b[j++] as T);
  }
  return out;
}

/* ───────────────────────────── simulated network, one process ───────────────────────────── */

/**
 * Runs the plan with every replica in this process over the simulated network (seed 1, no loss).
 * Each replica also runs a Checkpointer (Tendermint checkpoints, `src/channel/checkpoint.ts`) on the
 * consensus side of its multiplexed transport, so checkpoints are finalized as the rounds go; after
 * the last round the network runs until every batch is final on every replica and every replica
 * holds the certificate of the last height.
 */
export function runChannelSim(plan: ChannelPlan, batchOps = DEMO_BATCH_OPS): ChannelRun {
  const net = new SimNetwork(1, { minDelayMs: 1, meanExtraDelayMs: 3 });
  const seedOrderIds = new Map(plan.seedOrderIds);
  const now = (): number => EPOCH_MS + Math.floor(net.now());
  /** Per-op finality samples, virtual ms (weight = ops of the batch). */
  const samples: { ms: number; ops: number }[] = [];
  const nodes = plan.participants.map((p, i) => {
    const base = net.node(p.address);
    const clock = base.clock();
    const { sync, consensus } = muxTransport(base);
    const signer = testSigner(i);
    const channel = new MultiPartyChannel({
      participants: plan.participants,
      signer,
      channelId: plan.channelId,
      genesis: plan.genesis,
      transport: sync,
      clock,
      now,
      rules: { syncIntervalMs: 50, maxOpsPerBatch: batchOps, relay: "own" },
      replicaOptions: { snapshotBeforeOwnBatch: false },
    });
    const cp: Checkpointer = attachCheckpointer({ replica: channel.replica, transport: consensus, clock, signer, now, checkpointIntervalMs: 20, onMissing: () => void channel.syncWithPeers() });
    /** Own batches not yet final: id → virtual submission time and op count. */
    const submitted = new Map<Hex, { at: number; ops: number }>();
    cp.onDecide(() => {
      const t = net.now();
      for (const [id, s] of submitted) {
        if (cp.finality(id).status !== "final") continue;
        samples.push({ ms: t - s.at, ops: s.ops });
        submitted.delete(id);
      }
    });
    return { channel, cp, submitted, seen: new Set<Hex>(), driver: new FlowDriver(channel, plan.queues[i] ?? [], seedOrderIds) };
  });
  /** Records the own batches signed since the last call as submitted now. */
  const noteSubmissions = (x: (typeof nodes)[0], at: number): void => {
    const me = x.channel.address.toLowerCase();
    for (const id of x.channel.replica.batchIdsInOrder()) {
      if (x.seen.has(id)) continue;
      x.seen.add(id);
      const b = x.channel.replica.getBatch(id);
      if (b === undefined || b.header.author.toLowerCase() !== me || x.cp.finality(id).status === "final") continue;
      x.submitted.set(id, { at, ops: b.ops.length });
    }
  };
  net.runUntil(1);
  const started = process.hrtime.bigint();
  let rounds = 0;
  const headsKey = (c: MultiPartyChannel): string => c.replica.heads().join(",");
  const first = nodes[0] as (typeof nodes)[0];
  while (nodes.some((x) => !x.driver.done)) {
    rounds++;
    for (const x of nodes) {
      const at = net.now();
      x.driver.step(batchOps * DEMO_BATCHES_PER_ROUND);
      x.channel.flush();
      noteSubmissions(x, at);
    }
    let k = 0;
    const ok = net.runUntilTrue(() => ++k % 8 === 0 && nodes.every((x) => headsKey(x.channel) === headsKey(first.channel)), net.now() + 60_000);
    if (!ok) throw new Error(`channel demo: round ${rounds} did not converge within 60 s of virtual time`);
    for (const x of nodes) noteSubmissions(x, net.now());
  }
  // Run until the last batches are final everywhere and every replica holds the last height's certificate.
  const lastHeads = first.channel.replica.heads();
  let k = 0;
  const settled = (): boolean =>
    nodes.every((x) => lastHeads.every((id) => x.cp.finality(id).status === "final")) &&
    nodes.every((x) => x.cp.height > 0 && x.cp.latestCertificate()?.checkpoint.height === x.cp.height - 1 && x.cp.height === first.cp.height);
  const finalized = net.runUntilTrue(() => ++k % 8 === 0 && settled(), net.now() + 60_000);
  if (!finalized) throw new Error("channel demo: the last batches were not finalized and certified within 60 s of virtual time");
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const run = finish(
    "sim",
    rounds,
    seconds,
    nodes.map((x) => x.channel),
    nodes.reduce((s, x) => s + x.driver.skipped, 0),
  );
  const certs = nodes.map((x) => x.cp.latestCertificate() as CheckpointCertificate);
  const cfg = first.channel.replica.config;
  const separator = domainSeparator({ chainId: cfg.chainId, verifyingContract: cfg.verifyingContract });
  const addresses = plan.participants.map((p) => p.address);
  const q = quorum(addresses.length);
  const verifies = (c: CheckpointCertificate): boolean => {
    try {
      return verifyCertificate(separator, fromCheckpointCertificate(c), addresses, q).length >= q;
    } catch {
      return false;
    }
  };
  const key = (c: CheckpointCertificate): string => JSON.stringify(c.checkpoint);
  const certificatesEqual = certs.every((c) => key(c) === key(certs[0] as CheckpointCertificate) && verifies(c));
  const root = (certs[0] as CheckpointCertificate).checkpoint.stateRoot;
  run.certifiedRootMatches = nodes.every((x) => x.cp.getFinalState().stateRoot() === root && x.cp.getCurrentState().stateRoot() === root);
  run.checkpoint = {
    height: (certs[0] as CheckpointCertificate).checkpoint.height,
    finalityMsP50: percentile(samples, 0.5),
    finalityMsP99: percentile(samples, 0.99),
    certificatesEqual,
  };
  return run;
}

/** The op-weighted percentile `p` of the samples (nearest rank), rounded to 0.1 ms. */
function percentile(samples: readonly { ms: number; ops: number }[], p: number): number {
  const sorted = [...samples].sort((a, b) => a.ms - b.ms);
  const total = sorted.reduce((s, x) => s + x.ops, 0);
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const x of sorted) {
    seen += x.ops;
    if (seen >= rank) return Math.round(x.ms * 10) / 10;
  }
  return 0;
}

function finish(network: "sim" | "tcp", rounds: number, seconds: number, channels: MultiPartyChannel[], cancelsSkipped: number): ChannelRun {
  const first = channels[0] as MultiPartyChannel;
  const ids = first.replica.batchIdsInOrder();
  let ops = 0;
  let accepted = 0;
  let rejected = 0;
  for (const id of ids) {
    ops += first.replica.getBatch(id)?.ops.length ?? 0;
    for (const r of first.replica.resultsOf(id) ?? []) {
      if (r.status === "accepted") accepted++;
      else rejected++;
    }
  }
  const stateRoots = channels.map((c) => ({ address: c.address, stateRoot: c.stateRoot() }));
  let sessions = 0;
  let trips = 0;
  for (const c of channels) {
    const st = c.sync?.stats;
    if (st === undefined) continue;
    sessions += st.sessionsCompleted;
    trips += st.initiatorRoundTrips + st.responderRounds;
  }
  return {
    summary: {
      participants: channels.length,
      batches: ids.length,
      ops,
      opsPerSecond: Math.round(ops / seconds),
      stateRootsEqual: stateRoots.every((r) => r.stateRoot === stateRoots[0]?.stateRoot),
      syncRoundTripsMean: sessions === 0 ? 0 : Math.round((trips / sessions) * 1e4) / 1e4,
    },
    network,
    rounds,
    seconds,
    stateRoots,
    conservation: channels.every((c) => c.getCurrentState().checkConservation().ok),
    cancelsSkipped,
    accepted,
    rejected,
  };
}

/* ───────────────────────────── tcp: one OS process per participant ───────────────────────────── */

/** JSON with bigints as `{"$n": "123"}` (plans cross the pipe to the children). */
export function toWire(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? { $n: v.toString() } : v));
}
export function fromWire<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$n === "string" && Object.keys(o).length === 1) return BigInt(o.$n);
    }
    return v;
  }) as T;
}

/** `bin/semilattice.js` of this package (found upwards from this module: works from dist/ and src/). */
function findBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "bin", "semilattice.js");
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, "..");
  }
  throw new Error("channel demo (tcp): bin/semilattice.js not found above " + fileURLToPath(import.meta.url));
}

interface ChildHandle {
  proc: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(msg: unknown): void;
}

function launch(index: number, plan: ChannelPlan): ChildHandle {
  const bin = findBin();
  const proc = spawn(process.execPath, [bin, "participant", "--index", String(index)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const queue: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  lines.on("line", (line) => {
    const msg = fromWire<Record<string, unknown>>(line);
    const w = waiting.shift();
    if (w !== undefined) w(msg);
    else queue.push(msg);
  });
  const exited = new Promise<never>((_, reject) => proc.on("exit", (code) => reject(new Error(`participant ${index} exited with code ${code}`))));
  exited.catch(() => {});
  const handle: ChildHandle = {
    proc,
    next: () => {
      const m = queue.shift();
      if (m !== undefined) return Promise.resolve(m);
      return Promise.race([new Promise<Record<string, unknown>>((r) => waiting.push(r)), exited]);
    },
    send: (msg) => (proc.stdin as NodeJS.WritableStream).write(toWire(msg) + "\n"),
  };
  handle.send({ t: "plan", plan: { ...plan, queues: [plan.queues[index] ?? []] } });
  return handle;
}

/** Runs the plan with each participant in its own OS process on 127.0.0.1 (WebSocket). */
export async function runChannelTcp(plan: ChannelPlan, batchOps = DEMO_BATCH_OPS): Promise<ChannelRun> {
  const n = plan.participants.length;
  const children = plan.participants.map((_, i) => launch(i, plan));
  try {
    const ready = await Promise.all(children.map((c) => c.next()));
    const urls = ready.map((m) => String(m.url));
    for (const c of children) c.send({ t: "peers", urls });
    await Promise.all(children.map((c) => c.next())); // connected to all
    const started = process.hrtime.bigint();
    let rounds = 0;
    for (;;) {
      for (const c of children) c.send({ t: "step", ops: batchOps * DEMO_BATCHES_PER_ROUND });
      const stepped = await Promise.all(children.map((c) => c.next()));
      if (stepped.every((m) => m.done === true && m.took === 0)) break;
      rounds++;
      // Wait until every replica holds the same heads.
      for (let polls = 0; ; polls++) {
        for (const c of children) c.send({ t: "heads" });
        const heads = await Promise.all(children.map((c) => c.next()));
        if (heads.every((m) => m.heads === heads[0]?.heads)) break;
        if (polls > 6000) throw new Error(`channel demo (tcp): round ${rounds} did not converge in 60 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (const c of children) c.send({ t: "finish" });
    const reports = await Promise.all(children.map((c) => c.next()));
    const stateRoots = reports.map((m) => ({ address: m.address as Hex, stateRoot: String(m.stateRoot) }));
    const r0 = reports[0] as Record<string, unknown>;
    const sessions = reports.reduce((s, m) => s + Number(m.sessions), 0);
    const trips = reports.reduce((s, m) => s + Number(m.trips), 0);
    const ops = Number(r0.ops);
    return {
      summary: {
        participants: n,
        batches: Number(r0.batches),
        ops,
        opsPerSecond: Math.round(ops / seconds),
        stateRootsEqual: stateRoots.every((r) => r.stateRoot === stateRoots[0]?.stateRoot),
        syncRoundTripsMean: sessions === 0 ? 0 : Math.round((trips / sessions) * 1e4) / 1e4,
      },
      network: "tcp",
      rounds,
      seconds,
      stateRoots,
      conservation: reports.every((m) => m.conservation === true),
      cancelsSkipped: reports.reduce((s, m) => s + Number(m.skipped), 0),
      accepted: Number(r0.accepted),
      rejected: Number(r0.rejected),
    };
  } finally {
    for (const c of children) {
      (c.proc.stdin as NodeJS.WritableStream).end();
      if (c.proc.exitCode === null) c.proc.kill();
    }
  }
}

/**
 * The hidden `semilattice participant` command: one participant of a tcp channel run. Reads JSON
 * lines on stdin (`plan`, `peers`, `step`, `heads`, `finish`), answers on stdout, logs to stderr.
 */
export async function participantMain(index: number, verbose = false): Promise<number> {
  const logger: Logger = verbose ? stderrLogger : stderrWarnLogger;
  const lines = createInterface({ input: process.stdin });
  const inbox: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let closed = false;
  lines.on("line", (l) => {
    const w = waiting.shift();
    if (w !== undefined) w(l);
    else inbox.push(l);
  });
  lines.on("close", () => {
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  const read = async (): Promise<Record<string, unknown> | undefined> => {
    const l = inbox.shift() ?? (closed ? undefined : await new Promise<string | undefined>((r) => waiting.push(r)));
    return l === undefined ? undefined : fromWire<Record<string, unknown>>(l);
  };
  const out = (msg: unknown): void => {
    process.stdout.write(toWire(msg) + "\n");
  };
  const first = await read();
  if (first?.t !== "plan") return 2;
  const plan = first.plan as ChannelPlan;
  const signer = testSigner(index);
  const transport = await WsTransport.listen({ signer, channelId: plan.channelId, participants: plan.participants.map((p) => p.address), logger });
  const channel = new MultiPartyChannel({
    participants: plan.participants,
    signer,
    channelId: plan.channelId,
    genesis: plan.genesis,
    transport,
    logger,
    rules: { syncIntervalMs: 50, maxOpsPerBatch: DEMO_BATCH_OPS, relay: "own" },
    replicaOptions: { snapshotBeforeOwnBatch: false },
  });
  const driver = new FlowDriver(channel, plan.queues[0] ?? [], new Map(plan.seedOrderIds));
  out({ t: "ready", url: transport.url });
  for (;;) {
    const msg = await read();
    if (msg === undefined) break;
    if (msg.t === "peers") {
      const urls = msg.urls as string[];
      plan.participants.forEach((p, i) => {
        if (i !== index) transport.addPeer(p.address, urls[i] as string);
      });
      while (transport.peers().length < plan.participants.length - 1) await new Promise((r) => setTimeout(r, 5));
      out({ t: "connected" });
    } else if (msg.t === "step") {
      const took = driver.step(Number(msg.ops));
      out({ t: "stepped", took, done: driver.done });
    } else if (msg.t === "heads") {
      out({ t: "heads", heads: channel.replica.heads().join(",") });
    } else if (msg.t === "finish") {
      const r = channel.replica;
      const ids = r.batchIdsInOrder();
      let ops = 0;
      let accepted = 0;
      let rejected = 0;
      for (const id of ids) {
        ops += r.getBatch(id)?.ops.length ?? 0;
        for (const x of r.resultsOf(id) ?? []) {
          if (x.status === "accepted") accepted++;
          else rejected++;
        }
      }
      const st = channel.sync?.stats;
      out({
        t: "report",
        address: channel.address,
        stateRoot: channel.stateRoot(),
        conservation: channel.getCurrentState().checkConservation().ok,
        batches: ids.length,
        ops,
        accepted,
        rejected,
        skipped: driver.skipped,
        sessions: st?.sessionsCompleted ?? 0,
        trips: (st?.initiatorRoundTrips ?? 0) + (st?.responderRounds ?? 0),
      });
      break;
    }
  }
  channel.close();
  await transport.close();
  return 0;
}

/** The channel run as table rows on stdout (after the replays' table). */
export function printChannel(run: ChannelRun): void {
  const s = run.summary;
  const rows: [string, string, string][] = [
    [`Channel (${s.participants} replicas, ${run.network})`, "batches / ops signed", `${s.batches} / ${s.ops} in ${run.rounds} rounds`],
    ["", "ops accepted / rejected (tentative, final order)", `${run.accepted} / ${run.rejected}`],
    ["", "ops/s (all replicas delivering and applying)", `${s.opsPerSecond} (${run.seconds.toFixed(2)} s)`],
    ["", "sync round trips per reconciliation (mean)", s.syncRoundTripsMean.toFixed(4)],
    ["", "conservation (every replica)", run.conservation ? "holds" : "VIOLATED"],
    ["", "state roots equal", s.stateRootsEqual ? "yes" : "NO"],
    ...run.stateRoots.map((r, i): [string, string, string] => ["", `replica ${i} ${r.address}`, r.stateRoot]),
  ];
  const c = run.checkpoint;
  if (c !== undefined) {
    rows.push(
      ["", "checkpoints: final height (every replica)", String(c.height)],
      ["", "finality p50 / p99 (ms, sim virtual clock)", `${c.finalityMsP50} / ${c.finalityMsP99}`],
      ["", "certificates equal (same checkpoint, ≥ q signatures)", c.certificatesEqual ? "yes" : "no"],
      ["", "certified state root = replicas' state root", run.certifiedRootMatches === true ? "yes" : "NO"],
    );
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  console.log("");
}
