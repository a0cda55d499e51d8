/**
 * The sandwich model of `semilattice mev` (docs/sealing.md §measurement): the real Uniswap V3
 * USDC/WETH day (`uniswap.ts`, every swap on the real engine) with one Byzantine participant of a
 * 4-participant channel running a sandwich strategy against the other participants' swaps.
 *
 * What is modelled, and what is not (say it where the numbers are shown):
 * - **Flow.** Every recorded swap is a victim candidate, authored by honest participant
 *   `(index of its sender among the sorted senders) mod 3`; the attacker (participant 3) authors only
 *   its own front- and back-runs. Each swap travels as its own batch. Liquidity follows the real
 *   pool as in the plain replay.
 * - **Intents.** A victim swap is exact-input with a slippage bound: `minAmountOut = ⌊q·(10⁴ − s)/10⁴⌋`
 *   with `q` the engine's quote for the swap in the honest order (the same day without an attacker)
 *   and `s` the tolerance in bps (default 50, the common 0.5% wallet default). The intents are fixed
 *   before any run, so all runs apply the same ops.
 * - **Ordering power: assumed total.** The attacker can put its front-run batch immediately before
 *   any victim batch and its back-run immediately after (as checkpoint proposer, or with a batch id
 *   ground to sort first and a back-run whose parent is the victim's batch). This is the attacker's
 *   upper bound, not a measured network race.
 * - **Visibility: what sealing changes, and only that.** Unsealed, the attacker sees each victim's op
 *   (direction, amount, bound) and the tentative pool before the order is final. Sealed, it sees
 *   only what a sealed batch shows: its author, its ciphertext length and its place in time; the
 *   op is opened after its position is fixed. The strategy is given exactly that view.
 * - **Sandwich** (mev-inspect's definition): in one checkpoint, an attacker swap in the victim's
 *   direction before the victim's swap and an attacker swap in the opposite direction after it,
 *   selling exactly what the front-run bought. The attacker picks the front-run size that maximises
 *   its profit subject to the victim's bound still being met (a victim that would revert pays the
 *   attacker nothing): every size when at most 64 are admissible, else a 64-point grid up to the
 *   largest admissible size refined by ternary search around the best point (optimal up to the
 *   floors' rounding noise: a few base units, tested against brute force); it sandwiches only when the profit is > 0. Capital is unbounded (flash
 *   liquidity); every leg is a real engine swap, and its output must equal the plan.
 * - **Accounting.** Profit = back-run output − front-run input, in the front-run's input token; the
 *   victim's loss = its output on the same pool state without the front-run − its output with it, in
 *   its output token. Amounts of WETH are valued in USDC base units at the pool's reserves right after
 *   the back-run: `⌊w·reserveUSDC/reserveWETH⌋`. Per-token sums are exact.
 * - Not modelled: a blind attacker guessing directions from sizes and timing (it pays two fees per
 *   guess and wins only when right; docs/sealing.md), back-running after opening (not a sandwich),
 *   latency races, other participants' MEV, gas.
 */
import { Engine } from "../core/engine.js";
import { getAmountOut } from "../core/amm/math.js";
import type { SwapOp } from "../core/ops.js";
import type { Result } from "../core/results.js";
import type { Pool } from "../core/state.js";
import { replayUniswapEvents, UNI_POOL, UNI_USDC, UNI_WETH, type UniswapReport } from "./uniswap.js";
import type { UniswapEvent } from "./uniswapData.js";

/** The attacker's engine account. */
export const MEV_ATTACKER = "uni:mev-attacker";
/** Participants of the modelled channel; the last one is the attacker. */
export const MEV_PARTICIPANTS = 4;
export const MEV_ATTACKER_INDEX = 3;
/** Default victim slippage tolerance, bps. */
export const DEFAULT_SLIPPAGE_BPS = 50;
const BPS = 10_000n;

/** A victim's swap as authored: the op and the honest participant that relays it. */
export interface VictimIntent {
  swapIndex: number;
  author: number;
  op: SwapOp & { amountIn: bigint; minAmountOut: bigint };
}

/** What the attacker sees of a victim batch before its place in the order is final. */
export type AttackerView =
  | { kind: "plain"; author: number; op: SwapOp }
  | { kind: "sealed"; author: number; ciphertextBytes: number; block: number };

