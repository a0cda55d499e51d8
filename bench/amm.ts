/**
 * AMM benchmark: exact-input swaps through `Engine.swap` on one big pool, alternating directions, next
 * to the real UniswapV2Pair bytecode doing the same swaps (ERC20 transfer + pair.swap per swap) in the
 * embedded Hardhat/EDR EVM, measured in the same run.
 *
 * Where the time goes is shown by two more rows over the same swaps: the bare pool handler
 * (`applySwap` on the state, no engine dispatch) and the bare arithmetic (`getAmountOut`), each
 * against the layer above it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { encodeFunctionData, type Abi, type Address, type Hex } from "viem";
import { getAmountOut } from "../src/core/amm/math.js";
import { applySwap } from "../src/core/amm/ops/swap.js";
import { Engine } from "../src/core/engine.js";
import type { SwapOp } from "../src/core/ops.js";
import { createEmbeddedChain } from "../src/settlement/evm.js";
import { measure, row, type BenchRow, type Timing } from "./support.js";

const E18 = 10n ** 18n;
const SWAPS_PER_RUN = 100_000;
const EVM_SWAPS = 300;

/** An engine with pool "A/B" holding 1e9 A / 2e12 B (18 decimals) and trader "t" with plenty of both. */
function bigPool(): Engine {
  const e = new Engine();
  must(e.createToken({ symbol: "A", decimals: 18 }));
  must(e.createToken({ symbol: "B", decimals: 18 }));
  must(e.createAccount({ account: "lp" }));
  must(e.createAccount({ account: "t" }));
  for (const [account, amount] of [["lp", 10n ** 13n * E18], ["t", 10n ** 12n * E18]] as const) {
    must(e.deposit({ account, token: "A", amount }));
    must(e.deposit({ account, token: "B", amount }));
  }
  must(e.createPool({ pool: "A/B", token0: "A", token1: "B", feePpm: 3000 }));
  must(e.addLiquidity({ account: "lp", pool: "A/B", amount0Desired: 10n ** 9n * E18, amount1Desired: 2n * 10n ** 12n * E18 }));
  return e;
}

function must(r: { status: string }): void {
  if (r.status !== "accepted") throw new Error(`bench setup rejected: ${JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`);
}

// 1 A ≈ 2000 B: alternate 1 A in and 2000 B in so the pool stays near its price.
const AMOUNT_A = E18;
const AMOUNT_B = 2000n * E18;

function engineSwaps(): Timing {
  const params = [
    { account: "t", pool: "A/B", tokenIn: "A", amountIn: AMOUNT_A },
    { account: "t", pool: "A/B", tokenIn: "B", amountIn: AMOUNT_B },
  ] as const;
  const p0 = params[0];
  const p1 = params[1];
  return measure({
    setup: bigPool,
    run: (e) => {
      for (let i = 0; i < SWAPS_PER_RUN; i += 2) {
        if (e.swap(p0).status !== "accepted" || e.swap(p1).status !== "accepted") throw new Error("bench swap rejected");
      }
    },
    opsPerRun: SWAPS_PER_RUN,
    minSeconds: 2,
  });
}

function handlerSwaps(): Timing {
  const ops: [SwapOp, SwapOp] = [
    { type: "swap", account: "t", pool: "A/B", tokenIn: "A", amountIn: AMOUNT_A },
    { type: "swap", account: "t", pool: "A/B", tokenIn: "B", amountIn: AMOUNT_B },
  ];
  const [o0, o1] = ops;
  return measure({
    setup: () => bigPool().state,
    run: (state) => {
      for (let i = 0; i < SWAPS_PER_RUN; i += 2) {
        applySwap(state, o0);
        applySwap(state, o1);
      }
    },
    opsPerRun: SWAPS_PER_RUN,
    minSeconds: 2,
  });
}

function mathOnly(): Timing {
  let sink = 0n;
  const t = measure({
    setup: () => ({ r0: 10n ** 9n * E18, r1: 2n * 10n ** 12n * E18 }),
    run: (r) => {
      for (let i = 0; i < SWAPS_PER_RUN; i += 2) {
        const out1 = getAmountOut(AMOUNT_A, r.r0, r.r1, 3000n);
        r.r0 += AMOUNT_A;
        r.r1 -= out1;
        const out0 = getAmountOut(AMOUNT_B, r.r1, r.r0, 3000n);
        r.r1 += AMOUNT_B;
        r.r0 -= out0;
        sink += out0;
      }
    },
    opsPerRun: SWAPS_PER_RUN,
    minSeconds: 1,
  });
  if (sink < 0n) throw new Error("unreachable");
  return t;
}

