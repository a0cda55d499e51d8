import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createBatch, domainSeparator, type Batch } from "../src/channel/batch.js";
import { decodeBatch } from "../src/channel/codec.js";
import { createSigner, recoverAddress, type Hex, type Signer } from "../src/channel/identity.js";
import { ChannelConfigError, Replica, genesisEngine, type ChannelConfig } from "../src/channel/replica.js";
import { applyBatch } from "../src/channel/tentative.js";
import type { Op } from "../src/core/ops.js";
import { CHANNEL_ID, CONTRACT, configFor, keyOf, signers } from "./channel.helpers.js";

/** Small deterministic PRNG (mulberry32) so a fast-check seed fixes a whole run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random but plausible ops of `me`: orders around 2000 ticks, cancels, swaps, transfers, some over its balance. */
function randomOps(r: () => number, me: string, others: string[], n: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    const side = r() < 0.5 ? "buy" : "sell";
    if (x < 0.45) ops.push({ type: "placeOrder", account: me, market: "WETH-USDC", side, priceTicks: 1990 + Math.floor(r() * 20), lots: 1 + Math.floor(r() * 50) });
    else if (x < 0.6) ops.push({ type: "marketOrder", account: me, market: "WETH-USDC", side, lots: 1 + Math.floor(r() * 30), worstPriceTicks: side === "buy" ? 2100 : 1900 });
    else if (x < 0.75) ops.push({ type: "cancelOrder", account: me, market: "WETH-USDC", orderId: 1 + Math.floor(r() * 60) });
    else if (x < 0.85) ops.push({ type: "addLiquidity", account: me, pool: "WETH/USDC", amount0Desired: 10n ** 18n, amount1Desired: 2_000_000_000n });
    else if (x < 0.93) ops.push({ type: "swap", account: me, pool: "WETH/USDC", tokenIn: r() < 0.5 ? "USDC" : "WETH", amountIn: BigInt(1 + Math.floor(r() * 1e9)) });
    else ops.push({ type: "transfer", from: me, to: others[Math.floor(r() * others.length)]!, token: "USDC", amount: BigInt(Math.floor(r() * 2e12)) + 1n });
  }
  return ops;
}

/** Recomputes the tentative state from scratch: genesis, then every batch in the replica's order. */
function fromScratch(replica: Replica): string {
  const engine = genesisEngine(replica.participants, replica.config.genesis);
  for (const id of replica.batchIdsInOrder()) {
    const b = replica.getBatch(id)!;
    applyBatch(engine, b.ops, b.header.author);
  }
  return engine.stateRoot();
}

interface World {
  ss: Signer[];
  cfg: ChannelConfig;
  replicas: Replica[];
  all: Map<Hex, Uint8Array>;
}

/**
 * `rounds` rounds; in each, every replica authors a batch with what it has, then every replica
 * receives a random subset of the batches it lacks (random order), so concurrency and partial views
 * are common. Returns every batch's bytes.
 */
function simulate(n: number, rounds: number, seed: number, limits?: ChannelConfig["limits"], canonicalize: "eager" | "onRead" = "eager"): World {
  const ss = signers(n);
  const cfg = configFor(ss, undefined, limits);
  const replicas = ss.map((s, i) => new Replica(cfg, s, { now: () => 1_700_000_000_000 + i, canonicalize }));
  const r = rng(seed);
  const all = new Map<Hex, Uint8Array>();
  for (let round = 0; round < rounds; round++) {
    replicas.forEach((rep, i) => {
      if (r() < 0.2) return; // sometimes idle
      const me = ss[i]!.address;
      const res = rep.submit(randomOps(r, me, ss.map((s) => s.address).filter((a) => a !== me), 1 + Math.floor(r() * 12)));
      all.set(res.id, res.bytes);
    });
    for (const rep of replicas) {
      const ids = [...all.keys()].filter((id) => !rep.knows(id) && r() < 0.6);
      ids.sort(() => r() - 0.5);
      for (const id of ids) expect(rep.receive(all.get(id)!, "peer").error).toBeUndefined();
    }
  }
  return { ss, cfg, replicas, all };
}

