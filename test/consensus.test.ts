import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { toHex } from "../src/channel/batch.js";
import type { Hex } from "../src/channel/identity.js";
import { runConsensusSim, simSigner, type ByzantineBehaviour } from "../src/channel/consensus/sim.js";
import {
  ConsensusError,
  maxFaulty,
  messageDigest,
  quorum,
  Tendermint,
  type ConsensusMessage,
  type ConsensusOutput,
  type SignedProposal,
  type SignedVote,
  type TendermintConfig,
} from "../src/channel/consensus/tendermint.js";

const enc = new TextEncoder();
const CHANNEL = toHex(keccak_256(enc.encode("test channel")));
const SEP = keccak_256(enc.encode("test domain"));
const signers = Array.from({ length: 10 }, (_, i) => simSigner(i));
const id = (s: string): Hex => toHex(keccak_256(enc.encode(s)));
const V = id("v");
const W = id("w");

function machine(n: number, self: number, extra: Partial<TendermintConfig> = {}): Tendermint {
  return new Tendermint({
    channelId: CHANNEL,
    separator: SEP,
    participants: signers.slice(0, n).map((s) => s.address),
    height: 0,
    signer: signers[self]!,
    getValue: () => V,
    validValue: () => true,
    ...extra,
  });
}

function signed(i: number, body: Omit<SignedProposal, "sender" | "signature"> | Omit<SignedVote, "sender" | "signature">): ConsensusMessage {
  return { ...body, sender: signers[i]!.address, signature: signers[i]!.sign(messageDigest(SEP, CHANNEL, body)) } as ConsensusMessage;
}
const prop = (i: number, round: number, valueId: Hex, validRound = -1): ConsensusMessage => signed(i, { kind: "proposal", height: 0, round, valueId, validRound });
const vote = (i: number, kind: "prevote" | "precommit", round: number, valueId: Hex | null): ConsensusMessage => signed(i, { kind, height: 0, round, valueId });
const msg = (m: ConsensusMessage) => ({ type: "message" as const, message: m });
const broadcasts = (outs: ConsensusOutput[]) => outs.filter((o) => o.type === "broadcast").map((o) => (o as { message: ConsensusMessage }).message);
const brief = (m: ConsensusMessage) => `${m.kind}:${m.round}:${m.valueId === null ? "nil" : m.valueId === V ? "V" : m.valueId === W ? "W" : m.valueId}`;

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof ConsensusError ? e.code : `other:${String(e)}`;
  }
  return undefined;
}

describe("quorum", () => {
  test("q = ⌊2n/3⌋ + 1 and f = ⌊(n − 1)/3⌋: unanimity for n = 2, 3", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10, 100].map(quorum)).toEqual([1, 2, 3, 3, 4, 5, 5, 7, 67]);
    expect([1, 2, 3, 4, 5, 6, 7, 10, 100].map(maxFaulty)).toEqual([0, 0, 0, 1, 1, 1, 2, 3, 33]);
    expect(machine(2, 0).q).toBe(2);
    expect(machine(3, 0).q).toBe(3);
  });
});

