/** Where the real data is found (src/replay/paths.ts): flag, then SEMILATTICE_DATA, then <package root>/data; every file the main job reads is there. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertDataDir, DATA_FILES, DataNotFoundError, dataPath, defaultDataDir, projectRoot, resolveDataDir } from "../src/replay/paths.js";
import { loadCoinbase } from "../src/replay/coinbaseData.js";
import { uniswapTickFile } from "../src/replay/uniswapData.js";

const saved = process.env["SEMILATTICE_DATA"];
afterEach(() => {
  if (saved === undefined) delete process.env["SEMILATTICE_DATA"];
  else process.env["SEMILATTICE_DATA"] = saved;
});

describe("the market data folder", () => {
  it("is data/ at the package root by default, and holds every file the main job reads", () => {
    delete process.env["SEMILATTICE_DATA"];
    expect(defaultDataDir()).toBe(join(projectRoot(), "data"));
    expect(existsSync(join(projectRoot(), "data", "README.md"))).toBe(true);
    expect(() => assertDataDir(defaultDataDir())).not.toThrow();
    expect(DATA_FILES.length).toBe(15);
  });

  it("resolves --data over SEMILATTICE_DATA over the default", () => {
    process.env["SEMILATTICE_DATA"] = "relative/env-data";
    expect(defaultDataDir()).toBe(resolve("relative/env-data"));
    expect(resolveDataDir()).toBe(resolve("relative/env-data"));
    expect(resolveDataDir("flag-data")).toBe(resolve("flag-data"));
  });

  it("a missing folder or file is a DataNotFoundError that names it and the overrides", () => {
    const nowhere = resolve("no-such-semilattice-data");
    expect(() => loadCoinbase(nowhere)).toThrow(DataNotFoundError);
    expect(() => loadCoinbase(nowhere)).toThrow(`the market data folder ${nowhere} does not exist`);
    const root = projectRoot();
    try {
      dataPath(root, "cex-l2-cryptofeed", "missing.file");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DataNotFoundError);
      expect((error as DataNotFoundError).code).toBe("DATA_NOT_FOUND");
      expect((error as DataNotFoundError).missing).toEqual([join(root, "cex-l2-cryptofeed", "missing.file")]);
      expect((error as Error).message).toMatch(/--data <dir> or the SEMILATTICE_DATA environment variable/);
    }
    // a folder that exists but lacks the data set: the data set's folder is named
    expect(() => uniswapTickFile(root)).toThrow(/lacks uniswap-v3-usdc-weth-2024-01-05/);
  });
});
