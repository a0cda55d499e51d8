/**
 * `semilattice mev` (src/cli/mev.ts, src/replay/uniswapMev.ts): exact values on a slice of the real
 * Uniswap day that holds large swaps (swaps 470..509), the profit accounting checked against the
 * attacker's balances, and the strategy's front-run checked against brute force.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getAmountOut } from "../src/core/amm/math.js";
import type { Pool } from "../src/core/state.js";
import { runMev, sliceSwaps } from "../src/cli/mev.js";
import { main } from "../src/cli/main.js";
import { defaultDataDir } from "../src/replay/paths.js";
import { UNI_USDC, UNI_WETH } from "../src/replay/uniswap.js";
import { loadUniswapEvents } from "../src/replay/uniswapData.js";
import { MEV_ATTACKER, planSandwich, replayWithAttacker, sandwichStrategy, victimIntents } from "../src/replay/uniswapMev.js";

const FROM = 470;
const SWAPS = 40;

describe("semilattice mev on swaps 470..509 of the real day", () => {
  it("unsealed: sandwiches with exact profit and loss; sealed: none, and the honest state root", async () => {
    const r = await runMev({ from: FROM, swaps: SWAPS, batchCost: false, records: true });
    expect(r.swaps).toBe(SWAPS);
    expect(r.unsealed).toMatchObject({ swaps: 40, visibleSwaps: 40, victims: 9, sandwiches: 9, attackerProfit: "19018523395", victimLoss: "30995902472", victimRejected: 0 });
    expect(r.unsealed.attackerProfitByToken).toEqual({ USDC: "4327146736", WETH: "6602448141464137030" });
    expect(r.unsealed.victimLossByToken).toEqual({ USDC: "21616401198", WETH: "4208261775117751193" });
    expect(r.unsealed.records!.map((x) => x.swapIndex)).toEqual([470, 479, 482, 485, 488, 492, 494, 499, 502]);
    expect(r.unsealed.records!.map((x) => x.tokenIn.slice(4))).toEqual(["WETH", "WETH", "WETH", "WETH", "USDC", "USDC", "USDC", "USDC", "WETH"]);
    expect(r.sealed).toMatchObject({ swaps: 40, visibleSwaps: 0, victims: 0, sandwiches: 0, attackerProfit: "0", victimLoss: "0", victimRejected: 0 });
    expect(r.sealedStateRootEqualsHonest).toBe(true);
    expect(r.sealing.batches).toBe(40);
    expect(r.sealing.opened).toBe(40);
    // the sums are the records' sums
    const sum = (k: "profitUsdc" | "victimLossUsdc"): string => r.unsealed.records!.reduce((a, x) => a + BigInt(x[k]), 0n).toString();
    expect(sum("profitUsdc")).toBe(r.unsealed.attackerProfit);
    expect(sum("victimLossUsdc")).toBe(r.unsealed.victimLoss);
  });

  it("the attacker's balances less its deposits are exactly its profit per token, and every record adds up", () => {
    const events = sliceSwaps(loadUniswapEvents(defaultDataDir()), FROM, SWAPS);
    const { intents } = victimIntents(events, 50);
    const run = replayWithAttacker({ events, intents, view: (i) => ({ kind: "plain", author: intents[i]!.author, op: intents[i]!.op }), opAt: (i) => intents[i]!.op });
    expect(run.sandwiches).toBe(9);
    expect(run.engine.balanceOf(MEV_ATTACKER, UNI_USDC) - BigInt(run.attackerDeposited.USDC)).toBe(BigInt(run.attackerProfitByToken.USDC));
    expect(run.engine.balanceOf(MEV_ATTACKER, UNI_WETH) - BigInt(run.attackerDeposited.WETH)).toBe(BigInt(run.attackerProfitByToken.WETH));
    for (const x of run.records) {
      expect(x.profit).toBe(x.backRunOut - x.frontRunIn);
      expect(x.victimLoss).toBe(x.victimOutWithoutAttack - x.victimOut);
      expect(x.profit > 0n && x.victimLoss > 0n).toBe(true);
      expect(x.profitUsdc > 0n && x.victimLossUsdc > x.profitUsdc).toBe(true); // the LPs keep two fees
      // the victim still got at least its bound
      expect(x.victimOut >= intents[x.swapIndex]!.op.minAmountOut).toBe(true);
    }
  });

  it("the CLI prints the report as JSON", async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => void lines.push(s);
    try {
      expect(await main(["node", "semilattice", "mev", "--json", "--from", "480", "--swaps", "10"])).toBe(0);
    } finally {
      console.log = log;
    }
    const r = JSON.parse(lines.join("\n")) as { unsealed: { sandwiches: number }; sealed: { sandwiches: number; attackerProfit: string }; sealing: { ratio: number } };
    expect(r.unsealed.sandwiches).toBeGreaterThan(0);
    expect(r.sealed).toMatchObject({ sandwiches: 0, attackerProfit: "0" });
    expect(r.sealing.ratio).toBeGreaterThan(0);
  });
});

describe("the sandwich strategy", () => {
  const pool = (r0: bigint, r1: bigint, feePpm = 500n): Readonly<Pool> => ({ token0: UNI_USDC, token1: UNI_WETH, reserve0: r0, reserve1: r1, feePpm }) as unknown as Pool;

  it("sees nothing in a sealed batch", () => {
    expect(sandwichStrategy(pool(10n ** 12n, 10n ** 12n), { kind: "sealed", author: 0, ciphertextBytes: 120, block: 1 })).toBeUndefined();
  });

  it("finds the most profitable admissible front-run up to rounding (brute force on small pools, property)", () => {
    const admissibleSizes: bigint[] = [];
    fc.assert(
      fc.property(
        fc.bigInt({ min: 10_000n, max: 40_000n }),
        fc.bigInt({ min: 10_000n, max: 40_000n }),
        fc.bigInt({ min: 100n, max: 20_000n }),
        fc.integer({ min: 0, max: 500 }),
        fc.constantFrom(0n, 500n, 3000n),
        fc.boolean(),
        (r0, r1, amountIn, bps, fee, zeroForOne) => {
          const p = pool(r0, r1, fee);
          const [rIn, rOut] = zeroForOne ? [r0, r1] : [r1, r0];
          const q = getAmountOut(amountIn, rIn, rOut, fee);
          const minOut = (q * BigInt(10_000 - bps)) / 10_000n;
          const plan = planSandwich(p, zeroForOne ? UNI_USDC : UNI_WETH, amountIn, minOut);
          let best = 0n;
          for (let x = 1n; x < rIn; x++) {
            const y1 = getAmountOut(x, rIn, rOut, fee);
            if (y1 <= 0n) continue;
            const v = getAmountOut(amountIn, rIn + x, rOut - y1, fee);
            if (v < minOut || v <= 0n) continue; // every x: rounding makes admissibility not quite monotone
            const back = getAmountOut(y1, rOut - y1 - v, rIn + x + amountIn, fee);
            if (back - x > best) best = back - x;
          }
          const got = plan?.profit ?? 0n;
          // never above the true optimum; equal to it up to the floors' rounding noise (a few base units)
          expect(got <= best).toBe(true);
          expect(best - got <= 2n + best / 1000n).toBe(true);
          if (plan !== undefined) admissibleSizes.push(plan.frontRunIn);
        },
      ),
      { numRuns: 60 },
    );
    // the grid + ternary search path (more than 64 admissible sizes) is what was exercised
    expect(admissibleSizes.filter((x) => x > 64n).length).toBeGreaterThan(10);
  });
});
