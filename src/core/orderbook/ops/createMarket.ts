/**
 * The `createMarket` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAmount, requireId, requireInt, requireToken } from "../../validate.js";
import { MAX_FEE_PPM, newMarket } from "../market.js";

/* ───────────────────────────── order book ───────────────────────────── */

/**
 * Creates a spot market `base`/`quote`.
 *
 * Price and size units: one **lot** is `lotSize` base units of `base`; one **tick** is `tickSize` base
 * units of `quote` per lot. An order of `lots` at `priceTicks` is worth exactly
 * `lots × priceTicks × tickSize` quote base units: no rounding anywhere in matching.
 */
export interface CreateMarketParameters {
  type: "createMarket";
  market: string;
  base: string;
  quote: string;
  lotSize: bigint;
  tickSize: bigint;
  /** Fees in ppm of the quote notional, charged in quote and rounded up. 0..100000 (10%). */
  makerFeePpm: number;
  takerFeePpm: number;
}

/** What an accepted `createMarket` returns besides `status`. */
export type CreateMarketReturnType = { market: string };

/** Every rejection code `createMarket` can return (checked by `test/ops.registry.test.ts`). */
export const createMarketErrorCodes = ["INVALID_OP", "INVALID_AMOUNT", "INVALID_ID", "UNKNOWN_TOKEN", "ALREADY_EXISTS"] as const;
export type CreateMarketErrorType = OpErrorType<typeof createMarketErrorCodes>;

export function applyCreateMarket(state: EngineState, op: CreateMarketParameters): Accepted<{ market: string }> {
  const id = requireId(op.market, "market");
  const base = requireToken(state, op.base, "base");
  const quote = requireToken(state, op.quote, "quote");
  if (base.symbol === quote.symbol) reject("INVALID_OP", "base and quote must be different tokens");
  const lotSize = requireAmount(op.lotSize, "lotSize");
  const tickSize = requireAmount(op.tickSize, "tickSize");
  const makerFeePpm = BigInt(requireInt(op.makerFeePpm, "makerFeePpm", 0, MAX_FEE_PPM));
  const takerFeePpm = BigInt(requireInt(op.takerFeePpm, "takerFeePpm", 0, MAX_FEE_PPM));
  if (state.markets.has(id)) reject("ALREADY_EXISTS", `market ${id} already exists`);

  const market = newMarket({ id, base: base.symbol, quote: quote.symbol, lotSize, tickSize, makerFeePpm, takerFeePpm });
  state.markets.set(id, market);
  state.dirtyMarkets.add(market);
  return { status: "accepted", market: id };
}

export const createMarketOp = defineOp<CreateMarketParameters, CreateMarketReturnType>({
  type: "createMarket",
  kind: "genesis",
  fields: [
    req("market", "string"),
    req("base", "string"),
    req("quote", "string"),
    req("lotSize", "amount"),
    req("tickSize", "amount"),
    req("makerFeePpm", "int"),
    req("takerFeePpm", "int", { doc: "0..100000" }),
  ],
  handler: applyCreateMarket,
  rejects: createMarketErrorCodes,
  docs: {
    section: "core",
    result: "`market`",
  },
});
