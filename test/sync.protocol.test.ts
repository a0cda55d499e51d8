import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { BloomFilter } from "../src/sync/bloom.js";
import { chunkBatches, decodeMessage, DEFAULT_SYNC_LIMITS, encodeMessage, ProtocolError, type Hex, type SyncMessage } from "../src/sync/protocol.js";
import { Prng, SimNetwork } from "../src/sync/simNetwork.js";

const id = (n: number): Hex => ("0x" + createHash("sha256").update(String(n)).digest("hex")) as Hex;

describe("sync protocol codec", () => {
  it("round-trips every message type exactly", () => {
    const bloom = BloomFilter.forCount(3, 42);
    bloom.add(id(1));
    const msgs: SyncMessage[] = [
      { type: "request", session: 7, heads: [id(1), id(2)], bloom },
      { type: "request", session: 1, heads: [], bloom: undefined },
      { type: "response", session: 0xffffffff, heads: [id(3)], bloom: undefined, needs: [id(4)], batches: [new Uint8Array([1, 2, 3])] },
      { type: "needs", session: 9, ids: [id(5)] },
      { type: "batches", session: 0, batches: [new Uint8Array([9]), new Uint8Array([8, 7])] },
    ];
    for (const m of msgs) {
      const bytes = encodeMessage(m);
      const back = decodeMessage(bytes);
      expect(encodeMessage(back)).toEqual(bytes);
      expect(back.type).toBe(m.type);
    }
    // header: version 1, type 3 (needs), session 9, count 1, one id
    const needs = encodeMessage({ type: "needs", session: 9, ids: [id(5)] });
    expect([...needs.subarray(0, 8)]).toEqual([1, 3, 0, 0, 0, 9, 0, 1]);
    expect(needs.length).toBe(8 + 32);
  });

  it("rejects non-canonical and oversized input with ProtocolError", () => {
    const good = encodeMessage({ type: "needs", session: 1, ids: [id(1)] });
    const bad = (b: Uint8Array, msg: RegExp): void => {
      expect(() => decodeMessage(b)).toThrow(ProtocolError);
      expect(() => decodeMessage(b)).toThrow(msg);
    };
    bad(new Uint8Array([...good, 0]), /trailing/);
    bad(good.subarray(0, good.length - 1), /truncated/);
    bad(new Uint8Array([2, ...good.subarray(1)]), /version/);
    bad(new Uint8Array([1, 9, 0, 0, 0, 1]), /unknown message type 9/);
    const dup = encodeMessage({ type: "needs", session: 1, ids: [id(1), id(2)] });
    dup.set(dup.subarray(8, 40), 40);
    bad(dup, /duplicate/);
    const flag = encodeMessage({ type: "request", session: 1, heads: [] });
    flag[flag.length - 1] = 2;
    bad(flag, /bloom flag/);
    const small = { ...DEFAULT_SYNC_LIMITS, maxIds: 1 };
    expect(() => decodeMessage(dup, small)).toThrow(/exceed the limit 1/);
    expect(() => encodeMessage({ type: "needs", session: 1, ids: [id(1), id(2)] }, small)).toThrow(ProtocolError);
    bad(encodeMessage({ type: "batches", session: 1, batches: [] }).subarray(0, 6), /truncated batch count/);
  });

  it("never throws anything but ProtocolError on random bytes (fuzz)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it("chunks batches by count and bytes, keeping order", () => {
    const b = Array.from({ length: 5 }, (_, i) => new Uint8Array(100).fill(i));
    const chunks = chunkBatches(b, { ...DEFAULT_SYNC_LIMITS, maxBatches: 2 });
    expect(chunks.map((c) => c.map((x) => x[0]))).toEqual([[0, 1], [2, 3], [4]]);
    const byBytes = chunkBatches(b, { ...DEFAULT_SYNC_LIMITS, maxMessageBytes: 64 + 2 * 104 });
    expect(byBytes.map((c) => c.length)).toEqual([2, 2, 1]);
  });
});

describe("Bloom filter", () => {
  it("has no false negatives and the expected false-positive count at 10 bits/element", () => {
    const f = BloomFilter.forCount(1000, 1234);
    for (let i = 0; i < 1000; i++) f.add(id(i));
    for (let i = 0; i < 1000; i++) expect(f.has(id(i))).toBe(true);
    let fp = 0;
    for (let i = 1000; i < 11000; i++) if (f.has(id(i))) fp++;
    expect(f.mBits).toBe(10000);
    expect(fp).toBe(82); // 0.82 % of 10,000 non-members; theory (1-e^{-0.7})^7 = 0.82 %
  });
  it("rejects bad parameters", () => {
    expect(() => new BloomFilter(12, 7, 0)).toThrow(/multiple of 8/);
    expect(() => new BloomFilter(64, 0, 0)).toThrow(/k must be/);
  });
});

describe("seeded simulated network", () => {
  it("sfc32 PRNG: same seed, same stream", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(new Prng(43).nextU32()).not.toBe(xs[0]);
  });

  const run = (seed: number): string[] => {
    const net = new SimNetwork(seed, { dropProbability: 0.2, duplicateProbability: 0.2, reorderProbability: 0.3, partitions: [{ fromMs: 50, untilMs: 100, groups: [["a"], ["b", "c"]] }] });
    const log: string[] = [];
    for (const n of ["a", "b", "c"]) {
      const t = net.node(n);
      t.setHandlers({
        message: (from, bytes) => log.push(`${net.now().toFixed(3)} ${from}->${n} ${bytes[0]}`),
        connect: (p) => log.push(`${net.now().toFixed(3)} ${n} up ${p}`),
        disconnect: (p, why) => log.push(`${net.now().toFixed(3)} ${n} down ${p} ${why}`),
      });
    }
    for (let i = 0; i < 40; i++) net.at(i * 4, () => net.node("a").send(i % 2 === 0 ? "b" : "c", new Uint8Array([i])));
    net.runUntil(1000);
    return log;
  };

  it("same seed gives the same schedule, another seed another; partitions cut and heal", () => {
    const a = run(1);
    expect(run(1)).toEqual(a);
    expect(run(2)).not.toEqual(a);
    expect(a.filter((l) => l.includes("down"))).toEqual(["50.000 a down b partitioned", "50.000 b down a partitioned", "50.000 a down c partitioned", "50.000 c down a partitioned"]);
    expect(a.filter((l) => / up /.test(l) && l.startsWith("100.000")).length).toBe(4);
    // nothing sent during the partition arrives
    const deliveries = a.filter((l) => l.includes("->")).map((l) => Number(l.split(" ")[0]));
    expect(deliveries.filter((t) => t >= 50 && t < 100)).toEqual([]);
    expect(deliveries.length).toBeGreaterThan(20);
  });
});
