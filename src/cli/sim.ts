/**
 * `semilattice sim --seeds A..B [--participants N] [--byzantine K]`: deterministic simulation of
 * whole channels (in the manner of FoundationDB's simulator and TigerBeetle's VOPR). Each seed
 * drives one PRNG that decides everything: network faults (delay, drop, duplicate, reorder, a
 * partition that heals, a crash and restart of an honest replica), what the Byzantine participants
 * do and when every participant acts. **Same seed ⇒ same run, bit for bit** (virtual time; no wall
 * clock reaches a replica: batch timestamps are virtual too), so a failing seed replays exactly.
 *
 * Order flow: the real Coinbase level-2 order flow (`replayCoinbase(…, {recordFlow})`, the ops the
 * main job replays), a seed-chosen window of it, split among the participants **by trader**: each
 * flow account belongs to one participant, which acts for it with its own channel account
 * ({@link splitBookFlow}); plus seeded AMM swaps and transfers between participants.
 *
 * Byzantine behaviours (Byzantine participant j does behaviour (seed + j) mod 7):
 * `badSignature` (a batch with a corrupted signature), `equivocation` (two different batches with
 * the same seq, each sent to half the peers), `overspend` (ops beyond its balance), `forbidden`
 * (setup ops, ops for another participant's account, and trades while holding only the Observer
 * role), `malformed` (random bytes, and a well-framed message carrying an undecodable batch),
 * `missingParents` (a batch whose parent it never sends), `orphanFlood` (signed batches with
 * invented parents, beyond the orphan limit).
 *
 * Checks per seed, over the honest replicas once partitions healed and the crashed one restarted:
 * all hold the same heads and the **same state root**; **conservation** holds in each
 * (`engine.checkConservation()`); an equivocation is recorded as evidence by every honest replica;
 * no honest replica cut off an honest peer.
 *
 * Consensus (Tendermint checkpoints, `src/channel/checkpoint.ts`): every replica, Byzantine ones
 * included (they run the protocol over their own replica, which may hold their forged batches),
 * runs a Checkpointer on the consensus side of its multiplexed transport. Checked: **agreement** —
 * no two honest replicas ever decide different values at one height (every decision is recorded);
 * **progress** — once the network healed and the honest replicas converged, each honest replica
 * submits one more op, and every honest replica must decide a height above the highest decided when
 * the network healed, with those ops final (a failure only while the Byzantine participants, plus a
 * replica crashed for good, are at most f = ⌊(n−1)/3⌋). What survives a crash is what a real node writes
 * durably: its delivered batches and its Checkpointer's write-ahead log (own signed proposals and votes,
 * logged before they are sent; decisions; certificates). The restarted replica rebuilds its final
 * state from them, resumes the round it was in without signing anything that conflicts with what it
 * signed before the crash, catches up on later heights from its peers' decision proofs, and is held
 * to the same progress check as the others (the old instance is silenced at the crash).
 */
import { createHash } from "node:crypto";
import { Engine } from "../core/engine.js";
import type { Op } from "../core/ops.js";
import type { Result } from "../core/results.js";
import type { RoleName } from "../core/roles.js";
import { createBatch, domainSeparator } from "../channel/batch.js";
import { decodeBatch, encodeBatch, encodePayload } from "../channel/codec.js";
import { createSigner, type Hex, type Participant, type Signer } from "../channel/identity.js";
import { Replica, type ChannelConfig } from "../channel/replica.js";
import { MultiPartyChannel, ZERO_ADDRESS, type OpHandle } from "../node/channel.js";
import { replayCoinbase } from "../replay/coinbase.js";
import { loadCoinbase } from "../replay/coinbaseData.js";
import type { BookEvent, BookFlow } from "../replay/flow.js";
import { defaultDataDir } from "../replay/paths.js";
import { encodeMessage } from "../sync/protocol.js";
import type { SyncMode } from "../sync/reconcile.js";
import { maxFaulty } from "../runtime/quorum.js";
import { Prng, SimNetwork, type Partition, type SimFaults, type SimTransport } from "../sync/simNetwork.js";
import { silentLogger, stderrLogger, type Logger, type PeerId, type Transport, type TransportHandlers } from "../runtime/transport.js";
import { checkpointValueId, type Checkpointer, type CheckpointWalEntry } from "../channel/checkpoint.js";
import { attachCheckpointer, muxTransport } from "../channel/consensus/attach.js";

/* ───────────────────────────── identities ───────────────────────────── */

/** bytes32 channel id from a name: SHA-256 of it. */
export function channelIdOf(name: string): Hex {
  return ("0x" + createHash("sha256").update(name).digest("hex")) as Hex;
}

/**
 * Deterministic test key of participant `i` (SHA-256 of a label; never use for real funds). The same
 * label gives the same addresses in every run and process (the tcp demo's children derive theirs).
 */
export function testSigner(i: number, label = "semilattice/test-key"): Signer {
  return createSigner(("0x" + createHash("sha256").update(`${label}/${i}`).digest("hex")) as Hex);
}

/* ───────────────────────────── order flow split by trader ───────────────────────────── */

/** One item of a participant's work: an op, or a cancel whose order id is resolved when it is sent. */
export type FlowItem =
  | { kind: "op"; op: Op; ref?: number }
  | { kind: "cancel"; market: string; ref: number; lots?: number };

