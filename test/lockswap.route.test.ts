/**
 * Cross-engine routes (src/route/crossEngine.ts): the routeSwap protocol as asynchronous messages
 * between two separate Engines ("shards"), delivered in a seeded random order with other traders'
 * swaps and locks on both shards between any two deliveries.
 *
 * All or nothing: every route ends `done` (the trader paid exactly amountIn of A on shard 1 and got
 * exactly the last leg's locked amountOut of D on shard 2, nothing else moved) or `cancelled` (every
 * balance of the trader on both shards, free and reserved, exactly as before). Each engine conserves;
 * across engines the intermediate B withdrawn on shard 1 equals the B credited on shard 2.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import type { Result } from "../src/core/results.js";
import { AsyncRouteNetwork, RouteCoordinator, Shard, type RouteLegSpec } from "../src/route/crossEngine.js";

const E18 = 10n ** 18n;
const TRADERS = ["t1", "t2", "t3"];

function ok<T extends object>(r: Result<T>): T {
  if (r.status !== "accepted") throw new Error(`expected accepted, got ${r.code}: ${r.message}`);
  return r;
}

/** Shard s1: A/B. Shard s2: B/C, C/D and C/D-off (locks switched off). */
function shards(): Map<string, Shard> {
  const s1 = new Engine();
  const s2 = new Engine();
  for (const [e, tokens] of [[s1, ["A", "B"]], [s2, ["B", "C", "D"]]] as const) {
    for (const t of tokens) ok(e.createToken({ symbol: t, decimals: 18 }));
    for (const a of ["lp", "bg", ...TRADERS]) {
      ok(e.createAccount({ account: a }));
      for (const t of tokens) ok(e.deposit({ account: a, token: t, amount: 10n ** 26n }));
    }
  }
  const pools: [Engine, string, string, string, Record<string, unknown>][] = [
    [s1, "A/B", "A", "B", {}],
    [s2, "B/C", "B", "C", {}],
    [s2, "C/D", "C", "D", {}],
    [s2, "C/D-off", "C", "D", { lockPolicy: "off" }],
  ];
  for (const [e, id, t0, t1, extra] of pools) {
    ok(e.createPool({ pool: id, token0: t0, token1: t1, feePpm: 3000, ...extra }));
    ok(e.addLiquidity({ account: "lp", pool: id, amount0Desired: 10n ** 24n, amount1Desired: 2n * 10n ** 24n }));
  }
  return new Map([
    ["s1", new Shard("s1", s1)],
    ["s2", new Shard("s2", s2)],
  ]);
}

function tokenOf(map: Map<string, Shard>): (shard: string, pool: string) => [string, string] {
  return (shard, pool) => {
    const p = map.get(shard)?.engine.getPool(pool);
    if (p === undefined) throw new Error(`no pool ${shard}/${pool}`);
    return [p.token0, p.token1];
  };
}

function balances(map: Map<string, Shard>, account: string): bigint[] {
  const out: bigint[] = [];
  for (const [, shard] of [...map].sort()) {
    for (const t of ["A", "B", "C", "D"]) out.push(shard.engine.balanceOf(account, t), shard.engine.reservedOf(account, t));
  }
  return out;
}

/** Another participant's traffic on a random pool of a random shard: an instant swap or a lock. */
function background(net: AsyncRouteNetwork, map: Map<string, Shard>): void {
  if (net.random() < 0.4) return;
  const shard = net.random() < 0.5 ? "s1" : "s2";
  const e = (map.get(shard) as Shard).engine;
  const pools = shard === "s1" ? ["A/B"] : ["B/C", "C/D", "C/D-off"];
  const id = pools[Math.floor(net.random() * pools.length)] as string;
  const p = e.getPool(id);
  if (p === undefined) return;
  const zeroForOne = net.random() < 0.5;
  const reserve = zeroForOne ? p.reserve0 : p.reserve1;
  const amountIn = 1n + (reserve * BigInt(Math.floor(net.random() * 50))) / 1000n;
  const tokenIn = zeroForOne ? p.token0 : p.token1;
  if (net.random() < 0.7) e.swap({ account: "bg", pool: id, tokenIn, amountIn });
  else e.acquireLock({ account: "bg", pool: id, tokenIn, amountIn, expiryMs: 1_000_000 });
}

