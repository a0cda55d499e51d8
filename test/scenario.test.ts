import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseScenario, runScenario, ScenarioError, toJson, type StepOutput } from "../src/cli/scenario.js";

function run(path: string): StepOutput[] {
  const out: StepOutput[] = [];
  runScenario(parseScenario(readFileSync(path, "utf8")), (o) => out.push(JSON.parse(toJson(o)) as StepOutput));
  return out;
}

function parseError(scenario: unknown): string {
  try {
    parseScenario(JSON.stringify(scenario));
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error("expected a ScenarioError");
}

describe("scenario parsing", () => {
  const base = { tokens: [{ symbol: "USDC", decimals: 6 }], accounts: [{ id: "alice" }] };
  it.each([
    [{ ...base, ops: [{ type: "deposit", account: "alice", token: "USDC", amount: 5 }] }, /ops\[0\]\.amount: must be a decimal integer string/],
    [{ ...base, ops: [{ type: "deposit", account: "alice", token: "USDC", amount: "1e6" }] }, /ops\[0\]\.amount/],
    [{ ...base, ops: [{ type: "deposit", account: "alice", token: "USDC", amount: "01" }] }, /ops\[0\]\.amount/],
    [{ ...base, ops: [{ type: "deposit", account: "alice", token: "USDC", amount: "1", memo: "x" }] }, /ops\[0\]\.memo: unknown field for deposit/],
    [{ ...base, ops: [{ type: "teleport" }] }, /ops\[0\]\.type: unknown op type "teleport"/],
    [{ ...base, ops: [{ account: "alice" }] }, /ops\[0\]\.type: unknown op type undefined/],
    [{ ...base, ops: [{ type: "placeOrder", account: "alice", market: "m", side: "buy", priceTicks: 1.5, lots: 1 }] }, /ops\[0\]\.priceTicks: must be an integer/],
    [{ ...base, ops: [{ type: "placeOrder", account: "alice", market: "m", side: "buy", priceTicks: 1, lots: 1, postOnly: "yes" }] }, /ops\[0\]\.postOnly: must be true or false/],
    [{ ...base, ops: {} }, /^ops: must be an array/],
    [{ ...base, ops: [7] }, /^ops\[0\]: must be an object/],
    [{ ...base, extra: 1 }, /scenario\.extra: unknown section/],
    [{ tokens: [{ symbol: "USDC", decimals: "6" }] }, /tokens\[0\]\.decimals: must be an integer/],
    [{ ...base, accounts: [{ id: "alice", deposits: { USDC: "-" } }] }, /accounts\[0\]\.deposits\.USDC: must be a decimal integer string/],
    [{ ...base, accounts: [{ id: "alice", nickname: "al" }] }, /accounts\[0\]\.nickname: unknown field/],
  ])("rejects %j", (scenario, message) => {
    expect(parseError(scenario)).toMatch(message);
  });

  it("rejects text that is not JSON", () => {
    expect(() => parseScenario("{")).toThrow(/not valid JSON/);
  });

  it("names a setup entry the engine rejects", () => {
    const s = parseScenario(JSON.stringify({ tokens: [{ symbol: "USDC", decimals: 6 }], accounts: [{ id: "alice", deposits: { DAI: "1" } }] }));
    expect(() => runScenario(s, () => undefined)).toThrow(/accounts\[0\]\.deposits\.DAI: setup deposit rejected UNKNOWN_TOKEN/);
  });

  it("negative and zero amounts parse and are rejected by the engine with their codes", () => {
    const s = parseScenario(
      JSON.stringify({
        ...base,
        ops: [
          { type: "deposit", account: "alice", token: "USDC", amount: "-1" },
          { type: "deposit", account: "alice", token: "USDC", amount: "0" },
          { type: "deposit", account: "alice", token: "USDC", amount: (1n << 128n).toString() },
        ],
      }),
    );
    const out: StepOutput[] = [];
    runScenario(s, (o) => out.push(o));
    expect(out.map((o) => o["code"])).toEqual(["INVALID_AMOUNT", "INVALID_AMOUNT", "INVALID_AMOUNT"]);
  });
});

describe("example scenarios (docs/scenarios.md shows these outputs)", () => {
  it("examples/amm.json", () => {
    const out = run("examples/amm.json");
    expect(out).toMatchSnapshot();
    // √(1000e18 · 2e12) = 44721359549995793 (floor), minus MINIMUM_LIQUIDITY 1000 to the LP
    expect(out[0]).toMatchObject({ status: "accepted", liquidity: "44721359549994793" });
    expect(out.every((o) => o.status === "accepted" || o.code === "SLIPPAGE")).toBe(true);
    expect(out[3]).toMatchObject({ status: "rejected", code: "SLIPPAGE" });
  });

  it("examples/orderbook.json", () => {
    const out = run("examples/orderbook.json");
    expect(out).toMatchSnapshot();
  });
});
