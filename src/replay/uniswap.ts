/**
 * Replays the real Uniswap V3 USDC/WETH 0.05% day (2024-01-05, `data/uniswap-v3-usdc-weth-2024-01-05/`)
 * through a Uniswap V2-exact pool of the engine, and compares the price paths.
 *
 * Rules (stated because a V3 day cannot be replayed on a V2 pool without choices):
 * - **Ids.** Everything this replay creates is prefixed `uni:` — tokens `uni:USDC` (6 decimals, token0)
 *   and `uni:WETH` (18, token1), pool `uni:USDC/WETH` (fee 500 ppm, the V3 pool's 0.05%), the liquidity
 *   account `uni:lp` and one account `uni:<sender address>` per swap sender — so it touches nothing
 *   else and can share an engine with other markets.
 * - **Seed.** The pool starts with the V3 pool's virtual reserves at the first event (its state after
 *   that event, as recorded): `x = ⌊L·2^96/√P⌋` USDC and `y = ⌊L·√P/2^96⌋` WETH (both rounded down),
 *   deposited to `uni:lp` and added as the first mint (so totalSupply ≈ L: LP shares are in units of
 *   V3 liquidity). Every swap, including the first, is then replayed.
 * - **Swaps.** Each SWAP is an exact-input swap of the positive side (amount0 > 0: USDC in; amount1 > 0:
 *   WETH in), no slippage bound, by `uni:<sender>`. Funding rule: before the swap the sender is
 *   deposited exactly the shortfall `amountIn − free balance` (nothing if it already holds enough,
 *   e.g. from an earlier swap's output); outputs stay in its account.
 * - **Liquidity follows the real pool's active liquidity L.** Inside one tick range a V3 pool is a
 *   V2 pool on its virtual reserves (√(x·y) = L), so the honest way to replay V3 on V2 arithmetic is to
 *   give our pool the real pool's depth at every moment. The file records L after every event
 *   (`total_liquidity`) and, for MINT/BURN, the change of *active* L that event caused
 *   (`total_liquidity_delta`: zero for a position out of range). With `S` our LP supply and
 *   `L_before` the real L before the change, a change ΔL adds (mint) or removes (burn) `⌊S·|ΔL|/L_before⌋`
 *   LP shares for `uni:lp`, at the pool's current ratio (amounts rounded up for adds; the price does
 *   not move). The same rule applies after a SWAP whose recorded L differs from the L before it (the
 *   swap crossed other positions' ticks): counted as `crossings`. MINT/BURN events with ΔL = 0 change
 *   nothing (`liquiditySkipped`); COLLECT (fee withdrawal) does not change L and is only counted.
 *   (An earlier rule matched burns to mints by sender and range; just-in-time liquidity is minted and
 *   burned through different contracts, so its burns never matched and the pool kept ~50× the real
 *   depth: the replayed price froze. The recorded ΔL has no such ambiguity.)
 * - What is *not* reproduced: a V3 swap that crosses ticks changes L *during* the swap (we apply the
 *   change after it), and V2 keeps the fee in the reserves (V3 keeps it outside). Those are what the
 *   price deviation measures.
 *
 * Prices are reported as floats (USD per ETH): `1e12 / (√P/2^96)²` for the real pool and
 * `1e12 · reserveUSDC / reserveWETH` for ours. Floats appear only in this report, never in the engine.
 */
import { writeFileSync } from "node:fs";
import type { Engine } from "../core/engine.js";
import type { Result } from "../core/results.js";
import { loadUniswapEvents, type UniswapEvent } from "./uniswapData.js";

export const UNI_USDC = "uni:USDC";
export const UNI_WETH = "uni:WETH";
export const UNI_POOL = "uni:USDC/WETH";
export const UNI_LP = "uni:lp";
/** The V3 pool's fee tier, 0.05%. */
export const UNI_FEE_PPM = 500;

const Q96 = 1n << 96n;

export interface PricePoint {
  /** Unix seconds of the swap. */
  timestamp: number;
  /** USD per ETH from the real pool's sqrtPriceX96 after the swap. */
  realPrice: number;
  /** USD per ETH from our pool's reserves after the replayed swap. */
  replayPrice: number;
}

