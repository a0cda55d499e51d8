/**
 * Differential test against the real thing: Uniswap's own compiled UniswapV2Factory / UniswapV2Pair /
 * test ERC20 bytecode (@uniswap/v2-core 1.0.1 build/*.json) in the embedded EVM, driven step by step
 * alongside our AMM (fee 3000 ppm). After every step the pair's getReserves() and totalSupply() must
 * equal our pool's reserves and totalSupply, and the amounts must match.
 *
 * The router's arithmetic (optimal liquidity amounts, getAmountOut/getAmountIn) is re-implemented
 * here independently with V2's literal 997/1000 constants and read from the pair's on-chain reserves,
 * so our ppm generalisation is checked rather than copied. For a sample of exact-input swaps we also
 * eth_call the pair with one unit more output than computed and require the real K check to revert: the output is
 * the maximum the pair allows.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFunctionResult, encodeFunctionData, type Abi, type Address, type Hex } from "viem";
import { Engine } from "../src/core/engine.js";
import { createEmbeddedChain, type EmbeddedChain } from "../src/settlement/evm.js";
import { loadUniswapEvents } from "../src/replay/uniswapData.js";
import { defaultDataDir } from "../src/replay/paths.js";

interface Artifact {
  abi: Abi;
  bytecode: Hex;
}
const require = createRequire(import.meta.url);
function artifact(name: string): Artifact {
  const json = JSON.parse(readFileSync(require.resolve(`@uniswap/v2-core/build/${name}.json`), "utf8")) as {
    abi: Abi;
    bytecode: string;
  };
  return { abi: json.abi, bytecode: `0x${json.bytecode.replace(/^0x/, "")}` };
}
const PAIR = artifact("UniswapV2Pair");
const FACTORY = artifact("UniswapV2Factory");
const ERC20 = artifact("ERC20");

/* ── the router's arithmetic, written out with V2's own constants (UniswapV2Library) ── */
function v2AmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  const amountInWithFee = amountIn * 997n;
  return (amountInWithFee * reserveOut) / (reserveIn * 1000n + amountInWithFee);
}
function v2AmountIn(amountOut: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  return (reserveIn * amountOut * 1000n) / ((reserveOut - amountOut) * 997n) + 1n;
}

