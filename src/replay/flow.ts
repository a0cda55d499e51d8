/**
 * A neutral order-flow format for the limit order book: the same {@link BookFlow} drives our
 * {@link Engine} and any other order book (the benchmark runs it through `nodejs-order-book` too).
 *
 * A flow names its tokens, markets, accounts and deposits (the setup), a `seed` (limit orders that
 * build the book the recorded flow starts from; benchmarks place it untimed) and `events`, the flow
 * itself. Three event kinds, all in the market's integer units (ticks and lots, see `CreateMarketOp`):
 * - `limit`: a GTC limit order; `ref` is the flow's own name for it (0, 1, 2, … in order of
 *   appearance), because every book assigns its own order ids;
 * - `market`: a market order bounded by `worstPriceTicks` (never rests);
 * - `cancel`: cancels order `ref`, or with `lots` reduces it by that many lots (a partial cancel).
 * A flow is only emitted for orders that are resting at that point when the flow is run on a correct
 * price-time-priority book (the generators check it against our engine), so a driver never has to
 * guess.
 *
 * Generators: `coinbase.ts` records the flow it feeds the engine (`replayCoinbase(…, {recordFlow})`),
 * {@link lobsterFlow} turns LOBSTER messages into one, and {@link replicateFlow} runs a flow on
 * several independent markets at once, interleaved.
 */
import { Engine } from "../core/engine.js";
import type { Side } from "../core/ops.js";
import { MAX_LOTS } from "../core/orderbook/book.js";

export interface FlowToken {
  symbol: string;
  decimals: number;
}

export interface FlowMarket {
  market: string;
  base: string;
  quote: string;
  lotSize: bigint;
  tickSize: bigint;
  makerFeePpm: number;
  takerFeePpm: number;
}

export interface FlowDeposit {
  account: string;
  token: string;
  amount: bigint;
}

export interface LimitEvent {
  kind: "limit";
  /** Index into {@link BookFlow.markets}. */
  market: number;
  account: string;
  ref: number;
  side: Side;
  priceTicks: number;
  lots: number;
}

export interface MarketEvent {
  kind: "market";
  market: number;
  account: string;
  side: Side;
  lots: number;
  worstPriceTicks: number;
}

export interface CancelEvent {
  kind: "cancel";
  market: number;
  account: string;
  ref: number;
  /** Lots to take off the order (partial cancel, priority kept); absent = cancel it entirely. */
  lots?: number;
}

export type BookEvent = LimitEvent | MarketEvent | CancelEvent;

export interface BookFlow {
  name: string;
  /** Where it came from (data file, generator). */
  source: string;
  tokens: FlowToken[];
  markets: FlowMarket[];
  accounts: string[];
  deposits: FlowDeposit[];
  /** Limit orders building the initial book. */
  seed: BookEvent[];
  events: BookEvent[];
  /** Number of refs used (refs are 0..refCount-1). */
  refCount: number;
}

export interface FlowCounts {
  limit: number;
  market: number;
  cancel: number;
  partialCancel: number;
}

export function countEvents(events: readonly BookEvent[]): FlowCounts {
  const c: FlowCounts = { limit: 0, market: 0, cancel: 0, partialCancel: 0 };
  for (const e of events) {
    if (e.kind === "cancel" && e.lots !== undefined) c.partialCancel++;
    else c[e.kind]++;
  }
  return c;
}

/** Creates the flow's tokens, accounts and markets and makes its deposits; throws if any is rejected. */
export function setupFlow(engine: Engine, flow: BookFlow): void {
  const must = (what: string, r: { status: string; code?: string; message?: string }): void => {
    if (r.status !== "accepted") throw new Error(`flow ${flow.name}: ${what} rejected: ${r.code} ${r.message}`);
  };
  for (const t of flow.tokens) must(`createToken ${t.symbol}`, engine.createToken(t));
  for (const a of flow.accounts) must(`createAccount ${a}`, engine.createAccount({ account: a }));
  for (const m of flow.markets) must(`createMarket ${m.market}`, engine.createMarket(m));
  for (const d of flow.deposits) must(`deposit ${d.account} ${d.token}`, engine.deposit(d));
}

