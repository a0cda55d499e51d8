/**
 * Cross-channel routes (src/route/crossChannel.ts) between two real channels: each has four
 * replicas (MultiPartyChannel + sync) with Tendermint Checkpointers on its own simulated network
 * (SimNetwork: virtual time, seeded delays, optionally drops/duplicates/reordering); the route owner
 * is a participant of both. The intermediate token moves by certified receipts; every step is acted
 * on only when final. Other participants swap on both pools while the route runs.
 */
import { describe, expect, test } from "vitest";
import type { Checkpointer } from "../src/channel/checkpoint.js";
import { attachCheckpointer, muxTransport } from "../src/channel/consensus/attach.js";
import { createSigner, type Hex, type Signer } from "../src/channel/identity.js";
import type { Engine } from "../src/core/engine.js";
import type { CreditReceiptOp, Op } from "../src/core/ops.js";
import type { Result } from "../src/core/results.js";
import { MultiPartyChannel } from "../src/node/channel.js";
import { CrossChannelRoute, type ChannelEndpoint, type HeldLock } from "../src/route/crossChannel.js";
import { Prng, SimNetwork, type SimFaults } from "../src/sync/simNetwork.js";
import { domainSeparator, toHex } from "../src/channel/batch.js";
import { checkpointDigest } from "../src/channel/checkpointTypes.js";
import { creditReceiptFor } from "../src/channel/receipts.js";

const EPOCH = 1_763_700_000_000;
const A = ("0x" + "a0".repeat(32)) as Hex;
const B = ("0x" + "b0".repeat(32)) as Hex;
const CONTRACT_A = ("0x" + "a1".repeat(20)) as Hex;
const CONTRACT_B = ("0x" + "b1".repeat(20)) as Hex;
const key = (i: number) => ("0x" + (i + 1).toString(16).padStart(64, "0")) as Hex;
const all = Array.from({ length: 7 }, (_, i) => createSigner(key(i)));
/** The owner (signer 0) is in both channels; A: 0,1,2,3; B: 0,4,5,6. */
const membersA = [all[0]!, all[1]!, all[2]!, all[3]!];
const membersB = [all[0]!, all[4]!, all[5]!, all[6]!];
const owner = all[0]!.address;
const E18 = 10n ** 18n;

interface Node {
  channel: MultiPartyChannel;
  cp: Checkpointer;
  replica: () => MultiPartyChannel["replica"];
}

function genesis(self: Hex, members: Signer[], other: Hex, otherContract: Hex, otherMembers: Signer[], pool: Op, liquidity: [bigint, bigint], lockPolicy?: "off"): Op[] {
  const ops: Op[] = [
    { type: "createToken", symbol: "USDC", decimals: 6 },
    { type: "createToken", symbol: "WETH", decimals: 18 },
    { type: "createToken", symbol: "DAI", decimals: 18 },
    { type: "linkChannel", channel: other, self, chainId: 31337, verifyingContract: otherContract, participants: otherMembers.map((s) => s.address), quorum: 3 },
    lockPolicy === undefined ? pool : { ...(pool as Extract<Op, { type: "createPool" }>), lockPolicy },
  ];
  for (const s of members) {
    ops.push({ type: "deposit", account: s.address, token: "USDC", amount: 10_000_000n * 10n ** 6n });
    ops.push({ type: "deposit", account: s.address, token: "WETH", amount: 1_000n * E18 });
    ops.push({ type: "deposit", account: s.address, token: "DAI", amount: 10_000_000n * E18 });
  }
  const p = pool as Extract<Op, { type: "createPool" }>;
  ops.push({ type: "addLiquidity", account: members[1]!.address, pool: p.pool, amount0Desired: liquidity[0], amount1Desired: liquidity[1] });
  return ops;
}

