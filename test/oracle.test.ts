import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Engine } from "../src/core/engine.js";
import { median, priceOf, valueInBase, DEFAULT_MAX_PRICE_AGE_MS } from "../src/core/oracle.js";
import { Rejection } from "../src/core/errors.js";

function setup(): Engine {
  const e = new Engine();
  for (const id of ["o1", "o2", "o3", "o4"]) expect(e.createAccount({ account: id, roles: ["Oracle"] }).status).toBe("accepted");
  expect(e.createAccount({ account: "trader" }).status).toBe("accepted");
  expect(e.advanceTime({ timeMs: 1_704_499_200_000 }).status).toBe("accepted"); // 2024-01-06T00:00Z
  return e;
}

describe("oracle", () => {
  it("takes the median of the latest report per oracle; even counts average the middle two, rounded down", () => {
    const e = setup();
    expect(e.setPrice({ account: "o1", asset: "WETH", price: 224_137_000_000n })).toEqual({
      status: "accepted",
      asset: "WETH",
      price: 224_137_000_000n,
      oracles: 1,
    });
    expect(e.setPrice({ account: "o2", asset: "WETH", price: 224_000_000_001n })).toMatchObject({ price: 224_068_500_000n, oracles: 2 });
    expect(e.setPrice({ account: "o3", asset: "WETH", price: 230_000_000_000n })).toMatchObject({ price: 224_137_000_000n, oracles: 3 });
    // o1 replaces its own report: still three oracles, median of {220000000000, 224000000001, 230000000000}.
    expect(e.setPrice({ account: "o1", asset: "WETH", price: 220_000_000_000n })).toMatchObject({ price: 224_000_000_001n, oracles: 3 });
    expect(e.setPrice({ account: "o4", asset: "WETH", price: 1n })).toMatchObject({ price: 222_000_000_000n, oracles: 4 });
    expect(median([3n, 4n])).toBe(3n);
    expect(median([5n])).toBe(5n);
  });

  it("ignores stale reports and rejects STALE_PRICE / UNKNOWN_PRICE through priceOf", () => {
    const e = setup();
    const t0 = e.timeMs;
    e.setPrice({ account: "o1", asset: "WETH", price: 200_000_000_000n });
    e.advanceTime({ timeMs: t0 + 1_800_000 });
    e.setPrice({ account: "o2", asset: "WETH", price: 210_000_000_000n });
    expect(priceOf(e.state, "WETH")).toBe(205_000_000_000n);
    // At exactly the limit o1 is still fresh; one ms later only o2 counts.
    e.advanceTime({ timeMs: t0 + DEFAULT_MAX_PRICE_AGE_MS });
    expect(e.getPrice("WETH")).toMatchObject({ price: 205_000_000_000n, oracles: 2 });
    e.advanceTime({ timeMs: t0 + DEFAULT_MAX_PRICE_AGE_MS + 1 });
    expect(e.getPrice("WETH")).toMatchObject({ price: 210_000_000_000n, oracles: 1 });
    e.advanceTime({ timeMs: t0 + 1_800_000 + DEFAULT_MAX_PRICE_AGE_MS + 1 });
    expect(e.getPrice("WETH")).toMatchObject({ price: undefined, code: "STALE_PRICE" });
    expect(() => priceOf(e.state, "WETH")).toThrow(Rejection);
    try {
      priceOf(e.state, "WETH");
    } catch (r) {
      expect((r as Rejection).code).toBe("STALE_PRICE");
    }
    try {
      priceOf(e.state, "DOGE");
    } catch (r) {
      expect((r as Rejection).code).toBe("UNKNOWN_PRICE");
    }
    // A configured limit applies at once.
    expect(e.setPriceConfig({ account: "o1", asset: "WETH", maxAgeMs: 86_400_000 }).status).toBe("accepted");
    expect(e.getPrice("WETH")).toMatchObject({ price: 205_000_000_000n, oracles: 2 });
  });

  it("only the Oracle role reports, with a positive integer price; rejected ops change nothing", () => {
    const e = setup();
    const root = e.stateRoot();
    expect(e.setPrice({ account: "trader", asset: "WETH", price: 1n })).toMatchObject({ status: "rejected", code: "NOT_PERMITTED" });
    expect(e.setPrice({ account: "o1", asset: "WETH", price: 0n })).toMatchObject({ status: "rejected", code: "INVALID_PRICE" });
    expect(e.setPrice({ account: "o1", asset: "WETH", price: 2n ** 128n })).toMatchObject({ status: "rejected", code: "INVALID_PRICE" });
    expect(e.setPrice({ account: "o1", asset: "", price: 1n })).toMatchObject({ status: "rejected", code: "INVALID_ID" });
    expect(e.setPriceConfig({ account: "trader", asset: "WETH", maxAgeMs: 1 })).toMatchObject({ code: "NOT_PERMITTED" });
    expect(e.stateRoot()).toBe(root);
    e.setPrice({ account: "o1", asset: "WETH", price: 5n });
    expect(e.stateRoot()).not.toBe(root);
  });

  it("values amounts in base currency, rounded down", () => {
    // 1.5 WETH at 2,241.37 USD = 3,362.055 USD = 336205500000 (8 decimals).
    expect(valueInBase(1_500_000_000_000_000_000n, 224_137_000_000n, 18)).toBe(336_205_500_000n);
    // 1 base unit of USDC (1e-6) at 0.9998 USD = 99.98 units of 1e-8 → 99.
    expect(valueInBase(1n, 99_980_000n, 6)).toBe(99n);
  });

  it("property: the median lies between the lowest and highest fresh report and ignores order", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt(1n, 10n ** 20n), { minLength: 1, maxLength: 9 }), (prices) => {
        const m = median(prices);
        const sorted = [...prices].sort((a, b) => (a < b ? -1 : 1));
        expect(m >= (sorted[0] as bigint) && m <= (sorted[sorted.length - 1] as bigint)).toBe(true);
        expect(median([...prices].reverse())).toBe(m);
      }),
    );
  });
});
