/**
 * `examples/perps.json` through `semilattice run`'s scenario runner: every figure of docs/scenarios.md's
 * perpetuals example, worked by hand there.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseScenario, runScenario, toJson, type StepOutput } from "../src/cli/scenario.js";

function run(path: string): StepOutput[] {
  const out: StepOutput[] = [];
  const engine = runScenario(parseScenario(readFileSync(path, "utf8")), (o) => out.push(JSON.parse(toJson(o)) as StepOutput));
  expect(engine.checkConservation().ok).toBe(true);
  return out;
}

describe("examples/perps.json", () => {
  const out = run("examples/perps.json");
  const at = (i: number): StepOutput => out[i]!;

  it("opens dYdX's isolated example: short 3 ETH at 3000 on 1000 USDC ⇒ equity 1000, MMR 450, free collateral 100", () => {
    expect(at(8)).toMatchObject({ status: "accepted", orderStatus: "filled", position: -3000 });
    expect(at(10)).toMatchObject({ equity: "1000000000", initialRequirement: "900000000", maintenanceRequirement: "450000000", freeCollateral: "100000000" });
    expect(at(11)).toMatchObject({ status: "rejected", code: "INSUFFICIENT_MARGIN" });
  });

  it("samples a +0.2% premium (impact bid 3006 vs index 3000) and settles 1/8 of it: shorts receive exactly what longs pay", () => {
    expect(at(14)).toMatchObject({ premiumPpm: "2000", impactBidTicks: 300600, impactAskTicks: 301000, indexTicks: 300000 });
    expect(at(16)).toMatchObject({
      fundingRatePpm: "2000",
      paid: "2250000",
      received: "2250000",
      toInsuranceFund: "0",
      payments: [
        { account: "alice", lots: -3000, amount: "2250000" },
        { account: "bob", lots: 1000, amount: "-750000" },
        { account: "mm", lots: 2000, amount: "-1500000" },
      ],
    });
  });

  it("liquidates at 3200 (equity 402.25 < MMR 480): only the Liquidator role, fills at 3210 within the fillable 3238.87, penalty 1.5%", () => {
    expect(at(19)).toMatchObject({ equity: "402250000", maintenanceRequirement: "480000000" });
    expect(at(21)).toMatchObject({ status: "rejected", code: "NOT_PERMITTED" });
    // bankruptcy: pay 9600 + 402.25 = 10002.25; filled for 9630 ⇒ Δ = 372.25, penalty min(Δ, 1.5% · 9630 = 144.45)
    expect(at(22)).toMatchObject({ fillablePriceTicks: 323887, filledLots: 3000, remainingLots: 0, penalty: "144450000", insuranceFund: "10144450000" });
    expect(at(23)).toMatchObject({ equity: "227800000", maintenanceRequirement: "0", perps: [{ positions: [] }] });
    expect(at(25)).toMatchObject({ free: "227800000" });
    expect(out.filter((o) => o.status === "rejected").map((o) => o["code"])).toEqual(["INSUFFICIENT_MARGIN", "NOT_PERMITTED"]);
  });
});
