/**
 * Order book: worked cases with exact values, then fast-check properties over random op sequences.
 *
 * Market used throughout (unless stated): base BASE, quote QUOTE, lotSize 10, tickSize 3, maker fee
 * 1000 ppm (0.1%), taker fee 2500 ppm (0.25%). So one lot at 100 ticks is 300 quote units, and a GTC
 * buy at P ticks reserves per lot 3P + ⌈3P × 2500 / 1e6⌉.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import { InvariantError } from "../src/core/errors.js";
import type { CancelOrderOp, MarketOrderOp, Op, PlaceOrderOp } from "../src/core/ops.js";
import { MAX_LEVELS_PER_SIDE, type BookSide } from "../src/core/orderbook/book.js";
import { encodeMarket, type Market } from "../src/core/orderbook/market.js";
import type { PlacedOrder } from "../src/core/orderbook/matching.js";
import type { Accepted, CancelResult, Rejected, Result } from "../src/core/results.js";

const B = "BASE";
const Q = "QUOTE";
const FUND_BASE = 1_000_000n;
const FUND_QUOTE = 10_000_000n;

function setup(accounts = ["alice", "bob", "carol", "dave", "erin"], fees = { maker: 1000, taker: 2500 }): Engine {
  const e = new Engine();
  expect(e.createToken({ symbol: B, decimals: 0 }).status).toBe("accepted");
  expect(e.createToken({ symbol: Q, decimals: 0 }).status).toBe("accepted");
  for (const a of accounts) {
    expect(e.createAccount({ account: a }).status).toBe("accepted");
    e.deposit({ account: a, token: B, amount: FUND_BASE });
    e.deposit({ account: a, token: Q, amount: FUND_QUOTE });
  }
  const r = e.createMarket({
    market: "M",
    base: B,
    quote: Q,
    lotSize: 10n,
    tickSize: 3n,
    makerFeePpm: fees.maker,
    takerFeePpm: fees.taker,
  });
  expect(r.status).toBe("accepted");
  return e;
}

type P = Omit<PlaceOrderOp, "type" | "market"> & { market?: string };
function place(e: Engine, p: P): PlacedOrder | Rejected {
  return e.apply({ type: "placeOrder", market: "M", ...p } as PlaceOrderOp) as unknown as PlacedOrder | Rejected;
}
function mkt(e: Engine, p: Omit<MarketOrderOp, "type" | "market">): PlacedOrder | Rejected {
  return e.apply({ type: "marketOrder", market: "M", ...p } as MarketOrderOp) as unknown as PlacedOrder | Rejected;
}
function cancel(e: Engine, p: Omit<CancelOrderOp, "type" | "market">): Result<CancelResult> {
  return e.apply({ type: "cancelOrder", market: "M", ...p } as CancelOrderOp) as Result<CancelResult>;
}
function ok<T extends object>(r: Accepted<T> | Rejected): Accepted<T> {
  if (r.status !== "accepted") throw new Error(`expected accepted, got ${r.code}: ${r.message}`);
  return r;
}
function market(e: Engine): Market {
  return e.state.markets.get("M")!;
}

/** Deep snapshot of everything an op could change: balances, fees, order ids, books. */
function snapshot(e: Engine): string {
  const s = e.state;
  const lines: string[] = [`next ${s.nextOrderId}`];
  for (const [id, a] of [...s.accounts].sort()) {
    lines.push(`${id} free ${[...a.free].sort().join(",")} reserved ${[...a.reserved].sort().join(",")}`);
  }
  lines.push(`fees ${[...s.protocolFees].sort().join(",")}`);
  for (const m of s.markets.values()) {
    lines.push(encodeMarket(m));
    lines.push(JSON.stringify(e.getDepth(m.id, 1000)));
    lines.push(`orders ${[...m.orders.keys()].sort((x, y) => x - y).join(",")}`);
  }
  return lines.join("\n");
}

function expectRejected(e: Engine, run: () => { status: string; code?: string }, code: string): void {
  const before = snapshot(e);
  const r = run();
  expect(r.status).toBe("rejected");
  expect((r as Rejected).code).toBe(code);
  expect(snapshot(e)).toBe(before);
}

