/**
 * Matching: the handlers of `placeOrder`, `marketOrder` and `cancelOrder`.
 *
 * Rules (DESIGN §2):
 * - Price-time priority; a fill executes at the resting (maker) order's price.
 * - Fees are ppm of the fill's quote notional, charged in quote, each rounded UP per fill (in the
 *   protocol's favour) and collected into `state.protocolFees`. The taker buyer pays notional +
 *   takerFee and receives base; the taker seller gives base and receives notional − takerFee; makers
 *   likewise with makerFee.
 * - Funds are reserved at placement. A sell reserves `lots × lotSize` base. A buy that may rest (GTC)
 *   reserves `lots × perLot` quote with `perLot = p + ⌈p × maxFeePpm / 1e6⌉`, `p = priceTicks ×
 *   tickSize`, `maxFeePpm = max(maker, taker)`. Each fill of k lots at a price p' ≤ p costs
 *   `k·p' + ⌈k·p'·fee/1e6⌉ ≤ k·perLot` (because ⌈n·x⌉ ≤ n·⌈x⌉), so the reservation always covers the
 *   remaining lots (asserted with `invariant` after every fill); what is left when the order leaves the
 *   book (fee rounding dust) is released. An incoming order that never rests (IOC, FOK, market) needs
 *   only the taker fee: it must have `lots × (p + ⌈p × takerFeePpm / 1e6⌉)` quote free (p at its limit
 *   or worst price), and pays its fills straight from its free balance.
 * - Every check happens before the first mutation, so a rejected op changes nothing: balance,
 *   limits (see `book.ts`; a GTC order is checked against the resting-order limits before matching,
 *   even if it would then fill completely), post-only crossing and fill-or-kill fillability.
 * - Order ids: `state.nextOrderId`, taken (and incremented) by every *accepted* `placeOrder` and
 *   `marketOrder`, including IOC, FOK and market orders that never rest. Rejected ops take no id.
 * - Self-trade prevention, when the next resting order to match belongs to the taker's account:
 *   `cancelTaker` (default) stops matching and cancels the taker's remainder (a GTC order then does
 *   not rest); `cancelMaker` cancels that resting order (releasing its reservation) and goes on;
 *   `cancelBoth` cancels the resting order and the taker's remainder.
 *
 * Results: see {@link PlacedOrder}.
 */
import { invariant, reject } from "../errors.js";
import { collectFee, credit, debit, release, reserve, spendReserved } from "../ledger.js";
import { feeUp } from "../math.js";
import type { MarketOrderOp, PlaceOrderOp, SelfTradePrevention, TimeInForce } from "../ops.js";
import type { Accepted, OrderResult, OrderStatus } from "../results.js";
import { TRADING_ROLES } from "../roles.js";
import type { Account, EngineState } from "../state.js";
import { optionalBoolean, requireActor, requireFree, requireInt, requireOneOf } from "../validate.js";
import {
  DETACHED,
  MAX_LEVELS_PER_SIDE,
  MAX_LOTS,
  MAX_ORDERS_PER_ACCOUNT,
  MAX_ORDERS_PER_MARKET,
  MAX_PRICE_TICKS,
  touchLevel,
  type BookSide,
  type Order,
} from "./book.js";
import { requireMarket, type Market } from "./market.js";

/**
 * Result of an accepted `placeOrder` / `marketOrder` ({@link OrderResult}).
 *
 * `orderStatus`: "filled" (all lots filled), "resting" (nothing filled, all lots rest),
 * "partiallyFilled" (some filled; the rest rests or was cancelled), "cancelled" (nothing filled and
 * nothing rests: IOC/market without liquidity, or self-trade prevention).
 */
export type PlacedOrder = Accepted<OrderResult>;

const TIME_IN_FORCE: readonly TimeInForce[] = ["GTC", "IOC", "FOK"];
const STP_MODES: readonly SelfTradePrevention[] = ["cancelTaker", "cancelMaker", "cancelBoth"];

/** The acting account: exists and may trade. Fast path for a known id (validated at creation). */
export function requireTrader(state: EngineState, value: unknown): Account {
  const account = typeof value === "string" ? state.accounts.get(value) : undefined;
  if (account !== undefined && (account.roles & TRADING_ROLES) !== 0) return account;
  return requireActor(state, value, "account", TRADING_ROLES, "trade");
}

function requireSide(value: unknown): boolean {
  if (value === "buy") return true;
  if (value === "sell") return false;
  return reject("INVALID_OP", "side must be one of buy, sell");
}

function requireStp(value: unknown): SelfTradePrevention {
  return value === undefined ? "cancelTaker" : requireOneOf(value, "selfTradePrevention", STP_MODES);
}

