/**
 * The on-disk engine snapshot (`src/core/serialize.ts`): an engine decoded from its snapshot evolves
 * exactly as the original under the same further ops (same results, same state root after every op,
 * same exit root and conservation), on the real replays (Coinbase L2 flow, the Uniswap day with
 * lock-swaps, the Aave reserves, the perps crash window) and on random op sequences; damaged or
 * foreign bytes are refused with a stable code and no engine.
 */
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { Engine, type JournalEntry } from "../src/core/engine.js";
import type { Op } from "../src/core/ops.js";
import type { Result } from "../src/core/results.js";
import { DETACHED } from "../src/core/orderbook/book.js";
import { cloneEngine } from "../src/core/snapshot.js";
import {
  decodeEngine,
  encodeEngine,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_HEADER_BYTES,
  SnapshotError,
  type SnapshotErrorCode,
} from "../src/core/serialize.js";
import { replayAave } from "../src/replay/aave.js";
import { replayCoinbase } from "../src/replay/coinbase.js";
import { defaultDataDir } from "../src/replay/paths.js";
import { replayPerps } from "../src/replay/perps.js";
import { loadPriceSegments } from "../src/replay/perpsData.js";
import { loadUniswapEvents } from "../src/replay/uniswapData.js";
import { UNI_POOL, replayUniswapEvents } from "../src/replay/uniswap.js";

function applyEntry(engine: Engine, entry: JournalEntry): Result {
  return (engine[entry.type] as (p: unknown) => Result)(entry.op);
}

function build(journal: readonly JournalEntry[], upTo: number): Engine {
  const engine = new Engine();
  for (let i = 0; i < upTo; i++) applyEntry(engine, journal[i]!);
  return engine;
}

/**
 * Snapshots `original` (without computing its root first, so dirty sets travel in the snapshot),
 * decodes it, checks the snapshot is canonical (re-encoding the decoded engine gives the same bytes),
 * then applies `rest` to both and compares every result, and the state roots after each of the
 * first `rootsEveryOpFor` ops (all by default) and after every `rootEvery`-th op after that (a
 * state root costs ~1.5 ms on the 10 Coinbase books, so every op of 10k would take a minute; a
 * divergence that lasts is caught by the next compared root, and every result is compared anyway).
 */
function continueBoth(original: Engine, rest: readonly JournalEntry[], rootsEveryOpFor = Infinity, rootEvery = 1): { bytes: number; ops: number } {
  const bytes = encodeEngine(original);
  const decoded = decodeEngine(bytes);
  expect(decoded === original).toBe(false);
  expect(Buffer.from(encodeEngine(decoded)).equals(Buffer.from(bytes))).toBe(true);
  expect(decoded.opsApplied).toBe(original.opsApplied);
  expect(decoded.stateRoot()).toBe(original.stateRoot());
  expect(decoded.exitRoot()).toBe(original.exitRoot());
  expect(decoded.checkConservation()).toEqual(original.checkConservation());
  let resultMismatches = 0;
  let rootMismatches = 0;
  let firstMismatch: { index: number; a: unknown; b: unknown } | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = applyEntry(original, rest[i]!);
    const b = applyEntry(decoded, rest[i]!);
    if (!isDeepStrictEqual(a, b)) {
      resultMismatches++;
      firstMismatch ??= { index: i, a, b };
    }
    if ((i < rootsEveryOpFor || i % rootEvery === 0) && original.stateRoot() !== decoded.stateRoot()) {
      rootMismatches++;
      firstMismatch ??= { index: i, a: original.stateRoot(), b: decoded.stateRoot() };
    }
  }
  expect(firstMismatch).toBeUndefined();
  expect({ resultMismatches, rootMismatches }).toEqual({ resultMismatches: 0, rootMismatches: 0 });
  expect(decoded.stateRoot()).toBe(original.stateRoot());
  expect(decoded.exitRoot()).toBe(original.exitRoot());
  expect(decoded.checkConservation()).toEqual(original.checkConservation());
  expect(decoded.checkConservation().ok).toBe(true);
  expect(decoded.opsApplied).toBe(original.opsApplied);
  return { bytes: bytes.length, ops: rest.length };
}

