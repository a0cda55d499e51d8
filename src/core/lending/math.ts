/**
 * Aave V3's fixed-point arithmetic, exactly: WadRayMath (`rayMul`, `rayDiv`, half-up), PercentageMath
 * (`percentMul`, `percentDiv`, half-up, basis points) and MathUtils (`calculateLinearInterest`,
 * `calculateCompoundedInterest`).
 *
 * Sources: aave-v3-core `contracts/protocol/libraries/math/{WadRayMath,PercentageMath,MathUtils}.sol`
 * (v3.0.x, the version deployed on Polygon in January 2024). Rounding is Aave's: `rayMul`/`rayDiv`/
 * `percentMul`/`percentDiv` round half up; the interest terms divide by `SECONDS_PER_YEAR` rounding
 * down. (Aave v3.3+ moved token mints/burns to directional rounding; we follow v3.0, and the exit rule in
 * `lending/pool.ts` keeps the channel solvent whatever the ±1 wei of half-up rounding does.)
 */
import { RAY } from "../math.js";

export { RAY };
export const HALF_RAY = RAY / 2n;
export const WAD = 10n ** 18n;
/** Basis points: 10000 = 100% (Aave's PERCENTAGE_FACTOR). */
export const PERCENTAGE_FACTOR = 10_000n;
const HALF_PERCENTAGE_FACTOR = 5_000n;
/** MathUtils.SECONDS_PER_YEAR = 365 days. */
export const SECONDS_PER_YEAR = 365n * 86_400n;

/** WadRayMath.rayMul: (a·b + RAY/2) / RAY, half up. */
export function rayMul(a: bigint, b: bigint): bigint {
  return (a * b + HALF_RAY) / RAY;
}

/** WadRayMath.rayDiv: (a·RAY + b/2) / b, half up. */
export function rayDiv(a: bigint, b: bigint): bigint {
  return (a * RAY + b / 2n) / b;
}

/** PercentageMath.percentMul: (value·bps + 5000) / 10000, half up. */
export function percentMul(value: bigint, bps: bigint): bigint {
  return (value * bps + HALF_PERCENTAGE_FACTOR) / PERCENTAGE_FACTOR;
}

/** PercentageMath.percentDiv: (value·10000 + bps/2) / bps, half up. */
export function percentDiv(value: bigint, bps: bigint): bigint {
  return (value * PERCENTAGE_FACTOR + bps / 2n) / bps;
}

/**
 * MathUtils.calculateLinearInterest: `RAY + rate·Δt / SECONDS_PER_YEAR` (division rounds down). Used
 * for the liquidity (supply) index.
 */
export function calculateLinearInterest(rateRay: bigint, elapsedSeconds: bigint): bigint {
  return RAY + (rateRay * elapsedSeconds) / SECONDS_PER_YEAR;
}

/**
 * MathUtils.calculateCompoundedInterest: the first three terms of the binomial expansion of
 * `(1 + rate/SECONDS_PER_YEAR)^Δt`, as Aave computes them:
 *
 *   RAY + rate·Δt/Y + Δt(Δt−1)·b2/2 + Δt(Δt−1)(Δt−2)·b3/6,
 *   b2 = rayMul(rate, rate) / Y²,  b3 = rayMul(b2, rate) / Y,  Y = SECONDS_PER_YEAR,
 *
 * every division rounding down (Aave's `unchecked` integer divisions). It slightly underestimates true
 * compounding (Aave's stated trade-off for gas). Used for the variable borrow index.
 */
export function calculateCompoundedInterest(rateRay: bigint, elapsedSeconds: bigint): bigint {
  const exp = elapsedSeconds;
  if (exp === 0n) return RAY;
  const expMinusOne = exp - 1n;
  const expMinusTwo = exp > 2n ? exp - 2n : 0n;
  const basePowerTwo = rayMul(rateRay, rateRay) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
  const basePowerThree = rayMul(basePowerTwo, rateRay) / SECONDS_PER_YEAR;
  const secondTerm = (exp * expMinusOne * basePowerTwo) / 2n;
  const thirdTerm = (exp * expMinusOne * expMinusTwo * basePowerThree) / 6n;
  return RAY + (rateRay * exp) / SECONDS_PER_YEAR + secondTerm + thirdTerm;
}