/**
 * Handler of `placeOrder`: a limit order (GTC, IOC, FOK; GTC may be post-only).
 *
 * Shape: `{account, market, side, priceTicks (1..1e12), lots (1..1e9), timeInForce?, postOnly?,
 * selfTradePrevention?}`; returns {@link PlacedOrder} (fills in match order, amounts in base units).
 *
 * Rejects (state unchanged): UNKNOWN_ACCOUNT / INVALID_ID / NOT_PERMITTED (actor), UNKNOWN_MARKET,
 * INVALID_OP (side, timeInForce, postOnly not GTC, selfTradePrevention), INVALID_PRICE, INVALID_SIZE,
 * INSUFFICIENT_BALANCE (free balance below the reservation, see the module doc), LIMIT_EXCEEDED (GTC:
 * market/account order limit or side level limit), POST_ONLY_WOULD_CROSS, FOK_NOT_FILLABLE (not
 * completely fillable now, counting only liquidity the self-trade mode lets it take).
 */
export function applyPlaceOrder(state: EngineState, op: PlaceOrderOp): PlacedOrder {
  const account = requireTrader(state, op.account);
  const market = requireMarket(state, op.market);
  const isBuy = requireSide(op.side);
  const priceTicks = requireInt(op.priceTicks, "priceTicks", 1, MAX_PRICE_TICKS, "INVALID_PRICE");
  const lots = requireInt(op.lots, "lots", 1, MAX_LOTS, "INVALID_SIZE");
  const tif = op.timeInForce === undefined ? "GTC" : requireOneOf(op.timeInForce, "timeInForce", TIME_IN_FORCE);
  const postOnly = optionalBoolean(op.postOnly, "postOnly");
  if (postOnly && tif !== "GTC") reject("INVALID_OP", "postOnly is only allowed with timeInForce GTC");
  const stp = requireStp(op.selfTradePrevention);

  const mayRest = tif === "GTC";
  const own = isBuy ? market.bids : market.asks;
  const level = own.levels.get(priceTicks);
  let lotNotional: bigint;
  let perLot: bigint;
  if (mayRest && level !== undefined) {
    lotNotional = level.lotNotional;
    perLot = level.perLot;
  } else {
    lotNotional = BigInt(priceTicks) * market.tickSize;
    const feePpm = mayRest ? market.maxFeePpm : market.takerFeePpm;
    perLot = !isBuy ? market.lotSize : feePpm === 0n ? lotNotional : lotNotional + feeUp(lotNotional, feePpm);
  }
  requireFree(account, isBuy ? market.quote : market.base, BigInt(lots) * perLot);

  const opposite = isBuy ? market.asks : market.bids;
  const best = opposite.best();
  const crosses = best !== undefined && (isBuy ? best.priceTicks <= priceTicks : best.priceTicks >= priceTicks);
  if (postOnly && crosses) {
    reject("POST_ONLY_WOULD_CROSS", `post-only ${op.side} at ${priceTicks} would cross the best price ${best!.priceTicks}`);
  }
  if (tif === "FOK" && !(crosses && fokFillable(market, opposite, account, isBuy, priceTicks, lots, stp))) {
    reject("FOK_NOT_FILLABLE", `fill-or-kill ${op.side} of ${lots} lots at ${priceTicks} cannot be filled completely`);
  }
  if (mayRest) {
    if (market.orders.size >= MAX_ORDERS_PER_MARKET) {
      reject("LIMIT_EXCEEDED", `market ${market.id} has the maximum ${MAX_ORDERS_PER_MARKET} resting orders`);
    }
    if ((market.ordersPerAccount.get(account)?.n ?? 0) >= MAX_ORDERS_PER_ACCOUNT) {
      reject("LIMIT_EXCEEDED", `${account.id} has the maximum ${MAX_ORDERS_PER_ACCOUNT} resting orders in ${market.id}`);
    }
    if (own.liveLevels >= MAX_LEVELS_PER_SIDE && (level === undefined || level.count === 0)) {
      reject("LIMIT_EXCEEDED", `${market.id} has the maximum ${MAX_LEVELS_PER_SIDE} price levels on the ${op.side} side`);
    }
  }

  // ── no rejection below this line ──
  const result = newResult(state.nextOrderId++);
  state.dirtyMarkets.add(market);
  stoppedBySelfTrade = false;
  const remaining = crosses ? match(state, market, account, isBuy, priceTicks, lots, stp, result) : lots;
  if (remaining > 0) {
    if (mayRest && !stoppedBySelfTrade) {
      rest(state, market, account, result.orderId, isBuy, priceTicks, remaining, perLot, lotNotional);
      result.restingLots = remaining;
    } else {
      result.cancelledLots = remaining;
    }
  }
  result.orderStatus = statusOf(result, lots);
  return result;
}

