import { hashTypedData, recoverTypedDataAddress } from "viem";
import { describe, expect, test } from "vitest";
import { domainSeparator, toHex } from "../src/channel/batch.js";
import { Checkpointer, checkpointValueId, type CheckpointCertificate, type CheckpointValue, type CheckpointWalEntry, type CheckpointWire } from "../src/channel/checkpoint.js";
import { CHECKPOINT_TYPES, checkpointDigest, PROPOSAL_TYPES, proposalDigest, VOTE_TYPES, voteDigest } from "../src/channel/checkpointTypes.js";
import { prngFunction as prng } from "../src/runtime/prng.js";
import { loopback } from "./checkpoint.net.js";
import { messageDigest, type SignedProposal, type SignedVote } from "../src/channel/consensus/tendermint.js";
import type { Hex, Signer } from "../src/channel/identity.js";
import { Replica } from "../src/channel/replica.js";
import type { Op } from "../src/core/ops.js";
import { CHANNEL_ID, CONTRACT, configFor, signers as makeSigners } from "./channel.helpers.js";

const DOMAIN = { name: "Semilattice", version: "1", chainId: 31337, verifyingContract: CONTRACT } as const;
const SEP = domainSeparator({ chainId: 31337, verifyingContract: CONTRACT });

describe("checkpoint typed data", () => {
  test("Checkpoint, Proposal and Vote digests equal viem's hashTypedData", () => {
    const cp = { channelId: CHANNEL_ID, height: 7, stateRoot: toHex(new Uint8Array(32).fill(2)), exitRoot: toHex(new Uint8Array(32).fill(3)), time: 1_763_700_000_123 };
    expect(toHex(checkpointDigest(SEP, cp))).toBe(hashTypedData({ domain: DOMAIN, types: CHECKPOINT_TYPES, primaryType: "Checkpoint", message: { ...cp, height: 7n, time: 1_763_700_000_123n } }));
    const p = { channelId: CHANNEL_ID, height: 3, round: 2, valueId: cp.stateRoot, validRound: -1 };
    expect(toHex(proposalDigest(SEP, p))).toBe(hashTypedData({ domain: DOMAIN, types: PROPOSAL_TYPES, primaryType: "Proposal", message: { ...p, height: 3n } }));
    const v = { channelId: CHANNEL_ID, height: 3, round: 2, voteType: 1 as const, valueId: cp.exitRoot };
    expect(toHex(voteDigest(SEP, v))).toBe(hashTypedData({ domain: DOMAIN, types: VOTE_TYPES, primaryType: "Vote", message: { ...v, height: 3n } }));
  });
});

interface Net {
  now: () => number;
  reps: Replica[];
  cps: Checkpointer[];
  signers: Signer[];
  certs: CheckpointCertificate[][];
  decisions: CheckpointValue[][];
  submit(i: number, ops: Op[], withhold?: boolean): Hex;
  /** Runs until `until` returns true or virtual time passes `maxMs`. */
  run(until: () => boolean, maxMs: number): void;
  withheld: Map<Hex, Uint8Array>;
  /** Each checkpointer's write-ahead log (what `persist` was given). */
  wals: CheckpointWalEntry[][];
  /** Every checkpoint message sent, by anyone, in order. */
  sent: CheckpointWire[];
  /** Crash node i now (its timers and messages in flight die) and restart it from its delivered batches and WAL. */
  restart(i: number): void;
}

/**
 * n replicas + checkpointers on a seeded virtual-time network (delays 1..maxDelay ms). Batches are
 * broadcast on submit (unless withheld); a replica that lacks batches a proposal needs asks the
 * proposal's sender, which answers with what it holds. `byzantine` rewrites a node's outgoing
 * proposals (value and signature).
 */
