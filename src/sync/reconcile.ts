/**
 * Reconciliation of one replica's hash DAG with its peers: Kleppmann & Howard, "Byzantine Eventual
 * Consistency and the Fundamental Limits of Peer-to-Peer Databases" (2020), §4, with the Bloom-filter
 * variant of §4.3. Messages and their codec are in `protocol.ts`.
 *
 * ## One session (initiator A, responder B)
 * 1. A → B `request {heads_A, bloom_A?}`, where bloom_A holds the batches A added since its last
 *    completed sync with B.
 * 2. B → A `response {heads_B, bloom_B?, needs, batches}`: `batches` are what B believes A lacks,
 *    in B's delivery order (a topological order): in Bloom mode every batch B added since its last
 *    sync with A that is neither an ancestor of a head of A that B knows nor in bloom_A, plus the
 *    descendants of those (if A lacks a batch it lacks
 *    its descendants: that covers false positives); in plain mode, only when B knows every one of
 *    A's heads, the batches B added since then that are not ancestors of A's heads. `needs` are A's
 *    heads that B does not know (plain mode; in Bloom mode A's push covers them).
 * 3. A ingests, answers B's needs, and pushes what B lacks by the same rule applied to bloom_B
 *    (always sending one `batches` message, possibly empty, that tells B the push is over).
 * 4. Either side still missing something (a peer's head, or the parents of a received batch:
 *    a Bloom false positive, a lost message, a peer that was too far ahead) sends `needs` for those
 *    hashes and the other answers with the batches; this repeats until every one of the peer's heads
 *    is delivered (all their ancestors then are too: delivery is causal). Each `needs` is one more
 *    round trip.
 *
 * Round trips of a session = 1 (request/response) + the needs rounds of both sides; the mean over
 * sessions is {@link SyncStats} `roundTripsMean`, comparable with K&H's 1.02 for Bloom sync.
 *
 * ## Also
 * - **Eager relay**: a batch the local participant creates is sent at once to every connected peer
 *   (`relay: "all"` also forwards batches received from others). A relayed batch whose parents are
 *   unknown starts a session with its sender.
 * - **Copies**: encoded batches are canonical, so a batch received again (eager relay and a
 *   session crossing, duplicated messages) is recognised by the SHA-256 of its bytes and skipped
 *   before decoding (counted in `duplicateBatchesReceived`).
 * - **Periodic sync** with every connected peer every `syncIntervalMs`, and at once on (re)connect.
 * - **Byzantine peers**: a message that fails the strict decoder, or a batch the replica rejects
 *   (bad signature, malformed, non-participant author, orphan-buffer overflow, …) gets the peer
 *   banned through the transport and logged. The orphan limit is the exception: an honest peer can
 *   overflow it when messages are lost, so it costs a strike (at most one per completed session with
 *   that peer, after which an honest peer's orphans have drained) and the ban comes at the third. A peer can stall its own sessions (they time out after
 *   `sessionTimeoutMs`) but never make the replica deliver an invalid batch.
 */
import type { Replica } from "../channel/replica.js";
import type { Clock, Logger, PeerId, Transport } from "../runtime/transport.js";
import { invariant } from "../core/errors.js";
import { RecentSet } from "../runtime/recentSet.js";
import { silentLogger } from "../runtime/transport.js";
import { createHash } from "node:crypto";
import { BloomFilter } from "./bloom.js";
import {
  chunkBatches,
  decodeMessage,
  DEFAULT_SYNC_LIMITS,
  encodeMessage,
  ProtocolError,
  type Hex,
  type SyncLimits,
  type SyncMessage,
} from "./protocol.js";

/** What the sync layer needs from a replica ({@link replicaSync} adapts `src/channel/replica.ts`). */
export interface SyncReplica {
  /** Current heads (delivered batches without delivered children), sorted. */
  heads(): Hex[];
  /** Whether batch `id` is delivered. */
  has(id: Hex): boolean;
  /** Whether batch `id` is delivered or buffered as an orphan (no need to fetch it). */
  knows(id: Hex): boolean;
  /** The canonical encoding of a delivered batch. */
  encodedBatch(id: Hex): Uint8Array | undefined;
  /** Parents of a delivered batch. */
  parentsOf(id: Hex): readonly Hex[] | undefined;
  /** Ingests one encoded batch from `fromPeer`. */
  receive(bytes: Uint8Array, fromPeer: string): ReceiveOutcome;
  /** Parents that buffered orphans wait for and that the replica holds nowhere. */
  missing(): Hex[];
  /** Number of delivered batches. */
  deliveredCount(): number;
  /** Ids delivered at local delivery index ≥ `from`, in delivery order (a topological order). */
  deliveredSince(from: number): Hex[];
}