/** One channel: four replicas with checkpointers on their own simulated network. */
function channelOf(id: Hex, contract: Hex, members: Signer[], ops: Op[], seed: number, faults: SimFaults): { net: SimNetwork; nodes: Node[] } {
  const net = new SimNetwork(seed, faults);
  const clock = { now: () => net.now(), setTimer: (ms: number, fn: () => void) => net.setTimer(ms, fn) };
  const participants = members.map((s) => ({ address: s.address, roles: ["Trader", "MarketMaker"] as ("Trader" | "MarketMaker")[] }));
  const nodes = members.map((s) => {
    const { sync, consensus } = muxTransport(net.node(s.address));
    const channel = new MultiPartyChannel({ participants, signer: s, channelId: id, chainId: 31337, verifyingContract: contract, genesis: ops, transport: sync, clock, now: () => EPOCH + Math.floor(net.now()), rules: { syncIntervalMs: 20 } });
    const cp = attachCheckpointer({ replica: channel.replica, transport: consensus, clock, signer: s, now: () => EPOCH + Math.floor(net.now()), checkpointIntervalMs: 20, onMissing: () => void channel.syncWithPeers() });
    return { channel, cp, replica: () => channel.replica };
  });
  return { net, nodes };
}

interface World {
  netA: SimNetwork;
  netB: SimNetwork;
  a: Node[];
  b: Node[];
  t: number;
  /** Runs both networks in 1 ms lock-steps, calling `each` after every step, until `pred` or `limitMs` more ms. */
  run(pred: () => boolean, limitMs: number, each?: () => void): boolean;
  endpoints: Map<string, ChannelEndpoint>;
}

function world(seed: number, faults: SimFaults = { minDelayMs: 1, meanExtraDelayMs: 3 }, opts: { lockPolicyB?: "off" } = {}): World {
  // pool X in A: WETH/USDC at 2,000 USDC per WETH; pool Y in B: USDC/DAI at 1:1
  const gA = genesis(A, membersA, B, CONTRACT_B, membersB, { type: "createPool", pool: "X", token0: "WETH", token1: "USDC", feePpm: 3000 }, [1_000n * E18, 2_000_000n * 10n ** 6n]);
  // and pool W in A: USDC/DAI at 1:1 (for a route with two legs in A)
  gA.push({ type: "createPool", pool: "W", token0: "USDC", token1: "DAI", feePpm: 3000 });
  gA.push({ type: "addLiquidity", account: membersA[2]!.address, pool: "W", amount0Desired: 4_000_000n * 10n ** 6n, amount1Desired: 4_000_000n * E18 });
  const gB = genesis(B, membersB, A, CONTRACT_A, membersA, { type: "createPool", pool: "Y", token0: "USDC", token1: "DAI", feePpm: 3000 }, [5_000_000n * 10n ** 6n, 5_000_000n * E18], opts.lockPolicyB);
  const ca = channelOf(A, CONTRACT_A, membersA, gA, seed, faults);
  const cb = channelOf(B, CONTRACT_B, membersB, gB, seed + 1000, faults);
  const w: World = {
    netA: ca.net,
    netB: cb.net,
    a: ca.nodes,
    b: cb.nodes,
    t: 0,
    run(pred, limitMs, each) {
      const end = w.t + limitMs;
      while (w.t < end) {
        w.t += 1;
        w.netA.runUntil(w.t);
        w.netB.runUntil(w.t);
        each?.();
        if (pred()) return true;
      }
      return false;
    },
    endpoints: new Map([
      ["A", { channelId: A, channel: ca.nodes[0]!.channel, checkpointer: ca.nodes[0]!.cp, now: () => EPOCH + Math.floor(ca.net.now()) }],
      ["B", { channelId: B, channel: cb.nodes[0]!.channel, checkpointer: cb.nodes[0]!.cp, now: () => EPOCH + Math.floor(cb.net.now()) }],
    ]),
  };
  w.run(() => false, 5);
  return w;
}

