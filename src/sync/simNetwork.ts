/**
 * An in-process simulated network with virtual time, for deterministic simulation (in the manner of
 * FoundationDB's simulator and TigerBeetle's VOPR): every message and timer is an event in one
 * priority queue ordered by (virtual time, insertion number), and every random choice comes from one
 * seeded PRNG. **Same seed and same calls ⇒ same schedule, bit for bit**; no wall clock is read.
 *
 * Faults, all drawn from the PRNG:
 * - **delay**: each message takes `minDelayMs + Exp(meanExtraDelayMs)` virtual ms (so messages
 *   sent in order overtake each other: reordering); `reorderProbability` adds another uniform
 *   `[0, reorderSpreadMs)` to some messages;
 * - **drop** with `dropProbability`, **duplicate** with `duplicateProbability` (the copy takes its
 *   own delay);
 * - **partitions**: `{fromMs, untilMs, groups}`: while active, messages between nodes in different
 *   groups (a node in no group is alone) are dropped; at both ends the affected nodes see
 *   `disconnect` / `connect` events, so the protocol re-syncs when the partition heals;
 * - **crash / restart** of a node: a crashed node sends nothing, receives nothing, its timers never
 *   fire and messages in flight to it are lost; its peers see `disconnect`. The harness restarts it
 *   with what it had persisted (see `sim.ts`), and peers see `connect` again.
 *
 * `ban(peer)` (a node cutting off a Byzantine peer) is one-directional and permanent: the banning
 * node never again receives from or sends to that peer.
 */
import { SemilatticeError } from "../core/errors.js";
import { EventQueue } from "../runtime/eventQueue.js";
import { Prng } from "../runtime/prng.js";
import type { Clock, PeerId, Transport, TransportHandlers } from "../runtime/transport.js";

export { Prng };

/** A scheduled callback; cancelled ones stay in the queue and are skipped when due. */
interface Event {
  fn: () => void;
  cancelled: boolean;
}

/* ───────────────────────────── network ───────────────────────────── */

export interface Partition {
  fromMs: number;
  untilMs: number;
  /** Node groups that can talk among themselves; a node in no group is isolated. */
  groups: PeerId[][];
}

export interface SimFaults {
  /** Fixed part of every message's delay, virtual ms (default 1). */
  minDelayMs?: number;
  /** Mean of the exponential extra delay, virtual ms (default 5). */
  meanExtraDelayMs?: number;
  dropProbability?: number;
  duplicateProbability?: number;
  /** Probability that a message gets an extra uniform delay in [0, reorderSpreadMs). */
  reorderProbability?: number;
  reorderSpreadMs?: number;
  partitions?: Partition[];
}

export interface SimStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  bytes: number;
}

