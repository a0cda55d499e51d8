/**
 * Orders on perp markets: `placeOrder` / `marketOrder` given a perp market id (the engine routes them
 * here), and the convenience ops `openPosition` / `closePosition` (marketable IOC orders).
 *
 * Same book and the same rules as the spot order book (`orderbook/matching.ts`): price-time priority,
 * fills at the maker's price, GTC/IOC/FOK, post-only, self-trade prevention, maker/taker fees in ppm
 * of the notional rounded up into `protocolFees`, order ids from `state.nextOrderId`. What differs is
 * settlement and the collateral check (dYdX V4 x/clob + x/subaccounts):
 *
 * - A fill of `k` lots at `p` ticks moves `k` lots of position from seller to buyer and `k·p·tickSize`
 *   of quote balance Q from buyer to seller; fees come out of Q (and out of the module's vault into
 *   `protocolFees`). Nothing is reserved for resting orders.
 * - **Placement check (worst case):** the order is rejected unless, had it filled completely at its
 *   limit price and paid the highest fee it could (GTC: max(maker, taker); otherwise taker; per lot,
 *   rounded up, which bounds the per-fill rounding), the
 *   account's free collateral would be ≥ 0 — or the order only reduces the position and does not lower
 *   free collateral. Free collateral is equity − Σ|S|·P·max(IMF, 1/maxLeverage) at the index price
 *   (`margin.ts`). Rejected `INSUFFICIENT_MARGIN` if it fails with the market IMF alone,
 *   `LEVERAGE_EXCEEDED` if only the leverage cap fails. Partial fills cannot do worse than that:
 *   free collateral is concave in the filled amount (buying walks up the book, |S| is convex), so its
 *   minimum over partial fills is at none or all.
 * - **Match-time check (makers):** a resting order is checked again, for the fill at hand, when it is
 *   matched (prices and its account may have changed since placement). One that fails is cancelled and
 *   matching goes on (dYdX removes undercollateralized maker orders the same way); its id is listed in
 *   `undercollateralizedCancelled`.
 */
import { reject } from "../errors.js";
import { collectFee } from "../ledger.js";
import { feeUp, PPM } from "../math.js";
import { MAX_LEVELS_PER_SIDE, MAX_LOTS, MAX_ORDERS_PER_ACCOUNT, MAX_ORDERS_PER_MARKET, MAX_PRICE_TICKS, touchLevel } from "../orderbook/book.js";
import { fokFillable, newResult, removeResting, rest, statusOf, type PlacedOrder } from "../orderbook/matching.js";
import type { MarketOrderOp, PlaceOrderOp, SelfTradePrevention, Side, TimeInForce } from "../ops.js";
import type { Accepted, OrderResult } from "../results.js";
import { TRADING_ROLES } from "../roles.js";
import type { Account, EngineState } from "../state.js";
import { optionalBoolean, requireActor, requireInt, requireOneOf } from "../validate.js";
import { ceilDivSigned, tradeCheck, type PriceLookup } from "./margin.js";
import { addQuote, addVault, perpAccountFor, setPosition } from "./market.js";
import { indexPrice, priceCache } from "./price.js";
import type { PerpAccount, PerpMarket } from "./state.js";

/** Largest |position| in lots (keeps every lot count a safe integer). */
export const MAX_POSITION_LOTS = 1_000_000_000_000;
/** Default slippage of `openPosition`/`closePosition` without `worstPriceTicks`: 5% of the index. */
export const DEFAULT_SLIPPAGE_PPM = 50_000n;

/** Result of an order on a perp market: the spot {@link OrderResult} plus perp fields. */
export interface PerpOrderResult extends OrderResult {
  /** Resting orders of other accounts cancelled at match time for failing their collateral check. */
  undercollateralizedCancelled: number[];
  /** The taker's position in the market after the op, lots (long > 0). */
  position: number;
}

const TIME_IN_FORCE: readonly TimeInForce[] = ["GTC", "IOC", "FOK"];
const STP_MODES: readonly SelfTradePrevention[] = ["cancelTaker", "cancelMaker", "cancelBoth"];

