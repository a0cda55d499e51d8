/**
 * Replay of the LOBSTER AAPL sample (NASDAQ, 2012-06-21) through the engine's order book, checked
 * against the published book after every message.
 *
 * Market `lobster:AAPL`: base AAPL (0 decimals: one base unit = one share), quote USD (4 decimals:
 * one base unit = $0.0001, which is exactly LOBSTER's price unit), lotSize 1 share, tickSize 100
 * (= $0.01 per share; every LOBSTER price is a whole number of cents). Fees: maker 0, taker 50 ppm
 * (they only move quote between accounts and the protocol; the book is unaffected).
 *
 * Seed. The book is not empty when the sample starts, and the orders resting then never appear by
 * id. Row 0 is the book AFTER message 0, so the seed is row 0 with message 0's effect undone (a
 * submit's shares removed from its level, a cancel's or execution's shares added back). Each seed
 * level becomes one resting order ("seed liquidity") of the side's maker account. Later events on
 * order ids the sample never submitted act on the seed order at their price: a partial cancel or
 * delete reduces it, a visible execution must hit it. The message file evidently carries only events
 * within the published 10 levels (beyond them, liquidity appears and vanishes without a message), so
 * when a band of prices beyond the previous row's 10th level comes into view, `reveal` reconciles it
 * with the published row before the message is applied (see there; counted in the report).
 *
 * Messages: 1 submit → GTC limit order (must rest without filling); 2 partial cancel → cancel with
 * `lots`; 3 delete → full cancel (a seed order: reduced by the deleted size); 4 visible execution →
 * an IOC limit order at the execution price from the opposite side's taker account for the executed
 * size, which must fill completely against the expected resting order (`executionsMatched`); 5 hidden
 * execution → nothing (the visible book is unchanged); 7 halt → ignored.
 *
 * Accounts: `lobster:bid-maker` and `lobster:ask-maker` own the resting bids and asks,
 * `lobster:buyer` and `lobster:seller` take liquidity in executions. With the makers and takers in
 * distinct accounts a taker never meets an order of its own account, so self-trade prevention
 * (which would cancel the taker instead of filling) can never interfere with an execution.
 *
 * Funding rule: before the replay each account is deposited exactly the sum of everything it could
 * ever reserve or pay, as if nothing were ever released: the bid maker Σ size × (P + ⌈P × maxFee /
 * 1e6⌉) USD over seed bids and buy submits (P = price per share in USD base units), the ask maker Σ
 * sizes in AAPL over seed asks and sell submits, the buyer Σ size × (P + ⌈P × takerFee / 1e6⌉) USD
 * over executions of resting sells, the seller Σ sizes in AAPL over executions of resting buys. For
 * liquidity revealed later (see `reveal`, which places at most a published level's size plus the
 * size of the message at that price, once per row and price) each maker also gets the same cost
 * summed over every level of its side in every published row and over every cancel/execution message
 * of its side: an upper bound. So INSUFFICIENT_BALANCE cannot happen.
 *
 * Checks after message i:
 * - level (i ≥ 1, types 1–4): the size at the message's price on its side must equal the published
 *   size there (0 if the price is not listed), counted when the price lies within the published 10
 *   levels of that side both before (row i−1) and after (row i) — i.e. not worse than the 10th level
 *   (any price, if fewer than 10 levels are listed). The data README counts 937 such transitions.
 * - row: our best 10 levels per side equal the published row exactly (prices and sizes). Row 0
 *   matches by construction of the seed; a row after a `reveal` correction (`correctedRows`) matches
 *   partly by construction, in the band that just came into view.
 * `reveal` only touches prices beyond row i−1's published range, and a level check needs its price
 * within that range, so no level check ever depends on a correction.
 */
import type { Engine } from "../core/engine.js";
import { levelLots, type Market } from "../core/orderbook/market.js";
import type { Side } from "../core/ops.js";
import { loadLobster, LOBSTER_LEVELS, type LobsterLevel, type LobsterMessage, type LobsterRow } from "./lobsterData.js";

export const LOBSTER_MARKET = "lobster:AAPL";
export const LOBSTER_BASE = "AAPL";
export const LOBSTER_QUOTE = "USD";
export const LOBSTER_TICK = 100n;
export const LOBSTER_MAKER_FEE_PPM = 0;
export const LOBSTER_TAKER_FEE_PPM = 50;
export const LOBSTER_ACCOUNTS = {
  bidMaker: "lobster:bid-maker",
  askMaker: "lobster:ask-maker",
  buyer: "lobster:buyer",
  seller: "lobster:seller",
} as const;

