/**
 * Perpetual-futures replay: real ETH/USD price paths as the oracle (`perpsData.ts`), a deterministic
 * population of leveraged traders and two market makers trading on the perp market's order book,
 * driven through real volatility — the May 2021 and June 2022 crashes (CoinGecko, hourly), and
 * minute paths from GMX (Aug 2023, three 2025 days). Reports liquidations, deleveraging, the
 * insurance fund, bad debt, funding, and that conservation held throughout.
 *
 * One engine, segments in chronological order (time only moves forward). Each segment gets its own
 * perp market (`ETH-PERP/<id>`, index asset `ETH-USD/<id>`) and its own population, so a segment's
 * positions are never revalued at another segment's prices; the insurance fund (USDC) is shared.
 *
 * Market: dYdX's large-cap tier, IMF 5%, MMF 3%, channel leverage cap 20x, maker 0 / taker 500 ppm,
 * liquidation penalty ≤ 1.5%. One lot = 0.001 ETH, one tick = 0.01 USD/ETH.
 *
 * Population (nothing random: a fixed-seed LCG schedules holding times):
 * - 48 traders: leverage 2, 3, 5, 8, 10, 12, 15, 20 × long/short × collateral 1,000 / 3,000 / 10,000
 *   USDC. Each opens a position sized to 90% of its leverage with a marketable order (limit index ±
 *   0.4%), holds it for a while, closes it, waits, and opens again; a trader that was liquidated
 *   tops its collateral back up (a fresh deposit) before opening again.
 * - 2 market makers quote 6 levels a side, 10 bps apart (20 and 10 ETH a level), post-only, around
 *   the index shifted against their inventory (up to 50 bps): that skew is what moves the book's
 *   impact prices away from the index, and so what funding samples.
 * - A keeper, each step: requotes the makers, liquidates every liquidatable account (Liquidator
 *   role), takes a premium sample every minute and settles funding every hour when due.
 *
 * `engine.checkConservation()` runs after every hourly step, every 30th minute step, and at the end of
 * each segment.
 */
import type { Engine } from "../core/engine.js";
import type { Result } from "../core/results.js";
import type { PerpLiquidationResult } from "../core/perps/liquidation.js";
import { loadPriceSegments, type PricePoint, type PriceSegment } from "./perpsData.js";

const USDC = 1_000_000n;
const LEVERAGES = [2, 3, 5, 8, 10, 12, 15, 20];
const COLLATERALS = [1_000n, 3_000n, 10_000n];
const MM_COLLATERAL = 5_000_000n * USDC;
const INSURANCE_SEED = 100_000n * USDC;
const LEVELS = 6;
const LEVEL_STEP_BPS = 10n;
const OPEN_SLIPPAGE_BPS = 40n;
const CLOSE_SLIPPAGE_BPS = 100n;

export interface PerpsSegmentReport {
  id: string;
  name: string;
  source: string;
  resolution: "hourly" | "minute";
  steps: number;
  from: string;
  to: string;
  priceStart: number;
  priceEnd: number;
  priceMin: number;
  priceMax: number;
  /** Largest peak-to-trough fall, % of the peak. */
  maxDrawdownPct: number;
  /** Largest move between consecutive points, %. */
  maxStepMovePct: number;
  positionsOpened: number;
  positionsClosed: number;
  /** Accepted liquidations (any lots closed), lots closed by them against the book. */
  liquidations: number;
  liquidatedLots: number;
  /** Liquidations that left part of the position open (book too thin, equity ≥ 0). */
  partialLiquidations: number;
  /** Deleveraging matches and lots (insurance fund could not cover). */
  deleveragingEvents: number;
  deleveragedLots: number;
  penaltiesToInsurance: bigint;
  insuranceCovered: bigint;
  badDebt: bigint;
  insuranceFundStart: bigint;
  insuranceFundEnd: bigint;
  fundingSamples: number;
  fundingSettlements: number;
  /** Largest |8-hour rate| settled, ppm. */
  maxAbsFundingRatePpm: bigint;
  fundingPaid: bigint;
  fundingRemainderToInsurance: bigint;
  tradingFees: bigint;
  topUpDeposits: number;
  conservationChecks: number;
  conservationOk: boolean;
  /** Rejected ops by code (expected: post-only crossings, thin-book closes, …). */
  rejected: Record<string, number>;
}