export interface UniswapReport {
  pool: string;
  events: number;
  swaps: number;
  accepted: number;
  rejected: number;
  /** Rejected swaps by rejection code. */
  rejectedByCode: Record<string, number>;
  /** MINT/BURN events that changed the active liquidity, applied as liquidity changes. */
  mints: number;
  burns: number;
  /** Swaps after which the recorded active liquidity changed (tick crossings), applied likewise. */
  crossings: number;
  /** MINT/BURN events that did not change the active liquidity (position out of range, or ΔL = 0). */
  liquiditySkipped: number;
  collects: number;
  /** Distinct swap senders (accounts created). */
  senders: number;
  /** Seed reserves (decimal strings of base units) and the events they came from. */
  seed: { usdc: string; weth: string; liquidity: string; sqrtPriceX96: string };
  /** |replay/real − 1| in basis points, after every swap. */
  priceDeviationBpsMean: number;
  priceDeviationBpsMax: number;
  points: PricePoint[];
}

/** Real price, USD per ETH, from sqrtPriceX96 (token1 WETH per token0 USDC in base units). */
export function priceFromSqrtX96(sqrtPriceX96: bigint): number {
  const s = Number(sqrtPriceX96) / 2 ** 96;
  return 1e12 / (s * s);
}

/** Our pool's price, USD per ETH, from its reserves. */
export function priceFromReserves(usdc: bigint, weth: bigint): number {
  return (Number(usdc) / Number(weth)) * 1e12;
}

/**
 * Replays the day's events on `engine` (see the module doc for every rule).
 *
 * @param opts.dataDir the data directory (`defaultDataDir()`), holding `uniswap-v3-usdc-weth-2024-01-05/`
 * @param opts.onProgress called with (events done, events total) every 256 events and at the end
 * @returns the {@link UniswapReport}
 * @throws Error if the setup is rejected (e.g. the replay already ran on this engine: ids taken)
 */
export function replayUniswap(
  engine: Engine,
  opts: { dataDir: string; onProgress?: (done: number, total: number) => void },
): UniswapReport {
  return replayUniswapEvents(engine, loadUniswapEvents(opts.dataDir), opts.onProgress);
}

/**
 * Applies one replayed swap instead of the default instant `engine.swap` (the lock-swap replay,
 * `uniswapLocks.ts`, turns some swaps into locks). Called after the sender was funded.
 * @param swapIndex 0-based index of the swap among the day's swaps
 */
export type SwapHook = (engine: Engine, swap: { account: string; tokenIn: string; amountIn: bigint; swapIndex: number }) => Result;

