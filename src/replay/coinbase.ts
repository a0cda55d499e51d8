/**
 * Replays the recorded Coinbase Pro level-2 session (`cex-l2-cryptofeed/COINBASE.ws.28.0`, 10
 * products, ~30 s) as order flow on 10 markets of one {@link Engine} at once, and checks the rebuilt
 * books against the exchange's own ticker.
 *
 * ## Mapping the recording to ops
 * - **Tokens**: `cb:<SYMBOL>` per currency (`cb:BAND`, `cb:GBP`, …), with the fewest decimals that
 *   make every product's prices and sizes exact (derived in `coinbaseData.ts`). The `cb:` prefix keeps
 *   them apart from other replays' tokens on the same engine.
 * - **Markets**: `cb:<PRODUCT>` (`cb:BAND-GBP`) with the derived `lotSize`/`tickSize`. Fees are OUR
 *   choice, not Coinbase's schedule: maker {@link CB_MAKER_FEE_PPM} ppm (0.10%), taker
 *   {@link CB_TAKER_FEE_PPM} ppm (0.20%): non-zero on both sides so both fee paths, and the protocol
 *   fee term of conservation, are exercised.
 * - **Accounts** per product: `cb:<PRODUCT>:bids` posts every bid level, `cb:<PRODUCT>:asks` every
 *   ask level (two liquidity providers, so a bid never meets its own ask under self-trade
 *   prevention), `cb:<PRODUCT>:taker` sends the trades.
 * - **Funding**: before the flow, each account is credited once with an upper bound of everything it
 *   could ever have reserved: the asks LP gets Σ (lots × lotSize) over every ask level size in the
 *   snapshot and in every update (an update's new total bounds what we add for it); the bids LP gets
 *   Σ lots × (priceTicks × tickSize + ⌈priceTicks × tickSize × 2000 / 1e6⌉), the engine's per-lot
 *   reservation of a buy at the larger fee, over every bid level size; the taker the same for each
 *   trade it sends (quote for buys, base for sells). Cancels and fills only release, so no op is
 *   ever rejected for balance.
 * - **snapshot** → each level becomes one resting GTC limit order of its size by the side's LP.
 * - **l2update** `[side, price, newTotal]` → set our level to `newTotal`: if our level holds less, a
 *   new limit order for the difference joins the back of the level; if it holds more, orders are
 *   cancelled **newest first** (whole orders while they fit, then a partial cancel of the next one),
 *   because the recording does not say which orders left. Newest first (LIFO) because most
 *   cancellations on real books hit recently placed orders ("fleeting orders", Hasbrouck & Saar
 *   2009), while the orders at the front of the queue hold priority and are the last given up;
 *   and it keeps the older orders' time priority intact, so fills keep landing on the oldest
 *   liquidity, as FIFO matching on the exchange does. The recorded updates do not carry our order
 *   ids, so the replay keeps its own map of level → our resting orders (oldest first), updated
 *   from every fill the engine reports.
 * - **match** → the taker sends a market order for the trade's size on the side opposite the
 *   maker's (`side` in a Coinbase match is the maker's), bounded by the trade price
 *   (`worstPriceTicks`). `last_match` (the last trade before we subscribed) is not part of the
 *   session and is skipped.
 * - **Order of trades and level changes.** In this recording, every trade's level change arrives in
 *   the `level2` channel BEFORE the `match` message (same exchange `time`; 97 of 97). Applying them
 *   in file order would take the traded size twice (once as the level drop, once as the taker's
 *   fill). So when an `l2update` arrives, matches of the same product with the same exchange time at
 *   one of its (side, price) levels are executed first, then the level is set to its new total. The
 *   level change then only carries what was cancelled or added on top of the trade.
 * - A size bigger than the engine's per-order cap (`MAX_LOTS`, 1e9 lots; NU-GBP has levels of 1e12
 *   lots) is posted as several orders of at most the cap. A price beyond `MAX_PRICE_TICKS` (CRV-EUR
 *   has an ask at 888,888,004 EUR, 8.9e12 ticks) is rejected by the engine with INVALID_PRICE: that
 *   rejection is expected, counted apart, and the level is left out of the level comparisons.
 *
 * ## Checks made during the replay
 * - after every message, the touched market's book is not crossed (best bid < best ask);
 * - after every `l2update`, each changed level of ours holds exactly the recorded total;
 * - at every ticker, our best bid/ask (from `engine.getDepth`) against the ticker's
 *   `best_bid`/`best_ask`, and the same for a reference book rebuilt from snapshot + updates only
 *   (the data README's "100 of 107");
 * - at every ticker and at the end, the engine's depth equals the replay's own map of our orders
 *   (`mapDisagreements`), and at the end every market's full depth equals the reference book
 *   (`finalLevelDiffs`).
 */