export interface FlowRunResult {
  accepted: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
}

/**
 * Runs flow events on our engine through its public op methods, mapping refs to the engine's order
 * ids. Keep one driver per engine: the ref map spans `seed` and `events`.
 */
export class EngineFlowDriver {
  private readonly ids: number[];
  private readonly marketIds: string[];

  constructor(
    readonly engine: Engine,
    readonly flow: BookFlow,
  ) {
    this.ids = new Array<number>(flow.refCount).fill(0);
    this.marketIds = flow.markets.map((m) => m.market);
  }

  /** Our order id for `ref` (0 if never placed). */
  orderIdOf(ref: number): number {
    return this.ids[ref] ?? 0;
  }

  /** Runs `events`; returns counts of accepted/rejected ops (callers decide what a rejection means). */
  run(events: readonly BookEvent[]): FlowRunResult {
    const engine = this.engine;
    const ids = this.ids;
    const marketIds = this.marketIds;
    let accepted = 0;
    let rejected = 0;
    let rejectedByCode: Record<string, number> | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as BookEvent;
      const market = marketIds[e.market] as string;
      let r;
      if (e.kind === "limit") {
        r = engine.placeOrder({ account: e.account, market, side: e.side, priceTicks: e.priceTicks, lots: e.lots });
        if (r.status === "accepted") ids[e.ref] = r.orderId;
      } else if (e.kind === "market") {
        r = engine.marketOrder({ account: e.account, market, side: e.side, lots: e.lots, worstPriceTicks: e.worstPriceTicks });
      } else if (e.lots === undefined) {
        r = engine.cancelOrder({ account: e.account, market, orderId: ids[e.ref] as number });
      } else {
        r = engine.cancelOrder({ account: e.account, market, orderId: ids[e.ref] as number, lots: e.lots });
      }
      if (r.status === "accepted") accepted++;
      else {
        rejected++;
        rejectedByCode ??= {};
        rejectedByCode[r.code] = (rejectedByCode[r.code] ?? 0) + 1;
      }
    }
    return { accepted, rejected, rejectedByCode: rejectedByCode ?? {} };
  }
}

/**
 * The same flow on `copies` independent markets at once: copy k gets market `<id>/k`, accounts
 * `<account>/k` (same tokens, same deposits per copy), refs shifted by k × refCount, and the copies'
 * events interleaved one by one (copy 0's first event, copy 1's first event, …), as an engine serving
 * many markets sees them. Seeds are interleaved the same way.
 */
export function replicateFlow(flow: BookFlow, copies: number): BookFlow {
  if (!Number.isSafeInteger(copies) || copies < 1) throw new Error("copies must be a positive integer");
  const nm = flow.markets.length;
  const interleave = (events: readonly BookEvent[]): BookEvent[] => {
    const out: BookEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      for (let k = 0; k < copies; k++) {
        const e = events[i] as BookEvent;
        const market = e.market + k * nm;
        const account = `${e.account}/${k}`;
        if (e.kind === "market") out.push({ ...e, market, account });
        else out.push({ ...e, market, account, ref: e.ref + k * flow.refCount });
      }
    }
    return out;
  };
  const range = Array.from({ length: copies }, (_, k) => k);
  return {
    name: `${flow.name} ×${copies} markets`,
    source: `${flow.source}, replicated on ${copies} markets (interleaved)`,
    tokens: flow.tokens,
    markets: range.flatMap((k) => flow.markets.map((m) => ({ ...m, market: `${m.market}/${k}` }))),
    accounts: range.flatMap((k) => flow.accounts.map((a) => `${a}/${k}`)),
    deposits: range.flatMap((k) => flow.deposits.map((d) => ({ ...d, account: `${d.account}/${k}` }))),
    seed: interleave(flow.seed),
    events: interleave(flow.events),
    refCount: flow.refCount * copies,
  };
}