export interface ReceiveOutcome {
  /** The batch id, when the bytes decoded. */
  id?: Hex | undefined;
  /** Batches delivered by this call (the batch and any orphans it unlocked), in delivery order. */
  accepted: Hex[];
  /** Batches buffered as orphans. */
  pending: Hex[];
  /** Parent ids held nowhere. */
  missing: Hex[];
  /** Already delivered or buffered. */
  duplicate: boolean;
  /** The sender sent invalid data. */
  error?: { code: string; message: string } | undefined;
}

/** The {@link SyncReplica} view of a channel {@link Replica}; `beforeReceive` runs before each batch is ingested. */
export function replicaSync(replica: Replica, beforeReceive?: () => void): SyncReplica {
  return {
    heads: () => replica.heads(),
    has: (id) => replica.has(id),
    knows: (id) => replica.knows(id),
    encodedBatch: (id) => replica.encodedBatch(id),
    parentsOf: (id) => replica.getBatch(id)?.header.parents,
    receive(bytes, fromPeer) {
      beforeReceive?.();
      const r = replica.receive(bytes, fromPeer);
      return { id: r.id, accepted: r.accepted, pending: r.pending, missing: r.missing, duplicate: r.duplicate, error: r.error };
    },
    missing: () => replica.missing(),
    deliveredCount: () => replica.deliveredCount,
    deliveredSince: (from) => replica.deliveredSince(from),
  };
}

export type SyncMode = "bloom" | "plain";

export interface SyncOptions {
  replica: SyncReplica;
  transport: Transport;
  clock: Clock;
  /** Default "bloom". */
  mode?: SyncMode;
  logger?: Logger;
  limits?: SyncLimits;
  /** Periodic sync with each peer; 0 = none. Default 200 ms. */
  syncIntervalMs?: number;
  /** A session not complete after this long is abandoned. Default 2000 ms. */
  sessionTimeoutMs?: number;
  /** Eager relay: own batches only (default), all newly delivered, or none. */
  relay?: "own" | "all" | "none";
  /** How many ingested batches' byte hashes are remembered to skip copies before decoding. Default 65,536. */
  maxSeenBatches?: number;
}

/** Default {@link SyncOptions.maxSeenBatches}. */
export const DEFAULT_MAX_SEEN_BATCHES = 65_536;

export interface SyncStats {
  sessionsStarted: number;
  sessionsCompleted: number;
  sessionsTimedOut: number;
  /** Sessions abandoned because a needs round brought nothing new (the peer lacks what it announced). */
  sessionsStalled: number;
  /** Σ over completed sessions this node initiated of 1 + its needs rounds. */
  initiatorRoundTrips: number;
  /** Needs rounds this node issued as responder. */
  responderRounds: number;
  messagesSent: number;
  bytesSent: number;
  bytesReceived: number;
  /** Batches sent, and their encoded bytes (the payload; the rest of bytesSent is overhead). */
  batchesSent: number;
  batchBytesSent: number;
  batchesReceived: number;
  /** Received batches that were already delivered (wasted transfer). */
  duplicateBatchesReceived: number;
  peersBanned: number;
}

interface Fetch {
  peer: PeerId;
  session: number;
  initiator: boolean;
  /** The peer's heads: done when all are delivered. */
  targets: Hex[];
  /** A needs round was sent and its answer has not arrived. */
  outstanding: boolean;
  /** Batches delivered from this peer since the last needs round. */
  progress: number;
  /** Responder: waiting for the initiator's push (step 3). */
  awaitingPush: boolean;
  /** Parents of received orphans, not yet delivered. */
  missing: Set<Hex>;
  rounds: number;
  startIndex: number;
  cancelTimer: () => void;
  done: boolean;
}