describe("crash recovery: Tendermint.restore from the own-message log", () => {
  test("a replica that prevoted V in round 0 resumes in the prevote step and never prevotes again in that round", () => {
    const before = machine(4, 1);
    before.step({ type: "start" });
    const signedBefore = broadcasts(before.step(msg(prop(0, 0, V))));
    expect(signedBefore.map(brief)).toEqual(["prevote:0:V"]);
    const after = machine(4, 1, { validValue: () => false }); // even if it would now judge V invalid
    const outs = after.restore(before.ownMessages());
    expect(outs).toEqual([{ type: "schedule", step: "prevote", height: 0, round: 0, delayMs: after.timeout("prevote", 0) }]);
    expect(after.isStarted).toBe(true);
    expect(after.currentStep).toBe("prevote");
    // the proposal arrives again (retransmission): no second prevote of round 0, so no equivocation
    expect(broadcasts(after.step(msg(prop(0, 0, V))))).toEqual([]);
    expect(after.ownMessages().map(brief)).toEqual(["prevote:0:V"]);
    // the rest of the round goes on from the restored vote: two more prevotes for V lock and precommit
    after.step(msg(vote(0, "prevote", 0, V)));
    expect(broadcasts(after.step(msg(vote(2, "prevote", 0, V)))).map(brief)).toEqual([]); // valid(V) is now false here: no lock
  });

  test("a non-nil precommit restores the lock: in a later round it prevotes nil for another value (L23)", () => {
    const before = machine(4, 1);
    before.step({ type: "start" });
    before.step(msg(prop(0, 0, V)));
    before.step(msg(vote(0, "prevote", 0, V)));
    before.step(msg(vote(2, "prevote", 0, V)));
    expect(before.locked).toEqual({ value: V, round: 0 });
    const after = machine(4, 1);
    after.restore(before.ownMessages());
    expect(after.locked).toEqual({ value: V, round: 0 });
    expect(after.currentStep).toBe("precommit");
    // round 2 (proposer 2) proposes W with validRound −1: a replica locked on V prevotes nil
    after.step(msg(vote(0, "precommit", 2, null)));
    after.step(msg(vote(3, "precommit", 2, null))); // f + 1 = 2 senders of round 2: skip to it (L55)
    expect(after.round).toBe(2);
    expect(broadcasts(after.step(msg(prop(2, 2, W)))).map(brief)).toEqual(["prevote:2:nil"]);
  });

  test("a log that is not this replica's, or signs twice in one round, is refused", () => {
    const other = machine(4, 2);
    other.step({ type: "start" });
    const mine = broadcasts(machine(4, 1).step(msg(prop(0, 0, V))));
    expect(codeOf(() => machine(4, 1).restore(broadcasts(other.step(msg(prop(0, 0, V))))))).toBe("MALFORMED");
    const twice = [vote(1, "prevote", 0, V), vote(1, "prevote", 0, null)];
    expect(codeOf(() => machine(4, 1).restore(twice))).toBe("MALFORMED");
    expect(machine(4, 1).restore([])).toEqual([]);
    expect(mine).toEqual([]); // not started: nothing signed
  });
});

