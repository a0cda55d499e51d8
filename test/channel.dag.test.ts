import fc from "fast-check";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { describe, expect, test } from "vitest";
import type { Batch } from "../src/channel/batch.js";
import { HashDag, type Candidate, type DagNode } from "../src/channel/dag.js";
import type { Hex } from "../src/channel/identity.js";
import { TotalOrder } from "../src/channel/order.js";

const P = ["0x" + "01".repeat(20), "0x" + "02".repeat(20), "0x" + "03".repeat(20)] as Hex[];
let counter = 0;

/** A candidate with a made-up id (the DAG does not check signatures: replica.ts does). */
function mk(author: Hex, seq: number, parents: Hex[], timestamp = 1000, salt = 0): Candidate {
  const id = ("0x" + Buffer.from(keccak_256(new TextEncoder().encode(`${author}|${seq}|${parents.join(",")}|${timestamp}|${salt}|${counter++}`))).toString("hex")) as Hex;
  const batch: Batch = { header: { channelId: ("0x" + "00".repeat(32)) as Hex, author, seq, parents: [...parents].sort(), payloadDigest: ("0x" + "00".repeat(32)) as Hex, timestamp }, signature: new Uint8Array(65).fill(salt), ops: [] };
  return { id, batch, bytes: new Uint8Array(0) };
}

describe("causal delivery", () => {
  test("a batch waits for its parents, then is delivered with the orphans it unblocks, in causal order", () => {
    const dag = new HashDag(P);
    const a1 = mk(P[0]!, 1, []);
    const b1 = mk(P[1]!, 1, [a1.id]);
    const a2 = mk(P[0]!, 2, [b1.id]);
    let r = dag.offer(a2, "x");
    expect(r).toMatchObject({ delivered: [], pending: true, missing: [b1.id] });
    r = dag.offer(b1, "y");
    expect(r.pending).toBe(true);
    expect(r.missing).toEqual([a1.id]);
    expect(dag.missing()).toEqual([a1.id]);
    expect(dag.orphanCount).toBe(2);
    r = dag.offer(a1, "z");
    expect(r.delivered.map((n) => n.id)).toEqual([a1.id, b1.id, a2.id]);
    expect(r.delivered.map((n) => n.deliveryIndex)).toEqual([0, 1, 2]);
    expect(dag.orphanCount).toBe(0);
    expect(dag.missing()).toEqual([]);
    expect(dag.heads()).toEqual([a2.id]);
    expect([...dag.history([a2.id])].sort()).toEqual([a1.id, b1.id, a2.id].sort());
    expect(dag.deliveredSince(1).map((n) => n.id)).toEqual([b1.id, a2.id]);
    // offering again changes nothing
    expect(dag.offer(b1, "y")).toMatchObject({ delivered: [], pending: false, rejected: [] });
  });

  test("heads: concurrent batches are all heads until a batch names them", () => {
    const dag = new HashDag(P);
    const a1 = mk(P[0]!, 1, []);
    const b1 = mk(P[1]!, 1, []);
    dag.offer(a1, "p");
    dag.offer(b1, "p");
    expect(dag.heads()).toEqual([a1.id, b1.id].sort());
    const c1 = mk(P[2]!, 1, [a1.id, b1.id]);
    dag.offer(c1, "p");
    expect(dag.heads()).toEqual([c1.id]);
    expect(dag.highestSeq(0, [c1.id])).toBe(1);
    expect(dag.highestSeq(2, [c1.id])).toBe(1);
    expect(dag.highestSeq(2, [a1.id])).toBe(0);
  });
});

