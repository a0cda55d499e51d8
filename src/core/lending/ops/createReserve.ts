/**
 * The `createReserve` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { optionalBoolean, requireToken } from "../../validate.js";
import { PERCENTAGE_FACTOR, RAY, percentMul } from "../math.js";
import { MAX_RATE_RAY, MAX_RESERVES, Reserve, nowSeconds, optionalCap, requireBps, requireRay } from "../pool.js";

/* ───────────────────────────── lending (lending/pool.ts) ───────────────────────────── */

/**
 * Creates an Aave V3-style lending reserve for token `asset`. Rate parameters are APRs/ratios in
 * **ray** (1e27 = 100%), as Aave's DefaultReserveInterestRateStrategy; risk parameters in **basis
 * points** (10000 = 100%), as Aave's reserve configuration.
 */
export interface CreateReserveParameters {
  type: "createReserve";
  asset: string;
  /** Ray in (0, 1e27]. */
  optimalUsageRatio: bigint;
  baseVariableBorrowRate: bigint;
  variableRateSlope1: bigint;
  variableRateSlope2: bigint;
  /** Bps 0..10000. */
  reserveFactor: number;
  ltv: number;
  liquidationThreshold: number;
  /** Bps 0..20000; > 10000 when liquidationThreshold > 0 (10500 = 5% bonus). */
  liquidationBonus: number;
  /** Bps of the bonus to the protocol, 0..10000; default 0. */
  liquidationProtocolFee?: number;
  /** Base units; absent or 0 = no cap. */
  supplyCap?: bigint;
  borrowCap?: bigint;
  /** Anybody may liquidate this reserve's debt; default false (Liquidator role only). */
  permissionlessLiquidation?: boolean;
  /** Starting indexes in ray (default 1e27): for continuing an existing reserve, e.g. a replay. */
  liquidityIndex?: bigint;
  variableBorrowIndex?: bigint;
}

/** What an accepted `createReserve` returns besides `status`. */
export type CreateReserveReturnType = { asset: string };

/** Every rejection code `createReserve` can return (checked by `test/ops.registry.test.ts`). */
export const createReserveErrorCodes = ["INVALID_OP", "INVALID_AMOUNT", "INVALID_ID", "UNKNOWN_TOKEN", "ALREADY_EXISTS", "LIMIT_EXCEEDED"] as const;
export type CreateReserveErrorType = OpErrorType<typeof createReserveErrorCodes>;

