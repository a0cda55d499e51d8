/** `examples/lending.json` through the scenario runner: the figures docs/scenarios.md shows. */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseScenario, runScenario, toJson, type StepOutput } from "../src/cli/scenario.js";

describe("examples/lending.json", () => {
  const out: StepOutput[] = [];
  const engine = runScenario(parseScenario(readFileSync("examples/lending.json", "utf8")), (o) => out.push(JSON.parse(toJson(o)) as StepOutput));

  it("borrows at the LTV limit, then liquidates the whole debt below HF 0.95", () => {
    expect(out[6]).toMatchObject({ type: "borrow", status: "rejected", code: "HEALTH_FACTOR_TOO_LOW" });
    expect(out[7]).toMatchObject({ type: "borrow", status: "accepted", amount: "1600000000" });
    expect(out[8]).toMatchObject({
      type: "getReserve",
      utilizationRay: "160000000000000000000000000",
      variableBorrowRateRay: "7111111111111111111111111",
      totalSupplied: "10000000000",
      totalBorrowed: "1600000000",
      cash: "8400000000",
    });
    expect(out[9]).toMatchObject({ type: "getAccount", healthFactorRay: "1031250000000000000000000000", totalDebtBase: "160000000000" });
    expect(out[11]).toMatchObject({ type: "getAccount", healthFactorRay: "928125000000000000000000000" });
    expect(out[12]).toMatchObject({ type: "liquidate", status: "rejected", code: "NOT_PERMITTED" });
    expect(out[13]).toMatchObject({
      type: "liquidate",
      status: "accepted",
      debtRepaid: "1600000000",
      collateralSeized: "928888888888888888",
      protocolFee: "4444444444444444",
      closeFactor: "10000",
    });
    expect(out[14]).toMatchObject({ type: "getAccount", collateral: { WETH: "66666666666666668" }, debt: {} });
    expect(out[15]).toMatchObject({ type: "getReserve", treasury: "4444444444444444", cash: "71111111111111112" });
    // `withdraw` with `asset` is the lending withdrawal; with `token` the ledger's.
    expect(out[16]).toMatchObject({ type: "withdrawSupply", status: "accepted", amount: "1000000000", balance: "9000000000" });
    expect(out[17]).toMatchObject({ type: "withdraw", status: "accepted", balance: "0" });
    expect(out[18]).toMatchObject({ type: "getPrice", price: "180000000000", oracles: 1 });
    expect(engine.checkConservation().ok).toBe(true);
  });
});