describe("validity from ancestors only", () => {
  test("seq must be 1 + the author's highest seq among the ancestors", () => {
    const dag = new HashDag(P);
    const a1 = mk(P[0]!, 1, []);
    dag.offer(a1, "p");
    const skip = mk(P[0]!, 3, [a1.id]);
    const r = dag.offer(skip, "evil");
    expect(r.rejected).toEqual([{ id: skip.id, peer: "evil", code: "BAD_SEQ", message: expect.stringContaining("must be 2") }]);
    expect(dag.has(skip.id)).toBe(false);
    expect(dag.abusivePeers().get("evil")).toContain("BAD_SEQ");
    // first batch of an author must have seq 1; a batch that ignores its own history is refused too
    expect(dag.offer(mk(P[1]!, 2, []), "evil").rejected[0]?.code).toBe("BAD_SEQ");
    const b1 = mk(P[1]!, 1, [a1.id]);
    dag.offer(b1, "p");
    expect(dag.offer(mk(P[0]!, 1, [b1.id]), "evil").rejected[0]?.code).toBe("BAD_SEQ");
    expect(dag.offer(mk(P[0]!, 2, [b1.id]), "p").delivered).toHaveLength(1);
  });

  test("descendants of a refused batch are refused, buffered or not", () => {
    const dag = new HashDag(P);
    const bad = mk(P[0]!, 5, []);
    const child = mk(P[1]!, 1, [bad.id]);
    const grandchild = mk(P[2]!, 1, [child.id]);
    dag.offer(grandchild, "q");
    dag.offer(child, "q");
    expect(dag.orphanCount).toBe(2);
    const r = dag.offer(bad, "evil");
    expect(r.rejected.map((x) => [x.id, x.code])).toEqual([
      [bad.id, "BAD_SEQ"],
      [child.id, "INVALID_ANCESTOR"],
      [grandchild.id, "INVALID_ANCESTOR"],
    ]);
    expect(dag.orphanCount).toBe(0);
    expect(dag.offer(mk(P[1]!, 1, [bad.id]), "late").rejected[0]?.code).toBe("INVALID_ANCESTOR");
    expect(dag.size).toBe(0);
  });

  test("a timestamp earlier than a parent's is refused", () => {
    const dag = new HashDag(P);
    const a1 = mk(P[0]!, 1, [], 5000);
    dag.offer(a1, "p");
    expect(dag.offer(mk(P[1]!, 1, [a1.id], 4999), "p").rejected[0]?.code).toBe("BAD_TIMESTAMP");
    expect(dag.offer(mk(P[1]!, 1, [a1.id], 5000), "p").delivered).toHaveLength(1);
  });

  test("a non-participant's batch is never held", () => {
    const dag = new HashDag(P);
    const r = dag.offer(mk(("0x" + "99".repeat(20)) as Hex, 1, []), "p");
    expect(r.rejected).toHaveLength(1);
    expect(dag.size).toBe(0);
  });
});

describe("equivocation", () => {
  test("two batches by one author with the same seq: both delivered, evidence kept", () => {
    const dag = new HashDag(P);
    const a1 = mk(P[0]!, 1, [], 1000, 1);
    const a1x = mk(P[0]!, 1, [], 1001, 2);
    dag.offer(a1, "p");
    const r = dag.offer(a1x, "p");
    expect(r.delivered).toHaveLength(1);
    expect(r.equivocations).toHaveLength(1);
    const ev = dag.equivocations()[0]!;
    expect(ev).toMatchObject({ author: P[0], seq: 1, idA: a1.id, idB: a1x.id, headerA: a1.batch.header, headerB: a1x.batch.header });
    expect(ev.sigA).toBe(a1.batch.signature);
    expect(ev.sigB).toBe(a1x.batch.signature);
    expect(dag.heads()).toEqual([a1.id, a1x.id].sort());
    // a later batch of the author covering both has seq 2
    expect(dag.offer(mk(P[0]!, 2, [a1.id, a1x.id], 1001), "p").delivered).toHaveLength(1);
    expect(dag.equivocations()).toHaveLength(1);
  });
});

