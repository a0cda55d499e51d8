/**
 * The core engine's `creditDeposit` (src/core/deposits.ts): on-chain deposit records credited once
 * each, consecutively in id order, every reject code leaving the state (and its root) unchanged.
 */
import { describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import { MAX_AMOUNT } from "../src/core/math.js";
import { cloneEngine } from "../src/core/snapshot.js";

const ALICE = "0x00000000000000000000000000000000000a11ce";
const BOB = "0x0000000000000000000000000000000000000b0b";
const USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
const ETH = "0x0000000000000000000000000000000000000000";

function setup(): Engine {
  const e = new Engine({ journal: true });
  expect(e.createToken({ symbol: "USDC", decimals: 6, address: USDC }).status).toBe("accepted");
  expect(e.createToken({ symbol: "ETH", decimals: 18, address: ETH }).status).toBe("accepted");
  expect(e.createAccount({ account: ALICE, address: ALICE }).status).toBe("accepted");
  expect(e.createAccount({ account: "bob", address: BOB }).status).toBe("accepted");
  return e;
}

describe("creditDeposit", () => {
  it("credits records 0, 1, 2 in order to the accounts and tokens named by address, conserving value", () => {
    const e = setup();
    const root0 = e.stateRoot();
    expect(e.depositsCredited).toBe(0n);
    expect(e.creditDeposit({ recordId: 0n, account: ALICE, token: USDC, amount: 5_000_000_000n })).toEqual({
      status: "accepted",
      recordId: 0n,
      account: ALICE,
      token: "USDC",
      balance: 5_000_000_000n,
    });
    // upper-case hex names the same account; the account id need not be the address
    expect(e.creditDeposit({ recordId: 1n, account: BOB.toUpperCase().replace("0X", "0x"), token: ETH, amount: 2n * 10n ** 18n })).toMatchObject({ status: "accepted", account: "bob", token: "ETH" });
    expect(e.creditDeposit({ recordId: 2n, account: ALICE, token: USDC, amount: 1n })).toMatchObject({ status: "accepted", balance: 5_000_000_001n });
    expect(e.depositsCredited).toBe(3n);
    expect(e.balanceOf(ALICE, "USDC")).toBe(5_000_000_001n);
    expect(e.balanceOf("bob", "ETH")).toBe(2n * 10n ** 18n);
    expect(e.state.totals.get("USDC")).toEqual({ deposited: 5_000_000_001n, withdrawn: 0n });
    expect(e.checkConservation().ok).toBe(true);
    expect(e.stateRoot()).not.toBe(root0);
    // the exit root pays what was credited
    expect(e.exitLeaves().find((l) => l.accountAddress === ALICE && l.tokenAddress === USDC)?.amount).toBe(5_000_000_001n);
    // replay and clone reproduce the state root, including the credited-records counter
    expect(Engine.replay(e.journal!).stateRoot()).toBe(e.stateRoot());
    const c = cloneEngine(e);
    expect(c.depositsCredited).toBe(3n);
    expect(c.creditDeposit({ recordId: 3n, account: ALICE, token: USDC, amount: 7n }).status).toBe("accepted");
    expect(e.depositsCredited).toBe(3n);
  });

  it("the credited-records counter is part of the state root", () => {
    const a = setup();
    const b = setup();
    a.creditDeposit({ recordId: 0n, account: ALICE, token: USDC, amount: 10n });
    b.deposit({ account: ALICE, token: "USDC", amount: 10n });
    // same balances and totals, but b has not consumed record 0
    expect(a.exitRoot()).toBe(b.exitRoot());
    expect(a.stateRoot()).not.toBe(b.stateRoot());
  });

  it("rejects every bad credit with its code and changes nothing", () => {
    const e = setup();
    expect(e.creditDeposit({ recordId: 0n, account: ALICE, token: USDC, amount: 100n }).status).toBe("accepted");
    const before = e.stateRoot();
    const cases: [unknown, string][] = [
      [{ recordId: 0n, account: ALICE, token: USDC, amount: 100n }, "DEPOSIT_ALREADY_CREDITED"],
      [{ recordId: 2n, account: ALICE, token: USDC, amount: 100n }, "DEPOSIT_OUT_OF_ORDER"],
      [{ recordId: 1n, account: ALICE, token: "0x00000000000000000000000000000000deadbeef", amount: 1n }, "UNKNOWN_TOKEN"],
      [{ recordId: 1n, account: ALICE, token: "USDC", amount: 1n }, "INVALID_ID"],
      [{ recordId: 1n, account: "0x00000000000000000000000000000000deadbeef", token: USDC, amount: 1n }, "UNKNOWN_ACCOUNT"],
      [{ recordId: 1n, account: "bob", token: USDC, amount: 1n }, "INVALID_ID"],
      [{ recordId: 1n, account: ALICE, token: USDC, amount: 0n }, "INVALID_AMOUNT"],
      [{ recordId: 1n, account: ALICE, token: USDC, amount: -5n }, "INVALID_AMOUNT"],
      [{ recordId: 1n, account: ALICE, token: USDC, amount: 5 }, "INVALID_AMOUNT"],
      [{ recordId: 1n, account: ALICE, token: USDC, amount: MAX_AMOUNT + 1n }, "INVALID_AMOUNT"],
      [{ recordId: 1n, account: ALICE, token: USDC, amount: MAX_AMOUNT }, "OVERFLOW"],
      [{ recordId: 1, account: ALICE, token: USDC, amount: 1n }, "INVALID_OP"],
      [{ recordId: -1n, account: ALICE, token: USDC, amount: 1n }, "INVALID_OP"],
    ];
    for (const [op, code] of cases) {
      const r = e.apply({ type: "creditDeposit", ...(op as object) } as never);
      expect(r, JSON.stringify(op, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))).toMatchObject({ status: "rejected", code });
      expect(e.stateRoot()).toBe(before);
    }
    expect(e.depositsCredited).toBe(1n);
    expect(e.balanceOf(ALICE, "USDC")).toBe(100n);
    expect(e.creditDeposit({ recordId: 1n, account: ALICE, token: USDC, amount: 1n }).status).toBe("accepted");
  });
});
