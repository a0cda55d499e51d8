/**
 * A seeded, in-memory simulation of n replicas running the Tendermint state machine
 * (`tendermint.ts`) height after height, on a virtual-time network with delays, drops, duplicates,
 * reordering, partitions that heal and crashes, and with Byzantine replicas. Everything (network,
 * validity answers, Byzantine choices) draws from one seeded PRNG and one event queue ordered by
 * (virtual time, insertion sequence), so a seed replays exactly.
 *
 * Model (the paper's partial synchrony, Buchman–Kwon–Milosevic 2018 §2): before `gstMs` messages may
 * be dropped; partitions and crashes cut links during their windows; after all of these end every
 * message between correct replicas arrives within `maxDelayMs`. The paper also assumes gossip
 * ("if a correct process receives a message, all correct processes eventually receive it"); the
 * host here provides it the way CometBFT's reactor does in effect: each replica retransmits its own
 * messages of its current height every `retransmitMs` until it decides, and answers a message from
 * an older height with the decision proof of that height (the proposal and the 2f + 1 precommits),
 * which the lagging replica feeds to its state machine as ordinary messages (L49 then decides).
 *
 * Values are opaque ids; the simulation keeps a registry of which ids are valid (an honest proposer's
 * values are, an "invalidProposer"'s are not — in the channel that is a wrong state root). Some
 * verdicts are given asynchronously after a delay (a replica fetching missing batches first).
 *
 * Byzantine behaviours (at most f, by the caller's choice):
 * - `silent`: crashed from the start (sends and receives nothing);
 * - `equivocatingProposer`: as proposer, sends one valid value to half its peers and another valid
 *   value to the others (two signed proposals for one height and round);
 * - `invalidProposer`: proposes values that correct replicas find invalid;
 * - `equivocatingVoter`: every vote it casts goes to half its peers, and a conflicting signed vote
 *   (nil ↔ value) to the other half, and both to every third peer.
 * Byzantine replicas are excluded from the agreement / validity / termination checks.
 */
import { keccak256 } from "../../core/keccak.js";
import { EventQueue } from "../../runtime/eventQueue.js";
import { prngFunction } from "../../runtime/prng.js";
import { toHex } from "../batch.js";
import { createSigner, recoverAddress, type Hex, type Signer } from "../identity.js";
import { ConsensusError, messageDigest, Tendermint, type ConsensusMessage, type ConsensusOutput, type SignedProposal, type SignedVote, type Step, type TimeoutConfig } from "./tendermint.js";

export type ByzantineBehaviour = "silent" | "equivocatingProposer" | "invalidProposer" | "equivocatingVoter";

export interface Partition {
  /** Replica indexes per side; links between different sides are cut (replicas in no group are isolated). */
  groups: number[][];
  fromMs: number;
  toMs: number;
}

export interface Crash {
  index: number;
  fromMs: number;
  /** Recovery time (state kept, as after a restart from a write-ahead log); Infinity = never. */
  toMs: number;
}

export interface ConsensusSimOptions {
  n: number;
  seed: number;
  /** Heights every correct replica must decide. */
  heights: number;
  byzantine?: { index: number; behaviour: ByzantineBehaviour }[];
  crashes?: Crash[];
  partitions?: Partition[];
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Drop probability before gstMs. */
  dropRate?: number;
  duplicateRate?: number;
  /** Global stabilization time: no drops from then on. Default 0. */
  gstMs?: number;
  /** Fraction of validity verdicts given asynchronously (after up to `validityDelayMs`). */
  asyncValidityRate?: number;
  validityDelayMs?: number;
  retransmitMs?: number;
  /** Virtual delay between a decision and the start of the next height (checkpoint cadence). */
  heightIntervalMs?: number;
  timeouts?: Partial<TimeoutConfig>;
  /** Virtual time limit. Default 600_000. */
  maxTimeMs?: number;
  /** Event limit (a guard against runaway runs). Default 2_000_000. */
  maxEvents?: number;
}

export interface SimDecision {
  height: number;
  round: number;
  valueId: Hex;
  atMs: number;
}

export interface ConsensusSimResult {
  seed: number;
  n: number;
  honest: number[];
  decisions: SimDecision[][];
  /** Equivocation evidence recorded by each replica: [kind, sender index, height, round]. */
  evidence: { kind: string; sender: number; height: number; round: number }[][];
  /** Agreement or validity violations among correct replicas (empty when the run is safe). */
  violations: string[];
  /** Every correct replica decided `heights` heights. */
  terminated: boolean;
  timeMs: number;
  events: number;
  messagesSent: number;
  /** Highest round any decision needed. */
  maxDecisionRound: number;
}