describe("Tendermint state machine (Algorithm 1)", () => {
  test("happy path: proposal → prevote → lock and precommit → decide with the commit", () => {
    // proposer(0, 0) = participant 0
    const p0 = machine(4, 0);
    const outs0 = p0.step({ type: "start" });
    expect(broadcasts(outs0).map(brief)).toEqual(["proposal:0:V", "prevote:0:V"]); // L19 then L22–L24 on its own proposal
    const p1 = machine(4, 1);
    expect(p1.step({ type: "start" })).toEqual([{ type: "schedule", step: "propose", height: 0, round: 0, delayMs: 200 }]); // L21
    expect(broadcasts(p1.step(msg(prop(0, 0, V)))).map(brief)).toEqual(["prevote:0:V"]);
    expect(p1.currentStep).toBe("prevote");
    expect(p1.step(msg(vote(0, "prevote", 0, V)))).toEqual([]);
    // third prevote for V: L34 schedules timeoutPrevote, L36 locks and precommits
    const outs = p1.step(msg(vote(2, "prevote", 0, V)));
    expect(outs.filter((o) => o.type === "schedule")).toEqual([{ type: "schedule", step: "prevote", height: 0, round: 0, delayMs: 100 }]);
    expect(broadcasts(outs).map(brief)).toEqual(["precommit:0:V"]);
    expect(p1.locked).toEqual({ value: V, round: 0 });
    expect(p1.valid).toEqual({ value: V, round: 0 });
    expect(p1.step(msg(vote(0, "precommit", 0, V)))).toEqual([]);
    const dec = p1.step(msg(vote(3, "precommit", 0, V)));
    const d = dec.find((o) => o.type === "decide");
    expect(d).toMatchObject({ type: "decide", height: 0, round: 0, valueId: V });
    expect((d as { commit: SignedVote[] }).commit.map((v) => v.sender).sort()).toEqual([signers[0]!.address, signers[1]!.address, signers[3]!.address].sort());
    expect(p1.decision?.valueId).toBe(V);
    // nothing moves after the decision
    expect(p1.step({ type: "timeout", step: "precommit", height: 0, round: 0 })).toEqual([]);
  });

  test("timeouts grow with the round and fire only for the current height, round and step (L57–L67)", () => {
    const m = machine(4, 1, { timeouts: { proposeBaseMs: 1000, proposeDeltaMs: 250 } });
    expect([0, 1, 4].map((r) => m.timeout("propose", r))).toEqual([1000, 1250, 2000]);
    expect([0, 3].map((r) => m.timeout("prevote", r))).toEqual([100, 250]);
    m.step({ type: "start" });
    expect(m.step({ type: "timeout", step: "propose", height: 0, round: 1 })).toEqual([]); // other round: ignored
    expect(broadcasts(m.step({ type: "timeout", step: "propose", height: 0, round: 0 })).map(brief)).toEqual(["prevote:0:nil"]); // L59
    expect(m.step({ type: "timeout", step: "propose", height: 0, round: 0 })).toEqual([]); // step is prevote now
    expect(broadcasts(m.step({ type: "timeout", step: "prevote", height: 0, round: 0 })).map(brief)).toEqual(["precommit:0:nil"]); // L63
    const next = m.step({ type: "timeout", step: "precommit", height: 0, round: 0 }); // L67: StartRound(1), proposer(0,1) = 1 = self
    expect(m.round).toBe(1);
    expect(broadcasts(next).map(brief)).toEqual(["proposal:1:V", "prevote:1:V"]);
  });

  test("2f+1 nil prevotes ⇒ precommit nil (L44); 2f+1 precommits of any kind ⇒ timeoutPrecommit (L47)", () => {
    const m = machine(4, 1);
    m.step({ type: "start" });
    m.step({ type: "timeout", step: "propose", height: 0, round: 0 });
    m.step(msg(vote(2, "prevote", 0, null)));
    const outs = m.step(msg(vote(3, "prevote", 0, null)));
    expect(broadcasts(outs).map(brief)).toEqual(["precommit:0:nil"]);
    m.step(msg(vote(2, "precommit", 0, V)));
    const t = m.step(msg(vote(3, "precommit", 0, null)));
    expect(t).toEqual([{ type: "schedule", step: "precommit", height: 0, round: 0, delayMs: 100 }]);
  });

  test("a replica locked on V prevotes nil for another value, and V again after a proof of lock (L23, L29)", () => {
    const m = machine(4, 3, { getValue: () => W });
    m.step({ type: "start" });
    m.step(msg(prop(0, 0, V)));
    m.step(msg(vote(0, "prevote", 0, V)));
    m.step(msg(vote(1, "prevote", 0, V))); // locks V in round 0
    expect(m.locked).toEqual({ value: V, round: 0 });
    m.step(msg(vote(1, "precommit", 0, null)));
    m.step(msg(vote(2, "precommit", 0, null)));
    m.step({ type: "timeout", step: "precommit", height: 0, round: 0 });
    expect(m.round).toBe(1);
    // round 1 proposer (participant 1) proposes W fresh: locked ⇒ nil
    expect(broadcasts(m.step(msg(prop(1, 1, W)))).map(brief)).toEqual(["prevote:1:nil"]);
    m.step(msg(vote(0, "precommit", 1, null)));
    m.step(msg(vote(1, "precommit", 1, null)));
    m.step({ type: "timeout", step: "precommit", height: 0, round: 1 });
    // round 2: proposer 2 re-proposes V with vr = 0, and the 2f+1 prevotes of round 0 are known: prevote V
    expect(broadcasts(m.step(msg(prop(2, 2, V, 0)))).map(brief)).toEqual(["prevote:2:V"]);
    // and a proposer that re-proposes W with a vr whose prevotes are unknown gets nothing (L28 needs them)
    const m2 = machine(4, 3, { getValue: () => W });
    m2.step({ type: "start" });
    m2.step({ type: "timeout", step: "propose", height: 0, round: 0 });
    m2.step(msg(vote(0, "precommit", 0, null)));
    m2.step(msg(vote(1, "precommit", 0, null)));
    m2.step(msg(vote(2, "precommit", 0, null)));
    m2.step({ type: "timeout", step: "precommit", height: 0, round: 0 });
    expect(m2.step(msg(prop(1, 1, W, 0)))).toEqual([]);
  });

  test("the proposer re-proposes its validValue with its validRound (L15–L16, L19)", () => {
    const m = machine(4, 1, { getValue: () => W });
    m.step({ type: "start" });
    m.step(msg(prop(0, 0, V)));
    m.step(msg(vote(0, "prevote", 0, V)));
    m.step(msg(vote(2, "prevote", 0, V)));
    m.step(msg(vote(0, "precommit", 0, null)));
    m.step(msg(vote(2, "precommit", 0, null)));
    const outs = m.step({ type: "timeout", step: "precommit", height: 0, round: 0 });
    const p = broadcasts(outs)[0] as SignedProposal;
    expect([p.kind, p.round, p.valueId, p.validRound]).toEqual(["proposal", 1, V, 0]);
  });

  test("a proposer with no value yet schedules timeoutPropose and proposes on valueReady (L15–L19, late)", () => {
    const box: { value?: Hex } = {};
    const m = machine(4, 0, { getValue: () => box.value });
    expect(m.step({ type: "start" })).toEqual([{ type: "schedule", step: "propose", height: 0, round: 0, delayMs: 200 }]);
    expect(m.step({ type: "valueReady" })).toEqual([]); // still nothing
    box.value = W;
    expect(broadcasts(m.step({ type: "valueReady" })).map(brief)).toEqual(["proposal:0:W", "prevote:0:W"]);
    expect(m.step({ type: "valueReady" })).toEqual([]); // once per round
  });

  test("validity asked of the host: no prevote until the verdict; invalid ⇒ prevote nil; never decide an invalid value", () => {
    const m = machine(4, 1, { validValue: () => undefined });
    m.step({ type: "start" });
    const outs = m.step(msg(prop(0, 0, V)));
    expect(outs).toEqual([{ type: "validate", valueId: V, height: 0, round: 0 }]);
    expect(m.currentStep).toBe("propose");
    expect(m.step(msg(vote(2, "prevote", 0, V)))).toEqual([]); // asked once only
    expect(broadcasts(m.step({ type: "validity", valueId: V, valid: false })).map(brief)).toEqual(["prevote:0:nil"]);
    // 2f+1 precommits for V but V is invalid here: L50 refuses to decide
    for (const i of [0, 2, 3]) m.step(msg(vote(i, "precommit", 0, V)));
    expect(m.decision).toBeUndefined();
  });

  test("f+1 messages of a higher round ⇒ StartRound(that round) (L55)", () => {
    const m = machine(4, 3);
    m.step({ type: "start" });
    expect(m.step(msg(vote(1, "prevote", 5, null)))).toEqual([]);
    expect(m.round).toBe(0);
    const outs = m.step(msg(vote(2, "precommit", 5, null)));
    expect(m.round).toBe(5);
    expect(outs).toContainEqual({ type: "schedule", step: "propose", height: 0, round: 5, delayMs: 200 + 5 * 100 });
  });

  test("conflicting votes by one participant in one round are evidence (both signed messages kept)", () => {
    const m = machine(4, 3);
    m.step({ type: "start" });
    const a = vote(2, "prevote", 0, V);
    const b = vote(2, "prevote", 0, W);
    m.step(msg(a));
    expect(m.step(msg(a))).toEqual([]); // duplicate
    const outs = m.step(msg(b));
    expect(outs).toEqual([{ type: "evidence", evidence: { kind: "prevote", sender: signers[2]!.address, height: 0, round: 0, a, b } }]);
    // the evidence verifies: both signatures recover to the sender over different digests
    expect(toHex(messageDigest(SEP, CHANNEL, a))).not.toBe(toHex(messageDigest(SEP, CHANNEL, b)));
    const pc1 = vote(1, "precommit", 0, V);
    m.step(msg(pc1));
    expect(m.step(msg(vote(1, "precommit", 0, null)))[0]).toMatchObject({ type: "evidence", evidence: { kind: "precommit", round: 0 } });
    expect(m.evidence().length).toBe(2);
  });

  test("bad input: stable error codes, nothing changes", () => {
    const m = machine(4, 1);
    m.step({ type: "start" });
    const good = vote(2, "prevote", 0, V) as SignedVote;
    expect(codeOf(() => m.step(msg({ ...good, signature: vote(3, "prevote", 0, V).signature })))).toBe("BAD_SIGNATURE");
    expect(codeOf(() => m.step(msg({ ...good, valueId: W })))).toBe("BAD_SIGNATURE");
    expect(codeOf(() => m.step(msg(prop(2, 0, V))))).toBe("NOT_PROPOSER");
    expect(codeOf(() => m.step(msg({ ...good, sender: signers[9]!.address })))).toBe("NOT_PARTICIPANT");
    expect(codeOf(() => m.step(msg({ ...good, height: 1 })))).toBe("WRONG_HEIGHT");
    expect(codeOf(() => m.step(msg({ ...good, round: 65 })))).toBe("ROUND_LIMIT");
    expect(codeOf(() => m.step(msg({ ...good, round: -1 })))).toBe("MALFORMED");
    expect(codeOf(() => m.step(msg({ ...good, valueId: "0x12" as Hex })))).toBe("MALFORMED");
    expect(codeOf(() => m.step(msg({ ...good, signature: new Uint8Array(64) })))).toBe("MALFORMED");
    expect(codeOf(() => m.step(msg({ ...(prop(0, 0, V) as SignedProposal), validRound: 0 })))).toBe("MALFORMED");
    expect(codeOf(() => m.step({ type: "bogus" } as never))).toBe("MALFORMED");
    expect(codeOf(() => new Tendermint({ channelId: CHANNEL, separator: SEP, participants: [], height: 0, getValue: () => V }))).toBe("INVALID_CONFIG");
    expect(codeOf(() => machine(3, 5))).toBe("INVALID_CONFIG");
    expect(m.currentStep).toBe("propose");
    expect(m.evidence()).toEqual([]);
  });
});

