/**
 * Whole-engine properties over random mixes of every op type (ledger, AMM, order book), several
 * accounts, valid and invalid inputs:
 *  - conservation per token after every op, and no negative balance;
 *  - a rejected op changes nothing (state root unchanged);
 *  - the book is never crossed after matching;
 *  - K = reserve0 · reserve1 never decreases on a swap;
 *  - the state root's cached per-level digests always equal a recomputation from scratch;
 *  - no input whatsoever makes the engine throw.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Engine } from "../src/core/engine.js";
import { OP_TYPES, type Op } from "../src/core/ops.js";
import { marketLeafText } from "../src/core/orderbook/market.js";

const ACCOUNTS = ["alice", "bob", "carol", "olly"];
/** Log-uniform positive amounts (1 .. 10^20) most of the time, invalid ones sometimes. */
const amount = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 20 }).chain((e) => fc.bigInt(1n, 10n ** BigInt(e))), weight: 12 },
  { arbitrary: fc.constantFrom(0n, -1n, 2n ** 128n), weight: 1 },
);
const account = fc.oneof(
  { arbitrary: fc.constantFrom("alice", "bob", "carol"), weight: 10 },
  { arbitrary: fc.constantFrom("olly", "nobody"), weight: 1 },
);
const token = fc.oneof({ arbitrary: fc.constantFrom("WETH", "USDC"), weight: 10 }, { arbitrary: fc.constant("DAI"), weight: 1 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constant("deposit" as const), account, token, amount }),
  fc.record({ type: fc.constant("withdraw" as const), account, token, amount }),
  fc.record({ type: fc.constant("transfer" as const), from: account, to: account, token, amount }),
  fc.record({
    type: fc.constant("addLiquidity" as const),
    account,
    pool: fc.constantFrom("P", "Q"),
    amount0Desired: amount,
    amount1Desired: amount,
  }),
  fc.record({ type: fc.constant("removeLiquidity" as const), account, pool: fc.constant("P"), liquidity: amount }),
  fc.record({ type: fc.constant("swap" as const), account, pool: fc.constant("P"), tokenIn: token, amountIn: amount }),
  fc.record({
    type: fc.constant("swap" as const),
    account,
    pool: fc.constant("P"),
    tokenIn: token,
    amountOut: amount,
    maxAmountIn: fc.option(amount, { nil: undefined }),
  }),
  fc.record({
    type: fc.constant("placeOrder" as const),
    account,
    market: fc.constant("M"),
    side: fc.constantFrom("buy" as const, "sell" as const),
    priceTicks: fc.integer({ min: 219_990, max: 220_010 }),
    lots: fc.integer({ min: 1, max: 200 }),
    timeInForce: fc.constantFrom("GTC" as const, "GTC" as const, "GTC" as const, "IOC" as const, "FOK" as const),
    postOnly: fc.boolean(),
    selfTradePrevention: fc.constantFrom("cancelTaker" as const, "cancelMaker" as const, "cancelBoth" as const),
  }).map((o) => (o.timeInForce !== "GTC" ? { ...o, postOnly: false } : o)),
  // Orders weigh more so that books build up and cancels meet live orders.
  fc.record({
    type: fc.constant("placeOrder" as const),
    account,
    market: fc.constant("M"),
    side: fc.constantFrom("buy" as const, "sell" as const),
    priceTicks: fc.integer({ min: 219_990, max: 220_010 }),
    lots: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({
    type: fc.constant("marketOrder" as const),
    account,
    market: fc.constant("M"),
    side: fc.constantFrom("buy" as const, "sell" as const),
    lots: fc.integer({ min: 1, max: 300 }),
    worstPriceTicks: fc.integer({ min: 219_980, max: 220_020 }),
  }),
  // orderId ≤ 0 stands for "the (−orderId)-th resting order, cancelled by its owner" (see `resolve`),
  // so most cancels hit live orders; positive ids test unknown orders and foreign owners.
  fc.record({
    type: fc.constant("cancelOrder" as const),
    account,
    market: fc.constant("M"),
    orderId: fc.oneof({ arbitrary: fc.integer({ min: -50, max: 0 }), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 60 }), weight: 1 }),
    lots: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  }),
);

/** Turns a generated "cancel the k-th resting order" into a real cancel by its owner. */
function resolve(e: Engine, op: Op): Op {
  if (op.type !== "cancelOrder" || op.orderId > 0) return op;
  const resting: { id: number; account: string }[] = [];
  for (let id = 1; id < e.state.nextOrderId; id++) {
    const order = e.getOrder("M", id);
    if (order !== undefined) resting.push({ id, account: order.account });
  }
  if (resting.length === 0) return op;
  const pick = resting[-op.orderId % resting.length] as { id: number; account: string };
  return { ...op, orderId: pick.id, account: pick.account };
}

