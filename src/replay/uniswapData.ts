/**
 * Parser for the decoded Uniswap V3 event file `*.tick.csv` in `data/uniswap-v3-usdc-weth-2024-01-05/`
 * (demeter-fetch's tick format; see the data README).
 *
 * Columns: block_number, block_timestamp ("YYYY-MM-DD HH:MM:SS", UTC), tx_type (SWAP/MINT/BURN/COLLECT),
 * transaction_hash, pool_tx_index, pool_log_index, proxy_log_index, sender, receipt, amount0 (token0
 * base units, positive = into the pool), amount1, total_liquidity (the pool's active virtual liquidity
 * L), total_liquidity_delta, sqrtPriceX96, current_tick, position_id, tick_lower, tick_upper,
 * liquidity (the position's liquidity for MINT/BURN).
 *
 * Every amount, liquidity and price is parsed to `bigint` exactly (no floats); ticks are integers
 * written as "199045.0" and become `number`s.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DataNotFoundError, dataPath } from "./paths.js";

export type UniswapEventType = "SWAP" | "MINT" | "BURN" | "COLLECT";

export interface UniswapEvent {
  block: number;
  /** Unix seconds (UTC). */
  timestamp: number;
  type: UniswapEventType;
  txHash: string;
  logIndex: number;
  /** Lower-case 0x-address of the caller (for swaps usually a router or aggregator). */
  sender: string;
  /** Recipient (empty for MINT/BURN). */
  receipt: string;
  /** Token0 (USDC) base units; positive = into the pool. */
  amount0: bigint;
  /** Token1 (WETH) base units; positive = into the pool. */
  amount1: bigint;
  /** Active virtual liquidity L of the pool after the event. */
  totalLiquidity: bigint;
  totalLiquidityDelta: bigint;
  /** √(token1/token0) in Q64.96 after the event. */
  sqrtPriceX96: bigint;
  currentTick: number;
  /** NFT position id (positions held through the NonfungiblePositionManager), else undefined. */
  positionId: string | undefined;
  /** Position range and liquidity (MINT/BURN/COLLECT); undefined for swaps. */
  tickLower: number | undefined;
  tickUpper: number | undefined;
  liquidity: bigint | undefined;
}

const EXPECTED_HEADER =
  "block_number,block_timestamp,tx_type,transaction_hash,pool_tx_index,pool_log_index,proxy_log_index,sender,receipt," +
  "amount0,amount1,total_liquidity,total_liquidity_delta,sqrtPriceX96,current_tick,position_id,tick_lower,tick_upper,liquidity";

const TYPES: ReadonlySet<string> = new Set(["SWAP", "MINT", "BURN", "COLLECT"]);

/** The dataset folder inside a data directory. */
export const UNISWAP_DATASET = "uniswap-v3-usdc-weth-2024-01-05";

/** Path of the `*.tick.csv` file in `<dataDir>/uniswap-v3-usdc-weth-2024-01-05/`. @throws DataNotFoundError if absent */
export function uniswapTickFile(dataDir: string): string {
  const dir = dataPath(dataDir, UNISWAP_DATASET);
  const name = readdirSync(dir).find((f) => f.endsWith(".tick.csv"));
  if (name === undefined) throw new DataNotFoundError(dataDir, [join(dir, "*.tick.csv")]);
  return join(dir, name);
}

/**
 * Parses the text of a tick.csv file.
 * @returns the events in file order (block, then log index)
 * @throws Error naming the line on a wrong header, an unknown tx_type or a malformed number
 */
export function parseUniswapTicks(text: string): UniswapEvent[] {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== EXPECTED_HEADER) throw new Error(`unexpected Uniswap tick.csv header: ${lines[0]?.slice(0, 80)}`);
  const events: UniswapEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || line === "") continue;
    const c = line.split(",");
    if (c.length !== 19) throw new Error(`line ${i + 1}: expected 19 columns, got ${c.length}`);
    const type = c[2] ?? "";
    if (!TYPES.has(type)) throw new Error(`line ${i + 1}: unknown tx_type ${type}`);
    const at = (k: number): string => c[k] ?? "";
    events.push({
      block: int(at(0), i),
      timestamp: utcSeconds(at(1), i),
      type: type as UniswapEventType,
      txHash: at(3),
      logIndex: int(at(5), i),
      sender: at(7).toLowerCase(),
      receipt: at(8).toLowerCase(),
      amount0: big(at(9), i),
      amount1: big(at(10), i),
      totalLiquidity: big(at(11), i),
      totalLiquidityDelta: big(at(12), i),
      sqrtPriceX96: big(at(13), i),
      currentTick: int(at(14), i),
      positionId: at(15) === "" ? undefined : String(int(at(15), i)),
      tickLower: at(16) === "" ? undefined : int(at(16), i),
      tickUpper: at(17) === "" ? undefined : int(at(17), i),
      liquidity: at(18) === "" ? undefined : big(at(18), i),
    });
  }
  return events;
}

/** Reads and parses the day's tick.csv from a data directory (see `defaultDataDir()`). */
export function loadUniswapEvents(dataDir: string): UniswapEvent[] {
  return parseUniswapTicks(readFileSync(uniswapTickFile(dataDir), "utf8"));
}

function big(s: string, line: number): bigint {
  if (!/^-?\d+$/.test(s)) throw new Error(`line ${line + 1}: not an integer: ${JSON.stringify(s)}`);
  return BigInt(s);
}

/** Integers written as "199045" or "199045.0". */
function int(s: string, line: number): number {
  const m = /^(-?\d+)(?:\.0+)?$/.exec(s);
  if (m === null || m[1] === undefined) throw new Error(`line ${line + 1}: not an integer: ${JSON.stringify(s)}`);
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n)) throw new Error(`line ${line + 1}: integer out of range: ${s}`);
  return n;
}

function utcSeconds(s: string, line: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (m === null) throw new Error(`line ${line + 1}: bad timestamp ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}
