import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";

/** Runs the CLI in-process, capturing what it prints. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ") + "\n"));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ") + "\n"));
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  const code = await main(["node", "semilattice", ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join(""), err: err.join("") };
}

afterEach(() => vi.restoreAllMocks());

describe("semilattice amm quote", () => {
  it("prints Uniswap V2's getAmountOut reference values", async () => {
    // UniswapV2Pair.spec.ts swapTestCases: (swap 1, reserves 5 and 10, ×1e18) → 1662497915624478906
    const r = await cli("amm", "quote", "--reserve-in", "5000000000000000000", "--reserve-out", "10000000000000000000", "--amount-in", "1000000000000000000");
    expect(r).toEqual({ code: 0, out: "1662497915624478906\n", err: "" });
    // UniswapV2Router02.spec.ts: getAmountOut(2, 100, 100) = 1; getAmountIn(1, 100, 100) = 2
    expect((await cli("amm", "quote", "--reserve-in", "100", "--reserve-out", "100", "--amount-in", "2")).out).toBe("1\n");
    expect((await cli("amm", "quote", "--reserve-in", "100", "--reserve-out", "100", "--amount-out", "1")).out).toBe("2\n");
  });

  it("uses --fee-ppm (500 ppm = Uniswap V3's 0.05% tier)", async () => {
    // 1000·999500·1e6 / (1e6·1e6 + 1000·999500) = 999.499... → 999 (rounded down)
    const r = await cli("amm", "quote", "--reserve-in", "1000000", "--reserve-out", "1000000", "--amount-in", "1000", "--fee-ppm", "500");
    expect(r.out).toBe("998\n");
  });

  it("rejects bad flags with a clear message and exit code 2", async () => {
    const bad: [string[], RegExp][] = [
      [["--reserve-in", "-5", "--reserve-out", "10", "--amount-in", "1"], /non-negative decimal integer/],
      [["--reserve-in", "1.5", "--reserve-out", "10", "--amount-in", "1"], /non-negative decimal integer/],
      [["--reserve-in", "5", "--reserve-out", "10"], /exactly one of --amount-in or --amount-out/],
      [["--reserve-in", "5", "--reserve-out", "10", "--amount-in", "1", "--amount-out", "1"], /exactly one/],
      [["--reserve-in", "5", "--reserve-out", "10", "--amount-out", "10"], /INSUFFICIENT_LIQUIDITY/],
      [["--reserve-in", "0", "--reserve-out", "10", "--amount-in", "1"], /reserves must be positive/],
      [["--reserve-in", "5", "--reserve-out", "10", "--amount-in", "1", "--fee-ppm", "1000000"], /0\.\.999999/],
      [["--reserve-in", "5", "--reserve-out", "10", "--amount-in", "0"], /must be positive/],
      [["--reserve-in", (1n << 128n).toString(), "--reserve-out", "10", "--amount-in", "1"], /2\^128-1/],
    ];
    for (const [args, message] of bad) {
      const r = await cli("amm", "quote", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err, args.join(" ")).toMatch(message);
      expect(r.out).toBe("");
    }
  });
});

describe("semilattice --help", () => {
  it("every command has help", async () => {
    for (const args of [["--help"], ["demo", "--help"], ["run", "--help"], ["amm", "--help"], ["amm", "quote", "--help"]]) {
      const r = await cli(...args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.out + r.err).toMatch(/Usage: semilattice/);
    }
  });

  it("an unknown command is a usage error", async () => {
    expect((await cli("frobnicate")).code).toBe(2);
  });

  it("the participant limit of the flags is the demo's", async () => {
    const { MAX_DEMO_PARTICIPANTS } = await import("../src/cli/channelDemo.js");
    const { MAX_DEMO_PARTICIPANTS: flagLimit } = await import("../src/cli/main.js");
    expect(flagLimit).toBe(MAX_DEMO_PARTICIPANTS);
  });
});

describe("semilattice demo and the market data folder", () => {
  it("a missing data folder is a usage error naming it and both overrides", async () => {
    const missing = join(tmpdir(), "semilattice-no-such-data-folder");
    const r = await cli("demo", "--data", missing, "--no-progress");
    expect(r.code).toBe(2);
    expect(r.err).toContain(`the market data folder ${missing} does not exist`);
    expect(r.err).toMatch(/--data <dir>.*SEMILATTICE_DATA/);
    expect(r.err).not.toMatch(/ENOENT/);
  });

  it("an incomplete data folder names every missing file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "semilattice-data-"));
    const r = await cli("demo", "--data", dir, "--no-progress", "--json");
    expect(r.code).toBe(2);
    expect(r.err).toContain("lacks uniswap-v3-usdc-weth-2024-01-05/ethereum-0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640-2024-01-05.tick.csv");
    expect(r.err).toContain("cex-l2-cryptofeed/COINBASE.ws.28.0");
    expect(r.err).not.toMatch(/ENOENT/);
  });

  it("--perps on a folder without the price files names the missing file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "semilattice-data-"));
    const r = await cli("demo", "--data", dir, "--perps", "--no-progress");
    expect(r.code).toBe(2);
    expect(r.err).toContain("lacks eth-usd-hourly-coingecko/WETH_usd_2021-01_2023-02.csv");
  });
});

describe("semilattice run", () => {
  it("names the bad field of a malformed scenario and runs nothing", async () => {
    const r = await cli("run", "examples/malformed.json");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ops\[0\]\.amount: must be a decimal integer string of base units/);
    expect(r.out).toBe("");
  });

  it("reports an unreadable file", async () => {
    const r = await cli("run", "does/not/exist.json");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read/);
  });

  it("prints one JSON line per op and a summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "semilattice-"));
    const path = join(dir, "s.json");
    writeFileSync(
      path,
      JSON.stringify({
        tokens: [{ symbol: "USDC", decimals: 6 }],
        accounts: [{ id: "alice", deposits: { USDC: "1000" } }, { id: "bob" }],
        ops: [
          { type: "transfer", from: "alice", to: "bob", token: "USDC", amount: "400" },
          { type: "transfer", from: "alice", to: "bob", token: "USDC", amount: "601" },
          { type: "getBalance", account: "bob", token: "USDC" },
        ],
      }),
    );
    const r = await cli("run", path, "--summary");
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ index: 0, type: "transfer", status: "accepted", balance: "600" });
    expect(lines[1]).toMatchObject({ index: 1, type: "transfer", status: "rejected", code: "INSUFFICIENT_BALANCE" });
    expect(lines[2]).toEqual({ index: 2, type: "getBalance", status: "accepted", free: "400", reserved: "0" });
    expect(lines[3]).toMatchObject({ summary: { ops: 3, accepted: 2, rejected: 1, conservation: true } });
  });
});
