/**
 * Where the real market data lives: `data/` at the package root (shipped in the repository and in the
 * npm package; provenance and licences in `data/README.md`).
 *
 * Resolution order: an explicit folder (the CLI's `--data DIR`, or `dataDir` passed to a replay),
 * else the `SEMILATTICE_DATA` environment variable, else `<package root>/data`. A missing folder or
 * file is a {@link DataNotFoundError} naming what is missing and both overrides, never a raw ENOENT.
 */
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SemilatticeError } from "../core/errors.js";

/** The market data folder, or a file in it, is missing. `details` names the overrides. */
export class DataNotFoundError extends SemilatticeError {
  override name = "DataNotFoundError";
  declare readonly code: "DATA_NOT_FOUND";
  /** Absolute paths that were looked for and are missing. */
  readonly missing: readonly string[];
  constructor(dataDir: string, missing: readonly string[]) {
    const rel = missing.map((p) => relative(dataDir, p) || ".");
    const what = missing.length === 1 && rel[0] === "." ? `the market data folder ${dataDir} does not exist` : `the market data folder ${dataDir} lacks ${rel.join(", ")}`;
    super("DATA_NOT_FOUND", `semilattice: ${what}`, {
      details: "point --data <dir> or the SEMILATTICE_DATA environment variable at a folder holding the real data (the package ships it as data/; see data/README.md)",
    });
    this.missing = missing;
  }
}

/** The package root: the nearest folder above this module holding package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new SemilatticeError("PACKAGE_ROOT_NOT_FOUND", "semilattice: cannot find the package root (package.json) above " + fileURLToPath(import.meta.url));
}

/** `$SEMILATTICE_DATA` (resolved against the working directory), else `<package root>/data`. */
export function defaultDataDir(): string {
  const fromEnv = process.env["SEMILATTICE_DATA"];
  return fromEnv !== undefined && fromEnv !== "" ? resolve(fromEnv) : join(projectRoot(), "data");
}

/** `dir` (resolved against the working directory) when given, else {@link defaultDataDir}. */
export function resolveDataDir(dir?: string): string {
  return dir === undefined ? defaultDataDir() : resolve(dir);
}

/**
 * The path of `parts` inside `dataDir`, checked to exist.
 * @throws DataNotFoundError naming the folder when `dataDir` itself is missing, else the file
 */
export function dataPath(dataDir: string, ...parts: string[]): string {
  const path = join(dataDir, ...parts);
  if (existsSync(path)) return path;
  throw new DataNotFoundError(dataDir, [existsSync(dataDir) ? path : dataDir]);
}

/** Every file the main job reads, relative to the data folder. */
export const DATA_FILES: readonly string[] = [
  "uniswap-v3-usdc-weth-2024-01-05/ethereum-0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640-2024-01-05.tick.csv",
  "lobster-aapl-2012-06-21-sample/AAPL_2012-06-21_34200000_57600000_message_10.csv",
  "lobster-aapl-2012-06-21-sample/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv",
  "cex-l2-cryptofeed/COINBASE.ws.28.0",
  "aave-v3-polygon-2024-01-06/polygon-aave_v3-0x2791bca1f2de4661ed88a30c99a7a9449aa84174-2024-01-06.tick.csv",
  "aave-v3-polygon-2024-01-06/polygon-aave_v3-0x2791bca1f2de4661ed88a30c99a7a9449aa84174-2024-01-06.raw.csv",
  "aave-v3-polygon-2024-01-06/polygon-aave_v3-0x2791bca1f2de4661ed88a30c99a7a9449aa84174-2024-01-06.minute.csv",
  "aave-v3-polygon-2024-01-06/polygon-aave_v3-0x7ceb23fd6bc0add59e62ac25578270cff1b9f619-2024-01-06.tick.csv",
  "aave-v3-polygon-2024-01-06/polygon-aave_v3-0x7ceb23fd6bc0add59e62ac25578270cff1b9f619-2024-01-06.raw.csv",
  "aave-v3-polygon-2024-01-06/polygon-aave_v3-0x7ceb23fd6bc0add59e62ac25578270cff1b9f619-2024-01-06.minute.csv",
  "gmx-v2-perp-arbitrum/arbitrum-GmxV2-0x70d95587d40a2caf56bd97485ab3eec10bee6336-2025-11-11.minute.csv",
  "gmx-v2-perp-arbitrum/arbitrum-GmxV2-0x70d95587d40a2caf56bd97485ab3eec10bee6336-2025-12-11.minute.csv",
  "gmx-v2-perp-arbitrum/arbitrum-GmxV2-0x70d95587d40a2caf56bd97485ab3eec10bee6336-2025-12-15.minute.csv",
  "gmx-v2-perp-arbitrum/price_weth_usdc_0813_0817.minute.csv",
  "eth-usd-hourly-coingecko/WETH_usd_2021-01_2023-02.csv",
];

/**
 * Checks that `dataDir` holds every file of {@link DATA_FILES} before a long run starts.
 * @throws DataNotFoundError listing every missing file (or the folder itself)
 */
export function assertDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) throw new DataNotFoundError(dataDir, [dataDir]);
  const missing = DATA_FILES.map((f) => join(dataDir, f)).filter((p) => !existsSync(p));
  if (missing.length > 0) throw new DataNotFoundError(dataDir, missing);
}
