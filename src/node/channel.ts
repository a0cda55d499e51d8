/**
 * `MultiPartyChannel`: one participant's handle on a multi-party channel, in the shape the seeds'
 * implementation guide promises (`new MultiPartyChannel({participants, rules})`, `placeOrder`, …,
 * `syncWithPeers()`, `getCurrentState()`), wired from the real parts: a channel {@link Replica}
 * (signed batches, hash DAG, deterministic order, tentative state), the sync layer
 * (`src/sync/reconcile.ts`, Kleppmann & Howard 2020 with the Bloom-filter variant) and a
 * {@link Transport} (the simulated network or WebSocket).
 *
 * **Every op method returns the op's local (tentative) result at once** (DESIGN §3: local
 * confirmation is immediate; the result can still change while concurrent batches arrive). Ops are
 * collected into this participant's next batch; the batch is signed and sent when it reaches
 * `rules.maxOpsPerBatch` ops (default 256), on {@link flush}, on {@link syncWithPeers}, and just
 * before a batch from a peer is ingested. That last rule is what makes the immediate result exact at
 * the time it is given: the pending ops are evaluated on a copy of the tentative state with the
 * pending ops applied (`cloneEngine`, taken once per batch), and because an own batch's parents are
 * all current heads it sorts after everything delivered — so signing it before anything else is
 * delivered applies its ops to exactly the state they were evaluated on.
 *
 * Accounts: a participant acts only for its own engine account, whose id is its lower-case address
 * (`src/channel/tentative.ts`); the op methods fill `account` (`from` for transfer) with it.
 *
 * Events ({@link on}): `batch` for every batch delivered (own or a peer's), `result` for each of this
 * participant's ops when its batch is applied (and again with `replayed = true` when a concurrent
 * batch that sorts earlier makes the replica re-apply it), `equivocation` with the evidence, and
 * `peerBanned` when the sync layer cuts a peer off.
 *
 * Errors: the constructor throws `ChannelConfigError` (bad config, signer not a participant). Op
 * methods never throw for a bad op: it is returned `rejected`, as by the engine (ops that cannot even
 * be encoded, e.g. a bigint over 2^256, are rejected `INVALID_OP` and never enter a batch).
 */
import type { Engine, Params } from "../core/engine.js";
import type {
  AddLiquidityOp,
  CancelOrderOp,
  MarketOrderOp,
  Op,
  PlaceOrderOp,
  RemoveLiquidityOp,
  SwapOp,
  TransferOp,
  WithdrawOp,
} from "../core/ops.js";
import type { CancelResult, LiquidityResult, OrderResult, Result, SwapResult, BalanceResult } from "../core/results.js";
import { cloneEngine } from "../core/snapshot.js";
import { encodeOp } from "../channel/codec.js";
import type { Evidence } from "../channel/dag.js";
import type { Hex, Participant, Signer } from "../channel/identity.js";
import { Replica, type ChannelLimits, type ReplicaOptions } from "../channel/replica.js";
import { applyBatch } from "../channel/tentative.js";
import { replicaSync, SyncNode, type SyncMode, type SyncReplica, type SyncStats } from "../sync/reconcile.js";
import { realClock, silentLogger, type Clock, type Logger, type Transport } from "../runtime/transport.js";

export interface ChannelRules {
  /** Ops per signed batch before it is sent on its own. Default 256. */
  maxOpsPerBatch?: number;
  /** Reconciliation: Bloom-filter variant (default) or plain heads/needs. */
  syncMode?: SyncMode;
  /** Periodic reconciliation with each peer, ms (0 = only on connect and syncWithPeers). Default 200. */
  syncIntervalMs?: number;
  /** A reconciliation session not complete after this long is abandoned, ms. Default 2000. */
  sessionTimeoutMs?: number;
  /** Eager relay of new batches: own (default), all, none. */
  relay?: "own" | "all" | "none";
}

export interface MultiPartyChannelOptions {
  /** The fixed participant set: addresses and roles. */
  participants: Participant[];
  rules?: ChannelRules;
  /** This participant's key. */
  signer: Signer;
  /** bytes32 channel id, 0x + 64 hex. */
  channelId: Hex;
  /** EIP-712 domain: default chain 31337 and the zero address. */
  chainId?: number;
  verifyingContract?: Hex;
  /** Setup ops (tokens, pools, markets, deposits) agreed at channel open. */
  genesis?: Op[];
  /** Without a transport the channel runs alone (ops are applied and signed, nothing is sent). */
  transport?: Transport;
  /** Timers for sync (virtual in the simulator). Default real time. */
  clock?: Clock;
  /** Timestamps of own batches, ms since the epoch. Default Date.now. */
  now?: () => number;
  logger?: Logger;
  limits?: Partial<ChannelLimits>;
  replicaOptions?: ReplicaOptions;
  /** A replica to resume from (e.g. rebuilt from persisted batches after a crash). */
  replica?: Replica;
}

