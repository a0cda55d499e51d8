/**
 * The order book checked against a peer implementation (nodejs-order-book): the same flow into our
 * engine and into the peer's books, then the depth of both compared level by level. Shared by the
 * Coinbase/LOBSTER tests (test/coinbase.test.ts) and the order-book benchmark (bench/orderbook.ts).
 */
import { OrderBook, type LimitOrderOptions, type Side as PeerSide } from "nodejs-order-book";
import { Engine } from "../src/core/engine.js";
import { EngineFlowDriver, setupFlow, type BookFlow } from "../src/replay/flow.js";

/** The peer does not export its TimeInForce enum; its value is the string. */
const IOC = "IOC" as LimitOrderOptions["timeInForce"];

/** Engine with the flow's setup done and its seed placed. */
export function oursReady(flow: BookFlow): EngineFlowDriver {
  const engine = new Engine();
  setupFlow(engine, flow);
  const driver = new EngineFlowDriver(engine, flow);
  const r = driver.run(flow.seed);
  if (r.rejected !== 0) throw new Error(`${flow.name}: seed rejected ${JSON.stringify(r.rejectedByCode)}`);
  return driver;
}

export interface PeerReady {
  books: OrderBook[];
}

/** The peer's string ids: refs for limit orders, `m<i>` for the IOC orders standing in for market orders. */
export function peerIds(flow: BookFlow): { refIds: string[]; takerIds: string[] } {
  const refIds = Array.from({ length: flow.refCount }, (_, i) => String(i));
  const takerIds = flow.events.map((_, i) => `m${i}`);
  return { refIds, takerIds };
}

export function runPeer(books: OrderBook[], events: BookFlow["events"], refIds: string[], takerIds: string[]): number {
  let errors = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const ob = books[e.market]!;
    if (e.kind === "limit") {
      const r = ob.limit({ id: refIds[e.ref]!, side: e.side as PeerSide, size: e.lots, price: e.priceTicks });
      if (r.err !== null) errors++;
    } else if (e.kind === "market") {
      const r = ob.limit({
        id: takerIds[i]!,
        side: e.side as PeerSide,
        size: e.lots,
        price: e.worstPriceTicks,
        timeInForce: IOC,
      });
      if (r.err !== null) errors++;
    } else if (e.lots === undefined) {
      if (ob.cancel(refIds[e.ref]!) === undefined) errors++;
    } else {
      const id = refIds[e.ref]!;
      const o = ob.order(id);
      if (o === undefined) errors++;
      else if (ob.modify(id, { size: o.size - e.lots }).err !== null) errors++;
    }
  }
  return errors;
}

export function peerReady(flow: BookFlow, ids: { refIds: string[] }): PeerReady {
  const books = flow.markets.map(() => new OrderBook());
  const errors = runPeer(books, flow.seed, ids.refIds, []);
  if (errors !== 0) throw new Error(`${flow.name}: peer seed errors ${errors}`);
  return { books };
}

/** Levels (both sides, all markets) where the two books' totals differ after the whole flow. */
export function compareBooks(driver: EngineFlowDriver, peer: PeerReady, flow: BookFlow): number {
  let diffs = 0;
  flow.markets.forEach((m, i) => {
    const ours = driver.engine.getDepth(m.market, 1_000_000)!;
    const [asks, bids] = peer.books[i]!.depth();
    for (const [o, t] of [
      [ours.asks, asks],
      [ours.bids, bids],
    ] as const) {
      const theirs = new Map(t.map(([p, s]) => [p, s]));
      for (const l of o) {
        if (theirs.get(l.priceTicks) !== l.lots) diffs++;
        theirs.delete(l.priceTicks);
      }
      diffs += theirs.size;
    }
  });
  return diffs;
}