/**
 * Handler of `marketOrder`: takes liquidity up to `worstPriceTicks` and cancels the remainder (IOC).
 *
 * Shape: `{account, market, side, lots (1..1e9), worstPriceTicks (1..1e12), selfTradePrevention?}`;
 * returns {@link PlacedOrder}. A buy needs `lots × (w + ⌈w × takerFeePpm / 1e6⌉)` quote free, `w =
 * worstPriceTicks × tickSize`; a sell `lots × lotSize` base.
 *
 * Rejects: as `placeOrder` (actor, UNKNOWN_MARKET, INVALID_OP, INVALID_PRICE, INVALID_SIZE,
 * INSUFFICIENT_BALANCE).
 */
export function applyMarketOrder(state: EngineState, op: MarketOrderOp): PlacedOrder {
  const account = requireTrader(state, op.account);
  const market = requireMarket(state, op.market);
  const isBuy = requireSide(op.side);
  const lots = requireInt(op.lots, "lots", 1, MAX_LOTS, "INVALID_SIZE");
  const worst = requireInt(op.worstPriceTicks, "worstPriceTicks", 1, MAX_PRICE_TICKS, "INVALID_PRICE");
  const stp = requireStp(op.selfTradePrevention);
  const lotNotional = BigInt(worst) * market.tickSize;
  const perLot = !isBuy ? market.lotSize : lotNotional + feeUp(lotNotional, market.takerFeePpm);
  requireFree(account, isBuy ? market.quote : market.base, BigInt(lots) * perLot);

  // ── no rejection below this line ──
  const result = newResult(state.nextOrderId++);
  state.dirtyMarkets.add(market);
  const remaining = match(state, market, account, isBuy, worst, lots, stp, result);
  result.cancelledLots = remaining;
  result.orderStatus = statusOf(result, lots);
  return result;
}

/* ───────────────────────────── internals ───────────────────────────── */

export function newResult(orderId: number): PlacedOrder {
  return {
    status: "accepted",
    orderId,
    orderStatus: "cancelled",
    fills: [],
    filledLots: 0,
    restingLots: 0,
    cancelledLots: 0,
    selfTradeCancelled: [],
  };
}

export function statusOf(result: PlacedOrder, lots: number): OrderStatus {
  if (result.filledLots === lots) return "filled";
  if (result.filledLots > 0) return "partiallyFilled";
  return result.restingLots > 0 ? "resting" : "cancelled";
}

/** Set by {@link match}: whether self-trade prevention stopped it (the taker remainder is cancelled). */
let stoppedBySelfTrade = false;

/**
 * Matches an incoming order against the opposite side while it crosses `limitTicks`, settling every
 * fill (maker from its reservation, taker from its free balance, in one debit and one credit at the
 * end) and collecting fees. Returns the lots left unfilled. Never rejects: callers validated that the
 * taker's free balance covers `lots` at `limitTicks` (see the module doc).
 */
function match(
  state: EngineState,
  market: Market,
  taker: Account,
  isBuy: boolean,
  limitTicks: number,
  lots: number,
  stp: SelfTradePrevention,
  result: PlacedOrder,
): number {
  stoppedBySelfTrade = false;
  const book = isBuy ? market.asks : market.bids;
  const makerFeePpm = market.makerFeePpm;
  const takerFeePpm = market.takerFeePpm;
  const lotSize = market.lotSize;
  const fills = result.fills;
  let remaining = lots;
  let takerPays = 0n; // buy: quote incl. fee; sell: base
  let takerGets = 0n; // buy: base; sell: quote net of fee
  let fees = 0n;
  while (remaining > 0) {
    const level = book.best();
    if (level === undefined || (isBuy ? level.priceTicks > limitTicks : level.priceTicks < limitTicks)) break;
    const maker = level.head!;
    if (maker.account === taker) {
      if (stp === "cancelTaker") {
        stoppedBySelfTrade = true;
        break;
      }
      result.selfTradeCancelled.push(maker.id);
      removeResting(state, market, maker);
      if (stp === "cancelBoth") {
        stoppedBySelfTrade = true;
        break;
      }
      continue;
    }
    const k = remaining < maker.lots ? remaining : maker.lots;
    const kb = BigInt(k);
    const quote = kb * level.lotNotional;
    const base = kb * lotSize;
    const makerFee = makerFeePpm === 0n ? 0n : feeUp(quote, makerFeePpm);
    const takerFee = takerFeePpm === 0n ? 0n : feeUp(quote, takerFeePpm);
    if (isBuy) {
      // maker sells base from its reservation, receives quote − makerFee
      spendReserved(state, maker.account, market.base, base);
      maker.reserved -= base;
      credit(state, maker.account, market.quote, quote - makerFee);
      takerPays += quote + takerFee;
      takerGets += base;
    } else {
      // maker buys: pays quote + makerFee from its reservation, receives base
      const cost = quote + makerFee;
      spendReserved(state, maker.account, market.quote, cost);
      maker.reserved -= cost;
      credit(state, maker.account, market.base, base);
      takerPays += base;
      takerGets += quote - takerFee;
    }
    fees += makerFee + takerFee;
    fills.push({
      makerOrderId: maker.id,
      maker: maker.account.id,
      priceTicks: maker.priceTicks,
      lots: k,
      baseAmount: base,
      quoteAmount: quote,
      makerFee,
      takerFee,
    });
    remaining -= k;
    if (k === maker.lots) {
      removeResting(state, market, maker);
    } else {
      maker.lots -= k;
      level.totalLots -= k;
      touchLevel(level);
      if (maker.reserved < BigInt(maker.lots) * level.perLot) reservationBroken(maker);
    }
  }
  if (takerPays > 0n) {
    if (isBuy) {
      debit(state, taker, market.quote, takerPays);
      credit(state, taker, market.base, takerGets);
    } else {
      debit(state, taker, market.base, takerPays);
      credit(state, taker, market.quote, takerGets);
    }
    collectFee(state, market.quote, fees);
  }
  result.filledLots = lots - remaining;
  return remaining;
}

