/**
 * The main job's channel run (src/cli/channelDemo.ts, sim network) finalizes checkpoints as it goes:
 * on a prefix of the real plan, every replica ends holding the same verified certificate.
 */
import { describe, expect, test } from "vitest";
import { channelPlan, runChannelSim } from "../src/cli/channelDemo.js";
import { defaultDataDir } from "../src/replay/paths.js";

describe("channel demo checkpoints (sim network)", () => {
  test("every replica certifies the same final checkpoint, whose state root is the replicas' state root", () => {
    const plan = channelPlan(defaultDataDir(), 4);
    const short = { ...plan, queues: plan.queues.map((q) => q.slice(0, 3000)) };
    const run = runChannelSim(short);
    expect(run.summary.stateRootsEqual).toBe(true);
    expect(run.checkpoint).toBeDefined();
    const c = run.checkpoint!;
    expect(c.certificatesEqual).toBe(true);
    expect(c.height).toBeGreaterThan(0);
    expect(run.certifiedRootMatches).toBe(true);
    expect(c.finalityMsP50).toBeGreaterThan(0);
    expect(c.finalityMsP99).toBeGreaterThanOrEqual(c.finalityMsP50);
  });
});