export interface LobsterReport {
  market: string;
  /** Messages replayed. */
  messages: number;
  /** Visible-level transitions checked (see the module doc) and how many matched the published size. */
  levelsChecked: number;
  levelsMatched: number;
  /** Book rows compared (one per message) and how many matched in all 10 levels of both sides. */
  rowsChecked: number;
  rowsMatched: number;
  /** Visible executions (type 4) and how many filled completely against the expected resting order. */
  executionsChecked: number;
  executionsMatched: number;
  /** Seed levels placed from the first row. */
  seedLevels: number;
  /** Levels deeper than the first row that came into view later with unseen liquidity (see `reveal`). */
  revealedLevels: number;
  /** Levels coming into view with less than we hold (liquidity cancelled out of view; see `reveal`). */
  vanishedLevels: number;
  /**
   * Rows before whose message `reveal` placed or cancelled anything. Only there can a row match owe
   * something to the published row itself, and only in the band that just came into view; the level
   * checks never look at that band (they need the price within the previous row's range).
   */
  correctedRows: number;
  /** Hidden executions (type 5) and halts (type 7) skipped. */
  hiddenExecutions: number;
  halts: number;
  /** Cancels/executions of an order neither submitted in the sample nor covered by seed liquidity. */
  unexplainedEvents: number;
  /** Ops the engine rejected (0 expected). */
  rejectedOps: number;
  /** Submits that filled instead of resting (0 expected: LOBSTER reports takers as executions). */
  crossingSubmits: number;
  /** Indices of messages whose level check failed (empty when all matched). */
  levelMismatches: number[];
}

interface Tracked {
  ourId: number;
  side: Side;
  priceTicks: number;
}

/**
 * Replays the sample through `engine` (which may hold other markets; the tokens AAPL/USD are created
 * unless present with the same decimals; the market and the four `lobster:*` accounts must not exist
 * yet). Returns the report; throws an Error on a data or setup problem.
 */