/** The perp market named `id`, if any (the engine routes order ops with this). */
export function perpMarketOf(state: EngineState, id: unknown): PerpMarket | undefined {
  return typeof id === "string" ? state.perps.markets.get(id) : undefined;
}

interface OrderSpec {
  account: Account;
  market: PerpMarket;
  isBuy: boolean;
  limitTicks: number;
  lots: number;
  tif: TimeInForce;
  postOnly: boolean;
  stp: SelfTradePrevention;
}

/** `placeOrder` on a perp market. Shape and rejections as spot `placeOrder`, plus the margin codes. */
export function applyPerpPlaceOrder(state: EngineState, op: PlaceOrderOp): Accepted<PerpOrderResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "trade");
  const market = perpMarketOf(state, op.market)!;
  const isBuy = requireSide(op.side);
  const limitTicks = requireInt(op.priceTicks, "priceTicks", 1, MAX_PRICE_TICKS, "INVALID_PRICE");
  const lots = requireInt(op.lots, "lots", 1, MAX_LOTS, "INVALID_SIZE");
  const tif = op.timeInForce === undefined ? "GTC" : requireOneOf(op.timeInForce, "timeInForce", TIME_IN_FORCE);
  const postOnly = optionalBoolean(op.postOnly, "postOnly");
  if (postOnly && tif !== "GTC") reject("INVALID_OP", "postOnly is only allowed with timeInForce GTC");
  const stp = requireStp(op.selfTradePrevention);
  return perpOrder(state, { account, market, isBuy, limitTicks, lots, tif, postOnly, stp });
}

/** `marketOrder` on a perp market: IOC up to `worstPriceTicks`. */
export function applyPerpMarketOrder(state: EngineState, op: MarketOrderOp): Accepted<PerpOrderResult> {
  const account = requireActor(state, op.account, "account", TRADING_ROLES, "trade");
  const market = perpMarketOf(state, op.market)!;
  const isBuy = requireSide(op.side);
  const lots = requireInt(op.lots, "lots", 1, MAX_LOTS, "INVALID_SIZE");
  const limitTicks = requireInt(op.worstPriceTicks, "worstPriceTicks", 1, MAX_PRICE_TICKS, "INVALID_PRICE");
  const stp = requireStp(op.selfTradePrevention);
  return perpOrder(state, { account, market, isBuy, limitTicks, lots, tif: "IOC", postOnly: false, stp });
}