function network(n: number, seed: number, opts: { maxDelay?: number; byzantine?: (w: CheckpointWire, signer: Signer) => CheckpointWire; byzIndex?: number; refuseFetchFrom?: number; rebaseHeights?: number; historyHeights?: number } = {}): Net {
  const rand = prng(seed);
  const ss = makeSigners(n);
  const cfg = configFor(ss);
  const reps: Replica[] = [];
  const cps: Checkpointer[] = [];
  const net = loopback({ n, startMs: 1_763_700_000_000, delay: () => 1 + Math.floor(rand() * (opts.maxDelay ?? 5)), nodes: () => ({ reps, cps }) });
  const clock = net.now;
  for (const s of ss) reps.push(new Replica(cfg, s, { now: clock }));
  const certs: CheckpointCertificate[][] = ss.map(() => []);
  const decisions: CheckpointValue[][] = ss.map(() => []);
  const withheld = new Map<Hex, Uint8Array>();
  const wals: CheckpointWalEntry[][] = ss.map(() => []);
  const sent: CheckpointWire[] = [];
  const delivered: Uint8Array[][] = ss.map(() => []);
  const epochs = ss.map(() => 0);
  const listen = (r: Replica, i: number): void => void r.on("delivered", (d) => delivered[i]!.push(d.bytes));
  reps.forEach(listen);
  const makeCp = (r: Replica, i: number, restore?: CheckpointWalEntry[]): Checkpointer => {
    const epoch = epochs[i]!;
    const c = new Checkpointer(r, {
      signer: ss[i]!,
      now: clock,
      checkpointIntervalMs: 20,
      persist: (e) => wals[i]!.push(e),
      ...(opts.rebaseHeights !== undefined ? { rebaseHeights: opts.rebaseHeights } : {}),
      ...(opts.historyHeights !== undefined ? { historyHeights: opts.historyHeights } : {}),
      ...(restore !== undefined ? { restore } : {}),
      send: (w, to) => {
        if (epochs[i] !== epoch) return; // a crashed incarnation says nothing more
        const out = opts.byzIndex === i && opts.byzantine !== undefined ? opts.byzantine(w, ss[i]!) : w;
        sent.push(out);
        net.send(i, out, to);
      },
      schedule: (ms, fn) => net.schedule(ms, () => void (epochs[i] === epoch && fn())),
    });
    c.onCheckpoint((cert) => certs[i]!.push(cert));
    c.onDecide((v) => decisions[i]!.push(v));
    return c;
  };
  reps.forEach((r, i) => cps.push(makeCp(r, i)));
  const fetchFor = (i: number, from: number): void => {
    if (from === opts.refuseFetchFrom) return;
    // i asks `from` for what it misses: `from` sends every batch it holds that i lacks, parents first
    const lacking = reps[from]!.batchIdsInOrder().filter((id) => !reps[i]!.knows(id));
    for (const id of reps[from]!.topological(lacking)) net.sendBatchTo(from, i, reps[from]!.encodedBatch(id)!);
  };
  return {
    now: clock,
    reps,
    cps,
    signers: ss,
    certs,
    decisions,
    withheld,
    wals,
    sent,
    restart(i) {
      epochs[i]!++;
      const r = new Replica(cfg, ss[i]!, { now: clock });
      for (const bytes of delivered[i]!) r.receive(bytes, "disk");
      delivered[i] = [...delivered[i]!];
      listen(r, i);
      reps[i] = r;
      cps[i] = makeCp(r, i, [...wals[i]!]);
    },
    submit(i, ops, withhold = false) {
      const s = reps[i]!.submit(ops);
      if (withhold) withheld.set(s.id, s.bytes);
      else net.sendBatch(i, s.bytes);
      return s.id;
    },
    run(until, maxMs) {
      net.run(until, maxMs, (to, from) => {
        if (cps[to]!.missing().length > 0) fetchFor(to, from);
      });
    },
  };
}

const order = (acct: string, side: "buy" | "sell", priceTicks: number, lots: number): Op => ({ type: "placeOrder", account: acct, market: "WETH-USDC", side, priceTicks, lots });