type SimEvent =
  | { k: "deliver"; to: number; from: number; m: ConsensusMessage }
  | { k: "timeout"; node: number; step: Step; height: number; round: number }
  | { k: "validity"; node: number; height: number; valueId: Hex }
  | { k: "retransmit"; node: number }
  | { k: "start"; node: number; height: number };

const SIM_CHANNEL: Hex = toHex(keccak256(new TextEncoder().encode("semilattice consensus sim channel")));
const SIM_SEPARATOR = keccak256(new TextEncoder().encode("semilattice consensus sim domain"));

/** Deterministic signer of simulated replica `i` (keys are fixed; they are not secrets). */
export function simSigner(i: number): Signer {
  return createSigner(keccak256(new TextEncoder().encode(`semilattice consensus sim key ${i}`)));
}

const signerCache: Signer[] = [];
function signerOf(i: number): Signer {
  return (signerCache[i] ??= simSigner(i));
}

/** Memoized signature recovery (pure, so caching is sound): each message is verified once per run, not once per receiver. */
function memoRecover(): (digest: Uint8Array, sig: Uint8Array) => Hex | undefined {
  const memo = new Map<string, Hex | undefined>();
  return (digest, sig) => {
    const key = Buffer.from(digest).toString("latin1") + Buffer.from(sig).toString("latin1");
    if (memo.has(key)) return memo.get(key);
    const r = recoverAddress(digest, sig);
    memo.set(key, r);
    return r;
  };
}

interface SimNode {
  index: number;
  signer: Signer;
  behaviour: ByzantineBehaviour | undefined;
  height: number;
  tm: Tendermint;
  decisions: SimDecision[];
  proofs: Map<number, ConsensusMessage[]>;
  future: Map<number, { from: number; m: ConsensusMessage }[]>;
  futureCount: number;
  /** Last time this node sent a catch-up proof for a height to a peer (rate limit). */
  catchupSent: Map<string, number>;
  evidence: { kind: string; sender: number; height: number; round: number }[];
}

/** Most buffered messages for future heights per replica. */
const MAX_FUTURE = 4096;