import type { Engine } from "../core/engine.js";
import type { Side } from "../core/ops.js";
import { MAX_PRICE_TICKS } from "../core/orderbook/book.js";
import type { Fill, Result } from "../core/results.js";
import { loadCoinbase, type CoinbaseEvent, type CoinbaseProduct, type CoinbaseRecording } from "./coinbaseData.js";
import { chunkLots, type BookEvent, type BookFlow, type FlowDeposit } from "./flow.js";

export const CB_MAKER_FEE_PPM = 1_000;
export const CB_TAKER_FEE_PPM = 2_000;

export const cbToken = (symbol: string): string => `cb:${symbol}`;
export const cbMarket = (product: string): string => `cb:${product}`;
export const cbAccount = (product: string, role: "bids" | "asks" | "taker"): string => `cb:${product}:${role}`;

export interface CoinbaseReplayOptions {
  dataDir: string;
  onProgress?: (done: number, total: number) => void;
  /** An already parsed recording (else it is loaded from `dataDir`). */
  recording?: CoinbaseRecording;
  /** Record the ops fed to the engine as a {@link BookFlow} (for benchmarks). */
  recordFlow?: boolean;
}

export interface TickerMismatch {
  line: number;
  product: string;
  ticker: { bid: number; ask: number };
  ours: { bid: number | null; ask: number | null };
  reference: { bid: number | null; ask: number | null };
}

export interface CoinbaseReport {
  file: string;
  /** Book-relevant messages processed (snapshots, updates, tickers, matches, last matches). */
  messages: number;
  markets: number;
  marketIds: string[];
  /** createToken/createAccount/createMarket/deposit ops. */
  setupOps: number;
  /** Order-book ops (placeOrder, cancelOrder, marketOrder) fed to the engine. */
  ops: number;
  accepted: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  /** Rejections that are expected: INVALID_PRICE for prices above MAX_PRICE_TICKS. */
  expectedRejections: number;
  /** Rejections that are not expected (should be 0). */
  unexpectedRejections: number;
  placeOrders: number;
  /** Limit orders placed from snapshots (the seed of the book). */
  seedOrders: number;
  fullCancels: number;
  partialCancels: number;
  marketOrders: number;
  /** Trades executed before the l2update that reflected them (see module doc). */
  tradesPulledForward: number;
  tradeLots: number;
  tradeLotsFilled: number;
  /** Fills of taker orders at a price other than the recorded trade price. */
  tradeFillsOffPrice: number;
  fills: number;
  /** Messages after which the touched market's book was crossed (should be 0). */
  crossedAfterUpdate: number;
  /** Levels changed by an l2update that did not end at the recorded total (should be 0). */
  levelMismatches: number;
  /** Times the engine's depth and the replay's order map disagreed (should be 0). */
  mapDisagreements: number;
  /** Levels (over all markets, both sides) where the final book differs from the reference book. */
  finalLevelDiffs: number;
  tickerChecks: number;
  /** Tickers whose best bid AND best ask equal ours. */
  tickerMatches: number;
  /** Same, for the reference book rebuilt from snapshot + updates only. */
  referenceTickerMatches: number;
  tickerMismatches: TickerMismatch[];
  /** Per market: resting orders and levels at the end. */
  perMarket: { market: string; orders: number; bidLevels: number; askLevels: number; ops: number }[];
  flow?: BookFlow;
}

interface OurOrder {
  id: number;
  lots: number;
}

interface Level {
  total: number;
  /** Oldest first. */
  orders: OurOrder[];
}

interface MarketState {
  index: number;
  product: CoinbaseProduct;
  market: string;
  bidsLp: string;
  asksLp: string;
  taker: string;
  /** Our resting orders by side: buy = 0, sell = 1. */
  levels: [Map<number, Level>, Map<number, Level>];
  byId: Map<number, { side: 0 | 1; price: number; order: OurOrder }>;
  /** Recorded level totals (snapshot + updates): the reference book. */
  ref: [Map<number, number>, Map<number, number>];
  /** Prices the engine cannot represent (> MAX_PRICE_TICKS), per side. */
  unrepresentable: [Set<number>, Set<number>];
  ops: number;
}

