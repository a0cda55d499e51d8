/**
 * DESIGN §6's safety property, tested not assumed: thousands of random interleavings of acquireLock /
 * executeLock / cancelLock / expiry (advanceTime) / instant swaps (exact in and out) / addLiquidity /
 * removeLiquidity / voteFee, in both directions, by several owners. After every op:
 *  - conservation (engine.checkConservation(), which counts lock inputs in Account.reserved);
 *  - reserves never negative (≥ 1 once minted) and every open lock payable in every execute/cancel
 *    order: R_0 − O_0 ≥ 1 and R_1 − O_1 ≥ 1 (the worst order executes every lock of one direction and
 *    cancels the other's), and S/O equal the sums over the open locks;
 *  - a rejected op changes nothing (state root unchanged);
 *  - an accepted instant swap never decreases R_0·R_1;
 *  - at the end of each run: Σ exit-root amounts ≤ the engine's holdings per token (open locks' input
 *    returns to its owner at close), and the journal re-applied gives the same state root;
 *  - the settled product: R_0·R_1 after executing none / all 0→1 / all 1→0 / all open locks is at
 *    least the product at the last moment no lock was open, compared per LP share² (so liquidity
 *    changes are comparable); at lock-free moments this is "R_0·R_1 per share² never decreases".
 * And LP fairness (module doc of lockswap.ts): an LP who joins while locks are open and leaves after
 * they resolved never gets back more of either token than it put in — whatever executed or cancelled.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import type { Result } from "../src/core/results.js";

const OWNERS = ["alice", "bob", "carol"];
const E18 = 10n ** 18n;

function ok<T extends object>(r: Result<T>): T {
  if (r.status !== "accepted") throw new Error(`expected accepted, got ${r.code}: ${r.message}`);
  return r;
}

function fresh(feePpm: number): Engine {
  const e = new Engine({ journal: true });
  ok(e.createToken({ symbol: "A", decimals: 18 }));
  ok(e.createToken({ symbol: "B", decimals: 18 }));
  for (const a of ["lp", ...OWNERS]) {
    ok(e.createAccount({ account: a }));
    ok(e.deposit({ account: a, token: "A", amount: 10n ** 27n }));
    ok(e.deposit({ account: a, token: "B", amount: 10n ** 27n }));
  }
  ok(e.createPool({ pool: "P", token0: "A", token1: "B", feePpm }));
  ok(e.addLiquidity({ account: "lp", pool: "P", amount0Desired: 1000n * E18, amount1Desired: 3000n * E18 }));
  return e;
}

/** Log-uniform amounts from 1 base unit to 10^24 (far beyond the 1000/3000-token pool). */
const amount = fc.integer({ min: 0, max: 24 }).chain((e) => fc.bigInt(1n, 10n ** BigInt(e)));
const owner = fc.constantFrom(...OWNERS);
const dir = fc.constantFrom("A", "B");

type Cmd =
  | { k: "acquire"; who: string; tokenIn: string; amountIn: bigint; ttl: number }
  | { k: "execute"; who: string | undefined; pick: number }
  | { k: "cancel"; who: string | undefined; pick: number }
  | { k: "time"; dt: number }
  | { k: "swapIn"; who: string; tokenIn: string; amountIn: bigint }
  | { k: "swapOut"; who: string; tokenIn: string; amountOut: bigint }
  | { k: "add"; who: string; a: bigint; b: bigint }
  | { k: "remove"; who: string; permille: number }
  | { k: "vote"; who: string; fee: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant("acquire" as const), who: owner, tokenIn: dir, amountIn: amount, ttl: fc.integer({ min: 1, max: 100 }) }), weight: 6 },
  { arbitrary: fc.record({ k: fc.constant("execute" as const), who: fc.option(owner, { nil: undefined }), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ k: fc.constant("cancel" as const), who: fc.option(owner, { nil: undefined }), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant("time" as const), dt: fc.integer({ min: 0, max: 60 }) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant("swapIn" as const), who: owner, tokenIn: dir, amountIn: amount }), weight: 4 },
  { arbitrary: fc.record({ k: fc.constant("swapOut" as const), who: owner, tokenIn: dir, amountOut: amount }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant("add" as const), who: fc.constantFrom("lp", ...OWNERS), a: amount, b: amount }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant("remove" as const), who: fc.constantFrom("lp", ...OWNERS), permille: fc.integer({ min: 1, max: 1000 }) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant("vote" as const), who: fc.constantFrom("lp", ...OWNERS), fee: fc.integer({ min: 0, max: 20_000 }) }), weight: 1 },
);