export class SyncNode {
  readonly stats: SyncStats = {
    sessionsStarted: 0,
    sessionsCompleted: 0,
    sessionsTimedOut: 0,
    sessionsStalled: 0,
    initiatorRoundTrips: 0,
    responderRounds: 0,
    messagesSent: 0,
    bytesSent: 0,
    bytesReceived: 0,
    batchesSent: 0,
    batchBytesSent: 0,
    batchesReceived: 0,
    duplicateBatchesReceived: 0,
    peersBanned: 0,
  };
  readonly mode: SyncMode;
  private readonly replica: SyncReplica;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limits: SyncLimits;
  private readonly syncIntervalMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly relay: "own" | "all" | "none";
  private nextSession = 1;
  /** Active fetches by `${peer}|${session}|${i|r}`. */
  private readonly fetches = new Map<string, Fetch>();
  /** Peer → delivery index at the start of the last completed session with it. */
  private readonly lastSync = new Map<PeerId, number>();
  /** Delivery index of every delivered batch (built lazily from the replica's log). */
  private readonly indexOf = new Map<Hex, number>();
  private indexed = 0;
  /** Per peer: orphan-limit strikes, and whether a session with it completed since the last one. */
  private readonly orphanStrikes = new Map<PeerId, { strikes: number; completedSince: boolean }>();
  /** SHA-256 of the encoded bytes of the last `maxSeenBatches` batches ingested without error: a copy of one is skipped before decoding. */
  private readonly seenBytes: RecentSet<string>;
  private stopTimer: (() => void) | undefined;
  private stopped = false;
  /** Listeners for batches delivered from the network. */
  private readonly deliveredListeners: ((ids: Hex[], from: PeerId) => void)[] = [];

  constructor(opts: SyncOptions) {
    this.replica = opts.replica;
    this.transport = opts.transport;
    this.clock = opts.clock;
    this.mode = opts.mode ?? "bloom";
    this.logger = opts.logger ?? silentLogger;
    this.limits = opts.limits ?? DEFAULT_SYNC_LIMITS;
    this.syncIntervalMs = opts.syncIntervalMs ?? 200;
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 2000;
    this.relay = opts.relay ?? "own";
    this.seenBytes = new RecentSet(opts.maxSeenBatches ?? DEFAULT_MAX_SEEN_BATCHES);
  }

  /** Installs the transport handlers and starts the periodic sync. */
  start(): void {
    this.transport.setHandlers({
      message: (from, bytes) => this.onMessage(from, bytes),
      connect: (peer) => {
        this.logger.info("peer connected", { self: this.transport.self, peer });
        this.syncWith(peer);
      },
      disconnect: (peer, reason) => {
        this.logger.info("peer disconnected", { self: this.transport.self, peer, reason });
        this.dropFetches(peer);
      },
    });
    for (const peer of this.transport.peers()) this.syncWith(peer);
    this.schedulePeriodic();
  }

  stop(): void {
    this.stopped = true;
    this.stopTimer?.();
    for (const f of this.fetches.values()) f.cancelTimer();
    this.fetches.clear();
  }

  /** Called with the ids of batches delivered from the network (not local submits). */
  onDelivered(cb: (ids: Hex[], from: PeerId) => void): void {
    this.deliveredListeners.push(cb);
  }

  /** Sends a locally created batch to every connected peer at once (eager relay). */
  publish(id: Hex): void {
    if (this.relay === "none") return;
    const bytes = this.replica.encodedBatch(id);
    if (bytes === undefined) return;
    for (const peer of this.transport.peers()) this.sendBatches(peer, 0, [bytes]);
  }

  /** Starts a session with every connected peer (those without one in progress). */
  syncAll(): void {
    for (const peer of this.transport.peers()) this.syncWith(peer);
  }

  /** Sessions in progress that this node initiated. */
  activeSessions(): number {
    let n = 0;
    for (const f of this.fetches.values()) if (f.initiator) n++;
    return n;
  }

  /** Mean round trips per completed session, over the sessions this node initiated (plus responder rounds). */
  roundTripsMean(): number {
    return this.stats.sessionsCompleted === 0 ? 0 : (this.stats.initiatorRoundTrips + this.stats.responderRounds) / this.stats.sessionsCompleted;
  }

