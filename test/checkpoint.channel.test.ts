/**
 * The checkpoint layer over the real channel stack: MultiPartyChannel (replica + sync) and a
 * Checkpointer sharing one simulated transport per participant through the multiplexer.
 */
import { describe, expect, test } from "vitest";
import type { CheckpointCertificate, Checkpointer } from "../src/channel/checkpoint.js";
import { attachCheckpointer, muxTransport } from "../src/channel/consensus/attach.js";
import type { Hex } from "../src/channel/identity.js";
import { MultiPartyChannel } from "../src/node/channel.js";
import { SimNetwork } from "../src/sync/simNetwork.js";
import { CHANNEL_ID, CONTRACT, configFor, signers as makeSigners } from "./channel.helpers.js";

function run(seed: number, faults: ConstructorParameters<typeof SimNetwork>[1]) {
  const ss = makeSigners(4);
  const cfg = configFor(ss);
  const net = new SimNetwork(seed, faults);
  const EPOCH = 1_763_700_000_000;
  const certs: CheckpointCertificate[][] = ss.map(() => []);
  const nodes = ss.map((s, i) => {
    const { sync, consensus } = muxTransport(net.node(s.address));
    const clock = { now: () => net.now(), setTimer: (ms: number, fn: () => void) => net.setTimer(ms, fn) };
    const channel = new MultiPartyChannel({ participants: cfg.participants, signer: s, channelId: CHANNEL_ID, chainId: 31337, verifyingContract: CONTRACT, genesis: cfg.genesis, transport: sync, clock, now: () => EPOCH + Math.floor(net.now()), rules: { syncIntervalMs: 50 } });
    const cp: Checkpointer = attachCheckpointer({ replica: channel.replica, transport: consensus, clock, signer: s, now: () => EPOCH + Math.floor(net.now()), checkpointIntervalMs: 20, onMissing: () => void channel.syncWithPeers() });
    cp.onCheckpoint((c) => certs[i]!.push(c));
    return { channel, cp };
  });
  net.runUntil(1);
  const ids: Hex[] = [];
  nodes.forEach(({ channel }, i) => {
    channel.placeOrder({ market: "WETH-USDC", side: i % 2 === 0 ? "sell" : "buy", priceTicks: 2000, lots: 3 + i });
  });
  for (const { channel } of nodes) {
    channel.flush();
    ids.push(...channel.replica.heads());
  }
  const allFinal = () => nodes.every(({ cp }) => ids.every((id) => cp.finality(id).status === "final")) && certs.every((c, i) => c.length > 0 && c.length === nodes[i]!.cp.height);
  const ok = net.runUntilTrue(allFinal, net.now() + 60_000);
  return { ok, nodes, certs, ids };
}

describe("checkpoints over MultiPartyChannel + sync on one multiplexed transport", () => {
  for (const [name, faults] of [
    ["clean network", { minDelayMs: 1, meanExtraDelayMs: 3 }],
    ["drops, duplicates and reordering", { minDelayMs: 1, meanExtraDelayMs: 5, dropProbability: 0.05, duplicateProbability: 0.05, reorderProbability: 0.2, reorderSpreadMs: 20 }],
  ] as const) {
    test(`${name}: every op becomes final, replicas certify the same checkpoints and hold equal final states`, () => {
      const { ok, nodes, certs } = run(3, faults);
      expect(ok).toBe(true);
      expect(new Set(nodes.map(({ cp }) => cp.getFinalState().stateRoot())).size).toBe(1);
      expect(new Set(nodes.map(({ cp }) => cp.getFinalState().exitRoot())).size).toBe(1);
      const last = certs.map((c) => c[c.length - 1]!);
      expect(new Set(last.map((c) => JSON.stringify(c.checkpoint))).size).toBe(1);
      expect(last[0]!.checkpoint.stateRoot).toBe(nodes[0]!.cp.getFinalState().stateRoot());
      for (const c of last) expect(c.signatures.length).toBe(3);
    });
  }
});
