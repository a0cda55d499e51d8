/**
 * Spot markets of the limit order book: creation, read-only views (L2 depth, one order) and the
 * canonical text encoding the state root hashes. Matching lives in `matching.ts`, the data structure
 * in `book.ts`.
 *
 * Units (see `createMarket`, `ops/createMarket.ts`): one lot = `lotSize` base units of `base`; one tick = `tickSize`
 * base units of `quote` per lot; an order of `lots` at `priceTicks` is worth `lots × priceTicks ×
 * tickSize` quote base units.
 */
import { reject } from "../errors.js";
import type { Side } from "../ops.js";
import type { Account, EngineState } from "../state.js";
import { requireId } from "../validate.js";
import { createHash } from "node:crypto";
import { BookSide, type Level, type Order } from "./book.js";

/** Highest maker or taker fee: 100000 ppm = 10%. */
export const MAX_FEE_PPM = 100_000;

export interface Market {
  readonly id: string;
  /** Token symbol of the traded asset. */
  readonly base: string;
  /** Token symbol prices are quoted in (fees are charged in it). */
  readonly quote: string;
  /** Base units of `base` per lot, > 0. */
  readonly lotSize: bigint;
  /** Base units of `quote` per lot per tick, > 0. */
  readonly tickSize: bigint;
  readonly makerFeePpm: bigint;
  readonly takerFeePpm: bigint;
  /** max(makerFeePpm, takerFeePpm): the fee rate a buy order's reservation covers. */
  readonly maxFeePpm: bigint;
  readonly bids: BookSide;
  readonly asks: BookSide;
  /** Resting orders by id. */
  readonly orders: Map<number, Order>;
  /**
   * Resting order count per account (a mutable box, so counting is one lookup; entries stay at 0,
   * bounded by the accounts that ever rested an order here; not part of the encoding).
   */
  readonly ordersPerAccount: Map<Account, { n: number }>;
}

/** One L2 level. */
export interface DepthLevel {
  priceTicks: number;
  /** Total resting lots at this price. */
  lots: number;
  /** Number of resting orders at this price. */
  orders: number;
}

/** L2 depth: levels best first (bids highest first, asks lowest first). */
export interface Depth {
  bids: DepthLevel[];
  asks: DepthLevel[];
}

/** A copy of one resting order. */
export interface OrderView {
  orderId: number;
  market: string;
  account: string;
  side: Side;
  priceTicks: number;
  /** Remaining lots. */
  lots: number;
  /** Only GTC orders rest. */
  timeInForce: "GTC";
  /** Base units still reserved by the order (base for a sell, quote for a buy). */
  reserved: bigint;
}

/**
 * Handler of `createMarket`: registers an empty market.
 *
 * Rejects: INVALID_ID (market id), UNKNOWN_TOKEN (base/quote), INVALID_OP (base = quote, fee not an
 * integer in 0..100000 ppm), INVALID_AMOUNT (lotSize/tickSize not a positive bigint ≤ 2^128−1),
 * ALREADY_EXISTS (market id taken).
 */
/** An empty book with the given configuration (spot markets here, perp markets in `perps/market.ts`). */
export function newMarket(c: {
  id: string;
  base: string;
  quote: string;
  lotSize: bigint;
  tickSize: bigint;
  makerFeePpm: bigint;
  takerFeePpm: bigint;
}): Market {
  return {
    ...c,
    maxFeePpm: c.makerFeePpm > c.takerFeePpm ? c.makerFeePpm : c.takerFeePpm,
    bids: new BookSide(true),
    asks: new BookSide(false),
    orders: new Map(),
    ordersPerAccount: new Map(),
  };
}

/**
 * The market named `value`. Rejects INVALID_ID (malformed id) or UNKNOWN_MARKET. A present id is
 * looked up first: it was validated when the market was created.
 */
export function requireMarket(state: EngineState, value: unknown): Market {
  const market = typeof value === "string" ? state.markets.get(value) : undefined;
  if (market !== undefined) return market;
  const id = requireId(value, "market");
  return reject("UNKNOWN_MARKET", `market: unknown market ${id}`);
}

/**
 * L2 depth: up to `levels` non-empty price levels per side, best first, each with its total lots
 * and order count. O(levels · log levels); does not mutate.
 */
