/**
 * The `createPerpMarket` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { PPM } from "../../math.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import { PRICE_UNIT } from "../../oracle.js";
import { MAX_FEE_PPM, newMarket } from "../../orderbook/market.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireAmount, requireId, requireInt, requireToken } from "../../validate.js";
import {
  DEFAULT_LIQUIDATION_FEE_PPM,
  FUNDING_CLAMP_FACTOR,
  gcd,
  IMPACT_NOTIONAL_WHOLE_QUOTE,
  markMarket,
  MAX_LEVERAGE,
  MAX_PERP_MARKETS,
  PREMIUM_CLAMP_FACTOR,
} from "../market.js";
import type { PerpMarket } from "../state.js";

/**
 * Creates a perpetual market with its own order book.
 *
 * One lot is `lotSize` base units of the asset (whose whole unit has `assetDecimals`); one tick is
 * `tickSize` base units of `quote` per lot, so `lots` at `priceTicks` is worth `lots × priceTicks ×
 * tickSize` quote base units. The index price is the oracle price of `asset`.
 */
export interface CreatePerpMarketParameters {
  type: "createPerpMarket";
  market: string;
  /** Collateral token (USDC). Valued at 1 USD per whole token. */
  quote: string;
  /** Oracle asset id of the index price ("ETH-USD", "WETH"). */
  asset: string;
  /** Decimals of one whole asset, 0..36 (ETH: 18). */
  assetDecimals: number;
  lotSize: bigint;
  tickSize: bigint;
  /** Initial margin fraction, ppm, 1..1000000 (dYdX large-cap: 50000 = 5%). */
  imfPpm: number;
  /** Maintenance margin fraction, ppm of notional, 1..imfPpm (dYdX large-cap: 30000 = 3%). */
  mmfPpm: number;
  /** Leverage cap of the channel rules, 1..1000 (×). The check uses max(IMF, 1/maxLeverage). */
  maxLeverage: number;
  /** Trading fees, ppm of notional, rounded up, 0..100000. */
  makerFeePpm: number;
  takerFeePpm: number;
  /** Max liquidation penalty, ppm of the closed notional; default 15000 (dYdX 1.5%). */
  liquidationFeePpm?: number;
  /** Impact notional for funding samples, quote base units; default 500 whole quote tokens / IMF (dYdX). */
  impactNotional?: bigint;
}

/** What an accepted `createPerpMarket` returns besides `status`. */
export type CreatePerpMarketReturnType = { market: string };

/** Every rejection code `createPerpMarket` can return (checked by `test/ops.registry.test.ts`). */
export const createPerpMarketErrorCodes = ["INVALID_OP", "INVALID_AMOUNT", "INVALID_ID", "UNKNOWN_TOKEN", "ALREADY_EXISTS", "LIMIT_EXCEEDED"] as const;
export type CreatePerpMarketErrorType = OpErrorType<typeof createPerpMarketErrorCodes>;

/**
 * Handler of `createPerpMarket`.
 *
 * Rejects: INVALID_ID, UNKNOWN_TOKEN (quote), INVALID_OP (decimals, ppm fields out of range, MMF > IMF,
 * maxLeverage), INVALID_AMOUNT (lotSize, tickSize, impactNotional), ALREADY_EXISTS (id taken by a spot
 * or perp market), LIMIT_EXCEEDED.
 */