/** Validates the margin, crossing and limits of an order, then matches it (and rests a GTC remainder). */
export function perpOrder(state: EngineState, o: OrderSpec): Accepted<PerpOrderResult> {
  const { account, market, isBuy, limitTicks, lots, tif, postOnly, stp } = o;
  const book = market.book;
  const prices = priceCache(state, market, indexPrice(state, market)); // STALE_PRICE / UNKNOWN_PRICE first
  const pa = state.perps.accounts.get(account.id);
  const position = market.positions.get(account) ?? 0;
  const newLots = position + (isBuy ? lots : -lots);
  if (Math.abs(newLots) > MAX_POSITION_LOTS) reject("LIMIT_EXCEEDED", `position would exceed ${MAX_POSITION_LOTS} lots`);

  const mayRest = tif === "GTC";
  const lotNotional = BigInt(limitTicks) * book.tickSize;
  const notional = BigInt(lots) * lotNotional;
  // Fees are rounded up per fill; ⌈k·p·f⌉ ≤ k·⌈p·f⌉, so lots × the per-lot fee at the limit bounds them all.
  const fee = BigInt(lots) * feeUp(lotNotional, mayRest ? book.maxFeePpm : book.takerFeePpm);
  const quoteDelta = isBuy ? -(notional + fee) : notional - fee;
  const check = tradeCheck(state.perps, pa, market, newLots, quoteDelta, prices);
  if (check === "price") reject("STALE_PRICE", `${account.id}: an index price of another open position is unavailable`);
  if (check === "margin") {
    reject("INSUFFICIENT_MARGIN", `${account.id}: ${o.isBuy ? "buy" : "sell"} ${lots} lots at ${limitTicks} would leave free collateral below 0`);
  }
  if (check === "leverage") {
    reject("LEVERAGE_EXCEEDED", `${account.id}: ${o.isBuy ? "buy" : "sell"} ${lots} lots at ${limitTicks} would exceed ${market.maxLeverage}x leverage`);
  }

  const opposite = isBuy ? book.asks : book.bids;
  const best = opposite.best();
  const crosses = best !== undefined && (isBuy ? best.priceTicks <= limitTicks : best.priceTicks >= limitTicks);
  if (postOnly && crosses) reject("POST_ONLY_WOULD_CROSS", `post-only order at ${limitTicks} would cross the best price ${best!.priceTicks}`);
  if (tif === "FOK" && !(crosses && fokFillable(book, opposite, account, isBuy, limitTicks, lots, stp))) {
    reject("FOK_NOT_FILLABLE", `fill-or-kill of ${lots} lots at ${limitTicks} cannot be filled completely`);
  }
  const own = isBuy ? book.bids : book.asks;
  const level = own.levels.get(limitTicks);
  if (mayRest) {
    if (book.orders.size >= MAX_ORDERS_PER_MARKET) reject("LIMIT_EXCEEDED", `market ${market.id} has the maximum ${MAX_ORDERS_PER_MARKET} resting orders`);
    if ((book.ordersPerAccount.get(account)?.n ?? 0) >= MAX_ORDERS_PER_ACCOUNT) {
      reject("LIMIT_EXCEEDED", `${account.id} has the maximum ${MAX_ORDERS_PER_ACCOUNT} resting orders in ${market.id}`);
    }
    if (own.liveLevels >= MAX_LEVELS_PER_SIDE && (level === undefined || level.count === 0)) {
      reject("LIMIT_EXCEEDED", `${market.id} has the maximum ${MAX_LEVELS_PER_SIDE} price levels on this side`);
    }
  }

  // ── no rejection below this line ──
  const result: PlacedOrder & PerpOrderResult = { ...newResult(state.nextOrderId++), undercollateralizedCancelled: [], position };
  state.dirtyMarkets.add(book);
  const taker = perpAccountFor(state.perps, account);
  const { remaining, stoppedBySelfTrade } = crosses ? matchPerp(state, market, taker, isBuy, limitTicks, lots, stp, result, prices) : { remaining: lots, stoppedBySelfTrade: false };
  if (remaining > 0) {
    if (mayRest && !stoppedBySelfTrade) {
      rest(state, book, account, result.orderId, isBuy, limitTicks, remaining, 0n, BigInt(limitTicks) * book.tickSize);
      result.restingLots = remaining;
    } else {
      result.cancelledLots = remaining;
    }
  }
  result.orderStatus = statusOf(result, lots);
  result.position = market.positions.get(account) ?? 0;
  return result;
}

/**
 * How a liquidation drives {@link matchPerp}: its order pays no taker fee (the penalty replaces it);
 * `mayFill(lots, quote)` runs before each fill (false stops matching), `onFill` after it.
 */
export interface LiquidationHooks {
  mayFill(k: number, quote: bigint): boolean;
  onFill(k: number, quote: bigint): void;
}

/**
 * Matches an incoming perp order against the book while it crosses `limitTicks` (price-time
 * priority, maker's price), settling each fill into positions and quote balances. Used by orders and
 * by liquidations (`perps/liquidation.ts`, with `onFill` deciding each fill). Never rejects.
 */