/** Runs one simulation. Deterministic in its options. */
export function runConsensusSim(o: ConsensusSimOptions): ConsensusSimResult {
  const n = o.n;
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw new ConsensusError("INVALID_CONFIG", "n must be 1..64");
  const rand = prngFunction(o.seed);
  const minDelay = o.minDelayMs ?? 1;
  const maxDelay = Math.max(minDelay, o.maxDelayMs ?? 20);
  const dropRate = o.dropRate ?? 0;
  const dupRate = o.duplicateRate ?? 0;
  const gst = o.gstMs ?? 0;
  const asyncRate = o.asyncValidityRate ?? 0;
  const validityDelay = o.validityDelayMs ?? 30;
  const retransmitMs = o.retransmitMs ?? 100;
  const interval = o.heightIntervalMs ?? 0;
  const maxTime = o.maxTimeMs ?? 600_000;
  const maxEvents = o.maxEvents ?? 2_000_000;
  const participants = Array.from({ length: n }, (_, i) => signerOf(i).address);
  const indexOf = new Map(participants.map((a, i) => [a, i]));
  const behaviours = new Map((o.byzantine ?? []).map((b) => [b.index, b.behaviour]));
  const crashes = [...(o.crashes ?? [])];
  for (const [i, b] of behaviours) if (b === "silent") crashes.push({ index: i, fromMs: 0, toMs: Infinity });
  const recover = memoRecover();
  /** Registry of value ids → valid (what a correct replica's recomputation would say). */
  const registry = new Map<Hex, boolean>();
  const queue = new EventQueue<SimEvent>();
  let now = 0;
  let messagesSent = 0;

  const valueId = (tag: string, valid: boolean): Hex => {
    const id = toHex(keccak256(new TextEncoder().encode(`${o.seed}/${tag}`)));
    registry.set(id, valid);
    return id;
  };
  const crashed = (i: number, t: number): boolean => crashes.some((c) => c.index === i && t >= c.fromMs && t < c.toMs);
  /** Side of replica x in partition p; a replica in no group is alone on its own side. */
  const side = (p: Partition, x: number): number => {
    const g = p.groups.findIndex((grp) => grp.includes(x));
    return g >= 0 ? g : -1 - x;
  };
  const cut = (a: number, b: number, t: number): boolean => (o.partitions ?? []).some((p) => t >= p.fromMs && t < p.toMs && side(p, a) !== side(p, b));

  const send = (from: number, to: number, m: ConsensusMessage): void => {
    if (from === to) return;
    messagesSent++;
    if (crashed(from, now) || cut(from, to, now)) return;
    if (now < gst && rand() < dropRate) return;
    const copies = rand() < dupRate ? 2 : 1;
    for (let c = 0; c < copies; c++) queue.push(now + minDelay + Math.floor(rand() * (maxDelay - minDelay + 1)), { k: "deliver", to, from, m });
  };
  const broadcastFrom = (from: number, m: ConsensusMessage): void => {
    for (let to = 0; to < n; to++) send(from, to, m);
  };

  const nodes: SimNode[] = [];
  const makeMachine = (node: SimNode, height: number): Tendermint =>
    new Tendermint({
      channelId: SIM_CHANNEL,
      separator: SIM_SEPARATOR,
      participants,
      height,
      signer: node.signer,
      recover,
      ...(o.timeouts !== undefined ? { timeouts: o.timeouts } : {}),
      getValue: (h, r) => valueId(`value/${h}/${r}/${node.index}`, node.behaviour !== "invalidProposer"),
      validValue: (id) => {
        if (asyncRate > 0 && rand() < asyncRate) {
          queue.push(now + 1 + Math.floor(rand() * validityDelay), { k: "validity", node: node.index, height, valueId: id });
          return undefined;
        }
        return registry.get(id) ?? false;
      },
    });
  for (let i = 0; i < n; i++) {
    const node: SimNode = { index: i, signer: signerOf(i), behaviour: behaviours.get(i), height: 0, tm: undefined as unknown as Tendermint, decisions: [], proofs: new Map(), future: new Map(), futureCount: 0, catchupSent: new Map(), evidence: [] };
    node.tm = makeMachine(node, 0);
    nodes.push(node);
  }

  /** Sends one of a node's own messages, applying its Byzantine twist. */
  const emit = (node: SimNode, m: ConsensusMessage): void => {
    if (node.behaviour === "equivocatingProposer" && m.kind === "proposal") {
      const other = valueId(`value/${m.height}/${m.round}/${node.index}/twin`, true);
      const twin = signAs(node.signer, { kind: "proposal", height: m.height, round: m.round, valueId: other, validRound: m.validRound });
      for (let to = 0; to < n; to++) send(node.index, to, to % 2 === 0 ? m : twin);
      return;
    }
    if (node.behaviour === "equivocatingVoter" && m.kind !== "proposal") {
      const otherValue = m.valueId === null ? valueId(`ghost/${m.height}/${m.round}/${node.index}`, true) : null;
      const twin = signAs(node.signer, { kind: m.kind, height: m.height, round: m.round, valueId: otherValue });
      // even peers get the vote, odd peers its twin, and every third peer both (so the fault is provable)
      for (let to = 0; to < n; to++) {
        send(node.index, to, to % 2 === 0 ? m : twin);
        if (to % 3 === 0) send(node.index, to, to % 2 === 0 ? twin : m);
      }
      return;
    }
    broadcastFrom(node.index, m);
  };

  const handle = (node: SimNode, outs: ConsensusOutput[]): void => {
    for (const out of outs) {
      switch (out.type) {
        case "broadcast":
          emit(node, out.message);
          break;
        case "schedule":
          queue.push(now + out.delayMs, { k: "timeout", node: node.index, step: out.step, height: out.height, round: out.round });
          break;
        case "validate":
          break; // answered by the event the validValue callback queued
        case "evidence":
          node.evidence.push({ kind: out.evidence.kind, sender: indexOf.get(out.evidence.sender) ?? -1, height: out.evidence.height, round: out.evidence.round });
          break;
        case "decide": {
          node.decisions.push({ height: out.height, round: out.round, valueId: out.valueId, atMs: now });
          node.proofs.set(out.height, [out.proposal, ...out.commit]);
          node.height = out.height + 1;
          node.tm = makeMachine(node, node.height);
          queue.push(now + interval, { k: "start", node: node.index, height: node.height });
          break;
        }
      }
    }
  };

  const feed = (node: SimNode, from: number, m: ConsensusMessage): void => {
    if (m.height < node.height) {
      // a lagging peer: answer with the decision proof of its height (rate-limited per peer and height)
      const key = `${from}/${m.height}`;
      const last = node.catchupSent.get(key);
      if (last !== undefined && now - last < retransmitMs) return;
      node.catchupSent.set(key, now);
      for (const p of node.proofs.get(m.height) ?? []) send(node.index, from, p);
      return;
    }
    if (m.height > node.height) {
      if (m.height > node.height + 2 || node.futureCount >= MAX_FUTURE) return;
      const list = node.future.get(m.height) ?? [];
      list.push({ from, m });
      node.future.set(m.height, list);
      node.futureCount++;
      return;
    }
    try {
      handle(node, node.tm.step({ type: "message", message: m }));
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      // a faulty peer's message (bad signature, not the proposer, too far ahead): dropped
    }
  };

  const startHeight = (node: SimNode): void => {
    handle(node, node.tm.step({ type: "start" }));
    const buffered = node.future.get(node.height) ?? [];
    node.future.delete(node.height);
    node.futureCount -= buffered.length;
    for (const [h, list] of node.future) if (h < node.height) {
      node.futureCount -= list.length;
      node.future.delete(h);
    }
    for (const { from, m } of buffered) if (m.height === node.height) feed(node, from, m);
  };

  for (const node of nodes) {
    queue.push(0, { k: "start", node: node.index, height: 0 });
    queue.push(retransmitMs, { k: "retransmit", node: node.index });
  }

  const honest = nodes.filter((x) => x.behaviour === undefined).map((x) => x.index);
  const done = (): boolean => honest.every((i) => nodes[i]!.decisions.length >= o.heights);
  let events = 0;
  while (!done() && events < maxEvents) {
    const ev = queue.pop();
    if (ev === undefined || ev.t > maxTime) break;
    now = ev.t;
    events++;
    const e = ev.e;
    const node = nodes[e.k === "deliver" ? e.to : e.node]!;
    if (crashed(node.index, now)) {
      if (e.k === "retransmit") queue.push(now + retransmitMs, e);
      if (e.k === "start" || e.k === "timeout" || e.k === "validity") queue.push(now + retransmitMs, e); // a crashed replica's pending work resumes after it restarts
      continue;
    }
    switch (e.k) {
      case "deliver":
        feed(node, e.from, e.m);
        break;
      case "timeout":
        if (e.height === node.height) handle(node, node.tm.step({ type: "timeout", step: e.step, height: e.height, round: e.round }));
        break;
      case "validity":
        if (e.height === node.height) handle(node, node.tm.step({ type: "validity", valueId: e.valueId, valid: registry.get(e.valueId) ?? false }));
        break;
      case "start":
        if (e.height === node.height && !node.tm.isStarted) startHeight(node);
        break;
      case "retransmit":
        for (const m of node.tm.ownMessages()) emit(node, m);
        queue.push(now + retransmitMs, e);
        break;
    }
  }

  // safety checks among correct replicas
  const violations: string[] = [];
  const byHeight = new Map<number, { node: number; valueId: Hex }>();
  let maxDecisionRound = 0;
  for (const i of honest) {
    for (const d of nodes[i]!.decisions) {
      maxDecisionRound = Math.max(maxDecisionRound, d.round);
      if (registry.get(d.valueId) !== true) violations.push(`validity: replica ${i} decided invalid value ${d.valueId} at height ${d.height}`);
      const first = byHeight.get(d.height);
      if (first === undefined) byHeight.set(d.height, { node: i, valueId: d.valueId });
      else if (first.valueId !== d.valueId) violations.push(`agreement: replicas ${first.node} and ${i} decided different values at height ${d.height}`);
    }
  }
  return {
    seed: o.seed,
    n,
    honest,
    decisions: nodes.map((x) => x.decisions),
    evidence: nodes.map((x) => x.evidence),
    violations,
    terminated: done(),
    timeMs: now,
    events,
    messagesSent,
    maxDecisionRound,
  };
}

function signAs(signer: Signer, body: Omit<SignedProposal, "sender" | "signature"> | Omit<SignedVote, "sender" | "signature">): ConsensusMessage {
  const signature = signer.sign(messageDigest(SIM_SEPARATOR, SIM_CHANNEL, body));
  return { ...body, sender: signer.address, signature } as ConsensusMessage;
}
