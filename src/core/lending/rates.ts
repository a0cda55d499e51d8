/**
 * The kinked (two-slope) interest rate model, exactly as Aave V3's DefaultReserveInterestRateStrategy
 * (aave-v3-core `contracts/protocol/pool/DefaultReserveInterestRateStrategy.sol`, v3.0.x) without stable
 * debt (which this engine does not offer; Aave itself removed it in v3.2):
 *
 *   U = totalDebt.rayDiv(availableLiquidity + totalDebt)          (borrowUsageRatio; 0 without debt)
 *   U ≤ optimal:  variableRate = base + slope1.rayMul(U).rayDiv(optimal)
 *   U > optimal:  variableRate = base + slope1 + slope2.rayMul((U − optimal).rayDiv(RAY − optimal))
 *   liquidityRate = overallBorrowRate.rayMul(U).percentMul(10000 − reserveFactor)
 *
 * where `overallBorrowRate` is Aave's `_getOverallBorrowRate` with zero stable debt:
 * `totalDebt.wadToRay().rayMul(variableRate).rayDiv(totalDebt.wadToRay())` (equal to `variableRate` up to
 * its half-up rounding), and 0 without debt. All rates are APRs in ray; rounding as in `lending/math.ts`.
 */
import { percentMul, PERCENTAGE_FACTOR, RAY, rayDiv, rayMul } from "./math.js";

export interface RateModel {
  /** Ray, in (0, RAY]. Aave's OPTIMAL_USAGE_RATIO. */
  optimalUsageRatio: bigint;
  /** Ray APRs. */
  baseVariableBorrowRate: bigint;
  variableRateSlope1: bigint;
  variableRateSlope2: bigint;
  /** Basis points of interest kept by the protocol (Aave's reserveFactor). */
  reserveFactor: bigint;
}

export interface Rates {
  /** Ray. */
  utilization: bigint;
  variableBorrowRate: bigint;
  liquidityRate: bigint;
}

/**
 * Rates for a reserve with `availableLiquidity` of cash and `totalVariableDebt` outstanding (both base
 * units; Aave converts them with wadToRay, which scales numerator and denominator alike).
 */
export function calculateInterestRates(model: RateModel, availableLiquidity: bigint, totalVariableDebt: bigint): Rates {
  let utilization = 0n;
  let variableBorrowRate = model.baseVariableBorrowRate;
  if (totalVariableDebt !== 0n) {
    // wadToRay on both sides (×1e9) as Aave does, so the half-up rounding of rayDiv is identical.
    const debtRay = totalVariableDebt * 10n ** 9n;
    utilization = rayDiv(debtRay, (availableLiquidity + totalVariableDebt) * 10n ** 9n);
  }
  const maxExcess = RAY - model.optimalUsageRatio;
  if (utilization > model.optimalUsageRatio) {
    const excess = rayDiv(utilization - model.optimalUsageRatio, maxExcess);
    variableBorrowRate += model.variableRateSlope1 + rayMul(model.variableRateSlope2, excess);
  } else {
    variableBorrowRate += rayDiv(rayMul(model.variableRateSlope1, utilization), model.optimalUsageRatio);
  }
  let liquidityRate = 0n;
  if (totalVariableDebt !== 0n) {
    const debtRay = totalVariableDebt * 10n ** 9n;
    const overall = rayDiv(rayMul(debtRay, variableBorrowRate), debtRay);
    liquidityRate = percentMul(rayMul(overall, utilization), PERCENTAGE_FACTOR - model.reserveFactor);
  }
  return { utilization, variableBorrowRate, liquidityRate };
}