export interface PerpsReport {
  segments: PerpsSegmentReport[];
  steps: number;
  liquidations: number;
  deleveragingEvents: number;
  badDebt: bigint;
  insuranceFundStart: bigint;
  insuranceFundEnd: bigint;
  conservationChecks: number;
  conservationOk: boolean;
  opsApplied: number;
}

export interface PerpsReplayOptions {
  dataDir: string;
  onProgress?: (done: number, total: number) => void;
  /** Override the price segments (tests use short slices). */
  segments?: PriceSegment[];
}

/** Deterministic 32-bit LCG (Numerical Recipes constants). */
class Lcg {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(lo: number, hi: number): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return lo + (this.s % (hi - lo + 1));
  }
}

interface Trader {
  id: string;
  leverage: number;
  isLong: boolean;
  collateral: bigint;
  /** Step at which it may open again (when flat). */
  openAt: number;
  /** Step at which it closes (when holding), or −1. */
  closeAt: number;
}

export function replayPerps(engine: Engine, opts: PerpsReplayOptions): PerpsReport {
  const segments = opts.segments ?? loadPriceSegments(opts.dataDir);
  const total = segments.reduce((n, s) => n + s.points.length, 0);
  const must = <T extends object>(r: Result<T>, what: string): T => {
    if (r.status !== "accepted") throw new Error(`perps replay: ${what} rejected ${r.code}: ${r.message}`);
    return r;
  };
  if (!engine.state.tokens.has("USDC")) must(engine.createToken({ symbol: "USDC", decimals: 6 }), "createToken");
  for (const [id, roles] of [
    ["perps/oracle", ["Oracle"]],
    ["perps/keeper", ["Liquidator"]],
    ["perps/treasury", ["Trader"]],
  ] as const) {
    if (!engine.state.accounts.has(id)) must(engine.createAccount({ account: id, roles: [...roles] }), "createAccount");
  }
  const insuranceFundStart = engine.insuranceFundOf("USDC");
  if (insuranceFundStart === 0n) {
    must(engine.deposit({ account: "perps/treasury", token: "USDC", amount: INSURANCE_SEED }), "deposit");
    must(engine.fundInsurance({ account: "perps/treasury", token: "USDC", amount: INSURANCE_SEED }), "fundInsurance");
  }
  const reports: PerpsSegmentReport[] = [];
  let done = 0;
  const started = engine.opsApplied;
  for (const segment of segments) {
    reports.push(runSegment(engine, segment, () => opts.onProgress?.(++done, total)));
  }
  return {
    segments: reports,
    steps: total,
    liquidations: reports.reduce((n, r) => n + r.liquidations, 0),
    deleveragingEvents: reports.reduce((n, r) => n + r.deleveragingEvents, 0),
    badDebt: reports.reduce((n, r) => n + r.badDebt, 0n),
    insuranceFundStart: insuranceFundStart === 0n ? INSURANCE_SEED : insuranceFundStart,
    insuranceFundEnd: engine.insuranceFundOf("USDC"),
    conservationChecks: reports.reduce((n, r) => n + r.conservationChecks, 0),
    conservationOk: reports.every((r) => r.conservationOk),
    opsApplied: engine.opsApplied - started,
  };
}

