/**
 * Whole-channel deterministic simulations (src/cli/sim.ts) on the seeded simulated network with real
 * Coinbase order flow: convergence under faults for 2, 4, 7 and 10 participants; Byzantine
 * participants; an offline participant; Bloom sync round trips in steady state; checkpoint consensus
 * (agreement, progress after healing) with f Byzantine participants.
 */
import { describe, expect, it } from "vitest";
import { runSimulation, type SimReport } from "../src/cli/sim.js";

function expectHealthy(r: SimReport): void {
  expect(r.failures).toEqual([]);
  expect(r.converged).toBe(true);
  expect(r.stateRootsEqual).toBe(true);
  expect(r.conservation).toBe(true);
  expect(r.stateRoot).toMatch(/^0x[0-9a-f]{64}$/);
}

describe("convergence under random schedules with faults", () => {
  it("2 participants: converge, and the same seed replays to the same state root", () => {
    const a = runSimulation({ seed: 11, participants: 2, eventsPerParticipant: 40 });
    expectHealthy(a);
    expect(a.honestCompared).toBe(2);
    const b = runSimulation({ seed: 11, participants: 2, eventsPerParticipant: 40 });
    expect(b.stateRoot).toBe(a.stateRoot);
    expect(b.batches).toBe(a.batches);
    expect(b.virtualMs).toBe(a.virtualMs);
    const c = runSimulation({ seed: 12, participants: 2, eventsPerParticipant: 40 });
    expect(c.stateRoot).not.toBe(a.stateRoot);
  });

  for (const [n, seed] of [
    [4, 4],
    [7, 5],
    [10, 8],
  ] as const) {
    it(`${n} participants with delay, drop, duplicate, reorder, a healing partition and a crash/restart (seed ${seed})`, () => {
      const r = runSimulation({ seed, participants: n, eventsPerParticipant: n >= 10 ? 15 : n >= 7 ? 25 : 50, activeMs: n >= 10 ? 800 : 1200 });
      expectHealthy(r);
      expect(r.honestCompared).toBe(n);
      expect(r.faults.partition).toBeDefined();
      expect(r.faults.drop + r.faults.duplicate).toBeGreaterThan(0);
      expect(r.batches).toBeGreaterThan(n * 10);
    });
  }
});

describe("Byzantine participants", () => {
  it("bad signatures and equivocation: cut off / evidence recorded by every honest replica; honest converge", () => {
    const r = runSimulation({ seed: 21, participants: 5, byzantine: 2, behaviours: ["badSignature", "equivocation"] });
    expectHealthy(r);
    expect(r.byzantine.map((b) => b.behaviour)).toEqual(["badSignature", "equivocation"]);
    expect(r.bans).toBeGreaterThanOrEqual(1);
    expect(r.equivocationsRecorded).toBeGreaterThanOrEqual(r.honestCompared);
    // the bad-signature batch was never delivered; the equivocator's two batches were
    expect(r.byzantineResults.map((b) => b.batches)).toEqual([0, 2]);
  });

  it("ops beyond balance and forbidden ops are rejected identically everywhere", () => {
    const r = runSimulation({ seed: 22, participants: 5, byzantine: 2, behaviours: ["overspend", "forbidden"] });
    expectHealthy(r);
    const [over, forb] = r.byzantineResults;
    expect(over?.accepted).toBe(0);
    expect(over?.rejectedByCode.INSUFFICIENT_BALANCE).toBeGreaterThanOrEqual(2);
    expect(forb?.accepted).toBe(0);
    expect(forb?.rejectedByCode.NOT_PERMITTED).toBe(4);
  });

  it("malformed bytes, parents never sent and orphan floods: senders cut off, nothing undeliverable delivered", () => {
    const r = runSimulation({ seed: 23, participants: 6, byzantine: 3, behaviours: ["malformed", "missingParents", "orphanFlood"] });
    expectHealthy(r);
    expect(r.bans).toBeGreaterThanOrEqual(2);
    expect(r.byzantineResults.map((b) => b.batches)).toEqual([0, 0, 0]);
  });
});

