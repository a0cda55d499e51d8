/**
 * The perpetuals part of `semilattice demo`: the summary under the `perps` key of `npm start`'s JSON,
 * its table rows, and `semilattice demo --perps` (the perps replay alone, one row per price segment).
 */
import { Engine } from "../core/engine.js";
import { replayPerps, type PerpsReport } from "../replay/perps.js";

export interface PerpsSummary {
  /** Price points replayed (hourly and minute), all segments. */
  steps: number;
  segments: {
    id: string;
    priceMin: number;
    priceMax: number;
    maxDrawdownPct: number;
    liquidations: number;
    deleveragingEvents: number;
    badDebt: string;
  }[];
  liquidations: number;
  deleveragingEvents: number;
  /** USDC base units, as decimal strings. */
  badDebt: string;
  insuranceFundStart: string;
  insuranceFundEnd: string;
  conservationChecks: number;
  conservationOk: boolean;
  stateRoot: string;
  /** The perps engine's journal re-applied to a fresh engine reaches the same state root. */
  replayStateRootEqual: boolean;
}

export interface PerpsRun {
  report: PerpsReport;
  summary: PerpsSummary;
  /** Every check passed: conservation throughout and at the end, deterministic re-run. */
  ok: boolean;
}

/** Runs the perps replay on its own journaled engine and checks it. */
export function runPerps(dataDir: string, onProgress?: (done: number, total: number) => void): PerpsRun {
  const engine = new Engine({ journal: true });
  const report = replayPerps(engine, { dataDir, ...(onProgress === undefined ? {} : { onProgress }) });
  const stateRoot = engine.stateRoot();
  const replayStateRootEqual = Engine.replay(engine.journal ?? []).stateRoot() === stateRoot;
  const conservationOk = report.conservationOk && engine.checkConservation().ok;
  const summary: PerpsSummary = {
    steps: report.steps,
    segments: report.segments.map((s) => ({
      id: s.id,
      priceMin: s.priceMin,
      priceMax: s.priceMax,
      maxDrawdownPct: s.maxDrawdownPct,
      liquidations: s.liquidations,
      deleveragingEvents: s.deleveragingEvents,
      badDebt: s.badDebt.toString(),
    })),
    liquidations: report.liquidations,
    deleveragingEvents: report.deleveragingEvents,
    badDebt: report.badDebt.toString(),
    insuranceFundStart: report.insuranceFundStart.toString(),
    insuranceFundEnd: report.insuranceFundEnd.toString(),
    conservationChecks: report.conservationChecks,
    conservationOk,
    stateRoot,
    replayStateRootEqual,
  };
  return { report, summary, ok: conservationOk && replayStateRootEqual };
}

/** Rows for the demo's table. */
export function perpsTableRows(s: PerpsSummary): [string, string, string][] {
  return [
    ["Perps ETH-USD (GMX, CoinGecko)", "price points (6 segments, incl. May 2021 / Jun 2022 crashes)", `${s.steps}`],
    ["", "liquidations / deleveraging events", `${s.liquidations} / ${s.deleveragingEvents}`],
    ["", "insurance fund, USDC: start → end", `${usdc(s.insuranceFundStart)} → ${usdc(s.insuranceFundEnd)}`],
    ["", "bad debt, USDC", usdc(s.badDebt)],
    ["", "conservation (checks)", `${s.conservationOk ? "holds" : "VIOLATED"} (${s.conservationChecks})`],
    ["", "re-applied journal, same state root", s.replayStateRootEqual ? "yes" : "NO"],
  ];
}

/** `semilattice demo --perps`: the perps replay alone. Returns the exit code. */
export function runPerpsDemo(dataDir: string, json: boolean): number {
  const run = runPerps(dataDir);
  if (json) {
    console.log(JSON.stringify({ perps: run.summary, segments: run.report.segments }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  } else {
    const header = ["segment", "source", "steps", "ETH min..max", "drawdown", "opened", "liq.", "delev.", "penalties→IF", "IF covered", "IF end", "bad debt", "funding paid", "conserv."];
    const rows = run.report.segments.map((s) => [
      s.name,
      s.source,
      String(s.steps),
      `${s.priceMin}..${s.priceMax}`,
      `${s.maxDrawdownPct}%`,
      String(s.positionsOpened),
      `${s.liquidations}${s.partialLiquidations > 0 ? ` (${s.partialLiquidations} partial)` : ""}`,
      String(s.deleveragingEvents),
      usdc(s.penaltiesToInsurance),
      usdc(s.insuranceCovered),
      usdc(s.insuranceFundEnd),
      usdc(s.badDebt),
      usdc(s.fundingPaid),
      s.conservationOk ? `ok (${s.conservationChecks})` : "VIOLATED",
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    console.log("");
    for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
    console.log("");
    console.log(`state root ${run.summary.stateRoot}; journal re-applied: ${run.summary.replayStateRootEqual ? "same root" : "DIFFERENT ROOT"}`);
    console.log("");
  }
  if (!run.ok) {
    console.error("semilattice demo --perps: a check failed (conservation or deterministic re-run).");
    return 1;
  }
  return 0;
}

/** USDC base units → "1,234.56" (display only). */
function usdc(units: bigint | string): string {
  const v = BigInt(units);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = (a / 1_000_000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = ((a % 1_000_000n) / 10_000n).toString().padStart(2, "0");
  return `${neg ? "-" : ""}${whole}.${cents}`;
}