export function getDepth(market: Market, levels: number): Depth {
  return { bids: sideDepth(market.bids, levels), asks: sideDepth(market.asks, levels) };
}

function sideDepth(side: BookSide, levels: number): DepthLevel[] {
  const out: DepthLevel[] = [];
  if (!(levels >= 1)) return out;
  side.forEachLevel((level) => {
    out.push({ priceTicks: level.priceTicks, lots: level.totalLots, orders: level.count });
    return out.length < levels;
  });
  return out;
}

/** Total resting lots at `priceTicks` on `side` ("buy" = bids), 0 if none. O(1), read-only. */
export function levelLots(market: Market, side: Side, priceTicks: number): number {
  const level = (side === "buy" ? market.bids : market.asks).levels.get(priceTicks);
  return level === undefined ? 0 : level.totalLots;
}

/** A copy of resting order `orderId`, or undefined if it is not resting in this market. */
export function getOrder(market: Market, orderId: number): OrderView | undefined {
  const order = market.orders.get(orderId);
  if (order === undefined) return undefined;
  return {
    orderId: order.id,
    market: market.id,
    account: order.account.id,
    side: order.side,
    priceTicks: order.priceTicks,
    lots: order.lots,
    timeInForce: "GTC",
    reserved: order.reserved,
  };
}

/**
 * Canonical text encoding of a market: its configuration, then every resting order in priority
 * order (bids best price first, then asks best price first; FIFO within a price). Deterministic: it
 * depends only on the market's observable state, not on the heap's layout or on dead levels.
 *
 * Format (one line each, fields separated by one space, integers in decimal; ids never contain
 * spaces, see `validate.ts`):
 * ```
 * market <id> <base> <quote> <lotSize> <tickSize> <makerFeePpm> <takerFeePpm>
 * <buy|sell> <priceTicks> <orderId> <account> <lots> <reserved>
 * ```
 */
export function encodeMarket(market: Market): string {
  return marketHeader(market) + [market.bids, market.asks].map(sideOrders).join("");
}

function marketHeader(market: Market): string {
  return `market ${market.id} ${market.base} ${market.quote} ${market.lotSize} ${market.tickSize} ${market.makerFeePpm} ${market.takerFeePpm}\n`;
}

function sideOrders(side: BookSide): string {
  const parts: string[] = [];
  side.forEachLevel((level) => {
    parts.push(levelOrders(level));
    return true;
  });
  return parts.join("");
}

/** A live level's orders, FIFO, one `encodeMarket` line each. */
function levelOrders(level: Level): string {
  let text = "";
  for (let o = level.head; o !== null; o = o.next) text += `${o.side} ${o.priceTicks} ${o.id} ${o.account.id} ${o.lots} ${o.reserved}\n`;
  return text;
}

/** SHA-256 (hex) of {@link levelOrders}; cached on the level until it changes (`touchLevel`), unless `fresh`. */
export function levelDigest(level: Level, fresh = false): string {
  if (!fresh && level.digest !== undefined) return level.digest;
  const digest = createHash("sha256").update(levelOrders(level)).digest("hex");
  level.digest = digest;
  return digest;
}

/**
 * The market's state-root leaf text: the {@link encodeMarket} header, then one line per live level
 * in priority order (bids best first, then asks best first): `L <buy|sell> <priceTicks> <digest>`,
 * where digest is SHA-256 of the level's `encodeMarket` order lines. A changed market then costs
 * O(levels + orders of the changed levels) instead of O(all resting orders): only levels whose orders
 * changed since the last root are rehashed. Two books with the same orders in the same priority
 * order have the same text, whatever their history. `fresh` recomputes every digest (a check).
 */
export function marketLeafText(market: Market, fresh = false): string {
  const parts: string[] = [marketHeader(market)];
  for (const [side, name] of [
    [market.bids, "buy"],
    [market.asks, "sell"],
  ] as const) {
    // a full walk: sorting the live levels by key beats the best-first frontier walk of forEachLevel
    for (const level of side.liveLevelList().sort((a, b) => a.key - b.key)) parts.push(`L ${name} ${level.priceTicks} ${levelDigest(level, fresh)}\n`);
  }
  return parts.join("");
}