/** R_0·R_1 after executing the open locks selected by `take` (cancelling the rest). */
function settled(e: Engine, take: (zeroForOne: boolean) => boolean): bigint {
  const p = e.getPool("P");
  const v = e.getLocks("P");
  if (p === undefined || v === undefined) throw new Error("no pool");
  let r0 = p.reserve0;
  let r1 = p.reserve1;
  for (const l of v.locks) {
    if (!take(l.zeroForOne)) continue;
    if (l.zeroForOne) {
      r0 += l.amountIn;
      r1 -= l.amountOut;
    } else {
      r1 += l.amountIn;
      r0 -= l.amountOut;
    }
  }
  expect(r0 >= 1n && r1 >= 1n, "a lock outcome would empty a reserve").toBe(true);
  return r0 * r1;
}

function run(e: Engine, c: Cmd): Result {
  const locks = e.getLocks("P")?.locks ?? [];
  switch (c.k) {
    case "acquire":
      return e.acquireLock({ account: c.who, pool: "P", tokenIn: c.tokenIn, amountIn: c.amountIn, expiryMs: e.timeMs + c.ttl });
    case "execute":
    case "cancel": {
      const lock = locks.length === 0 ? undefined : locks[c.pick % locks.length];
      const lockId = lock?.id ?? "P#999999";
      const account = c.who ?? lock?.owner ?? "alice";
      return c.k === "execute" ? e.executeLock({ account, lockId }) : e.cancelLock({ account, lockId });
    }
    case "time":
      return e.advanceTime({ timeMs: e.timeMs + c.dt });
    case "swapIn":
      return e.swap({ account: c.who, pool: "P", tokenIn: c.tokenIn, amountIn: c.amountIn });
    case "swapOut":
      return e.swap({ account: c.who, pool: "P", tokenIn: c.tokenIn, amountOut: c.amountOut });
    case "add":
      return e.addLiquidity({ account: c.who, pool: "P", amount0Desired: c.a, amount1Desired: c.b });
    case "remove": {
      const shares = e.lpSharesOf(c.who, "P");
      const liquidity = (shares * BigInt(c.permille)) / 1000n;
      return e.removeLiquidity({ account: c.who, pool: "P", liquidity: liquidity === 0n ? 1n : liquidity });
    }
    case "vote":
      return e.voteFee({ account: c.who, pool: "P", feePpm: c.fee });
  }
}