function runSegment(engine: Engine, segment: PriceSegment, tick: () => void): PerpsSegmentReport {
  const points = segment.points;
  if (points.length === 0) throw new Error(`perps replay: segment ${segment.id} has no prices`);
  const market = `ETH-PERP/${segment.id}`;
  const asset = `ETH-USD/${segment.id}`;
  const hourly = segment.resolution === "hourly";
  const rng = new Lcg(0x5eed + points.length);
  const rejected: Record<string, number> = {};
  const report: PerpsSegmentReport = {
    id: segment.id,
    name: segment.name,
    source: segment.source,
    resolution: segment.resolution,
    steps: points.length,
    from: new Date(points[0]!.timeMs).toISOString(),
    to: new Date(points[points.length - 1]!.timeMs).toISOString(),
    ...priceStats(points),
    positionsOpened: 0,
    positionsClosed: 0,
    liquidations: 0,
    liquidatedLots: 0,
    partialLiquidations: 0,
    deleveragingEvents: 0,
    deleveragedLots: 0,
    penaltiesToInsurance: 0n,
    insuranceCovered: 0n,
    badDebt: 0n,
    insuranceFundStart: engine.insuranceFundOf("USDC"),
    insuranceFundEnd: 0n,
    fundingSamples: 0,
    fundingSettlements: 0,
    maxAbsFundingRatePpm: 0n,
    fundingPaid: 0n,
    fundingRemainderToInsurance: 0n,
    tradingFees: 0n,
    topUpDeposits: 0,
    conservationChecks: 0,
    conservationOk: true,
    rejected,
  };
  const feesBefore = engine.protocolFeesOf("USDC");
  const apply = <T extends object>(r: Result<T>): T | undefined => {
    if (r.status === "accepted") return r;
    rejected[r.code] = (rejected[r.code] ?? 0) + 1;
    return undefined;
  };
  const must = <T extends object>(r: Result<T>, what: string): T => {
    if (r.status !== "accepted") throw new Error(`perps replay ${segment.id}: ${what} rejected ${r.code}: ${r.message}`);
    return r;
  };
  const conserve = (): void => {
    report.conservationChecks++;
    if (!engine.checkConservation().ok) report.conservationOk = false;
  };

  // ── setup ──
  if (points[0]!.timeMs > engine.timeMs) must(engine.advanceTime({ timeMs: points[0]!.timeMs }), "advanceTime");
  must(engine.setPrice({ account: "perps/oracle", asset, price: points[0]!.priceE8 }), "setPrice");
  must(
    engine.createPerpMarket({
      market,
      quote: "USDC",
      asset,
      assetDecimals: 18,
      lotSize: 10n ** 15n,
      tickSize: 10n,
      imfPpm: 50_000,
      mmfPpm: 30_000,
      maxLeverage: 20,
      makerFeePpm: 0,
      takerFeePpm: 500,
    }),
    "createPerpMarket",
  );
  const makers = [
    { id: `${segment.id}/mmA`, lots: 20_000, offsetBps: 0n, orders: [] as number[] },
    { id: `${segment.id}/mmB`, lots: 10_000, offsetBps: 5n, orders: [] as number[] },
  ];
  for (const mm of makers) {
    must(engine.createAccount({ account: mm.id, roles: ["MarketMaker"] }), "createAccount");
    must(engine.deposit({ account: mm.id, token: "USDC", amount: MM_COLLATERAL }), "deposit");
    must(engine.depositMargin({ account: mm.id, token: "USDC", amount: MM_COLLATERAL }), "depositMargin");
  }
  const traders: Trader[] = [];
  let n = 0;
  for (const collateral of COLLATERALS) {
    for (const leverage of LEVERAGES) {
      for (const isLong of [true, false]) {
        const id = `${segment.id}/t${String(n).padStart(2, "0")}-${isLong ? "long" : "short"}-${leverage}x`;
        traders.push({ id, leverage, isLong, collateral: collateral * USDC, openAt: n % (hourly ? 24 : 60), closeAt: -1 });
        must(engine.createAccount({ account: id, roles: ["Trader"] }), "createAccount");
        must(engine.deposit({ account: id, token: "USDC", amount: collateral * USDC }), "deposit");
        must(engine.depositMargin({ account: id, token: "USDC", amount: collateral * USDC }), "depositMargin");
        n++;
      }
    }
  }
  const perpMarket = engine.state.perps.markets.get(market)!;
  const positionOf = (id: string): number => {
    const a = engine.state.accounts.get(id);
    return a === undefined ? 0 : (perpMarket.positions.get(a) ?? 0);
  };
  const everyone = [...makers.map((m) => m.id), ...traders.map((t) => t.id)].sort();
  let quotedCenter = 0n;

  // ── steps ──
  points.forEach((point, step) => {
    if (step > 0) {
      if (point.timeMs > engine.timeMs) must(engine.advanceTime({ timeMs: point.timeMs }), "advanceTime");
      must(engine.setPrice({ account: "perps/oracle", asset, price: point.priceE8 }), "setPrice");
    }
    const indexTicks = point.priceE8 / 1_000_000n; // USD·1e8 → ticks of 0.01 USD
    // 1. market makers requote (every hourly step; minute steps when the index moved ≥ 10 bps, or every 30 minutes)
    const moved = quotedCenter === 0n || abs(indexTicks - quotedCenter) * 10_000n >= 10n * quotedCenter;
    if (hourly || moved || step % 30 === 0) {
      quotedCenter = indexTicks;
      for (const mm of makers) {
        for (const id of mm.orders) if (perpMarket.book.orders.has(id)) apply(engine.cancelOrder({ account: mm.id, market, orderId: id }));
        mm.orders = [];
        const inventory = BigInt(positionOf(mm.id));
        let skewBps = (inventory * 10n) / 100_000n; // 10 bps per 100 ETH of inventory
        if (skewBps > 50n) skewBps = 50n;
        if (skewBps < -50n) skewBps = -50n;
        const center = (indexTicks * (10_000n - skewBps)) / 10_000n;
        for (let i = 1n; i <= BigInt(LEVELS); i++) {
          const off = i * LEVEL_STEP_BPS + mm.offsetBps;
          const bid = (center * (10_000n - off)) / 10_000n;
          const ask = (center * (10_000n + off) + 9_999n) / 10_000n;
          for (const [side, price] of [["buy", bid], ["sell", ask]] as const) {
            const r = apply(engine.placeOrder({ account: mm.id, market, side, priceTicks: Number(price), lots: mm.lots, postOnly: true }));
            if (r !== undefined && r.restingLots > 0) mm.orders.push(r.orderId);
          }
        }
      }
    }
    // 2. liquidations
    for (const id of everyone) {
      if (positionOf(id) === 0) continue;
      const view = engine.getPerpAccount(id).find((s) => s.token === "USDC");
      if (view?.liquidatable !== true) continue;
      const r = apply(engine.liquidatePosition({ liquidator: "perps/keeper", account: id, market })) as PerpLiquidationResult | undefined;
      if (r === undefined) continue;
      if (r.filledLots + r.deleveragedLots > 0) report.liquidations++;
      if (r.remainingLots > 0) report.partialLiquidations++;
      report.liquidatedLots += r.filledLots;
      report.deleveragingEvents += r.deleveraging.length;
      report.deleveragedLots += r.deleveragedLots;
      report.penaltiesToInsurance += r.penalty;
      report.insuranceCovered += r.insuranceCovered;
      report.badDebt += r.badDebt;
    }
    // 3. funding: a sample a minute, a settlement an hour
    if (perpMarket.lastSampleMs < 0 || engine.timeMs >= perpMarket.lastSampleMs + 60_000) {
      if (apply(engine.updateFundingRate({ market })) !== undefined) report.fundingSamples++;
    }
    if (engine.timeMs >= perpMarket.lastFundingMs + 3_600_000) {
      const s = apply(engine.settleFunding({ market }));
      if (s !== undefined) {
        report.fundingSettlements++;
        report.fundingPaid += s.paid;
        report.fundingRemainderToInsurance += s.toInsuranceFund;
        if (abs(s.fundingRatePpm) > report.maxAbsFundingRatePpm) report.maxAbsFundingRatePpm = abs(s.fundingRatePpm);
      }
    }
    // 4. traders
    for (const t of traders) {
      const position = positionOf(t.id);
      if (position !== 0 && t.closeAt >= 0 && step >= t.closeAt) {
        const worst = t.isLong ? (indexTicks * (10_000n - CLOSE_SLIPPAGE_BPS)) / 10_000n : (indexTicks * (10_000n + CLOSE_SLIPPAGE_BPS)) / 10_000n;
        const r = apply(engine.closePosition({ account: t.id, market, worstPriceTicks: Number(worst) }));
        if (r !== undefined && r.position === 0) {
          report.positionsClosed++;
          t.closeAt = -1;
          t.openAt = step + (hourly ? rng.next(6, 24) : rng.next(30, 240));
        }
      } else if (position === 0 && t.closeAt >= 0) {
        // liquidated (or deleveraged) since it opened
        t.closeAt = -1;
        t.openAt = step + (hourly ? rng.next(6, 24) : rng.next(30, 240));
      } else if (position === 0 && step >= t.openAt) {
        const q = engine.getPerpAccount(t.id).find((s) => s.token === "USDC")?.quoteBalance ?? 0n;
        if (q < t.collateral) {
          must(engine.deposit({ account: t.id, token: "USDC", amount: t.collateral - q }), "deposit");
          must(engine.depositMargin({ account: t.id, token: "USDC", amount: t.collateral - q }), "depositMargin");
          report.topUpDeposits++;
        }
        // lots = 90% of collateral × leverage / (price per lot = priceE8 / 1e5 USDC units)
        const lots = Number((t.collateral * BigInt(t.leverage) * 90_000n) / point.priceE8);
        const worst = t.isLong ? (indexTicks * (10_000n + OPEN_SLIPPAGE_BPS)) / 10_000n : (indexTicks * (10_000n - OPEN_SLIPPAGE_BPS)) / 10_000n;
        if (lots > 0) {
          const r = apply(engine.openPosition({ account: t.id, market, side: t.isLong ? "buy" : "sell", lots, worstPriceTicks: Number(worst) }));
          if (r !== undefined && r.position !== 0) {
            report.positionsOpened++;
            t.closeAt = step + (hourly ? rng.next(24, 120) : rng.next(60, 600));
          }
        }
      }
    }
    if (hourly || step % 30 === 0) conserve();
    tick();
  });
  conserve();
  report.insuranceFundEnd = engine.insuranceFundOf("USDC");
  report.tradingFees = engine.protocolFeesOf("USDC") - feesBefore;
  return report;
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function priceStats(points: PricePoint[]): Pick<PerpsSegmentReport, "priceStart" | "priceEnd" | "priceMin" | "priceMax" | "maxDrawdownPct" | "maxStepMovePct"> {
  const usd = points.map((p) => Number(p.priceE8) / 1e8);
  let peak = usd[0]!;
  let drawdown = 0;
  let move = 0;
  for (let i = 0; i < usd.length; i++) {
    peak = Math.max(peak, usd[i]!);
    drawdown = Math.max(drawdown, 1 - usd[i]! / peak);
    if (i > 0) move = Math.max(move, Math.abs(usd[i]! / usd[i - 1]! - 1));
  }
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    priceStart: round2(usd[0]!),
    priceEnd: round2(usd[usd.length - 1]!),
    priceMin: round2(Math.min(...usd)),
    priceMax: round2(Math.max(...usd)),
    maxDrawdownPct: round2(drawdown * 100),
    maxStepMovePct: round2(move * 100),
  };
}