const ROUTE: RouteLegSpec[] = [
  { shard: "s1", pool: "A/B" },
  { shard: "s2", pool: "B/C" },
  { shard: "s2", pool: "C/D" },
];

describe("routes across two engines, as asynchronous messages", () => {
  it("without other traffic, the cross-engine route gets exactly what routeSwap gets in one engine", () => {
    const map = shards();
    const net = new AsyncRouteNetwork(map, 7);
    const c = new RouteCoordinator({ routeId: "r", account: "t1", legs: ROUTE, tokenIn: "A", amountIn: 1000n * E18, minAmountOut: 1n, expiryMs: 60_000 }, tokenOf(map));
    net.startRoute(c);
    net.run();
    expect(c.status).toBe("done");
    // The same three pools in one engine.
    const one = new Engine();
    for (const t of ["A", "B", "C", "D"]) ok(one.createToken({ symbol: t, decimals: 18 }));
    for (const a of ["lp", "t1"]) {
      ok(one.createAccount({ account: a }));
      for (const t of ["A", "B", "C", "D"]) ok(one.deposit({ account: a, token: t, amount: 10n ** 26n }));
    }
    for (const [id, t0, t1] of [["A/B", "A", "B"], ["B/C", "B", "C"], ["C/D", "C", "D"]] as const) {
      ok(one.createPool({ pool: id, token0: t0, token1: t1, feePpm: 3000 }));
      ok(one.addLiquidity({ account: "lp", pool: id, amount0Desired: 10n ** 24n, amount1Desired: 2n * 10n ** 24n }));
    }
    const r = ok(one.routeSwap({ account: "t1", route: ["A/B", "B/C", "C/D"], tokenIn: "A", amountIn: 1000n * E18 }));
    expect(c.locks.map((l) => l?.amountOut)).toEqual(r.legs.map((l) => l.amountOut));
    expect(c.amountOut).toBe(7873501828582289466612n);
    expect(map.get("s2")?.engine.balanceOf("t1", "D")).toBe(10n ** 26n + r.amountOut);
    expect(c.receipts).toEqual([{ receiptId: "r:0", from: "s1", to: "s2", account: "t1", token: "B", amount: r.legs[0]?.amountOut }]);
  });

  it("what remains for real channels: a lock that expires after earlier legs executed leaves the route stuck holding the intermediate token", () => {
    const map = shards();
    const net = new AsyncRouteNetwork(map, 11);
    const c = new RouteCoordinator({ routeId: "r", account: "t1", legs: ROUTE, tokenIn: "A", amountIn: 1000n * E18, minAmountOut: 0n, expiryMs: 1000 }, tokenOf(map));
    net.startRoute(c);
    const s2 = (map.get("s2") as Shard).engine;
    // Shard 2's checkpoint time passes the expiry while the route is executing (after leg 0 executed).
    net.run(() => {
      if (c.status === "executing" && s2.timeMs === 0 && c.receipts.length === 1) ok(s2.advanceTime({ timeMs: 1000 }));
    });
    expect(c.status).toBe("stuck");
    expect(c.failure).toMatchObject({ leg: 1, code: "UNKNOWN_LOCK" });
    // The trader paid A on shard 1 and holds leg 0's B on shard 2 instead of D: not all-or-nothing.
    expect(s2.balanceOf("t1", "B")).toBe(10n ** 26n + (c.locks[0]?.amountOut as bigint));
    expect(s2.balanceOf("t1", "D")).toBe(10n ** 26n);
    expect(s2.getLocks("C/D")?.locks).toEqual([]); // the sweep cancelled leg 2 too
  });

  it("a 1-unit route between two huge ones is cancelled whole when a leg would pay out 0 (fast-check counterexample)", () => {
    // Found by the property below (seed 305263165) before its amounts started at 1e6: the huge routes
    // move the pools so far that the dust route's leg rounds to 0 → INSUFFICIENT_LIQUIDITY, all undone.
    const map = shards();
    const start = new Map(TRADERS.map((t) => [t, balances(map, t)]));
    const net = new AsyncRouteNetwork(map, 305263165);
    const amounts = [87560466591538348232450n, 1n, 66277750697379255526273n];
    const routes = amounts.map((amountIn, i) => {
      const c = new RouteCoordinator(
        { routeId: `r${i}`, account: TRADERS[i] as string, legs: ROUTE as RouteLegSpec[], tokenIn: "A", amountIn, minAmountOut: 0n, expiryMs: 60_000 },
        tokenOf(map),
      );
      net.startRoute(c);
      return c;
    });
    net.run((n) => background(n, map));
    const dust = routes[1] as RouteCoordinator;
    expect(dust.status).toBe("cancelled");
    expect(dust.failure?.code).toBe("INSUFFICIENT_LIQUIDITY");
    expect(balances(map, TRADERS[1] as string)).toEqual(start.get(TRADERS[1] as string));
    for (const [, shard] of map) expect(shard.engine.checkConservation().ok).toBe(true);
  });

  it("all or nothing, whatever the delivery order and the traffic in between (fast-check over seeds)", () => {
    let done = 0;
    let cancelled = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        // From 1e6 base units: below ~1e3 a leg's output rounds to 0 and the route is cancelled with
        // INSUFFICIENT_LIQUIDITY at that leg instead (all-or-nothing still; tested on its own below).
        fc.array(fc.record({ amount: fc.bigInt(10n ** 6n, 10n ** 23n), fail: fc.constantFrom("none", "none", "slippage", "off") }), { minLength: 3, maxLength: 3 }),
        (seed, specs) => {
          const map = shards();
          const start = new Map(TRADERS.map((t) => [t, balances(map, t)]));
          const net = new AsyncRouteNetwork(map, seed);
          const routes = specs.map((s, i) => {
            const legs = s.fail === "off" ? [ROUTE[0], ROUTE[1], { shard: "s2", pool: "C/D-off" }] : ROUTE;
            const c = new RouteCoordinator(
              {
                routeId: `r${i}`,
                account: TRADERS[i] as string,
                legs: legs as RouteLegSpec[],
                tokenIn: "A",
                amountIn: s.amount,
                minAmountOut: s.fail === "slippage" ? 10n ** 30n : 0n,
                expiryMs: 60_000,
              },
              tokenOf(map),
            );
            net.startRoute(c);
            return c;
          });
          net.run((n) => background(n, map));
          routes.forEach((c, i) => {
            const t = TRADERS[i] as string;
            const before = start.get(t) as bigint[];
            const after = balances(map, t);
            if (c.status === "done") {
              done++;
              // [s1: A free, A res, B, B res, C.., D..; s2: A.., B.., C.., D..]
              const expected = [...before];
              expected[0] = (before[0] as bigint) - c.plan.amountIn;
              expected[14] = (before[14] as bigint) + (c.amountOut as bigint);
              expect(after).toEqual(expected);
            } else {
              expect(c.status).toBe("cancelled");
              cancelled++;
              expect(after).toEqual(before);
              expect(c.failure?.leg).toBe(2);
              expect(c.failure?.code).toBe(specs[i]?.fail === "off" ? "LOCKS_DISABLED" : "SLIPPAGE");
            }
            expect(c.status === "done").toBe(specs[i]?.fail === "none");
          });
          // No lock of a trader is left open anywhere; each engine conserves; B moved across exactly.
          for (const [, shard] of map) {
            for (const id of ["A/B", "B/C", "C/D", "C/D-off"]) {
              const locks = shard.engine.getLocks(id)?.locks ?? [];
              expect(locks.filter((l) => TRADERS.includes(l.owner))).toEqual([]);
            }
            expect(shard.engine.checkConservation().ok).toBe(true);
          }
          const moved = routes.flatMap((c) => c.receipts).reduce((a, r) => a + r.amount, 0n);
          expect(map.get("s1")?.engine.state.totals.get("B")?.withdrawn).toBe(moved);
          expect(map.get("s2")?.engine.state.totals.get("B")?.deposited).toBe(5n * 10n ** 26n + moved);
        },
      ),
      { numRuns: 300 },
    );
    expect(done).toBeGreaterThan(100);
    expect(cancelled).toBeGreaterThan(100);
  });
});
