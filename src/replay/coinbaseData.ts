/**
 * Parser for the recorded Coinbase Pro websocket session `cex-l2-cryptofeed/COINBASE.ws.28.0`
 * (cryptofeed's sample data: ~30 s of `level2`, `ticker` and `matches` channels for 10 products).
 *
 * File format: one message per line, either `url <- timestamp: json` (what the client sent),
 * `timestamp: json` (what the server sent) or `url <-> timestamp` (the connection opening, no JSON);
 * blank lines are skipped. Message types, all of which are understood and anything else is an error:
 * - `subscribe` / `subscriptions`: the channel handshake (kept only as counts);
 * - `snapshot {product_id, bids, asks}`: the full book, `[price, size]` decimal strings;
 * - `l2update {product_id, time, changes: [side, price, size]}`: `size` is the NEW TOTAL at that
 *   level, "0" removes the level;
 * - `ticker {product_id, sequence, price, best_bid, best_ask, …}`;
 * - `match` (a trade in the session) and `last_match` (the product's most recent trade before we
 *   subscribed, sent once): `side` is the MAKER order's side, `size`/`price` decimal strings.
 *
 * Exact integers, no floats: every price and size is converted from its decimal string by string
 * manipulation into BigInt (see {@link decimalToUnits}), never through `parseFloat`.
 *
 * Units, derived from the data: per product, `priceDecimals` is the largest number of significant
 * decimal places (trailing zeros stripped) of any price seen for it (book levels, trades, ticker best
 * bid/ask and last price) and `sizeDecimals` the same for sizes. One **tick** is then 10^-priceDecimals
 * quote per 1 base, one **lot** 10^-sizeDecimals base. Our tokens (`cb:<SYMBOL>`) get the fewest
 * decimals that make every product exact: a token used as base needs ≥ sizeDecimals, a token used as
 * quote needs ≥ sizeDecimals + priceDecimals (a lot at one tick is 10^-(size+price decimals) quote).
 * With those, the engine's `lotSize = 10^(dec(base) − sizeDecimals)` base units and
 * `tickSize = 10^(dec(quote) − sizeDecimals − priceDecimals)` quote base units per lot, so that
 * `lots × priceTicks × tickSize` is exactly the quote notional in base units.
 * Anything that does not fit (a malformed number, more decimals than derived, a tick or lot count
 * beyond 2^53 − 1) throws an Error naming the file line.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dataPath } from "./paths.js";

export type CoinbaseSide = "buy" | "sell";

/** A price level in integer units of its product: ticks and lots. */
export interface CoinbaseLevel {
  priceTicks: number;
  lots: number;
}

export interface CoinbaseChange extends CoinbaseLevel {
  side: CoinbaseSide;
}

export type CoinbaseEvent =
  | { type: "snapshot"; line: number; product: string; bids: CoinbaseLevel[]; asks: CoinbaseLevel[] }
  | { type: "l2update"; line: number; product: string; time: string; changes: CoinbaseChange[] }
  | {
      type: "ticker";
      line: number;
      product: string;
      sequence: number;
      time: string | undefined;
      priceTicks: number;
      bestBidTicks: number;
      bestAskTicks: number;
    }
  | {
      type: "match";
      line: number;
      product: string;
      tradeId: number;
      time: string;
      /** Side of the resting (maker) order; the taker was on the other side. */
      makerSide: CoinbaseSide;
      priceTicks: number;
      lots: number;
      /** True for `last_match`: a trade from before the subscription, not part of the session's flow. */
      last: boolean;
    };

export interface CoinbaseProduct {
  /** Coinbase product id, e.g. "BAND-GBP". */
  id: string;
  base: string;
  quote: string;
  priceDecimals: number;
  sizeDecimals: number;
  /** Base units (of a token with `tokenDecimals[base]` decimals) per lot. */
  lotSize: bigint;
  /** Quote base units per lot per tick. */
  tickSize: bigint;
}

export interface CoinbaseRecording {
  file: string;
  /** Products sorted by id. */
  products: CoinbaseProduct[];
  /** Derived decimals per Coinbase currency symbol (e.g. "BTC" → 16), sorted by symbol. */
  tokenDecimals: Map<string, number>;
  /** Book-relevant messages in file order (subscribe/subscriptions are dropped). */
  events: CoinbaseEvent[];
  /** Messages per type, as read (including subscribe/subscriptions). */
  counts: Record<string, number>;
}

export const COINBASE_WS_FILE = join("cex-l2-cryptofeed", "COINBASE.ws.28.0");