function freshEngine(): Engine {
  const e = new Engine();
  const ok = (r: { status: string }): void => expect(r.status).toBe("accepted");
  ok(e.createToken({ symbol: "WETH", decimals: 18 }));
  ok(e.createToken({ symbol: "USDC", decimals: 6 }));
  ok(e.createToken({ symbol: "DAI", decimals: 18 }));
  for (const a of ACCOUNTS) ok(e.createAccount({ account: a, roles: a === "olly" ? ["Observer"] : undefined }));
  for (const a of ACCOUNTS) {
    ok(e.deposit({ account: a, token: "WETH", amount: 50n * 10n ** 18n }));
    ok(e.deposit({ account: a, token: "USDC", amount: 100_000n * 10n ** 6n }));
  }
  ok(e.createPool({ pool: "P", token0: "WETH", token1: "USDC", feePpm: 3000 }));
  ok(e.createPool({ pool: "Q", token0: "USDC", token1: "DAI", feePpm: 500 }));
  ok(e.addLiquidity({ account: "alice", pool: "P", amount0Desired: 10n * 10n ** 18n, amount1Desired: 22_000n * 10n ** 6n }));
  ok(e.createMarket({ market: "M", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 10n, makerFeePpm: 100, takerFeePpm: 500 }));
  return e;
}

function bestPrices(e: Engine): { bid?: number; ask?: number } {
  const d = e.getDepth("M", 1);
  return { bid: d?.bids[0]?.priceTicks, ask: d?.asks[0]?.priceTicks };
}

describe("engine properties over random op mixes", () => {
  it("conservation, atomic rejection, uncrossed book, non-decreasing K", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
        const e = freshEngine();
        for (const generated of ops) {
          const op = resolve(e, generated);
          const rootBefore = e.stateRoot();
          const pool = e.getPool("P");
          const kBefore = pool === undefined ? 0n : pool.reserve0 * pool.reserve1;
          const result = e.apply(op);
          if (result.status === "rejected") {
            expect(e.stateRoot(), `${op.type} rejected ${result.code} but changed state`).toBe(rootBefore);
          }
          const c = e.checkConservation();
          expect(c.ok, JSON.stringify(c.violations, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).toBe(true);
          const { bid, ask } = bestPrices(e);
          if (bid !== undefined && ask !== undefined) expect(bid).toBeLessThan(ask);
          if (op.type === "swap" && result.status === "accepted") {
            const after = e.getPool("P");
            expect(after !== undefined && after.reserve0 * after.reserve1 >= kBefore).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("cached level digests of the state root equal digests recomputed from scratch after every op", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 5 }), (ops, every) => {
        const e = freshEngine();
        const m = e.state.markets.get("M")!;
        ops.forEach((generated, i) => {
          e.apply(resolve(e, generated));
          // roots are taken at varying intervals, so digests go stale across several ops at a time
          if (i % every === 0) e.stateRoot();
          if (i % every === 0) expect(marketLeafText(m)).toBe(marketLeafText(m, true));
        });
        expect(marketLeafText(m)).toBe(marketLeafText(m, true));
      }),
      { numRuns: 200 },
    );
  });

  it("never throws, whatever the op object holds", () => {
    const anyOp = fc.record(
      {
        type: fc.oneof(fc.constantFrom(...OP_TYPES), fc.string()),
        account: fc.oneof(account, fc.anything()),
        from: fc.oneof(account, fc.anything()),
        to: fc.oneof(account, fc.anything()),
        token: fc.oneof(token, fc.anything()),
        tokenIn: fc.oneof(token, fc.anything()),
        pool: fc.oneof(fc.constant("P"), fc.anything()),
        market: fc.oneof(fc.constant("M"), fc.anything()),
        symbol: fc.anything(),
        decimals: fc.anything(),
        amount: fc.oneof(amount, fc.anything()),
        amountIn: fc.oneof(amount, fc.anything()),
        amountOut: fc.oneof(amount, fc.anything()),
        liquidity: fc.oneof(amount, fc.anything()),
        amount0Desired: fc.oneof(amount, fc.anything()),
        amount1Desired: fc.oneof(amount, fc.anything()),
        side: fc.oneof(fc.constantFrom("buy", "sell"), fc.anything()),
        priceTicks: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        lots: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        orderId: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.anything()),
        timeInForce: fc.anything(),
        postOnly: fc.anything(),
        roles: fc.anything(),
        feePpm: fc.oneof(fc.integer(), fc.anything()),
        lotSize: fc.anything(),
        tickSize: fc.anything(),
      },
      { requiredKeys: ["type"] },
    );
    fc.assert(
      fc.property(fc.array(anyOp, { maxLength: 30 }), (ops) => {
        const e = freshEngine();
        for (const op of ops) {
          const r = e.apply(op as unknown as Op);
          expect(["accepted", "rejected"]).toContain(r.status);
        }
        expect(e.checkConservation().ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
