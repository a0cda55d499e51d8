/**
 * Real ETH/USD price paths for the perpetuals replay (see data/README.md):
 *
 * - CoinGecko WETH/USD hourly, 2021-01..2023-02 (`timestamp` in ms): two crash windows, May 2021
 *   (4,327 → 1,787 USD) and June 2022 (1,911 → 896 USD, −27.8% in one hour).
 * - The GMX V2 sample's WETH minute prices, 2023-08-13..17 (`price_weth_usdc_0813_0817.minute.csv`).
 * - GMX V2 ETH/USD perpetual market, one row a minute, its `indexPrice` on 2025-11-11, 2025-12-11,
 *   2025-12-15.
 *
 * Prices are parsed from their decimal text straight into the oracle's unit (USD · 1e8, truncated
 * after the 8th decimal): no floating point touches a price the engine sees.
 */
import { readFileSync } from "node:fs";
import { dataPath } from "./paths.js";

export interface PricePoint {
  /** ms since the epoch (UTC). */
  timeMs: number;
  /** USD with 8 decimals per ETH. */
  priceE8: bigint;
}

export interface PriceSegment {
  /** Short id used in market, asset and account ids ("2021-05"). */
  id: string;
  name: string;
  source: string;
  /** "hourly" or "minute": sets how often funding samples and settlements happen. */
  resolution: "hourly" | "minute";
  points: PricePoint[];
}

/** Decimal text → USD·1e8 (truncated); undefined for an empty or malformed field. */
export function parseUsdE8(text: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (m === null) return undefined;
  const frac = ((m[2] ?? "") + "00000000").slice(0, 8);
  return BigInt(m[1]!) * 100_000_000n + BigInt(frac);
}

function csvRows(path: string): string[][] {
  return readFileSync(path, "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => l.split(","));
}

/** CoinGecko hourly rows (`symbol,timestamp(ms),USD_price`) with `from ≤ time < to` (ISO dates, UTC). */
export function coingeckoWindow(dataDir: string, from: string, to: string): PricePoint[] {
  const path = dataPath(dataDir, "eth-usd-hourly-coingecko", "WETH_usd_2021-01_2023-02.csv");
  const lo = Date.parse(from + "T00:00:00Z");
  const hi = Date.parse(to + "T00:00:00Z");
  const out: PricePoint[] = [];
  for (const row of csvRows(path)) {
    const timeMs = Number(row[1]);
    const priceE8 = parseUsdE8(row[2] ?? "");
    if (priceE8 !== undefined && timeMs >= lo && timeMs < hi) out.push({ timeMs, priceE8 });
  }
  return out;
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) → ms. */
function utcMs(text: string): number {
  return Date.parse(text.trim().replace(" ", "T") + "Z");
}

/** A GMX V2 ETH/USD market day: `indexPrice` per minute. */
export function gmxDay(dataDir: string, day: string): PricePoint[] {
  const path = dataPath(dataDir, "gmx-v2-perp-arbitrum", `arbitrum-GmxV2-0x70d95587d40a2caf56bd97485ab3eec10bee6336-${day}.minute.csv`);
  const text = readFileSync(path, "utf8");
  const header = text.slice(0, text.indexOf("\n")).split(",");
  const col = header.indexOf("indexPrice");
  const out: PricePoint[] = [];
  for (const row of csvRows(path)) {
    const priceE8 = parseUsdE8(row[col] ?? "");
    if (priceE8 !== undefined) out.push({ timeMs: utcMs(row[0]!), priceE8 });
  }
  return out;
}

/** The GMX sample's WETH minute prices, 2023-08-13..17 (`,WETH,USDC`). */
export function gmxWethAugust2023(dataDir: string): PricePoint[] {
  const out: PricePoint[] = [];
  for (const row of csvRows(dataPath(dataDir, "gmx-v2-perp-arbitrum", "price_weth_usdc_0813_0817.minute.csv"))) {
    const priceE8 = parseUsdE8(row[1] ?? "");
    if (priceE8 !== undefined) out.push({ timeMs: utcMs(row[0]!), priceE8 });
  }
  return out;
}

/** The replay's segments, in chronological order (engine time only moves forward). */
export function loadPriceSegments(dataDir: string): PriceSegment[] {
  return [
    { id: "2021-05", name: "2021-05 crash", source: "CoinGecko WETH/USD hourly", resolution: "hourly", points: coingeckoWindow(dataDir, "2021-05-10", "2021-05-25") },
    { id: "2022-06", name: "2022-06 crash", source: "CoinGecko WETH/USD hourly", resolution: "hourly", points: coingeckoWindow(dataDir, "2022-06-06", "2022-06-21") },
    { id: "2023-08", name: "2023-08-13..17", source: "GMX sample WETH minute prices", resolution: "minute", points: gmxWethAugust2023(dataDir) },
    { id: "2025-11-11", name: "2025-11-11", source: "GMX V2 ETH/USD indexPrice, minute", resolution: "minute", points: gmxDay(dataDir, "2025-11-11") },
    { id: "2025-12-11", name: "2025-12-11", source: "GMX V2 ETH/USD indexPrice, minute", resolution: "minute", points: gmxDay(dataDir, "2025-12-11") },
    { id: "2025-12-15", name: "2025-12-15", source: "GMX V2 ETH/USD indexPrice, minute", resolution: "minute", points: gmxDay(dataDir, "2025-12-15") },
  ];
}
