/**
 * The devnet's chain part against a real `hardhat node` process: start it, deploy and open the
 * channel for 3 participants, fund their deposits, write the node homes and devnet.json; then check
 * each piece on chain and on disk, and that stopping ends the chain process. Bounded in time by the
 * chain's start timeout and vitest's test timeout.
 */
import { readFileSync, statSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { connectChain, type SettlementChain } from "../src/settlement/chain.js";
import { AdjudicatorClient } from "../src/settlement/client.js";
import { loadNodeHome } from "../src/node/config.js";
import { setupDevnet, type DevnetManifest, type SetupDevnetReturnType } from "../src/node/devnet/setup.js";
import { DevnetError, stopChainByPidFile } from "../src/node/devnet/chain.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("devnet: local chain, channel and node homes", () => {
  const dir = join(mkdtempSync(join(tmpdir(), "semilattice-devnet-")), "net");
  let devnet: SetupDevnetReturnType | undefined;
  let chain: SettlementChain | undefined;

  beforeAll(async () => {
    devnet = await setupDevnet({ dir, participants: 3, rules: { checkpointIntervalMs: 50 } });
    chain = await connectChain({ rpcUrl: devnet.manifest.chain.rpcUrl });
  }, 240_000);

  afterAll(async () => {
    await chain?.close();
    await devnet?.chain.stop();
  });

  it("writes devnet.json listing each node's home, address, endpoints and pid file", () => {
    const manifest = JSON.parse(readFileSync(join(dir, "devnet.json"), "utf8")) as DevnetManifest;
    expect(manifest).toEqual(devnet!.manifest);
    expect(manifest.nodes).toHaveLength(3);
    expect(manifest.quorum).toBe(3);
    expect(manifest.chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(alive(manifest.chain.pid)).toBe(true);
    expect(readFileSync(manifest.chain.pidFile, "utf8").trim()).toBe(String(manifest.chain.pid));
    const ports = manifest.nodes.flatMap((n) => [n.listen.port, Number(new URL(n.metricsUrl!).port)]);
    expect(new Set(ports).size).toBe(6);
    for (const node of manifest.nodes) {
      expect(node.endpoint).toBe(`ws://127.0.0.1:${node.listen.port}`);
      expect(node.pidFile).toBe(join(node.home, "node.pid"));
    }
    expect(statSync(manifest.passwordFile).mode & 0o777).toBe(0o600);
  });

  it("each home loads with the devnet password, its key a participant, the channel definition shared", async () => {
    const manifest = devnet!.manifest;
    const shared = readFileSync(join(manifest.nodes[0]!.home, "channel.json"), "utf8");
    for (const node of manifest.nodes) {
      const home = await loadNodeHome(node.home, { passwordFile: manifest.passwordFile });
      expect(home.signer.address).toBe(node.address);
      expect(home.settings.listen).toEqual(node.listen);
      expect(readFileSync(join(node.home, "channel.json"), "utf8")).toBe(shared);
      expect(home.definition.chain.adjudicator).toBe(manifest.chain.adjudicator);
      expect(home.definition.channelId).toBe(manifest.channelId);
    }
    expect(devnet!.definition.genesis.map((op) => op.type)).toEqual(["createToken", "createToken"]);
  });

  it("the channel is open on chain for the participants, with every deposit recorded and held", async () => {
    const manifest = devnet!.manifest;
    const adjudicator = AdjudicatorClient.at(chain!, manifest.chain.adjudicator as Address);
    const view = await adjudicator.channel(manifest.channelId);
    expect(view.status).toBe("Open");
    expect(view.participantCount).toBe(3);
    expect(view.quorum).toBe(3);
    expect(await adjudicator.depositCount(manifest.channelId)).toBe(6n);
    for (const t of manifest.tokens) expect(await adjudicator.holdings(manifest.channelId, t.address as Address)).toBe(3n * BigInt(t.depositEach));
    for (const node of manifest.nodes) expect(await adjudicator.bondOf(manifest.channelId, node.address as Address)).toBeGreaterThan(0n);
    const records = await adjudicator.depositEvents(manifest.channelId, 0n, await chain!.publicClient.getBlockNumber());
    expect(records.map((r) => r.beneficiary.toLowerCase()).sort()).toEqual(manifest.nodes.flatMap((n) => [n.address, n.address]).sort());
  });

  it("refuses a second devnet in the same folder without force", async () => {
    await expect(setupDevnet({ dir, participants: 2 })).rejects.toThrow(DevnetError);
    await expect(setupDevnet({ dir, participants: 0 })).rejects.toThrow(/participants must be an integer in 1\.\.64/);
  });

  it("stopping ends the chain process", async () => {
    const pid = devnet!.manifest.chain.pid;
    await chain!.close();
    chain = undefined;
    await devnet!.chain.stop();
    expect(alive(pid)).toBe(false);
    expect(await stopChainByPidFile(dir)).toBe(false);
  });
});
