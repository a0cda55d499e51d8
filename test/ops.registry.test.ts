/**
 * The op registry (src/core/registry.ts) is the single list of ops: every registered op is encodable
 * (codec round trip), runnable from a scenario, documented (the docs tables are the generated ones),
 * and returns only the rejection codes its file declares.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeOp, encodeOp, OP_FIELDS, OP_TAGS } from "../src/channel/codec.js";
import { BATCH_OP_TYPES } from "../src/channel/tentative.js";
import { updateOpsDocs } from "../src/cli/opsDocs.js";
import { parseScenario, runScenario, type StepOutput } from "../src/cli/scenario.js";
import { Engine } from "../src/core/engine.js";
import { OP_TYPES, type Op } from "../src/core/ops.js";
import type { FieldKind, OpField } from "../src/core/opSchema.js";
import { OP_REGISTRY, opDefinition } from "../src/core/registry.js";

/** A valid value of each field kind (well-formed for the codec and the scenario parser). */
function sample(f: OpField): unknown {
  const byKind: Record<FieldKind, unknown> = {
    string: "alice",
    amount: 5n,
    int: 3,
    boolean: true,
    enum: f.values?.[0],
    roles: ["Trader"],
    strings: ["p1", "p2"],
    hexes: ["0x" + "ab".repeat(32)],
  };
  return byKind[f.kind];
}

function sampleOp(type: string, withOptional: boolean): Record<string, unknown> {
  const op: Record<string, unknown> = { type };
  for (const f of opDefinition(type)!.fields) if (!f.optional || withOptional) op[f.name] = sample(f);
  return op;
}

const toJsonValue = (v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v);

describe("op registry", () => {
  it("lists 41 op types once each, with the wire tags of the channel codec", () => {
    expect(OP_TYPES.length).toBe(41);
    expect(new Set(OP_TYPES).size).toBe(41);
    expect(OP_TAGS).toEqual(Object.fromEntries(OP_REGISTRY.map(({ tag, op }) => [op.type, tag])));
    // The wire format: these tags are frozen (a changed tag is a different encoding).
    expect(OP_TAGS).toMatchObject({ createToken: 1, swap: 10, placeOrder: 12, liquidatePosition: 37, linkChannel: 40, creditReceipt: 42, creditDeposit: 64 });
  });

  it("derives the batch op set from the op kinds (29 participant ops)", () => {
    expect([...BATCH_OP_TYPES].sort()).toEqual(
      [
        "acquireLock", "executeLock", "cancelLock", "routeSwap", "setLockPolicy", "voteFee", "supply", "withdrawSupply", "borrow", "repay",
        "liquidate", "depositMargin", "withdrawMargin", "fundInsurance", "openPosition", "closePosition", "liquidatePosition", "withdraw",
        "transfer", "sendReceipt", "creditReceipt", "addLiquidity", "removeLiquidity", "swap", "placeOrder", "marketOrder", "cancelOrder",
        "setPrice", "setPriceConfig",
      ].sort(),
    );
  });

  it.each(OP_TYPES.map((t) => [t]))("%s is encodable: codec round trip with and without optional fields", (type) => {
    expect(OP_FIELDS[type]).toBeDefined();
    for (const withOptional of [false, true]) {
      const op = sampleOp(type, withOptional) as unknown as Op;
      expect(decodeOp(encodeOp(op))).toEqual(op);
    }
  });

  it.each(OP_TYPES.map((t) => [t]))("%s is runnable from a scenario", (type) => {
    const op = Object.fromEntries(Object.entries(sampleOp(type, true)).map(([k, v]) => [k, toJsonValue(v)]));
    const scenario = parseScenario(JSON.stringify({ ops: [op] }));
    const lines: StepOutput[] = [];
    runScenario(scenario, (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.type).toBe(type);
    // On an empty engine most ops are rejected; a rejection must be one the op declares.
    if (lines[0]!.status === "rejected") expect(opDefinition(type)!.rejects).toContain(lines[0]!["code"]);
  });

  it("documents every op: docs/scenarios.md holds the tables generated from the registry (npm run docs:ops)", () => {
    const docs = readFileSync(new URL("../docs/scenarios.md", import.meta.url), "utf8");
    expect(updateOpsDocs(docs)).toBe(docs);
    for (const type of OP_TYPES) expect(docs).toContain(`| \`${type}\` |`);
  });

  it("every rejection an op returns is in its declared list (random ops on a funded engine)", () => {
    const engine = new Engine();
    engine.createToken({ symbol: "USDC", decimals: 6 });
    engine.createToken({ symbol: "WETH", decimals: 18 });
    for (const account of ["alice", "bob"]) {
      engine.createAccount({ account });
      engine.deposit({ account, token: "USDC", amount: 10n ** 12n });
      engine.deposit({ account, token: "WETH", amount: 10n ** 21n });
    }
    engine.createPool({ pool: "WETH/USDC", token0: "WETH", token1: "USDC", feePpm: 3000 });
    engine.addLiquidity({ account: "alice", pool: "WETH/USDC", amount0Desired: 10n ** 20n, amount1Desired: 10n ** 11n });
    engine.createMarket({ market: "WETH-USDC", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 10n, makerFeePpm: 0, takerFeePpm: 500 });
    const value = (f: OpField): fc.Arbitrary<unknown> => {
      switch (f.kind) {
        case "string":
          return fc.constantFrom("alice", "bob", "USDC", "WETH", "WETH/USDC", "WETH-USDC", "nobody", "", "WETH/USDC#1");
        case "amount":
          return fc.oneof(fc.bigInt({ min: -2n, max: 10n ** 22n }), fc.constant(2n ** 130n));
        case "int":
          return fc.oneof(fc.integer({ min: -2, max: 300_000 }), fc.constant(Number.MAX_SAFE_INTEGER));
        case "boolean":
          return fc.boolean();
        case "enum":
          return fc.constantFrom(...(f.values ?? []), "bogus");
        case "roles":
          return fc.constantFrom(["Trader"], ["Oracle"], ["Nobody"]);
        case "strings":
          return fc.constantFrom(["WETH/USDC"], [], ["WETH/USDC", "WETH/USDC"]);
        case "hexes":
          return fc.constantFrom([], ["0x" + "ab".repeat(65)]);
      }
    };
    const opArb = fc.constantFrom(...OP_TYPES).chain((type) =>
      fc
        .tuple(...opDefinition(type)!.fields.map((f) => (f.optional ? fc.option(value(f), { nil: undefined }) : value(f))))
        .map((values) => {
          const op: Record<string, unknown> = { type };
          opDefinition(type)!.fields.forEach((f, i) => {
            if (values[i] !== undefined) op[f.name] = values[i];
          });
          return op as unknown as Op;
        }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        for (const op of ops) {
          const result = engine.apply(op);
          if (result.status === "rejected") expect(opDefinition(op.type)!.rejects, `${op.type}: ${result.message}`).toContain(result.code);
        }
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});
