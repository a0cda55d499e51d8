/**
 * The whole settlement lifecycle against a separate `hardhat node` process on 127.0.0.1 (issue 5
 * item 2), through the same client code as the embedded chain, selected only by the RPC URL
 * (`--rpc-url` semantics): deploy, open, bonds, ERC-20 and ETH deposits, a mid-channel withdrawal,
 * a stale proposal answered by the watcher's challenge, finalization after the window, claims that
 * reconcile exactly with the engine's final exit leaves.
 *
 * The node is started as `hardhat --config <tmp config> node --hostname 127.0.0.1 --port <free>`
 * (what `npx hardhat node` runs), awaited until it answers eth_chainId, and killed by its pid after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SettlementWatcher } from "../src/settlement/watcher.js";
import { ETH_ADDRESS } from "../src/settlement/client.js";
import { certificate, checkpoint, depositBoth, leafOf, leavesWithProofs, ok, revertOf, setup, WINDOW, type Fixture } from "./settlement.helpers.js";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForRpc(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with ${child.exitCode}: ${log()}`);
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`hardhat node did not answer at ${url}: ${log()}`);
}

describe("settlement against `hardhat node` over JSON-RPC", () => {
  let node: ChildProcess;
  let url: string;
  let output = "";
  let f: Fixture;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "semilattice-hardhat-"));
    const config = join(dir, "hardhat.config.cjs");
    writeFileSync(config, "module.exports = { networks: { hardhat: { chainId: 31337 } } };\n");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    node = spawn(join(process.cwd(), "node_modules", ".bin", "hardhat"), ["--config", config, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    node.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    node.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    await waitForRpc(url, node, () => output);
    f = await setup({ rpcUrl: url });
  }, 180_000);

  afterAll(async () => {
    await f?.chain.close();
    if (node.exitCode === null && node.pid !== undefined) {
      const exited = new Promise((r) => node.once("exit", r));
      node.kill("SIGTERM");
      await exited;
    }
  });

  it("runs the lifecycle through the RPC endpoint", async () => {
    expect(f.chain.endpoint).toBe(url);
    expect(f.chain.chainId).toBe(31337);
    const [alice, bob, carol, dave] = f.parties as [Fixture["parties"][0], Fixture["parties"][0], Fixture["parties"][0], Fixture["parties"][0]];
    const id = (p: typeof alice): string => p.address.toLowerCase();
    const usdcStart = await f.usdc.balanceOf(alice.address);
    await depositBoth(f, alice, "USDC", 4_000_000_000n);
    await depositBoth(f, bob, "ETH", 2n * 10n ** 18n);
    await depositBoth(f, carol, "USDC", 1_000_000_000n);
    ok(f.engine.createPool({ pool: "ETH-USDC", token0: "ETH", token1: "USDC", feePpm: 3000 }));
    ok(f.engine.transfer({ from: id(bob), to: id(alice), token: "ETH", amount: 5n * 10n ** 17n }));
    ok(f.engine.addLiquidity({ account: id(alice), pool: "ETH-USDC", amount0Desired: 5n * 10n ** 17n, amount1Desired: 1_500_000_000n }));
    ok(f.engine.swap({ account: id(carol), pool: "ETH-USDC", tokenIn: "USDC", amountIn: 300_000_000n }));
    ok(f.engine.withdraw({ account: id(alice), token: "USDC", amount: 700_000_000n }));
    const cert1 = certificate(f, checkpoint(f));
    const w = await f.adjudicator.withdraw(alice.account, f.channelId, cert1, leafOf(leavesWithProofs(f.engine), alice, "USDC"));
    expect(w.amount).toBe(700_000_000n);
    expect(await revertOf(f.adjudicator.withdraw(alice.account, f.channelId, cert1, leafOf(leavesWithProofs(f.engine), alice, "USDC")))).toMatch(/NothingToPay/);
    ok(f.engine.swap({ account: id(bob), pool: "ETH-USDC", tokenIn: "ETH", amountIn: 10n ** 17n }));
    const cert2 = certificate(f, checkpoint(f), f.parties.slice(1));
    const exits = leavesWithProofs(f.engine);

    const watcher = new SettlementWatcher({ client: f.adjudicator, channelId: f.channelId, sender: carol.account, latestCertificate: () => cert2, pollIntervalMs: 50 });
    watcher.start();
    await f.adjudicator.proposeSettlement(dave.account, f.channelId, cert1);
    await vi.waitFor(() => expect(watcher.challenges.length).toBe(1), { timeout: 60_000, interval: 50 });
    await watcher.stop();
    expect(watcher.deposits.map((d) => d.amount)).toEqual([4_000_000_000n, 2n * 10n ** 18n, 1_000_000_000n]);
    expect((await f.adjudicator.channel(f.channelId)).height).toBe(2n);
    await f.chain.increaseTimeSeconds(WINDOW);
    await f.adjudicator.finalizeSettlement(dave.account, f.channelId);
    const ethBefore = await f.chain.publicClient.getBalance({ address: bob.address });
    for (const e of exits) {
      const c = await f.adjudicator.claim(f.relayer.account, f.channelId, e);
      expect(c.amount).toBe(e.leaf.amount + e.leaf.withdrawn - (e.leaf.accountAddress === id(alice) && e.leaf.token === "USDC" ? 700_000_000n : 0n));
    }
    const final = (p: typeof alice, token: string): bigint => exits.find((e) => e.leaf.accountAddress === id(p) && e.leaf.token === token)?.leaf.amount ?? 0n;
    expect(await f.usdc.balanceOf(alice.address)).toBe(usdcStart - 4_000_000_000n + 700_000_000n + final(alice, "USDC"));
    expect(await f.chain.publicClient.getBalance({ address: bob.address })).toBe(ethBefore + final(bob, "ETH"));
    // what stays is the unclaimable part of the pool (MINIMUM_LIQUIDITY's share and rounding), exactly
    const dust = (token: string): bigint => {
      const t = f.engine.state.totals.get(token)!;
      return t.deposited - t.withdrawn - exits.filter((e) => e.leaf.token === token).reduce((s, e) => s + e.leaf.amount, 0n);
    };
    expect(await f.adjudicator.holdings(f.channelId, f.usdc.address)).toBe(dust("USDC"));
    expect(await f.adjudicator.holdings(f.channelId, ETH_ADDRESS)).toBe(dust("ETH"));
    expect(dust("ETH")).toBeGreaterThan(0n);
  });
});