export interface SplitFlow {
  /** Setup: tokens, markets, deposits to the participants' accounts, the seed book. */
  genesis: Op[];
  /** Order ids of the seed orders placed in genesis, by flow ref. */
  seedOrderIds: Map<number, number>;
  /** Per participant, its items in flow order. */
  queues: FlowItem[][];
  /** Flow account → participant index. */
  owner: Map<string, number>;
}

/**
 * Splits a {@link BookFlow} among participants by trader: flow account k (in `flow.accounts` order)
 * belongs to participant `owners[k mod owners.length]` (default all, in order), whose channel account (its address) acts for it. Deposits of a
 * flow account are credited to its owner; the seed book is placed in genesis (so its order ids are
 * fixed); `events` (default all) become the owners' queues, cancels by flow ref.
 */
export function splitBookFlow(
  flow: BookFlow,
  participants: readonly Participant[],
  events: readonly BookEvent[] = flow.events,
  owners: readonly number[] = participants.map((_, i) => i),
): SplitFlow {
  if (owners.length === 0) throw new RangeError("splitBookFlow: no owners");
  const owner = new Map<string, number>();
  flow.accounts.forEach((a, k) => owner.set(a, owners[k % owners.length] as number));
  const addr = (account: string): Hex => (participants[owner.get(account) ?? 0] as Participant).address;
  const genesis: Op[] = [];
  for (const t of flow.tokens) genesis.push({ type: "createToken", symbol: t.symbol, decimals: t.decimals });
  for (const m of flow.markets) genesis.push({ type: "createMarket", ...m });
  const deposits = new Map<string, bigint>();
  for (const d of flow.deposits) {
    const k = `${addr(d.account)}\n${d.token}`;
    deposits.set(k, (deposits.get(k) ?? 0n) + d.amount);
  }
  for (const [k, amount] of [...deposits].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [account, token] = k.split("\n") as [string, string];
    genesis.push({ type: "deposit", account, token, amount });
  }
  const seedRefs: number[] = [];
  for (const e of flow.seed) {
    if (e.kind !== "limit") continue;
    const m = flow.markets[e.market];
    if (m === undefined) continue;
    genesis.push({ type: "placeOrder", account: addr(e.account), market: m.market, side: e.side, priceTicks: e.priceTicks, lots: e.lots });
    seedRefs.push(e.ref);
  }
  // The genesis order ids, as the replica's genesis engine will assign them.
  const scratch = new Engine();
  for (const p of participants) scratch.createAccount({ account: p.address, address: p.address, roles: p.roles });
  const seedOrderIds = new Map<number, number>();
  let s = 0;
  for (const op of genesis) {
    const r = scratch.apply(op) as Result & { orderId?: number };
    if (op.type === "placeOrder") {
      const ref = seedRefs[s++] as number;
      if (r.status === "accepted" && typeof r.orderId === "number") seedOrderIds.set(ref, r.orderId);
    }
  }
  const queues: FlowItem[][] = participants.map(() => []);
  for (const e of events) {
    const m = flow.markets[e.market];
    if (m === undefined) continue;
    const who = owner.get(e.account) ?? 0;
    const account = addr(e.account);
    const q = queues[who] as FlowItem[];
    if (e.kind === "limit") q.push({ kind: "op", ref: e.ref, op: { type: "placeOrder", account, market: m.market, side: e.side, priceTicks: e.priceTicks, lots: e.lots } });
    else if (e.kind === "market") q.push({ kind: "op", op: { type: "marketOrder", account, market: m.market, side: e.side, lots: e.lots, worstPriceTicks: e.worstPriceTicks } });
    else q.push(e.lots === undefined ? { kind: "cancel", market: m.market, ref: e.ref } : { kind: "cancel", market: m.market, ref: e.ref, lots: e.lots });
  }
  return { genesis, seedOrderIds, queues, owner };
}

/**
 * Feeds one participant's {@link FlowItem}s into its {@link MultiPartyChannel}. A cancel names its
 * order by flow ref; the order id is looked up when the cancel is sent, from the *current*
 * tentative result of the op that placed it (it can change while concurrent batches arrive); a
 * cancel of an order never placed here is skipped.
 */
export class FlowDriver {
  private next = 0;
  /** Cancels of orders placed in the same step, carried to the next step. */
  private deferred: FlowItem[] = [];
  private readonly placed = new Map<number, { tentative: number | undefined; handle?: OpHandle }>();
  submitted = 0;
  skipped = 0;

  constructor(
    public channel: MultiPartyChannel,
    readonly queue: readonly FlowItem[],
    private readonly seedOrderIds: ReadonlyMap<number, number>,
  ) {}

  get done(): boolean {
    return this.next >= this.queue.length && this.deferred.length === 0;
  }

  get position(): number {
    return this.next;
  }