/** Deterministic PRNG (SplitMix64) so the sequence is reproducible from the seed. */
class Rng {
  private s: bigint;
  constructor(seed: bigint) {
    this.s = seed;
  }
  next(): bigint {
    this.s = (this.s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = this.s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  }
  /** Uniform in [0, n). */
  below(n: bigint): bigint {
    return ((this.next() << 64n) | this.next()) % n;
  }
  /** Log-uniform-ish amount in [1, max]: a random number of bits, then uniform below that. */
  amount(max: bigint): bigint {
    const bits = max.toString(2).length;
    const b = Number(this.below(BigInt(bits))) + 1;
    const cap = (1n << BigInt(b)) < max ? 1n << BigInt(b) : max;
    return this.below(cap) + 1n;
  }
}

interface Pair {
  address: Address;
  token0: Address;
  token1: Address;
}

describe("AMM vs UniswapV2Pair bytecode (differential)", () => {
  let chain: EmbeddedChain;
  let factory: Address;
  let wallet: Address;

  beforeAll(async () => {
    chain = await createEmbeddedChain();
    wallet = chain.accounts[0] as Address;
    factory = await chain.deploy(FACTORY.abi, FACTORY.bytecode, [wallet]);
  });
  afterAll(async () => {
    await chain.close();
  });

  async function call(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = []): Promise<unknown> {
    const data = encodeFunctionData({ abi, functionName, args });
    const result = (await chain.provider.request({ method: "eth_call", params: [{ from: wallet, to, data }, "latest"] })) as Hex;
    return decodeFunctionResult({ abi, functionName, data: result });
  }
  async function tx(to: Address, abi: Abi, functionName: string, args: readonly unknown[], gas = 500_000n): Promise<void> {
    await chain.send(wallet, to, encodeFunctionData({ abi, functionName, args }), gas);
  }
  async function reverts(to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<boolean> {
    const data = encodeFunctionData({ abi, functionName, args });
    try {
      await chain.provider.request({ method: "eth_call", params: [{ from: wallet, to, data }, "latest"] });
      return false;
    } catch {
      return true;
    }
  }

  /** Two fresh test ERC20s (whole supply to `wallet`) and their pair. */
  async function newPair(supply: bigint): Promise<Pair> {
    const a = await chain.deploy(ERC20.abi, ERC20.bytecode, [supply]);
    const b = await chain.deploy(ERC20.abi, ERC20.bytecode, [supply]);
    await tx(factory, FACTORY.abi, "createPair", [a, b], 6_000_000n);
    const address = (await call(factory, FACTORY.abi, "getPair", [a, b])) as Address;
    const token0 = (await call(address, PAIR.abi, "token0")) as Address;
    const token1 = (await call(address, PAIR.abi, "token1")) as Address;
    return { address, token0, token1 };
  }
  async function chainState(pair: Pair): Promise<{ r0: bigint; r1: bigint; totalSupply: bigint }> {
    const [r0, r1] = (await call(pair.address, PAIR.abi, "getReserves")) as readonly [bigint, bigint, number];
    const totalSupply = (await call(pair.address, PAIR.abi, "totalSupply")) as bigint;
    return { r0, r1, totalSupply };
  }

  /** An engine with tokens T0/T1 (the pair's token0/token1), pool P at 3000 ppm, account "lp" funded with `supply`. */
  function newEngine(pool: string, supply: bigint): Engine {
    const engine = new Engine();
    expect(engine.createToken({ symbol: "T0", decimals: 18 }).status).toBe("accepted");
    expect(engine.createToken({ symbol: "T1", decimals: 18 }).status).toBe("accepted");
    expect(engine.createAccount({ account: "lp" }).status).toBe("accepted");
    expect(engine.deposit({ account: "lp", token: "T0", amount: supply }).status).toBe("accepted");
    expect(engine.deposit({ account: "lp", token: "T1", amount: supply }).status).toBe("accepted");
    expect(engine.createPool({ pool, token0: "T0", token1: "T1", feePpm: 3000 }).status).toBe("accepted");
    return engine;
  }

  /** Runs one step on both sides. Returns what was done, for the failure message. */
  class Both {
    steps = 0;
    constructor(
      readonly engine: Engine,
      readonly pool: string,
      readonly pair: Pair,
    ) {}

    async expectSame(what: string): Promise<void> {
      const real = await chainState(this.pair);
      const ours = this.engine.getPool(this.pool);
      expect({ what, r0: ours?.reserve0, r1: ours?.reserve1, ts: ours?.totalSupply }).toEqual({
        what,
        r0: real.r0,
        r1: real.r1,
        ts: real.totalSupply,
      });
      this.steps++;
    }

    /** addLiquidity on ours; UniswapV2Router02._addLiquidity + transfers + pair.mint on theirs. */
    async mint(desired0: bigint, desired1: bigint): Promise<boolean> {
      const { r0, r1, totalSupply } = await chainState(this.pair);
      let a0 = desired0;
      let a1 = desired1;
      if (!(r0 === 0n && r1 === 0n)) {
        const opt1 = (desired0 * r1) / r0;
        if (opt1 <= desired1) a1 = opt1;
        else a0 = (desired1 * r0) / r1;
      }
      const liquidity = totalSupply === 0n ? 0n : minB((a0 * totalSupply) / r0, (a1 * totalSupply) / r1);
      const res = this.engine.addLiquidity({ account: "lp", pool: this.pool, amount0Desired: desired0, amount1Desired: desired1 });
      if (totalSupply !== 0n && liquidity === 0n) {
        // The pair would revert INSUFFICIENT_LIQUIDITY_MINTED.
        expect(res).toMatchObject({ status: "rejected", code: "INSUFFICIENT_LIQUIDITY" });
        return false;
      }
      expect(res).toMatchObject({ status: "accepted", amount0: a0, amount1: a1 });
      await tx(this.pair.token0, ERC20.abi, "transfer", [this.pair.address, a0]);
      await tx(this.pair.token1, ERC20.abi, "transfer", [this.pair.address, a1]);
      await tx(this.pair.address, PAIR.abi, "mint", [wallet]);
      await this.expectSame(`mint ${a0}/${a1}`);
      return true;
    }

    /** removeLiquidity on ours; pair.transfer(pair, L) + pair.burn on theirs. */
    async burn(liquidity: bigint): Promise<boolean> {
      const { r0, r1, totalSupply } = await chainState(this.pair);
      const a0 = (liquidity * r0) / totalSupply;
      const a1 = (liquidity * r1) / totalSupply;
      const res = this.engine.removeLiquidity({ account: "lp", pool: this.pool, liquidity });
      if (a0 === 0n || a1 === 0n) {
        expect(res).toMatchObject({ status: "rejected", code: "INSUFFICIENT_LIQUIDITY" });
        return false;
      }
      expect(res).toMatchObject({ status: "accepted", amount0: a0, amount1: a1, liquidity });
      await tx(this.pair.address, PAIR.abi, "transfer", [this.pair.address, liquidity]);
      await tx(this.pair.address, PAIR.abi, "burn", [wallet]);
      await this.expectSame(`burn ${liquidity}`);
      return true;
    }

    /** Exact-in (amountIn) or exact-out (amountOut) swap; `zeroForOne` = token0 in. */
    async swap(zeroForOne: boolean, exact: { amountIn: bigint } | { amountOut: bigint }, probeK: boolean): Promise<boolean> {
      const { r0, r1 } = await chainState(this.pair);
      const [rIn, rOut] = zeroForOne ? [r0, r1] : [r1, r0];
      let amountIn: bigint;
      let amountOut: bigint;
      const tokenIn = zeroForOne ? "T0" : "T1";
      if ("amountIn" in exact) {
        amountIn = exact.amountIn;
        amountOut = v2AmountOut(amountIn, rIn, rOut);
        const res = this.engine.swap({ account: "lp", pool: this.pool, tokenIn, amountIn });
        if (amountOut === 0n) {
          expect(res).toMatchObject({ status: "rejected", code: "INSUFFICIENT_LIQUIDITY" });
          return false;
        }
        expect(res).toMatchObject({ status: "accepted", amountIn, amountOut });
      } else {
        amountOut = exact.amountOut;
        const res = this.engine.swap({ account: "lp", pool: this.pool, tokenIn, amountOut });
        if (amountOut >= rOut) {
          expect(res).toMatchObject({ status: "rejected", code: "INSUFFICIENT_LIQUIDITY" });
          // The pair refuses it too (UniswapV2: INSUFFICIENT_LIQUIDITY), whatever was paid in.
          const outs: [bigint, bigint] = zeroForOne ? [0n, amountOut] : [amountOut, 0n];
          expect(await reverts(this.pair.address, PAIR.abi, "swap", [...outs, wallet, "0x"])).toBe(true);
          return false;
        }
        amountIn = v2AmountIn(amountOut, rIn, rOut);
        expect(res).toMatchObject({ status: "accepted", amountIn, amountOut });
      }
      await tx(zeroForOne ? this.pair.token0 : this.pair.token1, ERC20.abi, "transfer", [this.pair.address, amountIn]);
      const outs = (out: bigint): [bigint, bigint] => (zeroForOne ? [0n, out] : [out, 0n]);
      if (probeK && "amountIn" in exact) {
        // getAmountOut is the largest output the pair's K check accepts for this input: one unit more
        // must revert. (Not so for exact output: getAmountIn's unconditional +1 can leave slack.)
        expect(await reverts(this.pair.address, PAIR.abi, "swap", [...outs(amountOut + 1n), wallet, "0x"])).toBe(true);
      }
      await tx(this.pair.address, PAIR.abi, "swap", [...outs(amountOut), wallet, "0x"]);
      await this.expectSame(`swap ${zeroForOne ? "0→1" : "1→0"} in ${amountIn} out ${amountOut}`);
      return true;
    }
  }

  it("matches the pair on 1,500 seeded random steps: 1,000+ swaps (both directions, exact in/out), mints and burns", async () => {
    const supply = 10n ** 33n; // < 2^112 ≈ 5.19e33
    const pair = await newPair(supply);
    const engine = newEngine("P", supply);
    const both = new Both(engine, "P", pair);
    const rng = new Rng(20240105n);
    expect(await both.mint(10n ** 24n + rng.below(10n ** 24n), 10n ** 22n + rng.below(10n ** 24n))).toBe(true);
    const counts = { swapIn: 0, swapOut: 0, mint: 0, burn: 0, rejectedBoth: 0 };
    for (let step = 0; step < 1500; step++) {
      const roll = Number(rng.below(100n));
      const pool = engine.getPool("P");
      if (pool === undefined) throw new Error("pool vanished");
      let done: boolean;
      if (roll < 40) {
        const zeroForOne = rng.below(2n) === 0n;
        const reserveIn = zeroForOne ? pool.reserve0 : pool.reserve1;
        done = await both.swap(zeroForOne, { amountIn: rng.amount(reserveIn * 2n) }, step % 7 === 0);
        if (done) counts.swapIn++;
      } else if (roll < 80) {
        const zeroForOne = rng.below(2n) === 0n;
        const reserveOut = zeroForOne ? pool.reserve1 : pool.reserve0;
        // Mostly below the reserve; sometimes at or above it (must be rejected by both).
        const amountOut = rng.below(50n) === 0n ? reserveOut + rng.below(3n) : rng.amount(reserveOut - 1n);
        done = await both.swap(zeroForOne, { amountOut }, step % 7 === 0);
        if (done) counts.swapOut++;
      } else if (roll < 90) {
        done = await both.mint(rng.amount(pool.reserve0), rng.amount(pool.reserve1));
        if (done) counts.mint++;
      } else {
        const held = engine.lpSharesOf("lp", "P");
        done = held > 0n && (await both.burn(rng.amount(held / 2n > 0n ? held / 2n : held)));
        if (done) counts.burn++;
      }
      if (!done) counts.rejectedBoth++;
    }
    expect(counts.swapIn + counts.swapOut).toBeGreaterThanOrEqual(1000);
    expect(counts.swapIn).toBeGreaterThan(400);
    expect(counts.swapOut).toBeGreaterThan(400);
    expect(counts.mint).toBeGreaterThan(50);
    expect(counts.burn).toBeGreaterThan(50);
    expect(engine.checkConservation().ok).toBe(true);
  });

  it("matches the pair on the first 500 real swaps of the Uniswap V3 USDC/WETH day", async () => {
    const events = loadUniswapEvents(defaultDataDir());
    const first = events[0];
    if (first === undefined) throw new Error("no events");
    // Seed with the V3 pool's virtual reserves at the first event (USDC = token "0", WETH = "1").
    // Scale 1: the real amounts already fit uint112 (x ≈ 5.9e14, y ≈ 2.6e23), so no scaling is needed.
    const Q96 = 1n << 96n;
    const usdc = (first.totalLiquidity * Q96) / first.sqrtPriceX96;
    const weth = (first.totalLiquidity * first.sqrtPriceX96) / Q96;
    const supply = 10n ** 33n;
    const pair = await newPair(supply);
    const engine = newEngine("U", supply);
    const both = new Both(engine, "U", pair);
    // The data's USDC is our T0 / the pair's token0 (the two test tokens are interchangeable).
    expect(await both.mint(usdc, weth)).toBe(true);
    let swaps = 0;
    for (const e of events) {
      if (swaps === 500) break;
      if (e.type !== "SWAP") continue;
      swaps++;
      if (e.amount0 > 0n) await both.swap(true, { amountIn: e.amount0 }, swaps % 25 === 0);
      else if (e.amount1 > 0n) await both.swap(false, { amountIn: e.amount1 }, swaps % 25 === 0);
    }
    expect(swaps).toBe(500);
    expect(both.steps).toBeGreaterThanOrEqual(500);
  });
});

function minB(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