const f = maxFaulty;

describe("simulation: agreement, validity, termination", () => {
  const mixes: Record<number, ByzantineBehaviour[]> = {
    4: ["equivocatingProposer"],
    7: ["equivocatingVoter", "invalidProposer"],
    10: ["silent", "equivocatingVoter", "equivocatingProposer"],
  };
  for (const n of [4, 7, 10]) {
    test(`n = ${n} with f = ${f(n)} Byzantine (${mixes[n]!.join(", ")}), drops/duplicates before GST, async validity`, () => {
      for (const seed of [1, 2, 3]) {
        const byzantine = mixes[n]!.map((behaviour, k) => ({ index: (seed + 3 * k) % n, behaviour }));
        const r = runConsensusSim({ n, seed, heights: 4, byzantine, dropRate: 0.2, duplicateRate: 0.1, gstMs: 1500, asyncValidityRate: 0.3 });
        expect(r.violations).toEqual([]);
        expect(r.terminated).toBe(true);
        expect(r.honest.length).toBe(n - f(n));
        for (const i of r.honest) expect(r.decisions[i]!.length).toBeGreaterThanOrEqual(4);
        if (mixes[n]!.includes("equivocatingVoter")) {
          const voter = byzantine.find((b) => b.behaviour === "equivocatingVoter")!.index;
          expect(r.honest.some((i) => r.evidence[i]!.some((e) => e.sender === voter))).toBe(true);
          expect(r.honest.every((i) => r.evidence[i]!.every((e) => byzantine.some((b) => b.index === e.sender)))).toBe(true);
        }
      }
    });
  }

  test("an invalid proposer's values are never decided; its heights go to a later round", () => {
    const r = runConsensusSim({ n: 4, seed: 9, heights: 8, byzantine: [{ index: 2, behaviour: "invalidProposer" }] });
    expect(r.violations).toEqual([]);
    expect(r.terminated).toBe(true);
    // proposer(h, 0) = h mod 4: heights 2 and 6 start with the invalid proposer
    const d = r.decisions[0]!.slice(0, 8);
    expect(d.map((x) => x.round)).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    for (const i of r.honest) expect(r.decisions[i]!.slice(0, 8).map((x) => x.valueId)).toEqual(d.map((x) => x.valueId));
  });

  test("a partition that splits the honest replicas stops decisions; they resume on heal without conflict", () => {
    const partition = { groups: [[0, 1], [2, 3]], fromMs: 300, toMs: 5000 };
    const r = runConsensusSim({ n: 4, seed: 5, heights: 20, partitions: [partition], maxDelayMs: 10, heightIntervalMs: 20 });
    expect(r.violations).toEqual([]);
    expect(r.terminated).toBe(true);
    const all = r.decisions.flat();
    const during = all.filter((d) => d.atMs >= partition.fromMs + 10 && d.atMs < partition.toMs);
    expect(during).toEqual([]);
    expect(all.some((d) => d.atMs < partition.fromMs)).toBe(true);
    expect(all.some((d) => d.atMs >= partition.toMs)).toBe(true);
    const heights = new Set(r.decisions[0]!.map((d) => d.height));
    expect(heights.size).toBe(r.decisions[0]!.length);
  });

  test("unanimity: n = 2 and 3 decide with everyone, and stop while one is down", () => {
    for (const n of [2, 3]) {
      const ok = runConsensusSim({ n, seed: 11, heights: 5 });
      expect(ok.terminated).toBe(true);
      expect(ok.violations).toEqual([]);
      const crash = { index: n - 1, fromMs: 200, toMs: 3000 };
      const r = runConsensusSim({ n, seed: 12, heights: 12, crashes: [crash], maxDelayMs: 10, heightIntervalMs: 20 });
      expect(r.violations).toEqual([]);
      expect(r.terminated).toBe(true);
      const all = r.decisions.flat();
      expect(all.filter((d) => d.atMs >= crash.fromMs + 10 && d.atMs < crash.toMs)).toEqual([]);
      expect(all.some((d) => d.atMs >= crash.toMs)).toBe(true);
    }
  });

  test("fast-check over seeds: n = 4 with one Byzantine of any kind, random network faults", () => {
    const behaviours: ByzantineBehaviour[] = ["silent", "equivocatingProposer", "invalidProposer", "equivocatingVoter"];
    let runs = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(...behaviours),
        fc.integer({ min: 0, max: 3 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        (seed, behaviour, index, dropRate) => {
          runs++;
          const r = runConsensusSim({ n: 4, seed, heights: 3, byzantine: [{ index, behaviour }], dropRate, duplicateRate: 0.05, gstMs: 800, asyncValidityRate: 0.2, maxDelayMs: 15, maxTimeMs: 60_000 });
          return r.violations.length === 0 && r.terminated;
        },
      ),
      { numRuns: 200, seed: 20261121 },
    );
    expect(runs).toBe(200);
  });
});
