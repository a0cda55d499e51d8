/**
 * Benchmark support: one row per measured workload, always next to a peer measured in the same run,
 * so the ratio means something on whatever machine runs it.
 */

export interface BenchRow {
  name: string;
  /** Ops per second of Semilattice on this workload. */
  opsPerSecond: number;
  /** What we compare against (a library, the real contract bytecode, a baseline of ours). */
  peer: string;
  peerOpsPerSecond: number;
  /** opsPerSecond / peerOpsPerSecond. */
  ratio: number;
  /** Free-form detail (ops per run, notes on what was measured). */
  note?: string;
}

export interface Timing {
  ops: number;
  seconds: number;
  opsPerSecond: number;
}

/**
 * Runs `run` (which performs `opsPerRun` ops and returns nothing useful) repeatedly until at least
 * `minSeconds` have passed, after `warmupRuns` untimed runs, and reports the best run's rate (the
 * least disturbed by GC and the other core's load). `setup` runs untimed before each run.
 */
export function measure<S>(opts: {
  setup: () => S;
  run: (input: S) => void;
  opsPerRun: number;
  minSeconds?: number;
  warmupRuns?: number;
  maxRuns?: number;
}): Timing {
  const minSeconds = opts.minSeconds ?? 1;
  const warmupRuns = opts.warmupRuns ?? 2;
  const maxRuns = opts.maxRuns ?? 1000;
  for (let i = 0; i < warmupRuns; i++) opts.run(opts.setup());
  let best = Infinity;
  let total = 0;
  for (let runs = 0; runs < maxRuns && (total < minSeconds || runs < 3); runs++) {
    const input = opts.setup();
    const start = process.hrtime.bigint();
    opts.run(input);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    total += seconds;
    if (seconds < best) best = seconds;
  }
  return { ops: opts.opsPerRun, seconds: best, opsPerSecond: opts.opsPerRun / best };
}

export function row(name: string, ours: Timing, peer: string, theirs: Timing, note?: string): BenchRow {
  return {
    name,
    opsPerSecond: Math.round(ours.opsPerSecond),
    peer,
    peerOpsPerSecond: Math.round(theirs.opsPerSecond),
    ratio: Math.round((ours.opsPerSecond / theirs.opsPerSecond) * 100) / 100,
    ...(note === undefined ? {} : { note }),
  };
}