export function replayLobster(
  engine: Engine,
  opts: { dataDir: string; onProgress?: (done: number, total: number) => void },
): LobsterReport {
  const { messages, rows } = loadLobster(opts.dataDir);
  const total = messages.length;
  const first = messages[0];
  if (first === undefined) throw new Error("LOBSTER: no messages");

  const seed = deriveSeed(first, rows[0]!);
  setup(engine, messages, rows, seed);
  const market = engine.state.markets.get(LOBSTER_MARKET)!;

  const report: LobsterReport = {
    market: LOBSTER_MARKET,
    messages: 0,
    levelsChecked: 0,
    levelsMatched: 0,
    rowsChecked: 0,
    rowsMatched: 0,
    executionsChecked: 0,
    executionsMatched: 0,
    seedLevels: 0,
    revealedLevels: 0,
    vanishedLevels: 0,
    correctedRows: 0,
    hiddenExecutions: 0,
    halts: 0,
    unexplainedEvents: 0,
    rejectedOps: 0,
    crossingSubmits: 0,
    levelMismatches: [],
  };

  // seed liquidity: one order per level, bids then asks, best first
  const seedOrder = new Map<string, number[]>(); // `${side}:${priceTicks}` → our seed/revealed order ids, oldest first
  for (const [side, levels] of [
    ["buy", seed.bids],
    ["sell", seed.asks],
  ] as const) {
    for (const level of levels) {
      const priceTicks = ticks(level.price);
      const r = engine.placeOrder({
        account: side === "buy" ? LOBSTER_ACCOUNTS.bidMaker : LOBSTER_ACCOUNTS.askMaker,
        market: LOBSTER_MARKET,
        side,
        priceTicks,
        lots: level.size,
      });
      if (r.status !== "accepted" || r.restingLots !== level.size) throw new Error(`LOBSTER: seed order at ${level.price} did not rest`);
      seedOrder.set(`${side}:${priceTicks}`, [r.orderId]);
      report.seedLevels++;
    }
  }

  const known = new Map<number, Tracked>(); // LOBSTER order id → ours
  for (const m of messages) {
    const side: Side = m.direction === 1 ? "buy" : "sell";
    const priceTicks = m.type === 7 ? 0 : ticks(m.price);
    if (m.index >= 1) {
      const corrections = report.revealedLevels + report.vanishedLevels;
      reveal(engine, market, rows[m.index - 1]!, rows[m.index]!, m, seedOrder, report);
      if (report.revealedLevels + report.vanishedLevels !== corrections) report.correctedRows++;
    }
    switch (m.type) {
      case 1: {
        const r = engine.placeOrder({
          account: side === "buy" ? LOBSTER_ACCOUNTS.bidMaker : LOBSTER_ACCOUNTS.askMaker,
          market: LOBSTER_MARKET,
          side,
          priceTicks,
          lots: m.size,
        });
        if (r.status !== "accepted") {
          report.rejectedOps++;
          break;
        }
        if (r.filledLots > 0) report.crossingSubmits++;
        if (r.restingLots > 0) known.set(m.orderId, { ourId: r.orderId, side, priceTicks });
        break;
      }
      case 2:
      case 3: {
        const target = resolve(known, seedOrder, market, m, side, priceTicks);
        if (target === undefined) {
          report.unexplainedEvents++;
          break;
        }
        const owner = side === "buy" ? LOBSTER_ACCOUNTS.bidMaker : LOBSTER_ACCOUNTS.askMaker;
        const remaining = engine.getOrder(LOBSTER_MARKET, target)!.lots;
        // type 3 on a submitted order removes it whatever is left; otherwise m.size shares go
        const full = (m.type === 3 && known.has(m.orderId)) || m.size >= remaining;
        const r = engine.cancelOrder(
          full ? { account: owner, market: LOBSTER_MARKET, orderId: target } : { account: owner, market: LOBSTER_MARKET, orderId: target, lots: m.size },
        );
        if (r.status !== "accepted") report.rejectedOps++;
        if (full) known.delete(m.orderId);
        break;
      }
      case 4: {
        report.executionsChecked++;
        const target = resolve(known, seedOrder, market, m, side, priceTicks);
        const takerSide: Side = side === "buy" ? "sell" : "buy";
        const r = engine.placeOrder({
          account: takerSide === "buy" ? LOBSTER_ACCOUNTS.buyer : LOBSTER_ACCOUNTS.seller,
          market: LOBSTER_MARKET,
          side: takerSide,
          priceTicks,
          lots: m.size,
          timeInForce: "IOC",
        });
        if (r.status !== "accepted") {
          report.rejectedOps++;
          break;
        }
        const f = r.fills[0];
        if (
          target !== undefined &&
          r.fills.length === 1 &&
          f !== undefined &&
          f.makerOrderId === target &&
          f.lots === m.size &&
          f.priceTicks === priceTicks
        ) {
          report.executionsMatched++;
        }
        if (target === undefined) report.unexplainedEvents++;
        if (known.has(m.orderId) && engine.getOrder(LOBSTER_MARKET, known.get(m.orderId)!.ourId) === undefined) {
          known.delete(m.orderId);
        }
        break;
      }
      case 5:
        report.hiddenExecutions++;
        break;
      case 7:
        report.halts++;
        break;
    }
    report.messages++;

    const row = rows[m.index]!;
    report.rowsChecked++;
    if (rowMatches(engine, row)) report.rowsMatched++;
    if (m.index >= 1 && m.type >= 1 && m.type <= 4) {
      const before = rows[m.index - 1]!;
      const publishedBefore = side === "buy" ? before.bids : before.asks;
      const publishedAfter = side === "buy" ? row.bids : row.asks;
      if (withinPublished(publishedBefore, side, m.price) && withinPublished(publishedAfter, side, m.price)) {
        report.levelsChecked++;
        const expected = publishedAfter.find((l) => l.price === m.price)?.size ?? 0;
        if (levelLots(market, side, priceTicks) === expected) report.levelsMatched++;
        else report.levelMismatches.push(m.index);
      }
    }
    if (opts.onProgress !== undefined && (report.messages % 100 === 0 || report.messages === total)) {
      opts.onProgress(report.messages, total);
    }
  }
  return report;
}

/** Row 0 with message 0's effect undone: the book before the sample. */
function deriveSeed(first: LobsterMessage, row0: LobsterRow): LobsterRow {
  const bids = new Map(row0.bids.map((l) => [l.price, l.size]));
  const asks = new Map(row0.asks.map((l) => [l.price, l.size]));
  const levels = first.direction === 1 ? bids : asks;
  const delta = first.type === 1 ? -first.size : first.type >= 2 && first.type <= 4 ? first.size : 0;
  if (delta !== 0) {
    const size = (levels.get(first.price) ?? 0) + delta;
    if (size < 0) throw new Error("LOBSTER: message 0 removes more than row 0 shows");
    if (size === 0) levels.delete(first.price);
    else levels.set(first.price, size);
  }
  const sorted = (m: Map<number, number>, dir: number): LobsterLevel[] =>
    [...m].map(([price, size]) => ({ price, size })).sort((a, b) => dir * (a.price - b.price));
  return { bids: sorted(bids, -1), asks: sorted(asks, 1) };
}