/** {@link replayUniswap} on already parsed events (tests use slices); `swapHook` replaces instant swaps. */
export function replayUniswapEvents(
  engine: Engine,
  events: readonly UniswapEvent[],
  onProgress?: (done: number, total: number) => void,
  swapHook?: SwapHook,
): UniswapReport {
  const first = events[0];
  if (first === undefined) throw new Error("uniswap replay: no events");
  const seedUsdc = (first.totalLiquidity * Q96) / first.sqrtPriceX96;
  const seedWeth = (first.totalLiquidity * first.sqrtPriceX96) / Q96;

  must("createToken uni:USDC", engine.createToken({ symbol: UNI_USDC, decimals: 6 }));
  must("createToken uni:WETH", engine.createToken({ symbol: UNI_WETH, decimals: 18 }));
  must("createAccount uni:lp", engine.createAccount({ account: UNI_LP }));
  must("createPool", engine.createPool({ pool: UNI_POOL, token0: UNI_USDC, token1: UNI_WETH, feePpm: UNI_FEE_PPM }));
  fund(engine, UNI_LP, UNI_USDC, seedUsdc);
  fund(engine, UNI_LP, UNI_WETH, seedWeth);
  const seeded = engine.addLiquidity({ account: UNI_LP, pool: UNI_POOL, amount0Desired: seedUsdc, amount1Desired: seedWeth });
  must("seed liquidity", seeded);

  const report: UniswapReport = {
    pool: UNI_POOL,
    events: events.length,
    swaps: 0,
    accepted: 0,
    rejected: 0,
    rejectedByCode: {},
    mints: 0,
    burns: 0,
    crossings: 0,
    liquiditySkipped: 0,
    collects: 0,
    senders: 0,
    seed: { usdc: seedUsdc.toString(), weth: seedWeth.toString(), liquidity: first.totalLiquidity.toString(), sqrtPriceX96: first.sqrtPriceX96.toString() },
    priceDeviationBpsMean: 0,
    priceDeviationBpsMax: 0,
    points: [],
  };
  const known = new Set<string>();
  let deviationSum = 0;
  /** The real pool's active liquidity L as of the last event (see the module doc). */
  let activeL = first.totalLiquidity;

  for (let i = 0; i < events.length; i++) {
    const e = events[i] as UniswapEvent;
    if (e.type === "SWAP") {
      report.swaps++;
      const account = `uni:${e.sender}`;
      if (!known.has(account)) {
        must(`createAccount ${account}`, engine.createAccount({ account }));
        known.add(account);
      }
      let result: Result;
      const swapIndex = report.swaps - 1;
      if (e.amount0 > 0n) {
        fund(engine, account, UNI_USDC, e.amount0);
        result = swapHook !== undefined
          ? swapHook(engine, { account, tokenIn: UNI_USDC, amountIn: e.amount0, swapIndex })
          : engine.swap({ account, pool: UNI_POOL, tokenIn: UNI_USDC, amountIn: e.amount0 });
      } else if (e.amount1 > 0n) {
        fund(engine, account, UNI_WETH, e.amount1);
        result = swapHook !== undefined
          ? swapHook(engine, { account, tokenIn: UNI_WETH, amountIn: e.amount1, swapIndex })
          : engine.swap({ account, pool: UNI_POOL, tokenIn: UNI_WETH, amountIn: e.amount1 });
      } else {
        result = { status: "rejected", code: "INVALID_AMOUNT", message: "swap with no positive side" };
      }
      if (result.status === "accepted") report.accepted++;
      else {
        report.rejected++;
        report.rejectedByCode[result.code] = (report.rejectedByCode[result.code] ?? 0) + 1;
      }
      const pool = engine.getPool(UNI_POOL);
      if (pool === undefined) throw new Error("uniswap replay: pool vanished");
      const realPrice = priceFromSqrtX96(e.sqrtPriceX96);
      const replayPrice = priceFromReserves(pool.reserve0, pool.reserve1);
      const bps = Math.abs(replayPrice / realPrice - 1) * 10_000;
      deviationSum += bps;
      if (bps > report.priceDeviationBpsMax) report.priceDeviationBpsMax = bps;
      report.points.push({ timestamp: e.timestamp, realPrice, replayPrice });
      if (e.totalLiquidity !== activeL) {
        if (followLiquidity(engine, activeL, e.totalLiquidity)) report.crossings++;
        activeL = e.totalLiquidity;
      }
    } else if (e.type === "MINT" || e.type === "BURN") {
      const before = e.totalLiquidity - e.totalLiquidityDelta;
      if (e.totalLiquidityDelta !== 0n && followLiquidity(engine, before, e.totalLiquidity)) {
        if (e.type === "MINT") report.mints++;
        else report.burns++;
      } else {
        report.liquiditySkipped++;
      }
      activeL = e.totalLiquidity;
    } else {
      report.collects++;
    }
    if (onProgress !== undefined && ((i + 1) % 256 === 0 || i + 1 === events.length)) onProgress(i + 1, events.length);
  }
  report.senders = known.size;
  report.priceDeviationBpsMean = report.swaps === 0 ? 0 : deviationSum / report.swaps;
  return report;
}

/**
 * Scales our pool's LP supply by `after / before` (the real active liquidity's change), adding or
 * removing `⌊S·|after − before|/before⌋` shares for `uni:lp` at the current reserve ratio.
 * @returns whether anything changed
 */
function followLiquidity(engine: Engine, before: bigint, after: bigint): boolean {
  const pool = engine.getPool(UNI_POOL);
  if (pool === undefined) throw new Error("uniswap replay: pool vanished");
  if (before <= 0n || after === before) return false;
  if (after > before) {
    const shares = (pool.totalSupply * (after - before)) / before;
    if (shares === 0n) return false;
    const a0 = ceilDiv(shares * pool.reserve0, pool.totalSupply);
    const a1 = ceilDiv(shares * pool.reserve1, pool.totalSupply);
    fund(engine, UNI_LP, UNI_USDC, a0);
    fund(engine, UNI_LP, UNI_WETH, a1);
    must("follow a liquidity increase", engine.addLiquidity({ account: UNI_LP, pool: UNI_POOL, amount0Desired: a0, amount1Desired: a1 }));
    return true;
  }
  const wanted = (pool.totalSupply * (before - after)) / before;
  const held = engine.lpSharesOf(UNI_LP, UNI_POOL);
  const shares = wanted < held ? wanted : held;
  if (shares === 0n) return false;
  must("follow a liquidity decrease", engine.removeLiquidity({ account: UNI_LP, pool: UNI_POOL, liquidity: shares }));
  return true;
}