/** Other participants swap on X (channel A) and Y (channel B) at random moments: the route must not care. */
function traffic(w: World, seed: number): { swaps: { A: number; B: number }; step: () => void } {
  const rng = new Prng(seed);
  const swaps = { A: 0, B: 0 };
  const step = (): void => {
    if (!rng.chance(0.3)) return;
    if (rng.chance(0.5)) {
      const n = w.a[1 + rng.int(3)]!;
      const wethIn = rng.chance(0.5);
      const r = n.channel.swap({ pool: "X", tokenIn: wethIn ? "WETH" : "USDC", amountIn: wethIn ? BigInt(1 + rng.int(20)) * E18 : BigInt(1 + rng.int(40_000)) * 10n ** 6n });
      if (r.status === "accepted") swaps.A++;
      n.channel.flush();
    } else {
      const n = w.b[1 + rng.int(3)]!;
      const usdcIn = rng.chance(0.5);
      const r = n.channel.swap({ pool: "Y", tokenIn: usdcIn ? "USDC" : "DAI", amountIn: usdcIn ? BigInt(1 + rng.int(50_000)) * 10n ** 6n : BigInt(1 + rng.int(50_000)) * E18 });
      if (r.status === "accepted") swaps.B++;
      n.channel.flush();
    }
  };
  return { swaps, step };
}

const finalOf = (n: Node): Engine => n.cp.getFinalState();
type HeldLockT = HeldLock | undefined;

function held(e: Engine, token: string): bigint {
  return e.checkConservation().tokens.find((t) => t.token === token)!.actual;
}

/** Submits `op` as the owner in channel B and waits for its final result. */
function finalResultInB(w: World, op: Op): Result {
  const { handles } = w.b[0]!.channel.submitBatch([op]);
  const h = handles[0]!;
  const ok = w.run(() => w.b[0]!.cp.finality(h.batchId).status === "final", 20_000);
  expect(ok).toBe(true);
  return w.b[0]!.cp.resultsOf(h.batchId).results![h.index]!;
}

