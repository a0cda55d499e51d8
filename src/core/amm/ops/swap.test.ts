import { describe, expect, it } from "vitest";
import { Engine } from "../../engine.js";
import { applySwap, swapErrorCodes, swapOp } from "./swap.js";

/** 1000 WETH / 2,000,000 USDC at 3000 ppm (docs/scenarios.md, examples/amm.json). */
function pool(): Engine {
  const engine = new Engine();
  engine.createToken({ symbol: "WETH", decimals: 18 });
  engine.createToken({ symbol: "USDC", decimals: 6 });
  for (const account of ["lp", "alice"]) {
    engine.createAccount({ account });
    engine.deposit({ account, token: "WETH", amount: 10n ** 22n });
    engine.deposit({ account, token: "USDC", amount: 10n ** 13n });
  }
  engine.createPool({ pool: "WETH/USDC", token0: "WETH", token1: "USDC", feePpm: 3000 });
  engine.addLiquidity({ account: "lp", pool: "WETH/USDC", amount0Desired: 10n ** 21n, amount1Desired: 2n * 10n ** 12n });
  return engine;
}

describe("swap", () => {
  it("exact input: Uniswap V2's getAmountOut to the base unit", () => {
    const r = pool().swap({ account: "alice", pool: "WETH/USDC", tokenIn: "USDC", amountIn: 2_000_000_000n });
    expect(r).toEqual({ status: "accepted", amountIn: 2_000_000_000n, amountOut: 996006981039903216n, tokenIn: "USDC", tokenOut: "WETH" });
  });

  it("exact output: getAmountIn rounded up", () => {
    const engine = pool();
    engine.swap({ account: "alice", pool: "WETH/USDC", tokenIn: "USDC", amountIn: 2_000_000_000n });
    const r = engine.swap({ account: "alice", pool: "WETH/USDC", tokenIn: "USDC", amountOut: 10n ** 18n });
    expect(r).toEqual({ status: "accepted", amountIn: 2_012_040_119n, amountOut: 10n ** 18n, tokenIn: "USDC", tokenOut: "WETH" });
  });

  it("rejects with declared codes and changes nothing", () => {
    const engine = pool();
    const root = engine.stateRoot();
    const slippage = engine.swap({ account: "alice", pool: "WETH/USDC", tokenIn: "USDC", amountIn: 1_000_000n, minAmountOut: 10n ** 18n });
    expect(slippage).toMatchObject({ status: "rejected", code: "SLIPPAGE" });
    const both = engine.swap({ account: "alice", pool: "WETH/USDC", tokenIn: "USDC", amountIn: 1n, amountOut: 1n });
    expect(both).toMatchObject({ status: "rejected", code: "INVALID_OP" });
    expect(engine.swap({ account: "alice", pool: "nope", tokenIn: "USDC", amountIn: 1n })).toMatchObject({ code: "UNKNOWN_POOL" });
    expect(engine.stateRoot()).toBe(root);
    expect(swapErrorCodes).toEqual(expect.arrayContaining(["SLIPPAGE", "INVALID_OP", "UNKNOWN_POOL"]));
  });

  it("is a batch op whose definition is the engine's handler", () => {
    expect(swapOp.kind).toBe("batch");
    expect(swapOp.handler).toBe(applySwap);
    expect(swapOp.fields.map((f) => f.name)).toEqual(["account", "pool", "tokenIn", "amountIn", "minAmountOut", "amountOut", "maxAmountIn"]);
  });
});
