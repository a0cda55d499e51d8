import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Engine } from "../src/core/engine.js";
import { addressFor } from "../src/core/address.js";
import { MAX_AMOUNT } from "../src/core/math.js";

function setup(): Engine {
  const e = new Engine();
  expect(e.createToken({ symbol: "USDC", decimals: 6 }).status).toBe("accepted");
  expect(e.createToken({ symbol: "WETH", decimals: 18 }).status).toBe("accepted");
  expect(e.createAccount({ account: "alice" }).status).toBe("accepted");
  expect(e.createAccount({ account: "bob" }).status).toBe("accepted");
  expect(e.createAccount({ account: "olly", roles: ["Observer"] }).status).toBe("accepted");
  return e;
}

describe("ledger", () => {
  it("deposits, transfers and withdraws exactly", () => {
    const e = setup();
    expect(e.deposit({ account: "alice", token: "USDC", amount: 1_000_000n })).toEqual({ status: "accepted", balance: 1_000_000n });
    expect(e.transfer({ from: "alice", to: "bob", token: "USDC", amount: 250_001n })).toEqual({ status: "accepted", balance: 749_999n });
    expect(e.withdraw({ account: "bob", token: "USDC", amount: 1n })).toEqual({ status: "accepted", balance: 250_000n });
    expect(e.balanceOf("alice", "USDC")).toBe(749_999n);
    expect(e.balanceOf("bob", "USDC")).toBe(250_000n);
    const c = e.checkConservation();
    expect(c.ok).toBe(true);
    expect(c.tokens.find((t) => t.token === "USDC")).toEqual({ token: "USDC", expected: 999_999n, actual: 999_999n });
  });

  it("rejects bad input with stable codes and changes nothing", () => {
    const e = setup();
    e.deposit({ account: "alice", token: "USDC", amount: 100n });
    const before = e.stateRoot();
    const cases: [unknown, string][] = [
      [{ type: "transfer", from: "alice", to: "bob", token: "USDC", amount: 101n }, "INSUFFICIENT_BALANCE"],
      [{ type: "transfer", from: "alice", to: "bob", token: "USDC", amount: 0n }, "INVALID_AMOUNT"],
      [{ type: "transfer", from: "alice", to: "bob", token: "USDC", amount: -1n }, "INVALID_AMOUNT"],
      [{ type: "transfer", from: "alice", to: "bob", token: "USDC", amount: 5 }, "INVALID_AMOUNT"],
      [{ type: "transfer", from: "alice", to: "bob", token: "USDC", amount: MAX_AMOUNT + 1n }, "INVALID_AMOUNT"],
      [{ type: "transfer", from: "alice", to: "alice", token: "USDC", amount: 1n }, "INVALID_OP"],
      [{ type: "transfer", from: "alice", to: "carol", token: "USDC", amount: 1n }, "UNKNOWN_ACCOUNT"],
      [{ type: "transfer", from: "alice", to: "bob", token: "DAI", amount: 1n }, "UNKNOWN_TOKEN"],
      [{ type: "transfer", from: "olly", to: "bob", token: "USDC", amount: 1n }, "NOT_PERMITTED"],
      [{ type: "transfer", from: "", to: "bob", token: "USDC", amount: 1n }, "INVALID_ID"],
      [{ type: "withdraw", account: "alice", token: "USDC", amount: 101n }, "INSUFFICIENT_BALANCE"],
      [{ type: "deposit", account: "alice", token: "USDC", amount: MAX_AMOUNT }, "OVERFLOW"],
      [{ type: "createToken", symbol: "USDC", decimals: 6 }, "ALREADY_EXISTS"],
      [{ type: "createToken", symbol: "X", decimals: 37 }, "INVALID_OP"],
      [{ type: "createToken", symbol: "X", decimals: 1.5 }, "INVALID_OP"],
      [{ type: "createAccount", account: "alice" }, "ALREADY_EXISTS"],
      [{ type: "createAccount", account: "zed", roles: ["King"] }, "INVALID_OP"],
      [{ type: "createAccount", account: "zed", address: "0x1234" }, "INVALID_ID"],
      [{ type: "createAccount", account: "zed", address: addressFor("account", "alice") }, "ALREADY_EXISTS"],
      [{ type: "launchRocket" }, "INVALID_OP"],
      [{ type: "toString" }, "INVALID_OP"],
      [null, "INVALID_OP"],
    ];
    for (const [op, code] of cases) {
      const r = e.apply(op as never);
      expect(r.status, JSON.stringify(op, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).toBe("rejected");
      if (r.status === "rejected") expect(r.code).toBe(code);
    }
    expect(e.stateRoot()).toBe(before);
  });

  it("withdraw is allowed to every account, trading is not", () => {
    const e = setup();
    e.deposit({ account: "olly", token: "USDC", amount: 10n });
    expect(e.withdraw({ account: "olly", token: "USDC", amount: 10n }).status).toBe("accepted");
  });

  it("conservation holds and no balance goes negative over random transfers (property)", () => {
    const names = ["alice", "bob", "carol"];
    const opArb = fc.oneof(
      fc.record({ type: fc.constant("deposit"), account: fc.constantFrom(...names), token: fc.constantFrom("USDC", "WETH"), amount: fc.bigInt(-5n, 10n ** 20n) }),
      fc.record({ type: fc.constant("withdraw"), account: fc.constantFrom(...names), token: fc.constantFrom("USDC", "WETH"), amount: fc.bigInt(-5n, 10n ** 20n) }),
      fc.record({
        type: fc.constant("transfer"),
        from: fc.constantFrom(...names),
        to: fc.constantFrom(...names),
        token: fc.constantFrom("USDC", "WETH"),
        amount: fc.bigInt(-5n, 10n ** 20n),
      }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const e = new Engine();
        e.createToken({ symbol: "USDC", decimals: 6 });
        e.createToken({ symbol: "WETH", decimals: 18 });
        for (const n of names) e.createAccount({ account: n });
        for (const op of ops) {
          const root = e.stateRoot();
          const r = e.apply(op as never);
          if (r.status === "rejected") expect(e.stateRoot()).toBe(root);
          const c = e.checkConservation();
          expect(c.ok).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("state root", () => {
  it("is the same for the same ops and independent of map insertion history", () => {
    const a = setup();
    const b = setup();
    a.deposit({ account: "alice", token: "USDC", amount: 5n });
    a.deposit({ account: "alice", token: "WETH", amount: 7n });
    b.deposit({ account: "alice", token: "WETH", amount: 7n });
    b.deposit({ account: "alice", token: "USDC", amount: 5n });
    // Totals are part of the state, and both engines deposited the same amounts.
    expect(a.stateRoot()).toBe(b.stateRoot());
    // Draining to zero leaves no trace of the balance's history.
    a.transfer({ from: "alice", to: "bob", token: "USDC", amount: 5n });
    a.transfer({ from: "bob", to: "alice", token: "USDC", amount: 5n });
    expect(a.stateRoot()).toBe(b.stateRoot());
  });

  it("changes when any balance changes, and is stable when nothing does", () => {
    const e = setup();
    const r0 = e.stateRoot();
    expect(e.stateRoot()).toBe(r0);
    e.deposit({ account: "bob", token: "WETH", amount: 1n });
    const r1 = e.stateRoot();
    expect(r1).not.toBe(r0);
    expect(r1).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("is a fixed value for a fixed history (regression vector: any change to the encoding must be deliberate)", () => {
    const e = setup();
    e.deposit({ account: "alice", token: "USDC", amount: 123_456_789n });
    e.transfer({ from: "alice", to: "bob", token: "USDC", amount: 23_456_789n });
    const fresh = setup();
    fresh.deposit({ account: "alice", token: "USDC", amount: 123_456_789n });
    fresh.transfer({ from: "alice", to: "bob", token: "USDC", amount: 23_456_789n });
    expect(e.stateRoot()).toBe(fresh.stateRoot());
    expect(e.stateRoot()).toMatchInlineSnapshot(`"0xe2998ce0b2fcdd7cd8b7e8ef7371c1c2ee3329078d07c3a382f899d3d294a32f"`);
  });
});

describe("time", () => {
  it("advances only forward and is part of the state root", () => {
    const e = setup();
    const r0 = e.stateRoot();
    expect(e.advanceTime({ timeMs: 1_704_412_800_000 })).toEqual({ status: "accepted", timeMs: 1_704_412_800_000 });
    expect(e.timeMs).toBe(1_704_412_800_000);
    const r1 = e.stateRoot();
    expect(r1).not.toBe(r0);
    expect(e.advanceTime({ timeMs: 1_704_412_799_999 })).toMatchObject({ status: "rejected", code: "INVALID_OP" });
    expect(e.advanceTime({ timeMs: -1 })).toMatchObject({ status: "rejected", code: "INVALID_OP" });
    expect(e.advanceTime({ timeMs: 1.5 })).toMatchObject({ status: "rejected", code: "INVALID_OP" });
    expect(e.stateRoot()).toBe(r1);
    expect(e.advanceTime({ timeMs: 1_704_412_800_000 }).status).toBe("accepted");
  });
});

describe("engine dispatch", () => {
  it("every op method applies the same handler as apply() (methods pass their handler explicitly for speed)", async () => {
    const { OP_TYPES } = await import("../src/core/ops.js");
    for (const type of OP_TYPES) {
      const viaMethod = new Engine({ journal: true });
      const viaApply = new Engine();
      const method = (viaMethod as unknown as Record<string, (p: object) => { status: string }>)[type];
      expect(typeof method, type).toBe("function");
      // A malformed op reaches the handler, which names the op's own fields in its rejection.
      const a = method?.call(viaMethod, { bogus: true });
      const b = viaApply.apply({ type, bogus: true } as never);
      expect(a, type).toEqual(b);
      expect(viaMethod.journal?.[0]?.type).toBe(type);
    }
  });
});
