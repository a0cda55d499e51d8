/**
 * The `setPriceConfig` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import { MAX_PRICE_AGE_MS, MAX_PRICED_ASSETS } from "../../oracle.js";
import type { Accepted } from "../../results.js";
import { Role } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireId, requireInt } from "../../validate.js";

/** Sets an asset's price staleness limit in ms (Oracle role); default 3,600,000 (1 hour). */
export interface SetPriceConfigParameters {
  type: "setPriceConfig";
  account: string;
  asset: string;
  maxAgeMs: number;
}

/** What an accepted `setPriceConfig` returns besides `status`. */
export type SetPriceConfigReturnType = { asset: string; maxAgeMs: number };

/** Every rejection code `setPriceConfig` can return (checked by `test/ops.registry.test.ts`). */
export const setPriceConfigErrorCodes = ["INVALID_OP", "INVALID_ID", "UNKNOWN_ACCOUNT", "NOT_PERMITTED", "LIMIT_EXCEEDED"] as const;
export type SetPriceConfigErrorType = OpErrorType<typeof setPriceConfigErrorCodes>;

/** `setPriceConfig {account, asset, maxAgeMs}`: the asset's staleness limit; Oracle role only. */
export function applySetPriceConfig(state: EngineState, op: SetPriceConfigParameters): Accepted<{ asset: string; maxAgeMs: number }> {
  requireActor(state, op.account, "account", Role.Oracle, "configure prices");
  const asset = requireId(op.asset, "asset");
  const maxAgeMs = requireInt(op.maxAgeMs, "maxAgeMs", 0, MAX_PRICE_AGE_MS);
  let entry = state.oracle.assets.get(asset);
  if (entry === undefined && state.oracle.assets.size >= MAX_PRICED_ASSETS) {
    reject("LIMIT_EXCEEDED", `at most ${MAX_PRICED_ASSETS} priced assets`);
  }

  if (entry === undefined) {
    entry = { asset, maxAgeMs, reports: new Map() };
    state.oracle.assets.set(asset, entry);
  }
  entry.maxAgeMs = maxAgeMs;
  state.oracle.dirty.add(entry);
  return { status: "accepted", asset, maxAgeMs };
}

export const setPriceConfigOp = defineOp<SetPriceConfigParameters, SetPriceConfigReturnType>({
  type: "setPriceConfig",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "Oracle role" }),
    req("asset", "string"),
    req("maxAgeMs", "int", { doc: "staleness limit in ms, 0..31536000000; default 3600000" }),
  ],
  handler: applySetPriceConfig,
  rejects: setPriceConfigErrorCodes,
  docs: {
    section: "core",
    result: "`asset`, `maxAgeMs`",
  },
});