export interface ChannelEvents {
  batch: (id: Hex, author: Hex, ops: number) => void;
  result: (batchId: Hex, index: number, result: Result, replayed: boolean) => void;
  equivocation: (evidence: Evidence) => void;
  peerBanned: (peer: string, reason: string) => void;
}

/** Where one of this participant's ops ended up: its batch and index (for {@link MultiPartyChannel.resultOf}). */
export interface OpHandle {
  batchId: Hex;
  index: number;
}

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as Hex;

export class MultiPartyChannel {
  readonly address: Hex;
  readonly replica: Replica;
  readonly sync: SyncNode | undefined;
  private readonly maxOps: number;
  private readonly clock: Clock;
  private pending: Op[] = [];
  /** Callbacks waiting for the batch id of each pending op. */
  private pendingHandles: ((h: OpHandle) => void)[] = [];
  private spec: Engine | undefined;
  private readonly listeners: { [K in keyof ChannelEvents]: ChannelEvents[K][] } = { batch: [], result: [], equivocation: [], peerBanned: [] };
  private readonly syncView: SyncReplica;

  constructor(opts: MultiPartyChannelOptions) {
    const rules = opts.rules ?? {};
    this.maxOps = rules.maxOpsPerBatch ?? 256;
    if (!Number.isSafeInteger(this.maxOps) || this.maxOps < 1) throw new RangeError("rules.maxOpsPerBatch must be a positive integer");
    this.clock = opts.clock ?? realClock;
    this.replica =
      opts.replica ??
      new Replica(
        {
          channelId: opts.channelId,
          chainId: opts.chainId ?? 31337,
          verifyingContract: opts.verifyingContract ?? ZERO_ADDRESS,
          participants: opts.participants,
          genesis: opts.genesis ?? [],
          limits: opts.limits,
        },
        opts.signer,
        { now: opts.now, ...(opts.replicaOptions ?? {}) },
      );
    this.address = opts.signer.address;
    this.replica.on("delivered", (node) => {
      for (const cb of this.listeners.batch) cb(node.id, node.batch.header.author, node.batch.ops.length);
    });
    this.replica.on("applied", (node, results, replayed) => {
      if (node.batch.header.author !== this.address || this.listeners.result.length === 0) return;
      results.forEach((r, i) => {
        for (const cb of this.listeners.result) cb(node.id, i, r, replayed);
      });
    });
    this.replica.on("equivocation", (ev) => {
      for (const cb of this.listeners.equivocation) cb(ev);
    });
    this.syncView = replicaSync(this.replica, () => this.flush());
    if (opts.transport !== undefined) {
      const logger = opts.logger ?? silentLogger;
      const banLogger: Logger = {
        info: (m, f) => logger.info(m, f),
        warn: (m, f) => {
          logger.warn(m, f);
          if (m === "peer banned") for (const cb of this.listeners.peerBanned) cb(String(f?.peer), String(f?.reason));
        },
      };
      this.sync = new SyncNode({
        replica: this.syncView,
        transport: opts.transport,
        clock: this.clock,
        mode: rules.syncMode,
        logger: banLogger,
        syncIntervalMs: rules.syncIntervalMs,
        sessionTimeoutMs: rules.sessionTimeoutMs,
        relay: rules.relay,
      });
      this.sync.start();
    }
  }