export function matchPerp(
  state: EngineState,
  market: PerpMarket,
  taker: PerpAccount,
  isBuy: boolean,
  limitTicks: number,
  lots: number,
  stp: SelfTradePrevention,
  result: PlacedOrder & { undercollateralizedCancelled: number[] },
  prices: PriceLookup,
  liquidation?: LiquidationHooks,
): { remaining: number; stoppedBySelfTrade: boolean } {
  const book = market.book;
  const takerFeePpm = liquidation === undefined ? book.takerFeePpm : 0n;
  const side = isBuy ? book.asks : book.bids;
  let remaining = lots;
  let stoppedBySelfTrade = false;
  while (remaining > 0) {
    const level = side.best();
    if (level === undefined || (isBuy ? level.priceTicks > limitTicks : level.priceTicks < limitTicks)) break;
    const maker = level.head!;
    if (maker.account === taker.account) {
      if (stp === "cancelTaker") {
        stoppedBySelfTrade = true;
        break;
      }
      result.selfTradeCancelled.push(maker.id);
      removeResting(state, book, maker);
      if (stp === "cancelBoth") {
        stoppedBySelfTrade = true;
        break;
      }
      continue;
    }
    const k = remaining < maker.lots ? remaining : maker.lots;
    const quote = BigInt(k) * level.lotNotional;
    const makerFee = book.makerFeePpm === 0n ? 0n : feeUp(quote, book.makerFeePpm);
    const takerFee = takerFeePpm === 0n ? 0n : feeUp(quote, takerFeePpm);
    // Match-time collateral check of the maker, for this fill.
    const makerPa = state.perps.accounts.get(maker.account.id);
    const makerPos = market.positions.get(maker.account) ?? 0;
    const makerNew = makerPos + (isBuy ? -k : k);
    const makerDelta = isBuy ? quote - makerFee : -(quote + makerFee);
    if (Math.abs(makerNew) > MAX_POSITION_LOTS || tradeCheck(state.perps, makerPa, market, makerNew, makerDelta, prices) !== "ok") {
      result.undercollateralizedCancelled.push(maker.id);
      removeResting(state, book, maker);
      continue;
    }
    if (liquidation !== undefined && !liquidation.mayFill(k, quote)) break;

    const mpa = perpAccountFor(state.perps, maker.account);
    setPosition(state.perps, market, mpa, makerNew);
    addQuote(state.perps, mpa, market.quote, makerDelta);
    const takerPos = market.positions.get(taker.account) ?? 0;
    setPosition(state.perps, market, taker, takerPos + (isBuy ? k : -k));
    addQuote(state.perps, taker, market.quote, isBuy ? -(quote + takerFee) : quote - takerFee);
    const fees = makerFee + takerFee;
    if (fees > 0n) {
      collectFee(state, market.quote, fees);
      addVault(state.perps, market.quote, -fees);
    }
    result.fills.push({
      makerOrderId: maker.id,
      maker: maker.account.id,
      priceTicks: maker.priceTicks,
      lots: k,
      baseAmount: BigInt(k) * book.lotSize,
      quoteAmount: quote,
      makerFee,
      takerFee,
    });
    liquidation?.onFill(k, quote);
    remaining -= k;
    if (k === maker.lots) {
      removeResting(state, book, maker);
    } else {
      maker.lots -= k;
      level.totalLots -= k;
      touchLevel(level);
    }
  }
  result.filledLots = lots - remaining;
  return { remaining, stoppedBySelfTrade };
}

/* ───────────────────────────── validation helpers ───────────────────────────── */

export function requirePerpMarket(state: EngineState, value: unknown): PerpMarket {
  const market = perpMarketOf(state, value);
  if (market === undefined) reject("UNKNOWN_MARKET", `market: unknown perp market ${String(value)}`);
  return market;
}

export function requireSide(value: unknown): boolean {
  if (value === "buy") return true;
  if (value === "sell") return false;
  return reject("INVALID_OP", "side must be one of buy, sell");
}

export function requireStp(value: unknown): SelfTradePrevention {
  return value === undefined ? "cancelTaker" : requireOneOf(value, "selfTradePrevention", STP_MODES);
}

/** `worstPriceTicks`, or the index price ± {@link DEFAULT_SLIPPAGE_PPM} rounded outward to a tick. */
export function worstPrice(state: EngineState, market: PerpMarket, isBuy: boolean, given: unknown): number {
  if (given !== undefined) return requireInt(given, "worstPriceTicks", 1, MAX_PRICE_TICKS, "INVALID_PRICE");
  const p = indexPrice(state, market);
  const den = p.den * market.tickSize * PPM;
  const ticks = isBuy ? ceilDivSigned(p.num * (PPM + DEFAULT_SLIPPAGE_PPM), den) : (p.num * (PPM - DEFAULT_SLIPPAGE_PPM)) / den;
  const clamped = ticks < 1n ? 1n : ticks > BigInt(MAX_PRICE_TICKS) ? BigInt(MAX_PRICE_TICKS) : ticks;
  return Number(clamped);
}

export type { Side };
