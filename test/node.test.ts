import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { Hex } from "../src/channel/identity.js";
import { SimNetwork } from "../src/sync/simNetwork.js";
import { Node, type OpState } from "../src/node/node.js";
import type { OpHandle } from "../src/node/channel.js";
import { signers } from "./channel.helpers.js";
import { channelDefinition, nodeSettings } from "./node.helpers.js";

const START_MS = 1_763_700_000_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ss = signers(4);
const def = channelDefinition(ss);

interface Cluster {
  net: SimNetwork;
  nodes: Node[];
  dir: string;
  make(i: number): Node;
}

async function cluster(seed: number): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "semilattice-node-"));
  dirs.push(dir);
  const net = new SimNetwork(seed, { minDelayMs: 1, meanExtraDelayMs: 3 });
  const make = (i: number): Node => {
    const t = net.node(ss[i]!.address);
    return new Node({ channel: def, settings: nodeSettings(`n${i}`), home: dir, signer: ss[i]!, transport: t, clock: t.clock(), now: () => START_MS + net.now() });
  };
  const nodes = ss.map((_, i) => make(i));
  for (const n of nodes) await n.start();
  return { net, nodes, dir, make };
}

function transfer(n: Node, to: Node, amount: bigint) {
  return n.submit({ type: "transfer", from: n.address, to: to.address, token: "USDC", amount });
}

/** Runs until every node has a certificate at or above `height`. */
function runToCertified(c: Cluster, nodes: readonly Node[], height: number, limitMs = 60_000): void {
  const ok = c.net.runUntilTrue(() => nodes.every((n) => (n.latestCertificate()?.checkpoint.height ?? -1) >= height), c.net.now() + limitMs);
  expect(ok).toBe(true);
}