/** One executed sandwich. Amounts in base units of the named tokens. */
export interface SandwichRecord {
  /** Index of the victim swap among the replayed swaps (0 = the first swap replayed). */
  swapIndex: number;
  block: number;
  /** The victim's (and front-run's) input token; the back-run returns it. */
  tokenIn: string;
  tokenOut: string;
  frontRunIn: bigint;
  frontRunOut: bigint;
  victimAmountIn: bigint;
  victimOutWithoutAttack: bigint;
  victimOut: bigint;
  backRunOut: bigint;
  /** backRunOut − frontRunIn, in tokenIn. */
  profit: bigint;
  /** victimOutWithoutAttack − victimOut, in tokenOut. */
  victimLoss: bigint;
  profitUsdc: bigint;
  victimLossUsdc: bigint;
}

export interface MevRunReport {
  swaps: number;
  /** Swaps whose content the attacker saw before their order was final. */
  visibleSwaps: number;
  /** Swaps that lost output to a sandwich. */
  victims: number;
  sandwiches: number;
  /** Σ profit in USDC base units (decimal string). */
  attackerProfit: string;
  /** Σ victim loss in USDC base units (decimal string). */
  victimLoss: string;
  attackerProfitByToken: { USDC: string; WETH: string };
  victimLossByToken: { USDC: string; WETH: string };
  /** What the attacker deposited to fund its front-runs (its capital), per token. */
  attackerDeposited: { USDC: string; WETH: string };
  /** Victim swaps the engine rejected (none expected: the strategy keeps every victim within its bound). */
  victimRejected: number;
  records: SandwichRecord[];
}

/** Honest participant relaying a sender's swaps: index among sorted distinct senders, mod 3. */
export function authorsOfSenders(events: readonly UniswapEvent[]): Map<string, number> {
  const senders = [...new Set(events.filter((e) => e.type === "SWAP").map((e) => e.sender))].sort();
  return new Map(senders.map((s, i) => [s, i % MEV_ATTACKER_INDEX]));
}

/**
 * The victims' intents: replays the events in the honest order (no attacker) and records every
 * swap with `minAmountOut = ⌊quote·(10⁴ − slippageBps)/10⁴⌋`. Returns the intents (by swap index)
 * and the honest run's report and final state root.
 */
export function victimIntents(events: readonly UniswapEvent[], slippageBps: number = DEFAULT_SLIPPAGE_BPS): { intents: VictimIntent[]; report: UniswapReport; stateRoot: string } {
  if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps > 5_000) throw new RangeError(`slippage ${slippageBps} bps must be an integer in 0..5000`);
  const authors = authorsOfSenders(events);
  const senderOfSwap = events.filter((e) => e.type === "SWAP").map((e) => e.sender);
  const intents: VictimIntent[] = [];
  const honest = new Engine();
  const report = replayUniswapEvents(honest, events, undefined, (engine, s) => {
    const pool = poolOf(engine);
    const q = quote(pool, s.tokenIn, s.amountIn);
    const op = { type: "swap" as const, account: s.account, pool: UNI_POOL, tokenIn: s.tokenIn, amountIn: s.amountIn, minAmountOut: (q * (BPS - BigInt(slippageBps))) / BPS };
    intents.push({ swapIndex: s.swapIndex, author: authors.get(senderOfSwap[s.swapIndex] as string) ?? 0, op });
    return engine.swap(op);
  });
  return { intents, report, stateRoot: honest.stateRoot() };
}

export interface ReplayWithAttackerParameters {
  events: readonly UniswapEvent[];
  intents: readonly VictimIntent[];
  /** What the attacker sees of swap i before its order is final. */
  view: (swapIndex: number) => AttackerView;
  /** The op applied for swap i once its position is final (sealed: the opened, decoded op). */
  opAt: (swapIndex: number) => SwapOp;
}

/** Runs the day with the attacker (module doc) on a fresh engine. */
export function replayWithAttacker(parameters: ReplayWithAttackerParameters): MevRunReport & { engine: Engine } {
  const { events, intents } = parameters;
  const blockOfSwap = events.filter((e) => e.type === "SWAP").map((e) => e.block);
  const engine = new Engine();
  const out: MevRunReport = {
    swaps: 0,
    visibleSwaps: 0,
    victims: 0,
    sandwiches: 0,
    attackerProfit: "0",
    victimLoss: "0",
    attackerProfitByToken: { USDC: "0", WETH: "0" },
    victimLossByToken: { USDC: "0", WETH: "0" },
    attackerDeposited: { USDC: "0", WETH: "0" },
    victimRejected: 0,
    records: [],
  };
  let attackerCreated = false;
  replayUniswapEvents(engine, events, undefined, (e, s) => {
    const intent = intents[s.swapIndex];
    if (intent === undefined || intent.op.account !== s.account || intent.op.amountIn !== s.amountIn || intent.op.tokenIn !== s.tokenIn) {
      throw new Error(`mev replay: swap ${s.swapIndex} does not match its intent`);
    }
    const op = parameters.opAt(s.swapIndex);
    if (op.account !== intent.op.account || op.amountIn !== intent.op.amountIn || op.minAmountOut !== intent.op.minAmountOut || op.tokenIn !== intent.op.tokenIn || op.pool !== intent.op.pool) {
      throw new Error(`mev replay: the op applied for swap ${s.swapIndex} is not the one authored`);
    }
    out.swaps++;
    const view = parameters.view(s.swapIndex);
    const plan = sandwichStrategy(poolOf(e), view);
    if (view.kind === "plain") out.visibleSwaps++;
    if (plan === undefined) return countRejected(out, e.swap(op));
    if (!attackerCreated) {
      must(e.createAccount({ account: MEV_ATTACKER }), "create the attacker");
      attackerCreated = true;
    }
    return executeSandwich(e, op, plan, blockOfSwap[s.swapIndex] ?? 0, s.swapIndex, out);
  });
  return { ...out, engine };
}

