/**
 * The hash DAG of batches (Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022, §3–4):
 * every batch names its parents by hash (batch id), so a batch id fixes the batch's whole history,
 * and merging two replicas' DAGs is set union — the CRDT.
 *
 * Rules, each decided from the batch and its ancestors only, so every correct replica decides a
 * batch the same way (Kleppmann's condition for Byzantine-tolerant validity):
 * - **Causal delivery**: a batch is delivered only after all its parents are. A batch with unknown
 *   parents waits in a bounded per-peer orphan buffer ({@link DagLimits.maxOrphansPerPeer}); a peer
 *   that overflows it is flagged abusive (`ORPHAN_LIMIT`) and its extra batches are dropped.
 * - **Sequence numbers**: `seq` = 1 + the author's highest seq among the batch's ancestors (0 if none),
 *   checked with a per-batch vector clock (max seq per participant over the batch's history);
 *   otherwise `BAD_SEQ` and the batch is never delivered.
 * - **Timestamps**: a batch's timestamp is ≥ each parent's (`BAD_TIMESTAMP` otherwise), so timestamps
 *   are monotonic along every path; authors sign max(own clock, parents' timestamps).
 * - **Equivocation**: two delivered batches by one author with the same seq (by the seq rule neither
 *   can be an ancestor of the other). Both stay in the DAG (both are signed; the DAG stays a CRDT) and
 *   the pair {headerA, sigA, headerB, sigB} is kept as {@link Evidence} for the contract (DESIGN §5).
 *
 * Signature and participant checks happen before a batch reaches the DAG (`replica.ts`): every
 * batch held here, delivered or orphan, is signed by a participant.
 *
 * Cost: delivering a batch is O(parents × participants) (vector clock merge) plus O(1) map updates.
 * Memory: every delivered batch is kept (pruning below a final checkpoint comes with checkpoints).
 */
import { invariant } from "../core/errors.js";
import type { Batch, BatchHeader } from "./batch.js";
import type { Hex } from "./identity.js";

export interface DagLimits {
  /** Most buffered orphans charged to one peer. Default 1024. */
  maxOrphansPerPeer: number;
  /** Most buffered orphans over all peers. Default 16384. */
  maxOrphansTotal: number;
}

export const DEFAULT_DAG_LIMITS: Readonly<DagLimits> = Object.freeze({ maxOrphansPerPeer: 1024, maxOrphansTotal: 16384 });

/** A batch that passed the signature checks, ready to be offered to the DAG. */
export interface Candidate {
  id: Hex;
  batch: Batch;
  /** Its canonical encoding (kept to serve it to peers). */
  bytes: Uint8Array;
}

/** A delivered batch. */
export interface DagNode extends Candidate {
  /** Index of the author in the participant list. */
  readonly authorIndex: number;
  /** Max seq per participant over this batch's history, itself included. */
  readonly clock: Float64Array;
  /** 0, 1, 2, … in the order this replica delivered batches (local, differs between replicas). */
  readonly deliveryIndex: number;
  /** Position in the total order (`order.ts`); maintained by the order. */
  position: number;
}

/** Proof that `author` signed two different batches with the same seq (DESIGN §3, §5). */
export interface Evidence {
  author: Hex;
  seq: number;
  idA: Hex;
  headerA: BatchHeader;
  sigA: Uint8Array;
  idB: Hex;
  headerB: BatchHeader;
  sigB: Uint8Array;
}

export type DagRejectCode = "BAD_SEQ" | "BAD_TIMESTAMP" | "ORPHAN_LIMIT" | "ORPHAN_BUFFER_FULL" | "INVALID_ANCESTOR";

/** A batch the DAG refused, and the peer that sent it. */
export interface DagRejection {
  id: Hex;
  peer: string;
  code: DagRejectCode;
  message: string;
}

export interface OfferResult {
  /** Batches delivered by this offer, in delivery order (the offered one and orphans it unblocked). */
  delivered: DagNode[];
  /** True if the offered batch now waits in the orphan buffer. */
  pending: boolean;
  /** Parents of the offered batch that this replica holds nowhere (ask peers for them). */
  missing: Hex[];
  /** Batches refused by this offer (the offered one, or orphans it unblocked that turned out invalid). */
  rejected: DagRejection[];
  equivocations: Evidence[];
}

interface Orphan {
  cand: Candidate;
  peer: string;
  waitingFor: number;
}

/** Most rejected ids remembered (so that their descendants are dropped at once). */
const MAX_REMEMBERED_REJECTS = 65536;

export class HashDag {
  private readonly nodes = new Map<Hex, DagNode>();
  private readonly inOrder: DagNode[] = [];
  private readonly headSet = new Set<Hex>();
  private readonly orphans = new Map<Hex, Orphan>();
  /** Undelivered parent id → orphans waiting for it. */
  private readonly waiting = new Map<Hex, Hex[]>();
  private readonly orphansPerPeer = new Map<string, number>();
  private readonly bySeq = new Map<string, Hex>();
  private readonly evidence: Evidence[] = [];
  private readonly rejectedIds = new Set<Hex>();
  private readonly abusive = new Map<string, string>();
  private readonly authorIndex: Map<Hex, number>;

