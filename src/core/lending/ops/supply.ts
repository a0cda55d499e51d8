/**
 * The `supply` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { debit } from "../../ledger.js";
import { MAX_AMOUNT } from "../../math.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireAmount, requireFree } from "../../validate.js";
import { rayDiv, rayMul } from "../math.js";
import type { LendingResult } from "../pool.js";
import { addScaled, normalizedIncome, requireReserve, updateInterestRates, updateState } from "../pool.js";

/** Supplies `amount` of `asset` from the free balance into the reserve (Aave `supply`). */
export interface SupplyParameters {
  type: "supply";
  account: string;
  asset: string;
  amount: bigint;
}

/** What an accepted `supply` returns besides `status`. */
export type SupplyReturnType = LendingResult;

/** Every rejection code `supply` can return (checked by `test/ops.registry.test.ts`). */
export const supplyErrorCodes = [
  "INVALID_OP",
  "INVALID_AMOUNT",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
  "OVERFLOW",
  "UNKNOWN_RESERVE",
  "CAP_EXCEEDED",
] as const;
export type SupplyErrorType = OpErrorType<typeof supplyErrorCodes>;

/** `supply`: SupplyLogic.executeSupply. Rejects CAP_EXCEEDED above the supply cap. */
export function applySupply(state: EngineState, op: SupplyParameters): Accepted<LendingResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "supply");
  const r = requireReserve(state, op.asset, "asset");
  const amount = requireAmount(op.amount, "amount");
  requireFree(account, r.asset, amount);
  const index = normalizedIncome(state, r);
  const scaled = rayDiv(amount, index);
  if (scaled === 0n) reject("INVALID_AMOUNT", "amount is below one scaled unit (Aave INVALID_MINT_AMOUNT)");
  if (r.supplyCap !== 0n && rayMul(r.scaledSupply, index) + amount > r.supplyCap) {
    reject("CAP_EXCEEDED", `supply of ${amount} would exceed the ${r.asset} supply cap ${r.supplyCap}`);
  }
  if (r.cash + amount > MAX_AMOUNT) reject("OVERFLOW", "reserve cash would exceed 2^128-1");

  updateState(state, r);
  debit(state, account, r.asset, amount);
  r.cash += amount;
  addScaled(r.supplies, account.id, scaled);
  r.scaledSupply += scaled;
  updateInterestRates(state, r);
  return { status: "accepted", asset: r.asset, amount, balance: rayMul(r.supplies.get(account.id) ?? 0n, r.liquidityIndex) };
}

export const supplyOp = defineOp<SupplyParameters, SupplyReturnType>({
  type: "supply",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "Trader/MarketMaker" }),
    req("asset", "string"),
    req("amount", "amount", { doc: "from the free balance into the reserve" }),
  ],
  handler: applySupply,
  rejects: supplyErrorCodes,
  docs: {
    section: "lending",
    result: "`asset`, `amount`, `balance` (supply balance after)",
  },
});
