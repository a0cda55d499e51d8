/**
 * Checkpoints (DESIGN §3 "Order and checkpoints"): Tendermint (`consensus/tendermint.ts`) decides,
 * height after height, a cut of a replica's batch DAG and the state it leads to, and the replicas
 * certify it with q EIP-712 `Checkpoint` signatures (`checkpointTypes.ts`).
 *
 * A {@link Checkpointer} wraps a {@link Replica} (composition; the replica is only told the decided
 * deposit credits, `Replica.creditDeposits`):
 *
 * - **Value** of height h: `{height, heads H_h, stateRoot, exitRoot, timeMs, deposits}`; its id is
 *   keccak256(uint64 height ‖ keccak256(heads sorted, 32 bytes each) ‖ stateRoot ‖ exitRoot ‖ uint64 timeMs
 *   ‖ keccak256(deposits, 128 bytes each: `depositsDigest` in `deposits.ts`)).
 * - **Final state**: the batches in history(H_h) \ history(H_{h−1}) are applied after all earlier
 *   checkpoints' batches, in topological order with ties broken by batch id (Kahn, smallest id
 *   first — the same rule as `order.ts`, restricted to the new batches), ops in batch order; then
 *   the value's deposit records as `creditDeposit` ops (see "Deposits" below); then
 *   `advanceTime {timeMs}` is applied: time enters the final engine only there, so deadlines,
 *   expiries, interest and funding of later ops read the decided time. (Batches first, then time:
 *   a checkpoint's own ops run at the previous checkpoint's time, as they did tentatively.)
 * - **Validity** (what makes this replica prevote a proposal, the paper's valid(v)): the height is
 *   this height; it holds every batch in history(heads) (else the ids are reported by
 *   {@link Checkpointer.missing} for the host to fetch through sync, and the verdict waits — at most
 *   `maxMissing` ids, more is invalid; waiting is bounded by timeoutPropose, after which Tendermint
 *   prevotes nil); the heads cover the previous decision's heads; its own recomputation gives the
 *   same stateRoot and exitRoot; timeMs > the previous decision's time and ≤ its clock + `maxDriftMs`;
 *   every deposit record it lists is confirmed on this replica's view of the chain.
 * - **Final state without a copy per height.** Checking a value means computing the state it leads
 *   to. That is done *in place* on the working final engine (`live`): the candidate cut is applied
 *   on top of it as a speculation. When the value checked (or proposed) is the one decided — every
 *   height without faults — the speculation simply becomes the new final state: each op is applied
 *   once more than tentatively, and nothing is copied. A speculation that is not decided (another
 *   value validated, or decided, in a later round) is undone by rebuilding the final state: a clone
 *   of `base` (the final state at an earlier height) with the decided cuts since replayed in their
 *   order. `base` is re-cloned every {@link REBASE_HEIGHTS} heights or {@link REBASE_OPS} ops, so a
 *   clone costs O(state) once per many heights and a rebuild replays a bounded number of ops.
 *   (Before: one full engine clone per height per replica; `npm run bench -- --only consensus`.)
 * - **Deposits** (DESIGN §5: the channel credits a deposit record with an op that names it; a
 *   correct replica accepts that op only when the record exists on chain and was not credited; see
 *   `deposits.ts`): a value lists records with consecutive ids starting at the final engine's
 *   `depositsCredited`, at most `maxDepositsPerCheckpoint`. The proposer lists records next, next+1, …
 *   while its `deposits` source has them confirmed and the engine accepts them. A validator requires
 *   each listed record to equal (recordId, account, token, amount) its own source's `confirmed(id)`:
 *   unknown there ⇒ the verdict waits ({@link Checkpointer.poll}, as for missing batches; Tendermint
 *   prevotes nil at timeoutPropose), different ⇒ invalid; any `creditDeposit` rejection (credited
 *   before, out of order, unknown token or account) ⇒ invalid. Without a source no deposits are
 *   proposed and a value listing some is invalid. (Records are credited in id order, so a record the
 *   engine cannot credit — e.g. of a channel token the genesis did not register — stops crediting
 *   there: the genesis must register every token the contract's channel accepts.)
 * - **Tentative state** ({@link Checkpointer.getCurrentState}): the final state plus the pending
 *   batches (delivered, not yet final) in the same order, rebuilt lazily after a change.
 * - **Certificate**: after deciding, each replica signs `Checkpoint{channelId, height, stateRoot,
 *   exitRoot, time}` and broadcasts the signature; q valid signatures by distinct participants form
 *   the certificate, kept, served ({@link Checkpointer.certificate}) and announced (`onCheckpoint`).
 * - **Cadence**: a new height starts when there are pending batches (or confirmed deposit records not
 *   credited yet) and the previous decision is at least `checkpointIntervalMs` old on this replica's
 *   clock, or when a peer's message for that height arrives (someone else found it due).
 *
 * Host duties (no clock or network inside): `send(msg, to?)` (to = a peer id, or all), a
 * `schedule(delayMs, fn)` timer, `now()`; feed peers' messages to {@link Checkpointer.receive} and
 * call {@link Checkpointer.poll} after delivering batches to the replica (pending validations may
 * become answerable), and {@link Checkpointer.depositsChanged} when its deposit source learns
 * records. Retransmission (every `retransmitMs`: own messages of the current height and
 * relays of every signed message recorded from others) and
 * catch-up (a message from an older height is answered with that height's decision proof) give the
 * gossip the algorithm assumes.
 */