  constructor(
    readonly participants: readonly Hex[],
    readonly limits: DagLimits = DEFAULT_DAG_LIMITS,
  ) {
    this.authorIndex = new Map(participants.map((p, i) => [p, i]));
  }

  /** Number of delivered batches. */
  get size(): number {
    return this.inOrder.length;
  }
  has(id: Hex): boolean {
    return this.nodes.has(id);
  }
  get(id: Hex): DagNode | undefined {
    return this.nodes.get(id);
  }
  /** True if the batch waits in the orphan buffer. */
  isPending(id: Hex): boolean {
    return this.orphans.has(id);
  }
  /** True if the batch was refused (it and its descendants are never delivered). */
  isRejected(id: Hex): boolean {
    return this.rejectedIds.has(id);
  }
  /** Delivered batches without delivered children, ascending. */
  heads(): Hex[] {
    return [...this.headSet].sort();
  }
  /** Delivered batches from delivery index `from` on (for "what was added since" sync). */
  deliveredSince(from: number): readonly DagNode[] {
    return this.inOrder.slice(Math.max(0, from));
  }
  /** Highest delivered seq of participant `index` over the given heads' histories (0 if none). */
  highestSeq(index: number, heads: readonly Hex[]): number {
    let max = 0;
    for (const h of heads) {
      const n = this.nodes.get(h);
      if (n !== undefined && n.clock[index]! > max) max = n.clock[index]!;
    }
    return max;
  }
  equivocations(): readonly Evidence[] {
    return this.evidence;
  }
  /** Peers flagged abusive (orphan flood, invalid batches), with the reason. */
  abusivePeers(): ReadonlyMap<string, string> {
    return this.abusive;
  }
  /** Number of buffered orphans (all peers). */
  get orphanCount(): number {
    return this.orphans.size;
  }
  orphansOf(peer: string): number {
    return this.orphansPerPeer.get(peer) ?? 0;
  }

  /** Parents that orphans wait for and that this replica holds nowhere, ascending. */
  missing(): Hex[] {
    const out: Hex[] = [];
    for (const [id, waiters] of this.waiting) {
      if (this.orphans.has(id) || this.nodes.has(id)) continue;
      if (waiters.some((w) => this.orphans.has(w))) out.push(id);
    }
    return out.sort();
  }