function deliverAll(rep: Replica, all: Map<Hex, Uint8Array>, order: Hex[]): void {
  for (const id of order) expect(rep.receive(all.get(id)!, "peer").error).toBeUndefined();
}

describe("convergence", () => {
  test("replicas that receive the same batches in different orders reach the same state root, equal to a from-scratch replay", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 8 }), fc.integer(), fc.array(fc.integer(), { minLength: 3, maxLength: 3 }), (n, rounds, seed, shuffles) => {
        const { replicas, all } = simulate(n, rounds, seed);
        // finish with every batch, each replica in its own random order (orphans buffer until parents arrive)
        replicas.forEach((rep, i) => {
          const r = rng(shuffles[i % 3]! + i);
          const ids = [...all.keys()].sort(() => r() - 0.5);
          deliverAll(rep, all, ids);
        });
        // and a fresh observer replica (no signer) that gets everything in reverse authoring order
        const observer = new Replica(replicas[0]!.config);
        deliverAll(observer, all, [...all.keys()].reverse());
        const root = replicas[0]!.stateRoot();
        for (const rep of [...replicas, observer]) {
          expect(rep.deliveredCount).toBe(all.size);
          expect(rep.missing()).toEqual([]);
          expect(rep.stateRoot()).toBe(root);
          expect(rep.exitRoot()).toBe(replicas[0]!.exitRoot());
          expect(rep.batchIdsInOrder()).toEqual(replicas[0]!.batchIdsInOrder());
          expect(rep.heads()).toEqual(replicas[0]!.heads());
          expect(rep.getCurrentState().checkConservation().ok).toBe(true);
        }
        expect(fromScratch(observer)).toBe(root);
      }),
      { numRuns: 40 },
    );
  });

  test("canonicalize onRead: arrivals applied at once in arrival order, the canonical state restored on read — same batches and roots as eager replicas", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 6 }), fc.integer(), (n, rounds, seed) => {
        const eager = simulate(n, rounds, seed, { snapshotIntervalOps: 16, snapshotOpsPerObject: 0 });
        const lazy = simulate(n, rounds, seed, { snapshotIntervalOps: 16, snapshotOpsPerObject: 0 }, "onRead");
        // same seed, same ops: the same batches exist (ids only depend on headers, which do not depend on results)
        expect(new Set(lazy.all.keys())).toEqual(new Set(eager.all.keys()));
        const all = lazy.all;
        lazy.replicas.forEach((rep, i) => deliverAll(rep, all, [...all.keys()].filter((id) => !rep.knows(id)).sort((a, b) => (i % 2 === 0 ? (a < b ? -1 : 1) : a < b ? 1 : -1))));
        eager.replicas.forEach((rep) => deliverAll(rep, all, [...all.keys()].filter((id) => !rep.knows(id))));
        const root = eager.replicas[0]!.stateRoot();
        for (const rep of [...lazy.replicas, ...eager.replicas]) {
          expect(rep.stateRoot()).toBe(root);
          expect(rep.getCurrentState().checkConservation().ok).toBe(true);
        }
        expect(fromScratch(lazy.replicas[0]!)).toBe(root);
        // once read, results are the canonical ones on both kinds of replica
        for (const id of all.keys()) expect(lazy.replicas[1]!.resultsOf(id)).toEqual(eager.replicas[0]!.resultsOf(id));
      }),
      { numRuns: 25 },
    );
  });

  test("the snapshot/replay path runs (batches arriving in descending id order) and equals a from-scratch replay", () => {
    const { replicas, all } = simulate(4, 6, 12345, { snapshotIntervalOps: 8, snapshotOpsPerObject: 0, maxSnapshots: 4 });
    const late = new Replica(replicas[0]!.config, undefined);
    // topological order by authoring, but each round's concurrent batches reversed by id: maximal reordering
    const ids = [...all.keys()];
    const byId = [...ids].sort().reverse();
    const delivered = new Set<Hex>();
    while (delivered.size < ids.length) {
      for (const id of byId) {
        if (delivered.has(id)) continue;
        const parents = decodeBatch(all.get(id)!).header.parents;
        if (parents.every((p) => delivered.has(p))) {
          expect(late.receive(all.get(id)!, "peer").accepted).toEqual([id]);
          delivered.add(id);
          late.stateRoot(); // read after every batch: forces each replay
        }
      }
    }
    expect(late.stats.replays).toBeGreaterThan(0);
    expect(late.stats.batchesReplayed).toBeGreaterThan(0);
    expect(late.stats.snapshotsTaken).toBeGreaterThan(0);
    expect(late.stats.snapshotsKept).toBeLessThanOrEqual(4);
    expect(late.stateRoot()).toBe(fromScratch(late));
    for (const rep of replicas) deliverAll(rep, all, ids.filter((id) => !rep.has(id)));
    for (const rep of replicas) expect(rep.stateRoot()).toBe(late.stateRoot());
  });

  test("an own batch is applied at once (fast path) and its results are the tentative results; an earlier-sorting concurrent batch changes them", () => {
    const ss = signers(2);
    const cfg = configFor(ss);
    const a = new Replica(cfg, ss[0]);
    const b = new Replica(cfg, ss[1]);
    // both sell into nothing: each order rests in its own view
    const sa = a.submit([{ type: "placeOrder", account: ss[0]!.address, market: "WETH-USDC", side: "sell", priceTicks: 2000, lots: 5 }]);
    const sb = b.submit([{ type: "placeOrder", account: ss[1]!.address, market: "WETH-USDC", side: "buy", priceTicks: 2000, lots: 5 }]);
    expect(a.stats.replays).toBe(0);
    expect(sa.results[0]).toMatchObject({ status: "accepted", orderId: 1, orderStatus: "resting" });
    expect(sb.results[0]).toMatchObject({ status: "accepted", orderId: 1, orderStatus: "resting" });
    a.receive(sb.bytes, "b");
    b.receive(sa.bytes, "a");
    // after the merge, the one sorting first rests and the other fills against it, on both replicas
    const [first, second] = sa.id < sb.id ? [sa, sb] : [sb, sa];
    for (const rep of [a, b]) {
      expect(rep.batchIdsInOrder()).toEqual([first.id, second.id]);
      expect(rep.resultsOf(first.id)![0]).toMatchObject({ orderId: 1, orderStatus: "resting" });
      expect(rep.resultsOf(second.id)![0]).toMatchObject({ orderId: 2, orderStatus: "filled", filledLots: 5 });
    }
    expect(a.stateRoot()).toBe(b.stateRoot());
    // each own batch is applied at once in its own view: delivered, then applied, in that order
    const events: string[] = [];
    a.on("delivered", (node) => events.push(`delivered ${node.id.slice(0, 6)}`));
    a.on("applied", (node, results, replayed) => events.push(`applied ${node.id.slice(0, 6)} ${results.length} ${replayed}`));
    const s3 = a.submit([{ type: "placeOrder", account: ss[0]!.address, market: "WETH-USDC", side: "sell", priceTicks: 2100, lots: 2 }]);
    expect(events).toEqual([`delivered ${s3.id.slice(0, 6)}`, `applied ${s3.id.slice(0, 6)} 1 false`]);
    expect(s3.batch.header.seq).toBe(2);
    expect(s3.batch.header.parents).toEqual([first.id, second.id].sort());
    expect(a.heads()).toEqual([s3.id]);
    expect(s3.results[0]).toMatchObject({ status: "accepted", orderId: 3, orderStatus: "resting" });
  });
});