/** Snapshot at `cut`, continue both to the end of the journal (see {@link continueBoth}). */
function snapshotMidway(journal: readonly JournalEntry[], cut: number, rootsEveryOpFor?: number, rootEvery?: number): { bytes: number; ops: number } {
  return continueBoth(build(journal, cut), journal.slice(cut), rootsEveryOpFor, rootEvery);
}

function codeOf(f: () => unknown): SnapshotErrorCode | undefined {
  try {
    f();
  } catch (error) {
    if (error instanceof SnapshotError) return error.code;
    throw error;
  }
  return undefined;
}

describe("engine snapshots on the real replays", () => {
  let coinbase: JournalEntry[];
  beforeAll(() => {
    const engine = new Engine({ journal: true });
    replayCoinbase(engine, { dataDir: defaultDataDir() });
    coinbase = engine.journal!;
  });

  it("Coinbase L2 flow (10 books, FIFO levels, partial cancels): snapshot at 1/2, both continue identically", () => {
    const cut = Math.floor(coinbase.length / 2);
    const original = build(coinbase, cut);
    // the book is live at the cut: resting orders, levels, per-account order counts
    const market = [...original.state.markets.values()].find((m) => m.orders.size > 10)!;
    expect(market === undefined).toBe(false);
    const decoded = decodeEngine(encodeEngine(original));
    const dm = decoded.state.markets.get(market.id)!;
    expect([...dm.orders.keys()]).toEqual([...market.orders.keys()]);
    const first = dm.orders.values().next().value!;
    expect(first.account === decoded.state.accounts.get(first.account.id)).toBe(true);
    expect(first.level.head === first || first.prev !== null).toBe(true);
    expect((dm.bids.levels.get(first.priceTicks) ?? dm.asks.levels.get(first.priceTicks)) === first.level).toBe(true);
    expect(Object.getPrototypeOf(dm.bids) === Object.getPrototypeOf(market.bids)).toBe(true);
    expect([...dm.ordersPerAccount.keys()].every((a) => decoded.state.accounts.get(a.id) === a)).toBe(true);
    expect(decoded.getDepth(market.id, 20)).toEqual(original.getDepth(market.id, 20));
    const { bytes, ops } = snapshotMidway(coinbase, cut, 1500, 50);
    expect(ops).toBeGreaterThan(1000);
    expect(bytes).toBeGreaterThan(SNAPSHOT_HEADER_BYTES);
  });

  it("Coinbase L2 flow: a snapshot of a decoded engine (at 3/4) continues identically too", () => {
    const decoded = decodeEngine(encodeEngine(build(coinbase, Math.floor(coinbase.length / 4))));
    const cut = Math.floor((3 * coinbase.length) / 4);
    for (let i = Math.floor(coinbase.length / 4); i < cut; i++) applyEntry(decoded, coinbase[i]!);
    const again = decodeEngine(encodeEngine(decoded));
    expect(again.stateRoot()).toBe(build(coinbase, cut).stateRoot());
    continueBoth(again, coinbase.slice(cut), 500, 100);
  });

  it("Uniswap day with lock-swaps (open locks, pending sums, fee votes): snapshot at 1/2, both continue identically", () => {
    const events = loadUniswapEvents(defaultDataDir()).slice(0, 3000);
    const engine = new Engine({ journal: true });
    const open: { account: string; lockId: string; due: number }[] = [];
    let opened = 0;
    replayUniswapEvents(engine, events, undefined, (e, swap) => {
      while (open.length > 0 && open[0]!.due <= swap.swapIndex) {
        const lock = open.shift()!;
        e.executeLock({ account: lock.account, lockId: lock.lockId });
      }
      if (swap.swapIndex % 3 === 0) {
        const r = e.acquireLock({ account: swap.account, pool: UNI_POOL, tokenIn: swap.tokenIn, amountIn: swap.amountIn, expiryMs: e.timeMs + 86_400_000 });
        if (r.status === "accepted") {
          opened++;
          open.push({ account: swap.account, lockId: r.lockId, due: swap.swapIndex + 1 + (swap.swapIndex % 7) });
          return r;
        }
      }
      return e.swap({ account: swap.account, pool: UNI_POOL, tokenIn: swap.tokenIn, amountIn: swap.amountIn });
    });
    expect(opened).toBeGreaterThan(50);
    const journal = engine.journal!;
    const cut = Math.floor(journal.length / 2);
    const atCut = build(journal, cut);
    expect(atCut.state.pools.get(UNI_POOL)!.locks.size).toBeGreaterThan(0);
    snapshotMidway(journal, cut);
  });

  it("Aave reserves (indexes, rates, scaled balances, oracle): snapshot at 1/3, both continue identically", () => {
    const engine = new Engine({ journal: true });
    replayAave(engine);
    const journal = engine.journal!;
    const cut = Math.floor(journal.length / 3);
    expect(build(journal, cut).state.lending.reserves.size).toBeGreaterThan(0);
    snapshotMidway(journal, cut);
  });

  it("perps crash window (positions, funding, liquidations, insurance): snapshot at 1/2, both continue identically", () => {
    const segments = loadPriceSegments(defaultDataDir()).filter((s) => s.id === "2022-06");
    const engine = new Engine({ journal: true });
    replayPerps(engine, { dataDir: defaultDataDir(), segments });
    const journal = engine.journal!;
    snapshotMidway(journal, Math.floor(journal.length / 2), 2000, 20);
  });
});