describe("orphan buffer", () => {
  test("bounded per peer; the flooding peer is flagged and its surplus dropped; other peers unaffected", () => {
    const dag = new HashDag(P, { maxOrphansPerPeer: 5, maxOrphansTotal: 100 });
    const ghost = ("0x" + "ee".repeat(32)) as Hex;
    const results = Array.from({ length: 12 }, (_, i) => dag.offer(mk(P[0]!, 1, [ghost], 1000, i), "flooder"));
    expect(results.filter((r) => r.pending)).toHaveLength(5);
    expect(results.slice(5).every((r) => r.rejected[0]?.code === "ORPHAN_LIMIT")).toBe(true);
    expect(dag.orphansOf("flooder")).toBe(5);
    expect(dag.abusivePeers().get("flooder")).toContain("ORPHAN_LIMIT");
    expect(dag.offer(mk(P[1]!, 1, [ghost]), "honest").pending).toBe(true);
    expect(dag.orphanCount).toBe(6);
    expect(dag.missing()).toEqual([ghost]);
  });

  test("bounded in total", () => {
    const dag = new HashDag(P, { maxOrphansPerPeer: 10, maxOrphansTotal: 3 });
    const ghost = ("0x" + "ee".repeat(32)) as Hex;
    const codes = Array.from({ length: 5 }, (_, i) => dag.offer(mk(P[0]!, 1, [ghost], 1000, i), `peer${i}`)).map((r) => (r.pending ? "pending" : r.rejected[0]?.code));
    expect(codes).toEqual(["pending", "pending", "pending", "ORPHAN_BUFFER_FULL", "ORPHAN_BUFFER_FULL"]);
    expect(dag.orphanCount).toBe(3);
  });
});

/** Kahn's algorithm from scratch, always emitting the smallest ready id: the definition of the order. */
function referenceOrder(nodes: Candidate[]): Hex[] {
  const emitted = new Set<Hex>();
  const out: Hex[] = [];
  const rest = new Set(nodes);
  while (rest.size > 0) {
    let best: Candidate | undefined;
    for (const n of rest) if (n.batch.header.parents.every((p) => emitted.has(p)) && (best === undefined || n.id < best.id)) best = n;
    rest.delete(best!);
    emitted.add(best!.id);
    out.push(best!.id);
  }
  return out;
}

describe("total order", () => {
  /** A random DAG: at each step a random author writes a batch whose parents are a random subset of what it has seen. */
  const dagArb = fc.array(fc.tuple(fc.nat(2), fc.array(fc.nat(), { maxLength: 3 })), { minLength: 1, maxLength: 40 }).map((steps) => {
    const all: Candidate[] = [];
    const seqOf = new Map<Hex, number[]>();
    for (const [author, picks] of steps) {
      const parents = new Set<Hex>();
      // always the author's own latest batch (honest seq), plus random others
      const own = [...all].reverse().find((c) => c.batch.header.author === P[author]);
      if (own !== undefined) parents.add(own.id);
      for (const p of picks) if (all.length > 0) parents.add(all[p % all.length]!.id);
      const clock = [0, 0, 0];
      for (const p of parents) seqOf.get(p)!.forEach((s, i) => (clock[i] = Math.max(clock[i]!, s)));
      const seq = clock[author]! + 1;
      clock[author] = seq;
      const c = mk(P[author]!, seq, [...parents]);
      seqOf.set(c.id, clock);
      all.push(c);
    }
    return all;
  });

  test("whatever the arrival order, the incremental order equals Kahn-with-smallest-id from scratch", () => {
    fc.assert(
      fc.property(dagArb, fc.func(fc.integer()), (all, key) => {
        const arrival = [...all].sort((x, y) => key(x.id) - key(y.id) || (x.id < y.id ? -1 : 1));
        const dag = new HashDag(P);
        const order = new TotalOrder();
        for (const c of arrival) {
          for (const n of dag.offer(c, "p").delivered) order.insert(n, (id) => dag.get(id as Hex));
          // after every step the order is that of the delivered set
          const delivered = all.filter((x) => dag.has(x.id));
          expect(order.nodes().map((n) => n.id)).toEqual(referenceOrder(delivered));
          order.nodes().forEach((n: DagNode, i) => expect(n.position).toBe(i));
        }
        expect(dag.size).toBe(all.length);
      }),
      { numRuns: 200 },
    );
  });
});