describe("worked cases", () => {
  it("partial fill at the maker's price, fees rounded up per fill, exact balances", () => {
    const e = setup();
    const a = ok(place(e, { account: "alice", side: "sell", priceTicks: 100, lots: 5 }));
    expect(a).toMatchObject({ orderId: 1, orderStatus: "resting", restingLots: 5, filledLots: 0, fills: [] });
    expect(e.reservedOf("alice", B)).toBe(50n);
    expect(e.balanceOf("alice", B)).toBe(FUND_BASE - 50n);

    // bob buys 7 @101 GTC: reservation per lot 303 + ⌈303 × 0.0025⌉ = 304
    const b = ok(place(e, { account: "bob", side: "buy", priceTicks: 101, lots: 7 }));
    expect(b.orderId).toBe(2);
    expect(b.orderStatus).toBe("partiallyFilled");
    expect(b.fills).toEqual([
      // 5 lots at the maker's 100: 1500 quote; maker fee ⌈1.5⌉ = 2, taker fee ⌈3.75⌉ = 4
      { makerOrderId: 1, maker: "alice", priceTicks: 100, lots: 5, baseAmount: 50n, quoteAmount: 1500n, makerFee: 2n, takerFee: 4n },
    ]);
    expect(b).toMatchObject({ filledLots: 5, restingLots: 2, cancelledLots: 0 });
    expect(e.balanceOf("bob", Q)).toBe(FUND_QUOTE - 1504n - 608n);
    expect(e.reservedOf("bob", Q)).toBe(608n);
    expect(e.balanceOf("bob", B)).toBe(FUND_BASE + 50n);
    expect(e.balanceOf("alice", Q)).toBe(FUND_QUOTE + 1498n);
    expect(e.reservedOf("alice", B)).toBe(0n);
    expect(e.protocolFeesOf(Q)).toBe(6n);

    // alice sells 2 @99: fills bob's 2 @101 = 606; bob's maker fee ⌈0.606⌉ = 1, alice's taker fee ⌈1.515⌉ = 2
    const c = ok(place(e, { account: "alice", side: "sell", priceTicks: 99, lots: 2 }));
    expect(c.fills).toEqual([
      { makerOrderId: 2, maker: "bob", priceTicks: 101, lots: 2, baseAmount: 20n, quoteAmount: 606n, makerFee: 1n, takerFee: 2n },
    ]);
    expect(c.orderStatus).toBe("filled");
    // bob's order spent 607 of its 608 reservation; the 1 unit of rounding surplus is released
    expect(e.reservedOf("bob", Q)).toBe(0n);
    expect(e.balanceOf("bob", Q)).toBe(FUND_QUOTE - 1504n - 607n);
    expect(e.balanceOf("bob", B)).toBe(FUND_BASE + 70n);
    expect(e.balanceOf("alice", Q)).toBe(FUND_QUOTE + 1498n + 604n);
    expect(e.balanceOf("alice", B)).toBe(FUND_BASE - 70n);
    expect(e.protocolFeesOf(Q)).toBe(9n);
    expect(e.getDepth("M")).toEqual({ bids: [], asks: [] });
    expect(e.checkConservation().ok).toBe(true);
  });

  it("price priority first, then FIFO within a level; L2 depth best first", () => {
    const e = setup();
    ok(place(e, { account: "carol", side: "sell", priceTicks: 100, lots: 3 })); // 1
    ok(place(e, { account: "dave", side: "sell", priceTicks: 100, lots: 3 })); // 2
    ok(place(e, { account: "erin", side: "sell", priceTicks: 99, lots: 2 })); // 3
    ok(place(e, { account: "alice", side: "sell", priceTicks: 104, lots: 1 })); // 4
    ok(place(e, { account: "alice", side: "buy", priceTicks: 90, lots: 4 })); // 5
    ok(place(e, { account: "erin", side: "buy", priceTicks: 95, lots: 1 })); // 6
    ok(place(e, { account: "carol", side: "buy", priceTicks: 90, lots: 2 })); // 7
    expect(e.getDepth("M")).toEqual({
      bids: [
        { priceTicks: 95, lots: 1, orders: 1 },
        { priceTicks: 90, lots: 6, orders: 2 },
      ],
      asks: [
        { priceTicks: 99, lots: 2, orders: 1 },
        { priceTicks: 100, lots: 6, orders: 2 },
        { priceTicks: 104, lots: 1, orders: 1 },
      ],
    });
    expect(e.getDepth("M", 1)).toEqual({ bids: [{ priceTicks: 95, lots: 1, orders: 1 }], asks: [{ priceTicks: 99, lots: 2, orders: 1 }] });

    const r = ok(place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 6 }));
    expect(r.fills.map((f) => [f.makerOrderId, f.priceTicks, f.lots])).toEqual([
      [3, 99, 2],
      [1, 100, 3],
      [2, 100, 1],
    ]);
    expect(e.getOrder("M", 2)).toMatchObject({ account: "dave", lots: 2, priceTicks: 100, side: "sell", reserved: 20n });
    expect(e.getOrder("M", 1)).toBeUndefined();
    expect(e.getDepth("M")!.asks[0]).toEqual({ priceTicks: 100, lots: 2, orders: 1 });
  });

  it("self-trade prevention: cancelTaker (default), cancelMaker, cancelBoth", () => {
    // cancelTaker: the incoming order stops at its own resting order; nothing of it rests
    let e = setup();
    ok(place(e, { account: "alice", side: "sell", priceTicks: 100, lots: 2 })); // 1
    ok(place(e, { account: "bob", side: "sell", priceTicks: 100, lots: 3 })); // 2
    let r = ok(place(e, { account: "alice", side: "buy", priceTicks: 100, lots: 4 }));
    expect(r).toMatchObject({ orderId: 3, orderStatus: "cancelled", filledLots: 0, restingLots: 0, cancelledLots: 4, selfTradeCancelled: [] });
    expect(e.getDepth("M")!.asks).toEqual([{ priceTicks: 100, lots: 5, orders: 2 }]);
    expect(e.reservedOf("alice", Q)).toBe(0n);
    expect(e.balanceOf("alice", Q)).toBe(FUND_QUOTE);

    // cancelMaker: alice's resting order is cancelled (its 20 base released), matching goes on
    e = setup();
    ok(place(e, { account: "alice", side: "sell", priceTicks: 100, lots: 2 }));
    ok(place(e, { account: "bob", side: "sell", priceTicks: 100, lots: 3 }));
    r = ok(place(e, { account: "alice", side: "buy", priceTicks: 100, lots: 4, selfTradePrevention: "cancelMaker" }));
    expect(r).toMatchObject({ orderStatus: "partiallyFilled", filledLots: 3, restingLots: 1, cancelledLots: 0, selfTradeCancelled: [1] });
    expect(r.fills.map((f) => f.makerOrderId)).toEqual([2]);
    expect(e.reservedOf("alice", B)).toBe(0n);
    // alice: +30 base bought; paid 900 + ⌈2.25⌉ = 903; 1 lot rests at 100: 300 + ⌈0.75⌉ = 301 reserved
    expect(e.balanceOf("alice", B)).toBe(FUND_BASE + 30n);
    expect(e.balanceOf("alice", Q)).toBe(FUND_QUOTE - 903n - 301n);
    expect(e.reservedOf("alice", Q)).toBe(301n);
    expect(e.getDepth("M")).toEqual({ bids: [{ priceTicks: 100, lots: 1, orders: 1 }], asks: [] });

    // cancelBoth: alice's resting order and her incoming remainder are cancelled; bob's order untouched
    e = setup();
    ok(place(e, { account: "alice", side: "sell", priceTicks: 100, lots: 2 }));
    ok(place(e, { account: "bob", side: "sell", priceTicks: 100, lots: 3 }));
    r = ok(place(e, { account: "alice", side: "buy", priceTicks: 100, lots: 4, selfTradePrevention: "cancelBoth" }));
    expect(r).toMatchObject({ orderStatus: "cancelled", filledLots: 0, restingLots: 0, cancelledLots: 4, selfTradeCancelled: [1] });
    expect(e.getDepth("M")!.asks).toEqual([{ priceTicks: 100, lots: 3, orders: 1 }]);
    expect(e.balanceOf("alice", B)).toBe(FUND_BASE);
    expect(e.reservedOf("alice", B)).toBe(0n);
    expect(e.balanceOf("alice", Q)).toBe(FUND_QUOTE);
    expect(e.checkConservation().ok).toBe(true);
  });

  it("FOK is all-or-nothing, counting only the liquidity the self-trade mode allows; rejection changes nothing", () => {
    const e = setup();
    ok(place(e, { account: "carol", side: "sell", priceTicks: 100, lots: 3 })); // 1
    ok(place(e, { account: "alice", side: "sell", priceTicks: 101, lots: 2 })); // 2 (alice's own)
    ok(place(e, { account: "dave", side: "sell", priceTicks: 102, lots: 3 })); // 3
    // cancelTaker would stop at alice's own order after 3 lots
    expectRejected(e, () => place(e, { account: "alice", side: "buy", priceTicks: 102, lots: 6, timeInForce: "FOK" }), "FOK_NOT_FILLABLE");
    // limit too low: only 3 lots within 100
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 4, timeInForce: "FOK" }), "FOK_NOT_FILLABLE");
    // cancelMaker skips the own order: 3 + 3 = 6 available, 7 is not
    expectRejected(
      e,
      () => place(e, { account: "alice", side: "buy", priceTicks: 102, lots: 7, timeInForce: "FOK", selfTradePrevention: "cancelMaker" }),
      "FOK_NOT_FILLABLE",
    );
    // no crossing liquidity at all
    expectRejected(e, () => place(e, { account: "bob", side: "sell", priceTicks: 50, lots: 1, timeInForce: "FOK" }), "FOK_NOT_FILLABLE");
    const r = ok(place(e, { account: "alice", side: "buy", priceTicks: 102, lots: 6, timeInForce: "FOK", selfTradePrevention: "cancelMaker" }));
    expect(r.orderId).toBe(4);
    expect(r).toMatchObject({ orderStatus: "filled", filledLots: 6, restingLots: 0, cancelledLots: 0, selfTradeCancelled: [2] });
    expect(r.fills.map((f) => [f.makerOrderId, f.priceTicks, f.lots])).toEqual([
      [1, 100, 3],
      [3, 102, 3],
    ]);
    // bob's exact fill of everything left: none (book empty), and an exact-size FOK fills
    ok(place(e, { account: "carol", side: "sell", priceTicks: 100, lots: 3 }));
    const f = ok(place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 3, timeInForce: "FOK" }));
    expect(f.orderStatus).toBe("filled");
    expect(e.getDepth("M")).toEqual({ bids: [], asks: [] });
  });

  it("post-only rests or is rejected when it would cross", () => {
    const e = setup();
    ok(place(e, { account: "carol", side: "sell", priceTicks: 100, lots: 3 }));
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 1, postOnly: true }), "POST_ONLY_WOULD_CROSS");
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 99, lots: 1, postOnly: true, timeInForce: "IOC" }), "INVALID_OP");
    const r = ok(place(e, { account: "bob", side: "buy", priceTicks: 99, lots: 1, postOnly: true }));
    expect(r).toMatchObject({ orderStatus: "resting", restingLots: 1 });
    expectRejected(e, () => place(e, { account: "carol", side: "sell", priceTicks: 99, lots: 1, postOnly: true }), "POST_ONLY_WOULD_CROSS");
  });

  it("IOC and market order remainders are cancelled and nothing stays reserved", () => {
    const e = setup();
    ok(place(e, { account: "carol", side: "sell", priceTicks: 100, lots: 2 })); // 1
    ok(place(e, { account: "dave", side: "sell", priceTicks: 101, lots: 2 })); // 2
    ok(place(e, { account: "carol", side: "sell", priceTicks: 102, lots: 5 })); // 3
    const ioc = ok(place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 5, timeInForce: "IOC" }));
    expect(ioc).toMatchObject({ orderId: 4, orderStatus: "partiallyFilled", filledLots: 2, restingLots: 0, cancelledLots: 3 });
    // paid 600 + ⌈1.5⌉ = 602
    expect(e.balanceOf("bob", Q)).toBe(FUND_QUOTE - 602n);
    expect(e.reservedOf("bob", Q)).toBe(0n);

    const m = ok(mkt(e, { account: "bob", side: "buy", lots: 5, worstPriceTicks: 101 }));
    expect(m).toMatchObject({ orderId: 5, orderStatus: "partiallyFilled", filledLots: 2, restingLots: 0, cancelledLots: 3 });
    expect(m.fills.map((f) => [f.makerOrderId, f.priceTicks, f.lots, f.quoteAmount, f.takerFee])).toEqual([[2, 101, 2, 606n, 2n]]);
    expect(e.balanceOf("bob", Q)).toBe(FUND_QUOTE - 602n - 608n);
    const none = ok(mkt(e, { account: "bob", side: "sell", lots: 1, worstPriceTicks: 1 }));
    expect(none).toMatchObject({ orderId: 6, orderStatus: "cancelled", filledLots: 0, cancelledLots: 1, fills: [] });

    // a market sell into bids: carol buys 3 @90, bob sells 4 down to 80
    ok(place(e, { account: "dave", side: "buy", priceTicks: 90, lots: 3 })); // 7
    const s = ok(mkt(e, { account: "bob", side: "sell", lots: 4, worstPriceTicks: 80 }));
    expect(s).toMatchObject({ orderId: 8, filledLots: 3, cancelledLots: 1 });
    // 3 lots × 270 = 810; taker fee ⌈2.025⌉ = 3 → bob receives 807 and gives 30 base
    expect(s.fills[0]).toMatchObject({ quoteAmount: 810n, takerFee: 3n, makerFee: 1n });
    expect(e.balanceOf("bob", Q)).toBe(FUND_QUOTE - 602n - 608n + 807n);
    expect(e.balanceOf("bob", B)).toBe(FUND_BASE + 20n + 20n - 30n);
    expect(e.checkConservation().ok).toBe(true);
  });

  it("partial cancel keeps time priority and releases exact reservations; cancel errors", () => {
    const e = setup();
    ok(place(e, { account: "carol", side: "sell", priceTicks: 100, lots: 3 })); // 1
    ok(place(e, { account: "dave", side: "sell", priceTicks: 100, lots: 3 })); // 2
    const pc = ok(cancel(e, { account: "carol", orderId: 1, lots: 2 }));
    expect(pc).toEqual({ status: "accepted", orderId: 1, cancelledLots: 2, remainingLots: 1 });
    expect(e.reservedOf("carol", B)).toBe(10n);
    const r = ok(place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 2 }));
    expect(r.fills.map((f) => [f.makerOrderId, f.lots])).toEqual([
      [1, 1],
      [2, 1],
    ]);

    // bob: buy 7 @101 reserves 7 × 304 = 2128; cancel 3 lots → 912 back; full cancel → the rest
    ok(place(e, { account: "bob", side: "buy", priceTicks: 99, lots: 7 })); // 4
    expect(e.reservedOf("bob", Q)).toBe(7n * 298n);
    const freeBefore = e.balanceOf("bob", Q);
    ok(cancel(e, { account: "bob", orderId: 4, lots: 3 }));
    expect(e.reservedOf("bob", Q)).toBe(4n * 298n);
    expect(e.balanceOf("bob", Q)).toBe(freeBefore + 3n * 298n);
    expectRejected(e, () => cancel(e, { account: "carol", orderId: 4 }), "NOT_PERMITTED");
    expectRejected(e, () => cancel(e, { account: "bob", orderId: 4, lots: 5 }), "INVALID_SIZE");
    expectRejected(e, () => cancel(e, { account: "bob", orderId: 4, lots: 0 }), "INVALID_SIZE");
    expectRejected(e, () => cancel(e, { account: "bob", orderId: 999 }), "UNKNOWN_ORDER");
    expectRejected(e, () => cancel(e, { account: "bob", orderId: 1 }), "UNKNOWN_ORDER"); // filled, gone
    expectRejected(e, () => cancel(e, { account: "bob", orderId: 4, market: "X" } as never), "UNKNOWN_MARKET");
    // reducing to 0 lots is a full cancel
    const full = ok(cancel(e, { account: "bob", orderId: 4, lots: 4 }));
    expect(full).toEqual({ status: "accepted", orderId: 4, cancelledLots: 4, remainingLots: 0 });
    expect(e.reservedOf("bob", Q)).toBe(0n);
    expect(e.getOrder("M", 4)).toBeUndefined();
    expect(e.checkConservation().ok).toBe(true);
  });

  it("bad input and insufficient funds are rejected before anything changes", () => {
    const e = setup();
    ok(place(e, { account: "carol", side: "sell", priceTicks: 100, lots: 3 }));
    // FUND_QUOTE = 10,000,000: 1e4 lots at 1000 ticks needs 30,000,000 + fee
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 1000, lots: 10_000 }), "INSUFFICIENT_BALANCE");
    expectRejected(e, () => place(e, { account: "bob", side: "sell", priceTicks: 100, lots: 100_001 }), "INSUFFICIENT_BALANCE");
    expectRejected(e, () => mkt(e, { account: "bob", side: "buy", lots: 10_000, worstPriceTicks: 1000 }), "INSUFFICIENT_BALANCE");
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 0, lots: 1 }), "INVALID_PRICE");
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 1.5, lots: 1 }), "INVALID_PRICE");
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 100, lots: -1 }), "INVALID_SIZE");
    expectRejected(e, () => place(e, { account: "bob", side: "up" as never, priceTicks: 100, lots: 1 }), "INVALID_OP");
    expectRejected(e, () => place(e, { account: "nobody", side: "buy", priceTicks: 100, lots: 1 }), "UNKNOWN_ACCOUNT");
    expectRejected(e, () => place(e, { account: "bob", market: "NOPE", side: "buy", priceTicks: 100, lots: 1 }), "UNKNOWN_MARKET");
    expectRejected(e, () => place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 1, timeInForce: "DAY" as never }), "INVALID_OP");
    expectRejected(
      e,
      () => place(e, { account: "bob", side: "buy", priceTicks: 100, lots: 1, selfTradePrevention: "x" as never }),
      "INVALID_OP",
    );
    e.createAccount({ account: "watcher", roles: ["Observer"] });
    expectRejected(e, () => place(e, { account: "watcher", side: "buy", priceTicks: 100, lots: 1 }), "NOT_PERMITTED");
    // createMarket validation
    expectRejected(e, () => e.createMarket({ market: "M", base: B, quote: Q, lotSize: 1n, tickSize: 1n, makerFeePpm: 0, takerFeePpm: 0 }), "ALREADY_EXISTS");
    expectRejected(e, () => e.createMarket({ market: "M2", base: B, quote: B, lotSize: 1n, tickSize: 1n, makerFeePpm: 0, takerFeePpm: 0 }), "INVALID_OP");
    expectRejected(e, () => e.createMarket({ market: "M2", base: B, quote: "ZZZ", lotSize: 1n, tickSize: 1n, makerFeePpm: 0, takerFeePpm: 0 }), "UNKNOWN_TOKEN");
    expectRejected(e, () => e.createMarket({ market: "M2", base: B, quote: Q, lotSize: 0n, tickSize: 1n, makerFeePpm: 0, takerFeePpm: 0 }), "INVALID_AMOUNT");
    expectRejected(e, () => e.createMarket({ market: "M2", base: B, quote: Q, lotSize: 1n, tickSize: 1n, makerFeePpm: 100_001, takerFeePpm: 0 }), "INVALID_OP");
  });

  it("level limit: LIMIT_EXCEEDED before mutating; an existing level is still accepted", () => {
    const e = setup(["alice", "bob"], { maker: 0, taker: 0 });
    e.deposit({ account: "alice", token: B, amount: 10n * BigInt(MAX_LEVELS_PER_SIDE) });
    for (let i = 0; i < MAX_LEVELS_PER_SIDE; i++) {
      const r = place(e, { account: "alice", side: "sell", priceTicks: 1000 + i, lots: 1 });
      if (r.status !== "accepted") throw new Error(r.code);
    }
    expect(market(e).asks.liveLevels).toBe(MAX_LEVELS_PER_SIDE);
    expectRejected(e, () => place(e, { account: "alice", side: "sell", priceTicks: 999, lots: 1 }), "LIMIT_EXCEEDED");
    expect(ok(place(e, { account: "alice", side: "sell", priceTicks: 1000, lots: 1 })).restingLots).toBe(1);
    // emptying a level makes room; a buy taking the best level then lets a new price in
    ok(place(e, { account: "bob", side: "buy", priceTicks: 1000, lots: 2 }));
    expect(ok(place(e, { account: "alice", side: "sell", priceTicks: 999, lots: 1 })).restingLots).toBe(1);
    expect(e.getDepth("M", 2)!.asks).toEqual([
      { priceTicks: 999, lots: 1, orders: 1 },
      { priceTicks: 1001, lots: 1, orders: 1 },
    ]);
  });

  it("a reservation that no longer covers the order's lots is an engine bug: InvariantError", () => {
    const e = setup();
    const r = ok(place(e, { account: "bob", side: "buy", priceTicks: 99, lots: 7 }));
    market(e).orders.get(r.orderId)!.reserved = 5n * 298n - 1n; // corrupt: 1 short for 5 lots
    expect(() => cancel(e, { account: "bob", orderId: r.orderId, lots: 2 })).toThrow(InvariantError);
  });

  it("encodeMarket: config then orders in priority order, independent of dead levels", () => {
    const e = setup();
    ok(place(e, { account: "alice", side: "buy", priceTicks: 90, lots: 2 })); // 1
    ok(place(e, { account: "bob", side: "buy", priceTicks: 95, lots: 1 })); // 2
    ok(place(e, { account: "carol", side: "buy", priceTicks: 90, lots: 3 })); // 3
    ok(place(e, { account: "dave", side: "sell", priceTicks: 120, lots: 4 })); // 4
    ok(place(e, { account: "erin", side: "sell", priceTicks: 110, lots: 1 })); // 5
    ok(place(e, { account: "erin", side: "sell", priceTicks: 115, lots: 1 })); // 6
    ok(cancel(e, { account: "erin", orderId: 6 })); // a dead level deep in the heap
    expect(encodeMarket(market(e))).toBe(
      [
        "market M BASE QUOTE 10 3 1000 2500",
        "buy 95 2 bob 1 286",
        "buy 90 1 alice 2 542",
        "buy 90 3 carol 3 813",
        "sell 110 5 erin 1 10",
        "sell 120 4 dave 4 40",
        "",
      ].join("\n"),
    );
  });
});

