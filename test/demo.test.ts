/**
 * The main job end to end: all three real recordings through one engine, checked, twice — the same
 * input must give the same state root, and re-applying the journal must reproduce it.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runReplays } from "../src/cli/demo.js";
import { defaultDataDir } from "../src/replay/paths.js";

describe("semilattice demo (main job)", () => {
  it("replays all three data sets, checks them, and is deterministic", () => {
    const out = mkdtempSync(join(tmpdir(), "semilattice-demo-"));
    const first = runReplays(defaultDataDir(), out);
    const second = runReplays(defaultDataDir(), out);

    expect(first.summary.uniswap).toMatchObject({ swaps: 6046, accepted: 6046, rejected: 0 });
    expect(first.summary.lobster).toEqual({ messages: 999, levelsChecked: 937, levelsMatched: 937, rowsMatched: 999 });
    expect(first.summary.coinbase.markets).toBe(10);
    // Aave V3 Polygon day on the same engine (src/replay/aave.ts; test/lending.aave.test.ts checks the figures).
    expect(first.summary.lending["USDC.e"]).toMatchObject({ events: 880, accepted: 880, minutes: 1440 });
    expect(first.summary.lending["WETH"]).toMatchObject({ events: 413, accepted: 413, minutes: 1434 });
    expect(first.lending.exitSolvent).toBe(true);
    expect(first.conservationOk).toBe(true);
    expect(first.replayStateRootEqual).toBe(true);
    expect(first.summary.stateRoot).toMatch(/^0x[0-9a-f]{64}$/);

    expect(second.summary.stateRoot).toBe(first.summary.stateRoot);
    expect(second.exitRoot).toBe(first.exitRoot);
    expect(second.summary.uniswap).toEqual(first.summary.uniswap);
    expect(second.summary.lending).toEqual(first.summary.lending);

    const svg = readFileSync(first.chartPath, "utf8");
    expect(svg.startsWith("<svg") || svg.startsWith("<?xml")).toBe(true);
  });
});