/** Splits a size into chunks of at most the engine's per-order cap {@link MAX_LOTS}. */
export function chunkLots(lots: number): number[] {
  const out: number[] = [];
  while (lots > MAX_LOTS) {
    out.push(MAX_LOTS);
    lots -= MAX_LOTS;
  }
  if (lots > 0) out.push(lots);
  return out;
}

/* ───────────────────────────── LOBSTER → flow ───────────────────────────── */

export const LOB_MAKER_FEE_PPM = 1_000;
export const LOB_TAKER_FEE_PPM = 2_000;

/** What {@link lobsterFlow} did with the messages it could not map one to one. */
export interface LobsterFlowStats {
  messages: number;
  /** Type 5 (hidden execution: does not touch the visible book) and type 7 (halt): no op. */
  hiddenExecutions: number;
  halts: number;
  /** Cancels/deletes of orders from before the sample, taken off the seed order at that price. */
  cancelsOfSeed: number;
  /** Cancels/deletes of orders from before the sample at a price with no seed left (deeper than 10 levels): no op. */
  cancelsOutsideBook: number;
  /** Cancels of an order our book had already filled (FIFO differs from the exchange's): no op. */
  cancelsOfFilled: number;
  /** Executed lots the market orders did not find in our book (e.g. executions of orders we never saw). */
  unfilledExecutionLots: number;
  /** Messages after which our best bid and best ask (price and size) equal the published LOBSTER row's. */
  topOfBookMatching: number;
}

/**
 * The LOBSTER AAPL sample as a flow on one market `lob:AAPL-USD` (tokens `lob:AAPL`, 0 decimals, one
 * lot = 1 share; `lob:USD`, 4 decimals, one tick = USD 0.0001 per share = LOBSTER's price unit).
 *
 * - Seed: the book just before the first message (the first published row with that message
 *   undone), one resting order per visible level: the orders from before the sample, aggregated
 *   per price. Bids are posted by `lob:bids`, asks by `lob:asks` (two accounts, as in the Coinbase
 *   replay, so they never meet under self-trade prevention).
 * - Type 1 (submit) → limit order, same side/price/size. Type 2 (partial cancel) → partial cancel of
 *   that order (a full cancel if nothing would remain). Type 3 (delete) → cancel. Type 4 (visible
 *   execution) → a market order of the executed size by `lob:taker` on the other side, bounded by
 *   the execution price: it fills the front of the level, as the exchange did.
 * - A cancel/delete of an order from before the sample reduces the seed order at its price (skipped if
 *   that level was not among the visible 10); type 5 (hidden execution) and 7 (halt) do not touch
 *   the visible book and give no op.
 * The flow is generated by running it on our engine (fills decide which orders remain), with the
 * same fee choice as the Coinbase replay (maker 1000 ppm, taker 2000 ppm) and deposits that are an
 * upper bound of every reservation, so no op is rejected for balance.
 */