describe("checkpoints over the batch DAG", () => {
  test("n = 4: every replica decides the same checkpoints, finality is reported, certificates are equal and verify", async () => {
    const net = network(4, 1);
    const a = net.signers.map((s) => s.address);
    const ids: Hex[] = [];
    ids.push(net.submit(0, [order(a[0]!, "sell", 2000, 5)]));
    ids.push(net.submit(1, [order(a[1]!, "buy", 2000, 3)]));
    net.run(() => net.certs.every((c) => c.length >= 1), 5_000);
    ids.push(net.submit(2, [order(a[2]!, "buy", 2001, 2)]));
    ids.push(net.submit(3, [{ type: "transfer", from: a[3]!, to: a[0]!, token: "USDC", amount: 5n }]));
    net.run(() => net.cps.every((c, i) => ids.every((id) => c.finality(id).status === "final") && net.certs[i]!.length === net.decisions[i]!.length), 5_000);
    expect(net.certs.map((c) => c.length)).toEqual(net.decisions.map((d) => d.length));

    for (const c of net.cps) for (const id of ids) expect(c.finality(id).status).toBe("final");
    const roots = net.cps.map((c) => c.getFinalState().stateRoot());
    expect(new Set(roots).size).toBe(1);
    expect(new Set(net.cps.map((c) => c.getCurrentState().stateRoot())).size).toBe(1);
    // the decided values agree height by height
    const h = Math.min(...net.decisions.map((d) => d.length));
    for (let k = 0; k < h; k++) expect(new Set(net.decisions.map((d) => checkpointValueId(d[k]!))).size).toBe(1);
    // the final root is the one the certificates sign, with q = 3 distinct valid signatures each
    const last = net.certs.map((c) => c[c.length - 1]!);
    const cert = last[0]!;
    expect(last.map((c) => c.checkpoint.height)).toEqual(last.map(() => cert.checkpoint.height));
    expect(cert.signatures.length).toBe(3);
    expect(cert.checkpoint.stateRoot).toBe(net.decisions[0]![cert.checkpoint.height]!.stateRoot);
    expect(cert.heads).toEqual(net.decisions[0]![cert.checkpoint.height]!.heads);
    // every replica holds a certificate of the same checkpoint (q valid signatures each; which q may differ)
    expect(new Set(last.map((c) => JSON.stringify({ ...c, signatures: undefined }))).size).toBe(1);
    const cp = cert.checkpoint;
    const recovered = await Promise.all(
      cert.signatures.map((s) => recoverTypedDataAddress({ domain: DOMAIN, types: CHECKPOINT_TYPES, primaryType: "Checkpoint", message: { ...cp, height: BigInt(cp.height), time: BigInt(cp.time) }, signature: toHex(s.signature) })),
    );
    expect(recovered.map((x) => x.toLowerCase())).toEqual(cert.signatures.map((s) => s.signer));
    expect(new Set(recovered).size).toBe(3);
  });

  test("the decided time enters the final engine through advanceTime; results say final and the height", () => {
    const net = network(4, 2);
    const a = net.signers.map((s) => s.address);
    const t0 = net.now();
    const id = net.submit(0, [order(a[0]!, "sell", 2000, 5)]);
    net.run(() => net.cps.every((c) => c.finality(id).status === "final"), 5_000);
    const r = net.cps[1]!.resultsOf(id);
    expect(r.finality).toEqual({ status: "final", height: 0 });
    expect(r.results?.[0]?.status).toBe("accepted");
    const times = net.cps.map((c) => c.getFinalState().timeMs);
    expect(new Set(times).size).toBe(1);
    expect(times[0]!).toBeGreaterThanOrEqual(t0);
    expect(times[0]!).toBe(net.decisions[0]![0]!.timeMs);
  });

  test("a proposal whose batches a replica lacks is fetched first, then decided", () => {
    const net = network(4, 3);
    const a = net.signers.map((s) => s.address);
    // proposer(0, 0) is participant 0: it withholds its batch, so the others must fetch it to validate
    const id = net.submit(0, [order(a[0]!, "sell", 2000, 5)], true);
    net.cps[0]!.start();
    net.run(() => net.cps.every((c) => c.finality(id).status === "final"), 5_000);
    for (const c of net.cps) expect(c.finality(id)).toEqual({ status: "final", height: 0 });
    expect(net.decisions.every((d) => d[0]!.heads.includes(id))).toBe(true);
  });

  test("a proposer with a wrong state root is refused; the height is decided in a later round with the right root", () => {
    const net = network(4, 4, {
      byzIndex: 0,
      byzantine: (w, signer) => {
        if (w.kind !== "consensus" || w.message.kind !== "proposal" || w.value === undefined) return w;
        const value: CheckpointValue = { ...w.value, stateRoot: toHex(new Uint8Array(32).fill(9)) };
        const body = { kind: "proposal" as const, height: w.message.height, round: w.message.round, valueId: checkpointValueId(value), validRound: w.message.validRound };
        const message: SignedProposal = { ...body, sender: signer.address, signature: signer.sign(messageDigest(SEP, CHANNEL_ID, body)) };
        return { kind: "consensus", message, value };
      },
    });
    const a = net.signers.map((s) => s.address);
    const id = net.submit(1, [order(a[1]!, "buy", 1999, 4)]);
    net.run(() => [1, 2, 3].every((i) => net.cps[i]!.finality(id).status === "final"), 10_000);
    const honest = [1, 2, 3].map((i) => net.decisions[i]![0]!);
    expect(new Set(honest.map(checkpointValueId)).size).toBe(1);
    expect(honest[0]!.stateRoot).not.toBe(toHex(new Uint8Array(32).fill(9)));
    expect(honest[0]!.stateRoot).toBe(net.cps[1]!.getFinalState().stateRoot());
  });
  test("a proposer that withholds its batches forever: the others prevote nil and a later round decides without them", () => {
    const net = network(4, 7, { refuseFetchFrom: 0 });
    const a = net.signers.map((s) => s.address);
    // proposer(0, 0) is participant 0: its value needs a batch nobody else will ever get
    const hidden = net.submit(0, [order(a[0]!, "sell", 2000, 5)], true);
    net.cps[0]!.start();
    const seen = net.submit(1, [order(a[1]!, "buy", 1999, 4)]);
    net.run(() => [1, 2, 3].every((i) => net.cps[i]!.finality(seen).status === "final" && net.certs[i]!.length > 0), 10_000);
    const honest = [1, 2, 3].map((i) => net.decisions[i]![0]!);
    expect(new Set(honest.map(checkpointValueId)).size).toBe(1);
    expect(honest[0]!.heads).not.toContain(hidden);
    for (const i of [1, 2, 3]) {
      expect(net.cps[i]!.finality(seen)).toEqual({ status: "final", height: 0 });
      expect(net.cps[i]!.finality(hidden)).toEqual({ status: "tentative" });
      expect(net.reps[i]!.has(hidden)).toBe(false);
    }
    // the certificate of height 0 carries q = 3 signatures and the honest replicas' common root
    const cert = net.certs[1]![0]!;
    expect(cert.signatures.length).toBe(3);
    expect(cert.checkpoint.stateRoot).toBe(net.cps[2]!.getFinalState().stateRoot());
  });

  test("speculation undone: honest replicas that checked a wrong-root proposal rebuild the final state, equal to a straight replay", () => {
    // proposer 0 lies about the state root in every round it proposes: honest replicas apply its cut in
    // place, find the roots wrong, and must rebuild (clone of the base every 2 heights + replayed cuts)
    const net = network(4, 9, {
      rebaseHeights: 2,
      byzIndex: 0,
      byzantine: (w, signer) => {
        if (w.kind !== "consensus" || w.message.kind !== "proposal" || w.value === undefined) return w;
        const value: CheckpointValue = { ...w.value, stateRoot: toHex(new Uint8Array(32).fill(9)) };
        const body = { kind: "proposal" as const, height: w.message.height, round: w.message.round, valueId: checkpointValueId(value), validRound: w.message.validRound };
        return { kind: "consensus", message: { ...body, sender: signer.address, signature: signer.sign(messageDigest(SEP, CHANNEL_ID, body)) }, value };
      },
    });
    const a = net.signers.map((s) => s.address);
    const ids: Hex[] = [];
    for (let k = 0; k < 8; k++) {
      const i = 1 + (k % 3);
      ids.push(net.submit(i, [order(a[i]!, k % 2 === 0 ? "buy" : "sell", 1995 + k, 1 + k), { type: "transfer", from: a[i]!, to: a[0]!, token: "USDC", amount: BigInt(k + 1) }]));
      net.run(() => [1, 2, 3].every((j) => net.cps[j]!.finality(ids[k]!).status === "final"), 10_000);
    }
    const honest = [1, 2, 3].map((j) => net.cps[j]!);
    for (const c of honest) for (const id of ids) expect(c.finality(id).status).toBe("final");
    expect(honest.reduce((n, c) => n + c.stats.rebuilds, 0)).toBeGreaterThan(0);
    expect(honest.every((c) => c.stats.baseClones >= 1)).toBe(true);
    const roots = honest.map((c) => c.getFinalState().stateRoot());
    expect(new Set(roots).size).toBe(1);
    // every decided height's root is what q replicas certified
    for (const cert of net.certs[1]!) expect(cert.checkpoint.stateRoot).toBe(net.decisions[1]![cert.checkpoint.height]!.stateRoot);
    // a replica rebuilt from replica 1's batches and log (straight replay, no speculation) gets the same state
    const wal = net.wals[1]!;
    net.restart(1);
    expect(net.cps[1]!.stats.rebuilds).toBe(0);
    expect(net.cps[1]!.getFinalState().stateRoot()).toBe(roots[0]);
    expect(net.cps[1]!.height).toBe(wal.filter((e) => e.kind === "decided").length);
  });

  test("a replica restarted from its delivered batches and write-ahead log resumes its height without a conflicting vote", () => {
    const net = network(4, 8);
    const a = net.signers.map((s) => s.address);
    const first = net.submit(0, [order(a[0]!, "sell", 2000, 5)]);
    net.run(() => net.cps.every((c) => c.finality(first).status === "final") && net.certs.every((c) => c.length >= 1), 5_000);
    // height 1 starts; replica 2 crashes right after signing its first message of it
    const second = net.submit(1, [order(a[1]!, "buy", 2000, 2)]);
    const signedAt1 = (): number => net.wals[2]!.filter((e) => e.kind === "signed" && e.message.height === 1).length;
    net.run(() => signedAt1() > 0, 5_000);
    expect(signedAt1()).toBeGreaterThan(0);
    expect(net.wals[2]!.filter((e) => e.kind === "decided").length).toBe(1);
    net.restart(2);
    const restored = net.cps[2]!;
    expect(restored.height).toBe(1);
    expect(restored.getFinalState().stateRoot()).toBe(net.certs[0]![0]!.checkpoint.stateRoot);
    expect(restored.latestCertificate()?.checkpoint.height).toBe(0);
    expect(restored.finality(first)).toEqual({ status: "final", height: 0 });
    net.run(() => net.cps.every((c) => c.finality(second).status === "final"), 5_000);
    const third = net.submit(2, [{ type: "transfer", from: a[2]!, to: a[3]!, token: "USDC", amount: 7n }]);
    net.run(() => net.cps.every((c) => c.finality(third).status === "final"), 5_000);
    for (const c of net.cps) expect(c.finality(third).status).toBe("final");
    expect(new Set(net.cps.map((c) => c.getFinalState().stateRoot())).size).toBe(1);
    // nobody holds equivocation evidence against the restarted replica: it re-signed nothing differently
    for (const c of net.cps) expect(c.evidence().filter((e) => e.sender === a[2])).toEqual([]);
  });

  test("a decision proof carrying more precommits than a quorum decides once and leaves the next height alone", () => {
    const net = network(4, 10);
    const a = net.signers.map((s) => s.address);
    const id = net.submit(0, [order(a[0]!, "sell", 2000, 5)]);
    net.run(() => net.cps.every((c) => c.finality(id).status === "final"), 5_000);
    const proposal = net.sent.find((w) => w.kind === "consensus" && w.message.kind === "proposal" && w.message.height === 0 && w.value !== undefined);
    if (proposal?.kind !== "consensus" || proposal.value === undefined) throw new Error("no proposal sent");
    const precommits = new Map<string, SignedVote>();
    for (const w of net.sent) if (w.kind === "consensus" && w.message.kind === "precommit" && w.message.height === 0 && w.message.valueId === proposal.message.valueId) precommits.set(w.message.sender, w.message);
    expect(precommits.size).toBe(4); // q = 3: the fourth comes after the decision
    // a replica that missed height 0 (its height not started yet, or started): same batches, a fresh
    // checkpointer, then the whole proof at once — the precommit after the quorum must not reach height 1
    for (const started of [false, true]) {
      const r = new Replica(configFor(net.signers), net.signers[3]!, { now: net.now });
      for (const b of net.reps[3]!.batchIdsInOrder()) r.receive(net.reps[3]!.encodedBatch(b)!, "disk");
      const sentByLate: CheckpointWire[] = [];
      const late = new Checkpointer(r, { signer: net.signers[3]!, now: net.now, send: (w) => void sentByLate.push(w), schedule: () => {} });
      if (started) late.start();
      late.receive({ kind: "proof", height: 0, value: proposal.value, messages: [proposal.message, ...precommits.values()] }, "0");
      expect(late.height, `started ${started}`).toBe(1);
      expect(late.finality(id)).toEqual({ status: "final", height: 0 });
      expect(late.getFinalState().stateRoot()).toBe(net.cps[0]!.getFinalState().stateRoot());
      // nothing of height 1 was signed: no batch is pending, so the next height waits for one
      expect(sentByLate.filter((w) => w.kind === "consensus" && w.message.height === 1)).toEqual([]);
    }
  });

  test("history is bounded: only the last historyHeights heights keep certificates and final results; the latest certificate stays", () => {
    const net = network(4, 3, { historyHeights: 3 });
    const a = net.signers.map((s) => s.address);
    const ids: Hex[] = [];
    for (let k = 0; k < 8; k++) {
      ids.push(net.submit(k % 4, [{ type: "transfer", from: a[k % 4]!, to: a[(k + 1) % 4]!, token: "USDC", amount: 1n }]));
      const id = ids[k]!;
      net.run(() => net.cps.every((c) => {
        const f = c.finality(id);
        return f.status === "final" && (c.latestCertificate()?.checkpoint.height ?? -1) >= f.height;
      }), 5_000);
    }
    for (const c of net.cps) {
      const latest = c.latestCertificate()!.checkpoint.height;
      expect(latest).toBeGreaterThanOrEqual(7);
      expect(c.certificate(latest)).toBeDefined();
      for (let h = 0; h <= latest - 3; h++) expect(c.certificate(h)).toBeUndefined();
      // every batch stays final at its height; results are kept only for recent heights
      for (const id of ids) expect(c.finality(id).status).toBe("final");
      const first = c.resultsOf(ids[0]!);
      expect(first.finality.status).toBe("final");
      expect(first.results).toBeUndefined();
      expect(c.resultsOf(ids[7]!).results).toHaveLength(1);
    }
    expect(new Set(net.cps.map((c) => c.getFinalState().stateRoot())).size).toBe(1);
  });

  test("bad options are refused with INVALID_CONFIG before anything runs", () => {
    const ss = makeSigners(4);
    const rep = new Replica(configFor(ss), ss[0]!, { now: () => 0 });
    const base = { signer: ss[0]!, now: () => 0, send: () => {}, schedule: () => {} };
    for (const bad of [{ rebaseHeights: 0 }, { rebaseOps: 1.5 }, { retransmitMs: 0 }, { checkpointIntervalMs: -1 }, { maxDepositsPerCheckpoint: 0 }]) {
      expect(() => new Checkpointer(rep, { ...base, ...bad }), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
    }
    expect(() => new Checkpointer(rep, { ...base, checkpointIntervalMs: 0, rebaseHeights: 1 })).not.toThrow();
  });

  test("bad checkpoint messages: a value that is not the proposal's, or a proposal by a non-proposer, is refused", () => {
    const net = network(4, 6);
    const value: CheckpointValue = { height: 0, heads: [], stateRoot: toHex(new Uint8Array(32).fill(1)), exitRoot: toHex(new Uint8Array(32).fill(2)), timeMs: net.now(), deposits: [] };
    const signed = (i: number, valueId: Hex): SignedProposal => {
      const body = { kind: "proposal" as const, height: 0, round: 0, valueId, validRound: -1 };
      return { ...body, sender: net.signers[i]!.address, signature: net.signers[i]!.sign(messageDigest(SEP, CHANNEL_ID, body)) };
    };
    const code = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    // proposer(0, 0) is participant 0; participant 2 forging a proposal is refused
    expect(code(() => net.cps[1]!.receive({ kind: "consensus", message: signed(2, checkpointValueId(value)), value }, "2"))).toBe("NOT_PROPOSER");
    expect(code(() => net.cps[1]!.receive({ kind: "consensus", message: signed(0, toHex(new Uint8Array(32).fill(7))), value }, "0"))).toBe("INVALID_VALUE");
    expect(code(() => net.cps[1]!.receive({ kind: "consensus", message: signed(0, checkpointValueId(value)), value: { ...value, heads: ["0x12" as Hex] } }, "0"))).toBe("INVALID_VALUE");
    // a well-formed proposal of a value whose roots this replica's recomputation does not give is never decided
    net.cps[1]!.receive({ kind: "consensus", message: signed(0, checkpointValueId(value)), value }, "0");
    net.run(() => false, 50);
    expect(net.decisions.every((d) => d.length === 0)).toBe(true);
  });
});