/** The strategy: a sandwich plan for what it sees, or none. Sealed views carry no direction or amount: none. */
export function sandwichStrategy(pool: Readonly<Pool>, view: AttackerView): SandwichPlan | undefined {
  if (view.kind !== "plain") return undefined;
  const op = view.op;
  if (op.amountIn === undefined || op.amountIn <= 0n) return undefined;
  return planSandwich(pool, op.tokenIn, op.amountIn, op.minAmountOut ?? 0n);
}

export interface SandwichPlan {
  frontRunIn: bigint;
  frontRunOut: bigint;
  victimOutWithoutAttack: bigint;
  victimOut: bigint;
  backRunOut: bigint;
  profit: bigint;
}

/**
 * The most profitable sandwich of an exact-input swap of `amountIn` of `tokenIn` bounded by
 * `minAmountOut` on `pool` (V2 arithmetic, the engine's own `getAmountOut`), or undefined if none
 * has profit > 0. Deterministic.
 */
export function planSandwich(pool: Readonly<Pool>, tokenIn: string, amountIn: bigint, minAmountOut: bigint): SandwichPlan | undefined {
  const zeroForOne = tokenIn === pool.token0;
  const rIn = zeroForOne ? pool.reserve0 : pool.reserve1;
  const rOut = zeroForOne ? pool.reserve1 : pool.reserve0;
  const fee = pool.feePpm;
  if (rIn <= 0n || rOut <= 0n) return undefined;
  const victimOutWithoutAttack = getAmountOut(amountIn, rIn, rOut, fee);
  /** The plan for front-run x, or undefined if it breaks the victim's bound (or the pool). */
  const simulate = (x: bigint): SandwichPlan | undefined => {
    if (x <= 0n) return undefined;
    const y1 = getAmountOut(x, rIn, rOut, fee);
    if (y1 >= rOut) return undefined;
    const in1 = rIn + x;
    const out1 = rOut - y1;
    const v = getAmountOut(amountIn, in1, out1, fee);
    if (v < minAmountOut || v <= 0n) return undefined;
    const back = y1 === 0n ? 0n : getAmountOut(y1, out1 - v, in1 + amountIn, fee);
    return { frontRunIn: x, frontRunOut: y1, victimOutWithoutAttack, victimOut: v, backRunOut: back, profit: back - x };
  };
  // largest admissible front-run: the victim's output only falls as x grows; binary search on [1, rIn]
  if (simulate(1n) === undefined) return undefined;
  let lo = 1n;
  let hi = rIn;
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (simulate(mid) !== undefined) lo = mid;
    else hi = mid - 1n;
  }
  const xMax = lo;
  const better = (p: SandwichPlan | undefined, than: SandwichPlan | undefined): boolean => p !== undefined && (than === undefined || p.profit > than.profit);
  let best: SandwichPlan | undefined;
  if (xMax <= 64n) {
    for (let x = 1n; x <= xMax; x++) {
      const p = simulate(x);
      if (better(p, best)) best = p;
    }
    return best !== undefined && best.profit > 0n ? best : undefined;
  }
  let bestK = 0n;
  const GRID = 64n;
  for (let k = 1n; k <= GRID; k++) {
    const p = simulate((xMax * k) / GRID);
    if (better(p, best)) {
      best = p;
      bestK = k;
    }
  }
  if (best === undefined) return undefined;
  // ternary search on the grid cells around the best point (profit is unimodal in x up to rounding),
  // then every x of the last few units
  let a = (xMax * (bestK - 1n)) / GRID;
  let b = (xMax * (bestK + 1n > GRID ? GRID : bestK + 1n)) / GRID;
  const profitAt = (x: bigint): bigint => simulate(x)?.profit ?? -(1n << 200n);
  while (b - a > 8n) {
    const m1 = a + (b - a) / 3n;
    const m2 = b - (b - a) / 3n;
    if (profitAt(m1) < profitAt(m2)) a = m1;
    else b = m2;
  }
  for (let x = a; x <= b; x++) {
    const p = simulate(x);
    if (better(p, best)) best = p;
  }
  if (best === undefined) return undefined;
  return best.profit > 0n ? best : undefined;
}

