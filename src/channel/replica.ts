/**
 * A channel replica: one participant's (or an observer's) copy of the channel — the hash DAG of
 * signed batches, their total order and the tentative engine state — behind the API the sync layer
 * (`src/sync/`) and the node build on.
 *
 * Life of a batch (DESIGN §3; Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022):
 * bytes from a peer → {@link Replica.receive}: canonical decode (`codec.ts`, limits) → channel id and
 * author must be a participant → batch id (EIP-712 digest) → payload digest and signature
 * (`batch.ts`) → hash DAG (`dag.ts`: causal delivery, orphan buffer, seq rule, equivocation) → total
 * order (`order.ts`) → tentative state (`tentative.ts`: applied at once when it sorts last, else
 * replayed from a snapshot at the next read). A peer that sent undecodable, wrongly signed or
 * otherwise invalid data gets `error` in the {@link ReceiveResult}: cut it off.
 *
 * Local ops: {@link Replica.submit} signs a batch with parents = current heads (so it sorts last and
 * is applied at once), delivers it locally and returns each op's tentative result; send its `bytes`
 * to peers.
 *
 * Determinism: everything from delivery on is a function of the set of delivered batches; the only
 * input from this machine is the timestamp its own batches carry (`now`, default `Date.now`), which is
 * part of the signed header and used for nothing in ordering or applying.
 */
