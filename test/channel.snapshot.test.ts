import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Engine } from "../src/core/engine.js";
import type { Op } from "../src/core/ops.js";
import { cloneEngine, cloneState } from "../src/core/snapshot.js";

const ACCOUNTS = ["alice", "bob", "carol"];

function setup(): Engine {
  const e = new Engine({ journal: true });
  e.createToken({ symbol: "USDC", decimals: 6 });
  e.createToken({ symbol: "WETH", decimals: 18 });
  for (const a of ACCOUNTS) {
    e.createAccount({ account: a });
    e.deposit({ account: a, token: "USDC", amount: 10n ** 12n });
    e.deposit({ account: a, token: "WETH", amount: 10n ** 21n });
  }
  e.createMarket({ market: "M", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 1000n, makerFeePpm: 1000, takerFeePpm: 2000 });
  e.createPool({ pool: "P", token0: "WETH", token1: "USDC", feePpm: 3000 });
  e.addLiquidity({ account: "alice", pool: "P", amount0Desired: 10n ** 20n, amount1Desired: 2n * 10n ** 11n });
  return e;
}

const account = fc.constantFrom(...ACCOUNTS);
const side = fc.constantFrom("buy" as const, "sell" as const);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant("placeOrder" as const), account, market: fc.constant("M"), side, priceTicks: fc.integer({ min: 90, max: 110 }), lots: fc.integer({ min: 1, max: 30 }), timeInForce: fc.constantFrom("GTC" as const, "GTC" as const, "IOC" as const), selfTradePrevention: fc.constantFrom("cancelTaker" as const, "cancelMaker" as const) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("marketOrder" as const), account, market: fc.constant("M"), side, lots: fc.integer({ min: 1, max: 40 }), worstPriceTicks: fc.constantFrom(1, 200) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("cancelOrder" as const), account, market: fc.constant("M"), orderId: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("cancelOrder" as const), account, market: fc.constant("M"), orderId: fc.integer({ min: 1, max: 80 }), lots: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("swap" as const), account, pool: fc.constant("P"), tokenIn: fc.constantFrom("WETH", "USDC"), amountIn: fc.bigInt({ min: 1n, max: 10n ** 16n }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("addLiquidity" as const), account, pool: fc.constant("P"), amount0Desired: fc.bigInt({ min: 1n, max: 10n ** 18n }), amount1Desired: fc.bigInt({ min: 1n, max: 10n ** 10n }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("removeLiquidity" as const), account, pool: fc.constant("P"), liquidity: fc.bigInt({ min: 1n, max: 10n ** 12n }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("transfer" as const), from: account, to: account, token: fc.constantFrom("WETH", "USDC"), amount: fc.bigInt({ min: 1n, max: 10n ** 9n }) }) },
);

describe("cloneEngine", () => {
  test("a clone evolves exactly as the original under random op sequences (same results, same state and exit roots)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 250 }), fc.nat(), fc.nat(), (ops, cutA, cutB) => {
        const original = setup();
        const k = cutA % (ops.length + 1);
        for (const op of ops.slice(0, k)) original.apply(op);
        const rootAtCut = original.stateRoot();
        const clone = cloneEngine(original);
        expect(clone).not.toBe(original);
        expect(clone.stateRoot()).toBe(rootAtCut);
        const m = k + (cutB % (ops.length - k + 1));
        let cloneOfClone: Engine | undefined;
        for (let i = k; i < ops.length; i++) {
          if (i === m) cloneOfClone = cloneEngine(clone);
          const a = original.apply(ops[i]!);
          const b = clone.apply(ops[i]!);
          const c = cloneOfClone?.apply(ops[i]!);
          expect(b).toEqual(a);
          if (c !== undefined) expect(c).toEqual(a);
          // roots compared at random points (computing them clears dirty sets: both must behave alike)
          if ((i * 7 + k) % 5 === 0) expect(clone.stateRoot()).toBe(original.stateRoot());
        }
        expect(clone.stateRoot()).toBe(original.stateRoot());
        expect(clone.exitRoot()).toBe(original.exitRoot());
        expect(clone.getDepth("M", 50)).toEqual(original.getDepth("M", 50));
        expect(clone.checkConservation().ok).toBe(true);
        expect(clone.opsApplied).toBe(original.opsApplied);
        if (cloneOfClone !== undefined) expect(cloneOfClone.stateRoot()).toBe(original.stateRoot());
        // the journal was copied, so the clone replays to its own root
        expect(Engine.replay(clone.journal!).stateRoot()).toBe(clone.stateRoot());
      }),
      { numRuns: 150 },
    );
  });

  test("the clone is independent: mutating it leaves the original untouched", () => {
    const original = setup();
    for (let i = 0; i < 40; i++) original.placeOrder({ account: ACCOUNTS[i % 3]!, market: "M", side: i % 2 === 0 ? "buy" : "sell", priceTicks: i % 2 === 0 ? 90 + (i % 5) : 101 + (i % 5), lots: 3 });
    const before = original.stateRoot();
    const depth = original.getDepth("M", 20);
    const clone = cloneEngine(original);
    clone.marketOrder({ account: "alice", market: "M", side: "buy", lots: 50, worstPriceTicks: 200 });
    for (let id = 1; id <= 40; id += 3) clone.cancelOrder({ account: ACCOUNTS[(id - 1) % 3]!, market: "M", orderId: id });
    clone.swap({ account: "bob", pool: "P", tokenIn: "USDC", amountIn: 10n ** 8n });
    expect(clone.stateRoot()).not.toBe(before);
    expect(original.stateRoot()).toBe(before);
    expect(original.getDepth("M", 20)).toEqual(depth);
    expect(Engine.replay(original.journal!).stateRoot()).toBe(before);
  });

  test("identity inside the graph is preserved: resting orders point at the clone's accounts and levels", () => {
    const original = setup();
    original.placeOrder({ account: "bob", market: "M", side: "buy", priceTicks: 95, lots: 2 });
    original.placeOrder({ account: "carol", market: "M", side: "buy", priceTicks: 95, lots: 4 });
    const state = cloneState(original.state);
    const market = state.markets.get("M")!;
    const [first, second] = [...market.orders.values()];
    expect(first!.account).toBe(state.accounts.get("bob"));
    expect(first!.account).not.toBe(original.state.accounts.get("bob"));
    expect(first!.next).toBe(second);
    expect(second!.prev).toBe(first);
    expect(first!.level).toBe(market.bids.levels.get(95));
    expect(first!.level.head).toBe(first);
    expect(first!.level.tail).toBe(second);
    expect(market.ordersPerAccount.get(state.accounts.get("carol")!)?.n).toBe(1);
  });

  test("a long FIFO list (20,000 orders at one price) clones without exhausting the stack", () => {
    const e = new Engine();
    e.createToken({ symbol: "USDC", decimals: 6 });
    e.createToken({ symbol: "WETH", decimals: 18 });
    e.createAccount({ account: "a" });
    e.deposit({ account: "a", token: "WETH", amount: 10n ** 30n });
    e.createMarket({ market: "M", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 1000n, makerFeePpm: 0, takerFeePpm: 0 });
    for (let i = 0; i < 20_000; i++) e.placeOrder({ account: "a", market: "M", side: "sell", priceTicks: 100, lots: 1 });
    const c = cloneEngine(e);
    expect(c.getDepth("M", 1)).toEqual({ bids: [], asks: [{ priceTicks: 100, lots: 20_000, orders: 20_000 }] });
    expect(c.stateRoot()).toBe(e.stateRoot());
  });
});
