/**
 * Uniswap V2 constant-product arithmetic with the fee in ppm (parts per million).
 *
 * With `feePpm = 3000n` every function returns exactly what UniswapV2Library returns with its
 * hard-coded 997/1000: `amountIn·997/1000 = amountIn·997000/1000000`, and both sides of each division
 * are scaled by the same factor 1000, so the floors are identical.
 *
 * Pure, integer-only. These functions validate their own arguments and throw `RangeError` on input
 * the Solidity library would revert on (zero reserves, zero amounts, a fee outside 0..999999). The
 * pool handlers in `pool.ts` validate first and reject, so a RangeError from here never escapes an op.
 */
import { PPM } from "../math.js";

/** Liquidity burned forever at a pool's first mint (UniswapV2Pair.MINIMUM_LIQUIDITY). */
export const MINIMUM_LIQUIDITY = 1000n;

function checkFee(feePpm: bigint): void {
  if (feePpm < 0n || feePpm >= PPM) throw new RangeError(`feePpm must be in 0..999999, got ${feePpm}`);
}

/**
 * Output of an exact-input swap (UniswapV2Library.getAmountOut, fee generalised to ppm):
 * `out = ⌊amountIn·(1e6−fee)·reserveOut / (reserveIn·1e6 + amountIn·(1e6−fee))⌋`.
 * Rounded down: in favour of the pool.
 *
 * @param amountIn base units of the input token, > 0
 * @param reserveIn, reserveOut pool reserves in base units, > 0
 * @param feePpm fee in ppm, 0..999999 (3000n = Uniswap V2's 0.30%)
 * @returns base units of the output token, 0 ≤ out < reserveOut
 * @throws RangeError INSUFFICIENT_INPUT_AMOUNT / INSUFFICIENT_LIQUIDITY / bad fee, as the library reverts
 */
export function getAmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint, feePpm: bigint): bigint {
  if (amountIn <= 0n) throw new RangeError("INSUFFICIENT_INPUT_AMOUNT");
  if (reserveIn <= 0n || reserveOut <= 0n) throw new RangeError("INSUFFICIENT_LIQUIDITY");
  checkFee(feePpm);
  const amountInWithFee = amountIn * (PPM - feePpm);
  return (amountInWithFee * reserveOut) / (reserveIn * PPM + amountInWithFee);
}

/**
 * Input needed for an exact-output swap (UniswapV2Library.getAmountIn, fee in ppm):
 * `in = ⌊reserveIn·amountOut·1e6 / ((reserveOut−amountOut)·(1e6−fee))⌋ + 1`.
 * The `+ 1` rounds up (always, like the library, even when the division is exact): in favour of the pool.
 *
 * @param amountOut base units of the output token, 0 < amountOut < reserveOut
 * @returns base units of the input token that must be paid
 * @throws RangeError INSUFFICIENT_OUTPUT_AMOUNT / INSUFFICIENT_LIQUIDITY / bad fee
 */
export function getAmountIn(amountOut: bigint, reserveIn: bigint, reserveOut: bigint, feePpm: bigint): bigint {
  if (amountOut <= 0n) throw new RangeError("INSUFFICIENT_OUTPUT_AMOUNT");
  if (reserveIn <= 0n || reserveOut <= 0n) throw new RangeError("INSUFFICIENT_LIQUIDITY");
  if (amountOut >= reserveOut) throw new RangeError("INSUFFICIENT_LIQUIDITY: amountOut must be below reserveOut");
  checkFee(feePpm);
  return (reserveIn * amountOut * PPM) / ((reserveOut - amountOut) * (PPM - feePpm)) + 1n;
}

/**
 * Amount of B worth `amountA` of A at the pool's current ratio, no fee (UniswapV2Library.quote):
 * `⌊amountA·reserveB / reserveA⌋`, rounded down.
 *
 * @throws RangeError INSUFFICIENT_AMOUNT / INSUFFICIENT_LIQUIDITY
 */
export function quote(amountA: bigint, reserveA: bigint, reserveB: bigint): bigint {
  if (amountA <= 0n) throw new RangeError("INSUFFICIENT_AMOUNT");
  if (reserveA <= 0n || reserveB <= 0n) throw new RangeError("INSUFFICIENT_LIQUIDITY");
  return (amountA * reserveB) / reserveA;
}
