import { describe, expect, it } from "vitest";
import { Engine } from "../../engine.js";
import { transferOp } from "./transfer.js";

function funded(): Engine {
  const engine = new Engine();
  engine.createToken({ symbol: "USDC", decimals: 6 });
  engine.createAccount({ account: "alice" });
  engine.createAccount({ account: "bob" });
  engine.deposit({ account: "alice", token: "USDC", amount: 1_000_000n });
  return engine;
}

describe("transfer", () => {
  it("moves exactly the amount between free balances", () => {
    const engine = funded();
    expect(engine.transfer({ from: "alice", to: "bob", token: "USDC", amount: 250_000n })).toEqual({ status: "accepted", balance: 750_000n });
    expect(engine.balanceOf("bob", "USDC")).toBe(250_000n);
  });

  it("rejects more than the free balance, unknown accounts and non-positive amounts", () => {
    const engine = funded();
    const root = engine.stateRoot();
    expect(engine.transfer({ from: "alice", to: "bob", token: "USDC", amount: 1_000_001n })).toMatchObject({ code: "INSUFFICIENT_BALANCE" });
    expect(engine.transfer({ from: "alice", to: "carol", token: "USDC", amount: 1n })).toMatchObject({ code: "UNKNOWN_ACCOUNT" });
    expect(engine.transfer({ from: "alice", to: "bob", token: "USDC", amount: 0n })).toMatchObject({ code: "INVALID_AMOUNT" });
    expect(engine.stateRoot()).toBe(root);
    for (const code of ["INSUFFICIENT_BALANCE", "UNKNOWN_ACCOUNT", "INVALID_AMOUNT"]) expect(transferOp.rejects).toContain(code);
  });
});