  /**
   * Submits up to `max` items as one batch (several if over `maxOpsPerBatch`); returns how many
   * were taken. A cancel naming an order placed in the same step is carried over to the next step
   * (that order's id is known only once its batch is applied), so steps never split a batch.
   */
  step(max: number, extra: readonly Op[] = []): number {
    let taken = 0;
    let ops: Op[] = [];
    let refs: (number | undefined)[] = [];
    const send = (): void => {
      if (ops.length === 0) return;
      const { results, handles } = this.channel.submitBatch(ops);
      refs.forEach((ref, i) => {
        if (ref === undefined) return;
        const r = results[i] as Result & { orderId?: number };
        this.placed.set(ref, { tentative: r.status === "accepted" ? r.orderId : undefined, handle: handles[i] });
      });
      this.submitted += ops.length;
      ops = [];
      refs = [];
    };
    const carried = this.deferred;
    this.deferred = [];
    let c = 0;
    while (taken < max && (c < carried.length || this.next < this.queue.length)) {
      const item = c < carried.length ? (carried[c++] as FlowItem) : (this.queue[this.next++] as FlowItem);
      taken++;
      if (item.kind === "op") {
        ops.push(item.op);
        refs.push(item.ref);
        continue;
      }
      if (refs.includes(item.ref)) {
        this.deferred.push(item);
        continue;
      }
      const orderId = this.orderIdOf(item.ref);
      if (orderId === undefined) {
        this.skipped++;
        continue;
      }
      ops.push({ type: "cancelOrder", account: this.channel.address, market: item.market, orderId, ...(item.lots === undefined ? {} : { lots: item.lots }) });
      refs.push(undefined);
    }
    for (; c < carried.length; c++) this.deferred.push(carried[c] as FlowItem);
    for (const op of extra) {
      ops.push(op);
      refs.push(undefined);
    }
    send();
    return taken;
  }

  private orderIdOf(ref: number): number | undefined {
    const seed = this.seedOrderIds.get(ref);
    if (seed !== undefined) return seed;
    const p = this.placed.get(ref);
    if (p === undefined) return undefined;
    if (p.handle !== undefined) {
      const r = this.channel.resultOf(p.handle) as (Result & { orderId?: number }) | undefined;
      return r?.status === "accepted" ? r.orderId : undefined;
    }
    return p.tentative;
  }
}

let cachedCoinbaseFlow: { dir: string; flow: BookFlow } | undefined;

/** The Coinbase recording as a {@link BookFlow} (recorded once per process and data folder). */
export function coinbaseFlow(dataDir: string = defaultDataDir()): BookFlow {
  if (cachedCoinbaseFlow?.dir === dataDir) return cachedCoinbaseFlow.flow;
  const recording = loadCoinbase(dataDir);
  const report = replayCoinbase(new Engine(), { dataDir, recording, recordFlow: true });
  if (report.flow === undefined) throw new Error("coinbase replay did not record its flow");
  cachedCoinbaseFlow = { dir: dataDir, flow: report.flow };
  return report.flow;
}

/* ───────────────────────────── the simulation ───────────────────────────── */

export const BYZANTINE_BEHAVIOURS = ["badSignature", "equivocation", "overspend", "forbidden", "malformed", "missingParents", "orphanFlood"] as const;
export type ByzantineBehaviour = (typeof BYZANTINE_BEHAVIOURS)[number];

export interface SimOptions {
  seed: number;
  /** Participants, 2..64 (default 4). */
  participants?: number;
  /** Byzantine participants among them (default 0), fewer than `participants`. */
  byzantine?: number;
  /** Network faults, partition and crash/restart (default true). */
  faults?: boolean;
  /** The crashed replica: restarted (default) or offline for good (the others must go on). */
  crash?: "restart" | "permanent" | "none";
  /** Virtual ms during which participants act (default 1500). */
  activeMs?: number;
  /** Flow events per participant (default 60). */
  eventsPerParticipant?: number;
  /** Reconciliation mode (default bloom). */
  mode?: SyncMode;
  /** Periodic sync, virtual ms (default 100). */
  syncIntervalMs?: number;
  /** Eager relay (default own). */
  relay?: "own" | "all" | "none";
  dataDir?: string;
  logger?: Logger;
  /** Only these Byzantine behaviours (default: by seed). */
  behaviours?: ByzantineBehaviour[];
  /** Run Checkpointers and check agreement and progress (default true); false = the sync layer alone, unmultiplexed. */
  consensus?: boolean;
}

export interface SimReport {
  seed: number;
  participants: number;
  byzantine: { address: Hex; behaviour: ByzantineBehaviour }[];
  /** Honest replicas compared (the permanently crashed one, if any, excluded). */
  honestCompared: number;
  converged: boolean;
  stateRootsEqual: boolean;
  stateRoot: string;
  conservation: boolean;
  batches: number;
  ops: number;
  equivocationsRecorded: number;
  /** (honest replica, Byzantine peer) pairs cut off. */
  bans: number;
  roundTripsMean: number;
  sessions: number;
  /** Over the honest replicas: bytes sent by the sync layer, of which encoded batches, and batches received twice. */
  syncBytes: { sent: number; batchBytes: number; duplicateBatches: number };
  virtualMs: number;
  /** Per Byzantine participant: its delivered batches' op results in the final order (first honest replica). */
  byzantineResults: { address: Hex; batches: number; accepted: number; rejectedByCode: Record<string, number> }[];
  /** Batches authored by the others after the crash of a replica (it must not stop them). */
  batchesAfterCrash: number;
  /** Checkpoints decided (highest decided height + 1) by the first honest replica compared. */
  heights: number;
  /** No two honest replicas decided different values at one height. */
  agreement: boolean;
  /** After healing, every honest replica (the restarted one included) decided a higher height, with the new ops final. */
  progress: boolean;
  /** Highest decided height when the network had healed and the honest replicas converged (-1: none). */
  heightAtHeal: number;
  faults: { partition?: Partition; crash?: { node: Hex; atMs: number; restartMs?: number }; drop: number; duplicate: number };
  failures: string[];
}