/* ─────────────── random op sequences on a small engine with every family ─────────────── */

const ACCOUNTS = ["alice", "bob", "carol"];
const T0 = 1_704_499_200_000;
const USD = 100_000_000n;
const RAY = 10n ** 27n;

function smallEngine(): Engine {
  const e = new Engine();
  const ok = (r: Result): void => {
    if (r.status !== "accepted") throw new Error(`setup rejected: ${r.code} ${r.message}`);
  };
  ok(e.advanceTime({ timeMs: T0 }));
  ok(e.createToken({ symbol: "USDC", decimals: 6 }));
  ok(e.createToken({ symbol: "WETH", decimals: 18 }));
  ok(e.createAccount({ account: "o", roles: ["Oracle"] }));
  ok(e.createAccount({ account: "liq", roles: ["Liquidator"] }));
  for (const a of ACCOUNTS) {
    ok(e.createAccount({ account: a }));
    ok(e.deposit({ account: a, token: "USDC", amount: 10n ** 13n }));
    ok(e.deposit({ account: a, token: "WETH", amount: 10n ** 22n }));
  }
  ok(e.setPriceConfig({ account: "o", asset: "USDC", maxAgeMs: 365 * 86_400_000 }));
  ok(e.setPriceConfig({ account: "o", asset: "WETH", maxAgeMs: 365 * 86_400_000 }));
  ok(e.setPrice({ account: "o", asset: "USDC", price: USD }));
  ok(e.setPrice({ account: "o", asset: "WETH", price: 2_000n * USD }));
  const reserve = { optimalUsageRatio: (RAY * 9n) / 10n, baseVariableBorrowRate: 0n, variableRateSlope1: RAY / 25n, variableRateSlope2: (RAY * 6n) / 10n, reserveFactor: 1000, ltv: 8000, liquidationThreshold: 8500, liquidationBonus: 10500, liquidationProtocolFee: 1000 };
  ok(e.createReserve({ asset: "USDC", ...reserve }));
  ok(e.createReserve({ asset: "WETH", ...reserve }));
  ok(e.createMarket({ market: "M", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 1000n, makerFeePpm: 1000, takerFeePpm: 2000 }));
  ok(e.createPool({ pool: "P", token0: "WETH", token1: "USDC", feePpm: 3000, lockPolicy: "anybody" }));
  ok(e.addLiquidity({ account: "alice", pool: "P", amount0Desired: 10n ** 20n, amount1Desired: 2n * 10n ** 11n }));
  ok(e.createPerpMarket({ market: "PERP", quote: "USDC", asset: "WETH", assetDecimals: 18, lotSize: 10n ** 15n, tickSize: 10n, imfPpm: 100_000, mmfPpm: 50_000, maxLeverage: 10, makerFeePpm: 0, takerFeePpm: 0 }));
  for (const a of ACCOUNTS) ok(e.depositMargin({ account: a, token: "USDC", amount: 10n ** 11n }));
  return e;
}

