/**
 * The `setPrice` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { SetPriceResult } from "../../oracle.js";
import { DEFAULT_MAX_PRICE_AGE_MS, MAX_ORACLES_PER_ASSET, MAX_PRICED_ASSETS, priceInfo, requirePrice } from "../../oracle.js";
import type { Accepted } from "../../results.js";
import { Role } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireId } from "../../validate.js";

/* ───────────────────────────── oracle ───────────────────────────── */

/**
 * An oracle's price report (Oracle role). `price` is in base-currency units with 8 decimals per whole
 * asset (Aave V3's USD·1e8): 2,241.37 USD per WETH is `224137000000n`. See `oracle.ts`.
 */
export interface SetPriceParameters {
  type: "setPrice";
  account: string;
  /** Asset id: a token symbol, or any id such as a perpetual market's index ("ETH-USD"). */
  asset: string;
  price: bigint;
}

/** What an accepted `setPrice` returns besides `status`. */
export type SetPriceReturnType = SetPriceResult;

/** Every rejection code `setPrice` can return (checked by `test/ops.registry.test.ts`). */
export const setPriceErrorCodes = [
  "INVALID_OP",
  "INVALID_ID",
  "UNKNOWN_ACCOUNT",
  "NOT_PERMITTED",
  "INVALID_PRICE",
  "LIMIT_EXCEEDED",
  "STALE_PRICE",
  "UNKNOWN_PRICE",
] as const;
export type SetPriceErrorType = OpErrorType<typeof setPriceErrorCodes>;

/** `setPrice {account, asset, price}`: records `account`'s report; Oracle role only. */
export function applySetPrice(state: EngineState, op: SetPriceParameters): Accepted<SetPriceResult> {
  const oracle = requireActor(state, op.account, "account", Role.Oracle, "report prices");
  const asset = requireId(op.asset, "asset");
  const price = requirePrice(op.price, "price");
  let entry = state.oracle.assets.get(asset);
  if (entry === undefined && state.oracle.assets.size >= MAX_PRICED_ASSETS) {
    reject("LIMIT_EXCEEDED", `at most ${MAX_PRICED_ASSETS} priced assets`);
  }
  if (entry !== undefined && !entry.reports.has(oracle.id) && entry.reports.size >= MAX_ORACLES_PER_ASSET) {
    reject("LIMIT_EXCEEDED", `at most ${MAX_ORACLES_PER_ASSET} oracles per asset`);
  }

  if (entry === undefined) {
    entry = { asset, maxAgeMs: DEFAULT_MAX_PRICE_AGE_MS, reports: new Map() };
    state.oracle.assets.set(asset, entry);
  }
  entry.reports.set(oracle.id, { price, timeMs: state.timeMs });
  state.oracle.dirty.add(entry);
  const info = priceInfo(state, asset);
  return { status: "accepted", asset, price: info.price as bigint, oracles: info.oracles };
}

export const setPriceOp = defineOp<SetPriceParameters, SetPriceReturnType>({
  type: "setPrice",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "Oracle role" }),
    req("asset", "string", { doc: "token symbol or any id" }),
    req("price", "amount", { doc: "amount string: base-currency units with **8 decimals per whole asset**, Aave V3's USD·1e8; 2,241.37 USD/WETH = `\"224137000000\"`" }),
  ],
  handler: applySetPrice,
  rejects: setPriceErrorCodes,
  docs: {
    section: "core",
    result: "`asset`, `price` (median after this report), `oracles` (fresh reports in it)",
  },
});