/* ───────────────────────────── properties ───────────────────────────── */

const ACCOUNTS = ["a", "b", "c"];

type Cmd =
  | { k: "place"; acct: number; side: "buy" | "sell"; price: number; lots: number; tif: "GTC" | "IOC" | "FOK"; postOnly: boolean; stp: number }
  | { k: "market"; acct: number; side: "buy" | "sell"; lots: number; worst: number; stp: number }
  | { k: "cancel"; acct: number; pick: number; lots: number; own: boolean };

const STP = [undefined, "cancelTaker", "cancelMaker", "cancelBoth"] as const;

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    k: fc.constant("place" as const),
    acct: fc.nat(2),
    side: fc.constantFrom("buy" as const, "sell" as const),
    price: fc.integer({ min: 95, max: 105 }),
    lots: fc.integer({ min: 1, max: 8 }),
    tif: fc.constantFrom("GTC" as const, "GTC" as const, "IOC" as const, "FOK" as const),
    postOnly: fc.nat(4).map((n) => n === 0),
    stp: fc.nat(3),
  }),
  fc.record({
    k: fc.constant("market" as const),
    acct: fc.nat(2),
    side: fc.constantFrom("buy" as const, "sell" as const),
    lots: fc.integer({ min: 1, max: 12 }),
    worst: fc.integer({ min: 90, max: 110 }),
    stp: fc.nat(3),
  }),
  fc.record({ k: fc.constant("cancel" as const), acct: fc.nat(2), pick: fc.nat(40), lots: fc.integer({ min: 0, max: 9 }), own: fc.boolean() }),
);

