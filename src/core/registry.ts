/**
 * The op registry: one line per op type, with its wire tag. Everything that lists ops derives from it:
 * {@link Op} and {@link OP_TYPES}, the {@link Engine}'s `apply` and per-op methods, the channel codec's
 * field lists and tags (`channel/codec.ts`), the batch permission set (`channel/tentative.ts`), the
 * scenario runner's field validation (`cli/scenario.ts`) and the ops tables of `docs/scenarios.md`
 * (`npm run docs:ops`).
 *
 * Adding an op: write `<family>/ops/<type>.ts` (parameters, result, fields, handler, rejection codes,
 * kind, docs; see any op file) and add its line here with an unused tag. Nothing else changes.
 */
import { invariant } from "./errors.js";
import type { OpDefinition } from "./opSchema.js";
import { createTokenOp } from "./setup/ops/createToken.js";
import { createAccountOp } from "./setup/ops/createAccount.js";
import { advanceTimeOp } from "./setup/ops/advanceTime.js";
import { depositOp } from "./ledger/ops/deposit.js";
import { creditDepositOp } from "./ledger/ops/creditDeposit.js";
import { withdrawOp } from "./ledger/ops/withdraw.js";
import { transferOp } from "./ledger/ops/transfer.js";
import { linkChannelOp } from "./receipts/ops/linkChannel.js";
import { sendReceiptOp } from "./receipts/ops/sendReceipt.js";
import { creditReceiptOp } from "./receipts/ops/creditReceipt.js";
import { createPoolOp } from "./amm/ops/createPool.js";
import { addLiquidityOp } from "./amm/ops/addLiquidity.js";
import { removeLiquidityOp } from "./amm/ops/removeLiquidity.js";
import { swapOp } from "./amm/ops/swap.js";
import { acquireLockOp } from "./amm/ops/acquireLock.js";
import { executeLockOp } from "./amm/ops/executeLock.js";
import { cancelLockOp } from "./amm/ops/cancelLock.js";
import { routeSwapOp } from "./amm/ops/routeSwap.js";
import { setLockPolicyOp } from "./amm/ops/setLockPolicy.js";
import { voteFeeOp } from "./amm/ops/voteFee.js";
import { createMarketOp } from "./orderbook/ops/createMarket.js";
import { placeOrderOp } from "./orderbook/ops/placeOrder.js";
import { marketOrderOp } from "./orderbook/ops/marketOrder.js";
import { cancelOrderOp } from "./orderbook/ops/cancelOrder.js";
import { setPriceOp } from "./oracle/ops/setPrice.js";
import { setPriceConfigOp } from "./oracle/ops/setPriceConfig.js";
import { createReserveOp } from "./lending/ops/createReserve.js";
import { supplyOp } from "./lending/ops/supply.js";
import { withdrawSupplyOp } from "./lending/ops/withdrawSupply.js";
import { borrowOp } from "./lending/ops/borrow.js";
import { repayOp } from "./lending/ops/repay.js";
import { liquidateOp } from "./lending/ops/liquidate.js";
import { createPerpMarketOp } from "./perps/ops/createPerpMarket.js";
import { depositMarginOp } from "./perps/ops/depositMargin.js";
import { withdrawMarginOp } from "./perps/ops/withdrawMargin.js";
import { fundInsuranceOp } from "./perps/ops/fundInsurance.js";
import { openPositionOp } from "./perps/ops/openPosition.js";
import { closePositionOp } from "./perps/ops/closePosition.js";
import { updateFundingRateOp } from "./perps/ops/updateFundingRate.js";
import { settleFundingOp } from "./perps/ops/settleFunding.js";
import { liquidatePositionOp } from "./perps/ops/liquidatePosition.js";

/**
 * Every op type in {@link OP_TYPES} order, with its wire tag (one byte in the binary encoding,
 * `channel/codec.ts`): stable, never reused. Tags 38, 39 and 43..63 are unassigned; 0 and ≥ 65 are
 * free for new ops.
 */