import { invariant, SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { Engine } from "../core/engine.js";
import type { Op } from "../core/ops.js";
import type { Result } from "../core/results.js";
import { BatchError, batchDigest, createBatch, domainSeparator, payloadDigestOf, toHex, type Batch } from "./batch.js";
import { CodecError, DEFAULT_CODEC_LIMITS, decodeBatch, type CodecLimits, type DecodedBatch } from "./codec.js";
import type { DepositRecord } from "./deposits.js";
import { DEFAULT_DAG_LIMITS, HashDag, type DagLimits, type DagNode, type DagRejection, type Evidence } from "./dag.js";
import { normalizeParticipant, recoverAddress, type Hex, type Participant, type Signer } from "./identity.js";
import { TotalOrder } from "./order.js";
import { DEFAULT_TENTATIVE_OPTIONS, Tentative, type CanonicalMode, type TentativeOptions, type TentativeStats } from "./tentative.js";
import type { VerifyPool } from "./verifyPool.js";

interface Prepared {
  decoded: DecodedBatch;
  digest: Uint8Array;
  id: Hex;
  bytes: Uint8Array;
}

function emptyResult(): ReceiveResult {
  return { accepted: [], pending: [], missing: [], duplicate: false, misbehaving: [] };
}

/** Every limit of a channel (codec, DAG, snapshots). */
export interface ChannelLimits extends CodecLimits, DagLimits, TentativeOptions {
  /** Most participants. Default 256. */
  maxParticipants: number;
}

export const DEFAULT_CHANNEL_LIMITS: Readonly<ChannelLimits> = Object.freeze({
  ...DEFAULT_CODEC_LIMITS,
  ...DEFAULT_DAG_LIMITS,
  ...DEFAULT_TENTATIVE_OPTIONS,
  maxParticipants: 256,
});

export interface ChannelConfig {
  /** bytes32 channel id (0x + 64 hex). */
  channelId: Hex;
  /** EIP-712 domain: chain id and adjudicator contract address. */
  chainId: number;
  verifyingContract: Hex;
  /** Fixed at channel open. Each gets an engine account whose id and address are its lower-case address. */
  participants: Participant[];
  /**
   * Setup ops agreed at channel open (tokens, pools, markets, initial deposits, extra accounts),
   * applied after the participants' accounts are created and before any batch. Every one must be
   * accepted, else the config is invalid.
   */
  genesis: Op[];
  limits?: Partial<ChannelLimits>;
}

export type ChannelConfigErrorCode = "INVALID_CONFIG" | "GENESIS_REJECTED" | "NOT_A_PARTICIPANT";

export class ChannelConfigError extends SemilatticeError {
  override readonly name = "ChannelConfigError";
  declare readonly code: ChannelConfigErrorCode;
  constructor(code: ChannelConfigErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** Codes of {@link ReceiveResult.error}: the sender misbehaved. */
export type ReceiveErrorCode =
  | `CODEC_${CodecError["code"]}`
  | BatchError["code"]
  | "NOT_PARTICIPANT"
  | "BAD_SEQ"
  | "BAD_TIMESTAMP"
  | "ORPHAN_LIMIT"
  | "ORPHAN_BUFFER_FULL"
  | "INVALID_ANCESTOR";

export interface ReceiveResult {
  /** The batch id, when the bytes decoded. */
  id?: Hex;
  /** Batches delivered by this call (the received one and orphans it unblocked), in delivery order. */
  accepted: Hex[];
  /** Batches now buffered as orphans (the received one, if its parents are not all delivered). */
  pending: Hex[];
  /** Parents this replica holds nowhere: request them from the peer. */
  missing: Hex[];
  /** True if the batch was already delivered or buffered (nothing changed). */
  duplicate: boolean;
  /** The sender `fromPeer` sent invalid data: cut it off. */
  error?: { code: ReceiveErrorCode; message: string };
  /** Refusals this call caused for other peers' buffered orphans (those peers misbehaved). */
  misbehaving: DagRejection[];
}

export interface SubmitResult {
  id: Hex;
  batch: Batch;
  /** Canonical encoding: send it to peers. */
  bytes: Uint8Array;
  /** Each op's tentative result, in order. */
  results: Result[];
}

export interface ReplicaEvents {
  /** A batch entered the DAG (local or remote). */
  delivered: (node: DagNode) => void;
  /** A batch's ops were applied to the tentative state (again, if `replayed`). */
  applied: (node: DagNode, results: Result[], replayed: boolean) => void;
  equivocation: (evidence: Evidence) => void;
  /** A peer sent invalid data (or its buffered orphan turned out invalid). */
  misbehaving: (peer: string, code: string, message: string) => void;
}

export interface ReplicaOptions {
  /** Clock for own batches' timestamps, ms since the epoch. Default Date.now. */
  now?: () => number;
  /**
   * Snapshot the state before applying each own batch, where concurrent batches from others land.
   * Turns the usual replay into "restore + reapply own batch", but costs a full engine clone per
   * submit (O(state)); measured far too slow with real books (bench/channel.ts). Default false.
   */
  snapshotBeforeOwnBatch?: boolean;
  /** When out-of-order arrivals are put back in canonical order: "eager" (default) or "onRead" (see `tentative.ts`). */
  canonicalize?: CanonicalMode;
}

export class Replica {
  readonly config: Readonly<ChannelConfig>;
  readonly limits: Readonly<ChannelLimits>;
  readonly participants: readonly Participant[];
  /** This replica's signer address, if it can author batches. */
  readonly address: Hex | undefined;
  private readonly separator: Uint8Array;
  private readonly dag: HashDag;
  private readonly order = new TotalOrder();
  private readonly tentative: Tentative;
  private readonly signer: Signer | undefined;
  private readonly selfIndex: number;
  private readonly now: () => number;
  private readonly snapshotBeforeOwn: boolean;
  private readonly participantSet: Set<string>;
  private readonly channelId: Hex;
  private readonly listeners: { [K in keyof ReplicaEvents]: ReplicaEvents[K][] } = { delivered: [], applied: [], equivocation: [], misbehaving: [] };

  /** Throws {@link ChannelConfigError} on an invalid config or a signer that is not a participant. */
  constructor(config: ChannelConfig, signer?: Signer, options: ReplicaOptions = {}) {
    if (typeof config !== "object" || config === null) throw new ChannelConfigError("INVALID_CONFIG", "config must be an object");
    if (typeof config.channelId !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(config.channelId)) throw new ChannelConfigError("INVALID_CONFIG", "channelId must be 0x + 64 hex digits");
    if (typeof config.verifyingContract !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(config.verifyingContract)) throw new ChannelConfigError("INVALID_CONFIG", "verifyingContract must be 0x + 40 hex digits");
    if (!Number.isSafeInteger(config.chainId) || config.chainId < 0) throw new ChannelConfigError("INVALID_CONFIG", "chainId must be a non-negative safe integer");
    const limits: ChannelLimits = { ...DEFAULT_CHANNEL_LIMITS, ...(config.limits ?? {}) };
    for (const [k, v] of Object.entries(limits)) {
      const min = k === "snapshotOpsPerObject" ? 0 : 1;
      if (!Number.isSafeInteger(v) || v < min) throw new ChannelConfigError("INVALID_CONFIG", `limit ${k} must be an integer ≥ ${min}`);
    }
    if (!Array.isArray(config.participants) || config.participants.length === 0 || config.participants.length > limits.maxParticipants) {
      throw new ChannelConfigError("INVALID_CONFIG", `participants must be 1..${limits.maxParticipants}`);
    }
    let participants: Participant[];
    try {
      participants = config.participants.map(normalizeParticipant);
    } catch (error) {
      throw new ChannelConfigError("INVALID_CONFIG", (error as Error).message);
    }
    const addresses = participants.map((p) => p.address);
    if (new Set(addresses).size !== addresses.length) throw new ChannelConfigError("INVALID_CONFIG", "participant addresses must be distinct");
    if (!Array.isArray(config.genesis)) throw new ChannelConfigError("INVALID_CONFIG", "genesis must be an array of ops");

    this.config = config;
    this.limits = limits;
    this.participants = participants;
    this.participantSet = new Set(addresses);
    this.channelId = config.channelId.toLowerCase() as Hex;
    this.separator = domainSeparator({ chainId: config.chainId, verifyingContract: config.verifyingContract });
    this.signer = signer;
    this.address = signer?.address;
    this.selfIndex = signer === undefined ? -1 : addresses.indexOf(signer.address);
    if (signer !== undefined && this.selfIndex < 0) throw new ChannelConfigError("NOT_A_PARTICIPANT", `signer ${signer.address} is not a participant`);
    this.now = options.now ?? Date.now;
    this.snapshotBeforeOwn = options.snapshotBeforeOwnBatch ?? false;

    const genesis = genesisEngine(participants, config.genesis);
    this.dag = new HashDag(addresses, limits);
    const canonicalize = options.canonicalize ?? "eager";
    if (canonicalize !== "eager" && canonicalize !== "onRead") throw new ChannelConfigError("INVALID_CONFIG", "canonicalize must be eager or onRead");
    this.tentative = new Tentative(
      genesis,
      this.order,
      limits,
      (node, results, replayed) => {
        for (const cb of this.listeners.applied) cb(node, results, replayed);
      },
      canonicalize,
    );
  }

  /* ─────────────── queries ─────────────── */

  /** Delivered batches without delivered children, ascending. */
  heads(): Hex[] {
    return this.dag.heads();
  }
  /** True if the batch is delivered. */
  has(id: Hex): boolean {
    return this.dag.has(id);
  }
  /** True if the batch is delivered or waiting for its parents here (no need to fetch it). */
  knows(id: Hex): boolean {
    return this.dag.has(id) || this.dag.isPending(id);
  }
  getBatch(id: Hex): Batch | undefined {
    return this.dag.get(id)?.batch;
  }
  /** Canonical bytes of a delivered batch (to send to a peer). */
  encodedBatch(id: Hex): Uint8Array | undefined {
    return this.dag.get(id)?.bytes;
  }
  /** Parents that buffered orphans wait for and that this replica holds nowhere. */
  missing(): Hex[] {
    return this.dag.missing();
  }
  /** Number of delivered batches; also the next delivery index. */
  get deliveredCount(): number {
    return this.dag.size;
  }
  /** Ids delivered at delivery index ≥ `from` (this replica's local delivery order), for "added since" sync. */
  deliveredSince(from: number): Hex[] {
    return this.dag.deliveredSince(from).map((n) => n.id);
  }
  /** Every delivered batch id in the deterministic total order. */
  batchIdsInOrder(): Hex[] {
    return this.order.nodes().map((n) => n.id);
  }
  /** Every batch id in the history of `heads` (delivered ones), e.g. to answer a peer's needs in topological order. */
  history(heads: readonly Hex[]): Set<Hex> {
    return this.dag.history(heads);
  }
  /** The delivered ones of `ids`, parents before children (by local delivery index): the order to send them in. */
  topological(ids: Iterable<Hex>): Hex[] {
    const nodes: DagNode[] = [];
    for (const id of ids) {
      const n = this.dag.get(id);
      if (n !== undefined) nodes.push(n);
    }
    return nodes.sort((a, b) => a.deliveryIndex - b.deliveryIndex).map((n) => n.id);
  }
  equivocations(): readonly Evidence[] {
    return this.dag.equivocations();
  }
  /** Peers flagged for orphan floods or invalid batches, with the reason. */
  abusivePeers(): ReadonlyMap<string, string> {
    return this.dag.abusivePeers();
  }
  /**
   * The results of a batch's ops as last computed, without bringing the state into canonical order
   * first (with canonicalize "onRead" they may come from an arrival-order application; cheap).
   */
  latestResultsOf(id: Hex): Result[] | undefined {
    return this.tentative.resultsOf(id);
  }
  /** Latest tentative results of a delivered batch's ops (canonical order). */
  resultsOf(id: Hex): Result[] | undefined {
    this.tentative.current();
    return this.tentative.resultsOf(id);
  }
  /**
   * Credits on-chain deposit records a decided checkpoint credited (called by the Checkpointer, see
   * `checkpoint.ts` and `deposits.ts`) in the tentative state too: as `creditDeposit` ops right after
   * the genesis ops, before every batch, so that participants can trade the funds at once. Records
   * credited before are skipped (no replay); otherwise the tentative state is replayed from genesis
   * at the next read. Credits only add free balance, so a batch's tentative result differs from its
   * final one only if the batch lies in the crediting checkpoint's own cut (final: batches, then
   * credits) and needed the credited funds.
   */
  creditDeposits(records: readonly DepositRecord[]): Result[] {
    return this.tentative.applyToGenesis(records.map((d) => ({ type: "creditDeposit", recordId: d.recordId, account: d.account, token: d.token, amount: d.amount })));
  }
  /** The tentative engine, brought up to date. Read only: mutating it bypasses the channel. */
  getCurrentState(): Engine {
    return this.tentative.current();
  }
  stateRoot(): string {
    return this.tentative.current().stateRoot();
  }
  exitRoot(): string {
    return this.tentative.current().exitRoot();
  }
  get stats(): Readonly<TentativeStats> {
    return this.tentative.stats;
  }

  on<K extends keyof ReplicaEvents>(event: K, cb: ReplicaEvents[K]): () => void {
    const list = this.listeners[event] as ReplicaEvents[K][];
    list.push(cb);
    return () => {
      const i = list.indexOf(cb);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /* ─────────────── input ─────────────── */

  /**
   * Takes one encoded batch from `fromPeer`. Never throws on bad input: an invalid batch comes back
   * as `error` (code and message) and changes nothing.
   */
  receive(bytes: Uint8Array, fromPeer: string): ReceiveResult {
    const out = emptyResult();
    const prep = this.prepare(bytes, fromPeer, out);
    if (prep === undefined) return out;
    return this.admit(prep, recoverAddress(prep.digest, prep.decoded.signature), fromPeer, out);
  }

  /**
   * {@link receive} for many batches at once (a sync burst), with the signatures recovered in
   * parallel on `pool` when there are at least `minPoolBatch` of them (default 16; below that a
   * worker round trip costs more than it saves, see `verifyPool.ts`). Results in input order, the
   * same as calling `receive` on each in turn.
   */
  async receiveMany(items: readonly { bytes: Uint8Array; fromPeer: string }[], pool?: VerifyPool, minPoolBatch = 16): Promise<ReceiveResult[]> {
    const outs = items.map(() => emptyResult());
    const preps = items.map((it, i) => this.prepare(it.bytes, it.fromPeer, outs[i]!));
    const todo = preps.flatMap((p, i) => (p === undefined ? [] : [i]));
    let signers: (Hex | undefined)[];
    if (pool !== undefined && todo.length >= minPoolBatch) {
      signers = await pool.recover(todo.map((i) => ({ digest: preps[i]!.digest, signature: preps[i]!.decoded.signature })));
    } else {
      signers = todo.map((i) => recoverAddress(preps[i]!.digest, preps[i]!.decoded.signature));
    }
    todo.forEach((i, k) => this.admit(preps[i]!, signers[k], items[i]!.fromPeer, outs[i]!));
    return outs;
  }

  /** Decode and every check but the signature; undefined (with `out` filled) if refused or already known. */
  private prepare(bytes: Uint8Array, fromPeer: string, out: ReceiveResult): Prepared | undefined {
    let decoded: DecodedBatch;
    try {
      decoded = decodeBatch(bytes, this.limits);
    } catch (error) {
      if (error instanceof CodecError) {
        this.fail(out, fromPeer, `CODEC_${error.code}`, error.message);
        return undefined;
      }
      throw error;
    }
    const h = decoded.header;
    if (h.channelId !== this.channelId) {
      this.fail(out, fromPeer, "WRONG_CHANNEL", `batch is for channel ${h.channelId}`);
      return undefined;
    }
    if (!this.participantSet.has(h.author)) {
      this.fail(out, fromPeer, "NOT_PARTICIPANT", `author ${h.author} is not a participant of this channel`);
      return undefined;
    }
    const digest = batchDigest(this.separator, h);
    const id = toHex(digest);
    out.id = id;
    // before the duplicate check, so that a tampered copy of a known batch is reported, not ignored
    if (payloadDigestOf(decoded.payload) !== h.payloadDigest) {
      this.fail(out, fromPeer, "BAD_PAYLOAD_DIGEST", "payload digest does not match the header");
      return undefined;
    }
    if (this.markDuplicate(id, out)) return undefined;
    return { decoded, digest, id, bytes };
  }

  private markDuplicate(id: Hex, out: ReceiveResult): boolean {
    if (!this.dag.has(id) && !this.dag.isPending(id)) return false;
    out.duplicate = true;
    if (this.dag.isPending(id)) out.pending.push(id);
    return true;
  }

  /** Signature check, then the DAG, the order and the tentative state. */
  private admit(prep: Prepared, signer: Hex | undefined, fromPeer: string, out: ReceiveResult): ReceiveResult {
    const { decoded, id } = prep;
    const h = decoded.header;
    if (signer !== h.author) {
      return this.fail(out, fromPeer, "BAD_SIGNATURE", signer === undefined ? "signature is malformed or does not recover" : `signature recovers to ${signer}, not the author ${h.author}`);
    }
    if (this.markDuplicate(id, out)) return out;
    const batch: Batch = { header: h, signature: decoded.signature, ops: decoded.ops };
    const result = this.dag.offer({ id, batch, bytes: prep.bytes.slice() }, fromPeer);
    if (result.pending) out.pending.push(id);
    out.missing = result.missing;
    for (const r of result.rejected) {
      if (r.id === id && r.peer === fromPeer) out.error = { code: r.code, message: r.message };
      else out.misbehaving.push(r);
      for (const cb of this.listeners.misbehaving) cb(r.peer, r.code, r.message);
    }
    this.onDelivered(result.delivered, result.equivocations);
    for (const n of result.delivered) out.accepted.push(n.id);
    return out;
  }

  /**
   * Authors a batch of `ops`: parents = current heads, seq = 1 + own highest seq among them,
   * timestamp = max(now, parents' timestamps); signs it, delivers it here and applies it at once.
   * Throws CodecError (ops not encodable or over the limits) or ChannelConfigError NOT_A_PARTICIPANT
   * (no signer); nothing changes then.
   */
  submit(ops: readonly Op[]): SubmitResult {
    if (this.signer === undefined) throw new ChannelConfigError("NOT_A_PARTICIPANT", "this replica has no signer");
    if (this.snapshotBeforeOwn) this.tentative.snapshotHere();
    else this.tentative.readyForSubmit();
    const parents = this.dag.heads();
    let ts = this.now();
    for (const p of parents) ts = Math.max(ts, this.dag.get(p)!.batch.header.timestamp);
    const seq = this.dag.highestSeq(this.selfIndex, parents) + 1;
    const signed = createBatch({ separator: this.separator, channelId: this.channelId, seq, parents, timestamp: Math.floor(ts), ops }, this.signer, this.limits);
    const result = this.dag.offer({ id: signed.id, batch: signed.batch, bytes: signed.bytes }, "self");
    if (result.delivered.length !== 1 || result.delivered[0]!.id !== signed.id) {
      // cannot happen for an honest signer (parents are delivered heads, seq follows them)
      invariant(false, `own batch not delivered: ${result.rejected.map((r) => r.message).join("; ")}`);
    }
    const results = this.onDelivered(result.delivered, result.equivocations, true).get(signed.id) ?? this.resultsOf(signed.id)!;
    return { id: signed.id, batch: signed.batch, bytes: signed.bytes, results };
  }

  private onDelivered(nodes: DagNode[], equivocations: Evidence[], own = false): Map<Hex, Result[]> {
    const now = new Map<Hex, Result[]>();
    for (const node of nodes) {
      const position = this.order.insert(node, (id) => this.dag.get(id as Hex));
      for (const cb of this.listeners.delivered) cb(node);
      const results = this.tentative.inserted(node, position, own);
      if (results !== undefined) now.set(node.id, results);
    }
    for (const ev of equivocations) for (const cb of this.listeners.equivocation) cb(ev);
    return now;
  }

  private fail(out: ReceiveResult, peer: string, code: ReceiveErrorCode, message: string): ReceiveResult {
    out.error = { code, message };
    for (const cb of this.listeners.misbehaving) cb(peer, code, message);
    return out;
  }
}

/** The engine after creating every participant's account (id = address = lower-case address, with its roles) and the genesis ops. */
export function genesisEngine(participants: readonly Participant[], genesis: readonly Op[]): Engine {
  const engine = new Engine();
  for (const p of participants) {
    const r = engine.createAccount({ account: p.address, address: p.address, roles: p.roles });
    if (r.status === "rejected") throw new ChannelConfigError("GENESIS_REJECTED", `participant ${p.address}: ${r.code} ${r.message}`);
  }
  genesis.forEach((op, i) => {
    const r = engine.apply(op);
    if (r.status === "rejected") throw new ChannelConfigError("GENESIS_REJECTED", `genesis op ${i} (${String(op?.type)}): ${r.code} ${r.message}`);
  });
  return engine;
}