describe("Node on the simulated network", () => {
  test("four nodes finalize the same state roots and certificates; each op goes pending → tentative → final with its certificate", async () => {
    const c = await cluster(1);
    const seen = new Map<number, OpState["status"][]>();
    const finals = new Map<number, Extract<OpState, { status: "final" }>>();
    c.nodes[0]!.on("op", (id, s) => {
      seen.set(id, [...(seen.get(id) ?? []), s.status]);
      if (s.status === "final") finals.set(id, s);
    });
    const tickets = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) tickets.push(...[1n, 2n].map((a) => ({ node: i, t: transfer(c.nodes[i]!, c.nodes[(i + 1) % 4]!, a + BigInt(round)) })));
      for (const n of c.nodes) n.flush();
      c.net.runUntil(c.net.now() + 30);
    }
    const bad = c.nodes[0]!.submit({ type: "transfer", from: c.nodes[0]!.address, to: c.nodes[1]!.address, token: "USDC", amount: 2n ** 300n });
    expect(bad.state()).toMatchObject({ status: "rejected", code: "INVALID_OP" });
    c.nodes[0]!.flush();
    c.net.runUntilTrue(() => c.nodes.every((n) => n.status().finalOps === 24), c.net.now() + 60_000);
    const top = Math.min(...c.nodes.map((n) => n.checkpointer.height)) - 1;
    runToCertified(c, c.nodes, top);

    for (let h = 0; h <= top; h++) {
      const certs = c.nodes.map((n) => n.certificate(h));
      if (certs.some((x) => x === undefined)) continue;
      expect(new Set(certs.map((x) => JSON.stringify(x!.checkpoint))).size).toBe(1);
    }
    const roots = c.nodes.map((n) => n.status());
    expect(new Set(roots.map((r) => `${r.height}|${r.stateRoot}|${r.finalOps}`)).size).toBe(1);
    expect(roots[0]!.finalOps).toBe(24);
    expect(roots[0]!.peers).toEqual(ss.slice(1).map((s) => s.address).sort());
    // node 0's own ops: each went pending → tentative → final, with a certificate at or above its height
    const own = tickets.filter((t) => t.node === 0);
    expect(own.length).toBe(6);
    for (const { t } of own) {
      expect(seen.get(t.id)?.[0]).toBe("pending");
      expect(seen.get(t.id)).toContain("tentative");
      const f = finals.get(t.id);
      expect(f).toBeDefined();
      expect(f!.result.status).toBe("accepted");
      expect(f!.certificate!.checkpoint.height).toBeGreaterThanOrEqual(f!.height);
      expect(t.state()).toMatchObject({ status: "final", height: f!.height });
    }
    // the tentative view equals the final one once everything is final
    expect(c.nodes[1]!.getCurrentState().stateRoot()).toBe(c.nodes[1]!.getFinalState().stateRoot());
    for (const n of c.nodes) await n.stop();
  });

  test("a node stopped and recreated from its data dir rejoins and catches up; what was final stays final with the same result; no seq is reused and no equivocation is seen", async () => {
    const c = await cluster(2);
    const handles: OpHandle[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) {
        const t = transfer(c.nodes[i]!, c.nodes[(i + 2) % 4]!, 10n + BigInt(round));
        c.nodes[i]!.flush();
        if (i === 3) handles.push(t.handle()!);
      }
      c.net.runUntil(c.net.now() + 40);
    }
    runToCertified(c, c.nodes, 1);
    c.net.runUntilTrue(() => handles.every((h) => c.nodes[3]!.opStatus(h)?.status === "final"), c.net.now() + 60_000);
    const before = handles.map((h) => c.nodes[3]!.opStatus(h));
    expect(before.every((s) => s?.status === "final")).toBe(true);
    const seqBefore = c.nodes[3]!.store.lastSeq;
    expect(seqBefore).toBe(3);

    // stop node 3 (graceful) and take it off the network; the others go on finalizing
    const victim = ss[3]!.address;
    await c.nodes[3]!.stop();
    c.net.crash(victim);
    const heightAtStop = c.nodes[0]!.checkpointer.height;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) {
        transfer(c.nodes[i]!, c.nodes[(i + 1) % 3]!, 100n + BigInt(round));
        c.nodes[i]!.flush();
      }
      c.net.runUntil(c.net.now() + 40);
    }
    runToCertified(c, c.nodes.slice(0, 3), heightAtStop + 1);

    // recreate it from its data dir
    const again = c.make(3);
    await again.start();
    c.nodes[3] = again;
    c.net.restart(victim);
    expect(again.store.lastSeq).toBe(seqBefore);
    // it signs a new batch with the next seq, never a used one
    const fresh = transfer(again, c.nodes[0]!, 7n);
    again.flush();
    expect(again.store.lastSeq).toBe(seqBefore + 1);
    expect(again.replica.getBatch(fresh.handle()!.batchId)!.header.seq).toBe(seqBefore + 1);

    const target = c.nodes[0]!.checkpointer.height;
    const caught = c.net.runUntilTrue(() => again.checkpointer.height >= target + 1 && again.opStatus(fresh.handle()!)?.status === "final", c.net.now() + 60_000);
    expect(caught).toBe(true);
    for (const [i, h] of handles.entries()) {
      const after = again.opStatus(h);
      expect(after).toMatchObject({ status: "final", height: (before[i] as { height: number }).height });
      expect(after?.status === "final" && after.result).toEqual(before[i]?.status === "final" && before[i].result);
    }
    // same final states at every common height; nobody holds evidence against anyone
    c.net.runUntilTrue(() => new Set(c.nodes.map((n) => n.checkpointer.height)).size === 1, c.net.now() + 30_000);
    const h = Math.min(...c.nodes.map((n) => n.checkpointer.height)) - 1;
    const proofs = c.nodes.map((n) => n.store.decision(h)?.value.stateRoot);
    expect(new Set(proofs).size).toBe(1);
    expect(new Set(c.nodes.map((n) => n.getFinalState().stateRoot())).size).toBe(1);
    for (const n of c.nodes) {
      expect(n.replica.equivocations()).toEqual([]);
      expect(n.checkpointer.evidence().filter((e) => e.sender === (victim as Hex))).toEqual([]);
    }
    for (const n of c.nodes) await n.stop();
  });

  test("a node refuses to start on another participant's data dir, and start/stop are one-shot", async () => {
    const c = await cluster(3);
    await c.nodes[0]!.stop();
    await c.nodes[0]!.stop(); // idempotent
    const t = c.net.node(ss[1]!.address);
    const wrong = new Node({ channel: def, settings: nodeSettings("n0"), home: c.dir, signer: ss[1]!, transport: t, clock: t.clock() });
    await expect(wrong.start()).rejects.toMatchObject({ code: "STORE_FOREIGN" });
    await expect(c.nodes[1]!.start()).rejects.toMatchObject({ code: "NODE_STATE" });
    for (const n of c.nodes) await n.stop();
  });
});