  /** Starts a session with `peer` unless one this node initiated is in progress. */
  syncWith(peer: PeerId): void {
    if (this.stopped) return;
    for (const f of this.fetches.values()) if (f.initiator && f.peer === peer) return;
    const session = this.nextSession;
    this.nextSession = this.nextSession >= 0xffffffff ? 1 : this.nextSession + 1;
    this.stats.sessionsStarted++;
    const heads = this.cappedHeads();
    const bloom = this.mode === "bloom" ? this.recentBloom(peer, session) : undefined;
    const f = this.newFetch(peer, session, true, []);
    f.awaitingPush = true; // waits for the response
    this.send(peer, { type: "request", session, heads, bloom });
  }

  /* ───────────────────────── receiving ───────────────────────── */

  private onMessage(from: PeerId, bytes: Uint8Array): void {
    if (this.stopped) return;
    this.stats.bytesReceived += bytes.length;
    let msg: SyncMessage;
    try {
      msg = decodeMessage(bytes, this.limits);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.banPeer(from, `malformed message: ${error.message}`);
        return;
      }
      throw error;
    }
    switch (msg.type) {
      case "request":
        this.onRequest(from, msg.session, msg.heads, msg.bloom);
        break;
      case "response":
        this.onResponse(from, msg.session, msg.heads, msg.bloom, msg.needs, msg.batches);
        break;
      case "needs":
        this.onNeeds(from, msg.session, msg.ids);
        break;
      case "batches":
        this.onBatches(from, msg.session, msg.batches);
        break;
    }
  }

  private onRequest(from: PeerId, session: number, heads: Hex[], bloom: BloomFilter | undefined): void {
    const key = fetchKey(from, session, false);
    const old = this.fetches.get(key);
    if (old !== undefined) {
      // A duplicate request (the network duplicated it): answer it again, keep the state.
      old.cancelTimer();
      this.fetches.delete(key);
    }
    const unknown = heads.filter((h) => !this.replica.has(h));
    const toSend = this.diffFor(from, heads, bloom);
    const myHeads = this.cappedHeads();
    const myBloom = this.mode === "bloom" ? this.recentBloom(from, session) : undefined;
    const chunks = chunkBatches(toSend, this.limits, 64 + myHeads.length * 32 + (myBloom?.bits.length ?? 0) + unknown.length * 32);
    const needs = this.mode === "plain" ? unknown.slice(0, this.limits.maxIds) : [];
    this.send(from, { type: "response", session, heads: myHeads, bloom: myBloom, needs, batches: chunks[0] ?? [] });
    this.countBatches(chunks[0] ?? []);
    for (const extra of chunks.slice(1)) this.sendBatches(from, session, extra);
    // At most MAX_RESPONDER_SESSIONS open sessions per peer (a peer opening more drops its oldest).
    const mine = [...this.fetches.entries()].filter(([, x]) => !x.initiator && x.peer === from);
    for (const [k, x] of mine.slice(0, Math.max(0, mine.length - MAX_RESPONDER_SESSIONS + 1))) {
      x.cancelTimer();
      this.fetches.delete(k);
    }
    const f = this.newFetch(from, session, false, heads);
    f.awaitingPush = true;
    let responding = 0;
    for (const x of this.fetches.values()) if (!x.initiator && x.peer === from) responding++;
    invariant(responding <= MAX_RESPONDER_SESSIONS, `${responding} responder sessions with ${from}, at most ${MAX_RESPONDER_SESSIONS}`);
  }

  private onResponse(from: PeerId, session: number, heads: Hex[], bloom: BloomFilter | undefined, needs: Hex[], batches: Uint8Array[]): void {
    const f = this.fetches.get(fetchKey(from, session, true));
    if (f === undefined || f.done || !f.awaitingPush) {
      // Late, duplicated or unsolicited: still ingest the batches (they are valid or the peer is banned).
      if (batches.length > 0) this.ingest(from, batches);
      return;
    }
    f.awaitingPush = false;
    f.targets = heads;
    const got = this.ingestCollect(from, batches);
    if (got === undefined) return;
    for (const id of got.missing) f.missing.add(id);
    // Step 3: answer the responder's needs and push what its filter says it lacks.
    const answer: Uint8Array[] = [];
    const answered = new Set<Hex>();
    for (const id of this.inDeliveryOrder(needs)) {
      const b = this.replica.encodedBatch(id);
      if (b !== undefined) {
        answer.push(b);
        answered.add(id);
      }
    }
    for (const b of this.diffFor(from, heads, bloom, answered)) answer.push(b);
    const chunks = chunkBatches(answer, this.limits);
    if (chunks.length === 0) chunks.push([]);
    for (const c of chunks) this.sendBatches(from, session, c);
    this.advance(f);
  }

  private onNeeds(from: PeerId, session: number, ids: Hex[]): void {
    const out: Uint8Array[] = [];
    for (const id of this.inDeliveryOrder(ids)) {
      const b = this.replica.encodedBatch(id);
      if (b !== undefined) out.push(b);
    }
    const chunks = chunkBatches(out, this.limits);
    if (chunks.length === 0) chunks.push([]); // always answer: the asker counts rounds by answers
    for (const c of chunks) this.sendBatches(from, session, c);
  }

  private onBatches(from: PeerId, session: number, batches: Uint8Array[]): void {
    const delivered = this.ingestCollect(from, batches);
    if (delivered === undefined) return;
    if (session === 0) {
      if (this.relay === "all" && delivered.accepted.length > 0) {
        const bytes = delivered.accepted.map((id) => this.replica.encodedBatch(id)).filter((b): b is Uint8Array => b !== undefined);
        for (const peer of this.transport.peers()) if (peer !== from) this.sendBatches(peer, 0, bytes);
      }
      if (delivered.missing.length > 0) this.syncWith(from);
      return;
    }
    // Either role: the peer's answer or push for one of our sessions.
    for (const initiator of [true, false]) {
      const f = this.fetches.get(fetchKey(from, session, initiator));
      if (f === undefined || f.done) continue;
      if (!initiator) f.awaitingPush = false;
      f.outstanding = false;
      f.progress += delivered.accepted.length + delivered.pending.length;
      for (const id of delivered.missing) f.missing.add(id);
      this.advance(f);
    }
  }

  /** Ingests batches; false if the peer was banned. */
  private ingest(from: PeerId, batches: Uint8Array[]): boolean {
    return this.ingestCollect(from, batches) !== undefined;
  }

  private ingestCollect(from: PeerId, batches: Uint8Array[]): { accepted: Hex[]; pending: Hex[]; missing: Hex[] } | undefined {
    const accepted: Hex[] = [];
    const pending: Hex[] = [];
    let missing: Hex[] = [];
    for (const b of batches) {
      this.stats.batchesReceived++;
      // Canonical encoding: the same bytes are the same batch. Skip a copy without decoding it.
      const key = createHash("sha256").update(b).digest("base64");
      if (this.seenBytes.has(key)) {
        this.stats.duplicateBatchesReceived++;
        continue;
      }
      const r = this.replica.receive(b, from);
      if (r.error !== undefined && (r.error.code === "ORPHAN_LIMIT" || r.error.code === "ORPHAN_BUFFER_FULL")) {
        // Too many orphans from this peer. An honest peer gets here too when its eager relays
        // outrun lost messages; what it cannot do is keep the buffer full after a completed session
        // (then every ancestor of what it sent is delivered and its orphans drain). So: drop the
        // batch and sync; a strike counts only if a session completed since the last one.
        const st = this.orphanStrikes.get(from) ?? { strikes: 0, completedSince: true };
        this.orphanStrikes.set(from, st);
        if (st.completedSince) {
          st.strikes++;
          st.completedSince = false;
        }
        if (st.strikes >= ORPHAN_STRIKES) {
          this.banPeer(from, `orphan buffer kept full after ${ORPHAN_STRIKES - 1} completed syncs: ${r.error.message}`);
          return undefined;
        }
        this.syncWith(from);
        continue;
      }
      if (r.error !== undefined) {
        this.banPeer(from, `invalid batch: ${r.error.code}: ${r.error.message}`);
        return undefined;
      }
      if (r.duplicate) this.stats.duplicateBatchesReceived++;
      if (r.id !== undefined && this.replica.has(r.id)) this.seenBytes.add(key);
      accepted.push(...r.accepted);
      pending.push(...r.pending);
      missing = r.missing;
    }
    if (accepted.length > 0) for (const cb of this.deliveredListeners) cb(accepted, from);
    return { accepted, pending, missing: missing.filter((id) => !this.replica.has(id)) };
  }

  /** Moves a fetch on: done, or the next needs round once the last one was answered. */
  private advance(f: Fetch): void {
    if (f.done || f.awaitingPush || f.outstanding) return;
    const unknownTargets = f.targets.filter((h) => !this.replica.has(h));
    if (unknownTargets.length === 0) {
      this.finish(f);
      return;
    }
    const needs = new Set<Hex>();
    for (const h of unknownTargets) if (!this.replica.knows(h)) needs.add(h);
    for (const id of f.missing) if (!this.replica.knows(id)) needs.add(id);
    f.missing.clear();
    // A target buffered as an orphan (e.g. relayed earlier): ask for every parent held nowhere.
    if (unknownTargets.some((h) => this.replica.knows(h))) for (const id of this.replica.missing()) needs.add(id);
    if (needs.size === 0 || (f.rounds > 0 && f.progress === 0)) {
      // The last round brought nothing: the peer does not hold what it announced. Give up; the
      // periodic sync tries again (and a Byzantine peer can only stall its own sessions).
      this.abandon(f);
      return;
    }
    const ids = [...needs].slice(0, this.limits.maxIds);
    f.outstanding = true;
    f.progress = 0;
    f.rounds++;
    this.send(f.peer, { type: "needs", session: f.session, ids });
  }

  private abandon(f: Fetch): void {
    f.done = true;
    f.cancelTimer();
    this.fetches.delete(fetchKey(f.peer, f.session, f.initiator));
    if (f.initiator) this.stats.sessionsStalled++;
  }

  private finish(f: Fetch): void {
    f.done = true;
    f.cancelTimer();
    this.fetches.delete(fetchKey(f.peer, f.session, f.initiator));
    const prev = this.lastSync.get(f.peer) ?? 0;
    if (f.startIndex > prev) this.lastSync.set(f.peer, f.startIndex);
    const st = this.orphanStrikes.get(f.peer);
    if (st !== undefined) st.completedSince = true;
    if (f.initiator) {
      this.stats.sessionsCompleted++;
      this.stats.initiatorRoundTrips += 1 + f.rounds;
    } else {
      this.stats.responderRounds += f.rounds;
    }
  }

  /* ───────────────────────── helpers ───────────────────────── */

  private newFetch(peer: PeerId, session: number, initiator: boolean, targets: Hex[]): Fetch {
    const key = fetchKey(peer, session, initiator);
    const f: Fetch = {
      peer,
      session,
      initiator,
      targets,
      outstanding: false,
      progress: 0,
      awaitingPush: false,
      missing: new Set(),
      rounds: 0,
      startIndex: this.replica.deliveredCount(),
      cancelTimer: () => {},
      done: false,
    };
    f.cancelTimer = this.clock.setTimer(this.sessionTimeoutMs, () => {
      if (f.done || this.fetches.get(key) !== f) return;
      this.fetches.delete(key);
      if (initiator) this.stats.sessionsTimedOut++;
    });
    this.fetches.set(key, f);
    return f;
  }

  private dropFetches(peer: PeerId): void {
    for (const [key, f] of this.fetches) {
      if (f.peer !== peer) continue;
      f.cancelTimer();
      this.fetches.delete(key);
    }
  }

  private schedulePeriodic(): void {
    if (this.syncIntervalMs <= 0 || this.stopped) return;
    this.stopTimer = this.clock.setTimer(this.syncIntervalMs, () => {
      this.syncAll();
      this.schedulePeriodic();
    });
  }

  private banPeer(peer: PeerId, reason: string): void {
    this.logger.warn("peer banned", { self: this.transport.self, peer, reason });
    this.stats.peersBanned++;
    this.dropFetches(peer);
    this.transport.ban(peer, reason);
  }

  private send(peer: PeerId, msg: SyncMessage): void {
    const bytes = encodeMessage(msg, this.limits);
    if (this.transport.send(peer, bytes)) {
      this.stats.messagesSent++;
      this.stats.bytesSent += bytes.length;
    }
  }

  private sendBatches(peer: PeerId, session: number, batches: Uint8Array[]): void {
    this.send(peer, { type: "batches", session, batches });
    this.countBatches(batches);
  }

  private countBatches(batches: Uint8Array[]): void {
    this.stats.batchesSent += batches.length;
    for (const b of batches) this.stats.batchBytesSent += b.length;
  }

  private cappedHeads(): Hex[] {
    return this.replica.heads().slice(0, this.limits.maxIds);
  }

  private syncIndex(): void {
    const ids = this.replica.deliveredSince(this.indexed);
    for (const id of ids) this.indexOf.set(id, this.indexed++);
    // the replica delivers each batch once: one index per id
    if (this.indexOf.size !== this.indexed) invariant(false, `${this.indexOf.size} batches indexed under ${this.indexed} delivery indices`);
  }

  private inDeliveryOrder(ids: readonly Hex[]): Hex[] {
    this.syncIndex();
    return ids.filter((id) => this.indexOf.has(id)).sort((a, b) => (this.indexOf.get(a) as number) - (this.indexOf.get(b) as number));
  }

  /** A filter of the batches delivered since the last completed sync with `peer`. */
  private recentBloom(peer: PeerId, session: number): BloomFilter {
    const recent = this.replica.deliveredSince(this.lastSync.get(peer) ?? 0);
    const salt = (Math.imul(session, 0x9e3779b1) ^ hashPeer(this.transport.self)) >>> 0;
    const bloom = BloomFilter.forCount(Math.max(1, recent.length), salt);
    for (const id of recent) bloom.add(id);
    return bloom;
  }

  /**
   * Encoded batches the peer (with `heads`, `bloom`) lacks, in delivery order, from what this node
   * delivered since its last completed sync with it: see the module doc, step 2.
   */
  private diffFor(peer: PeerId, heads: readonly Hex[], bloom: BloomFilter | undefined, skip: ReadonlySet<Hex> = new Set()): Uint8Array[] {
    this.syncIndex();
    const from = this.lastSync.get(peer) ?? 0;
    const recent = this.replica.deliveredSince(from);
    const out: Uint8Array[] = [];
    // Batches the peer certainly holds: the ancestors of its heads that this node knows, within the window.
    const theirs = new Set<Hex>();
    const stack = heads.filter((h) => this.replica.has(h));
    while (stack.length > 0) {
      const id = stack.pop() as Hex;
      if (theirs.has(id)) continue;
      const idx = this.indexOf.get(id);
      if (idx === undefined || idx < from) continue;
      theirs.add(id);
      for (const p of this.replica.parentsOf(id) ?? []) stack.push(p);
    }
    if (bloom !== undefined) {
      const chosen = new Set<Hex>();
      for (const id of recent) {
        if (theirs.has(id)) continue;
        const parents = this.replica.parentsOf(id) ?? [];
        if (!bloom.has(id) || parents.some((p) => chosen.has(p))) {
          chosen.add(id);
          if (skip.has(id)) continue;
          const b = this.replica.encodedBatch(id);
          if (b !== undefined) out.push(b);
        }
      }
      return out;
    }
    // Plain: only if every head of the peer is known; send what is not their ancestor.
    if (!heads.every((h) => this.replica.has(h))) return out;
    for (const id of recent) {
      if (theirs.has(id) || skip.has(id)) continue;
      const b = this.replica.encodedBatch(id);
      if (b !== undefined) out.push(b);
    }
    return out;
  }
}

/** Orphan-limit strikes (each after a completed session with the peer) before it is cut off. */
export const ORPHAN_STRIKES = 3;

/** Open sessions a peer may have with this node as responder. */
export const MAX_RESPONDER_SESSIONS = 4;

function fetchKey(peer: PeerId, session: number, initiator: boolean): string {
  return `${peer}|${session}|${initiator ? "i" : "r"}`;
}

function hashPeer(peer: PeerId): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < peer.length; i++) h = Math.imul(h ^ peer.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