describe("a route WETH → pool X (channel A) → USDC → receipt → pool Y (channel B) → DAI", () => {
  const clean: SimFaults = { minDelayMs: 1, meanExtraDelayMs: 3 };
  const lossy: SimFaults = { minDelayMs: 1, meanExtraDelayMs: 4, dropProbability: 0.05, duplicateProbability: 0.05, reorderProbability: 0.2, reorderSpreadMs: 15 };
  for (const [name, faults, seed] of [
    ["clean network", clean, 7],
    ["clean network", clean, 13],
    ["drops, duplicates and reordering on both networks", lossy, 7],
    ["drops, duplicates and reordering on both networks", lossy, 13],
  ] as const) {
    test(`${name}, seed ${seed}: completes with exactly the amounts quoted at acquisition while others swap on both pools; both channels and their sum conserve`, () => {
      const w = world(seed, faults);
      const before = { A: finalOf(w.a[0]!), B: finalOf(w.b[0]!) };
      const wethA0 = before.A.balanceOf(owner, "WETH");
      const usdcA0 = before.A.balanceOf(owner, "USDC");
      const usdcB0 = before.B.balanceOf(owner, "USDC");
      const daiB0 = before.B.balanceOf(owner, "DAI");
      const supply0 = { USDC: held(before.A, "USDC") + held(before.B, "USDC"), WETH: held(before.A, "WETH"), DAI: held(before.B, "DAI") };
      const route = new CrossChannelRoute(w.endpoints, { legs: [{ channel: "A", pool: "X" }, { channel: "B", pool: "Y" }], tokenIn: "WETH", amountIn: 3n * E18, minAmountOut: 5_000n * E18 });
      const bg = traffic(w, 99);
      route.start();
      // the pools' reserves (final) when each leg's lock became known and when it executed
      const reservesAt: Record<string, bigint[]> = {};
      const note = (k: string, e: Engine, pool: string): void => {
        if (reservesAt[k] === undefined) reservesAt[k] = [e.getPool(pool)!.reserve0, e.getPool(pool)!.reserve1];
      };
      // at every moment: Σ sent (A) = Σ credited (B) + in flight, and USDC across both channels is constant
      let inFlightSeen = 0n;
      const ok = w.run(() => route.finished, 60_000, () => {
        bg.step();
        route.poll();
        const [ea, eb] = [finalOf(w.a[0]!), finalOf(w.b[0]!)];
        const inFlight = ea.sentOf(B, owner, "USDC") - eb.creditedOf(A, owner, "USDC");
        expect(inFlight >= 0n).toBe(true);
        expect(held(ea, "USDC") + held(eb, "USDC") + inFlight).toBe(supply0.USDC);
        if (inFlight > inFlightSeen) inFlightSeen = inFlight;
        if (route.locks[0] !== undefined) note("X locked", finalOf(w.a[0]!), "X");
        if (route.locks[1] !== undefined) note("Y locked", finalOf(w.b[0]!), "Y");
        if (route.steps.some((s) => s.what === "execute" && s.leg === 0)) note("X executed", finalOf(w.a[0]!), "X");
        if (route.steps.some((s) => s.what === "execute" && s.leg === 1)) note("Y executed", finalOf(w.b[0]!), "Y");
      });
      expect(ok).toBe(true);
      expect(route.failure).toBeUndefined();
      expect(route.status).toBe("done");
      expect(route.failure).toBeUndefined();
      // others really traded on both pools while the route ran
      expect(bg.swaps.A).toBeGreaterThan(5);
      expect(bg.swaps.B).toBeGreaterThan(5);
      // …between each leg's acquisition and its execution (beyond the route's own execute)
      const [xa, xe] = [reservesAt["X locked"]!, reservesAt["X executed"]!];
      const [ya, ye] = [reservesAt["Y locked"]!, reservesAt["Y executed"]!];
      expect(route.steps.map((s) => `${s.channel}:${s.what}:${s.result.status}`)).toEqual([
        "A:acquire:accepted",
        "B:acquire:accepted",
        "A:execute:accepted",
        "A:send:accepted",
        "B:credit:accepted",
        "B:execute:accepted",
      ]);
      const [legX, legY] = route.locks as [NonNullable<(typeof route.locks)[0]>, NonNullable<(typeof route.locks)[0]>];
      expect(legX.amountIn).toBe(3n * E18);
      expect(legY.amountIn).toBe(legX.amountOut);
      // sanity: ~2000 USDC per WETH (moved by the others' swaps), the second leg ~1:1 less the fee
      expect(legX.amountOut).toBeGreaterThan(4_000n * 10n ** 6n);
      expect(legX.amountOut).toBeLessThan(8_000n * 10n ** 6n);
      expect(legY.amountOut).toBeGreaterThan((legX.amountOut * 10n ** 12n * 80n) / 100n);
      expect(legY.amountOut).toBeLessThan((legX.amountOut * 10n ** 12n * 125n) / 100n);
      expect(xe[0]! - xa[0]!).not.toBe(3n * E18); // X's WETH reserve moved by more than the route's own input
      expect(ye[0]! - ya[0]!).not.toBe(legY.amountIn); // Y's USDC reserve too
      expect(route.amountOut).toBe(legY.amountOut);
      expect(inFlightSeen).toBe(legX.amountOut); // the receipt was observed in flight, then credited
      // the executes paid exactly the locked amounts
      const exec = route.steps.filter((s) => s.what === "execute").map((s) => (s.result as unknown as { amountOut: bigint }).amountOut);
      expect(exec).toEqual([legX.amountOut, legY.amountOut]);
      expect((route.steps[4]!.result as unknown as { credited: bigint }).credited).toBe(legX.amountOut);

      // settle the other participants' last swaps so every replica holds the same final state
      const settled = (ns: Node[]): boolean => ns.every((n) => n.replica().heads().every((h) => n.cp.finality(h).status === "final")) && new Set(ns.map((n) => finalOf(n).stateRoot())).size === 1;
      expect(w.run(() => settled(w.a) && settled(w.b), 20_000)).toBe(true);
      const fa = finalOf(w.a[0]!);
      const fb = finalOf(w.b[0]!);
      // the owner's books: WETH out in A, USDC passed through A → B, DAI in B; nothing else moved
      expect(fa.balanceOf(owner, "WETH")).toBe(wethA0 - 3n * E18);
      expect(fa.reservedOf(owner, "WETH")).toBe(0n);
      expect(fa.balanceOf(owner, "USDC")).toBe(usdcA0);
      expect(fb.balanceOf(owner, "USDC")).toBe(usdcB0);
      expect(fb.balanceOf(owner, "DAI")).toBe(daiB0 + legY.amountOut);
      expect(fa.getLocks("X")!.locks.length).toBe(0);
      expect(fb.getLocks("Y")!.locks.length).toBe(0);
      // conservation in each channel and across both: Σ sent = Σ credited (nothing in flight now)
      expect(fa.checkConservation().ok).toBe(true);
      expect(fb.checkConservation().ok).toBe(true);
      expect(fa.sentOf(B, owner, "USDC")).toBe(legX.amountOut);
      expect(fb.creditedOf(A, owner, "USDC")).toBe(legX.amountOut);
      expect(held(fa, "USDC") + held(fb, "USDC")).toBe(supply0.USDC);
      expect(held(fa, "WETH")).toBe(supply0.WETH);
      expect(held(fb, "DAI")).toBe(supply0.DAI);

      // a replayed receipt credits nothing more
      const replay = finalResultInB(w, route.receipts[0]!);
      expect(replay).toMatchObject({ status: "rejected", code: "RECEIPT_ALREADY_CREDITED" });
      expect(finalOf(w.b[0]!).balanceOf(owner, "USDC")).toBe(usdcB0);
      expect(finalOf(w.b[0]!).creditedOf(A, owner, "USDC")).toBe(legX.amountOut);
    }, 120_000);
  }

  test("three legs, two in A then one in B (WETH → X → USDC → W → DAI → receipt → Y → USDC): same-channel and cross-channel hops, exact amounts", () => {
    const w = world(17, { minDelayMs: 1, meanExtraDelayMs: 4, dropProbability: 0.03, duplicateProbability: 0.03 });
    const [a0, b0] = [finalOf(w.a[0]!), finalOf(w.b[0]!)];
    const balances = (ea: Engine, eb: Engine) => ["WETH", "USDC", "DAI"].flatMap((t) => [ea.balanceOf(owner, t), eb.balanceOf(owner, t)]);
    const [wethA, wethB, usdcA, usdcB, daiA, daiB] = balances(a0, b0);
    const route = new CrossChannelRoute(w.endpoints, { legs: [{ channel: "A", pool: "X" }, { channel: "A", pool: "W" }, { channel: "B", pool: "Y" }], tokenIn: "WETH", amountIn: 2n * E18 });
    const bg = traffic(w, 5);
    // event-driven: the coordinator polls after each decision or certificate of either channel
    route.pollOn((fn) => void w.netA.setTimer(0, fn));
    route.start();
    expect(w.run(() => route.finished, 60_000, () => bg.step())).toBe(true);
    expect(route.failure).toBeUndefined();
    expect(route.status).toBe("done");
    expect(route.steps.map((s) => `${s.channel}:${s.what}`)).toEqual(["A:acquire", "A:acquire", "B:acquire", "A:execute", "A:execute", "A:send", "B:credit", "B:execute"]);
    const [x, wl, y] = route.locks as HeldLockT[];
    expect([x!.tokenOut, wl!.tokenIn, wl!.tokenOut, y!.tokenIn, y!.tokenOut]).toEqual(["USDC", "USDC", "DAI", "DAI", "USDC"]);
    expect(wl!.amountIn).toBe(x!.amountOut);
    expect(y!.amountIn).toBe(wl!.amountOut);
    const settled = (ns: Node[]): boolean => ns.every((n) => n.replica().heads().every((h) => n.cp.finality(h).status === "final"));
    expect(w.run(() => settled(w.a) && settled(w.b), 20_000)).toBe(true);
    const [fa, fb] = [finalOf(w.a[0]!), finalOf(w.b[0]!)];
    expect(balances(fa, fb)).toEqual([wethA! - 2n * E18, wethB, usdcA, usdcB! + y!.amountOut, daiA, daiB]);
    expect(fa.sentOf(B, owner, "DAI")).toBe(wl!.amountOut);
    expect(fb.creditedOf(A, owner, "DAI")).toBe(wl!.amountOut);
    expect(fa.checkConservation().ok && fb.checkConservation().ok).toBe(true);
  }, 120_000);

  test("the last leg (in B) fails: the lock in A is cancelled and the input refunded exactly", () => {
    for (const [label, opts, plan, code] of [
      ["SLIPPAGE", {}, { minAmountOut: 1_000_000n * E18 }, "SLIPPAGE"],
      ["locks off in B", { lockPolicyB: "off" as const }, {}, "LOCKS_DISABLED"],
    ] as const) {
      const w = world(11, undefined, opts);
      const a0 = finalOf(w.a[0]!);
      const weth0 = a0.balanceOf(owner, "WETH");
      const usdc0 = a0.balanceOf(owner, "USDC");
      const x0 = a0.getPool("X")!;
      const route = new CrossChannelRoute(w.endpoints, { legs: [{ channel: "A", pool: "X" }, { channel: "B", pool: "Y" }], tokenIn: "WETH", amountIn: 3n * E18, ...plan });
      route.start();
      let reservedWhileLocked = 0n;
      expect(w.run(() => route.finished, 30_000, () => {
        route.poll();
        if (route.locks[0] !== undefined && route.status === "acquiring") reservedWhileLocked = finalOf(w.a[0]!).reservedOf(owner, "WETH");
      })).toBe(true);
      expect(route.status, label).toBe("cancelled");
      expect(route.failure).toMatchObject({ leg: 1, code });
      expect(reservedWhileLocked).toBe(3n * E18); // the input really was held by the lock in A
      expect(route.steps.map((s) => `${s.channel}:${s.what}:${s.result.status}`)).toEqual(["A:acquire:accepted", "B:acquire:rejected", "A:cancel:accepted"]);
      const fa = finalOf(w.a[0]!);
      expect(fa.balanceOf(owner, "WETH")).toBe(weth0);
      expect(fa.reservedOf(owner, "WETH")).toBe(0n);
      expect(fa.balanceOf(owner, "USDC")).toBe(usdc0);
      const x = fa.getPool("X")!;
      expect([x.reserve0, x.reserve1, x.pending0, x.pending1, x.locks.size]).toEqual([x0.reserve0, x0.reserve1, 0n, 0n, 0]);
      expect(fa.sentOf(B, owner, "USDC")).toBe(0n);
      expect(fa.checkConservation().ok).toBe(true);
    }
  }, 120_000);

  test("expiry is in checkpoint time: a first lock that expires before it can execute ends the route cancelled, every input back", () => {
    const w = world(13);
    const a0 = finalOf(w.a[0]!);
    const weth0 = a0.balanceOf(owner, "WETH");
    // 5 ms: less than one checkpoint interval (20 ms), so the lock in A expires at the checkpoint after
    // the one that holds it; advanceTime cancels it there (the engine sweeps expired locks)
    const route = new CrossChannelRoute(w.endpoints, { legs: [{ channel: "A", pool: "X" }, { channel: "B", pool: "Y" }], tokenIn: "WETH", amountIn: 3n * E18, lockMs: 5 });
    route.start();
    expect(w.run(() => route.finished, 30_000, () => route.poll())).toBe(true);
    expect(route.status).toBe("cancelled");
    expect(route.failure).toMatchObject({ leg: 0, code: "UNKNOWN_LOCK" });
    const steps = route.steps.map((s) => `${s.channel}:${s.what}:${s.result.status}`);
    expect(steps.slice(0, 3)).toEqual(["A:acquire:accepted", "B:acquire:accepted", "A:execute:rejected"]);
    // both locks had expired and been swept by their channels' advanceTime: the cancels find nothing
    expect(steps.slice(3).sort()).toEqual(["A:cancel:rejected", "B:cancel:rejected"]);
    expect(route.steps.slice(3).map((s) => (s.result as { code?: string }).code)).toEqual(["UNKNOWN_LOCK", "UNKNOWN_LOCK"]);
    const fa = finalOf(w.a[0]!);
    const fb = finalOf(w.b[0]!);
    expect(fa.balanceOf(owner, "WETH")).toBe(weth0);
    expect(fa.reservedOf(owner, "WETH")).toBe(0n);
    expect(fa.getLocks("X")!.locks.length).toBe(0);
    expect(fb.getLocks("Y")!.locks.length).toBe(0);
    expect(fa.sentOf(B, owner, "USDC")).toBe(0n);
    expect(fa.checkConservation().ok && fb.checkConservation().ok).toBe(true);
  }, 120_000);

  test("forged certificates are rejected by channel B: bad signature, non-participant, under quorum, another channel's certificate", () => {
    const w = world(5);
    // the owner sends 1,000 USDC from A to B and gets a real certified receipt
    const sent = w.a[0]!.channel.submitBatch([{ type: "sendReceipt", account: owner, toChannel: B, token: "USDC", amount: 1_000n * 10n ** 6n }]).handles[0]!;
    let receipt: CreditReceiptOp | undefined;
    // the receipt from A's latest certificate, taken when A's final state is exactly at it
    const fromLatest = (): CreditReceiptOp | undefined => {
      const cp = w.a[0]!.cp;
      const cert = cp.latestCertificate();
      if (cp.finality(sent.batchId).status !== "final" || cert === undefined || cp.getFinalState().exitRoot() !== cert.checkpoint.exitRoot) return undefined;
      return creditReceiptFor(cp.getFinalState(), cert, B, owner, "USDC");
    };
    // channel B checkpoints too (a participant's swap), so that it has a certificate of its own
    const swapB = w.b[1]!.channel.submitBatch([{ type: "swap", account: all[4]!.address, pool: "Y", tokenIn: "USDC", amountIn: 10n ** 6n }]).handles[0]!;
    expect(w.run(() => (receipt ??= fromLatest()) !== undefined && w.b[0]!.cp.finality(swapB.batchId).status === "final" && w.b[0]!.cp.latestCertificate() !== undefined, 20_000)).toBe(true);
    const good = receipt!;
    expect(good.cumulativeSent).toBe(1_000n * 10n ** 6n);
    const usdc0 = finalOf(w.b[0]!).balanceOf(owner, "USDC");
    const flip = (s: string) => s.slice(0, 20) + (s[20] === "0" ? "1" : "0") + s.slice(21);
    // a real certificate of channel B (signed by B's participants, the owner among them), passed off as A's
    const certB = w.b[0]!.cp.latestCertificate();
    const otherChannel = certB === undefined ? undefined : { ...good, height: certB.checkpoint.height, stateRoot: certB.checkpoint.stateRoot, exitRoot: certB.checkpoint.exitRoot, time: certB.checkpoint.time, signatures: certB.signatures.map((s) => "0x" + Buffer.from(s.signature).toString("hex")) };
    // the owner (a participant of A) signs A's checkpoint alone, three times over: one distinct signer
    const forged: [string, CreditReceiptOp][] = [
      ["bad signature", { ...good, signatures: [flip(good.signatures[0]!), ...good.signatures.slice(1)] }],
      ["under quorum", { ...good, signatures: good.signatures.slice(0, 2) }],
      ["duplicated signer", { ...good, signatures: [good.signatures[0]!, good.signatures[0]!, good.signatures[1]!] }],
      ["non-participant", { ...good, signatures: [...good.signatures.slice(0, 2), signCheckpoint(all[5]!, good)] }],
    ];
    if (otherChannel !== undefined) forged.push(["another channel's certificate", otherChannel]);
    expect(forged.length).toBe(5);
    for (const [label, op] of forged) expect(finalResultInB(w, op), label).toMatchObject({ status: "rejected", code: "INVALID_CERTIFICATE" });
    expect(finalOf(w.b[0]!).balanceOf(owner, "USDC")).toBe(usdc0);
    // the genuine one credits exactly once
    expect(finalResultInB(w, good)).toMatchObject({ status: "accepted", credited: 1_000n * 10n ** 6n });
    expect(finalResultInB(w, good)).toMatchObject({ status: "rejected", code: "RECEIPT_ALREADY_CREDITED" });
    expect(finalOf(w.b[0]!).balanceOf(owner, "USDC")).toBe(usdc0 + 1_000n * 10n ** 6n);
  }, 120_000);
});

/** A signature by `s` of the checkpoint `op` names, under A's domain (what a real participant would sign). */
function signCheckpoint(s: Signer, op: CreditReceiptOp): string {
  const digest = checkpointDigest(domainSeparator({ chainId: 31337, verifyingContract: CONTRACT_A }), { channelId: A, height: op.height, stateRoot: op.stateRoot as Hex, exitRoot: op.exitRoot as Hex, time: op.time });
  return toHex(s.sign(digest));
}