describe("Byzantine input", () => {
  test("equivocation: both batches delivered everywhere, evidence recorded (signatures verify), replicas converge", () => {
    const ss = signers(3);
    const cfg = configFor(ss);
    const honest = [new Replica(cfg, ss[0]), new Replica(cfg, ss[1])];
    const sep = domainSeparator({ chainId: cfg.chainId, verifyingContract: cfg.verifyingContract });
    const evil = ss[2]!;
    const x = createBatch({ separator: sep, channelId: CHANNEL_ID, seq: 1, parents: [], timestamp: 10, ops: [{ type: "transfer", from: evil.address, to: ss[0]!.address, token: "USDC", amount: 900_000_000_000n }] }, evil);
    const y = createBatch({ separator: sep, channelId: CHANNEL_ID, seq: 1, parents: [], timestamp: 10, ops: [{ type: "transfer", from: evil.address, to: ss[1]!.address, token: "USDC", amount: 900_000_000_000n }] }, evil);
    const seen: Hex[] = [];
    honest[1]!.on("equivocation", (ev) => seen.push(ev.author));
    honest[0]!.receive(x.bytes, "evil");
    honest[1]!.receive(y.bytes, "evil");
    const s0 = honest[0]!.submit([{ type: "withdraw", account: ss[0]!.address, token: "USDC", amount: 1n }]);
    honest[1]!.receive(x.bytes, "r0");
    honest[0]!.receive(y.bytes, "r1");
    honest[1]!.receive(s0.bytes, "r0");
    for (const rep of honest) {
      expect(rep.has(x.id) && rep.has(y.id)).toBe(true);
      const ev = rep.equivocations();
      expect(ev).toHaveLength(1);
      expect(ev[0]!.author).toBe(evil.address);
      expect(ev[0]!.seq).toBe(1);
      expect(new Set([ev[0]!.idA, ev[0]!.idB])).toEqual(new Set([x.id, y.id]));
      // the evidence alone proves it: both signatures recover to the author over their own headers
      const idA = Buffer.from(ev[0]!.idA.slice(2), "hex");
      expect(recoverAddress(idA, ev[0]!.sigA)).toBe(evil.address);
      // the second transfer exceeds the remaining balance: conservation holds
      expect(rep.getCurrentState().checkConservation().ok).toBe(true);
      expect(rep.getCurrentState().balanceOf(evil.address, "USDC")).toBe(100_000_000_000n);
    }
    expect(seen).toEqual([evil.address]);
    expect(honest[0]!.stateRoot()).toBe(honest[1]!.stateRoot());
  });

  test("a non-participant's batch is refused and never delivered", () => {
    const ss = signers(2);
    const rep = new Replica(configFor(ss), ss[0]);
    const outsider = createSigner(keyOf(99));
    const sep = domainSeparator({ chainId: 31337, verifyingContract: CONTRACT });
    const b = createBatch({ separator: sep, channelId: CHANNEL_ID, seq: 1, parents: [], timestamp: 1, ops: [] }, outsider);
    const before = rep.stateRoot();
    const r = rep.receive(b.bytes, "mallory");
    expect(r.error?.code).toBe("NOT_PARTICIPANT");
    expect(r.accepted).toEqual([]);
    expect(rep.has(b.id)).toBe(false);
    expect(rep.knows(b.id)).toBe(false);
    expect(rep.stateRoot()).toBe(before);
  });

  test("bad signatures, tampered payloads, wrong channels and malformed bytes are refused with a code and change nothing", () => {
    const ss = signers(2);
    const cfg = configFor(ss);
    const a = new Replica(cfg, ss[0]);
    const b = new Replica(cfg, ss[1]);
    const s = a.submit([{ type: "placeOrder", account: ss[0]!.address, market: "WETH-USDC", side: "sell", priceTicks: 2000, lots: 5 }]);
    const before = b.stateRoot();
    // no parents: version, channelId, author, seq, timestamp, parent count 0, payloadDigest, then the signature
    const sigStart = 1 + 32 + 20 + 8 + 8 + 1 + 32;
    const tamper = (at: number, v: number): Uint8Array => {
      const c = Uint8Array.from(s.bytes);
      c[at] = v;
      return c;
    };
    const cases: [Uint8Array, string][] = [
      [tamper(sigStart + 5, s.bytes[sigStart + 5]! ^ 1), "BAD_SIGNATURE"],
      [tamper(sigStart + 64, 29), "BAD_SIGNATURE"],
      [tamper(s.bytes.length - 1, s.bytes[s.bytes.length - 1]! === 5 ? 6 : 5), "BAD_PAYLOAD_DIGEST"],
      [tamper(1, s.bytes[1]! ^ 0xff), "WRONG_CHANNEL"],
      [tamper(1 + 32 + 20 + 7, 9), "BAD_SIGNATURE"], // seq changed: the signature no longer matches
      [s.bytes.subarray(0, 50), "CODEC_TRUNCATED"],
      [Uint8Array.from([...s.bytes, 0]), "CODEC_TRAILING_BYTES"],
      [new Uint8Array(0), "CODEC_TRUNCATED"],
    ];
    for (const [bytes, code] of cases) {
      const r = b.receive(bytes, "x");
      expect(r.error?.code).toBe(code);
      expect(r.accepted).toEqual([]);
    }
    expect(b.deliveredCount).toBe(0);
    expect(b.stateRoot()).toBe(before);
    expect(b.receive(s.bytes, "a").accepted).toEqual([s.id]);
    expect(b.receive(s.bytes, "a")).toMatchObject({ duplicate: true, accepted: [] });
  });

  test("an orphan flood is bounded; the flooder is flagged; honest traffic still flows", () => {
    const ss = signers(2);
    const cfg = configFor(ss, undefined, { maxOrphansPerPeer: 16 });
    const victim = new Replica(cfg, ss[0]);
    const sep = domainSeparator({ chainId: 31337, verifyingContract: CONTRACT });
    const evil = ss[1]!;
    const ghost = ("0x" + "aa".repeat(32)) as Hex;
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const b = createBatch({ separator: sep, channelId: CHANNEL_ID, seq: 2, parents: [ghost], timestamp: i, ops: [] }, evil);
      const r = victim.receive(b.bytes, "flooder");
      codes.push(r.error?.code ?? (r.pending.length > 0 ? "pending" : "?"));
    }
    expect(codes.filter((c) => c === "pending")).toHaveLength(16);
    expect(codes.filter((c) => c === "ORPHAN_LIMIT")).toHaveLength(84);
    expect(victim.abusivePeers().has("flooder")).toBe(true);
    expect(victim.missing()).toEqual([ghost]);
    const own = victim.submit([{ type: "withdraw", account: ss[0]!.address, token: "USDC", amount: 1n }]);
    expect(victim.has(own.id)).toBe(true);
    expect(victim.getCurrentState().balanceOf(ss[0]!.address, "USDC")).toBe(1_000_000_000_000n - 1n);
  });

  test("references to parents that are never sent: the batch waits, the rest of the channel goes on", () => {
    const ss = signers(3);
    const cfg = configFor(ss);
    const [a, b, c] = ss.map((s) => new Replica(cfg, s));
    const hidden = b!.submit([{ type: "withdraw", account: ss[1]!.address, token: "USDC", amount: 1n }]);
    const onTop = b!.submit([{ type: "withdraw", account: ss[1]!.address, token: "USDC", amount: 2n }]);
    const r = a!.receive(onTop.bytes, "b");
    expect(r.pending).toEqual([onTop.id]);
    expect(r.missing).toEqual([hidden.id]);
    const fromC = c!.submit([{ type: "transfer", from: ss[2]!.address, to: ss[0]!.address, token: "USDC", amount: 7n }]);
    expect(a!.receive(fromC.bytes, "c").accepted).toEqual([fromC.id]);
    const fromA = a!.submit([{ type: "transfer", from: ss[0]!.address, to: ss[2]!.address, token: "USDC", amount: 3n }]);
    expect(c!.receive(fromA.bytes, "a").accepted).toEqual([fromA.id]);
    expect(a!.stateRoot()).toBe(c!.stateRoot());
    expect(a!.missing()).toEqual([hidden.id]);
    expect(a!.receive(hidden.bytes, "b").accepted).toEqual([hidden.id, onTop.id]);
  });
});

