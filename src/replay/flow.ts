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
import type { Engine } from "../core/engine.js";
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