const sideIndex = (s: Side): 0 | 1 => (s === "buy" ? 0 : 1);

/** Per-lot reservation of a buy at `priceTicks`: notional plus the fee at the larger rate, rounded up. */
function buyPerLot(p: CoinbaseProduct, priceTicks: number): bigint {
  const notional = BigInt(priceTicks) * p.tickSize;
  const maxFee = BigInt(Math.max(CB_MAKER_FEE_PPM, CB_TAKER_FEE_PPM));
  return notional + (notional * maxFee + 999_999n) / 1_000_000n;
}

/** The deposits of the funding rule in the module doc, in a deterministic order. */
export function coinbaseDeposits(rec: CoinbaseRecording): FlowDeposit[] {
  const byProduct = new Map(rec.products.map((p) => [p.id, p]));
  const need = new Map<string, bigint>(); // `${account}\n${token}` → amount
  const add = (account: string, token: string, amount: bigint): void => {
    const k = `${account}\n${token}`;
    need.set(k, (need.get(k) ?? 0n) + amount);
  };
  const level = (p: CoinbaseProduct, side: Side, priceTicks: number, lots: number): void => {
    if (side === "buy") add(cbAccount(p.id, "bids"), cbToken(p.quote), BigInt(lots) * buyPerLot(p, priceTicks));
    else add(cbAccount(p.id, "asks"), cbToken(p.base), BigInt(lots) * p.lotSize);
  };
  for (const e of rec.events) {
    const p = byProduct.get(e.product) as CoinbaseProduct;
    if (e.type === "snapshot") {
      for (const l of e.bids) level(p, "buy", l.priceTicks, l.lots);
      for (const l of e.asks) level(p, "sell", l.priceTicks, l.lots);
    } else if (e.type === "l2update") {
      for (const c of e.changes) level(p, c.side, c.priceTicks, c.lots);
    } else if (e.type === "match" && !e.last) {
      if (e.makerSide === "sell") add(cbAccount(p.id, "taker"), cbToken(p.quote), BigInt(e.lots) * buyPerLot(p, e.priceTicks));
      else add(cbAccount(p.id, "taker"), cbToken(p.base), BigInt(e.lots) * p.lotSize);
    }
  }
  const out: FlowDeposit[] = [];
  for (const [k, amount] of [...need.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [account, token] = k.split("\n") as [string, string];
    if (amount > 0n) out.push({ account, token, amount });
  }
  return out;
}

/** Runs the whole recording through `engine`; see the module doc for the mapping and the checks. */
export function replayCoinbase(engine: Engine, opts: CoinbaseReplayOptions): CoinbaseReport {
  const rec = opts.recording ?? loadCoinbase(opts.dataDir);
  const events = rec.events;
  const report: CoinbaseReport = {
    file: rec.file,
    messages: events.length,
    markets: rec.products.length,
    marketIds: rec.products.map((p) => cbMarket(p.id)),
    setupOps: 0,
    ops: 0,
    accepted: 0,
    rejected: 0,
    rejectedByCode: {},
    expectedRejections: 0,
    unexpectedRejections: 0,
    placeOrders: 0,
    seedOrders: 0,
    fullCancels: 0,
    partialCancels: 0,
    marketOrders: 0,
    tradesPulledForward: 0,
    tradeLots: 0,
    tradeLotsFilled: 0,
    tradeFillsOffPrice: 0,
    fills: 0,
    crossedAfterUpdate: 0,
    levelMismatches: 0,
    mapDisagreements: 0,
    finalLevelDiffs: 0,
    tickerChecks: 0,
    tickerMatches: 0,
    referenceTickerMatches: 0,
    tickerMismatches: [],
    perMarket: [],
  };

  /* ── setup ── */
  const setup = (what: string, r: Result): void => {
    report.setupOps++;
    if (r.status !== "accepted") throw new Error(`coinbase replay setup: ${what} rejected: ${r.code} ${r.message}`);
  };
  for (const [symbol, decimals] of rec.tokenDecimals) {
    setup(`createToken ${cbToken(symbol)}`, engine.createToken({ symbol: cbToken(symbol), decimals }));
  }
  const markets = new Map<string, MarketState>();
  const accounts: string[] = [];
  rec.products.forEach((p, index) => {
    const ms: MarketState = {
      index,
      product: p,
      market: cbMarket(p.id),
      bidsLp: cbAccount(p.id, "bids"),
      asksLp: cbAccount(p.id, "asks"),
      taker: cbAccount(p.id, "taker"),
      levels: [new Map(), new Map()],
      byId: new Map(),
      ref: [new Map(), new Map()],
      unrepresentable: [new Set(), new Set()],
      ops: 0,
    };
    markets.set(p.id, ms);
    setup(
      `createMarket ${ms.market}`,
      engine.createMarket({
        market: ms.market,
        base: cbToken(p.base),
        quote: cbToken(p.quote),
        lotSize: p.lotSize,
        tickSize: p.tickSize,
        makerFeePpm: CB_MAKER_FEE_PPM,
        takerFeePpm: CB_TAKER_FEE_PPM,
      }),
    );
    for (const a of [ms.bidsLp, ms.asksLp, ms.taker]) {
      setup(`createAccount ${a}`, engine.createAccount({ account: a }));
      accounts.push(a);
    }
  });
  const deposits = coinbaseDeposits(rec);
  for (const d of deposits) setup(`deposit ${d.account} ${d.token}`, engine.deposit(d));

  /* ── flow recording ── */
  const flow: BookFlow | undefined = opts.recordFlow
    ? {
        name: "Coinbase L2 (10 products)",
        source: rec.file,
        tokens: [...rec.tokenDecimals].map(([s, decimals]) => ({ symbol: cbToken(s), decimals })),
        markets: rec.products.map((p) => ({
          market: cbMarket(p.id),
          base: cbToken(p.base),
          quote: cbToken(p.quote),
          lotSize: p.lotSize,
          tickSize: p.tickSize,
          makerFeePpm: CB_MAKER_FEE_PPM,
          takerFeePpm: CB_TAKER_FEE_PPM,
        })),
        accounts,
        deposits,
        seed: [],
        events: [],
        refCount: 0,
      }
    : undefined;
  const refOf = new Map<number, number>(); // our order id → flow ref
  let inSeed = false;
  const emit = (e: BookEvent): void => {
    if (flow !== undefined) (inSeed ? flow.seed : flow.events).push(e);
  };

  /* ── bookkeeping of our orders ── */
  const outcome = (r: Result, expected: boolean): boolean => {
    report.ops++;
    if (r.status === "accepted") {
      report.accepted++;
      return true;
    }
    report.rejected++;
    report.rejectedByCode[r.code] = (report.rejectedByCode[r.code] ?? 0) + 1;
    if (expected) report.expectedRejections++;
    else report.unexpectedRejections++;
    return false;
  };
  const removeOrder = (ms: MarketState, id: number): void => {
    const entry = ms.byId.get(id);
    if (entry === undefined) return;
    const levels = ms.levels[entry.side];
    const level = levels.get(entry.price) as Level;
    const at = level.orders.indexOf(entry.order);
    level.orders.splice(at, 1);
    if (level.orders.length === 0) levels.delete(entry.price);
    ms.byId.delete(id);
  };
  const applyFills = (ms: MarketState, fills: readonly Fill[]): number => {
    let lots = 0;
    for (const f of fills) {
      report.fills++;
      lots += f.lots;
      const entry = ms.byId.get(f.makerOrderId);
      if (entry === undefined) throw new Error(`coinbase replay: fill against unknown maker order ${f.makerOrderId}`);
      entry.order.lots -= f.lots;
      (ms.levels[entry.side].get(entry.price) as Level).total -= f.lots;
      if (entry.order.lots === 0) removeOrder(ms, f.makerOrderId);
    }
    return lots;
  };
  const addResting = (ms: MarketState, s: 0 | 1, price: number, id: number, lots: number): void => {
    let level = ms.levels[s].get(price);
    if (level === undefined) {
      level = { total: 0, orders: [] };
      ms.levels[s].set(price, level);
    }
    const order = { id, lots };
    level.orders.push(order);
    level.total += lots;
    ms.byId.set(id, { side: s, price, order });
  };

  const place = (ms: MarketState, side: Side, price: number, lots: number): void => {
    const s = sideIndex(side);
    const account = s === 0 ? ms.bidsLp : ms.asksLp;
    for (const chunk of chunkLots(lots)) {
      ms.ops++;
      report.placeOrders++;
      if (inSeed) report.seedOrders++;
      const r = engine.placeOrder({ account, market: ms.market, side, priceTicks: price, lots: chunk });
      if (!outcome(r, r.status === "rejected" && r.code === "INVALID_PRICE" && price > MAX_PRICE_TICKS)) {
        if (price > MAX_PRICE_TICKS) ms.unrepresentable[s].add(price);
        return;
      }
      if (r.status !== "accepted") return;
      applyFills(ms, r.fills);
      if (r.restingLots > 0) addResting(ms, s, price, r.orderId, r.restingLots);
      if (flow !== undefined) {
        const ref = flow.refCount++;
        refOf.set(r.orderId, ref);
        emit({ kind: "limit", market: ms.index, account, ref, side, priceTicks: price, lots: chunk });
      }
    }
  };

  const cancelDown = (ms: MarketState, s: 0 | 1, price: number, amount: number): void => {
    const level = ms.levels[s].get(price);
    const account = s === 0 ? ms.bidsLp : ms.asksLp;
    while (amount > 0 && level !== undefined && level.orders.length > 0) {
      const order = level.orders[level.orders.length - 1] as OurOrder;
      ms.ops++;
      if (order.lots <= amount) {
        report.fullCancels++;
        const r = engine.cancelOrder({ account, market: ms.market, orderId: order.id });
        if (!outcome(r, false)) return;
        if (flow !== undefined) emit({ kind: "cancel", market: ms.index, account, ref: refOf.get(order.id) as number });
        amount -= order.lots;
        level.total -= order.lots;
        removeOrder(ms, order.id);
      } else {
        report.partialCancels++;
        const r = engine.cancelOrder({ account, market: ms.market, orderId: order.id, lots: amount });
        if (!outcome(r, false)) return;
        if (flow !== undefined) {
          emit({ kind: "cancel", market: ms.index, account, ref: refOf.get(order.id) as number, lots: amount });
        }
        order.lots -= amount;
        level.total -= amount;
        amount = 0;
      }
    }
  };

  const setLevel = (ms: MarketState, side: Side, price: number, target: number): void => {
    const s = sideIndex(side);
    if (target === 0) ms.ref[s].delete(price);
    else ms.ref[s].set(price, target);
    const current = ms.levels[s].get(price)?.total ?? 0;
    if (target > current) place(ms, side, price, target - current);
    else if (target < current) cancelDown(ms, s, price, current - target);
  };

  const trade = (ms: MarketState, e: Extract<CoinbaseEvent, { type: "match" }>): void => {
    const side: Side = e.makerSide === "sell" ? "buy" : "sell";
    report.tradeLots += e.lots;
    for (const chunk of chunkLots(e.lots)) {
      ms.ops++;
      report.marketOrders++;
      const r = engine.marketOrder({
        account: ms.taker,
        market: ms.market,
        side,
        lots: chunk,
        worstPriceTicks: e.priceTicks,
      });
      if (!outcome(r, false) || r.status !== "accepted") return;
      for (const f of r.fills) if (f.priceTicks !== e.priceTicks) report.tradeFillsOffPrice++;
      report.tradeLotsFilled += applyFills(ms, r.fills);
      emit({ kind: "market", market: ms.index, account: ms.taker, side, lots: chunk, worstPriceTicks: e.priceTicks });
    }
  };

  /* ── checks ── */
  const bestOf = (m: Map<number, unknown>, bid: boolean): number | null => {
    let best: number | null = null;
    for (const p of m.keys()) if (best === null || (bid ? p > best : p < best)) best = p;
    return best;
  };
  const crossed = (ms: MarketState): boolean => {
    const d = engine.getDepth(ms.market, 1);
    const bid = d?.bids[0];
    const ask = d?.asks[0];
    return bid !== undefined && ask !== undefined && bid.priceTicks >= ask.priceTicks;
  };
  /** Engine depth (first `n` levels per side, all if undefined) vs our order map. */
  const mapAgrees = (ms: MarketState, n?: number): boolean => {
    const d = engine.getDepth(ms.market, n ?? 1_000_000);
    if (d === undefined) return false;
    for (const s of [0, 1] as const) {
      const ours = [...ms.levels[s].entries()]
        .map(([price, l]) => ({ price, lots: l.total, orders: l.orders.length }))
        .sort((a, b) => (s === 0 ? b.price - a.price : a.price - b.price))
        .slice(0, n ?? Infinity);
      const theirs = s === 0 ? d.bids : d.asks;
      if (ours.length !== theirs.length) return false;
      for (let i = 0; i < ours.length; i++) {
        const o = ours[i] as { price: number; lots: number; orders: number };
        const t = theirs[i] as { priceTicks: number; lots: number; orders: number };
        if (o.price !== t.priceTicks || o.lots !== t.lots || o.orders !== t.orders) return false;
      }
    }
    return true;
  };

  /* ── trades that arrive after the level change they caused: index them by (product, time) ── */
  const tradesAt = new Map<string, number[]>();
  events.forEach((e, i) => {
    if (e.type !== "match" || e.last) return;
    const k = `${e.product}\n${e.time}`;
    const list = tradesAt.get(k);
    if (list === undefined) tradesAt.set(k, [i]);
    else list.push(i);
  });
  const done = new Uint8Array(events.length);

  /* ── the replay ── */
  const total = events.length;
  for (let i = 0; i < total; i++) {
    const e = events[i] as CoinbaseEvent;
    const ms = markets.get(e.product) as MarketState;
    switch (e.type) {
      case "snapshot": {
        // A snapshot sets the whole book: levels it lacks go, the others are set to its totals.
        inSeed = true;
        const want: [Map<number, number>, Map<number, number>] = [
          new Map(e.bids.map((l) => [l.priceTicks, l.lots])),
          new Map(e.asks.map((l) => [l.priceTicks, l.lots])),
        ];
        for (const s of [0, 1] as const) {
          for (const price of [...ms.ref[s].keys()]) if (!want[s].has(price)) setLevel(ms, s === 0 ? "buy" : "sell", price, 0);
        }
        for (const l of e.bids) setLevel(ms, "buy", l.priceTicks, l.lots);
        for (const l of e.asks) setLevel(ms, "sell", l.priceTicks, l.lots);
        inSeed = false;
        break;
      }
      case "l2update": {
        const pending = tradesAt.get(`${e.product}\n${e.time}`);
        if (pending !== undefined) {
          for (const j of pending) {
            const m = events[j] as Extract<CoinbaseEvent, { type: "match" }>;
            if (j > i && done[j] === 0 && e.changes.some((c) => c.side === m.makerSide && c.priceTicks === m.priceTicks)) {
              done[j] = 1;
              report.tradesPulledForward++;
              trade(ms, m);
            }
          }
        }
        for (const c of e.changes) setLevel(ms, c.side, c.priceTicks, c.lots);
        for (const c of e.changes) {
          const s = sideIndex(c.side);
          if (ms.unrepresentable[s].has(c.priceTicks)) continue;
          if ((ms.levels[s].get(c.priceTicks)?.total ?? 0) !== c.lots) report.levelMismatches++;
        }
        break;
      }
      case "match":
        if (!e.last && done[i] === 0) {
          done[i] = 1;
          trade(ms, e);
        }
        break;
      case "ticker": {
        report.tickerChecks++;
        const d = engine.getDepth(ms.market, 1);
        const ours = { bid: d?.bids[0]?.priceTicks ?? null, ask: d?.asks[0]?.priceTicks ?? null };
        const reference = { bid: bestOf(ms.ref[0], true), ask: bestOf(ms.ref[1], false) };
        const okOurs = ours.bid === e.bestBidTicks && ours.ask === e.bestAskTicks;
        const okRef = reference.bid === e.bestBidTicks && reference.ask === e.bestAskTicks;
        if (okOurs) report.tickerMatches++;
        if (okRef) report.referenceTickerMatches++;
        if (!okOurs || !okRef) {
          report.tickerMismatches.push({
            line: e.line,
            product: e.product,
            ticker: { bid: e.bestBidTicks, ask: e.bestAskTicks },
            ours,
            reference,
          });
        }
        if (!mapAgrees(ms, 20)) report.mapDisagreements++;
        break;
      }
    }
    if (crossed(ms)) report.crossedAfterUpdate++;
    if (opts.onProgress !== undefined && ((i + 1) % 500 === 0 || i + 1 === total)) opts.onProgress(i + 1, total);
  }

  /* ── final comparisons ── */
  for (const ms of markets.values()) {
    if (!mapAgrees(ms)) report.mapDisagreements++;
    for (const s of [0, 1] as const) {
      const prices = new Set([...ms.ref[s].keys(), ...ms.levels[s].keys()]);
      for (const price of prices) {
        if (ms.unrepresentable[s].has(price)) continue;
        if ((ms.ref[s].get(price) ?? 0) !== (ms.levels[s].get(price)?.total ?? 0)) report.finalLevelDiffs++;
      }
    }
    report.perMarket.push({
      market: ms.market,
      orders: ms.byId.size,
      bidLevels: ms.levels[0].size,
      askLevels: ms.levels[1].size,
      ops: ms.ops,
    });
  }
  if (flow !== undefined) report.flow = flow;
  return report;
}