describe("an offline participant", () => {
  it("does not stop the others from trading with each other", () => {
    // With checkpoints on: this seed used to stall them (two honest replicas locked on a value whose
    // round-0 prevote quorum the third never received) until checkpointers relayed others' votes.
    const r = runSimulation({ seed: 31, participants: 4, crash: "permanent", eventsPerParticipant: 50 });
    expectHealthy(r);
    expect(r.faults.crash?.restartMs).toBeUndefined();
    expect(r.honestCompared).toBe(3);
    expect(r.batchesAfterCrash).toBeGreaterThan(10);
  });
});

describe("Bloom-filter reconciliation (Kleppmann & Howard §4.3)", () => {
  it("takes about one round trip per reconciliation in steady state; plain heads/needs takes more", () => {
    // The sync layer alone (Checkpointers would add sync sessions to fetch what proposals name).
    const common = { seed: 41, participants: 4, faults: false, relay: "none" as const, eventsPerParticipant: 40, consensus: false };
    const bloom = runSimulation({ ...common, mode: "bloom" });
    const plain = runSimulation({ ...common, mode: "plain" });
    expectHealthy(bloom);
    expectHealthy(plain);
    expect(bloom.batches).toBe(plain.batches); // same actions (the schedule does not depend on sync)
    // Measured on this seeded run (exact: same seed, same schedule): 197 round trips over 192
    // reconciliations with the Bloom variant (the paper reports 1.02), 694 over 191 without it.
    expect(bloom.sessions).toBe(192);
    expect(bloom.roundTripsMean).toBe(197 / 192);
    expect(bloom.roundTripsMean).toBeLessThanOrEqual(1.05);
    expect(plain.sessions).toBe(191);
    expect(plain.roundTripsMean).toBe(694 / 191);
  });
});

describe("checkpoint consensus in the simulation", () => {
  for (const [n, k, seed, behaviours] of [
    [4, 1, 4, ["malformed"]],
    [7, 2, 1, ["equivocation", "overspend"]],
  ] as const) {
    it(`n = ${n}, ${k} Byzantine (${behaviours.join(", ")}), faults (seed ${seed}): honest replicas never decide differently, and decide again after healing`, () => {
      const r = runSimulation({ seed, participants: n, byzantine: k, behaviours: [...behaviours], eventsPerParticipant: n >= 7 ? 25 : 50, activeMs: 1200 });
      expectHealthy(r);
      expect(r.agreement).toBe(true);
      expect(r.progress).toBe(true);
      expect(r.heights - 1).toBeGreaterThan(r.heightAtHeal);
      expect(r.heightAtHeal).toBeGreaterThanOrEqual(0);
    });
  }
});

describe("semilattice sim (command line)", () => {
  it("runs a seed range, prints one line per seed and a total, exit 0; bad usage exits 2", async () => {
    const { main } = await import("../src/cli/main.js");
    const lines: string[] = [];
    const errors: string[] = [];
    const log = console.log;
    const err = console.error;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    console.error = (...a: unknown[]) => void errors.push(a.join(" "));
    try {
      expect(await main(["node", "semilattice", "sim", "--seeds", "3..4", "--participants", "3", "--byzantine", "1"])).toBe(0);
      expect(await main(["node", "semilattice", "sim", "--seeds", "9..3"])).toBe(2);
      expect(await main(["node", "semilattice", "sim", "--seeds", "1", "--participants", "3", "--byzantine", "3"])).toBe(2);
    } finally {
      console.log = log;
      console.error = err;
    }
    expect(lines.filter((l) => /^seed [34]: ok /.test(l))).toHaveLength(2);
    // n = 3 with 1 Byzantine is beyond f = 0: progress is reported, not owed.
    expect(lines.at(-1)).toMatch(/^total: 2 seeds, converged 2\/2, conservation 2\/2, heights \d+, agreement 2\/2, progress [0-2]\/2, failed 0$/);
    expect(errors).toEqual(["semilattice sim: --seeds 9..3: need A <= B < 2^32", "semilattice sim: --byzantine must be 0..participants-1"]);
  });
});