describe("permissions", () => {
  test("acting for another account, setup ops in batches and trades an Observer's role forbids are NOT_PERMITTED, identically on every replica", () => {
    const ss = signers(3);
    const cfg = configFor(ss, [["Trader"], ["MarketMaker"], ["Observer"]]);
    const reps = ss.map((s) => new Replica(cfg, s));
    const [t, , o] = ss;
    const ops: Op[] = [
      { type: "transfer", from: ss[1]!.address, to: t!.address, token: "USDC", amount: 1n },
      { type: "placeOrder", account: ss[1]!.address, market: "WETH-USDC", side: "buy", priceTicks: 1, lots: 1 },
      { type: "deposit", account: t!.address, token: "USDC", amount: 10n ** 20n },
      { type: "createToken", symbol: "FAKE", decimals: 0 },
      { type: "createAccount", account: "sock" },
      { type: "advanceTime", timeMs: 10 ** 12 },
      { type: "placeOrder", account: t!.address, market: "WETH-USDC", side: "buy", priceTicks: 1, lots: 1 },
    ];
    const res = reps[0]!.submit(ops);
    expect(res.results.map((r) => (r.status === "rejected" ? r.code : "accepted"))).toEqual([
      "NOT_PERMITTED",
      "NOT_PERMITTED",
      "NOT_PERMITTED",
      "NOT_PERMITTED",
      "NOT_PERMITTED",
      "NOT_PERMITTED",
      "accepted",
    ]);
    const obs = reps[2]!.submit([
      { type: "placeOrder", account: o!.address, market: "WETH-USDC", side: "buy", priceTicks: 1, lots: 1 },
      { type: "swap", account: o!.address, pool: "WETH/USDC", tokenIn: "USDC", amountIn: 5n },
      { type: "withdraw", account: o!.address, token: "USDC", amount: 5n },
    ]);
    expect(obs.results.map((r) => (r.status === "rejected" ? r.code : "accepted"))).toEqual(["NOT_PERMITTED", "NOT_PERMITTED", "accepted"]);
    for (const rep of reps.slice(1)) rep.receive(res.bytes, "0");
    reps[1]!.receive(obs.bytes, "2");
    reps[0]!.receive(obs.bytes, "2");
    expect(reps[1]!.resultsOf(res.id)).toEqual(res.results);
    expect(reps[0]!.stateRoot()).toBe(reps[1]!.stateRoot());
  });

  test("invalid configs are refused with a code", () => {
    const ss = signers(2);
    const cfg = configFor(ss);
    const code = (fn: () => unknown): string => {
      try {
        fn();
        return "none";
      } catch (error) {
        return (error as ChannelConfigError).code;
      }
    };
    expect(code(() => new Replica({ ...cfg, channelId: "0x12" as Hex }))).toBe("INVALID_CONFIG");
    expect(code(() => new Replica({ ...cfg, participants: [cfg.participants[0]!, cfg.participants[0]!] }))).toBe("INVALID_CONFIG");
    expect(code(() => new Replica({ ...cfg, genesis: [{ type: "deposit", account: "nobody", token: "USDC", amount: 1n }] }))).toBe("GENESIS_REJECTED");
    expect(code(() => new Replica(cfg, createSigner(keyOf(50))))).toBe("NOT_A_PARTICIPANT");
    expect(code(() => new Replica({ ...cfg, limits: { maxOpsPerBatch: 0 } }))).toBe("INVALID_CONFIG");
    expect(code(() => new Replica(cfg).submit([]))).toBe("NOT_A_PARTICIPANT");
  });

  test("ops that cannot be encoded make submit throw a CodecError and change nothing", () => {
    const ss = signers(1);
    const rep = new Replica(configFor(ss), ss[0]);
    const root = rep.stateRoot();
    expect(() => rep.submit([{ type: "withdraw", account: ss[0]!.address, token: "USDC", amount: -1n }])).toThrow(/0\.\.2\^256-1/);
    expect(rep.deliveredCount).toBe(0);
    expect(rep.stateRoot()).toBe(root);
  });
});

