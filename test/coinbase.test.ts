/**
 * The Coinbase level-2 recording (10 products, ~30 s) replayed on one engine: exact counts, no
 * unexpected rejection, never crossed, every changed level equal to the recorded total, the ticker
 * check, and per-token conservation computed from `engine.state`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import { replayCoinbase, coinbaseDeposits, cbToken, type CoinbaseReport } from "../src/replay/coinbase.js";
import {
  decimalPlaces,
  decimalToUnits,
  loadCoinbase,
  parseCoinbase,
  type CoinbaseEvent,
  type CoinbaseRecording,
} from "../src/replay/coinbaseData.js";
import { compareBooks, oursReady, peerIds, peerReady, runPeer } from "./orderbookPeer.helpers.js";
import { countEvents, EngineFlowDriver, lobsterFlow, replicateFlow, setupFlow, type BookFlow } from "../src/replay/flow.js";
import { loadLobster } from "../src/replay/lobsterData.js";
import { defaultDataDir } from "../src/replay/paths.js";

let rec: CoinbaseRecording;
let engine: Engine;
let report: CoinbaseReport;
const progress: [number, number][] = [];

beforeAll(() => {
  rec = loadCoinbase(defaultDataDir());
  engine = new Engine();
  report = replayCoinbase(engine, {
    dataDir: defaultDataDir(),
    recording: rec,
    recordFlow: true,
    onProgress: (done, total) => progress.push([done, total]),
  });
});

describe("Coinbase recording parser", () => {
  it("converts decimal strings exactly, and refuses what does not fit", () => {
    expect(decimalToUnits("14.8024", 4)).toBe(148024n);
    expect(decimalToUnits("0.00001305", 8)).toBe(1305n);
    expect(decimalToUnits("123.10", 2)).toBe(12310n);
    expect(decimalToUnits("2.57200000", 3)).toBe(2572n); // trailing zeros beyond the lot are fine
    expect(decimalToUnits("7", 3)).toBe(7000n);
    expect(decimalToUnits("0.0", 1)).toBe(0n);
    expect(() => decimalToUnits("2.5721", 3)).toThrow(/more than 3 decimal places/);
    expect(() => decimalToUnits("-1", 2)).toThrow(/not a non-negative decimal/);
    expect(() => decimalToUnits("1e-8", 8)).toThrow(/not a non-negative decimal/);
    expect(() => decimalToUnits(".5", 1)).toThrow(/not a non-negative decimal/);
    expect(decimalPlaces("94381.28000000")).toBe(2);
    expect(decimalPlaces("10")).toBe(0);
  });

  it("rejects unknown message types and malformed lines with the line number", () => {
    expect(() => parseCoinbase('1.0: {"type":"heartbeat","product_id":"A-B"}\n', "f")).toThrow(/f:1: unknown message type/);
    expect(() => parseCoinbase("garbage here\n", "f")).toThrow(/f:1: unrecognised line/);
    expect(() =>
      parseCoinbase('1.0: {"type":"l2update","product_id":"A-B","time":"t","changes":[["buy","1.5",2]]}\n', "f"),
    ).toThrow(/f:1 changes: expected \[3 strings\]/);
    expect(() => parseCoinbase('1.0: {"type":"ticker","product_id":"A-B","sequence":1,"price":"1","best_bid":"x","best_ask":"1"}', "f")).toThrow(
      /not a non-negative decimal/,
    );
  });

  it("reads every message of the recording and derives exact units per product", () => {
    expect(rec.counts).toEqual({
      subscribe: 3,
      subscriptions: 3,
      snapshot: 10,
      l2update: 9719,
      ticker: 107,
      match: 97,
      last_match: 10,
    });
    expect(rec.events.length).toBe(9943);
    const byId = Object.fromEntries(rec.products.map((p) => [p.id, p]));
    expect(Object.keys(byId)).toEqual([
      "BAND-BTC",
      "BAND-GBP",
      "CRV-EUR",
      "DASH-BTC",
      "NMR-EUR",
      "NU-GBP",
      "SKL-BTC",
      "SKL-GBP",
      "SKL-USD",
      "YFI-BTC",
    ]);
    expect(byId["BAND-GBP"]).toEqual({
      id: "BAND-GBP",
      base: "BAND",
      quote: "GBP",
      priceDecimals: 4,
      sizeDecimals: 2,
      lotSize: 1n,
      tickSize: 10_000n,
    });
    expect(byId["SKL-BTC"]).toMatchObject({ priceDecimals: 8, sizeDecimals: 1, lotSize: 1n, tickSize: 100n });
    expect(byId["NU-GBP"]).toMatchObject({ priceDecimals: 4, sizeDecimals: 6, lotSize: 1n, tickSize: 1n });
    expect(Object.fromEntries(rec.tokenDecimals)).toEqual({
      BAND: 2,
      BTC: 11,
      CRV: 2,
      DASH: 3,
      EUR: 7,
      GBP: 10,
      NMR: 3,
      NU: 6,
      SKL: 1,
      USD: 5,
      YFI: 6,
    });
    // The first BAND-GBP snapshot level, ["14.8024", "12.77"], in ticks and lots; one lot at one tick
    // is exactly tickSize GBP base units: 0.01 BAND × 0.0001 GBP = 1e-6 GBP = 10^4 base units (10 dec).
    const snap = rec.events.find((e) => e.type === "snapshot" && e.product === "BAND-GBP") as Extract<CoinbaseEvent, { type: "snapshot" }>;
    expect(snap.asks[0]).toEqual({ priceTicks: 148024, lots: 1277 });
    expect(snap.bids[0]).toEqual({ priceTicks: 147693, lots: 2751 });
  });
});

describe("Coinbase replay on 10 markets", () => {
  it("feeds the exact op counts and rejects only the one price beyond the engine's limit", () => {
    expect(report.markets).toBe(10);
    expect(report.messages).toBe(9943);
    expect(report.setupOps).toBe(11 + 10 + 30 + 32); // tokens, markets, accounts, deposits
    expect(report.ops).toBe(23_223);
    expect(report.placeOrders).toBe(17_357);
    expect(report.seedOrders).toBe(12_415);
    expect(report.fullCancels).toBe(4_727);
    expect(report.partialCancels).toBe(1_042);
    expect(report.marketOrders).toBe(97);
    expect(report.placeOrders + report.fullCancels + report.partialCancels + report.marketOrders).toBe(report.ops);
    expect(report.accepted).toBe(23_222);
    expect(report.rejected).toBe(1);
    // CRV-EUR's ask at 888,888,004 EUR is 8.9e12 ticks, above MAX_PRICE_TICKS (1e12).
    expect(report.rejectedByCode).toEqual({ INVALID_PRICE: 1 });
    expect(report.expectedRejections).toBe(1);
    expect(report.unexpectedRejections).toBe(0);
    expect(progress.at(-1)).toEqual([9943, 9943]);
  });

  it("executes every trade in full at its recorded price, before the level change it caused", () => {
    expect(report.tradesPulledForward).toBe(97);
    expect(report.tradeLots).toBe(805_714_469);
    expect(report.tradeLotsFilled).toBe(report.tradeLots);
    expect(report.tradeFillsOffPrice).toBe(0);
    expect(report.fills).toBe(100);
  });

  it("never crosses, and every changed level ends at the recorded total", () => {
    expect(report.crossedAfterUpdate).toBe(0);
    expect(report.levelMismatches).toBe(0);
    expect(report.mapDisagreements).toBe(0);
    expect(report.finalLevelDiffs).toBe(0);
    expect(report.perMarket.map((m) => [m.market, m.orders, m.bidLevels, m.askLevels])).toEqual([
      ["cb:BAND-BTC", 1158, 323, 825],
      ["cb:BAND-GBP", 318, 148, 162],
      ["cb:CRV-EUR", 692, 389, 296],
      ["cb:DASH-BTC", 1000, 436, 541],
      ["cb:NMR-EUR", 946, 633, 310],
      ["cb:NU-GBP", 4588, 118, 450],
      ["cb:SKL-BTC", 694, 225, 407],
      ["cb:SKL-GBP", 281, 102, 175],
      ["cb:SKL-USD", 2227, 816, 1341],
      ["cb:YFI-BTC", 674, 203, 458],
    ]);
    const d = engine.getDepth("cb:SKL-USD", 1)!;
    expect(d.bids[0]!.priceTicks).toBeLessThan(d.asks[0]!.priceTicks);
  });

  it("agrees with the ticker 100 of 107 times; the 7 misses are the stale tickers sent on subscribing", () => {
    expect(report.tickerChecks).toBe(107);
    expect(report.tickerMatches).toBe(100);
    expect(report.referenceTickerMatches).toBe(100);
    expect(report.tickerMismatches.length).toBe(7);
    for (const m of report.tickerMismatches) {
      // Our book equals the book rebuilt from snapshot + updates alone...
      expect(m.ours).toEqual(m.reference);
      // ...and the ticker that disagrees is the product's first one, sent at subscription time: it
      // describes the book at the product's last trade, which is older than the snapshot.
      const tickers = rec.events.filter((e) => e.type === "ticker" && e.product === m.product);
      expect(tickers[0]!.line).toBe(m.line);
      const t = tickers[0] as Extract<CoinbaseEvent, { type: "ticker" }>;
      const firstUpdate = rec.events.find((e) => e.type === "l2update" && e.product === m.product) as Extract<
        CoinbaseEvent,
        { type: "l2update" }
      >;
      expect(t.time! < firstUpdate.time).toBe(true);
    }
  });

  it("conserves every token: Σ free + Σ reserved + protocol fees = Σ deposits − Σ withdrawals", () => {
    const deposited = new Map<string, bigint>();
    for (const d of coinbaseDeposits(rec)) deposited.set(d.token, (deposited.get(d.token) ?? 0n) + d.amount);
    expect(deposited.size).toBe(11);
    let feeTokens = 0;
    for (const [token, amount] of deposited) {
      let held = 0n;
      for (const a of engine.state.accounts.values()) held += (a.free.get(token) ?? 0n) + (a.reserved.get(token) ?? 0n);
      const fees = engine.state.protocolFees.get(token) ?? 0n;
      if (fees > 0n) feeTokens++;
      const totals = engine.state.totals.get(token)!;
      expect(totals.deposited).toBe(amount);
      expect(held + fees).toBe(totals.deposited - totals.withdrawn);
    }
    // Fees were charged in every quote currency that traded (BTC, EUR, GBP, USD).
    expect(feeTokens).toBe(4);
    expect(engine.protocolFeesOf(cbToken("USD"))).toBeGreaterThan(0n);
    expect(engine.checkConservation().ok).toBe(true);
  });

  it("records a flow that replays on a fresh engine with no rejection and the same books", () => {
    const flow = report.flow!;
    expect(flow.seed.length).toBe(12_414);
    expect(flow.events.length).toBe(10_808);
    expect(countEvents(flow.events)).toEqual({ limit: 4_942, market: 97, cancel: 4_727, partialCancel: 1_042 });
    const fresh = new Engine();
    setupFlow(fresh, flow);
    const driver = new EngineFlowDriver(fresh, flow);
    expect(driver.run(flow.seed)).toEqual({ accepted: 12_414, rejected: 0, rejectedByCode: {} });
    expect(driver.run(flow.events)).toEqual({ accepted: 10_808, rejected: 0, rejectedByCode: {} });
    for (const m of report.marketIds) expect(fresh.getDepth(m, 1_000_000)).toEqual(engine.getDepth(m, 1_000_000));
  });
});

/** Runs `flow` on our engine and on nodejs-order-book; returns rejections, peer errors and differing levels. */
function againstPeer(flow: BookFlow): { rejected: number; peerErrors: number; levelDiffs: number; conserved: boolean } {
  const ours = oursReady(flow);
  const r = ours.run(flow.events);
  const ids = peerIds(flow);
  const peer = peerReady(flow, ids);
  const peerErrors = runPeer(peer.books, flow.events, ids.refIds, ids.takerIds);
  return { rejected: r.rejected, peerErrors, levelDiffs: compareBooks(ours, peer, flow), conserved: ours.engine.checkConservation().ok };
}