const account = fc.constantFrom(...ACCOUNTS);
const side = fc.constantFrom("buy" as const, "sell" as const);
const lockId = fc.integer({ min: 1, max: 30 }).map((n) => `P#${n}`);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant("placeOrder" as const), account, market: fc.constant("M"), side, priceTicks: fc.integer({ min: 1990, max: 2010 }), lots: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("marketOrder" as const), account, market: fc.constant("M"), side, lots: fc.integer({ min: 1, max: 40 }), worstPriceTicks: fc.constantFrom(1, 5000) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("cancelOrder" as const), account, market: fc.constantFrom("M", "PERP"), orderId: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("swap" as const), account, pool: fc.constant("P"), tokenIn: fc.constantFrom("WETH", "USDC"), amountIn: fc.bigInt({ min: 1n, max: 10n ** 17n }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("acquireLock" as const), account, pool: fc.constant("P"), tokenIn: fc.constantFrom("WETH", "USDC"), amountIn: fc.bigInt({ min: 1n, max: 10n ** 17n }), expiryMs: fc.integer({ min: T0 + 1, max: T0 + 100_000 }), payOnExecute: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("executeLock" as const), account, lockId }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("cancelLock" as const), account, lockId }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("voteFee" as const), account, pool: fc.constant("P"), feePpm: fc.integer({ min: 100, max: 10_000 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("advanceTime" as const), timeMs: fc.integer({ min: T0, max: T0 + 200_000 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("setPrice" as const), account: fc.constant("o"), asset: fc.constantFrom("WETH", "USDC"), price: fc.bigInt({ min: USD / 2n, max: 3_000n * USD }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constantFrom("supply" as const, "borrow" as const, "repay" as const, "withdrawSupply" as const), account, asset: fc.constantFrom("WETH", "USDC"), amount: fc.bigInt({ min: 1n, max: 10n ** 19n }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("placeOrder" as const), account, market: fc.constant("PERP"), side, priceTicks: fc.integer({ min: 190_000, max: 210_000 }), lots: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("openPosition" as const), account, market: fc.constant("PERP"), side, lots: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("closePosition" as const), account, market: fc.constant("PERP") }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("transfer" as const), from: account, to: account, token: fc.constantFrom("WETH", "USDC"), amount: fc.bigInt({ min: 1n, max: 10n ** 9n }) }) },
);

describe("engine snapshots under random op sequences", () => {
  it("a decoded engine evolves exactly as the original (results, state roots after every op, exit root, conservation)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 200 }), fc.nat(), fc.boolean(), (ops, cutSeed, rootBefore) => {
        const original = smallEngine();
        const cut = cutSeed % (ops.length + 1);
        for (const op of ops.slice(0, cut)) original.apply(op);
        // half the time the root cache is up to date at the snapshot, half the time entities are dirty
        if (rootBefore) original.stateRoot();
        const decoded = decodeEngine(encodeEngine(original));
        expect(decoded.stateRoot()).toBe(original.stateRoot());
        for (const op of ops.slice(cut)) {
          expect(decoded.apply(op)).toEqual(original.apply(op));
          expect(decoded.stateRoot()).toBe(original.stateRoot());
        }
        expect(decoded.exitRoot()).toBe(original.exitRoot());
        expect(decoded.checkConservation()).toEqual(original.checkConservation());
        expect(decoded.getDepth("M", 50)).toEqual(original.getDepth("M", 50));
        expect(decoded.opsApplied).toBe(original.opsApplied);
      }),
      { numRuns: 60 },
    );
  });

  it("the encoding is deterministic and canonical: equal engines give equal bytes, decode∘encode is the identity on bytes", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 0, maxLength: 120 }), (ops) => {
        const a = smallEngine();
        const b = smallEngine();
        for (const op of ops) {
          a.apply(op);
          b.apply(op);
        }
        const bytes = encodeEngine(a);
        expect(Buffer.from(encodeEngine(b)).equals(Buffer.from(bytes))).toBe(true);
        expect(Buffer.from(encodeEngine(decodeEngine(bytes))).equals(Buffer.from(bytes))).toBe(true);
        // the in-memory clone encodes to the same bytes: both keep the same graph
        expect(Buffer.from(encodeEngine(cloneEngine(a))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

/* ─────────────── what the format keeps, what it refuses ─────────────── */

describe("engine snapshot format", () => {
  it("keeps the DETACHED sentinel by identity, -0, bigints of any size, Map/Set order, the journal", () => {
    const e = new Engine({ journal: true });
    e.createToken({ symbol: "USDC", decimals: 6 });
    e.createAccount({ account: "z" });
    e.createAccount({ account: "a" });
    e.deposit({ account: "z", token: "USDC", amount: 10n ** 20n });
    const state = e.state as unknown as Record<string, unknown>;
    // extra values of every kind, reachable from the engine (a test-only side table)
    const extra = { detached: DETACHED, negZero: -0, nan: Number.NaN, big: -(2n ** 300n), lone: "\uD800x", map: new Map<unknown, unknown>([["b", 1], ["a", 2]]), set: new Set([3, 1, 2]), bytes: Buffer.from([1, 2, 3]), frozen: Object.freeze({ k: 1 }) };
    state.extra = extra;
    const d = decodeEngine(encodeEngine(e));
    const x = (d.state as unknown as Record<string, unknown>).extra as typeof extra;
    expect(x.detached).toBe(DETACHED);
    expect(Object.is(x.negZero, -0)).toBe(true);
    expect(Number.isNaN(x.nan)).toBe(true);
    expect(x.big).toBe(-(2n ** 300n));
    expect(x.lone).toBe("\uD800x");
    expect([...x.map.keys()]).toEqual(["b", "a"]);
    expect([...x.set]).toEqual([3, 1, 2]);
    expect(Buffer.isBuffer(x.bytes) && x.bytes.equals(Buffer.from([1, 2, 3]))).toBe(true);
    expect(Object.isFrozen(x.frozen)).toBe(true);
    expect([...d.state.accounts.keys()]).toEqual(["z", "a"]);
    expect(d.journal).toEqual(e.journal);
    expect(d.state.accounts.get("z")!.free.get("USDC")).toBe(10n ** 20n);
  });

  it("refuses to encode what it cannot keep faithfully (unknown class, function, symbol, WeakMap)", () => {
    class Foreign {
      v = 1;
    }
    for (const bad of [new Foreign(), () => 1, Symbol("s"), new WeakMap(), new Date(0), new Uint16Array(2)]) {
      const e = new Engine();
      (e.state as unknown as Record<string, unknown>).extra = { bad };
      expect(codeOf(() => encodeEngine(e))).toBe("SNAPSHOT_UNSUPPORTED");
    }
  });

  const sample = (): Uint8Array => {
    const e = smallEngine();
    e.placeOrder({ account: "bob", market: "M", side: "buy", priceTicks: 1995, lots: 3 });
    e.acquireLock({ account: "carol", pool: "P", tokenIn: "USDC", amountIn: 10n ** 8n, expiryMs: T0 + 1000 });
    return encodeEngine(e);
  };

  it("refuses any single flipped byte, every truncation and padding with SNAPSHOT_CORRUPT, or SNAPSHOT_VERSION for the version field", () => {
    const bytes = sample();
    expect(decodeEngine(bytes).stateRoot()).toBeTypeOf("string");
    const codes = new Map<string, number>();
    const step = Math.max(1, Math.floor(bytes.length / 400));
    for (let i = 0; i < bytes.length; i += i < SNAPSHOT_HEADER_BYTES ? 1 : step) {
      const damaged = bytes.slice();
      damaged[i]! ^= 0x01 << (i % 8);
      const code = codeOf(() => decodeEngine(damaged));
      expect(code, `byte ${i}`).toBe(i === 8 || i === 9 ? "SNAPSHOT_VERSION" : "SNAPSHOT_CORRUPT");
      codes.set(code!, (codes.get(code!) ?? 0) + 1);
    }
    expect(codes.get("SNAPSHOT_CORRUPT")).toBeGreaterThan(100);
    for (const n of [0, 1, 7, SNAPSHOT_HEADER_BYTES - 1, SNAPSHOT_HEADER_BYTES, bytes.length - 1]) {
      expect(codeOf(() => decodeEngine(bytes.subarray(0, n)))).toBe("SNAPSHOT_CORRUPT");
    }
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    expect(codeOf(() => decodeEngine(padded))).toBe("SNAPSHOT_CORRUPT");
  });

  it("a newer format version is refused with SNAPSHOT_VERSION and a clear message", () => {
    const bytes = sample().slice();
    new DataView(bytes.buffer).setUint16(8, SNAPSHOT_FORMAT_VERSION + 1);
    let error: unknown;
    try {
      decodeEngine(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SnapshotError);
    expect((error as SnapshotError).code).toBe("SNAPSHOT_VERSION");
    expect((error as SnapshotError).shortMessage).toMatch(/version 2; this build reads version 1/);
  });

  it("validates the body even under a matching checksum (unknown tags, dangling ids, trailing bytes) and applies the limits", () => {
    const bytes = sample();
    const body = bytes.subarray(SNAPSHOT_HEADER_BYTES);
    const reseal = (b: Uint8Array): Uint8Array => {
      const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + b.length);
      out.set(bytes.subarray(0, 12));
      new DataView(out.buffer).setBigUint64(12, BigInt(b.length));
      out.set(createHashSync(b), 20);
      out.set(b, SNAPSHOT_HEADER_BYTES);
      return out;
    };
    expect(decodeEngine(reseal(body)).stateRoot()).toBe(decodeEngine(bytes).stateRoot());
    // trailing byte inside the body
    const longer = new Uint8Array(body.length + 1);
    longer.set(body);
    expect(codeOf(() => decodeEngine(reseal(longer)))).toBe("SNAPSHOT_CORRUPT");
    // every single-byte change of the body, resealed: refused as corrupt or decoded into an engine
    // (a changed amount is still a valid snapshot) — never a crash of another kind
    let refused = 0;
    const step = Math.max(1, Math.floor(body.length / 300));
    for (let i = 0; i < body.length; i += step) {
      const damaged = body.slice();
      damaged[i] = damaged[i]! ^ 0xff;
      const code = codeOf(() => decodeEngine(reseal(damaged)));
      if (code !== undefined) {
        expect(code).toBe("SNAPSHOT_CORRUPT");
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(10);
    expect(codeOf(() => decodeEngine(bytes, { maxBytes: bytes.length - 1 }))).toBe("SNAPSHOT_TOO_LARGE");
    expect(codeOf(() => decodeEngine(bytes, { maxObjects: 10 }))).toBe("SNAPSHOT_TOO_LARGE");
    const e = decodeEngine(bytes);
    expect(codeOf(() => encodeEngine(e, { maxObjects: 10 }))).toBe("SNAPSHOT_TOO_LARGE");
    expect(codeOf(() => encodeEngine(e, { maxBytes: 100 }))).toBe("SNAPSHOT_TOO_LARGE");
  });

  it("a 20,000-order FIFO list at one price round-trips without exhausting the stack", () => {
    const e = new Engine();
    e.createToken({ symbol: "USDC", decimals: 6 });
    e.createToken({ symbol: "WETH", decimals: 18 });
    e.createAccount({ account: "a" });
    e.deposit({ account: "a", token: "WETH", amount: 10n ** 30n });
    e.createMarket({ market: "M", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 1000n, makerFeePpm: 0, takerFeePpm: 0 });
    for (let i = 0; i < 20_000; i++) e.placeOrder({ account: "a", market: "M", side: "sell", priceTicks: 100, lots: 1 });
    const d = decodeEngine(encodeEngine(e));
    expect(d.getDepth("M", 1)).toEqual({ bids: [], asks: [{ priceTicks: 100, lots: 20_000, orders: 20_000 }] });
    expect(d.stateRoot()).toBe(e.stateRoot());
  });
});

function createHashSync(b: Uint8Array): Buffer {
  return createHash("sha256").update(b).digest();
}
