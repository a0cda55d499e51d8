/**
 * Nodes over the real WebSocket transport in one process (127.0.0.1): three honest Nodes and a
 * fourth participant that, once through the signed handshake, sends garbage to one node and an
 * oversized frame to another. Each is cut off (logged) by the node it hit, and the three honest
 * nodes keep finalizing (q = 3 of 4).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { MemoryLogger } from "../src/sync/transport.js";
import { WsTransport } from "../src/sync/wsTransport.js";
import { Node } from "../src/node/node.js";
import { CHANNEL_ID, signers } from "./channel.helpers.js";
import { channelDefinition, nodeSettings } from "./node.helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return pred();
}

describe("Node over WebSocket", () => {
  test("a participant sending garbage or an oversized frame is cut off and logged; the others keep finalizing", async () => {
    const ss = signers(4);
    const ports = await Promise.all(ss.map(() => freePort()));
    const def = channelDefinition(
      ss,
      ports.map((p) => `ws://127.0.0.1:${p}`),
      { checkpointIntervalMs: 30 },
    );
    const home = mkdtempSync(join(tmpdir(), "semilattice-nodews-"));
    dirs.push(home);
    const rogueIndex = 3;
    const logs = ss.map(() => new MemoryLogger());
    const nodes = ss.slice(0, 3).map((s, i) => new Node({ channel: def, settings: nodeSettings(`n${i}`, ports[i]), home, signer: s, logger: logs[i], wsLimits: { maxMessageBytes: 1 << 20, maxRedialMs: 300 } }));
    for (const n of nodes) await n.start();
    // the rogue: a participant's key on a bare transport, connected to everyone
    const rogue = await WsTransport.listen({ signer: ss[rogueIndex]!, channelId: CHANNEL_ID, participants: ss.map((s) => s.address), port: ports[rogueIndex], redialMs: 100 });
    rogue.setHandlers({ message() {}, connect() {}, disconnect() {} });
    try {
      for (const [i, n] of nodes.entries()) rogue.addPeer(n.address, `ws://127.0.0.1:${ports[i]}`);
      expect(await until(() => rogue.peers().length === 3 && nodes.every((n) => n.status().peers.length === 3), 20_000)).toBe(true);

      const garbageTo = nodes[0]!.address;
      const oversizedTo = nodes[1]!.address;
      expect(rogue.send(garbageTo, new Uint8Array([0xff, 1, 2, 3, 4]))).toBe(true);
      expect(rogue.send(oversizedTo, new Uint8Array((1 << 20) + 16))).toBe(true);
      const cut = (i: number) => logs[i]!.records.some((r) => r.level === "warn" && r.msg === "peer cut off" && r.fields.peer === ss[rogueIndex]!.address);
      expect(await until(() => cut(0) && cut(1), 10_000)).toBe(true);
      const reason = (i: number) => logs[i]!.records.find((r) => r.msg === "peer cut off" && r.fields.peer === ss[rogueIndex]!.address)?.fields.reason;
      expect(reason(0)).toBe("unknown multiplex tag");
      expect(reason(1)).toBe("frame over the size limit");
      expect(await until(() => !nodes[0]!.status().peers.includes(ss[rogueIndex]!.address) && !nodes[1]!.status().peers.includes(ss[rogueIndex]!.address), 10_000)).toBe(true);

      // the honest three go on: ops from each become final everywhere
      const tickets = nodes.map((n, i) => n.submit({ type: "transfer", from: n.address, to: nodes[(i + 1) % 3]!.address, token: "USDC", amount: 5n }));
      for (const n of nodes) n.flush();
      expect(await until(() => tickets.every((t) => t.state().status === "final") && nodes.every((n) => n.status().finalOps === 3), 30_000)).toBe(true);
      expect(new Set(nodes.map((n) => n.getFinalState().stateRoot())).size).toBe(1);
      // a banned peer stays out: its re-dials are refused at the handshake
      await new Promise((r) => setTimeout(r, 400));
      expect(nodes[0]!.status().peers).not.toContain(ss[rogueIndex]!.address);
    } finally {
      await rogue.close();
      for (const n of nodes) await n.stop();
    }
  });
});
