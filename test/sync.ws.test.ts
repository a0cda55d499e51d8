/**
 * The real-network transport (src/sync/wsTransport.ts) on 127.0.0.1: three participants, each with its
 * own WebSocket server, authenticate each other, trade, and converge to one state root; a key that is
 * not a participant, a wrong channel and a forged proof are refused. Plus the MultiPartyChannel API.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createSigner, type Hex, type Participant } from "../src/channel/identity.js";
import type { Op } from "../src/core/ops.js";
import { channelIdOf, testSigner } from "../src/cli/sim.js";
import { MultiPartyChannel } from "../src/node/channel.js";
import { SimNetwork } from "../src/sync/simNetwork.js";
import { MemoryLogger } from "../src/runtime/transport.js";
import { handshakeDigest, WsTransport } from "../src/sync/wsTransport.js";

const signers = [0, 1, 2].map((i) => testSigner(i, "semilattice/ws-test"));
const participants: Participant[] = signers.map((s) => ({ address: s.address, roles: ["Trader", "MarketMaker"] }));
const channelId = channelIdOf("semilattice/ws-test");
const genesis: Op[] = [
  { type: "createToken", symbol: "A", decimals: 6 },
  { type: "createToken", symbol: "B", decimals: 6 },
  { type: "createPool", pool: "A/B", token0: "A", token1: "B", feePpm: 3000 },
  { type: "createMarket", market: "A-B", base: "A", quote: "B", lotSize: 1_000n, tickSize: 1n, makerFeePpm: 1000, takerFeePpm: 2000 },
  ...participants.flatMap((p): Op[] => [
    { type: "deposit", account: p.address, token: "A", amount: 10_000_000_000n },
    { type: "deposit", account: p.address, token: "B", amount: 10_000_000_000n },
  ]),
];

const open: WsTransport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("WebSocket transport between separate servers on 127.0.0.1", () => {
  it("three participants authenticate, trade concurrently and converge to one state root", async () => {
    const transports = await Promise.all(signers.map((signer) => WsTransport.listen({ signer, channelId, participants: participants.map((p) => p.address) })));
    open.push(...transports);
    const channels = transports.map((transport, i) => new MultiPartyChannel({ participants, signer: signers[i]!, channelId, genesis, transport, rules: { syncIntervalMs: 50 } }));
    for (const [i, t] of transports.entries()) for (const [j, u] of transports.entries()) if (i !== j) t.addPeer(signers[j]!.address, u.url);
    await until(() => transports.every((t) => t.peers().length === 2), "handshakes");
    expect(transports[0]!.peers()).toEqual([signers[1]!.address, signers[2]!.address].sort());

    const [a, b, c] = channels as [MultiPartyChannel, MultiPartyChannel, MultiPartyChannel];
    expect(a.addLiquidity({ pool: "A/B", amount0Desired: 1_000_000_000n, amount1Desired: 2_000_000_000n }).status).toBe("accepted");
    a.flush();
    await until(() => b.replica.deliveredCount === 1 && c.replica.deliveredCount === 1, "the pool's liquidity");
    // concurrent: each trades without waiting for the others
    const sell = b.placeOrder({ market: "A-B", side: "sell", priceTicks: 2_000, lots: 10 });
    expect(sell.status).toBe("accepted");
    const swap = c.swap({ pool: "A/B", tokenIn: "A", amountIn: 1_000_000n });
    expect(swap).toMatchObject({ status: "accepted", amountIn: 1_000_000n, amountOut: 1_992_013n });
    const pay = a.transfer({ to: signers[2]!.address, token: "B", amount: 5n });
    expect(pay.status).toBe("accepted");
    await Promise.all(channels.map((ch) => ch.syncWithPeers()));
    await until(() => channels.every((ch) => ch.replica.deliveredCount === 4), "all four batches everywhere");
    const roots = channels.map((ch) => ch.stateRoot());
    expect(new Set(roots).size).toBe(1);
    expect(channels.every((ch) => ch.getCurrentState().checkConservation().ok)).toBe(true);
    expect(a.getCurrentState().balanceOf(signers[2]!.address, "B")).toBe(10_000_000_000n + 1_992_013n + 5n);
    for (const ch of channels) ch.close();
  });

  it("refuses a key that is not a participant, a wrong channel id and a forged proof", async () => {
    const logger = new MemoryLogger();
    const server = await WsTransport.listen({ signer: signers[0]!, channelId, participants: participants.map((p) => p.address), logger });
    open.push(server);
    const outsider = createSigner(("0x" + "11".repeat(32)) as Hex);
    const attempt = (address: string, chan: string, sign: (nonce: Buffer) => Uint8Array): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(server.url);
        ws.on("message", (data: Buffer) => {
          const m = JSON.parse(data.toString()) as { t: string; nonce: string };
          if (m.t !== "hello") return;
          ws.send(JSON.stringify({ t: "hello", v: 1, channelId: chan, address, nonce: "00".repeat(32) }));
          ws.send(JSON.stringify({ t: "proof", signature: Buffer.from(sign(Buffer.from(m.nonce, "hex"))).toString("hex") }));
        });
        ws.on("close", (code) => resolve(code));
      });
    const honestSig = (signer: typeof outsider, chan: string) => (nonce: Buffer) => signer.sign(handshakeDigest(chan, nonce, signer.address, signers[0]!.address));
    expect(await attempt(outsider.address, channelId, honestSig(outsider, channelId))).toBe(4001);
    expect(await attempt(signers[1]!.address, channelIdOf("other"), honestSig(signers[1]!, channelIdOf("other")))).toBe(4001);
    // claims participant 1 but signs with the outsider's key
    expect(await attempt(signers[1]!.address, channelId, (nonce) => outsider.sign(handshakeDigest(channelId, nonce, signers[1]!.address, signers[0]!.address)))).toBe(4001);
    expect(server.peers()).toEqual([]);
    expect(logger.records.map((r) => r.fields.reason)).toEqual([
      `not a participant: ${outsider.address}`,
      "wrong channel id",
      "signature does not prove the claimed key",
    ]);
  });
});

describe("MultiPartyChannel API", () => {
  it("returns each op's tentative result at once, batches them, and reports results and batches as events", () => {
    const net = new SimNetwork(5);
    const [ta, tb] = [net.node(signers[0]!.address), net.node(signers[1]!.address)];
    const mk = (i: number, t: typeof ta): MultiPartyChannel =>
      new MultiPartyChannel({ participants, signer: signers[i]!, channelId, genesis, transport: t, clock: t.clock(), now: () => 1_700_000_000_000 + net.now(), rules: { maxOpsPerBatch: 3 } });
    const a = mk(0, ta);
    const b = mk(1, tb);
    const batches: [Hex, number][] = [];
    const results: string[] = [];
    b.on("batch", (_id, author, ops) => batches.push([author, ops]));
    a.on("result", (_id, i, r) => results.push(`${i}:${r.status}`));
    expect(a.placeOrder({ market: "A-B", side: "buy", priceTicks: 100, lots: 5 })).toMatchObject({ status: "accepted", orderId: 1, restingLots: 5 });
    expect(a.cancelOrder({ market: "A-B", orderId: 1 })).toMatchObject({ status: "accepted", orderId: 1, cancelledLots: 5 });
    expect(a.pendingOps).toBe(2);
    expect(a.transfer({ to: signers[1]!.address, token: "A", amount: 10n ** 30n })).toMatchObject({ status: "rejected", code: "INSUFFICIENT_BALANCE" });
    expect(a.pendingOps).toBe(0); // the third op filled the batch: signed and sent
    expect(a.marketOrder({ market: "A-B", side: "sell", lots: 1, worstPriceTicks: 1 })).toMatchObject({ status: "accepted", filledLots: 0 });
    expect(a.swap({ pool: "A/B", tokenIn: "A", amountIn: 5n })).toMatchObject({ status: "rejected", code: "INSUFFICIENT_LIQUIDITY" });
    expect(a.flush()).toMatch(/^0x[0-9a-f]{64}$/);
    expect(results).toEqual(["0:accepted", "1:accepted", "2:rejected", "0:accepted", "1:rejected"]);
    net.runUntil(1000);
    expect(batches).toEqual([
      [signers[0]!.address, 3],
      [signers[0]!.address, 2],
    ]);
    expect(b.stateRoot()).toBe(a.stateRoot());
    // a Byzantine-free run records no evidence and bans nobody
    expect(a.equivocations()).toEqual([]);
    expect(a.sync?.stats.peersBanned).toBe(0);
  });
});