export const OP_REGISTRY = [
  { tag: 1, op: createTokenOp },
  { tag: 2, op: createAccountOp },
  { tag: 3, op: advanceTimeOp },
  { tag: 4, op: depositOp },
  { tag: 64, op: creditDepositOp },
  { tag: 5, op: withdrawOp },
  { tag: 6, op: transferOp },
  { tag: 40, op: linkChannelOp },
  { tag: 41, op: sendReceiptOp },
  { tag: 42, op: creditReceiptOp },
  { tag: 7, op: createPoolOp },
  { tag: 8, op: addLiquidityOp },
  { tag: 9, op: removeLiquidityOp },
  { tag: 10, op: swapOp },
  { tag: 17, op: acquireLockOp },
  { tag: 18, op: executeLockOp },
  { tag: 19, op: cancelLockOp },
  { tag: 20, op: routeSwapOp },
  { tag: 21, op: setLockPolicyOp },
  { tag: 22, op: voteFeeOp },
  { tag: 11, op: createMarketOp },
  { tag: 12, op: placeOrderOp },
  { tag: 13, op: marketOrderOp },
  { tag: 14, op: cancelOrderOp },
  { tag: 15, op: setPriceOp },
  { tag: 16, op: setPriceConfigOp },
  { tag: 23, op: createReserveOp },
  { tag: 24, op: supplyOp },
  { tag: 25, op: withdrawSupplyOp },
  { tag: 26, op: borrowOp },
  { tag: 27, op: repayOp },
  { tag: 28, op: liquidateOp },
  { tag: 29, op: createPerpMarketOp },
  { tag: 30, op: depositMarginOp },
  { tag: 31, op: withdrawMarginOp },
  { tag: 32, op: fundInsuranceOp },
  { tag: 33, op: openPositionOp },
  { tag: 34, op: closePositionOp },
  { tag: 35, op: updateFundingRateOp },
  { tag: 36, op: settleFundingOp },
  { tag: 37, op: liquidatePositionOp },
] as const;

type Definition = (typeof OP_REGISTRY)[number]["op"];

/** Every op the engine applies: a plain object whose `type` names the {@link Engine} method that applies it. */
export type Op = Definition extends OpDefinition<infer P, object> ? P : never;
export type OpType = Op["type"];
/** The op object of type `T` (`OpParameters<"swap">` is `SwapParameters`). */
export type OpParameters<T extends OpType> = Extract<Op, { type: T }>;
/** What an accepted op of type `T` returns besides `status` (`OpReturnType<"swap">` is `SwapReturnType`). */
export type OpReturnType<T extends OpType> = Extract<Definition, { type: T }> extends OpDefinition<OpParameters<T>, infer R> ? R : never;

/** Every op type, in registry order. */
export const OP_TYPES: readonly OpType[] = OP_REGISTRY.map((entry) => entry.op.type);

const BY_TYPE = new Map<string, OpDefinition>();
const BY_TAG = new Map<number, OpDefinition>();
const TAG_OF = new Map<string, number>();
for (const { tag, op } of OP_REGISTRY) {
  // Checked once at load (TIGER_STYLE): a duplicate type or tag, or a tag outside a byte, is a bug.
  invariant(!BY_TYPE.has(op.type), `registry: op type ${op.type} registered twice`);
  invariant(Number.isInteger(tag) && tag >= 1 && tag <= 255 && !BY_TAG.has(tag), `registry: tag ${tag} of ${op.type} is not a free byte`);
  BY_TYPE.set(op.type, op as OpDefinition);
  BY_TAG.set(tag, op as OpDefinition);
  TAG_OF.set(op.type, tag);
}

/** The definition of op type `type`, or undefined for an unknown type. */
export function opDefinition(type: string): OpDefinition | undefined {
  return BY_TYPE.get(type);
}

/** The wire tag of op type `type`, or undefined. */
export function opTag(type: string): number | undefined {
  return TAG_OF.get(type);
}