/** `own` cancels pick a resting order (by rank of id) and act as its owner; others use raw ids. */
function toOp(cmd: Cmd, e: Engine): Op {
  const account = ACCOUNTS[cmd.acct]!;
  if (cmd.k === "cancel" && cmd.own) {
    const resting = [...market(e).orders.values()].sort((x, y) => x.id - y.id);
    const o = resting[cmd.pick % Math.max(1, resting.length)];
    if (o !== undefined) {
      return { type: "cancelOrder", account: o.account.id, market: "M", orderId: o.id, ...(cmd.lots > 0 ? { lots: cmd.lots } : {}) };
    }
  }
  const stpOf = (i: number) => (STP[i] === undefined ? {} : { selfTradePrevention: STP[i] });
  switch (cmd.k) {
    case "place":
      return {
        type: "placeOrder",
        account,
        market: "M",
        side: cmd.side,
        priceTicks: cmd.price,
        lots: cmd.lots,
        timeInForce: cmd.tif,
        ...(cmd.postOnly ? { postOnly: true } : {}),
        ...stpOf(cmd.stp),
      };
    case "market":
      return { type: "marketOrder", account, market: "M", side: cmd.side, lots: cmd.lots, worstPriceTicks: cmd.worst, ...stpOf(cmd.stp) };
    case "cancel":
      // order ids 1..41, many unknown or someone else's; lots 0 means "whole order"
      return { type: "cancelOrder", account, market: "M", orderId: cmd.pick + 1, ...(cmd.lots > 0 ? { lots: cmd.lots } : {}) };
  }
}

