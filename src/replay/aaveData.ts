/**
 * Parsers for the Aave V3 Polygon day in `data/aave-v3-polygon-2024-01-06/` (demeter-fetch's
 * format; see the data README), for two reserves: WETH (0x7ceb…f619) and USDC.e (0x2791…4174).
 *
 * - `*.tick.csv`: decoded SUPPLY / WITHDRAW / BORROW / REPAY events: block_number, block_timestamp
 *   ("YYYY-MM-DD HH:MM:SS" UTC), tx_type (AAVE_SUPPLY …), transaction_hash, transaction_index,
 *   log_index, reserve, owner, amount (base units), …
 * - `*.minute.csv`: per minute, the reserve's stored `liquidity_rate`, `stable_borrow_rate`,
 *   `variable_borrow_rate` (APR) and `liquidity_index`, `variable_borrow_index` (ray as a decimal with
 *   27 fractional digits) **after the last update within that minute** (the 00:00 row already shows the
 *   00:00:05 update).
 * - `*.raw.csv`: the raw logs. We decode `ReserveDataUpdated(reserve, liquidityRate, stableBorrowRate,
 *   variableBorrowRate, liquidityIndex, variableBorrowIndex)` (topic0 0x804c9b84…) to know when each
 *   published index was stored and its exact ray values.
 *
 * Every amount and ray is parsed to `bigint` exactly.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DataNotFoundError, dataPath } from "./paths.js";

export const AAVE_DATASET = "aave-v3-polygon-2024-01-06";
export const AAVE_WETH_ADDRESS = "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619";
export const AAVE_USDCE_ADDRESS = "0x2791bca1f2de4661ed88a30c99a7a9449aa84174";
/** keccak256("ReserveDataUpdated(address,uint256,uint256,uint256,uint256,uint256)"). */
export const RESERVE_DATA_UPDATED_TOPIC = "0x804c9b842b2748a22bb64b345453a3de7ca54a6ca45ce00d415894979e22897a";

export type AaveEventType = "SUPPLY" | "WITHDRAW" | "BORROW" | "REPAY";

export interface AaveEvent {
  block: number;
  /** Unix seconds. */
  timestamp: number;
  logIndex: number;
  type: AaveEventType;
  owner: string;
  /** Base units of the reserve's token. */
  amount: bigint;
}

/** A published reserve state (ray values). */
export interface AaveReserveUpdate {
  block: number;
  /** Unix seconds of the block that stored it. */
  timestamp: number;
  logIndex: number;
  liquidityRate: bigint;
  stableBorrowRate: bigint;
  variableBorrowRate: bigint;
  liquidityIndex: bigint;
  variableBorrowIndex: bigint;
}

export interface AaveMinute {
  /** Unix seconds of the minute's start. */
  timestamp: number;
  liquidityRate: bigint;
  variableBorrowRate: bigint;
  liquidityIndex: bigint;
  variableBorrowIndex: bigint;
}

export interface AaveReserveData {
  address: string;
  events: AaveEvent[];
  updates: AaveReserveUpdate[];
  minutes: AaveMinute[];
}

function file(dataDir: string, address: string, suffix: string): string {
  const dir = dataPath(dataDir, AAVE_DATASET);
  const name = readdirSync(dir).find((f) => f.includes(address) && f.endsWith(suffix));
  if (name === undefined) throw new DataNotFoundError(dataDir, [join(dir, `*${address}*${suffix}`)]);
  return join(dir, name);
}

/** "2024-01-06 00:00:01" (UTC) → Unix seconds. */
export function parseTimestamp(text: string): number {
  const ms = Date.parse(text.replace(" ", "T") + "Z");
  if (!Number.isFinite(ms)) throw new Error(`bad timestamp ${text}`);
  return ms / 1000;
}

/** A decimal ray ("1.050326923376189330551063654", up to 27 fractional digits) → bigint ray, exactly. */
export function parseRayDecimal(text: string): bigint {
  const [whole = "0", frac = ""] = text.trim().split(".");
  if (!/^[0-9]+$/.test(whole) || !/^[0-9]*$/.test(frac) || frac.length > 27) throw new Error(`bad ray decimal ${text}`);
  return BigInt(whole) * 10n ** 27n + BigInt(frac.padEnd(27, "0") || "0");
}

function lines(path: string): string[][] {
  const text = readFileSync(path, "utf8");
  return text
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => l.split(","));
}

export function loadAaveReserve(dataDir: string, address: string): AaveReserveData {
  const events: AaveEvent[] = [];
  for (const c of lines(file(dataDir, address, ".tick.csv"))) {
    const type = (c[2] ?? "").replace("AAVE_", "");
    if (type !== "SUPPLY" && type !== "WITHDRAW" && type !== "BORROW" && type !== "REPAY") continue;
    events.push({
      block: Number(c[0]),
      timestamp: parseTimestamp(c[1] ?? ""),
      logIndex: Number(c[5]),
      type,
      owner: c[7] ?? "",
      amount: BigInt(c[8] ?? "0"),
    });
  }
  const updates: AaveReserveUpdate[] = [];
  // raw.csv: block_number,block_timestamp,transaction_hash,transaction_index,log_index,"[topics…]",data
  const raw = readFileSync(file(dataDir, address, ".raw.csv"), "utf8").split("\n").slice(1);
  for (const line of raw) {
    if (!line.includes(RESERVE_DATA_UPDATED_TOPIC)) continue;
    const c = line.split(",");
    const data = (c[c.length - 1] ?? "").trim().slice(2);
    const word = (i: number): bigint => BigInt("0x" + data.slice(i * 64, (i + 1) * 64));
    updates.push({
      block: Number(c[0]),
      timestamp: parseTimestamp(c[1] ?? ""),
      logIndex: Number(c[4]),
      liquidityRate: word(0),
      stableBorrowRate: word(1),
      variableBorrowRate: word(2),
      liquidityIndex: word(3),
      variableBorrowIndex: word(4),
    });
  }
  const order = (a: { block: number; logIndex: number }, b: { block: number; logIndex: number }): number => a.block - b.block || a.logIndex - b.logIndex;
  events.sort(order);
  updates.sort(order);
  const minutes: AaveMinute[] = lines(file(dataDir, address, ".minute.csv")).map((c) => ({
    timestamp: parseTimestamp(c[0] ?? ""),
    liquidityRate: parseRayDecimal(c[1] ?? ""),
    variableBorrowRate: parseRayDecimal(c[3] ?? ""),
    liquidityIndex: parseRayDecimal(c[4] ?? ""),
    variableBorrowIndex: parseRayDecimal(c[5] ?? ""),
  }));
  return { address, events, updates, minutes };
}