/**
 * The invariant "an order's reservation covers its remaining lots at its limit price" (and is never
 * negative) failed: an engine bug. Checked inline, with the message built only on failure, because
 * it runs on every fill.
 */
export function reservationBroken(order: Order): never {
  invariant(false, `order ${order.id}: reservation ${order.reserved} below its ${order.lots} remaining lots`);
}

/** Puts a new order on the book and reserves `lots × perLot` for it (perp orders: perLot 0, nothing). */
export function rest(
  state: EngineState,
  market: Market,
  account: Account,
  id: number,
  isBuy: boolean,
  priceTicks: number,
  lots: number,
  perLot: bigint,
  lotNotional: bigint,
): void {
  const reserved = BigInt(lots) * perLot;
  const order: Order = {
    id,
    account,
    side: isBuy ? "buy" : "sell",
    priceTicks,
    lots,
    reserved,
    prev: null,
    next: null,
    level: DETACHED,
  };
  if (reserved > 0n) reserve(state, account, isBuy ? market.quote : market.base, reserved);
  (isBuy ? market.bids : market.asks).append(order, lotNotional, perLot);
  market.orders.set(id, order);
  const count = market.ordersPerAccount.get(account);
  if (count === undefined) market.ordersPerAccount.set(account, { n: 1 });
  else count.n++;
}

/** Takes `order` off the book and releases everything it still reserves. */
export function removeResting(state: EngineState, market: Market, order: Order): void {
  (order.side === "buy" ? market.bids : market.asks).unlink(order);
  market.orders.delete(order.id);
  market.ordersPerAccount.get(order.account)!.n--;
  if (order.reserved < 0n) reservationBroken(order);
  if (order.reserved > 0n) release(state, order.account, order.side === "buy" ? market.quote : market.base, order.reserved);
  order.reserved = 0n;
  order.lots = 0;
  order.level = DETACHED;
}

/**
 * Whether a fill-or-kill order of `lots` at `limitTicks` would fill completely now: counts resting
 * lots best-first within the limit, skipping the taker's own orders under `cancelMaker` (they would be
 * cancelled, not matched) and stopping at the first one under `cancelTaker`/`cancelBoth` (matching
 * would stop there). Read-only.
 */
export function fokFillable(
  market: Market,
  book: BookSide,
  taker: Account,
  isBuy: boolean,
  limitTicks: number,
  lots: number,
  stp: SelfTradePrevention,
): boolean {
  const hasOwn = (market.ordersPerAccount.get(taker)?.n ?? 0) > 0;
  let available = 0;
  let fillable = false;
  book.forEachLevel((level) => {
    if (isBuy ? level.priceTicks > limitTicks : level.priceTicks < limitTicks) return false;
    if (!hasOwn) {
      available += level.totalLots;
      fillable = available >= lots;
      return !fillable;
    }
    for (let o = level.head; o !== null; o = o.next) {
      if (o.account === taker) {
        if (stp === "cancelMaker") continue;
        return false;
      }
      available += o.lots;
      if (available >= lots) {
        fillable = true;
        return false;
      }
    }
    return true;
  });
  return fillable;
}

/** Sum of the reservations of `account`'s resting orders in `market`, per token (for checks and tests). */
export function reservedByOrders(market: Market, account: Account): { base: bigint; quote: bigint } {
  let base = 0n;
  let quote = 0n;
  for (const order of market.orders.values()) {
    if (order.account !== account) continue;
    if (order.side === "buy") quote += order.reserved;
    else base += order.reserved;
  }
  return { base, quote };
}