/** The whole simulated network: one clock, one PRNG, one queue, many nodes. */
export class SimNetwork implements Clock {
  readonly prng: Prng;
  readonly stats: SimStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, bytes: 0 };
  private time = 0;
  private readonly queue = new EventQueue<Event>();
  private readonly nodes = new Map<PeerId, SimTransport>();
  private readonly faults: Required<Omit<SimFaults, "partitions">>;
  private readonly partitions: Partition[];

  constructor(seed: number, faults: SimFaults = {}) {
    this.prng = new Prng(seed);
    this.faults = {
      minDelayMs: faults.minDelayMs ?? 1,
      meanExtraDelayMs: faults.meanExtraDelayMs ?? 5,
      dropProbability: faults.dropProbability ?? 0,
      duplicateProbability: faults.duplicateProbability ?? 0,
      reorderProbability: faults.reorderProbability ?? 0,
      reorderSpreadMs: faults.reorderSpreadMs ?? 50,
    };
    for (const p of ["dropProbability", "duplicateProbability", "reorderProbability"] as const) {
      const v = this.faults[p];
      if (!(v >= 0 && v < 1)) throw new SemilatticeError("INVALID_CONFIG", `${p} must be in [0, 1), got ${v}`);
    }
    this.partitions = (faults.partitions ?? []).map((p) => ({ ...p, groups: p.groups.map((g) => [...g]) }));
    for (const p of this.partitions) {
      if (!(p.untilMs > p.fromMs)) throw new SemilatticeError("INVALID_CONFIG", "partition: untilMs must be after fromMs");
      // Links flap at both ends of the partition: tell the nodes.
      this.at(p.fromMs, () => this.linkChange());
      this.at(p.untilMs, () => this.linkChange());
    }
  }

  /* Clock */
  now(): number {
    return this.time;
  }
  setTimer(ms: number, fn: () => void): () => void {
    return this.at(this.time + Math.max(0, ms), fn);
  }

  /** Schedules `fn` at absolute virtual time `atMs`; returns a cancel function. */
  at(atMs: number, fn: () => void): () => void {
    const e: Event = { fn, cancelled: false };
    this.queue.push(Math.max(atMs, this.time), e);
    return () => {
      e.cancelled = true;
    };
  }

  /** A node on the network (created once per id; a restart reuses it). */
  node(id: PeerId): SimTransport {
    let n = this.nodes.get(id);
    if (n === undefined) {
      n = new SimTransport(this, id);
      this.nodes.set(id, n);
      const created = n;
      // Tell everyone up (including the new node) about the new link(s), as an event.
      this.at(this.time, () => {
        for (const other of this.nodes.values()) {
          if (other === created || !this.linked(created.self, other.self)) continue;
          created.emitConnect(other.self);
          other.emitConnect(created.self);
        }
      });
    }
    return n;
  }

  /** All node ids, sorted. */
  nodeIds(): PeerId[] {
    return [...this.nodes.keys()].sort();
  }

  /** Runs events until virtual time `untilMs` (inclusive) or the queue is empty. */
  runUntil(untilMs: number): void {
    for (;;) {
      const top = this.queue.peek();
      if (top === undefined || top.t > untilMs) break;
      this.queue.pop();
      if (top.e.cancelled) continue;
      this.time = top.t;
      top.e.fn();
    }
    if (this.time < untilMs) this.time = untilMs;
  }

  /** Runs until `pred()` holds (checked after each event) or virtual `limitMs`; returns whether it held. */
  runUntilTrue(pred: () => boolean, limitMs: number): boolean {
    if (pred()) return true;
    for (;;) {
      const top = this.queue.peek();
      if (top === undefined || top.t > limitMs) return pred();
      this.queue.pop();
      if (top.e.cancelled) continue;
      this.time = top.t;
      top.e.fn();
      if (pred()) return true;
    }
  }

  /** Crashes node `id` now: it loses every message in flight and every timer; peers see a disconnect. */
  crash(id: PeerId): void {
    const n = this.nodes.get(id);
    if (n === undefined || !n.up) return;
    n.up = false;
    n.epoch++;
    n.resetLinks();
    for (const other of this.nodes.values()) if (other !== n && other.up) other.emitDisconnect(id, "peer crashed");
  }

  /** Brings node `id` back (the harness installs fresh handlers first); peers see a connect. */
  restart(id: PeerId): void {
    const n = this.nodes.get(id);
    if (n === undefined || n.up) return;
    n.up = true;
    n.epoch++;
    for (const other of this.nodes.values()) {
      if (other === n || !other.up || !this.linked(id, other.self)) continue;
      n.emitConnect(other.self);
      other.emitConnect(id);
    }
  }

  /** Whether a message from `a` to `b` would pass the partitions active now. */
  linked(a: PeerId, b: PeerId): boolean {
    for (const p of this.partitions) {
      if (this.time < p.fromMs || this.time >= p.untilMs) continue;
      const ga = p.groups.findIndex((g) => g.includes(a));
      const gb = p.groups.findIndex((g) => g.includes(b));
      if (ga === -1 || gb === -1 || ga !== gb) return false;
    }
    return true;
  }

  /** Whether any partition is active at virtual time `t` or later. */
  partitionedAfter(t: number): boolean {
    return this.partitions.some((p) => p.untilMs > t);
  }

  /** Time after which no partition is active. */
  lastHealMs(): number {
    return this.partitions.reduce((m, p) => Math.max(m, p.untilMs), 0);
  }

  private readonly linkState = new Map<string, boolean>();
  private linkChange(): void {
    const ids = this.nodeIds();
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = ids[i] as PeerId;
        const b = ids[j] as PeerId;
        const key = `${a}|${b}`;
        const now = this.linked(a, b);
        const before = this.linkState.get(key) ?? true;
        if (now === before) continue;
        this.linkState.set(key, now);
        const na = this.nodes.get(a) as SimTransport;
        const nb = this.nodes.get(b) as SimTransport;
        if (!na.up || !nb.up) continue;
        if (now) {
          na.emitConnect(b);
          nb.emitConnect(a);
        } else {
          na.emitDisconnect(b, "partitioned");
          nb.emitDisconnect(a, "partitioned");
        }
      }
    }
  }

  /** @internal transmission with faults. */
  transmit(from: SimTransport, to: PeerId, bytes: Uint8Array): boolean {
    const target = this.nodes.get(to);
    if (target === undefined || !from.up) return false;
    this.stats.sent++;
    this.stats.bytes += bytes.length;
    if (this.prng.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return true;
    }
    const copies = this.prng.chance(this.faults.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      let delay = this.faults.minDelayMs + this.prng.exp(this.faults.meanExtraDelayMs);
      if (this.prng.chance(this.faults.reorderProbability)) delay += this.prng.next() * this.faults.reorderSpreadMs;
      const epoch = target.epoch;
      const data = c === 0 ? bytes : bytes.slice();
      this.at(this.time + delay, () => {
        // Lost if the target crashed since, or the link is cut now, or either side banned the other.
        if (!target.up || target.epoch !== epoch || !from.up || !this.linked(from.self, to)) {
          this.stats.dropped++;
          return;
        }
        if (target.banned.has(from.self) || from.banned.has(to)) {
          this.stats.dropped++;
          return;
        }
        this.stats.delivered++;
        target.deliver(from.self, data);
      });
    }
    return true;
  }
}