/** Loads and parses `<dataDir>/cex-l2-cryptofeed/COINBASE.ws.28.0`. */
export function loadCoinbase(dataDir: string): CoinbaseRecording {
  const file = dataPath(dataDir, COINBASE_WS_FILE);
  return parseCoinbase(readFileSync(file, "utf8"), file);
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Significant decimal places of a non-negative decimal string (trailing zeros do not count). */
export function decimalPlaces(s: string, where = "value"): number {
  const m = DECIMAL.exec(s);
  if (m === null) throw new Error(`${where}: not a non-negative decimal number: ${JSON.stringify(s)}`);
  const frac = (m[2] ?? "").replace(/0+$/, "");
  return frac.length;
}

/**
 * The exact integer `s × 10^decimals` of a non-negative decimal string, by string manipulation.
 * Throws if `s` is malformed or has non-zero digits beyond `decimals` places.
 */
export function decimalToUnits(s: string, decimals: number, where = "value"): bigint {
  const m = DECIMAL.exec(s);
  if (m === null) throw new Error(`${where}: not a non-negative decimal number: ${JSON.stringify(s)}`);
  const intPart = m[1] as string;
  const frac = m[2] ?? "";
  if (frac.length > decimals && /[1-9]/.test(frac.slice(decimals))) {
    throw new Error(`${where}: ${s} has more than ${decimals} decimal places`);
  }
  const digits = intPart + frac.slice(0, decimals).padEnd(decimals, "0");
  return BigInt(digits);
}

function toSafe(units: bigint, where: string): number {
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${where}: ${units} exceeds 2^53 - 1`);
  return Number(units);
}

interface RawLine {
  line: number;
  msg: Record<string, unknown>;
}

function str(msg: Record<string, unknown>, key: string, where: string): string {
  const v = msg[key];
  if (typeof v !== "string") throw new Error(`${where}: field ${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(msg: Record<string, unknown>, key: string, where: string): number {
  const v = msg[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new Error(`${where}: field ${key} must be an integer`);
  return v;
}

function pairs(v: unknown, width: number, where: string): string[][] {
  if (!Array.isArray(v)) throw new Error(`${where}: expected an array`);
  for (const row of v) {
    if (!Array.isArray(row) || row.length !== width || row.some((x) => typeof x !== "string")) {
      throw new Error(`${where}: expected [${width} strings], got ${JSON.stringify(row)}`);
    }
  }
  return v as string[][];
}

function side(s: string, where: string): CoinbaseSide {
  if (s !== "buy" && s !== "sell") throw new Error(`${where}: side must be buy or sell, got ${s}`);
  return s;
}

/** Parses the text of a cryptofeed Coinbase websocket recording. */
export function parseCoinbase(text: string, file = "COINBASE.ws"): CoinbaseRecording {
  const raw: RawLine[] = [];
  const counts: Record<string, number> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineText = lines[i] as string;
    if (lineText.trim() === "") continue;
    const where = `${file}:${i + 1}`;
    // `[url <- |url -> ]timestamp: json` or `url <-> timestamp` (connection line, no payload).
    const m = /^(?:\S+ (?:<-|->|<->) )?(\d+(?:\.\d+)?)(?:: (.*))?$/.exec(lineText);
    if (m === null) throw new Error(`${where}: unrecognised line: ${lineText.slice(0, 80)}`);
    if (m[2] === undefined) continue;
    let msg: unknown;
    try {
      msg = JSON.parse(m[2]);
    } catch (error) {
      throw new Error(`${where}: bad JSON: ${(error as Error).message}`);
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) throw new Error(`${where}: not a JSON object`);
    const rec = msg as Record<string, unknown>;
    const type = str(rec, "type", where);
    counts[type] = (counts[type] ?? 0) + 1;
    raw.push({ line: i + 1, msg: rec });
  }

  // Pass 1: decimals per product, from every price and size the book and the checks will use.
  const priceDec = new Map<string, number>();
  const sizeDec = new Map<string, number>();
  const seeP = (p: string, s: string, where: string): void => {
    priceDec.set(p, Math.max(priceDec.get(p) ?? 0, decimalPlaces(s, where)));
  };
  const seeS = (p: string, s: string, where: string): void => {
    sizeDec.set(p, Math.max(sizeDec.get(p) ?? 0, decimalPlaces(s, where)));
  };
  for (const { line, msg } of raw) {
    const where = `${file}:${line}`;
    const type = msg["type"];
    switch (type) {
      case "subscribe":
      case "subscriptions":
        break;
      case "snapshot": {
        const p = str(msg, "product_id", where);
        for (const key of ["bids", "asks"]) {
          for (const [price, size] of pairs(msg[key], 2, `${where} ${key}`)) {
            seeP(p, price as string, where);
            seeS(p, size as string, where);
          }
        }
        break;
      }
      case "l2update": {
        const p = str(msg, "product_id", where);
        for (const [, price, size] of pairs(msg["changes"], 3, `${where} changes`)) {
          seeP(p, price as string, where);
          seeS(p, size as string, where);
        }
        break;
      }
      case "ticker": {
        const p = str(msg, "product_id", where);
        seeP(p, str(msg, "price", where), where);
        seeP(p, str(msg, "best_bid", where), where);
        seeP(p, str(msg, "best_ask", where), where);
        break;
      }
      case "match":
      case "last_match": {
        const p = str(msg, "product_id", where);
        seeP(p, str(msg, "price", where), where);
        seeS(p, str(msg, "size", where), where);
        break;
      }
      default:
        throw new Error(`${where}: unknown message type ${JSON.stringify(type)}`);
    }
  }

  const ids = [...new Set([...priceDec.keys(), ...sizeDec.keys()])].sort();
  const tokenDec = new Map<string, number>();
  const split = (id: string): [string, string] => {
    const m = /^([A-Z0-9]+)-([A-Z0-9]+)$/.exec(id);
    if (m === null) throw new Error(`${file}: product id ${id} is not BASE-QUOTE`);
    return [m[1] as string, m[2] as string];
  };
  for (const id of ids) {
    const [base, quote] = split(id);
    const sd = sizeDec.get(id) ?? 0;
    const pd = priceDec.get(id) ?? 0;
    tokenDec.set(base, Math.max(tokenDec.get(base) ?? 0, sd));
    tokenDec.set(quote, Math.max(tokenDec.get(quote) ?? 0, sd + pd));
  }
  const products: CoinbaseProduct[] = ids.map((id) => {
    const [base, quote] = split(id);
    const sd = sizeDec.get(id) ?? 0;
    const pd = priceDec.get(id) ?? 0;
    return {
      id,
      base,
      quote,
      priceDecimals: pd,
      sizeDecimals: sd,
      lotSize: 10n ** BigInt((tokenDec.get(base) as number) - sd),
      tickSize: 10n ** BigInt((tokenDec.get(quote) as number) - sd - pd),
    };
  });
  const byId = new Map(products.map((p) => [p.id, p]));
  const tokenDecimals = new Map([...tokenDec.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  // Pass 2: convert to integer ticks and lots.
  const events: CoinbaseEvent[] = [];
  for (const { line, msg } of raw) {
    const where = `${file}:${line}`;
    const type = msg["type"];
    if (type === "subscribe" || type === "subscriptions") continue;
    const product = byId.get(str(msg, "product_id", where)) as CoinbaseProduct;
    const ticks = (s: string): number => toSafe(decimalToUnits(s, product.priceDecimals, where), where);
    const lots = (s: string): number => toSafe(decimalToUnits(s, product.sizeDecimals, where), where);
    const level = ([p, s]: string[]): CoinbaseLevel => ({ priceTicks: ticks(p as string), lots: lots(s as string) });
    switch (type) {
      case "snapshot":
        events.push({
          type,
          line,
          product: product.id,
          bids: pairs(msg["bids"], 2, where).map(level),
          asks: pairs(msg["asks"], 2, where).map(level),
        });
        break;
      case "l2update":
        events.push({
          type,
          line,
          product: product.id,
          time: str(msg, "time", where),
          changes: pairs(msg["changes"], 3, where).map(([s, p, z]) => ({
            side: side(s as string, where),
            priceTicks: ticks(p as string),
            lots: lots(z as string),
          })),
        });
        break;
      case "ticker":
        events.push({
          type,
          line,
          product: product.id,
          sequence: int(msg, "sequence", where),
          time: typeof msg["time"] === "string" ? msg["time"] : undefined,
          priceTicks: ticks(str(msg, "price", where)),
          bestBidTicks: ticks(str(msg, "best_bid", where)),
          bestAskTicks: ticks(str(msg, "best_ask", where)),
        });
        break;
      case "match":
      case "last_match":
        events.push({
          type: "match",
          line,
          product: product.id,
          tradeId: int(msg, "trade_id", where),
          time: str(msg, "time", where),
          makerSide: side(str(msg, "side", where), where),
          priceTicks: ticks(str(msg, "price", where)),
          lots: lots(str(msg, "size", where)),
          last: type === "last_match",
        });
        break;
    }
  }
  return { file, products, tokenDecimals, events, counts };
}