  /** Every batch id in the history of `heads` (themselves included) that is delivered here. */
  history(heads: readonly Hex[]): Set<Hex> {
    const seen = new Set<Hex>();
    const stack = heads.filter((h) => this.nodes.has(h));
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const p of this.nodes.get(id)!.batch.header.parents) if (!seen.has(p)) stack.push(p);
    }
    return seen;
  }

  /**
   * Offers a signature-checked batch from `peer`. Delivers it if its parents are delivered (and then
   * any orphans it unblocks), else buffers it. Never throws on bad input.
   */
  offer(cand: Candidate, peer: string): OfferResult {
    const out: OfferResult = { delivered: [], pending: false, missing: [], rejected: [], equivocations: [] };
    if (this.nodes.has(cand.id) || this.orphans.has(cand.id)) {
      out.pending = this.orphans.has(cand.id);
      return out;
    }
    if (this.authorIndex.get(cand.batch.header.author) === undefined) {
      // replica.ts checks this first; kept here so the DAG alone never holds a non-participant's batch
      this.reject(cand.id, peer, "INVALID_ANCESTOR", `author ${cand.batch.header.author} is not a participant`, out);
      return out;
    }
    let waitingFor = 0;
    for (const p of cand.batch.header.parents) {
      if (this.rejectedIds.has(p)) {
        this.reject(cand.id, peer, "INVALID_ANCESTOR", `parent ${p} was refused`, out);
        return out;
      }
      if (!this.nodes.has(p)) {
        waitingFor++;
        if (!this.orphans.has(p)) out.missing.push(p);
      }
    }
    if (waitingFor === 0) {
      this.deliverCascade(cand, peer, out);
      return out;
    }
    const charged = this.orphansPerPeer.get(peer) ?? 0;
    if (charged >= this.limits.maxOrphansPerPeer) {
      const message = `peer ${peer} has ${charged} buffered orphans, the limit`;
      this.abusive.set(peer, `ORPHAN_LIMIT: ${message}`);
      out.rejected.push({ id: cand.id, peer, code: "ORPHAN_LIMIT", message });
      out.missing = [];
      return out;
    }
    if (this.orphans.size >= this.limits.maxOrphansTotal) {
      out.rejected.push({ id: cand.id, peer, code: "ORPHAN_BUFFER_FULL", message: `orphan buffer holds ${this.orphans.size} batches, the limit` });
      out.missing = [];
      return out;
    }
    this.orphans.set(cand.id, { cand, peer, waitingFor });
    this.orphansPerPeer.set(peer, charged + 1);
    for (const p of cand.batch.header.parents) {
      if (this.nodes.has(p)) continue;
      const list = this.waiting.get(p);
      if (list === undefined) this.waiting.set(p, [cand.id]);
      else list.push(cand.id);
    }
    out.pending = true;
    return out;
  }

  private deliverCascade(first: Candidate, peer: string, out: OfferResult): void {
    const queue: { cand: Candidate; peer: string }[] = [{ cand: first, peer }];
    while (queue.length > 0) {
      const { cand, peer: from } = queue.shift()!;
      const node = this.validate(cand, from, out);
      if (node === undefined) continue;
      out.delivered.push(node);
      const waiters = this.waiting.get(cand.id);
      if (waiters === undefined) continue;
      this.waiting.delete(cand.id);
      for (const w of waiters) {
        const orphan = this.orphans.get(w);
        if (orphan === undefined) continue;
        if (--orphan.waitingFor === 0) {
          this.removeOrphan(w, orphan);
          queue.push({ cand: orphan.cand, peer: orphan.peer });
        }
      }
    }
  }

  /** Checks the ancestor-dependent rules and delivers; undefined (and recorded) if refused. */
  private validate(cand: Candidate, peer: string, out: OfferResult): DagNode | undefined {
    const h = cand.batch.header;
    const a = this.authorIndex.get(h.author)!;
    const clock = new Float64Array(this.participants.length);
    let maxTs = 0;
    for (const p of h.parents) {
      const parent = this.nodes.get(p);
      // a batch is validated only once every parent is delivered (orphans wait in `waiting`)
      if (parent === undefined) invariant(false, `batch ${cand.id} validated before its parent ${p} was delivered`);
      const pc = parent.clock;
      for (let i = 0; i < clock.length; i++) if (pc[i]! > clock[i]!) clock[i] = pc[i]!;
      if (parent.batch.header.timestamp > maxTs) maxTs = parent.batch.header.timestamp;
    }
    if (h.seq !== clock[a]! + 1) {
      this.reject(cand.id, peer, "BAD_SEQ", `seq ${h.seq} of ${h.author} must be ${clock[a]! + 1} (1 + the author's highest seq among its ancestors)`, out);
      return undefined;
    }
    if (h.timestamp < maxTs) {
      this.reject(cand.id, peer, "BAD_TIMESTAMP", `timestamp ${h.timestamp} is earlier than a parent's ${maxTs}`, out);
      return undefined;
    }
    clock[a] = h.seq;
    const node: DagNode = { ...cand, authorIndex: a, clock, deliveryIndex: this.inOrder.length, position: -1 };
    this.nodes.set(cand.id, node);
    this.inOrder.push(node);
    for (const p of h.parents) this.headSet.delete(p);
    this.headSet.add(cand.id);
    const key = `${a}:${h.seq}`;
    const other = this.bySeq.get(key);
    if (other === undefined) this.bySeq.set(key, cand.id);
    else {
      const first = this.nodes.get(other)!;
      const ev: Evidence = {
        author: h.author,
        seq: h.seq,
        idA: first.id,
        headerA: first.batch.header,
        sigA: first.batch.signature,
        idB: cand.id,
        headerB: h,
        sigB: cand.batch.signature,
      };
      this.evidence.push(ev);
      out.equivocations.push(ev);
    }
    return node;
  }

  private reject(id: Hex, peer: string, code: DagRejectCode, message: string, out: OfferResult): void {
    out.rejected.push({ id, peer, code, message });
    this.abusive.set(peer, `${code}: ${message}`);
    if (this.rejectedIds.size < MAX_REMEMBERED_REJECTS) this.rejectedIds.add(id);
    // orphans waiting for a refused batch can never be delivered: drop them (and their waiters)
    const stack = [id];
    while (stack.length > 0) {
      const waiters = this.waiting.get(stack.pop()!);
      if (waiters === undefined) continue;
      for (const w of waiters) {
        const orphan = this.orphans.get(w);
        if (orphan === undefined) continue;
        this.removeOrphan(w, orphan);
        if (this.rejectedIds.size < MAX_REMEMBERED_REJECTS) this.rejectedIds.add(w);
        out.rejected.push({ id: w, peer: orphan.peer, code: "INVALID_ANCESTOR", message: `ancestor ${id} was refused` });
        stack.push(w);
      }
    }
    this.waiting.delete(id);
  }

  private removeOrphan(id: Hex, orphan: Orphan): void {
    this.orphans.delete(id);
    const n = (this.orphansPerPeer.get(orphan.peer) ?? 1) - 1;
    if (n === 0) this.orphansPerPeer.delete(orphan.peer);
    else this.orphansPerPeer.set(orphan.peer, n);
  }
}
