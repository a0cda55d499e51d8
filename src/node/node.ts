/**
 * `Node`: one participant of a channel as one lifecycle (DESIGN §7): `start()`, `stop()`, and
 * restart from disk. It owns and wires the parts that until now were wired by hand in the demo,
 * the simulator and the tests:
 *
 * - the channel {@link Replica} behind a {@link MultiPartyChannel} (ops, batches, tentative state);
 * - sync (`src/sync/reconcile.ts`, inside the MultiPartyChannel) and the {@link Checkpointer}
 *   (`attachCheckpointer`), sharing one transport through `muxTransport`;
 * - the transport: the WebSocket transport (`src/sync/wsTransport.ts`, signed handshake, peers from
 *   the channel definition's endpoints), or one injected (the simulated network, for tests);
 * - the durable store ({@link NodeStore}, `store.ts`).
 *
 * ## Durability (CometBFT's rule, DESIGN §7)
 * Every delivered batch goes to the store in delivery order; an **own batch is written (with its
 * seq, synchronously) before it is sent** — the store write runs in the replica's `delivered`
 * event, which fires inside `Replica.submit`, before the channel publishes the batch. Every own
 * proposal and vote is written before it is sent, and every decision and certificate when it
 * happens (the Checkpointer's `persist` hook → {@link NodeStore.appendWal}).
 *
 * ## Restart
 * A new Node on the same data dir re-ingests the stored batches (parents first, each one's
 * signature checked again), checks that its own last batch is among them (else the store is
 * refused: the node could sign a second batch with a used seq), restores the Checkpointer from
 * the WAL (decided heights are recomputed over the batches; the current height's own signed
 * messages are restored into Tendermint, so it never signs a conflicting vote), then connects and
 * catches up from its peers (sync for batches, decision proofs for heights).
 *
 * ## Op lifecycle
 * {@link Node.submit} returns an {@link OpTicket}; the `op` event follows each op through
 * `pending` (evaluated on the tentative state, waiting for its batch) → `tentative` (in a signed
 * batch; result may still change) → `final` (decided at `height`, with the final result and the
 * first certificate at or above that height) — or `rejected` at once when the op cannot even be
 * encoded (code `INVALID_OP`). An op whose final result is a rejection by the engine is `final`
 * with that result (the engine's code is in `result.code`). {@link Node.opStatus} answers the same
 * from the node's state for any own op handle, also after a restart.
 *
 * Errors: {@link NodeError} (`NODE_STATE` for a call in the wrong lifecycle state, `NODE_CONFIG` for
 * a signer that is not a participant or a missing endpoint); the store's {@link StoreError}s pass
 * through `start()` unchanged.
 */
import { isAbsolute, join } from "node:path";
import type { Engine } from "../core/engine.js";
import type { Op } from "../core/ops.js";
import type { Result } from "../core/results.js";
import { SemilatticeError } from "../core/errors.js";
import type { Checkpointer, CheckpointCertificate, CheckpointValue, CheckpointWalEntry } from "../channel/checkpoint.js";
import { attachCheckpointer, muxTransport } from "../channel/consensus/attach.js";
import type { Hex, Participant, Signer } from "../channel/identity.js";
import { Replica } from "../channel/replica.js";
import type { TimeoutConfig } from "../channel/consensus/tendermint.js";
import type { Evidence } from "../channel/dag.js";
import { realClock, silentLogger, type Clock, type Logger, type PeerId, type Transport, type TransportHandlers } from "../sync/transport.js";
import { WsTransport, type WsTransportLimits } from "../sync/wsTransport.js";
import { MultiPartyChannel, type OpHandle } from "./channel.js";
import type { ChannelDefinition, NodeSettings } from "./options.js";
import { NodeStore, StoreError, type StoreLimits } from "./store.js";

export type NodeErrorCode = "NODE_STATE" | "NODE_CONFIG";

export class NodeError extends SemilatticeError {
  override name = "NodeError";
  declare readonly code: NodeErrorCode;
  constructor(code: NodeErrorCode, shortMessage: string, parameters: { details?: string; cause?: unknown } = {}) {
    super(code, shortMessage, { ...parameters, docsPath: "node.md" });
  }
}

