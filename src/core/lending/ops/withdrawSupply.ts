/**
 * The `withdrawSupply` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { credit } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAccount, requireAmount } from "../../validate.js";
import { rayDiv, rayMul } from "../math.js";
import type { LendingResult } from "../pool.js";
import {
  HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY,
  addScaled,
  formatRay,
  hasDebt,
  minBig,
  normalizedIncome,
  requireReserve,
  restoreScaled,
  RejectionBox,
  safeAccountData,
  updateInterestRates,
  updateState,
} from "../pool.js";

/**
 * Withdraws `amount` of supplied `asset` back to the free balance (Aave `withdraw`). Named
 * `withdrawSupply` because `withdraw` is the ledger's exit; the scenario file's `withdraw` with an
 * `asset` field is this op.
 */
export interface WithdrawSupplyParameters {
  type: "withdrawSupply";
  account: string;
  asset: string;
  amount: bigint;
}

/** What an accepted `withdrawSupply` returns besides `status`. */
export type WithdrawSupplyReturnType = LendingResult;

/** Every rejection code `withdrawSupply` can return (checked by `test/ops.registry.test.ts`). */
export const withdrawSupplyErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "INSUFFICIENT_BALANCE",
  "INSUFFICIENT_LIQUIDITY",
  "STALE_PRICE",
  "UNKNOWN_PRICE",
  "UNKNOWN_RESERVE",
  "HEALTH_FACTOR_TOO_LOW",
] as const;
export type WithdrawSupplyErrorType = OpErrorType<typeof withdrawSupplyErrorCodes>;

/**
 * `withdrawSupply` (scenario name `withdraw` with an `asset` field): SupplyLogic.executeWithdraw.
 * `amount` equal to the whole balance burns the whole scaled balance (Aave's `type(uint256).max`).
 * Rejects INSUFFICIENT_BALANCE above the balance, INSUFFICIENT_LIQUIDITY above the pool's cash, and
 * HEALTH_FACTOR_TOO_LOW when the account has debt and would be left with HF < 1.
 */
export function applyWithdrawSupply(state: EngineState, op: WithdrawSupplyParameters): Accepted<LendingResult> {
  const account = requireAccount(state, op.account, "account");
  const r = requireReserve(state, op.asset, "asset");
  const amount = requireAmount(op.amount, "amount");
  const index = normalizedIncome(state, r);
  const held = r.supplies.get(account.id) ?? 0n;
  const balance = rayMul(held, index);
  if (amount > balance) reject("INSUFFICIENT_BALANCE", `${account.id} has ${balance} ${r.asset} supplied, withdraws ${amount}`);
  if (amount > r.cash) reject("INSUFFICIENT_LIQUIDITY", `reserve ${r.asset} has ${r.cash} available, withdraws ${amount}`);
  const scaled = amount === balance ? held : minBig(rayDiv(amount, index), held);

  // Validate the health factor on a trial mutation, undone before rejecting.
  r.supplies.set(account.id, held - scaled);
  const hf = hasDebt(state, account.id) ? safeAccountData(state, account.id) : undefined;
  restoreScaled(r.supplies, account.id, held);
  if (hf instanceof RejectionBox) throw hf.rejection;
  if (hf !== undefined && hf.healthFactorRay < HEALTH_FACTOR_LIQUIDATION_THRESHOLD_RAY) {
    reject("HEALTH_FACTOR_TOO_LOW", `withdrawal would leave ${account.id} with health factor ${formatRay(hf.healthFactorRay)} < 1`);
  }

  updateState(state, r);
  addScaled(r.supplies, account.id, -scaled);
  r.scaledSupply -= scaled;
  r.cash -= amount;
  credit(state, account, r.asset, amount);
  updateInterestRates(state, r);
  return { status: "accepted", asset: r.asset, amount, balance: rayMul(r.supplies.get(account.id) ?? 0n, r.liquidityIndex) };
}

export const withdrawSupplyOp = defineOp<WithdrawSupplyParameters, WithdrawSupplyReturnType>({
  type: "withdrawSupply",
  kind: "batch",
  fields: [
    req("account", "string"),
    req("asset", "string"),
    req("amount", "amount"),
  ],
  handler: applyWithdrawSupply,
  rejects: withdrawSupplyErrorCodes,
  docs: {
    section: "lending",
    summary: "the file's `withdraw` with an `asset` field is this op",
    result: "`asset`, `amount`, `balance`",
  },
});