describe("lock-swap safety (DESIGN §6) over random interleavings", () => {
  it("reserves ≥ 1, every lock payable, conservation, atomic rejections, K per share² at lock-free moments", () => {
    let accepted = 0;
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.constantFrom(0, 3000, 10_000), fc.array(cmd, { minLength: 10, maxLength: 60, size: "max" }), (feePpm, cmds) => {
        const e = fresh(feePpm);
        let base = { k: settled(e, () => false), s: e.getPool("P")?.totalSupply ?? 0n };
        for (const c of cmds) {
          const before = e.getPool("P");
          const root = e.stateRoot();
          const result = run(e, c);
          if (result.status === "rejected") {
            expect(e.stateRoot(), `${c.k} rejected ${result.code} but changed state`).toBe(root);
            continue;
          }
          accepted++;
          seen.set(c.k, (seen.get(c.k) ?? 0) + 1);
          const p = e.getPool("P");
          const v = e.getLocks("P");
          if (p === undefined || v === undefined || before === undefined) throw new Error("no pool");
          const cons = e.checkConservation();
          expect(cons.ok).toBe(true);
          expect(p.reserve0 >= 1n && p.reserve1 >= 1n).toBe(true);
          expect(p.reserve0 - p.owed0 >= 1n && p.reserve1 - p.owed1 >= 1n, "an open lock is not payable").toBe(true);
          const sum = (z: boolean, f: "amountIn" | "amountOut"): bigint => v.locks.filter((l) => l.zeroForOne === z).reduce((a, l) => a + l[f], 0n);
          expect([p.pending0, p.owed1, p.pending1, p.owed0]).toEqual([sum(true, "amountIn"), sum(true, "amountOut"), sum(false, "amountIn"), sum(false, "amountOut")]);
          if (c.k === "swapIn" || c.k === "swapOut") expect(p.reserve0 * p.reserve1 >= before.reserve0 * before.reserve1).toBe(true);
          // Settled products per LP share² against the last lock-free moment.
          const s = p.totalSupply;
          for (const take of [() => false, (z: boolean) => z, (z: boolean) => !z, () => true]) {
            const k = settled(e, take);
            expect(k * base.s * base.s >= base.k * s * s, `settled K per share² fell below the last lock-free moment's`).toBe(true);
          }
          if (v.locks.length === 0) base = { k: p.reserve0 * p.reserve1, s };
        }
        // The exit root stays solvent with locks open: Σ exit amounts ≤ what the engine holds, per token.
        const exits = new Map<string, bigint>();
        for (const leaf of e.exitLeaves()) exits.set(leaf.token, (exits.get(leaf.token) ?? 0n) + leaf.amount);
        for (const t of e.checkConservation().tokens) expect((exits.get(t.token) ?? 0n) <= t.expected).toBe(true);
        // Deterministic: the journal re-applied to a fresh engine reaches the same state root.
        expect(Engine.replay(e.journal ?? []).stateRoot()).toBe(e.stateRoot());
      }),
      { numRuns: 1500 },
    );
    // The interleavings really exercise every op (not only rejections).
    for (const k of ["acquire", "execute", "cancel", "time", "swapIn", "swapOut", "add", "remove", "vote"]) {
      expect(seen.get(k) ?? 0, `${k} accepted`).toBeGreaterThan(100);
    }
    expect(accepted).toBeGreaterThan(20_000);
  });

  it("an LP joining while locks are open gets back at most what it paid in, whatever the locks do", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tokenIn: dir, amountIn: amount, who: owner }), { minLength: 1, maxLength: 8, size: "max" }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.bigInt(10n ** 6n, 10n ** 24n),
        (locks, executes, deposit) => {
          const e = fresh(3000);
          ok(e.createAccount({ account: "joiner" }));
          ok(e.deposit({ account: "joiner", token: "A", amount: 10n ** 27n }));
          ok(e.deposit({ account: "joiner", token: "B", amount: 10n ** 27n }));
          const ids: string[] = [];
          for (const l of locks) {
            const r = e.acquireLock({ account: l.who, pool: "P", tokenIn: l.tokenIn, amountIn: l.amountIn, expiryMs: 10 });
            if (r.status === "accepted") ids.push(r.lockId);
          }
          const lpBefore = { a: e.balanceOf("lp", "A"), b: e.balanceOf("lp", "B") };
          const add = e.addLiquidity({ account: "joiner", pool: "P", amount0Desired: deposit, amount1Desired: deposit * 3n });
          if (add.status !== "accepted") return;
          ids.forEach((id, i) => {
            const owner = e.getLock(id)?.owner as string;
            const r: Result = executes[i] === true ? e.executeLock({ account: owner, lockId: id }) : e.cancelLock({ account: owner, lockId: id });
            ok(r);
          });
          const out = ok(e.removeLiquidity({ account: "joiner", pool: "P", liquidity: add.liquidity }));
          expect(out.amount0 <= add.amount0 && out.amount1 <= add.amount1, "the joiner took value from the other LPs").toBe(true);
          // The original LP is untouched by the joiner (its free balances did not move).
          expect({ a: e.balanceOf("lp", "A"), b: e.balanceOf("lp", "B") }).toEqual(lpBefore);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("an LP leaving while locks are open gets at most its pro-rata share of the reserves in every outcome", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tokenIn: dir, amountIn: amount, who: owner }), { minLength: 1, maxLength: 8, size: "max" }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 1, max: 999 }),
        (locks, executes, permille) => {
          const e = fresh(3000);
          const ids: string[] = [];
          for (const l of locks) {
            const r = e.acquireLock({ account: l.who, pool: "P", tokenIn: l.tokenIn, amountIn: l.amountIn, expiryMs: 10 });
            if (r.status === "accepted") ids.push(r.lockId);
          }
          const pool = e.getPool("P");
          if (pool === undefined) throw new Error("no pool");
          const liquidity = ((e.lpSharesOf("lp", "P") * BigInt(permille)) / 1000n) | 1n;
          const out = e.removeLiquidity({ account: "lp", pool: "P", liquidity });
          if (out.status !== "accepted") return;
          ids.forEach((id, i) => {
            const owner = e.getLock(id)?.owner as string;
            const r: Result = executes[i] === true ? e.executeLock({ account: owner, lockId: id }) : e.cancelLock({ account: owner, lockId: id });
            ok(r);
          });
          // Had the leaver waited for this outcome, it would have had ⌊l·R/T⌋ of the final reserves
          // (R + what left): it never got more than that.
          const p = e.getPool("P");
          if (p === undefined) throw new Error("no pool");
          const T = pool.totalSupply;
          expect(out.amount0 <= (liquidity * (p.reserve0 + out.amount0)) / T).toBe(true);
          expect(out.amount1 <= (liquidity * (p.reserve1 + out.amount1)) / T).toBe(true);
          expect(e.checkConservation().ok).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
