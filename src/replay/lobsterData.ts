/**
 * Parser of the LOBSTER AAPL sample (NASDAQ, 2012-06-21, 10 levels) in
 * `<dataDir>/lobster-aapl-2012-06-21-sample/` (see the data README).
 *
 * - message file, no header, one event a line: `time,type,orderId,size,price,direction` — time in
 *   seconds after midnight (decimal), type 1 submit / 2 partial cancel / 3 delete / 4 visible
 *   execution / 5 hidden execution / 7 trading halt, size in shares, price in USD × 10000, direction 1
 *   buy / −1 sell (for executions: the side of the resting order that was executed).
 * - orderbook file, no header, one line per message: the book AFTER that message, 40 columns: for
 *   levels 1..10, ask price, ask size, bid price, bid size. An empty level is LOBSTER's dummy
 *   (ask price 9999999999, bid price −9999999999, size 0); it is dropped here.
 *
 * Everything is parsed as exact integers (time is kept as its decimal text); a malformed line throws
 * an Error naming the file and line.
 */
import { readFileSync } from "node:fs";
import { dataPath } from "./paths.js";

export const LOBSTER_DIR = "lobster-aapl-2012-06-21-sample";
export const LOBSTER_MESSAGE_FILE = "AAPL_2012-06-21_34200000_57600000_message_10.csv";
export const LOBSTER_BOOK_FILE = "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv";
/** Levels per side in the orderbook file. */
export const LOBSTER_LEVELS = 10;

export type LobsterEventType = 1 | 2 | 3 | 4 | 5 | 7;

export interface LobsterMessage {
  /** 0-based index in the file (= index of the book row after it). */
  index: number;
  /** Seconds after midnight, as written (decimal text; not used for arithmetic). */
  time: string;
  type: LobsterEventType;
  orderId: number;
  /** Shares. */
  size: number;
  /** USD × 10000 (= base units of a 4-decimal USD token per share). */
  price: number;
  /** 1 buy, −1 sell. */
  direction: 1 | -1;
}

export interface LobsterLevel {
  /** USD × 10000. */
  price: number;
  /** Shares. */
  size: number;
}

/** The published book after one message: up to 10 levels per side, best first. */
export interface LobsterRow {
  asks: LobsterLevel[];
  bids: LobsterLevel[];
}

export interface LobsterData {
  messages: LobsterMessage[];
  rows: LobsterRow[];
}

/** Reads and parses both files of the sample. Throws if a file is missing or malformed, or the counts differ. */
export function loadLobster(dataDir: string): LobsterData {
  const messages = parseLobsterMessages(readFileSync(dataPath(dataDir, LOBSTER_DIR, LOBSTER_MESSAGE_FILE), "utf8"), LOBSTER_MESSAGE_FILE);
  const rows = parseLobsterRows(readFileSync(dataPath(dataDir, LOBSTER_DIR, LOBSTER_BOOK_FILE), "utf8"), LOBSTER_BOOK_FILE);
  if (messages.length !== rows.length) {
    throw new Error(`LOBSTER: ${messages.length} messages but ${rows.length} book rows`);
  }
  return { messages, rows };
}

const TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 7]);
const INT = /^-?\d+$/;
const TIME = /^\d+(\.\d+)?$/;
const DUMMY_PRICE = 9_999_999_999;

function int(text: string, file: string, line: number, field: string): number {
  const value = Number(text);
  if (!INT.test(text) || !Number.isSafeInteger(value)) throw new Error(`${file}:${line}: ${field} is not an integer: ${text}`);
  return value;
}

function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

/** Parses the message file's text. */
export function parseLobsterMessages(text: string, file = "message file"): LobsterMessage[] {
  return lines(text).map((raw, index) => {
    const line = index + 1;
    const f = raw.split(",");
    if (f.length !== 6) throw new Error(`${file}:${line}: expected 6 fields, got ${f.length}`);
    const time = f[0]!;
    if (!TIME.test(time)) throw new Error(`${file}:${line}: bad time ${time}`);
    const type = int(f[1]!, file, line, "type");
    if (!TYPES.has(type)) throw new Error(`${file}:${line}: unknown event type ${type}`);
    const orderId = int(f[2]!, file, line, "order id");
    const size = int(f[3]!, file, line, "size");
    const price = int(f[4]!, file, line, "price");
    const direction = int(f[5]!, file, line, "direction");
    if (direction !== 1 && direction !== -1) throw new Error(`${file}:${line}: direction must be 1 or -1, got ${direction}`);
    if (type !== 7 && (size <= 0 || price <= 0)) throw new Error(`${file}:${line}: size and price must be positive`);
    return { index, time, type: type as LobsterEventType, orderId, size, price, direction };
  });
}

/** Parses the orderbook file's text; dummy (empty) levels are dropped. */
export function parseLobsterRows(text: string, file = "orderbook file"): LobsterRow[] {
  return lines(text).map((raw, index) => {
    const line = index + 1;
    const f = raw.split(",");
    if (f.length !== 4 * LOBSTER_LEVELS) throw new Error(`${file}:${line}: expected ${4 * LOBSTER_LEVELS} fields, got ${f.length}`);
    const asks: LobsterLevel[] = [];
    const bids: LobsterLevel[] = [];
    for (let l = 0; l < LOBSTER_LEVELS; l++) {
      const askPrice = int(f[4 * l]!, file, line, "ask price");
      const askSize = int(f[4 * l + 1]!, file, line, "ask size");
      const bidPrice = int(f[4 * l + 2]!, file, line, "bid price");
      const bidSize = int(f[4 * l + 3]!, file, line, "bid size");
      if (askPrice !== DUMMY_PRICE && askSize > 0) asks.push({ price: askPrice, size: askSize });
      if (bidPrice !== -DUMMY_PRICE && bidSize > 0) bids.push({ price: bidPrice, size: bidSize });
    }
    for (let l = 1; l < asks.length; l++) {
      if (!(asks[l]!.price > asks[l - 1]!.price)) throw new Error(`${file}:${line}: ask levels not increasing`);
    }
    for (let l = 1; l < bids.length; l++) {
      if (!(bids[l]!.price < bids[l - 1]!.price)) throw new Error(`${file}:${line}: bid levels not decreasing`);
    }
    return { asks, bids };
  });
}