describe("sync support", () => {
  test("deliveredSince gives what was added since a delivery index; topological() orders ids parents-first", () => {
    const { replicas, all } = simulate(3, 4, 7);
    const rep = replicas[0]!;
    const mark = rep.deliveredCount;
    const rest = [...all.keys()].filter((id) => !rep.has(id));
    deliverAll(rep, all, rest.sort());
    expect(new Set(rep.deliveredSince(mark))).toEqual(new Set(rest.filter((id) => rep.has(id))));
    const topo = rep.topological([...all.keys()].reverse());
    const pos = new Map(topo.map((id, i) => [id, i]));
    for (const id of topo) for (const p of (rep.getBatch(id) as Batch).header.parents) expect(pos.get(p)!).toBeLessThan(pos.get(id)!);
    expect(rep.encodedBatch(topo[0]!)).toEqual(all.get(topo[0]!));
  });
});

describe("receiveMany with a verification pool", () => {
  test("the pool recovers exactly what recoverAddress does (valid, tampered, high-s, malformed)", async () => {
    const { VerifyPool } = await import("../src/channel/verifyPool.js");
    const pool = new VerifyPool(2);
    try {
      const s = createSigner(keyOf(7));
      const items = Array.from({ length: 40 }, (_, i) => {
        const digest = new Uint8Array(32).fill(i + 1);
        const signature = s.sign(digest);
        if (i % 5 === 1) signature[10] = signature[10]! ^ 1; // recovers someone else (or nothing)
        if (i % 5 === 2) signature[64] = 30; // bad v
        if (i % 5 === 3) signature.set(new Uint8Array(32).fill(0xff), 32); // s ≥ n/2
        return { digest, signature };
      });
      const got = await pool.recover(items);
      expect(got).toEqual(items.map((it) => recoverAddress(it.digest, it.signature)));
      expect(got.filter((a) => a === s.address)).toHaveLength(16);
    } finally {
      await pool.close();
    }
  });

  test("a burst through the pool gives the same results and state as receive() one by one", async () => {
    const { VerifyPool } = await import("../src/channel/verifyPool.js");
    const { replicas, all } = simulate(3, 6, 99);
    const items = [...all.entries()].map(([, bytes]) => ({ bytes, fromPeer: "p" }));
    const forged = Uint8Array.from(items[0]!.bytes);
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 1;
    const dup = items[1]!;
    const burst = [...items, { bytes: forged, fromPeer: "evil" }, dup];
    const pool = new VerifyPool(2);
    try {
      const viaPool = new Replica(replicas[0]!.config);
      const oneByOne = new Replica(replicas[0]!.config);
      const a = await viaPool.receiveMany(burst, pool, 4);
      const b = burst.map((it) => oneByOne.receive(it.bytes, it.fromPeer));
      expect(a).toEqual(b);
      expect(a[a.length - 2]!.error?.code).toBe("BAD_PAYLOAD_DIGEST");
      expect(a[a.length - 1]!.duplicate).toBe(true);
      expect(viaPool.stateRoot()).toBe(oneByOne.stateRoot());
      expect(viaPool.deliveredCount).toBe(all.size);
    } finally {
      await pool.close();
    }
  });
});