/** Creates tokens (if absent), the four accounts, their deposits (see the funding rule) and the market. */
function setup(engine: Engine, messages: readonly LobsterMessage[], rows: readonly LobsterRow[], seed: LobsterRow): void {
  for (const [symbol, decimals] of [
    [LOBSTER_BASE, 0],
    [LOBSTER_QUOTE, 4],
  ] as const) {
    const existing = engine.getToken(symbol);
    if (existing === undefined) must(engine.createToken({ symbol, decimals }), `create token ${symbol}`);
    else if (existing.decimals !== decimals) throw new Error(`LOBSTER: token ${symbol} exists with ${existing.decimals} decimals`);
  }
  must(
    engine.createMarket({
      market: LOBSTER_MARKET,
      base: LOBSTER_BASE,
      quote: LOBSTER_QUOTE,
      lotSize: 1n,
      tickSize: LOBSTER_TICK,
      makerFeePpm: LOBSTER_MAKER_FEE_PPM,
      takerFeePpm: LOBSTER_TAKER_FEE_PPM,
    }),
    `create market ${LOBSTER_MARKET}`,
  );
  const maxFee = BigInt(Math.max(LOBSTER_MAKER_FEE_PPM, LOBSTER_TAKER_FEE_PPM));
  const takerFee = BigInt(LOBSTER_TAKER_FEE_PPM);
  const cost = (size: number, price: number, fee: bigint): bigint => {
    const p = BigInt(price);
    return BigInt(size) * (p + (p * fee + 999_999n) / 1_000_000n);
  };
  let bidUsd = 0n;
  let askAapl = 0n;
  let buyerUsd = 0n;
  let sellerAapl = 0n;
  for (const l of seed.bids) bidUsd += cost(l.size, l.price, maxFee);
  for (const l of seed.asks) askAapl += BigInt(l.size);
  for (const m of messages) {
    if (m.type === 1 && m.direction === 1) bidUsd += cost(m.size, m.price, maxFee);
    if (m.type === 1 && m.direction === -1) askAapl += BigInt(m.size);
    if (m.type === 4 && m.direction === -1) buyerUsd += cost(m.size, m.price, takerFee);
    if (m.type === 4 && m.direction === 1) sellerAapl += BigInt(m.size);
    // bound for revealed liquidity (see the funding rule)
    if (m.type >= 2 && m.type <= 4 && m.direction === 1) bidUsd += cost(m.size, m.price, maxFee);
    if (m.type >= 2 && m.type <= 4 && m.direction === -1) askAapl += BigInt(m.size);
  }
  for (const row of rows) {
    for (const l of row.bids) bidUsd += cost(l.size, l.price, maxFee);
    for (const l of row.asks) askAapl += BigInt(l.size);
  }
  const funding: [string, string, bigint][] = [
    [LOBSTER_ACCOUNTS.bidMaker, LOBSTER_QUOTE, bidUsd],
    [LOBSTER_ACCOUNTS.askMaker, LOBSTER_BASE, askAapl],
    [LOBSTER_ACCOUNTS.buyer, LOBSTER_QUOTE, buyerUsd],
    [LOBSTER_ACCOUNTS.seller, LOBSTER_BASE, sellerAapl],
  ];
  for (const [account, token, amount] of funding) {
    must(engine.createAccount({ account, roles: ["Trader"] }), `create account ${account}`);
    if (amount > 0n) must(engine.deposit({ account, token, amount }), `deposit to ${account}`);
  }
}

function must(r: { status: string; message?: string }, what: string): void {
  if (r.status !== "accepted") throw new Error(`LOBSTER: ${what} rejected: ${r.message ?? ""}`);
}

function ticks(price: number): number {
  if (price % 100 !== 0) throw new Error(`LOBSTER: price ${price} is not a whole number of cents`);
  return price / 100;
}