function levelsOf(side: BookSide): { price: number; ids: number[]; total: number; count: number }[] {
  const out: { price: number; ids: number[]; total: number; count: number }[] = [];
  side.forEachLevel((level) => {
    const ids: number[] = [];
    for (let o = level.head; o !== null; o = o.next) ids.push(o.id);
    out.push({ price: level.priceTicks, ids, total: level.totalLots, count: level.count });
    return true;
  });
  return out;
}

function checkInvariants(e: Engine): void {
  const m = market(e);
  const cons = e.checkConservation();
  expect(cons.ok).toBe(true);
  expect(cons.negative).toBe(false);
  const bids = levelsOf(m.bids);
  const asks = levelsOf(m.asks);
  // never crossed
  if (bids.length > 0 && asks.length > 0) expect(bids[0]!.price).toBeLessThan(asks[0]!.price);
  // strictly best-first, FIFO (ids increase along a level: time priority), totals consistent
  for (const [levels, dir] of [
    [bids, -1],
    [asks, 1],
  ] as const) {
    for (let i = 1; i < levels.length; i++) expect(Math.sign(levels[i]!.price - levels[i - 1]!.price)).toBe(dir);
    for (const l of levels) {
      for (let i = 1; i < l.ids.length; i++) expect(l.ids[i]!).toBeGreaterThan(l.ids[i - 1]!);
      expect(l.count).toBe(l.ids.length);
      expect(l.total).toBe(l.ids.reduce((s, id) => s + m.orders.get(id)!.lots, 0));
    }
  }
  expect(bids.reduce((s, l) => s + l.count, 0) + asks.reduce((s, l) => s + l.count, 0)).toBe(m.orders.size);
  // reservations: per account reserved == Σ its orders' remaining reservations; each covers its lots
  for (const id of ACCOUNTS) {
    let base = 0n;
    let quote = 0n;
    for (const o of m.orders.values()) {
      expect(o.lots).toBeGreaterThan(0);
      expect(o.reserved >= BigInt(o.lots) * o.level.perLot).toBe(true);
      if (o.account.id !== id) continue;
      if (o.side === "buy") quote += o.reserved;
      else base += o.reserved;
    }
    expect(e.reservedOf(id, B)).toBe(base);
    expect(e.reservedOf(id, Q)).toBe(quote);
    expect(e.balanceOf(id, B) >= 0n && e.balanceOf(id, Q) >= 0n).toBe(true);
  }
}