interface Node {
  index: number;
  signer: Signer;
  address: Hex;
  honest: boolean;
  behaviour?: ByzantineBehaviour;
  transport: SimTransport;
  /** The sync side of the multiplexed transport (what the channel and the raw Byzantine sends use). */
  sync: Transport;
  channel: MultiPartyChannel;
  /** Undefined with `consensus: false`. */
  cp?: Checkpointer;
  /** Silences this incarnation's Checkpointer (at a crash). */
  gate?: GatedTransport;
  restarted: boolean;
  driver: FlowDriver;
  /** Encoded delivered batches in delivery order: what survives a crash. */
  persisted: Uint8Array[];
  /** The Checkpointer's write-ahead log (own signed messages, decisions, certificates): survives a crash too. */
  wal: CheckpointWalEntry[];
  up: boolean;
}

const EPOCH_MS = 1_700_000_000_000;
const SIM_POOL = "sim:A/B";

/** A transport that stops sending once closed off (a crashed Checkpointer must not speak again). */
class GatedTransport implements Transport {
  open = true;
  constructor(private readonly base: Transport) {}
  get self(): PeerId {
    return this.base.self;
  }
  send(peer: PeerId, bytes: Uint8Array): boolean {
    return this.open && this.base.send(peer, bytes);
  }
  peers(): PeerId[] {
    return this.base.peers();
  }
  setHandlers(handlers: TransportHandlers): void {
    this.base.setHandlers(handlers);
  }
  ban(peer: PeerId, reason: string): void {
    this.base.ban(peer, reason);
  }
  close(): Promise<void> {
    return this.base.close();
  }
}

