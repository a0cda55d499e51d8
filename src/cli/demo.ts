/**
 * The main job (`npm start`, `semilattice demo`): three real recordings replayed through ONE engine,
 * each checked against what really happened, then a summary (table, or one JSON object with --json).
 *
 *  - Uniswap V3 USDC/WETH, 2024-01-05: every swap through a V2-exact pool seeded with the real pool's
 *    virtual reserves; the replayed price path against the real one (+ an SVG chart).
 *  - LOBSTER AAPL, 2012-06-21: every message through the matching engine, the visible book checked
 *    against the published one after each message.
 *  - Coinbase level-2 recording: ten markets' order flow at once.
 *  - Perpetual futures on real ETH/USD paths (GMX, CoinGecko crashes): liquidations, deleveraging,
 *    insurance fund, conservation throughout — on its own journaled engine, whose price paths run
 *    2021 → 2025 in engine time (`perps` key; `--perps` runs it alone, see perpsDemo.ts).
 *
 * Same input ⇒ same stateRoot: nothing here feeds the engine anything but the recorded data. The run
 * proves it on the spot: the engine journals every op, and the journal is re-applied to a fresh
 * engine, which must reach the same state root. That re-run is also what `opsPerSecond` measures:
 * the engine alone, without CSV parsing or the replays' checks.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import cliProgress from "cli-progress";
import { Engine } from "../core/engine.js";
import { replayCoinbase, type CoinbaseReport } from "../replay/coinbase.js";
import { replayLobster, type LobsterReport } from "../replay/lobster.js";
import { assertDataDir, resolveDataDir } from "../replay/paths.js";
import { replayUniswap, writePriceChartSvg, type UniswapReport } from "../replay/uniswap.js";
import type { PerpsReport } from "../replay/perps.js";
import { perpsTableRows, runPerps, runPerpsDemo, type PerpsSummary } from "./perpsDemo.js";
import { replayAave, type AaveReport } from "../replay/aave.js";
import { compareLockSwaps, type LockSwapReport } from "../replay/uniswapLocks.js";
import { channelPlan, printChannel, runChannelSim, runChannelTcp, type ChannelRun, type ChannelSummary, type CheckpointSummary } from "./channelDemo.js";
import { printSettlement, runSettlementDemo, type SettlementRun, type SettlementSummary } from "./settleDemo.js";

export interface DemoOptions {
  json: boolean;
  dataDir?: string | undefined;
  outDir: string;
  progress: boolean;
  /** `--perps`: run only the perpetuals replay and print its per-segment table. */
  perps?: boolean | undefined;
  /** `--lending`: only the Aave V3 Polygon lending replay (src/replay/aave.ts). */
  lending?: boolean | undefined;
  /** `--lock-swaps P`: also compare the Uniswap day with P% of its swaps as lock-swaps (0..100). */
  lockSwaps?: number | undefined;
  /** Participants of the channel run after the replays (default 4; 0 = no channel run). */
  participants?: number | undefined;
  /** Where the channel's participants run: one process over the simulated network (default), or one OS process each on 127.0.0.1. */
  network?: "sim" | "tcp" | undefined;
  /** Settlement on chain after the channel run (src/cli/settleDemo.ts); default on when participants ≥ 2. */
  settle?: boolean | undefined;
  /** `--dispute`: close through propose → challenge → window → claims instead of cooperatively. */
  dispute?: boolean | undefined;
  /** `--rpc-url`: settle on this JSON-RPC endpoint instead of the embedded EVM. */
  rpcUrl?: string | undefined;
}

export interface DemoSummary {
  uniswap: { swaps: number; accepted: number; rejected: number; priceDeviationBpsMean: number; priceDeviationBpsMax: number };
  lobster: { messages: number; levelsChecked: number; levelsMatched: number; rowsMatched: number };
  coinbase: { ops: number; markets: number };
  /** Perpetuals replay (src/replay/perps.ts), on its own journaled engine. */
  perps: PerpsSummary;
  opsPerSecond: number;
  stateRoot: string;
  /** Aave V3 Polygon day: our indexes vs the published per-minute ones (relative errors). */
  lending: Record<string, LendingSummary>;
  /** Only with `--lock-swaps P` (src/replay/uniswapLocks.ts). */
  lockSwaps?: LockSwapReport;
  /** The multi-party channel run (src/cli/channelDemo.ts). */
  channel?: ChannelSummary;
  /** Checkpoint finality of the channel run (sim network only; src/cli/channelDemo.ts). */
  checkpoint?: CheckpointSummary;
  /** Deposits, mid-channel withdrawal, close and claims on chain (src/cli/settleDemo.ts). */
  settlement?: SettlementSummary;
}