  on<K extends keyof ChannelEvents>(event: K, cb: ChannelEvents[K]): () => void {
    const list = this.listeners[event] as ChannelEvents[K][];
    list.push(cb);
    return () => {
      const i = list.indexOf(cb);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /* ─────────────── ops: each returns its tentative result at once ─────────────── */

  placeOrder(p: Omit<Params<PlaceOrderOp>, "account"> & { account?: string }): Result<OrderResult> {
    return this.submit({ type: "placeOrder", account: this.address, ...p }) as Result<OrderResult>;
  }
  cancelOrder(p: Omit<Params<CancelOrderOp>, "account"> & { account?: string }): Result<CancelResult> {
    return this.submit({ type: "cancelOrder", account: this.address, ...p }) as Result<CancelResult>;
  }
  marketOrder(p: Omit<Params<MarketOrderOp>, "account"> & { account?: string }): Result<OrderResult> {
    return this.submit({ type: "marketOrder", account: this.address, ...p }) as Result<OrderResult>;
  }
  swap(p: Omit<Params<SwapOp>, "account"> & { account?: string }): Result<SwapResult> {
    return this.submit({ type: "swap", account: this.address, ...p }) as Result<SwapResult>;
  }
  addLiquidity(p: Omit<Params<AddLiquidityOp>, "account"> & { account?: string }): Result<LiquidityResult> {
    return this.submit({ type: "addLiquidity", account: this.address, ...p }) as Result<LiquidityResult>;
  }
  removeLiquidity(p: Omit<Params<RemoveLiquidityOp>, "account"> & { account?: string }): Result<LiquidityResult> {
    return this.submit({ type: "removeLiquidity", account: this.address, ...p }) as Result<LiquidityResult>;
  }
  transfer(p: Omit<Params<TransferOp>, "from"> & { from?: string }): Result<BalanceResult> {
    return this.submit({ type: "transfer", from: this.address, ...p }) as Result<BalanceResult>;
  }
  withdraw(p: Omit<Params<WithdrawOp>, "account"> & { account?: string }): Result<BalanceResult> {
    return this.submit({ type: "withdraw", account: this.address, ...p }) as Result<BalanceResult>;
  }

  /**
   * Adds any op to the next batch and returns its tentative result. `onHandle` (optional) is called
   * with the op's batch id and index once the batch is signed (to follow its result later).
   */
  submit(op: Op, onHandle?: (h: OpHandle) => void): Result {
    try {
      encodeOp(op, this.replica.limits);
    } catch (error) {
      return { status: "rejected", code: "INVALID_OP", message: `op cannot be encoded: ${(error as Error).message}` };
    }
    this.spec ??= cloneEngine(this.replica.getCurrentState());
    const [result] = applyBatch(this.spec, [op], this.address);
    this.pending.push(op);
    this.pendingHandles.push(onHandle ?? noop);
    if (this.pending.length >= this.maxOps) this.flush();
    return result as Result;
  }

  /** Ops waiting for the next batch. */
  get pendingOps(): number {
    return this.pending.length;
  }

  /** Signs the pending ops into a batch, applies it, sends it to peers; returns its id (undefined if nothing was pending). */
  flush(): Hex | undefined {
    if (this.pending.length === 0) return undefined;
    const ops = this.pending;
    const handles = this.pendingHandles;
    this.pending = [];
    this.pendingHandles = [];
    this.spec = undefined;
    const submitted = this.replica.submit(ops);
    handles.forEach((cb, index) => cb({ batchId: submitted.id, index }));
    this.sync?.publish(submitted.id);
    return submitted.id;
  }

  /**
   * Signs `ops` as batches of at most `maxOpsPerBatch` right away (after flushing pending ops) and
   * returns each op's tentative result and handle. The bulk path: no copy of the state is needed for
   * the results, because the replica applies its own batch at once.
   */
  submitBatch(ops: readonly Op[]): { results: Result[]; handles: OpHandle[] } {
    this.flush();
    const results: Result[] = [];
    const handles: OpHandle[] = [];
    for (let i = 0; i < ops.length; i += this.maxOps) {
      const chunk = ops.slice(i, i + this.maxOps);
      const s = this.replica.submit(chunk);
      s.results.forEach((r, index) => {
        results.push(r);
        handles.push({ batchId: s.id, index });
      });
      this.sync?.publish(s.id);
    }
    return { results, handles };
  }

  /** The latest tentative result of an op of this participant (it changes if concurrent batches sort earlier). */
  resultOf(h: OpHandle): Result | undefined {
    return this.replica.resultsOf(h.batchId)?.[h.index];
  }

  /**
   * Flushes, reconciles with every connected peer, and resolves once no session this node started is
   * still running (or after `timeoutMs`, default 5000, of the channel's clock). Resolves with the
   * sync statistics so far.
   */
  syncWithPeers(timeoutMs = 5000): Promise<SyncStats | undefined> {
    this.flush();
    const sync = this.sync;
    if (sync === undefined) return Promise.resolve(undefined);
    sync.syncAll();
    const deadline = this.clock.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        if (sync.activeSessions() === 0 || this.clock.now() >= deadline) resolve({ ...sync.stats });
        else this.clock.setTimer(5, check);
      };
      check();
    });
  }

  /** The tentative engine state (pending ops are flushed first). Read only. */
  getCurrentState(): Engine {
    this.flush();
    return this.replica.getCurrentState();
  }

  stateRoot(): string {
    return this.getCurrentState().stateRoot();
  }

  equivocations(): readonly Evidence[] {
    return this.replica.equivocations();
  }

  /** Stops the sync timers (the transport is the caller's to close). */
  close(): void {
    this.flush();
    this.sync?.stop();
  }
}

function noop(): void {}