/** Our order an event refers to: the submitted order, else the seed order at its price (if any). */
function resolve(
  known: Map<number, Tracked>,
  seedOrder: Map<string, number[]>,
  market: Market,
  m: LobsterMessage,
  side: Side,
  priceTicks: number,
): number | undefined {
  const t = known.get(m.orderId);
  if (t !== undefined) return t.ourId;
  for (const id of seedOrder.get(`${side}:${priceTicks}`) ?? []) if (market.orders.has(id)) return id;
  return undefined;
}

/**
 * Liquidity coming into view. The message file only carries events that touch the published 10
 * levels, so beyond them the book changes unseen: levels rest there from before the sample, and
 * liquidity that drifted out of view can be cancelled without a message. Before message i, every
 * price that lies within row i's published range but beyond row i−1's (a band that has just come into
 * view) is compared with our book, allowing for message i's own effect at that price: a shortfall is
 * placed as a seed order of the side's maker (`revealedLevels`), an excess is cancelled from that
 * price's seed orders first, then from its oldest orders (`vanishedLevels`).
 */
function reveal(
  engine: Engine,
  market: Market,
  before: LobsterRow,
  after: LobsterRow,
  m: LobsterMessage,
  seedOrder: Map<string, number[]>,
  report: LobsterReport,
): void {
  const depth = engine.getDepth(LOBSTER_MARKET, 4 * LOBSTER_LEVELS)!;
  for (const [side, prev, next, ours] of [
    ["buy", before.bids, after.bids, depth.bids],
    ["sell", before.asks, after.asks, depth.asks],
  ] as const) {
    const band = (price: number): boolean => withinPublished(next, side, price) && !withinPublished(prev, side, price);
    const prices = new Set<number>();
    for (const level of next) if (band(level.price)) prices.add(level.price);
    for (const level of ours) if (band(level.priceTicks * 100)) prices.add(level.priceTicks * 100);
    const maker = side === "buy" ? LOBSTER_ACCOUNTS.bidMaker : LOBSTER_ACCOUNTS.askMaker;
    for (const price of [...prices].sort((a, b) => a - b)) {
      const priceTicks = ticks(price);
      const published = next.find((l) => l.price === price)?.size ?? 0;
      const own = m.direction === (side === "buy" ? 1 : -1) && m.price === price;
      const effect = !own ? 0 : m.type === 1 ? m.size : m.type >= 2 && m.type <= 4 ? -m.size : 0;
      const missing = published - effect - levelLots(market, side, priceTicks);
      const key = `${side}:${priceTicks}`;
      if (missing > 0) {
        const r = engine.placeOrder({ account: maker, market: LOBSTER_MARKET, side, priceTicks, lots: missing });
        if (r.status !== "accepted" || r.restingLots !== missing) throw new Error(`LOBSTER: revealed order at ${price} did not rest`);
        seedOrder.set(key, [...(seedOrder.get(key) ?? []), r.orderId]);
        report.revealedLevels++;
      } else if (missing < 0) {
        let excess = -missing;
        const level = (side === "buy" ? market.bids : market.asks).levels.get(priceTicks)!;
        const ids = [...(seedOrder.get(key) ?? []).filter((id) => market.orders.has(id))];
        for (let o = level.head; o !== null; o = o.next) if (!ids.includes(o.id)) ids.push(o.id);
        for (const id of ids) {
          if (excess === 0) break;
          const lots = Math.min(excess, market.orders.get(id)!.lots);
          const r = engine.cancelOrder({ account: maker, market: LOBSTER_MARKET, orderId: id, lots });
          if (r.status !== "accepted") throw new Error(`LOBSTER: cancelling vanished liquidity at ${price} was rejected`);
          excess -= lots;
        }
        report.vanishedLevels++;
      }
    }
  }
}

/** Whether `price` is not worse than the last of the published levels (any price if fewer than 10). */
function withinPublished(levels: readonly LobsterLevel[], side: Side, price: number): boolean {
  if (levels.length < LOBSTER_LEVELS) return true;
  const last = levels[levels.length - 1]!.price;
  return side === "buy" ? price >= last : price <= last;
}

function rowMatches(engine: Engine, row: LobsterRow): boolean {
  const depth = engine.getDepth(LOBSTER_MARKET, LOBSTER_LEVELS)!;
  const same = (ours: readonly { priceTicks: number; lots: number }[], theirs: readonly LobsterLevel[]): boolean =>
    ours.length === theirs.length && ours.every((l, i) => l.priceTicks * 100 === theirs[i]!.price && l.lots === theirs[i]!.size);
  return same(depth.bids, row.bids) && same(depth.asks, row.asks);
}