function executeSandwich(engine: Engine, op: SwapOp, plan: SandwichPlan, block: number, swapIndex: number, out: MevRunReport): Result {
  const tokenIn = op.tokenIn;
  const tokenOut = tokenIn === UNI_USDC ? UNI_WETH : UNI_USDC;
  const shortfall = plan.frontRunIn - engine.balanceOf(MEV_ATTACKER, tokenIn);
  if (shortfall > 0n) {
    must(engine.deposit({ account: MEV_ATTACKER, token: tokenIn, amount: shortfall }), "fund the front-run");
    const k = tokenIn === UNI_USDC ? "USDC" : "WETH";
    out.attackerDeposited[k] = (BigInt(out.attackerDeposited[k]) + shortfall).toString();
  }
  const front = engine.swap({ account: MEV_ATTACKER, pool: UNI_POOL, tokenIn, amountIn: plan.frontRunIn });
  must(front, "front-run");
  const victim = engine.swap(op);
  must(victim, `victim swap ${swapIndex}`);
  const back = engine.swap({ account: MEV_ATTACKER, pool: UNI_POOL, tokenIn: tokenOut, amountIn: plan.frontRunOut });
  must(back, "back-run");
  const got = [amountOutOf(front), amountOutOf(victim), amountOutOf(back)];
  if (got[0] !== plan.frontRunOut || got[1] !== plan.victimOut || got[2] !== plan.backRunOut) {
    throw new Error(`mev replay: swap ${swapIndex}: the engine's outputs ${got.join("/")} differ from the plan`);
  }
  const pool = poolOf(engine);
  const usdc = (token: string, amount: bigint): bigint => (token === UNI_USDC ? amount : (amount * pool.reserve0) / pool.reserve1);
  const record: SandwichRecord = {
    swapIndex,
    block,
    tokenIn,
    tokenOut,
    frontRunIn: plan.frontRunIn,
    frontRunOut: plan.frontRunOut,
    victimAmountIn: op.amountIn ?? 0n,
    victimOutWithoutAttack: plan.victimOutWithoutAttack,
    victimOut: plan.victimOut,
    backRunOut: plan.backRunOut,
    profit: plan.profit,
    victimLoss: plan.victimOutWithoutAttack - plan.victimOut,
    profitUsdc: usdc(tokenIn, plan.profit),
    victimLossUsdc: usdc(tokenOut, plan.victimOutWithoutAttack - plan.victimOut),
  };
  out.records.push(record);
  out.sandwiches++;
  if (record.victimLoss > 0n) out.victims++;
  const add = (s: string, v: bigint): string => (BigInt(s) + v).toString();
  out.attackerProfit = add(out.attackerProfit, record.profitUsdc);
  out.victimLoss = add(out.victimLoss, record.victimLossUsdc);
  const key = (token: string): "USDC" | "WETH" => (token === UNI_USDC ? "USDC" : "WETH");
  out.attackerProfitByToken[key(tokenIn)] = add(out.attackerProfitByToken[key(tokenIn)], record.profit);
  out.victimLossByToken[key(tokenOut)] = add(out.victimLossByToken[key(tokenOut)], record.victimLoss);
  return victim;
}

function countRejected(out: MevRunReport, r: Result): Result {
  if (r.status !== "accepted") out.victimRejected++;
  return r;
}

function quote(pool: Readonly<Pool>, tokenIn: string, amountIn: bigint): bigint {
  const zeroForOne = tokenIn === pool.token0;
  return getAmountOut(amountIn, zeroForOne ? pool.reserve0 : pool.reserve1, zeroForOne ? pool.reserve1 : pool.reserve0, pool.feePpm);
}

function poolOf(engine: Engine): Readonly<Pool> {
  const pool = engine.getPool(UNI_POOL);
  if (pool === undefined) throw new Error("mev replay: no pool");
  return pool;
}

function amountOutOf(r: Result): bigint {
  return r.status === "accepted" ? (r as unknown as { amountOut: bigint }).amountOut : -1n;
}

function must(r: Result, what: string): void {
  if (r.status !== "accepted") throw new Error(`mev replay: ${what} rejected: ${r.code}: ${r.message}`);
}