export function applyCreateReserve(state: EngineState, op: CreateReserveParameters): Accepted<{ asset: string }> {
  const token = requireToken(state, op.asset, "asset");
  const optimalUsageRatio = requireRay(op.optimalUsageRatio, "optimalUsageRatio", 1n, RAY);
  const baseVariableBorrowRate = requireRay(op.baseVariableBorrowRate, "baseVariableBorrowRate", 0n, MAX_RATE_RAY);
  const variableRateSlope1 = requireRay(op.variableRateSlope1, "variableRateSlope1", 0n, MAX_RATE_RAY);
  const variableRateSlope2 = requireRay(op.variableRateSlope2, "variableRateSlope2", 0n, MAX_RATE_RAY);
  const reserveFactor = requireBps(op.reserveFactor, "reserveFactor", 0, 10_000);
  const ltv = requireBps(op.ltv, "ltv", 0, 10_000);
  const liquidationThreshold = requireBps(op.liquidationThreshold, "liquidationThreshold", 0, 10_000);
  const liquidationBonus = requireBps(op.liquidationBonus, "liquidationBonus", 0, 20_000);
  const liquidationProtocolFee = op.liquidationProtocolFee === undefined ? 0n : requireBps(op.liquidationProtocolFee, "liquidationProtocolFee", 0, 10_000);
  const supplyCap = optionalCap(op.supplyCap, "supplyCap");
  const borrowCap = optionalCap(op.borrowCap, "borrowCap");
  const permissionlessLiquidation = optionalBoolean(op.permissionlessLiquidation, "permissionlessLiquidation");
  const liquidityIndex = op.liquidityIndex === undefined ? RAY : requireRay(op.liquidityIndex, "liquidityIndex", RAY, 1000n * RAY);
  const variableBorrowIndex =
    op.variableBorrowIndex === undefined ? RAY : requireRay(op.variableBorrowIndex, "variableBorrowIndex", RAY, 1000n * RAY);
  // PoolConfigurator.configureReserveAsCollateral's checks.
  if (ltv > liquidationThreshold) reject("INVALID_OP", `ltv ${ltv} must not exceed liquidationThreshold ${liquidationThreshold}`);
  if (liquidationThreshold !== 0n) {
    if (liquidationBonus <= PERCENTAGE_FACTOR) reject("INVALID_OP", "liquidationBonus must exceed 10000 (100%) for a collateral");
    if (percentMul(liquidationThreshold, liquidationBonus) > PERCENTAGE_FACTOR) {
      reject("INVALID_OP", "liquidationThreshold × liquidationBonus must not exceed 100%");
    }
  }
  if (state.lending.reserves.has(token.symbol)) reject("ALREADY_EXISTS", `reserve ${token.symbol} already exists`);
  if (state.lending.reserves.size >= MAX_RESERVES) reject("LIMIT_EXCEEDED", `at most ${MAX_RESERVES} reserves`);

  const r: Reserve = {
    asset: token.symbol,
    decimals: token.decimals,
    optimalUsageRatio,
    baseVariableBorrowRate,
    variableRateSlope1,
    variableRateSlope2,
    reserveFactor,
    ltv,
    liquidationThreshold,
    liquidationBonus,
    liquidationProtocolFee,
    supplyCap,
    borrowCap,
    permissionlessLiquidation,
    liquidityIndex,
    variableBorrowIndex,
    currentLiquidityRate: 0n,
    currentVariableBorrowRate: baseVariableBorrowRate,
    lastUpdateTimestamp: nowSeconds(state),
    cash: 0n,
    scaledSupply: 0n,
    scaledDebt: 0n,
    treasuryScaled: 0n,
    supplies: new Map(),
    debts: new Map(),
  };
  state.lending.reserves.set(r.asset, r);
  state.lending.dirty.add(r);
  return { status: "accepted", asset: r.asset };
}

export const createReserveOp = defineOp<CreateReserveParameters, CreateReserveReturnType>({
  type: "createReserve",
  kind: "genesis",
  fields: [
    req("asset", "string", { doc: "a token" }),
    req("optimalUsageRatio", "amount", { doc: "ray, (0, 1e27]" }),
    req("baseVariableBorrowRate", "amount"),
    req("variableRateSlope1", "amount"),
    req("variableRateSlope2", "amount", { doc: "ray APRs, ≤ 1000%" }),
    req("reserveFactor", "int", { doc: "bps of interest to the protocol" }),
    req("ltv", "int"),
    req("liquidationThreshold", "int", { doc: "bps, ltv ≤ threshold" }),
    req("liquidationBonus", "int", { doc: "bps, 10500 = 5% bonus; > 10000 for a collateral, threshold × bonus ≤ 100%" }),
    opt("liquidationProtocolFee", "int", { doc: "bps of the bonus to the protocol, default 0" }),
    opt("supplyCap", "amount", { doc: "base units, absent/0 = none" }),
    opt("borrowCap", "amount", { doc: "base units, absent/0 = none" }),
    opt("permissionlessLiquidation", "boolean", { doc: "default false = Liquidator role only" }),
    opt("liquidityIndex", "amount", { doc: "ray, default 1e27, to continue an existing reserve" }),
    opt("variableBorrowIndex", "amount", { doc: "ray, default 1e27" }),
  ],
  handler: applyCreateReserve,
  rejects: createReserveErrorCodes,
  docs: {
    section: "lending",
    result: "`asset`",
  },
});