export function lobsterFlow(
  data: { messages: readonly LobsterMessageLike[]; rows: readonly LobsterRowLike[] },
): { flow: BookFlow; stats: LobsterFlowStats } {
  const messages = data.messages;
  const first = messages[0];
  const row0 = data.rows[0];
  if (first === undefined || row0 === undefined) throw new Error("LOBSTER: no messages");
  // The book before the first message.
  const seedLevels: [Map<number, number>, Map<number, number>] = [
    new Map(row0.bids.map((l) => [l.price, l.size])),
    new Map(row0.asks.map((l) => [l.price, l.size])),
  ];
  if (first.type >= 1 && first.type <= 4) {
    const s = first.direction === 1 ? 0 : 1;
    const delta = first.type === 1 ? -first.size : first.size;
    const v = (seedLevels[s].get(first.price) ?? 0) + delta;
    if (v > 0) seedLevels[s].set(first.price, v);
    else seedLevels[s].delete(first.price);
  }

  const market: FlowMarket = {
    market: "lob:AAPL-USD",
    base: "lob:AAPL",
    quote: "lob:USD",
    lotSize: 1n,
    tickSize: 1n,
    makerFeePpm: LOB_MAKER_FEE_PPM,
    takerFeePpm: LOB_TAKER_FEE_PPM,
  };
  const BIDS = "lob:bids";
  const ASKS = "lob:asks";
  const TAKER = "lob:taker";
  const maxFee = BigInt(Math.max(LOB_MAKER_FEE_PPM, LOB_TAKER_FEE_PPM));
  const buyPerLot = (price: number): bigint => BigInt(price) + (BigInt(price) * maxFee + 999_999n) / 1_000_000n;

  // Deposits: an upper bound of every reservation each account could make.
  let bidsQuote = 0n;
  let asksBase = 0n;
  let takerQuote = 0n;
  let takerBase = 0n;
  for (const [price, size] of seedLevels[0]) bidsQuote += BigInt(size) * buyPerLot(price);
  for (const [, size] of seedLevels[1]) asksBase += BigInt(size);
  for (const m of messages) {
    if (m.type === 1) {
      if (m.direction === 1) bidsQuote += BigInt(m.size) * buyPerLot(m.price);
      else asksBase += BigInt(m.size);
    } else if (m.type === 4) {
      if (m.direction === 1) takerBase += BigInt(m.size);
      else takerQuote += BigInt(m.size) * buyPerLot(m.price);
    }
  }
  const deposits: FlowDeposit[] = [
    { account: ASKS, token: market.base, amount: asksBase },
    { account: BIDS, token: market.quote, amount: bidsQuote },
    { account: TAKER, token: market.base, amount: takerBase },
    { account: TAKER, token: market.quote, amount: takerQuote },
  ].filter((d) => d.amount > 0n);

  const flow: BookFlow = {
    name: "LOBSTER AAPL",
    source: "lobster-aapl-2012-06-21-sample (message + orderbook files)",
    tokens: [
      { symbol: market.base, decimals: 0 },
      { symbol: market.quote, decimals: 4 },
    ],
    markets: [market],
    accounts: [BIDS, ASKS, TAKER],
    deposits,
    seed: [],
    events: [],
    refCount: 0,
  };
  const stats: LobsterFlowStats = {
    messages: messages.length,
    hiddenExecutions: 0,
    halts: 0,
    cancelsOfSeed: 0,
    cancelsOutsideBook: 0,
    cancelsOfFilled: 0,
    unfilledExecutionLots: 0,
    topOfBookMatching: 0,
  };

  const engine = new Engine();
  setupFlow(engine, flow);
  // Per ref, as our engine has it: remaining lots, owner side (0 bids, 1 asks); our order id → ref.
  const remaining: number[] = [];
  const owner: (0 | 1)[] = [];
  const orderIdOf: number[] = [];
  const refOfOrder = new Map<number, number>();
  const refOfLobster = new Map<number, number>();
  const seedRefAt: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
  const applyFills = (fills: readonly { makerOrderId: number; lots: number }[]): void => {
    for (const f of fills) {
      const ref = refOfOrder.get(f.makerOrderId);
      if (ref === undefined) throw new Error(`LOBSTER flow: fill of unknown order ${f.makerOrderId}`);
      remaining[ref] = (remaining[ref] ?? 0) - f.lots;
    }
  };
  const limit = (target: BookEvent[], s: 0 | 1, price: number, lots: number): number => {
    const ref = flow.refCount++;
    const side: Side = s === 0 ? "buy" : "sell";
    const account = s === 0 ? BIDS : ASKS;
    target.push({ kind: "limit", market: 0, account, ref, side, priceTicks: price, lots });
    const r = engine.placeOrder({ account, market: market.market, side, priceTicks: price, lots });
    if (r.status !== "accepted") throw new Error(`LOBSTER flow: limit rejected: ${r.code} ${r.message}`);
    applyFills(r.fills);
    remaining[ref] = r.restingLots;
    owner[ref] = s;
    refOfOrder.set(r.orderId, ref);
    orderIdOf[ref] = r.orderId;
    return ref;
  };
  const cancel = (ref: number, lots: number): void => {
    const left = remaining[ref] ?? 0;
    if (left === 0) {
      stats.cancelsOfFilled++;
      return;
    }
    const account = owner[ref] === 0 ? BIDS : ASKS;
    const orderId = orderIdOf[ref] as number;
    const partial = lots < left;
    flow.events.push(partial ? { kind: "cancel", market: 0, account, ref, lots } : { kind: "cancel", market: 0, account, ref });
    const r = partial
      ? engine.cancelOrder({ account, market: market.market, orderId, lots })
      : engine.cancelOrder({ account, market: market.market, orderId });
    if (r.status !== "accepted") throw new Error(`LOBSTER flow: cancel rejected: ${r.code} ${r.message}`);
    remaining[ref] = partial ? left - lots : 0;
  };
  for (const s of [0, 1] as const) {
    const levels = [...seedLevels[s]].sort(([a], [b]) => (s === 0 ? b - a : a - b));
    for (const [price, size] of levels) seedRefAt[s].set(price, limit(flow.seed, s, price, size));
  }

  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as LobsterMessageLike;
    const s: 0 | 1 = m.direction === 1 ? 0 : 1;
    switch (m.type) {
      case 1: {
        refOfLobster.set(m.orderId, limit(flow.events, s, m.price, m.size));
        break;
      }
      case 2:
      case 3: {
        const known = refOfLobster.get(m.orderId);
        if (known !== undefined) {
          cancel(known, m.type === 2 ? m.size : Number.MAX_SAFE_INTEGER);
        } else {
          const seedRef = seedRefAt[s].get(m.price);
          if (seedRef === undefined || (remaining[seedRef] ?? 0) === 0) stats.cancelsOutsideBook++;
          else {
            stats.cancelsOfSeed++;
            cancel(seedRef, m.size);
          }
        }
        break;
      }
      case 4: {
        const side: Side = s === 0 ? "sell" : "buy";
        const e: MarketEvent = { kind: "market", market: 0, account: TAKER, side, lots: m.size, worstPriceTicks: m.price };
        flow.events.push(e);
        const r = engine.marketOrder({ account: TAKER, market: market.market, side, lots: m.size, worstPriceTicks: m.price });
        if (r.status !== "accepted") throw new Error(`LOBSTER flow: market order rejected: ${r.code} ${r.message}`);
        applyFills(r.fills);
        stats.unfilledExecutionLots += m.size - r.filledLots;
        break;
      }
      case 5:
        stats.hiddenExecutions++;
        break;
      case 7:
        stats.halts++;
        break;
    }
    const row = data.rows[i];
    if (row !== undefined) {
      const d = engine.getDepth(market.market, 1);
      const same = (ours: { priceTicks: number; lots: number } | undefined, theirs: { price: number; size: number } | undefined): boolean =>
        ours === undefined ? theirs === undefined : ours.priceTicks === theirs?.price && ours.lots === theirs.size;
      if (d !== undefined && same(d.bids[0], row.bids[0]) && same(d.asks[0], row.asks[0])) stats.topOfBookMatching++;
    }
  }
  return { flow, stats };
}

/** The fields of `lobsterData.ts`'s LobsterMessage that {@link lobsterFlow} reads. */
export interface LobsterMessageLike {
  type: number;
  orderId: number;
  size: number;
  price: number;
  direction: 1 | -1;
}

/** The fields of `lobsterData.ts`'s LobsterRow that {@link lobsterFlow} reads. */
export interface LobsterRowLike {
  bids: readonly { price: number; size: number }[];
  asks: readonly { price: number; size: number }[];
}