export interface DemoRun {
  summary: DemoSummary;
  uniswap: UniswapReport;
  lobster: LobsterReport;
  coinbase: CoinbaseReport;
  perps: PerpsReport;
  lending: AaveReport;
  exitRoot: string;
  conservationOk: boolean;
  /** Wall time of the three replays, including parsing and their checks. */
  seconds: number;
  opsApplied: number;
  /** Time to re-apply the journal on a fresh engine (the engine alone). */
  engineSeconds: number;
  /** The re-applied journal reached the same state root. */
  replayStateRootEqual: boolean;
  chartPath: string;
}

/** Runs the three replays on one engine. `onProgress(name, done, total)` reports progress. */
export function runReplays(
  dataDir: string,
  outDir: string,
  onProgress?: (name: string, done: number, total: number) => void,
): DemoRun {
  const engine = new Engine({ journal: true });
  const started = process.hrtime.bigint();
  const uniswap = replayUniswap(engine, { dataDir, onProgress: (d, t) => onProgress?.("uniswap", d, t) });
  const lobster = replayLobster(engine, { dataDir, onProgress: (d, t) => onProgress?.("lobster", d, t) });
  const coinbase = replayCoinbase(engine, { dataDir, onProgress: (d, t) => onProgress?.("coinbase", d, t) });
  const lending = replayAave(engine, { dataDir, onProgress: (d, t) => onProgress?.("lending", d, t) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  mkdirSync(outDir, { recursive: true });
  const chartPath = resolve(join(outDir, "uniswap-price-path.svg"));
  writePriceChartSvg(uniswap, chartPath);

  const conservation = engine.checkConservation();
  const stateRoot = engine.stateRoot();
  const journal = engine.journal ?? [];
  const replayStarted = process.hrtime.bigint();
  const rerun = Engine.replay(journal);
  const engineSeconds = Number(process.hrtime.bigint() - replayStarted) / 1e9;
  const perps = runPerps(dataDir, (d, t) => onProgress?.("perps", d, t));
  const summary: DemoSummary = {
    uniswap: {
      swaps: uniswap.swaps,
      accepted: uniswap.accepted,
      rejected: uniswap.rejected,
      priceDeviationBpsMean: round(uniswap.priceDeviationBpsMean, 4),
      priceDeviationBpsMax: round(uniswap.priceDeviationBpsMax, 4),
    },
    lobster: {
      messages: lobster.messages,
      levelsChecked: lobster.levelsChecked,
      levelsMatched: lobster.levelsMatched,
      rowsMatched: lobster.rowsMatched,
    },
    coinbase: { ops: coinbase.ops, markets: coinbase.markets },
    perps: perps.summary,
    lending: lendingSummary(lending),
    opsPerSecond: Math.round(journal.length / engineSeconds),
    stateRoot,
  };
  return {
    summary,
    uniswap,
    lobster,
    coinbase,
    perps: perps.report,
    lending,
    exitRoot: engine.exitRoot(),
    conservationOk: conservation.ok && perps.summary.conservationOk,
    seconds,
    opsApplied: engine.opsApplied,
    engineSeconds,
    replayStateRootEqual: rerun.stateRoot() === stateRoot && perps.summary.replayStateRootEqual,
    chartPath,
  };
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const dataDir = resolveDataDir(opts.dataDir);
  if (opts.perps === true) return runPerpsDemo(dataDir, opts.json);
  if (opts.lending === true) return runLendingDemo(dataDir, opts.json);
  assertDataDir(dataDir); // every file, named, before minutes of work
  const showProgress = opts.progress && process.stderr.isTTY === true;
  const bars = showProgress
    ? new cliProgress.MultiBar(
        { format: " {name} [{bar}] {percentage}% | {value}/{total} | {duration}s", hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const open = new Map<string, cliProgress.SingleBar>();
  const onProgress = (name: string, done: number, total: number): void => {
    if (bars === undefined) return;
    let bar = open.get(name);
    if (bar === undefined) {
      bar = bars.create(total, 0, { name: name.padEnd(8) });
      open.set(name, bar);
    }
    bar.update(done);
  };

  let run: DemoRun;
  try {
    run = runReplays(dataDir, opts.outDir, onProgress);
    if (opts.lockSwaps !== undefined) run.summary.lockSwaps = compareLockSwaps(dataDir, opts.lockSwaps);
  } finally {
    bars?.stop();
  }
  let channel: ChannelRun | undefined;
  if ((opts.participants ?? 4) > 0) {
    const plan = channelPlan(dataDir, opts.participants ?? 4);
    channel = opts.network === "tcp" ? await runChannelTcp(plan) : runChannelSim(plan);
    run.summary.channel = channel.summary;
    if (channel.checkpoint !== undefined) run.summary.checkpoint = channel.checkpoint;
  }
  let settlement: SettlementRun | undefined;
  if ((opts.participants ?? 4) >= 2 && opts.settle !== false) {
    settlement = await runSettlementDemo({ dataDir, participants: opts.participants ?? 4, mode: opts.dispute === true ? "dispute" : "cooperative", rpcUrl: opts.rpcUrl });
    run.summary.settlement = settlement.summary;
  }

  const checksPass =
    run.lobster.levelsMatched === run.lobster.levelsChecked && run.lending.exitSolvent &&
    run.conservationOk &&
    run.replayStateRootEqual &&
    run.summary.lockSwaps?.conservationOk !== false &&
    (channel === undefined || (channel.summary.stateRootsEqual && channel.conservation)) &&
    (channel?.checkpoint === undefined || (channel.checkpoint.certificatesEqual && channel.certifiedRootMatches === true)) &&
    (settlement === undefined || settlement.summary.onChainMatchesFinalState);
  if (opts.json) {
    console.log(JSON.stringify(run.summary));
  } else {
    printTable(run);
    if (channel !== undefined) printChannel(channel);
    if (settlement !== undefined) printSettlement(settlement);
  }
  if (channel !== undefined && !channel.summary.stateRootsEqual) console.error("semilattice demo: the channel's replicas ended with different state roots.");
  if (channel?.checkpoint !== undefined && !channel.checkpoint.certificatesEqual) console.error("semilattice demo: the channel's replicas ended with different (or unverifiable) checkpoint certificates.");
  if (!checksPass) {
    console.error("semilattice demo: a check failed (LOBSTER levels, conservation or deterministic re-run); see above.");
    return 1;
  }
  return 0;
}

function printTable(run: DemoRun): void {
  const { uniswap, lobster, coinbase } = run;
  const rows: [string, string, string][] = [
    ["Uniswap V3 USDC/WETH", "swaps replayed (accepted / rejected)", `${uniswap.swaps} (${uniswap.accepted} / ${uniswap.rejected})`],
    ["", "mints / burns applied", `${uniswap.mints} / ${uniswap.burns}`],
    ["", "price deviation vs real, mean / max", `${fmt(uniswap.priceDeviationBpsMean)} bps / ${fmt(uniswap.priceDeviationBpsMax)} bps`],
    ["", "price chart", run.chartPath],
    ["LOBSTER AAPL", "messages", `${lobster.messages}`],
    ["", "visible level transitions matched", `${lobster.levelsMatched} of ${lobster.levelsChecked}`],
    ["", "full top-10 rows matched", `${lobster.rowsMatched} of ${lobster.rowsChecked}`],
    ["", "executions against the right order", `${lobster.executionsMatched} of ${lobster.executionsChecked}`],
    ["Coinbase L2", "ops on markets", `${coinbase.ops} on ${coinbase.markets}`],
    ["", "accepted / rejected", `${coinbase.accepted} / ${coinbase.rejected}`],
    ["", "best bid/ask = ticker", `${coinbase.tickerMatches} of ${coinbase.tickerChecks}`],
    ...perpsTableRows(run.summary.perps),
    ...lendingRows(run.lending),
    ["Engine", "ops applied", `${run.opsApplied} (replays incl. parsing and checks: ${run.seconds.toFixed(2)} s)`],
    ["", "engine alone (journal re-applied)", `${run.summary.opsPerSecond} ops/s (${run.engineSeconds.toFixed(3)} s)`],
    ["", "re-applied journal, same state root", run.replayStateRootEqual ? "yes" : "NO"],
    ["", "conservation (every token)", run.conservationOk ? "holds" : "VIOLATED"],
    ["", "state root", run.summary.stateRoot],
    ["", "exit root", run.exitRoot],
  ];
  const ls = run.summary.lockSwaps;
  if (ls !== undefined) {
    rows.push(
      [`Lock-swaps (${ls.percent}% of swaps)`, "lock-swaps (executed / cancelled for a better price)", `${ls.lockSwaps} (${ls.executed} / ${ls.cancelled})`],
      ["", "lock price beat the price at execution", `${ls.beatExecutionPrice} of ${ls.lockSwaps} (${fmt(ls.beatRate * 100)}%)`],
      ["", "LP profit, USD: instant only / with lock-swaps", `${fmt(ls.lpProfitUsd.instantOnly)} / ${fmt(ls.lpProfitUsd.withLockSwaps)} (${fmt(ls.lpProfitUsd.difference)})`],
    );
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log("");
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  console.log("");
}

/** One reserve of the Aave replay in the summary (relative errors as fractions). */
export interface LendingSummary {
  events: number;
  accepted: number;
  minutes: number;
  /** Aave's consecutive published updates recomputed with our index arithmetic: exact to the wei. */
  indexTransitions: number;
  borrowIndexExact: number;
  liquidityIndexExact: number;
  liquidityIndexRelErrorMean: number;
  liquidityIndexRelErrorMax: number;
  borrowIndexRelErrorMean: number;
  borrowIndexRelErrorMax: number;
}

function lendingSummary(report: AaveReport): Record<string, LendingSummary> {
  const out: Record<string, LendingSummary> = {};
  for (const r of report.reserves) {
    out[r.asset.replace(/^aave:/, "")] = {
      events: r.events,
      accepted: r.accepted,
      minutes: r.minutes,
      indexTransitions: r.indexTransitions,
      borrowIndexExact: r.borrowIndexExact,
      liquidityIndexExact: r.liquidityIndexExact,
      liquidityIndexRelErrorMean: Number(r.liquidityIndexRelErrorMean.toPrecision(4)),
      liquidityIndexRelErrorMax: Number(r.liquidityIndexRelErrorMax.toPrecision(4)),
      borrowIndexRelErrorMean: Number(r.borrowIndexRelErrorMean.toPrecision(4)),
      borrowIndexRelErrorMax: Number(r.borrowIndexRelErrorMax.toPrecision(4)),
    };
  }
  return out;
}

function lendingRows(report: AaveReport): [string, string, string][] {
  const rows: [string, string, string][] = [];
  for (const r of report.reserves) {
    const name = r.asset.replace(/^aave:/, "");
    rows.push(
      [rows.length === 0 ? "Aave V3 Polygon" : "", `${name}: events replayed (accepted)`, `${r.events} (${r.accepted}), ${r.owners} owners`],
      ["", `${name}: liquidity index rel. error, mean / max`, `${r.liquidityIndexRelErrorMean.toExponential(2)} / ${r.liquidityIndexRelErrorMax.toExponential(2)} (${r.minutes} minutes)`],
      ["", `${name}: borrow index rel. error, mean / max`, `${r.borrowIndexRelErrorMean.toExponential(2)} / ${r.borrowIndexRelErrorMax.toExponential(2)}`],
      ["", `${name}: Aave's updates via our index math, exact`, `borrow ${r.borrowIndexExact} of ${r.indexTransitions}, liquidity ${r.liquidityIndexExact} (rest: flash loans)`],
    );
  }
  rows.push(["", "lending exit root solvent", report.exitSolvent ? "yes" : "NO"]);
  return rows;
}

/** `semilattice demo --lending`: only the Aave replay, on a fresh engine. */
function runLendingDemo(dataDir: string, json: boolean): number {
  const engine = new Engine();
  const report = replayAave(engine, { dataDir });
  const ok = report.conservationOk && report.exitSolvent;
  if (json) {
    console.log(JSON.stringify({ lending: lendingSummary(report), conservationOk: report.conservationOk, exitSolvent: report.exitSolvent, stateRoot: engine.stateRoot() }));
  } else {
    const rows = [...lendingRows(report), ["", "conservation (every token)", report.conservationOk ? "holds" : "VIOLATED"] as [string, string, string]];
    for (const r of report.reserves) {
      const name = r.asset.replace(/^aave:/, "");
      rows.push(
        ["", `${name}: seed utilisation, supplied, borrowed`, `${(Number(r.seedUtilizationRay) / 1e25).toFixed(2)}%, ${r.seedSupplied}, ${r.seedBorrowed}`],
        ["", `${name}: last minute borrow rate ours / Aave`, `${(r.last.variableBorrowRate[0] * 100).toFixed(4)}% / ${(r.last.variableBorrowRate[1] * 100).toFixed(4)}%`],
        ["", `${name}: last minute supply rate ours / Aave`, `${(r.last.liquidityRate[0] * 100).toFixed(4)}% / ${(r.last.liquidityRate[1] * 100).toFixed(4)}%`],
      );
    }
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    console.log("");
    for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
    console.log("");
  }
  return ok ? 0 : 1;
}

function fmt(x: number): string {
  return x.toFixed(2);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