/** Runs one seeded simulation; see the module doc. Never throws for a failed check: see `failures`. */
export function runSimulation(opts: SimOptions): SimReport {
  const n = opts.participants ?? 4;
  const k = opts.byzantine ?? 0;
  if (!Number.isInteger(n) || n < 2 || n > 64) throw new RangeError("participants must be 2..64");
  if (!Number.isInteger(k) || k < 0 || k >= n) throw new RangeError("byzantine must be 0..participants-1");
  const seed = opts.seed >>> 0;
  const prng = new Prng(seed);
  const faultsOn = opts.faults ?? true;
  const activeMs = opts.activeMs ?? 1500;
  const logger = opts.logger ?? silentLogger;

  // Who is Byzantine and how (the last k participants; behaviours by seed).
  const signers = Array.from({ length: n }, (_, i) => testSigner(i, "semilattice/sim"));
  const behaviourOf = (j: number): ByzantineBehaviour =>
    opts.behaviours !== undefined ? (opts.behaviours[j % opts.behaviours.length] as ByzantineBehaviour) : (BYZANTINE_BEHAVIOURS[(seed + j) % BYZANTINE_BEHAVIOURS.length] as ByzantineBehaviour);
  const byz = new Map<number, ByzantineBehaviour>();
  for (let j = 0; j < k; j++) byz.set(n - k + j, behaviourOf(j));
  const participants: Participant[] = signers.map((s, i) => ({
    address: s.address,
    roles: (byz.get(i) === "forbidden" ? ["Observer"] : ["Trader", "MarketMaker"]) as RoleName[],
  }));

  // Order flow: a window of the real Coinbase flow, split by trader; plus an AMM pool.
  const flow = coinbaseFlow(opts.dataDir ?? defaultDataDir());
  // Two markets with small seed books (the state is cloned for snapshots: keep it small), by seed.
  const seedSize = flow.markets.map((_, m) => flow.seed.filter((e) => e.market === m).length);
  const small = flow.markets.map((_, m) => m).filter((m) => (seedSize[m] as number) < 1000);
  const m1 = prng.pick(small);
  const m2 = prng.pick(small.filter((m) => m !== m1));
  const marketEvents = flow.events.filter((e) => e.market === m1 || e.market === m2);
  const perP = opts.eventsPerParticipant ?? 60;
  const windowLen = Math.min(marketEvents.length, perP * n);
  const offset = prng.int(Math.max(1, marketEvents.length - windowLen));
  const subFlow: BookFlow = { ...flow, seed: flow.seed.filter((e) => e.market === m1 || e.market === m2) };
  // Flow accounts belong to honest participants (the Byzantine ones do not follow the flow).
  const honestOwners = participants.map((_, i) => i).filter((i) => !byz.has(i));
  const split = splitBookFlow(subFlow, participants, marketEvents.slice(offset, offset + windowLen), honestOwners);
  const genesis: Op[] = [
    ...split.genesis,
    { type: "createToken", symbol: "sim:A", decimals: 6 },
    { type: "createToken", symbol: "sim:B", decimals: 6 },
    { type: "createPool", pool: SIM_POOL, token0: "sim:A", token1: "sim:B", feePpm: 3000 },
  ];
  for (const p of participants) {
    genesis.push({ type: "deposit", account: p.address, token: "sim:A", amount: 1_000_000_000_000n });
    genesis.push({ type: "deposit", account: p.address, token: "sim:B", amount: 1_000_000_000_000n });
  }
  genesis.push({ type: "addLiquidity", account: (participants[0] as Participant).address, pool: SIM_POOL, amount0Desired: 500_000_000_000n, amount1Desired: 500_000_000_000n });
  const config: ChannelConfig = {
    channelId: channelIdOf(`semilattice/sim/${seed}`),
    chainId: 31337,
    verifyingContract: ZERO_ADDRESS,
    participants,
    genesis,
    limits: { maxOrphansPerPeer: 64 },
  };

  // Network and faults.
  const faults: SimFaults = {};
  const report: SimReport = {
    seed,
    participants: n,
    byzantine: [...byz].map(([i, behaviour]) => ({ address: (signers[i] as Signer).address, behaviour })),
    honestCompared: 0,
    converged: false,
    stateRootsEqual: false,
    stateRoot: "",
    conservation: false,
    batches: 0,
    ops: 0,
    equivocationsRecorded: 0,
    bans: 0,
    roundTripsMean: 0,
    sessions: 0,
    syncBytes: { sent: 0, batchBytes: 0, duplicateBatches: 0 },
    virtualMs: 0,
    byzantineResults: [],
    batchesAfterCrash: 0,
    heights: 0,
    agreement: true,
    progress: false,
    heightAtHeal: -1,
    faults: { drop: 0, duplicate: 0 },
    failures: [],
  };
  const addresses = signers.map((s) => s.address);
  if (faultsOn) {
    faults.minDelayMs = 1;
    faults.meanExtraDelayMs = 2 + prng.int(18);
    faults.dropProbability = prng.int(10) / 100;
    faults.duplicateProbability = prng.int(10) / 100;
    faults.reorderProbability = 0.2;
    faults.reorderSpreadMs = 40;
    report.faults.drop = faults.dropProbability;
    report.faults.duplicate = faults.duplicateProbability;
    if (prng.chance(0.7)) {
      const fromMs = 100 + prng.int(500);
      const a: Hex[] = [];
      const b: Hex[] = [];
      for (const x of addresses) (prng.chance(0.5) ? a : b).push(x);
      const partition: Partition = { fromMs, untilMs: fromMs + 200 + prng.int(800), groups: [a, b] };
      faults.partitions = [partition];
      report.faults.partition = partition;
    }
  }
  const net = new SimNetwork(prng.nextU32(), faults);

  const nodes: Node[] = [];
  const makeChannel = (i: number, transport: SimTransport, sync: Transport, replica?: Replica): MultiPartyChannel =>
    new MultiPartyChannel({
      participants,
      signer: signers[i] as Signer,
      channelId: config.channelId,
      genesis,
      limits: config.limits,
      transport: sync,
      clock: transport.clock(),
      now: () => EPOCH_MS + Math.floor(net.now()),
      logger,
      replica,
      rules: { syncMode: opts.mode ?? "bloom", syncIntervalMs: opts.syncIntervalMs ?? 100, sessionTimeoutMs: 1000, relay: opts.relay ?? "own", maxOpsPerBatch: 256 },
      replicaOptions: { snapshotBeforeOwnBatch: false },
    });
  // Every decision of every honest replica, by height: the first value id seen, and who decided it.
  const decided = new Map<number, { id: Hex; by: Hex }>();
  const consensusSides = new Map<Hex, Transport>();
  const consensusOn = opts.consensus ?? true;
  const makeCheckpointer = (node: Node): void => {
    if (!consensusOn) return;
    node.gate = new GatedTransport(consensusSides.get(node.address) as Transport);
    const clock = node.transport.clock();
    node.cp = attachCheckpointer({
      replica: node.channel.replica,
      transport: node.gate,
      clock,
      signer: node.signer,
      restore: node.wal,
      persist: (e) => node.wal.push(e),
      now: () => EPOCH_MS + Math.floor(net.now()),
      checkpointIntervalMs: 20,
      onMissing: () => void node.channel.syncWithPeers(),
    });
    node.cp.onDecide((v) => {
      if (!node.honest) return;
      const id = checkpointValueId(v);
      const prior = decided.get(v.height);
      if (prior === undefined) decided.set(v.height, { id, by: node.address });
      else if (prior.id !== id) {
        if (report.agreement) report.failures.push(`agreement violated at height ${v.height}: ${prior.by} decided ${prior.id.slice(0, 18)}…, ${node.address} decided ${id.slice(0, 18)}…`);
        report.agreement = false;
      }
    });
  };
  const persist = (node: Node): void => {
    node.channel.replica.on("delivered", (d) => node.persisted.push(d.bytes));
  };
  for (let i = 0; i < n; i++) {
    const transport = net.node(addresses[i] as Hex);
    let sync: Transport = transport;
    if (consensusOn) {
      const mux = muxTransport(transport);
      sync = mux.sync;
      consensusSides.set(addresses[i] as Hex, mux.consensus);
    }
    const channel = makeChannel(i, transport, sync);
    const node = {
      index: i,
      signer: signers[i] as Signer,
      address: addresses[i] as Hex,
      honest: !byz.has(i),
      behaviour: byz.get(i),
      transport,
      sync,
      channel,
      restarted: false,
      driver: new FlowDriver(channel, split.queues[i] ?? [], split.seedOrderIds),
      persisted: [],
      wal: [],
      up: true,
    } as Node;
    makeCheckpointer(node);
    persist(node);
    nodes.push(node);
  }

  // Participants act: each honest one takes a few items every few virtual ms, plus AMM swaps/transfers.
  const actPrng = prng.fork();
  const schedule = (node: Node, atMs: number): void => {
    node.transport.setTimer(atMs - net.now(), () => {
      if (!node.up || net.now() > activeMs) return;
      const extra: Op[] = [];
      if (actPrng.chance(0.4)) {
        const aIn = actPrng.chance(0.5);
        extra.push({ type: "swap", account: node.address, pool: SIM_POOL, tokenIn: aIn ? "sim:A" : "sim:B", amountIn: BigInt(1 + actPrng.int(5_000_000)) });
      }
      if (actPrng.chance(0.2)) {
        extra.push({ type: "transfer", from: node.address, to: actPrng.pick(addresses), token: "sim:B", amount: BigInt(1 + actPrng.int(1_000_000)) });
      }
      node.driver.step(1 + actPrng.int(25), extra);
      schedule(node, net.now() + 10 + actPrng.int(30));
    });
  };
  for (const node of nodes) if (node.honest) schedule(node, 1 + actPrng.int(20));

  // Crash and restart of one honest replica.
  const crashMode = opts.crash ?? "restart";
  let restartAt = 0;
  const honestIdx = nodes.filter((x) => x.honest).map((x) => x.index);
  if (faultsOn && crashMode !== "none" && (crashMode === "permanent" || prng.chance(0.7))) {
    const victim = nodes[actPrng.pick(honestIdx)] as Node;
    const atMs = 50 + prng.int(900);
    report.faults.crash = { node: victim.address, atMs };
    net.at(atMs, () => {
      victim.up = false;
      if (victim.gate !== undefined) victim.gate.open = false;
      victim.channel.sync?.stop();
      net.crash(victim.address);
    });
    if (crashMode === "restart") {
      restartAt = atMs + 100 + prng.int(800);
      report.faults.crash.restartMs = restartAt;
      net.at(restartAt, () => {
        // What survived: the delivered batches, replayed into a fresh replica; in-flight state is gone.
        const replica = new Replica(config, victim.signer, { now: () => EPOCH_MS + Math.floor(net.now()) });
        const saved = victim.persisted;
        for (const bytes of saved) {
          const r = replica.receive(bytes, "disk");
          if (r.error !== undefined) report.failures.push(`restart: persisted batch refused: ${r.error.code}`);
        }
        victim.persisted = [...saved];
        victim.channel = makeChannel(victim.index, victim.transport, victim.sync, replica);
        victim.driver.channel = victim.channel;
        victim.restarted = true;
        persist(victim);
        victim.up = true;
        net.restart(victim.address);
        // after the restart: timers set while the node is down belong to the dead incarnation
        makeCheckpointer(victim);
        schedule(victim, net.now() + 1);
      });
    }
  }

  // Byzantine behaviours.
  const separator = domainSeparator({ chainId: config.chainId, verifyingContract: config.verifyingContract });
  for (const node of nodes) {
    if (node.honest) continue;
    const at = 100 + prng.int(900);
    const bPrng = prng.fork();
    net.at(at, () => byzantineAct(node, bPrng));
  }
  function fork(node: Node): Replica {
    const r = new Replica(config, node.signer, { now: () => EPOCH_MS + Math.floor(net.now()) });
    for (const bytes of node.persisted) r.receive(bytes, "disk");
    return r;
  }
  function rawToAll(node: Node, bytes: Uint8Array, peers: readonly Hex[] = addresses.filter((a) => a !== node.address)): void {
    for (const p of peers) node.sync.send(p, encodeMessage({ type: "batches", session: 0, batches: [bytes] }));
  }
  function byzantineAct(node: Node, r: Prng, what: ByzantineBehaviour | "orphanWave" | undefined = node.behaviour): void {
    const others = addresses.filter((a) => a !== node.address);
    const victim = r.pick(others);
    switch (what) {
      case "badSignature": {
        const s = fork(node).submit([{ type: "transfer", from: node.address, to: victim, token: "sim:A", amount: 1n }]);
        const d = decodeBatch(s.bytes);
        const sig = d.signature.slice();
        sig[10] = (sig[10] as number) ^ 0x40;
        rawToAll(node, encodeBatch(d.header, sig, encodePayload(d.ops)));
        break;
      }
      case "equivocation": {
        const other = fork(node).submit([{ type: "transfer", from: node.address, to: victim, token: "sim:A", amount: 7n }]);
        node.channel.transfer({ to: victim, token: "sim:A", amount: 5n });
        node.channel.flush(); // the "official" batch goes to everyone by eager relay
        rawToAll(node, other.bytes, others.slice(0, Math.ceil(others.length / 2)));
        // It keeps serving both (a raw send can be lost to a partition): sync spreads the pair.
        node.channel.replica.receive(other.bytes, "self");
        break;
      }
      case "overspend": {
        node.channel.transfer({ to: victim, token: "sim:A", amount: 10n ** 30n });
        node.channel.swap({ pool: SIM_POOL, tokenIn: "sim:B", amountIn: 10n ** 25n });
        node.channel.placeOrder({ market: flow.markets[0]?.market ?? "none", side: "buy", priceTicks: 1_000_000, lots: 1_000_000_000 });
        node.channel.flush();
        break;
      }
      case "forbidden": {
        node.channel.submit({ type: "deposit", account: node.address, token: "sim:A", amount: 10n ** 20n });
        node.channel.submit({ type: "transfer", from: victim, to: node.address, token: "sim:A", amount: 1_000n });
        node.channel.submit({ type: "createToken", symbol: "sim:EVIL", decimals: 0 });
        node.channel.swap({ pool: SIM_POOL, tokenIn: "sim:A", amountIn: 1_000n }); // Observer role: not permitted
        node.channel.flush();
        break;
      }
      case "malformed": {
        for (const p of others) {
          const junk = new Uint8Array(1 + r.int(200));
          for (let i = 0; i < junk.length; i++) junk[i] = r.int(256);
          if (r.chance(0.5)) node.sync.send(p, junk);
          else node.sync.send(p, encodeMessage({ type: "batches", session: 0, batches: [junk] }));
        }
        break;
      }
      case "missingParents": {
        const f = fork(node);
        f.submit([{ type: "transfer", from: node.address, to: victim, token: "sim:A", amount: 3n }]); // never sent
        const child = f.submit([{ type: "transfer", from: node.address, to: victim, token: "sim:A", amount: 4n }]);
        rawToAll(node, child.bytes);
        break;
      }
      case "orphanFlood": {
        // Waves of signed orphans, each beyond the limit; honest replicas cut it off at the third strike.
        for (let wave = 1; wave < 5; wave++) net.at(net.now() + wave * 300, () => byzantineAct(node, r, "orphanWave"));
        byzantineAct(node, r, "orphanWave");
        break;
      }
      case "orphanWave": {
        for (let b = 0; b < 80; b++) {
          const parent = ("0x" + Array.from({ length: 32 }, () => r.int(256).toString(16).padStart(2, "0")).join("")) as Hex;
          const s = createBatch(
            { separator, channelId: config.channelId, seq: 2 + b, parents: [parent], timestamp: EPOCH_MS + Math.floor(net.now()), ops: [{ type: "transfer", from: node.address, to: victim, token: "sim:A", amount: 1n }] },
            node.signer,
          );
          rawToAll(node, s.bytes);
        }
        break;
      }
      case undefined:
        break;
    }
  }

  // Run: activity, faults healing, restart; then until the honest replicas agree (or give up).
  const settleFrom = Math.max(activeMs, net.lastHealMs(), restartAt) + 1;
  net.runUntil(settleFrom);
  const compared = (): Node[] => nodes.filter((x) => x.honest && x.up);
  const headsKey = (x: Node): string => x.channel.replica.heads().join(",");
  const agreed = (): boolean => {
    const c = compared();
    const first = c[0] === undefined ? "" : headsKey(c[0]);
    return c.every((x) => x.channel.pendingOps === 0 && headsKey(x) === first);
  };
  let checks = 0;
  report.converged = net.runUntilTrue(() => ++checks % 16 === 0 && agreed(), settleFrom + 60_000) || agreed();

  // Consensus progress after healing: one more op from each honest replica, then every honest
  // replica (the restarted one included) must decide past the height at healing.
  const highestDecided = (): number => Math.max(-1, ...decided.keys());
  report.heightAtHeal = highestDecided();
  const progressNodes = compared();
  const fresh: Hex[] = [];
  for (const x of consensusOn ? compared() : []) {
    x.channel.transfer({ to: addresses[(x.index + 1) % n] as Hex, token: "sim:B", amount: 1n });
    const id = x.channel.flush();
    if (id !== undefined) fresh.push(id);
  }
  const heightOf = (x: Node): number => x.cp?.height ?? 0;
  const progressed = (): boolean =>
    progressNodes.every((x) => heightOf(x) - 1 > report.heightAtHeal && fresh.every((id) => x.cp?.finality(id).status === "final"));
  if (consensusOn) {
    checks = 0;
    report.progress = net.runUntilTrue(() => ++checks % 16 === 0 && progressed(), net.now() + 30_000) || progressed();
    if (report.converged) report.converged = agreed();
  }
  const heightRef = progressNodes[0] ?? compared()[0];
  report.heights = heightRef === undefined ? 0 : heightOf(heightRef);
  report.virtualMs = Math.round(net.now());

  // Checks.
  const honest = compared();
  report.honestCompared = honest.length;
  const roots = honest.map((x) => x.channel.stateRoot());
  report.stateRoot = roots[0] ?? "";
  report.stateRootsEqual = roots.every((r) => r === roots[0]);
  report.conservation = honest.every((x) => x.channel.getCurrentState().checkConservation().ok);
  const ref = honest[0]?.channel.replica;
  if (ref !== undefined) {
    const ids = ref.batchIdsInOrder();
    report.batches = ids.length;
    const byzStats = new Map(report.byzantine.map((b) => [b.address, { address: b.address, batches: 0, accepted: 0, rejectedByCode: {} as Record<string, number> }]));
    const crash = report.faults.crash;
    for (const id of ids) {
      const batch = ref.getBatch(id);
      report.ops += batch?.ops.length ?? 0;
      if (batch === undefined) continue;
      if (crash !== undefined && batch.header.author !== crash.node && batch.header.timestamp > EPOCH_MS + crash.atMs) report.batchesAfterCrash++;
      const st = byzStats.get(batch.header.author);
      if (st === undefined) continue;
      st.batches++;
      for (const r of ref.resultsOf(id) ?? []) {
        if (r.status === "accepted") st.accepted++;
        else st.rejectedByCode[r.code] = (st.rejectedByCode[r.code] ?? 0) + 1;
      }
    }
    report.byzantineResults = [...byzStats.values()];
  }
  let sessions = 0;
  let trips = 0;
  for (const x of nodes) {
    const st = x.channel.sync?.stats;
    if (st === undefined || !x.honest) continue;
    sessions += st.sessionsCompleted;
    trips += st.initiatorRoundTrips + st.responderRounds;
    report.syncBytes.sent += st.bytesSent;
    report.syncBytes.batchBytes += st.batchBytesSent;
    report.syncBytes.duplicateBatches += st.duplicateBatchesReceived;
  }
  report.sessions = sessions;
  report.roundTripsMean = sessions === 0 ? 0 : trips / sessions;
  const byzAddr = new Set(report.byzantine.map((b) => b.address));
  for (const x of nodes) {
    if (!x.honest) continue;
    for (const p of x.transport.banned) {
      if (byzAddr.has(p as Hex)) report.bans++;
      else report.failures.push(`honest ${x.address} cut off honest ${p}`);
    }
  }
  const equivocators = report.byzantine.filter((b) => b.behaviour === "equivocation").map((b) => b.address);
  for (const x of honest) {
    const ev = x.channel.equivocations();
    report.equivocationsRecorded += ev.length;
    for (const a of equivocators) if (!ev.some((e) => e.author === a)) report.failures.push(`${x.address} holds no evidence of ${a}'s equivocation`);
  }
  if (!report.converged) report.failures.push("honest replicas did not converge (heads differ)");
  if (!report.stateRootsEqual) report.failures.push("honest replicas' state roots differ");
  if (!report.conservation) report.failures.push("conservation violated");
  // Progress is owed only while the faulty (Byzantine, plus a replica crashed for good) are at most f = ⌊(n−1)/3⌋.
  const faulty = k + (crashMode === "permanent" && report.faults.crash !== undefined ? 1 : 0);
  if (consensusOn && !report.progress && faulty <= maxFaulty(n)) {
    const hs = progressNodes.map((x) => `${x.address.slice(0, 8)}…:${heightOf(x) - 1}`).join(" ");
    report.failures.push(`no consensus progress after healing: highest decided at healing ${report.heightAtHeal}, now ${hs}`);
  }
  return report;
}