export interface NodeOptions {
  /** The channel (identical in every participant's home). */
  channel: ChannelDefinition;
  /** This node's settings; `dataDir` is resolved against `home`. */
  settings: NodeSettings;
  /** The node home (directory of `node.json`). Default the current directory. */
  home?: string;
  /** This participant's key (`createSigner`, or the keystore's). */
  signer: Signer;
  logger?: Logger;
  /** A transport to use instead of the WebSocket one (e.g. the simulated network's `node(address)`); the caller closes it. */
  transport?: Transport;
  /** Timers (virtual in a simulation). Default real time. */
  clock?: Clock;
  /** Wall clock, ms since the Unix epoch: batch timestamps and checkpoint times. Default `Date.now`. */
  now?: () => number;
  /** Limits of the WebSocket transport (`maxMessageBytes`: largest frame, default the sync layer's 16 MiB). */
  wsLimits?: Partial<WsTransportLimits> & { maxMessageBytes?: number };
  storeLimits?: Partial<StoreLimits>;
  /** Tendermint timeouts, ms (tests shorten them). */
  timeouts?: Partial<TimeoutConfig>;
}

/** Where an op is in its life (see the module comment). */
export type OpState =
  | { status: "pending"; result: Result }
  | { status: "tentative"; batchId: Hex; index: number; result: Result }
  | { status: "final"; batchId: Hex; index: number; height: number; result: Result; certificate: CheckpointCertificate | undefined }
  | { status: "rejected"; code: string; message: string };

export interface OpTicket {
  /** Node-local id of the op (for the `op` events). */
  readonly id: number;
  /** The tentative result at submission. */
  readonly result: Result;
  /** The op's batch and index once signed (undefined while pending or if rejected). */
  handle(): OpHandle | undefined;
  /** The op's current state. */
  state(): OpState;
}

export interface NodeStatus {
  /** Height of the latest final checkpoint, null before the first. */
  height: number | null;
  /** State root of the final state (the genesis state before the first checkpoint). */
  stateRoot: string;
  /** Ops in final batches. */
  finalOps: number;
  /** Connected peers (addresses, sorted). */
  peers: string[];
}

export interface NodeEvents {
  op: (id: number, state: OpState) => void;
  decided: (value: CheckpointValue) => void;
  certificate: (certificate: CheckpointCertificate) => void;
  equivocation: (evidence: Evidence) => void;
  peerBanned: (peer: string, reason: string) => void;
}

interface Tracked {
  id: number;
  result: Result;
  handle?: OpHandle;
  height?: number;
  done: boolean;
}

type Phase = "new" | "starting" | "running" | "stopping" | "stopped";

const STORE_PEER = "store";

export class Node {
  readonly address: Hex;
  private readonly o: NodeOptions;
  private readonly logger: Logger;
  private readonly baseClock: Clock;
  private readonly now: () => number;
  private phase: Phase = "new";
  private store_: NodeStore | undefined;
  private replica_: Replica | undefined;
  private channel_: MultiPartyChannel | undefined;
  private checkpointer_: Checkpointer | undefined;
  private transport: Transport | undefined;
  private ownsTransport = false;
  private readonly listeners: { [K in keyof NodeEvents]: NodeEvents[K][] } = { op: [], decided: [], certificate: [], equivocation: [], peerBanned: [] };
  private nextOpId = 1;
  private readonly tracked = new Map<number, Tracked>();
  /** Tracked ops by batch id, until final. */
  private readonly byBatch = new Map<Hex, Tracked[]>();
  /** Delivered batches not yet final, with their op counts. */
  private readonly unfinal = new Map<Hex, number>();
  private finalOps_ = 0;

  constructor(options: NodeOptions) {
    this.o = options;
    this.address = options.signer.address;
    this.logger = options.logger ?? silentLogger;
    this.baseClock = options.clock ?? realClock;
    this.now = options.now ?? Date.now;
    const me = options.channel.participants.find((p) => p.address.toLowerCase() === this.address);
    if (me === undefined) throw new NodeError("NODE_CONFIG", `signer ${this.address} is not a participant of channel ${options.channel.channelId}`);
  }

  /** The data dir (absolute, or relative to the current directory when the home is). */
  get dataDir(): string {
    const d = this.o.settings.dataDir;
    return isAbsolute(d) ? d : join(this.o.home ?? ".", d);
  }

  /* ─────────────── lifecycle ─────────────── */