describe("properties over random op sequences", () => {
  it("conservation, no negatives, uncrossed FIFO book, exact reservations; rejected ops change nothing", () => {
    fc.assert(
      fc.property(
        fc.array(cmdArb, { minLength: 1, maxLength: 80, size: "max" }),
        fc.constantFrom(
          { maker: 0, taker: 0 },
          { maker: 1000, taker: 2500 },
          { maker: 3333, taker: 777 },
        ),
        (cmds, fees) => {
          const e = new Engine();
          e.createToken({ symbol: B, decimals: 0 });
          e.createToken({ symbol: Q, decimals: 0 });
          for (const a of ACCOUNTS) {
            e.createAccount({ account: a });
            // small balances so INSUFFICIENT_BALANCE happens too
            e.deposit({ account: a, token: B, amount: 300n });
            e.deposit({ account: a, token: Q, amount: 6_000n });
          }
          e.createMarket({ market: "M", base: B, quote: Q, lotSize: 10n, tickSize: 7n, makerFeePpm: fees.maker, takerFeePpm: fees.taker });
          for (const cmd of cmds) {
            const before = snapshot(e);
            const r = e.apply(toOp(cmd, e));
            if (r.status === "rejected") expect(snapshot(e)).toBe(before);
            checkInvariants(e);
          }
        },
      ),
      { numRuns: 100, seed: 20240601 },
    );
  });

  it("fills always at the maker's price within the taker's limit; fee = ⌈notional × ppm / 1e6⌉", () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 80, size: "max" }), (cmds) => {
        const e = setup(ACCOUNTS, { maker: 1000, taker: 2500 });
        for (const cmd of cmds) {
          const resting = new Map([...market(e).orders].map(([id, o]) => [id, o.priceTicks]));
          const r = e.apply(toOp(cmd, e)) as unknown as PlacedOrder | Rejected;
          if (r.status !== "accepted" || cmd.k === "cancel") continue;
          const limit = cmd.k === "place" ? cmd.price : cmd.worst;
          let filled = 0;
          for (const f of r.fills) {
            expect(f.priceTicks).toBe(resting.get(f.makerOrderId));
            if (cmd.side === "buy") expect(f.priceTicks).toBeLessThanOrEqual(limit);
            else expect(f.priceTicks).toBeGreaterThanOrEqual(limit);
            expect(f.quoteAmount).toBe(BigInt(f.lots * f.priceTicks) * 3n);
            expect(f.makerFee).toBe((f.quoteAmount * 1000n + 999_999n) / 1_000_000n);
            expect(f.takerFee).toBe((f.quoteAmount * 2500n + 999_999n) / 1_000_000n);
            filled += f.lots;
          }
          expect(filled).toBe(r.filledLots);
          expect(r.filledLots + r.restingLots + r.cancelledLots).toBe(cmd.lots);
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it("the lazily-deleted level heap stays exact over many levels: depth equals a sorted reference model", () => {
    // wide price range so that dead levels pile up and the heap is compacted (rebuild) many times
    // first half mostly places, second half mostly cancels: hundreds of levels die
    const step = fc.record({ place: fc.nat(9), side: fc.boolean(), price: fc.integer({ min: 1, max: 400 }), pick: fc.nat(1_000_000) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 400, maxLength: 800, size: "max" }), (steps) => {
        const e = setup(["mm"], { maker: 0, taker: 0 });
        const m = market(e);
        const live: number[] = [];
        const model = [new Map<number, number>(), new Map<number, number>()]; // bids, asks: price → lots
        let heapMax = 0;
        for (const [n, st] of steps.entries()) {
          if ((n < steps.length / 2 ? st.place < 8 : st.place < 1) || live.length === 0) {
            // bids at 1..400, asks at 401..800: never crossing, so every order rests
            const side = st.side ? "buy" : "sell";
            const price = st.side ? st.price : 400 + st.price;
            const r = ok(place(e, { account: "mm", side, priceTicks: price, lots: 1 + (st.pick % 3) }));
            live.push(r.orderId);
            const book = model[st.side ? 0 : 1]!;
            book.set(price, (book.get(price) ?? 0) + 1 + (st.pick % 3));
          } else {
            const i = st.pick % live.length;
            const id = live[i]!;
            live[i] = live[live.length - 1]!;
            live.pop();
            const o = e.getOrder("M", id)!;
            const book = model[o.side === "buy" ? 0 : 1]!;
            const left = book.get(o.priceTicks)! - o.lots;
            if (left === 0) book.delete(o.priceTicks);
            else book.set(o.priceTicks, left);
            ok(cancel(e, { account: "mm", orderId: id }));
          }
          heapMax = Math.max(heapMax, m.bids.levels.size, m.asks.levels.size);
          const best = e.getDepth("M", 1)!;
          const bestBid = Math.max(0, ...model[0]!.keys());
          expect(best.bids[0]?.priceTicks ?? 0).toBe(bestBid);
        }
        const depth = e.getDepth("M", 10_000)!;
        const ref = (book: Map<number, number>, dir: number) =>
          [...book].sort((a, b) => dir * (a[0] - b[0])).map(([priceTicks, lots]) => ({ priceTicks, lots }));
        expect(depth.bids.map(({ priceTicks, lots }) => ({ priceTicks, lots }))).toEqual(ref(model[0]!, -1));
        expect(depth.asks.map(({ priceTicks, lots }) => ({ priceTicks, lots }))).toEqual(ref(model[1]!, 1));
        expect(m.bids.liveLevels).toBe(model[0]!.size);
        expect(m.asks.liveLevels).toBe(model[1]!.size);
        // dead levels are bounded by the live ones (compaction)
        expect(m.bids.levels.size).toBeLessThanOrEqual(2 * m.bids.liveLevels + 65);
        expect(m.asks.levels.size).toBeLessThanOrEqual(2 * m.asks.liveLevels + 65);
        expect(e.checkConservation().ok).toBe(true);
      }),
      { numRuns: 40, seed: 99, endOnFailure: true }, // no shrinking: 800-step runs shrink for minutes
    );
  });
});