/* ───────────────────────────── CLI ───────────────────────────── */

function prefixed(prefix: string): Logger {
  return { info() {}, warn: (msg, fields) => stderrLogger.warn(prefix + msg, fields) };
}

/** Parses `A..B` (inclusive) or a single seed. */
export function parseSeedRange(s: string): [number, number] {
  const m = /^(\d{1,10})(?:\.\.(\d{1,10}))?$/.exec(s);
  if (m === null) throw new Error(`--seeds must be A..B or A (non-negative integers), got ${s}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a || a > 0xffffffff || b > 0xffffffff) throw new Error(`--seeds ${s}: need A <= B < 2^32`);
  return [a, b];
}

export interface SimCommandOptions {
  seeds: string;
  participants: number;
  byzantine: number;
  mode: SyncMode;
  json: boolean;
  dataDir?: string | undefined;
  /** Log every cut-off peer (and other sync warnings) to stderr. */
  log?: boolean | undefined;
}

/** Runs the seeds; prints one line per seed and a total; returns the exit code (1 on any failure). */
export function simCommand(opts: SimCommandOptions): number {
  let range: [number, number];
  try {
    range = parseSeedRange(opts.seeds);
  } catch (error) {
    console.error(`semilattice sim: ${(error as Error).message}`);
    return 2;
  }
  if (!Number.isInteger(opts.participants) || opts.participants < 2 || opts.participants > 64) {
    console.error("semilattice sim: --participants must be 2..64");
    return 2;
  }
  if (!Number.isInteger(opts.byzantine) || opts.byzantine < 0 || opts.byzantine >= opts.participants) {
    console.error("semilattice sim: --byzantine must be 0..participants-1");
    return 2;
  }
  const failed: number[] = [];
  let runs = 0;
  let converged = 0;
  let conserved = 0;
  let heights = 0;
  let agreement = 0;
  let progress = 0;
  for (let seed = range[0]; seed <= range[1]; seed++) {
    const logger = opts.log === true ? prefixed(`seed ${seed}: `) : silentLogger;
    const r = runSimulation({ seed, participants: opts.participants, byzantine: opts.byzantine, mode: opts.mode, dataDir: opts.dataDir, logger });
    runs++;
    if (r.converged && r.stateRootsEqual) converged++;
    if (r.conservation) conserved++;
    heights += r.heights;
    if (r.agreement) agreement++;
    if (r.progress) progress++;
    const ok = r.failures.length === 0;
    if (!ok) failed.push(seed);
    if (opts.json) {
      console.log(JSON.stringify({ ...r, ok }));
    } else {
      const byz = r.byzantine.map((b) => b.behaviour).join(",") || "-";
      console.log(
        `seed ${seed}: ${ok ? "ok  " : "FAIL"} converged=${r.converged && r.stateRootsEqual ? "yes" : "NO"} conservation=${r.conservation ? "yes" : "NO"} ` +
          `honest=${r.honestCompared}/${r.participants} byzantine=${byz} batches=${r.batches} ops=${r.ops} bans=${r.bans} ` +
          `evidence=${r.equivocationsRecorded} rt=${r.roundTripsMean.toFixed(3)} heights=${r.heights} agreement=${r.agreement ? "yes" : "NO"} ` +
          `progress=${r.progress ? "yes" : "NO"} root=${r.stateRoot.slice(0, 18)}…`,
      );
      for (const f of r.failures) console.log(`  ${f}`);
    }
  }
  const summary =
    `total: ${runs} seeds, converged ${converged}/${runs}, conservation ${conserved}/${runs}, ` +
    `heights ${heights}, agreement ${agreement}/${runs}, progress ${progress}/${runs}, failed ${failed.length}`;
  if (opts.json) console.log(JSON.stringify({ total: { runs, converged, conserved, heights, agreement, progress, failed } }));
  else console.log(summary);
  if (failed.length > 0) {
    console.error(`semilattice sim: failing seed(s): ${failed.join(", ")} (replay one with --seeds ${failed[0]} --participants ${opts.participants} --byzantine ${opts.byzantine})`);
    return 1;
  }
  return 0;
}