  /**
   * Opens the store, resumes from it (see "Restart"), starts sync, checkpoints and the transport.
   * Throws {@link StoreError} (a foreign, damaged or locked store; nothing is started then) or
   * {@link NodeError} `NODE_STATE` if called twice.
   */
  async start(): Promise<void> {
    if (this.phase !== "new") throw new NodeError("NODE_STATE", `start() on a node that is ${this.phase}`);
    this.phase = "starting";
    const def = this.o.channel;
    const participants: Participant[] = def.participants.map((p) => ({ address: p.address.toLowerCase() as Hex, roles: [...p.roles] }));
    const store = NodeStore.open({ dir: this.dataDir, channelId: def.channelId, participant: this.address, ...(this.o.storeLimits !== undefined ? { limits: this.o.storeLimits } : {}) });
    this.store_ = store;
    try {
      const contents = store.load();
      const replica = new Replica(
        { channelId: def.channelId, chainId: def.chain.chainId, verifyingContract: def.chain.adjudicator, participants, genesis: def.genesis },
        this.o.signer,
        { now: this.now },
      );
      this.replica_ = replica;
      // re-ingest, parents first; every stored batch must be delivered again
      let ownSeq = 0;
      contents.batches.forEach((bytes, i) => {
        const r = replica.receive(bytes, STORE_PEER);
        if (r.error !== undefined || (r.accepted.length === 0 && !r.duplicate)) {
          throw new StoreError("STORE_CORRUPT", `stored batch ${i} does not deliver again`, { details: r.error?.message ?? "its parents are not stored before it" });
        }
      });
      for (const id of replica.batchIdsInOrder()) {
        const b = replica.getBatch(id)!;
        if (b.header.author === this.address) ownSeq = Math.max(ownSeq, b.header.seq);
      }
      if (ownSeq !== contents.lastSeq) throw new StoreError("STORE_CORRUPT", `the store records own seq ${contents.lastSeq} but its batches reach seq ${ownSeq}`);
      this.logger.info("node store loaded", { self: this.address, batches: contents.batches.length, lastSeq: contents.lastSeq, walEntries: contents.wal.length });

      // from here on every delivered batch is stored; own ones synchronously, before they are sent
      replica.on("delivered", (node) => {
        if (this.phase === "stopped") return;
        if (node.batch.header.author === this.address) store.appendOwnBatch(node.bytes, node.batch.header.seq);
        else store.appendBatch(node.bytes);
        this.unfinal.set(node.id, node.batch.ops.length);
      });
      for (const id of replica.batchIdsInOrder()) this.unfinal.set(id, replica.getBatch(id)!.ops.length);

      const transport = await this.openTransport(participants);
      this.transport = transport;
      const gated = gate(transport, () => this.phase !== "stopped");
      const mux = muxTransport(gated);
      const clock = this.gatedClock();
      const rules = def.rules;
      const channel = new MultiPartyChannel({
        participants,
        signer: this.o.signer,
        channelId: def.channelId,
        chainId: def.chain.chainId,
        verifyingContract: def.chain.adjudicator,
        genesis: def.genesis,
        replica,
        transport: mux.sync,
        clock,
        now: this.now,
        logger: this.logger,
        rules: { ...(rules.maxOpsPerBatch !== undefined ? { maxOpsPerBatch: rules.maxOpsPerBatch } : {}), ...(rules.syncIntervalMs !== undefined ? { syncIntervalMs: rules.syncIntervalMs } : {}) },
      });
      this.channel_ = channel;
      channel.on("equivocation", (ev) => this.emit("equivocation", ev));
      channel.on("peerBanned", (peer, reason) => this.emit("peerBanned", peer, reason));
      const cp = attachCheckpointer({
        replica,
        transport: mux.consensus,
        clock,
        signer: this.o.signer,
        now: this.now,
        ...(rules.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: rules.checkpointIntervalMs } : {}),
        ...(rules.maxDriftMs !== undefined ? { maxDriftMs: rules.maxDriftMs } : {}),
        ...(this.o.timeouts !== undefined ? { timeouts: this.o.timeouts } : {}),
        persist: (e: CheckpointWalEntry) => {
          if (this.phase === "stopped") throw new NodeError("NODE_STATE", "the node is stopped");
          store.appendWal(e);
        },
        restore: contents.wal,
        onMissing: (_ids, from) => channel.sync?.syncWith(from),
      });
      this.checkpointer_ = cp;
      this.recountFinal();
      cp.onDecide((v) => {
        this.recountFinal();
        store.setFinalSummary({ height: v.height, stateRoot: v.stateRoot, finalOps: this.finalOps_ });
        this.emit("decided", v);
      });
      cp.onCheckpoint((cert) => {
        this.emit("certificate", cert);
        this.finalizeTracked(cert);
      });
      this.phase = "running";
      if (transport instanceof WsTransport) {
        for (const p of def.participants) if (p.address.toLowerCase() !== this.address) transport.addPeer(p.address, p.endpoint);
      }
      this.logger.info("node started", { self: this.address, height: cp.height, batches: replica.deliveredCount });
    } catch (error) {
      this.phase = "stopped";
      await this.teardown();
      throw error;
    }
  }

  /** Graceful stop: flushes pending ops into a batch (stored), stops timers, closes the transport (if owned) and the store. Idempotent. */
  async stop(): Promise<void> {
    if (this.phase === "stopped" || this.phase === "stopping") return;
    if (this.phase === "new") {
      this.phase = "stopped";
      return;
    }
    this.phase = "stopping";
    try {
      this.channel_?.flush();
    } catch (error) {
      this.logger.warn("flush at stop failed", { self: this.address, error: (error as Error).message });
    }
    this.phase = "stopped";
    await this.teardown();
    this.logger.info("node stopped", { self: this.address });
  }

  private async teardown(): Promise<void> {
    this.channel_?.sync?.stop();
    if (this.ownsTransport) await this.transport?.close();
    this.store_?.close();
  }

  get isRunning(): boolean {
    return this.phase === "running";
  }

  private async openTransport(participants: Participant[]): Promise<Transport> {
    if (this.o.transport !== undefined) {
      if (this.o.transport.self !== this.address) throw new NodeError("NODE_CONFIG", `the injected transport is ${this.o.transport.self}, not ${this.address}`);
      return this.o.transport;
    }
    const s = this.o.settings;
    const t = await WsTransport.listen({
      signer: this.o.signer,
      channelId: this.o.channel.channelId,
      participants: participants.map((p) => p.address),
      host: s.listen.host,
      port: s.listen.port,
      logger: this.logger,
      ...(this.o.wsLimits !== undefined ? { limits: this.o.wsLimits } : {}),
      ...(this.o.wsLimits?.maxMessageBytes !== undefined ? { maxMessageBytes: this.o.wsLimits.maxMessageBytes } : {}),
    });
    this.ownsTransport = true;
    return t;
  }

  /** The clock, with every timer dropped once the node stops (a stopped node sends and writes nothing). */
  private gatedClock(): Clock {
    const base = this.baseClock;
    return {
      now: () => base.now(),
      setTimer: (ms, fn) =>
        base.setTimer(ms, () => {
          if (this.phase === "running") fn();
        }),
    };
  }

  /* ─────────────── parts ─────────────── */

  private running(what: string): void {
    if (this.phase !== "running") throw new NodeError("NODE_STATE", `${what} on a node that is ${this.phase}`);
  }

  /** The participant-facing channel (op methods, sync). Throws `NODE_STATE` before start. */
  get channel(): MultiPartyChannel {
    if (this.channel_ === undefined) throw new NodeError("NODE_STATE", "the node is not started");
    return this.channel_;
  }
  get checkpointer(): Checkpointer {
    if (this.checkpointer_ === undefined) throw new NodeError("NODE_STATE", "the node is not started");
    return this.checkpointer_;
  }
  get replica(): Replica {
    if (this.replica_ === undefined) throw new NodeError("NODE_STATE", "the node is not started");
    return this.replica_;
  }
  get store(): NodeStore {
    if (this.store_ === undefined) throw new NodeError("NODE_STATE", "the node is not started");
    return this.store_;
  }

  /* ─────────────── ops ─────────────── */

  /**
   * Submits an op of this participant (its `account` / `from` must be this participant's account,
   * the lower-case address, as the channel requires) and returns its ticket; the `op` event follows
   * it. Throws `NODE_STATE` unless running.
   */
  submit(op: Op): OpTicket {
    this.running("submit()");
    const t: Tracked = { id: this.nextOpId++, result: { status: "rejected", code: "INVALID_OP", message: "" }, done: false };
    const before = this.channel.pendingOps;
    const result = this.channel.submit(op, (h) => {
      t.handle = h;
      const list = this.byBatch.get(h.batchId);
      if (list === undefined) this.byBatch.set(h.batchId, [t]);
      else list.push(t);
      this.emit("op", t.id, this.stateOf(t));
    });
    t.result = result;
    this.tracked.set(t.id, t);
    if (t.handle === undefined && this.channel.pendingOps !== before + 1) {
      // never entered a batch
      t.done = true;
      this.emit("op", t.id, this.stateOf(t));
    } else if (t.handle === undefined) {
      this.emit("op", t.id, this.stateOf(t));
    }
    return {
      id: t.id,
      result,
      handle: () => t.handle,
      state: () => this.stateOf(t),
    };
  }

  /** Signs the pending ops into a batch now (stored, then sent). */
  flush(): Hex | undefined {
    this.running("flush()");
    return this.channel.flush();
  }

  /** The state of an own op by its handle (also after a restart). */
  opStatus(h: OpHandle): OpState | undefined {
    const cp = this.checkpointer;
    const { finality, results } = cp.resultsOf(h.batchId);
    const result = results?.[h.index];
    if (result === undefined) return undefined;
    if (finality.status === "final") return { status: "final", batchId: h.batchId, index: h.index, height: finality.height, result, certificate: this.certificateCovering(finality.height) };
    return { status: "tentative", batchId: h.batchId, index: h.index, result };
  }

  private stateOf(t: Tracked): OpState {
    if (t.handle === undefined) {
      if (t.done && t.result.status === "rejected") return { status: "rejected", code: t.result.code, message: t.result.message };
      return { status: "pending", result: t.result };
    }
    return this.opStatus(t.handle) ?? { status: "tentative", batchId: t.handle.batchId, index: t.handle.index, result: t.result };
  }

  /** The first certificate at or above `height` known here. */
  private certificateCovering(height: number): CheckpointCertificate | undefined {
    const cp = this.checkpointer_;
    if (cp === undefined) return undefined;
    const exact = cp.certificate(height);
    if (exact !== undefined) return exact;
    const latest = cp.latestCertificate();
    if (latest === undefined || latest.checkpoint.height < height) return undefined;
    for (let h = height + 1; h <= latest.checkpoint.height; h++) {
      const c = cp.certificate(h);
      if (c !== undefined) return c;
    }
    return latest;
  }

  private recountFinal(): void {
    const cp = this.checkpointer_;
    if (cp === undefined) return;
    for (const [id, ops] of this.unfinal) {
      const f = cp.finality(id);
      if (f.status !== "final") continue;
      this.finalOps_ += ops;
      this.unfinal.delete(id);
      for (const t of this.byBatch.get(id) ?? []) t.height = f.height;
    }
  }

  private finalizeTracked(cert: CheckpointCertificate): void {
    for (const [id, list] of this.byBatch) {
      const h = list[0]?.height;
      if (h === undefined || h > cert.checkpoint.height) continue;
      this.byBatch.delete(id);
      for (const t of list) {
        t.done = true;
        this.tracked.delete(t.id);
        this.emit("op", t.id, this.stateOf(t));
      }
    }
  }

  /* ─────────────── queries ─────────────── */

  /** Tentative engine view: the final state plus the pending batches in the deterministic order (pending ops flushed first). Read only. */
  getCurrentState(): Engine {
    this.channel.flush();
    return this.checkpointer.getCurrentState();
  }
  /** The final state (read only). */
  getFinalState(): Engine {
    return this.checkpointer.getFinalState();
  }
  latestCertificate(): CheckpointCertificate | undefined {
    return this.checkpointer.latestCertificate();
  }
  certificate(height: number): CheckpointCertificate | undefined {
    return this.checkpointer.certificate(height);
  }
  get finalOps(): number {
    return this.finalOps_;
  }
  status(): NodeStatus {
    const cp = this.checkpointer;
    return { height: cp.height === 0 ? null : cp.height - 1, stateRoot: cp.getFinalState().stateRoot(), finalOps: this.finalOps_, peers: this.transport?.peers() ?? [] };
  }

  on<K extends keyof NodeEvents>(event: K, cb: NodeEvents[K]): () => void {
    const list = this.listeners[event] as NodeEvents[K][];
    list.push(cb);
    return () => {
      const i = list.indexOf(cb);
      if (i >= 0) list.splice(i, 1);
    };
  }

  private emit<K extends keyof NodeEvents>(event: K, ...args: Parameters<NodeEvents[K]>): void {
    for (const cb of this.listeners[event]) (cb as (...a: Parameters<NodeEvents[K]>) => void)(...args);
  }
}

/** A transport whose handlers stop being called once `open()` is false (a stopped node hears nothing). */
function gate(base: Transport, open: () => boolean): Transport {
  return {
    get self(): PeerId {
      return base.self;
    },
    send: (peer, bytes) => open() && base.send(peer, bytes),
    peers: () => base.peers(),
    setHandlers(h: TransportHandlers) {
      base.setHandlers({
        message: (from, bytes) => {
          if (open()) h.message(from, bytes);
        },
        connect: (peer) => {
          if (open()) h.connect(peer);
        },
        disconnect: (peer, reason) => {
          if (open()) h.disconnect(peer, reason);
        },
      });
    },
    ban: (peer, reason) => base.ban(peer, reason),
    close: () => base.close(),
  };
}
