/**
 * Integer arithmetic helpers. Every function is exact on `bigint`; the rounding direction is in the name.
 */

/** Parts per million: fees and ratios are integers over this (3000 ppm = 0.30%). */
export const PPM = 1_000_000n;

/** Ray: 1e27, the fixed-point unit of Aave's indexes and rates. */
export const RAY = 10n ** 27n;

/** 2^112 − 1: Uniswap V2 stores reserves as uint112 and reverts `OVERFLOW` above it. */
export const MAX_UINT112 = (1n << 112n) - 1n;

/**
 * Largest amount any single balance, reserve or op amount may hold (2^128 − 1, uint128). Keeps every
 * intermediate product well inside uint256, so results are reproducible by a Solidity contract.
 */
export const MAX_AMOUNT = (1n << 128n) - 1n;

/**
 * Floor of the square root of a non-negative integer (Newton's method, as Uniswap V2's Math.sqrt,
 * which rounds down the same way).
 *
 * @example isqrt(10n) === 3n
 */
export function isqrt(y: bigint): bigint {
  if (y < 0n) throw new RangeError("isqrt of a negative number");
  if (y < 4n) return y === 0n ? 0n : 1n;
  // Start from a power of two above √y so Newton's iteration decreases monotonically to ⌊√y⌋.
  let x = 1n << (BigInt(y.toString(2).length + 1) >> 1n);
  let next = (x + y / x) >> 1n;
  while (next < x) {
    x = next;
    next = (x + y / x) >> 1n;
  }
  return x;
}

/** ⌈a / b⌉ for a ≥ 0, b > 0. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/** ⌈amount · ppm / 1e6⌉: a fee charged by the protocol (rounded up, in its favour). */
export function feeUp(amount: bigint, feePpm: bigint): bigint {
  return ceilDiv(amount * feePpm, PPM);
}

export function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