interface Artifact {
  abi: Abi;
  bytecode: Hex;
}
function artifact(name: string): Artifact {
  const require = createRequire(import.meta.url);
  const json = JSON.parse(readFileSync(require.resolve(`@uniswap/v2-core/build/${name}.json`), "utf8")) as { abi: Abi; bytecode: string };
  return { abi: json.abi, bytecode: `0x${json.bytecode.replace(/^0x/, "")}` };
}

/** UniswapV2Pair bytecode in the embedded EVM: per swap, ERC20.transfer to the pair + pair.swap. */
async function evmSwaps(): Promise<Timing> {
  const PAIR = artifact("UniswapV2Pair");
  const FACTORY = artifact("UniswapV2Factory");
  const ERC20 = artifact("ERC20");
  const chain = await createEmbeddedChain();
  try {
    const wallet = chain.accounts[0] as Address;
    const factory = await chain.deploy(FACTORY.abi, FACTORY.bytecode, [wallet]);
    const supply = 10n ** 13n * E18;
    const a = await chain.deploy(ERC20.abi, ERC20.bytecode, [supply]);
    const b = await chain.deploy(ERC20.abi, ERC20.bytecode, [supply]);
    const data = (abi: Abi, functionName: string, args: readonly unknown[]): Hex => encodeFunctionData({ abi, functionName, args });
    await chain.send(wallet, factory, data(FACTORY.abi, "createPair", [a, b]), 6_000_000n);
    const getPair = (await chain.publicClient.readContract({ address: factory, abi: FACTORY.abi, functionName: "getPair", args: [a, b] })) as Address;
    const token0 = (await chain.publicClient.readContract({ address: getPair, abi: PAIR.abi, functionName: "token0" })) as Address;
    const [tA, tB] = token0.toLowerCase() === a.toLowerCase() ? [a, b] : [b, a]; // tA is token0
    let r0 = 10n ** 9n * E18;
    let r1 = 2n * 10n ** 12n * E18;
    await chain.send(wallet, tA, data(ERC20.abi, "transfer", [getPair, r0]));
    await chain.send(wallet, tB, data(ERC20.abi, "transfer", [getPair, r1]));
    await chain.send(wallet, getPair, data(PAIR.abi, "mint", [wallet]));
    const swapOnce = async (zeroForOne: boolean): Promise<void> => {
      const amountIn = zeroForOne ? AMOUNT_A : AMOUNT_B;
      const out = zeroForOne ? getAmountOut(amountIn, r0, r1, 3000n) : getAmountOut(amountIn, r1, r0, 3000n);
      await chain.send(wallet, zeroForOne ? tA : tB, data(ERC20.abi, "transfer", [getPair, amountIn]), 100_000n);
      await chain.send(wallet, getPair, data(PAIR.abi, "swap", zeroForOne ? [0n, out, wallet, "0x"] : [out, 0n, wallet, "0x"]), 200_000n);
      if (zeroForOne) {
        r0 += amountIn;
        r1 -= out;
      } else {
        r1 += amountIn;
        r0 -= out;
      }
    };
    for (let i = 0; i < 40; i++) await swapOnce(i % 2 === 0); // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < EVM_SWAPS; i++) await swapOnce(i % 2 === 0);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const reserves = (await chain.publicClient.readContract({ address: getPair, abi: PAIR.abi, functionName: "getReserves" })) as readonly [bigint, bigint, number];
    if (reserves[0] !== r0 || reserves[1] !== r1) throw new Error("EVM pair reserves diverged from the expected swaps");
    return { ops: EVM_SWAPS, seconds, opsPerSecond: EVM_SWAPS / seconds };
  } finally {
    await chain.close();
  }
}

/** The AMM rows of `npm run bench`. */
export async function benchAmm(): Promise<BenchRow[]> {
  const ours = engineSwaps();
  const evm = await evmSwaps();
  const handler = handlerSwaps();
  const math = mathOnly();
  return [
    row(
      "AMM exact-in swap (Engine.swap)",
      ours,
      "UniswapV2Pair bytecode, in-process EVM",
      evm,
      `${SWAPS_PER_RUN} swaps/run alternating directions on a 1e9/2e12-token pool; peer: ERC20.transfer + pair.swap per swap over ${EVM_SWAPS} swaps (eth_sendTransaction, automine)`,
    ),
    row(
      "AMM swap handler alone (applySwap)",
      handler,
      "Engine.swap (same swaps)",
      ours,
      "ratio = cost of the engine's dispatch (op count, journal check, try/catch, result) on a swap",
    ),
    row(
      "Uniswap V2 getAmountOut (bigint)",
      math,
      "applySwap (same swaps)",
      handler,
      "ratio = handler cost over the bare arithmetic: validation, balance debits/credits, K check",
    ),
  ];
}
