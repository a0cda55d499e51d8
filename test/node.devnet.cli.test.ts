/**
 * `semilattice devnet` end to end with real processes (loopback, bounded by --duration): a hardhat
 * node, 3 `semilattice node` processes that authenticate each other, a clean stop of all. Spawns
 * bin/semilattice.js, so it runs the built CLI (dist/, built by `npm ci`'s prepare), as the tcp
 * channel demo does.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import type { DevnetManifest } from "../src/node/devnet/setup.js";

afterEach(() => vi.restoreAllMocks());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("semilattice devnet", () => {
  it("starts the chain and 3 node processes that connect to each other, then stops them all", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "semilattice-devnet-cli-")), "net");
    const out: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
    const code = await main(["node", "semilattice", "devnet", "--participants", "3", "--dir", dir, "--duration", "20", "--json"]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const summary = JSON.parse(out[0]!) as { nodes: { home: string; address: string; pid: number }[] };
    const manifest = JSON.parse(readFileSync(join(dir, "devnet.json"), "utf8")) as DevnetManifest;
    expect(summary.nodes.map((n) => n.address)).toEqual(manifest.nodes.map((n) => n.address));
    for (const node of summary.nodes) {
      const log = readFileSync(join(node.home, "node.log"), "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
      const peers = new Set(log.filter((r) => r["msg"] === "peer connected").map((r) => r["peer"]));
      expect(peers.size).toBe(2);
      expect(log.some((r) => r["msg"] === "node stopped")).toBe(true);
      expect(existsSync(join(node.home, "node.pid"))).toBe(false);
      expect(alive(node.pid)).toBe(false);
    }
    expect(alive(manifest.chain.pid)).toBe(false);
  }, 240_000);

  it("exits 2 on bad flags, naming them", async () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    expect(await main(["node", "semilattice", "devnet", "--participants", "0", "--dir", "/tmp/x"])).toBe(2);
    expect(await main(["node", "semilattice", "devnet", "--participants", "2", "--dir", "/tmp/x", "--duration", "1.5"])).toBe(2);
    vi.restoreAllMocks();
    expect(err.join("\n")).toMatch(/--participants: must be an integer in 1\.\.64/);
    expect(err.join("\n")).toMatch(/--duration: must be an integer number of seconds/);
  });

  it("semilattice node exits 2 on a home that does not exist", async () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    expect(await main(["node", "semilattice", "node", "--home", join(tmpdir(), "no-such-home-semilattice")])).toBe(2);
    vi.restoreAllMocks();
    expect(err.join("\n")).toMatch(/node\.json: cannot read/);
  });
});