/** Deposits exactly the shortfall so that `account` holds at least `amount` of `token`. */
function fund(engine: Engine, account: string, token: string, amount: bigint): void {
  const shortfall = amount - engine.balanceOf(account, token);
  if (shortfall > 0n) must(`deposit ${token} to ${account}`, engine.deposit({ account, token, amount: shortfall }));
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

function must(what: string, r: Result): void {
  if (r.status !== "accepted") throw new Error(`uniswap replay: ${what} rejected: ${r.code}: ${r.message}`);
}

/* ───────────────────────────── chart ───────────────────────────── */

/**
 * Writes an SVG line chart of both price paths (USD per ETH against UTC time) to `path`: the real V3
 * pool's price and the replayed pool's, with axes, gridlines, a legend and the deviation summary.
 */
export function writePriceChartSvg(report: UniswapReport, path: string): void {
  writeFileSync(path, priceChartSvg(report), "utf8");
}

/** The SVG text of {@link writePriceChartSvg}. */
export function priceChartSvg(report: UniswapReport): string {
  const W = 1000;
  const H = 520;
  const m = { left: 80, right: 24, top: 64, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const pts = report.points;
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${m.left}" y="26" font-size="17" font-weight="bold">${esc("Uniswap V3 USDC/WETH 0.05%, 2024-01-05: real vs replayed price")}</text>`);
  parts.push(
    `<text x="${m.left}" y="46" fill="#555">${esc(
      `${report.swaps} swaps (${report.accepted} accepted, ${report.rejected} rejected) on a V2-exact pool; deviation mean ${report.priceDeviationBpsMean.toFixed(2)} bps, max ${report.priceDeviationBpsMax.toFixed(2)} bps`,
    )}</text>`,
  );
  if (pts.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no swaps</text></svg>`);
    return parts.join("\n");
  }
  let tMin = Infinity;
  let tMax = -Infinity;
  let pMin = Infinity;
  let pMax = -Infinity;
  for (const p of pts) {
    tMin = Math.min(tMin, p.timestamp);
    tMax = Math.max(tMax, p.timestamp);
    pMin = Math.min(pMin, p.realPrice, p.replayPrice);
    pMax = Math.max(pMax, p.realPrice, p.replayPrice);
  }
  if (tMax === tMin) tMax = tMin + 1;
  const pad = (pMax - pMin) * 0.05 || 1;
  pMin -= pad;
  pMax += pad;
  const x = (t: number): number => m.left + ((t - tMin) / (tMax - tMin)) * pw;
  const y = (p: number): number => m.top + (1 - (p - pMin) / (pMax - pMin)) * ph;

  // y grid + labels: a "nice" step giving ~6 lines
  const raw = (pMax - pMin) / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((k) => k * mag >= raw) ?? 10) * mag;
  for (let v = Math.ceil(pMin / step) * step; v <= pMax; v += step) {
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#333">${v.toFixed(step < 1 ? 2 : 0)}</text>`);
  }
  // x grid + labels: every 3 hours (UTC)
  const hour = 3600;
  const every = (tMax - tMin) / hour > 12 ? 3 * hour : hour;
  for (let t = Math.ceil(tMin / every) * every; t <= tMax; t += every) {
    const xx = x(t).toFixed(1);
    const d = new Date(t * 1000);
    const label = `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${xx}" y="${m.top + ph + 18}" text-anchor="middle" fill="#333">${label}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle" fill="#333">time (UTC, 2024-01-05)</text>`);
  parts.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">USD per ETH</text>`);
  const line = (get: (p: PricePoint) => number): string => pts.map((p) => `${x(p.timestamp).toFixed(1)},${y(get(p)).toFixed(1)}`).join(" ");
  parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.6" points="${line((p) => p.realPrice)}"/>`);
  parts.push(`<polyline fill="none" stroke="#ff7f0e" stroke-width="1.2" stroke-dasharray="4 2" points="${line((p) => p.replayPrice)}"/>`);
  // legend
  const lx = m.left + 14;
  const ly = m.top + 16;
  parts.push(`<rect x="${lx - 8}" y="${ly - 12}" width="290" height="44" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`);
  parts.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="#1f77b4" stroke-width="2"/>`);
  parts.push(`<text x="${lx + 36}" y="${ly}" dominant-baseline="middle">real V3 pool (from sqrtPriceX96)</text>`);
  parts.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly + 20}" y2="${ly + 20}" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="4 2"/>`);
  parts.push(`<text x="${lx + 36}" y="${ly + 20}" dominant-baseline="middle">replayed V2-exact pool (reserves)</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}