/** One node's view of the {@link SimNetwork}. */
export class SimTransport implements Transport {
  up = true;
  /** Bumped on crash and restart: messages and timers of an older epoch are void. */
  epoch = 0;
  readonly banned = new Set<PeerId>();
  private handlers: TransportHandlers | undefined;
  private readonly connected = new Set<PeerId>();

  constructor(
    readonly net: SimNetwork,
    readonly self: PeerId,
  ) {}

  send(peer: PeerId, bytes: Uint8Array): boolean {
    if (!this.up || this.banned.has(peer) || peer === this.self) return false;
    return this.net.transmit(this, peer, bytes);
  }

  peers(): PeerId[] {
    return [...this.connected].sort();
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  ban(peer: PeerId, reason: string): void {
    if (this.banned.has(peer)) return;
    this.banned.add(peer);
    this.emitDisconnect(peer, `banned: ${reason}`);
  }

  async close(): Promise<void> {
    this.handlers = undefined;
  }

  /** A timer that does not fire if this node crashes before it is due. */
  setTimer(ms: number, fn: () => void): () => void {
    const epoch = this.epoch;
    return this.net.setTimer(ms, () => {
      if (this.up && this.epoch === epoch) fn();
    });
  }

  /** A {@link Clock} bound to this node (timers die with a crash). */
  clock(): Clock {
    return { now: () => this.net.now(), setTimer: (ms, fn) => this.setTimer(ms, fn) };
  }

  /** @internal forgets every link (a crash: handlers are replaced on restart). */
  resetLinks(): void {
    this.connected.clear();
  }
  /** @internal */
  deliver(from: PeerId, bytes: Uint8Array): void {
    this.handlers?.message(from, bytes);
  }
  /** @internal */
  emitConnect(peer: PeerId): void {
    if (!this.up || this.banned.has(peer) || this.connected.has(peer)) return;
    this.connected.add(peer);
    this.handlers?.connect(peer);
  }
  /** @internal */
  emitDisconnect(peer: PeerId, reason: string): void {
    if (!this.connected.delete(peer)) return;
    this.handlers?.disconnect(peer, reason);
  }
}