export function applyCreatePerpMarket(state: EngineState, op: CreatePerpMarketParameters): Accepted<{ market: string }> {
  const id = requireId(op.market, "market");
  const quote = requireToken(state, op.quote, "quote");
  const asset = requireId(op.asset, "asset");
  const assetDecimals = requireInt(op.assetDecimals, "assetDecimals", 0, 36);
  const lotSize = requireAmount(op.lotSize, "lotSize");
  const tickSize = requireAmount(op.tickSize, "tickSize");
  const imfPpm = BigInt(requireInt(op.imfPpm, "imfPpm", 1, 1_000_000));
  const mmfPpm = BigInt(requireInt(op.mmfPpm, "mmfPpm", 1, Number(imfPpm)));
  const maxLeverage = requireInt(op.maxLeverage, "maxLeverage", 1, MAX_LEVERAGE);
  const makerFeePpm = BigInt(requireInt(op.makerFeePpm, "makerFeePpm", 0, MAX_FEE_PPM));
  const takerFeePpm = BigInt(requireInt(op.takerFeePpm, "takerFeePpm", 0, MAX_FEE_PPM));
  const liquidationFeePpm = BigInt(
    op.liquidationFeePpm === undefined ? DEFAULT_LIQUIDATION_FEE_PPM : requireInt(op.liquidationFeePpm, "liquidationFeePpm", 0, 1_000_000),
  );
  const impactNotional =
    op.impactNotional === undefined
      ? (IMPACT_NOTIONAL_WHOLE_QUOTE * 10n ** BigInt(quote.decimals) * PPM) / imfPpm
      : requireAmount(op.impactNotional, "impactNotional");
  if (state.markets.has(id)) reject("ALREADY_EXISTS", `market ${id} already exists`);
  if (state.perps.markets.size >= MAX_PERP_MARKETS) reject("LIMIT_EXCEEDED", `at most ${MAX_PERP_MARKETS} perp markets`);

  const leverageImf = (PPM + BigInt(maxLeverage) - 1n) / BigInt(maxLeverage); // ⌈1e6 / maxLeverage⌉
  const scaleNum = lotSize * 10n ** BigInt(quote.decimals);
  const scaleDen = 10n ** BigInt(assetDecimals) * PRICE_UNIT;
  const g = gcd(scaleNum, scaleDen);
  const book = newMarket({ id, base: asset, quote: quote.symbol, lotSize, tickSize, makerFeePpm, takerFeePpm });
  const market: PerpMarket = {
    id,
    quote: quote.symbol,
    asset,
    lotSize,
    assetDecimals,
    priceScaleNum: scaleNum / g,
    priceScaleDen: scaleDen / g,
    tickSize,
    imfPpm,
    mmfPpm,
    maxLeverage,
    effectiveImfPpm: imfPpm > leverageImf ? imfPpm : leverageImf,
    liquidationFeePpm,
    impactNotional,
    premiumClampPpm: PREMIUM_CLAMP_FACTOR * (imfPpm - mmfPpm),
    fundingClampPpm: FUNDING_CLAMP_FACTOR * (imfPpm - mmfPpm),
    book,
    positions: new Map(),
    samples: [],
    lastSampleMs: -1,
    lastFundingMs: state.timeMs,
    lastFundingRatePpm: 0n,
    openInterestLots: 0,
  };
  state.markets.set(id, book);
  state.dirtyMarkets.add(book);
  state.perps.markets.set(id, market);
  markMarket(state.perps, market);
  return { status: "accepted", market: id };
}

export const createPerpMarketOp = defineOp<CreatePerpMarketParameters, CreatePerpMarketReturnType>({
  type: "createPerpMarket",
  kind: "genesis",
  fields: [
    req("market", "string", { doc: "id; unique among spot and perp markets" }),
    req("quote", "string", { doc: "collateral token" }),
    req("asset", "string", { doc: "oracle asset id" }),
    req("assetDecimals", "int", { doc: "0..36" }),
    req("lotSize", "amount", { doc: "asset base units per lot" }),
    req("tickSize", "amount", { doc: "collateral base units per lot per tick" }),
    req("imfPpm", "int", { doc: "initial margin fraction, 1..1000000" }),
    req("mmfPpm", "int", { doc: "maintenance margin fraction of notional, 1..imfPpm" }),
    req("maxLeverage", "int", { doc: "channel leverage cap, ×, 1..1000" }),
    req("makerFeePpm", "int"),
    req("takerFeePpm", "int", { doc: "0..100000, of notional, rounded up" }),
    opt("liquidationFeePpm", "int", { doc: "max penalty, default 15000 = 1.5%" }),
    opt("impactNotional", "amount", { doc: "collateral base units, default 500 whole tokens / IMF" }),
  ],
  handler: applyCreatePerpMarket,
  rejects: createPerpMarketErrorCodes,
  docs: {
    section: "perps",
    result: "`market`",
  },
});