describe("order flows for the benchmark", () => {
  it("turns the LOBSTER sample into a flow that rebuilds its book", () => {
    const { flow, stats } = lobsterFlow(loadLobster(defaultDataDir()));
    expect(stats).toEqual({
      messages: 999,
      hiddenExecutions: 61,
      halts: 0,
      cancelsOfSeed: 5,
      cancelsOutsideBook: 0,
      cancelsOfFilled: 0,
      // The 4 executions of orders from before the sample at prices that were never visible (50+20+2+5).
      unfilledExecutionLots: 77,
      topOfBookMatching: 955,
    });
    expect(flow.seed.length).toBe(19);
    expect(countEvents(flow.events)).toEqual({ limit: 471, market: 98, cancel: 368, partialCancel: 1 });
    expect(flow.refCount).toBe(19 + 471);
    expect(flow.deposits).toEqual([
      { account: "lob:asks", token: "lob:AAPL", amount: 19_177n },
      { account: "lob:bids", token: "lob:USD", amount: 56_377_507_518n },
      { account: "lob:taker", token: "lob:AAPL", amount: 2_115n },
      { account: "lob:taker", token: "lob:USD", amount: 15_343_724_067n },
    ]);
  });

  it("gives the same books on our engine and on nodejs-order-book (LOBSTER, Coinbase)", () => {
    const lob = lobsterFlow(loadLobster(defaultDataDir())).flow;
    expect(againstPeer(lob)).toEqual({ rejected: 0, peerErrors: 0, levelDiffs: 0, conserved: true });
    expect(againstPeer(report.flow!)).toEqual({ rejected: 0, peerErrors: 0, levelDiffs: 0, conserved: true });
  });

  it("replicates a flow on independent markets, each copy ending with the single run's book", () => {
    const lob = lobsterFlow(loadLobster(defaultDataDir())).flow;
    const single = oursReady(lob);
    single.run(lob.events);
    const triple = replicateFlow(lob, 3);
    expect(triple.markets.map((m) => m.market)).toEqual(["lob:AAPL-USD/0", "lob:AAPL-USD/1", "lob:AAPL-USD/2"]);
    expect(triple.events.length).toBe(3 * 938);
    expect(triple.refCount).toBe(3 * 490);
    const ours = oursReady(triple);
    expect(ours.run(triple.events)).toEqual({ accepted: 3 * 938, rejected: 0, rejectedByCode: {} });
    const depth = single.engine.getDepth("lob:AAPL-USD", 1000);
    expect(depth!.bids.length).toBeGreaterThan(0);
    for (const m of triple.markets) expect(ours.engine.getDepth(m.market, 1000)).toEqual(depth);
  });
});