import { keccak256 } from "../core/keccak.js";
import { Engine } from "../core/engine.js";
import type { Result } from "../core/results.js";
import { invariant, SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { cloneEngine } from "../core/snapshot.js";
import { domainSeparator, toHex } from "./batch.js";
import { depositsDigest, sameDeposit, wellFormedDeposits, MAX_DEPOSITS_PER_CHECKPOINT, type DepositRecord, type DepositSource } from "./deposits.js";
import { checkpointDigest, type CheckpointMessage } from "./checkpointTypes.js";
import { ConsensusError, Tendermint, type ConsensusMessage, type ConsensusOutput, type Equivocation, type TimeoutConfig } from "./consensus/tendermint.js";
import { recoverAddress, type Hex, type Signer } from "./identity.js";
import { genesisEngine, type Replica } from "./replica.js";
import { applyBatch } from "./tentative.js";

export interface CheckpointValue {
  height: number;
  /** Batch ids, strictly ascending. */
  heads: Hex[];
  stateRoot: Hex;
  exitRoot: Hex;
  /** Decided time, ms since the Unix epoch. */
  timeMs: number;
  /** On-chain deposit records credited by this checkpoint: consecutive ids from the previous final state's `depositsCredited`. */
  deposits: DepositRecord[];
}

export interface CheckpointSignature {
  signer: Hex;
  signature: Uint8Array;
}

/** q signatures of one checkpoint: what the settlement contract accepts. */
export interface CheckpointCertificate {
  checkpoint: CheckpointMessage;
  heads: Hex[];
  /** By signer address, ascending; exactly q of them. */
  signatures: CheckpointSignature[];
}

/** What checkpointers send each other. */
export type CheckpointWire =
  | { kind: "consensus"; message: ConsensusMessage; value?: CheckpointValue }
  | { kind: "signature"; height: number; signer: Hex; signature: Uint8Array }
  /** A decision proof for a lagging peer: the proposal (with its value) and the commit. */
  | { kind: "proof"; height: number; value: CheckpointValue; messages: ConsensusMessage[] };

export interface CheckpointerOptions {
  signer?: Signer;
  now: () => number;
  send: (message: CheckpointWire, to?: string) => void;
  schedule: (delayMs: number, fn: () => void) => void;
  /** Default 50 ms. */
  checkpointIntervalMs?: number;
  /** How far ahead of this replica's clock a proposed time may be. Default 1000 ms. */
  maxDriftMs?: number;
  /** Most missing batches a proposal may make this replica fetch. Default 4096. */
  maxMissing?: number;
  /** Most heads a value may list. Default 1024. */
  maxHeads?: number;
  /** Own messages of the current height are re-sent this often until it is decided. Default 200 ms. */
  retransmitMs?: number;
  timeouts?: Partial<TimeoutConfig>;
  /** This replica's view of the chain's confirmed deposit records; without it no deposit is credited. */
  deposits?: DepositSource;
  /** Most deposit records one value credits. Default 256. */
  maxDepositsPerCheckpoint?: number;
  /** The final-state rebuild base is re-cloned after this many decided heights (default 64) … */
  rebaseHeights?: number;
  /** … or this many ops applied since (default 50,000): bounds the replay of a rebuild. */
  rebaseOps?: number;
  /**
   * Decided heights whose proofs, checkpoints, signatures, certificates and final op results are
   * kept (default 4096): older ones are dropped as each height is decided, so memory does not grow
   * with the channel's history. The latest certificate is always kept. A peer more than this many
   * heights behind gets no decision proof from this replica.
   */
  historyHeights?: number;
  /**
   * Write-ahead log: called synchronously with each entry **before** the message it records is sent
   * (own proposals and votes) and at each decision and certificate. A node that must survive a
   * crash writes them durably and passes them back as `restore` (see {@link CheckpointWalEntry}).
   */
  persist?: (entry: CheckpointWalEntry) => void;
  /** The entries `persist` received before a crash, in order: resume from them (the replica must already hold its persisted batches). */
  restore?: readonly CheckpointWalEntry[];
}

/**
 * What a checkpointer must not forget across a crash (Tendermint keeps the same: a consensus WAL and
 * the signer's last-signed state). `signed`: a proposal or vote this replica signed (with the value
 * of its own proposal), logged before it is sent — forgetting it could make the restarted replica
 * sign a conflicting message in the same round, which is equivocation. `decided`: a decision and its
 * proof (proposal + commit), from which the final state is recomputed over the replica's persisted
 * batches. `certificate`: a gathered certificate (peers stop re-sending signatures once they have
 * theirs). The log grows by one `decided` per height; compaction (a persisted final-state snapshot)
 * is not done here.
 */
export type CheckpointWalEntry =
  | { kind: "signed"; message: ConsensusMessage; value?: CheckpointValue }
  | { kind: "decided"; value: CheckpointValue; messages: ConsensusMessage[] }
  | { kind: "certificate"; certificate: CheckpointCertificate };

export type CheckpointErrorCode = "INVALID_VALUE" | "NOT_A_PARTICIPANT" | "INVALID_CONFIG";
export class CheckpointError extends SemilatticeError {
  override readonly name = "CheckpointError";
  declare readonly code: CheckpointErrorCode;
  constructor(code: CheckpointErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** Finality of a batch's ops. */
export type Finality = { status: "final"; height: number } | { status: "tentative" };

/** keccak id of a checkpoint value (see the module comment). */
export function checkpointValueId(v: CheckpointValue): Hex {
  const heads = new Uint8Array(32 * v.heads.length);
  v.heads.forEach((h, i) => heads.set(Buffer.from(h.slice(2), "hex"), 32 * i));
  const buf = new Uint8Array(8 + 32 + 32 + 32 + 8 + 32);
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(0, BigInt(v.height));
  buf.set(keccak256(heads), 8);
  buf.set(Buffer.from(v.stateRoot.slice(2), "hex"), 40);
  buf.set(Buffer.from(v.exitRoot.slice(2), "hex"), 72);
  dv.setBigUint64(104, BigInt(v.timeMs));
  buf.set(depositsDigest(v.deposits), 112);
  return toHex(keccak256(buf));
}

const HASH = /^0x[0-9a-f]{64}$/;
/** The rebuild base is re-cloned after this many decided heights or ops since the last clone (bounds a rebuild's replay). */
const REBASE_HEIGHTS = 64;
const REBASE_OPS = 50_000;
/** The id of a speculation that is no value (a proposer found nothing to propose after applying). */
const NO_VALUE = "0x" as Hex;
/** Most distinct proposed values kept per height (accepted proposals only: ≤ maxProposalsPerRound per round). */
const MAX_VALUES = 256;
/** Default {@link CheckpointerOptions.historyHeights}. */
export const DEFAULT_HISTORY_HEIGHTS = 4096;

/** Structural check of a value from the wire; throws CheckpointError INVALID_VALUE. */
export function checkValue(v: CheckpointValue, maxHeads: number, maxDeposits = MAX_DEPOSITS_PER_CHECKPOINT): void {
  const ok =
    typeof v === "object" &&
    v !== null &&
    Number.isSafeInteger(v.height) &&
    v.height >= 0 &&
    Array.isArray(v.heads) &&
    v.heads.length <= maxHeads &&
    v.heads.every((h, i) => typeof h === "string" && HASH.test(h) && (i === 0 || v.heads[i - 1]! < h)) &&
    typeof v.stateRoot === "string" &&
    HASH.test(v.stateRoot) &&
    typeof v.exitRoot === "string" &&
    HASH.test(v.exitRoot) &&
    Number.isSafeInteger(v.timeMs) &&
    v.timeMs >= 0 &&
    wellFormedDeposits(v.deposits, maxDeposits);
  if (!ok) throw new CheckpointError("INVALID_VALUE", "checkpoint value is malformed");
}

interface Applied {
  order: Hex[];
  /** Ops applied. */
  ops: number;
  results: Map<Hex, Result[]>;
  /** Deposit records credited (a prefix of those given). */
  credited: number;
}

export class Checkpointer {
  readonly replica: Replica;
  private readonly o: Required<Omit<CheckpointerOptions, "signer" | "timeouts" | "persist" | "restore" | "deposits">> & Pick<CheckpointerOptions, "signer" | "timeouts" | "persist" | "deposits">;
  private readonly separator: Uint8Array;
  private readonly channelId: Hex;
  private readonly participants: Hex[];
  private readonly q: number;

  /**
   * The final engine — or, while `spec` is set, the final engine with `spec`'s value applied on top
   * (see "Final state without a copy per height" in the module doc).
   */
  private live: Engine;
  private spec: { id: Hex; applied: Applied } | undefined;
  /** A clone of the final state at some earlier height, and the decided cuts applied since: rebuilds the final state. */
  private base: Engine;
  private redo: { order: Hex[]; deposits: readonly DepositRecord[]; timeMs: number }[] = [];
  /** The final state's `depositsCredited` (the next record id to credit), kept here because `live` may be speculative. */
  private finalDepositsCredited: bigint;
  private redoOps = 0;
  /** The copy of this height's final state given to readers (dropped at the next decision). */
  private finalView: Engine | undefined;
  private finalHeads: Hex[] = [];
  /** Final batch ids and the height that made each final: one entry per batch of the replica's DAG. */
  private readonly finalSet = new Set<Hex>();
  private readonly finalHeight = new Map<Hex, number>();
  /** Final op results, for the last `historyHeights` heights (`finalOrders` says which ids to drop). */
  private readonly finalResults = new Map<Hex, Result[]>();
  private readonly finalOrders = new Map<number, Hex[]>();
  /** Heights below this have been pruned from the per-height maps. */
  private prunedBelow = 0;
  private latestCertificate_: CheckpointCertificate | undefined;
  private lastTime = 0;
  private lastDecisionAt: number;
  private height_ = 0;
  private tm: Tendermint;
  private readonly values = new Map<Hex, CheckpointValue>();
  private readonly pendingValidity = new Set<Hex>();
  private missing_ = new Set<Hex>();
  private readonly proofs = new Map<number, { value: CheckpointValue; messages: ConsensusMessage[] }>();
  private readonly certificates = new Map<number, CheckpointCertificate>();
  private readonly decidedCheckpoints = new Map<number, CheckpointMessage>();
  private readonly signatures = new Map<number, Map<Hex, Uint8Array>>();
  private readonly verifiedSigners = new Map<number, Set<Hex>>();
  private readonly future: { wire: CheckpointWire; from: string }[] = [];
  private readonly evidence_: Equivocation[] = [];
  private readonly listeners: ((cert: CheckpointCertificate) => void)[] = [];
  private readonly decideListeners: ((value: CheckpointValue, at: number, round: number) => void)[] = [];
  private tentativeCache: { key: string; engine: Engine } | undefined;
  private startTimerSet = false;

  constructor(replica: Replica, options: CheckpointerOptions) {
    this.replica = replica;
    this.o = {
      checkpointIntervalMs: 50,
      maxDriftMs: 1000,
      maxMissing: 4096,
      maxHeads: 1024,
      retransmitMs: 200,
      rebaseHeights: REBASE_HEIGHTS,
      rebaseOps: REBASE_OPS,
      maxDepositsPerCheckpoint: MAX_DEPOSITS_PER_CHECKPOINT,
      historyHeights: DEFAULT_HISTORY_HEIGHTS,
      ...options,
    };
    for (const k of ["checkpointIntervalMs", "maxDriftMs", "maxMissing", "maxHeads", "retransmitMs", "rebaseHeights", "rebaseOps", "maxDepositsPerCheckpoint", "historyHeights"] as const) {
      const min = k === "checkpointIntervalMs" || k === "maxDriftMs" ? 0 : 1;
      if (!Number.isSafeInteger(this.o[k]) || this.o[k] < min) throw new CheckpointError("INVALID_CONFIG", `${k} must be an integer ≥ ${min}`);
    }
    if (options.signer !== undefined && options.signer.address !== replica.address) throw new CheckpointError("NOT_A_PARTICIPANT", "signer must be the replica's");
    this.separator = domainSeparator({ chainId: replica.config.chainId, verifyingContract: replica.config.verifyingContract });
    this.channelId = replica.config.channelId.toLowerCase() as Hex;
    this.participants = replica.participants.map((p) => p.address);
    this.live = genesisEngine(replica.participants, replica.config.genesis);
    // warm the incremental state-root cache now (a genesis with big books costs tens of ms the first
    // time), so the first height does not pay it, and the base copy inherits it
    this.live.stateRoot();
    this.base = cloneEngine(this.live);
    this.finalDepositsCredited = this.live.depositsCredited;
    this.lastDecisionAt = this.o.now();
    this.tm = this.machine(0);
    this.q = this.tm.q;
    if (options.restore !== undefined) this.restoreFrom(options.restore);
    replica.on("delivered", () => {
      this.tentativeCache = undefined;
      if (this.tm.isStarted) this.handle(this.tm.step({ type: "valueReady" }));
      else this.maybeStart();
    });
    this.o.schedule(this.o.retransmitMs, () => this.retransmit());
  }

  /* ─────────────── queries ─────────────── */

  /** The height being decided now (= number of decided checkpoints). */
  get height(): number {
    return this.height_;
  }
  /**
   * The final state (read only; it never changes afterwards: later decisions make new ones). A copy,
   * made on the first read after each decision (the working engine is updated in place).
   */
  getFinalState(): Engine {
    this.finalView ??= this.spec === undefined ? cloneEngine(this.live) : this.rebuild();
    return this.finalView;
  }
  /** Final state + pending batches in the deterministic order (read only). */
  getCurrentState(): Engine {
    const heads = this.replica.heads();
    const key = `${this.height_}|${heads.join(",")}`;
    if (this.tentativeCache?.key === key) return this.tentativeCache.engine;
    const engine = cloneEngine(this.getFinalState());
    this.applyNew(engine, heads, undefined);
    this.tentativeCache = { key, engine };
    return engine;
  }
  /** Whether a batch's ops are final, and at which height. */
  finality(batchId: Hex): Finality {
    const h = this.finalHeight.get(batchId);
    return h === undefined ? { status: "tentative" } : { status: "final", height: h };
  }
  /** A batch's op results: the final ones when final, else the replica's tentative ones. */
  resultsOf(batchId: Hex): { finality: Finality; results: Result[] | undefined } {
    const finality = this.finality(batchId);
    return { finality, results: finality.status === "final" ? this.finalResults.get(batchId) : this.replica.resultsOf(batchId) };
  }
  certificate(height: number): CheckpointCertificate | undefined {
    return this.certificates.get(height);
  }
  /** The certificate of the highest height certified here. */
  latestCertificate(): CheckpointCertificate | undefined {
    return this.latestCertificate_;
  }
  /** Batch ids some proposal needs that this replica does not hold: fetch them through sync. */
  missing(): Hex[] {
    return [...this.missing_];
  }
  evidence(): readonly Equivocation[] {
    return this.evidence_;
  }
  /** Called with each certificate when this replica has q signatures of its decided checkpoint. */
  onCheckpoint(cb: (cert: CheckpointCertificate) => void): void {
    this.listeners.push(cb);
  }
  /** Called at each decision (before signatures are gathered). */
  onDecide(cb: (value: CheckpointValue, at: number, round: number) => void): void {
    this.decideListeners.push(cb);
  }

  /* ─────────────── input ─────────────── */

  /** A message from peer `from`. Throws ConsensusError / CheckpointError on bad input (cut the peer off). */
  receive(wire: CheckpointWire, from: string): void {
    if (wire.kind === "signature") return this.onSignature(wire);
    const height = wire.kind === "proof" ? wire.height : wire.message.height;
    if (height < this.height_) {
      if (wire.kind === "consensus") {
        const proof = this.proofs.get(height);
        if (proof !== undefined) this.o.send({ kind: "proof", height, value: proof.value, messages: proof.messages }, from);
      }
      return;
    }
    if (height > this.height_) {
      if (height === this.height_ + 1 && this.future.length < 64 * this.participants.length) this.future.push({ wire, from });
      return;
    }
    if (wire.kind === "proof") {
      const proposal = wire.messages[0];
      if (proposal?.kind !== "proposal") throw new CheckpointError("INVALID_VALUE", "a proof starts with its proposal");
      this.withValue(wire.value, proposal, () => this.feed(proposal));
      // the height may be decided part-way through the commit: the rest belongs to a finished height
      for (const m of wire.messages.slice(1)) if (this.height_ === height) this.feed(m);
      // not started here yet: start it, so the rules run over the proof (L49, checked first, decides)
      if (this.height_ === height && !this.tm.isStarted) this.start();
      return;
    }
    const m = wire.message;
    if (wire.value !== undefined && m.kind === "proposal") this.withValue(wire.value, m, () => this.feed(m));
    else this.feed(m);
    // a peer's message for this height starts it here too — unless it just decided it (the next
    // height then waits for its cadence, maybeStart)
    if (this.height_ === height && !this.tm.isStarted) this.start();
  }

  /**
   * Feeds a proposal with the value it carries. The value is kept only if its id is the proposal's
   * and the proposal is accepted (a forged proposal cannot fill the value store).
   */
  private withValue(v: CheckpointValue, proposal: ConsensusMessage, feed: () => void): void {
    checkValue(v, this.o.maxHeads, this.o.maxDepositsPerCheckpoint);
    const id = checkpointValueId(v);
    if (proposal.kind !== "proposal" || id !== proposal.valueId) throw new CheckpointError("INVALID_VALUE", "value does not match the proposal's value id");
    const fresh = !this.values.has(id);
    if (fresh) {
      if (this.values.size >= MAX_VALUES) throw new CheckpointError("INVALID_VALUE", "too many values at this height");
      this.values.set(id, { ...v, heads: [...v.heads], deposits: v.deposits.map((d) => ({ ...d })) });
    }
    try {
      feed();
    } catch (error) {
      if (fresh && !this.validated.has(id)) this.values.delete(id);
      throw error;
    }
  }

  /** Re-examines validations waiting for batches (call after delivering batches). */
  poll(): void {
    for (const id of [...this.pendingValidity]) {
      const verdict = this.validate(id);
      if (verdict === undefined) continue;
      this.pendingValidity.delete(id);
      this.handle(this.tm.step({ type: "validity", valueId: id, valid: verdict }));
    }
    if (this.pendingValidity.size === 0) this.missing_.clear();
  }

  /**
   * The deposit source learned records (call from the host's watcher): re-examines validations
   * waiting for records, and starts a height if confirmed records wait to be credited.
   */
  depositsChanged(): void {
    this.poll();
    // a proposer that had nothing to propose in this round proposes now
    if (this.tm.isStarted) this.handle(this.tm.step({ type: "valueReady" }));
    else this.maybeStart();
  }

  /** Starts the current height now if it has not started (e.g. at the end of a run). */
  start(): void {
    if (this.tm.isStarted) return;
    this.handle(this.tm.step({ type: "start" }));
  }

  /* ─────────────── internals ─────────────── */

  private machine(height: number): Tendermint {
    return new Tendermint({
      channelId: this.channelId,
      separator: this.separator,
      participants: this.participants,
      height,
      ...(this.o.signer !== undefined ? { signer: this.o.signer } : {}),
      ...(this.o.timeouts !== undefined ? { timeouts: this.o.timeouts } : {}),
      getValue: () => this.propose(),
      validValue: (id) => this.validate(id),
    });
  }

  private feed(m: ConsensusMessage): void {
    this.handle(this.tm.step({ type: "message", message: m }));
  }

  private handle(outs: ConsensusOutput[]): void {
    for (const out of outs) {
      switch (out.type) {
        case "broadcast": {
          const m = out.message;
          const value = m.kind === "proposal" ? this.values.get(m.valueId) : undefined;
          this.o.persist?.(value === undefined ? { kind: "signed", message: m } : { kind: "signed", message: m, value });
          this.o.send(value === undefined ? { kind: "consensus", message: m } : { kind: "consensus", message: m, value });
          break;
        }
        case "schedule": {
          const { step, height, round, delayMs } = out;
          this.o.schedule(delayMs, () => {
            if (height === this.height_) this.handle(this.tm.step({ type: "timeout", step, height, round }));
          });
          break;
        }
        case "validate":
          this.pendingValidity.add(out.valueId);
          break;
        case "evidence":
          this.evidence_.push(out.evidence);
          break;
        case "decide":
          this.decide(out);
          break;
      }
    }
  }

  /**
   * L18 getValue(): the current heads, the confirmed deposit records not credited yet, the roots they
   * lead to, and the time; undefined when no batch and no record is pending.
   */
  private propose(): Hex | undefined {
    const heads = this.replica.heads();
    const candidates = this.confirmedDeposits();
    // nothing new since the last decision: no proposal (Tendermint then lets the round time out)
    if (heads.every((h) => this.finalSet.has(h)) && candidates.length === 0) return undefined;
    const timeMs = Math.max(Math.floor(this.o.now()), this.lastTime + 1);
    // only the records the engine accepts (a prefix: records are credited in id order)
    const { applied, roots } = this.speculateOn(heads, timeMs, candidates);
    const deposits = candidates.slice(0, applied.credited);
    if (heads.every((h) => this.finalSet.has(h)) && deposits.length === 0) {
      this.spec = { id: NO_VALUE, applied }; // nothing to propose, but the speculation must be undone
      return undefined;
    }
    const v: CheckpointValue = { height: this.height_, heads, stateRoot: roots.stateRoot, exitRoot: roots.exitRoot, timeMs, deposits };
    const id = checkpointValueId(v);
    this.values.set(id, v);
    this.spec = { id, applied };
    this.validated.add(id);
    return id;
  }

  /** Values this replica found valid at this height. */
  private readonly validated = new Set<Hex>();
  /** Work counters: final-state rebuilds (a speculation undone, or a reader's copy mid-speculation) and base clones. */
  readonly stats = { rebuilds: 0, baseClones: 0 };

  /** valid(v) — see the module comment; undefined while batches are missing. */
  private validate(id: Hex): boolean | undefined {
    if (this.validated.has(id)) return true;
    const v = this.values.get(id);
    if (v === undefined) return false; // a proposal without its value: nothing to vote for
    if (v.height !== this.height_) return false;
    if (v.timeMs <= this.lastTime || v.timeMs > this.o.now() + this.o.maxDriftMs) return false;
    const missing = v.heads.filter((h) => !this.replica.has(h));
    if (missing.length > 0) {
      if (this.missing_.size + missing.length > this.o.maxMissing) return false;
      for (const h of missing) this.missing_.add(h);
      return undefined;
    }
    const covered = this.replica.history(v.heads);
    if (!this.finalHeads.every((h) => covered.has(h))) return false;
    // deposits: each record confirmed on this replica's view of the chain, field for field
    if (v.deposits.length > 0) {
      const source = this.o.deposits;
      if (source === undefined || v.deposits[0]!.recordId !== this.finalDepositsCredited) return false;
      for (const d of v.deposits) {
        const seen = source.confirmed(d.recordId);
        if (seen === undefined) return undefined; // not (yet) confirmed here: wait, nil at timeoutPropose
        if (!sameDeposit(seen, d)) return false;
      }
    }
    const { applied, roots } = this.speculateOn(v.heads, v.timeMs, v.deposits);
    this.spec = { id, applied };
    if (applied.credited !== v.deposits.length) return false;
    if (roots.stateRoot !== v.stateRoot || roots.exitRoot !== v.exitRoot) return false;
    this.validated.add(id);
    return true;
  }

  /**
   * Applies a candidate cut to `live` (first undoing any other speculation): the batches of
   * history(heads) \ final in order, then the deposit records, then time. Returns what it applied
   * and the roots it leads to.
   */
  private speculateOn(heads: readonly Hex[], timeMs: number, deposits: readonly DepositRecord[]): { applied: Applied; roots: { stateRoot: Hex; exitRoot: Hex } } {
    this.unspeculate();
    const applied = this.applyNew(this.live, heads, timeMs, deposits);
    return { applied, roots: { stateRoot: this.live.stateRoot() as Hex, exitRoot: this.live.exitRoot() as Hex } };
  }

  /** Makes `live` the final state again (rebuilt from `base` + `redo` when a speculation is on it). */
  private unspeculate(): void {
    if (this.spec === undefined) return;
    this.live = this.finalView !== undefined ? cloneEngine(this.finalView) : this.rebuild();
    this.spec = undefined;
  }

  /** The final state from scratch: a clone of `base` with every decided cut since replayed in its order. */
  private rebuild(): Engine {
    this.stats.rebuilds++;
    const engine = cloneEngine(this.base);
    for (const cut of this.redo) {
      for (const id of cut.order) {
        const batch = this.replica.getBatch(id)!;
        applyBatch(engine, batch.ops, batch.header.author);
      }
      for (const d of cut.deposits) invariant(engine.creditDeposit(d).status === "accepted", "a decided deposit credit replays");
      const r = engine.advanceTime({ timeMs: cut.timeMs });
      if (r.status === "rejected") throw new CheckpointError("INVALID_VALUE", `advanceTime: ${r.message}`);
    }
    return engine;
  }

  /**
   * Applies to `engine` the batches of history(heads) \ final in order, then the deposit records as
   * `creditDeposit` ops up to the first rejection (`credited` of them), then time if given.
   */
  private applyNew(engine: Engine, heads: readonly Hex[], timeMs: number | undefined, deposits: readonly DepositRecord[] = []): Applied {
    const fresh = new Set<Hex>();
    const stack = heads.filter((h) => !this.finalSet.has(h) && this.replica.has(h));
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (fresh.has(id)) continue;
      fresh.add(id);
      for (const p of this.replica.getBatch(id)!.header.parents) if (!this.finalSet.has(p) && !fresh.has(p)) stack.push(p);
    }
    // Kahn over the new batches, smallest ready id first (parents already final count as emitted)
    const waiting = new Map<Hex, number>();
    const children = new Map<Hex, Hex[]>();
    const ready: Hex[] = [];
    for (const id of fresh) {
      let k = 0;
      for (const p of this.replica.getBatch(id)!.header.parents) {
        if (!fresh.has(p)) continue;
        k++;
        const c = children.get(p);
        if (c === undefined) children.set(p, [id]);
        else c.push(id);
      }
      if (k === 0) ready.push(id);
      else waiting.set(id, k);
    }
    ready.sort();
    const order: Hex[] = [];
    const results = new Map<Hex, Result[]>();
    let ops = 0;
    while (ready.length > 0) {
      const id = ready.shift()!;
      order.push(id);
      const batch = this.replica.getBatch(id)!;
      ops += batch.ops.length;
      results.set(id, applyBatch(engine, batch.ops, batch.header.author));
      for (const c of children.get(id) ?? []) {
        const k = waiting.get(c)! - 1;
        if (k > 0) waiting.set(c, k);
        else {
          waiting.delete(c);
          const at = sortedIndex(ready, c);
          ready.splice(at, 0, c);
        }
      }
    }
    let credited = 0;
    for (const d of deposits) {
      if (engine.creditDeposit(d).status !== "accepted") break;
      credited++;
    }
    if (timeMs !== undefined) {
      const r = engine.advanceTime({ timeMs });
      if (r.status === "rejected") throw new CheckpointError("INVALID_VALUE", `advanceTime: ${r.message}`);
    }
    return { order, ops, results, credited };
  }

  /** Confirmed records from the final state's next one on, at most `maxDepositsPerCheckpoint` (none without a source). */
  private confirmedDeposits(): DepositRecord[] {
    const source = this.o.deposits;
    const out: DepositRecord[] = [];
    if (source === undefined) return out;
    let id = this.finalDepositsCredited;
    while (out.length < this.o.maxDepositsPerCheckpoint) {
      const d = source.confirmed(id);
      if (d === undefined || d.recordId !== id) break;
      out.push({ recordId: d.recordId, account: d.account.toLowerCase() as Hex, token: d.token.toLowerCase() as Hex, amount: d.amount });
      id++;
    }
    return out;
  }

  /** L51 at this layer: apply the decided cut to the final state, sign the checkpoint, move to the next height. */
  private decide(d: Extract<ConsensusOutput, { type: "decide" }>): void {
    const v = this.values.get(d.valueId)!;
    const messages = [d.proposal, ...d.commit];
    this.o.persist?.({ kind: "decided", value: v, messages });
    this.commit(v, messages, d.round, true);
  }

  /** Makes `v` the decision of its height: final state, proof, own checkpoint signature, next height. */
  private commit(v: CheckpointValue, messages: ConsensusMessage[], round: number, live: boolean): void {
    const id = checkpointValueId(v);
    const applied = this.spec?.id === id ? this.spec.applied : this.speculateOn(v.heads, v.timeMs, v.deposits).applied;
    // q replicas vouched for the records; a rejection here means the decided value was invalid
    if (applied.credited !== v.deposits.length) throw new CheckpointError("INVALID_VALUE", `decided checkpoint ${v.height} credits a deposit record the engine rejects`);
    // `live` is now this decision's final state
    this.spec = undefined;
    this.finalView = undefined;
    this.finalDepositsCredited = this.live.depositsCredited;
    this.redo.push({ order: applied.order, deposits: v.deposits, timeMs: v.timeMs });
    this.redoOps += applied.ops;
    if (this.redo.length >= this.o.rebaseHeights || this.redoOps >= this.o.rebaseOps) {
      this.base = cloneEngine(this.live);
      this.stats.baseClones++;
      this.redo = [];
      this.redoOps = 0;
    }
    for (const id of applied.order) {
      invariant(!this.finalSet.has(id), `batch ${id} made final twice`);
      this.finalSet.add(id);
      this.finalHeight.set(id, v.height);
      this.finalResults.set(id, applied.results.get(id)!);
    }
    this.finalOrders.set(v.height, applied.order);
    this.finalHeads = [...v.heads];
    // the replica's tentative state shows the credited funds from now on (Replica.creditDeposits)
    if (v.deposits.length > 0) this.replica.creditDeposits(v.deposits);
    this.lastTime = v.timeMs;
    this.lastDecisionAt = this.o.now();
    this.proofs.set(v.height, { value: v, messages });
    const checkpoint: CheckpointMessage = { channelId: this.channelId, height: v.height, stateRoot: v.stateRoot, exitRoot: v.exitRoot, time: v.timeMs };
    this.decidedCheckpoints.set(v.height, checkpoint);
    this.pruneHistory(v.height);
    if (live) for (const cb of this.decideListeners) cb(v, this.lastDecisionAt, round);
    // next height (the paper's L52–L54)
    this.height_ = v.height + 1;
    this.values.clear();
    this.validated.clear();
    this.pendingValidity.clear();
    this.missing_.clear();
    this.tentativeCache = undefined;
    this.tm = this.machine(this.height_);
    if (this.o.signer !== undefined) {
      const signature = this.o.signer.sign(checkpointDigest(this.separator, checkpoint));
      this.onSignature({ kind: "signature", height: v.height, signer: this.o.signer.address, signature });
      if (live) this.o.send({ kind: "signature", height: v.height, signer: this.o.signer.address, signature });
    }
    this.checkCertificate(v.height);
    if (!live) return;
    const buffered = this.future.splice(0);
    for (const { wire, from } of buffered) {
      try {
        this.receive(wire, from);
      } catch (error) {
        if (!(error instanceof ConsensusError || error instanceof CheckpointError)) throw error;
      }
    }
    this.startTimerSet = false;
    this.maybeStart();
  }

  private addCertificate(cert: CheckpointCertificate): void {
    const height = cert.checkpoint.height;
    if (height < this.prunedBelow) return;
    this.certificates.set(height, cert);
    const previous = this.latestCertificate_;
    if (previous !== undefined && height <= previous.checkpoint.height) return;
    this.latestCertificate_ = cert;
    // a latest certificate kept past the history window goes once a newer one exists
    if (previous !== undefined && previous.checkpoint.height < this.prunedBelow) this.certificates.delete(previous.checkpoint.height);
  }

  /**
   * Drops what is kept per height for heights more than `historyHeights` below `decided` (see
   * {@link CheckpointerOptions.historyHeights}); each height is visited once.
   */
  private pruneHistory(decided: number): void {
    const end = decided - this.o.historyHeights + 1;
    for (; this.prunedBelow < end; this.prunedBelow++) {
      const h = this.prunedBelow;
      this.proofs.delete(h);
      this.decidedCheckpoints.delete(h);
      this.signatures.delete(h);
      this.verifiedSigners.delete(h);
      if (this.certificates.get(h) !== this.latestCertificate_) this.certificates.delete(h);
      for (const id of this.finalOrders.get(h) ?? []) this.finalResults.delete(id);
      this.finalOrders.delete(h);
    }
    invariant(this.proofs.size <= this.o.historyHeights, `${this.proofs.size} decision proofs kept, at most ${this.o.historyHeights}`);
  }

  private onSignature(w: Extract<CheckpointWire, { kind: "signature" }>): void {
    if (!this.participants.includes(w.signer)) return;
    let sigs = this.signatures.get(w.height);
    if (sigs === undefined) {
      if (w.height > this.height_ + 1 || w.height < this.prunedBelow || this.certificates.has(w.height)) return;
      this.signatures.set(w.height, (sigs = new Map()));
    }
    if (sigs.has(w.signer)) return;
    sigs.set(w.signer, w.signature);
    this.checkCertificate(w.height);
  }

  private checkCertificate(height: number): void {
    const cp = this.decidedCheckpoints.get(height);
    const sigs = this.signatures.get(height);
    if (cp === undefined || sigs === undefined || this.certificates.has(height)) return;
    const digest = checkpointDigest(this.separator, cp);
    const good: CheckpointSignature[] = [];
    // each signature is recovered once (this runs again at every arrival until q are good)
    let verified = this.verifiedSigners.get(height);
    if (verified === undefined) this.verifiedSigners.set(height, (verified = new Set()));
    for (const [signer, signature] of sigs) {
      if (verified.has(signer) || recoverAddress(digest, signature) === signer) {
        verified.add(signer);
        good.push({ signer, signature });
      } else sigs.delete(signer);
    }
    if (good.length < this.q) return;
    this.verifiedSigners.delete(height);
    good.sort((a, b) => (a.signer < b.signer ? -1 : 1));
    const cert: CheckpointCertificate = { checkpoint: cp, heads: this.proofs.get(height)!.value.heads, signatures: good.slice(0, this.q) };
    invariant(cert.signatures.length === this.q && cert.signatures.every((x, i) => i === 0 || cert.signatures[i - 1]!.signer < x.signer), "a certificate has q signatures by distinct signers in ascending order");
    this.addCertificate(cert);
    this.signatures.delete(height);
    this.o.persist?.({ kind: "certificate", certificate: cert });
    for (const cb of this.listeners) cb(cert);
  }

  /**
   * Resumes from a write-ahead log (see {@link CheckpointWalEntry}): re-applies the logged decisions
   * height by height over the replica's batches (stopping at the first whose batches it lacks: peers'
   * decision proofs bring the rest), keeps the logged certificates, then restores the current height's
   * own signed messages into its Tendermint instance, which resumes the round it was in.
   */
  private restoreFrom(entries: readonly CheckpointWalEntry[]): void {
    const decided = new Map<number, Extract<CheckpointWalEntry, { kind: "decided" }>>();
    const signed: Extract<CheckpointWalEntry, { kind: "signed" }>[] = [];
    for (const e of entries) {
      if (e.kind === "decided") decided.set(e.value.height, e);
      else if (e.kind === "signed") signed.push(e);
      else if (e.kind === "certificate") this.addCertificate(e.certificate);
    }
    for (let h = 0; decided.has(h); h++) {
      const d = decided.get(h)!;
      if (!d.value.heads.every((id) => this.replica.has(id))) break;
      this.commit(d.value, d.messages, d.messages[0]?.round ?? 0, false);
    }
    const own = signed.filter((e) => e.message.height === this.height_);
    for (const e of own) if (e.value !== undefined) this.values.set(checkpointValueId(e.value), e.value);
    this.handle(this.tm.restore(own.map((e) => e.message)));
    this.maybeStart();
  }

  /** Cadence: start the height when batches are pending and the interval has passed. */
  private maybeStart(): void {
    if (this.tm.isStarted) return;
    const pending = this.replica.heads().some((h) => !this.finalSet.has(h)) || this.o.deposits?.confirmed(this.finalDepositsCredited) !== undefined;
    if (!pending) return;
    const wait = this.lastDecisionAt + this.o.checkpointIntervalMs - this.o.now();
    if (wait <= 0) return this.start();
    if (this.startTimerSet) return;
    this.startTimerSet = true;
    const h = this.height_;
    this.o.schedule(wait, () => {
      this.startTimerSet = false;
      if (h === this.height_) this.maybeStart();
    });
  }

  private retransmit(): void {
    if (this.tm.isStarted && this.tm.decision === undefined) {
      // Own messages, then everyone else's we recorded (signed by their authors, so relaying is safe):
      // the algorithm's gossip assumption. Without the relay, a lock justified by the prevote of a
      // participant that was since cut off could never be accepted by a replica that missed it, and
      // the height stalled forever (`semilattice sim --seeds 1..100 --byzantine 1`: 11 seeds).
      for (const m of [...this.tm.ownMessages(), ...this.tm.receivedMessages()]) {
        const value = m.kind === "proposal" ? this.values.get(m.valueId) : undefined;
        this.o.send(value === undefined ? { kind: "consensus", message: m } : { kind: "consensus", message: m, value });
      }
      // our signature of the last checkpoint, while its certificate is incomplete here
    }
    const last = this.height_ - 1;
    if (last >= 0 && !this.certificates.has(last) && this.o.signer !== undefined) {
      const sig = this.signatures.get(last)?.get(this.o.signer.address);
      if (sig !== undefined) this.o.send({ kind: "signature", height: last, signer: this.o.signer.address, signature: sig });
    }
    this.o.schedule(this.o.retransmitMs, () => this.retransmit());
  }
}

function sortedIndex(a: readonly string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
