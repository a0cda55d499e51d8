import { describe, expect, it } from "vitest";
import { Engine } from "../../engine.js";
import { createTokenOp } from "./createToken.js";

describe("createToken", () => {
  it("registers a token under its symbol", () => {
    const engine = new Engine();
    expect(engine.createToken({ symbol: "USDC", decimals: 6 })).toEqual({ status: "accepted", token: "USDC" });
    expect(engine.getToken("USDC")?.decimals).toBe(6);
  });

  it("rejects a duplicate symbol and decimals above 36", () => {
    const engine = new Engine();
    engine.createToken({ symbol: "USDC", decimals: 6 });
    expect(engine.createToken({ symbol: "USDC", decimals: 6 })).toMatchObject({ status: "rejected", code: "ALREADY_EXISTS" });
    expect(engine.createToken({ symbol: "BIG", decimals: 37 })).toMatchObject({ status: "rejected", code: "INVALID_OP" });
    expect(createTokenOp.kind).toBe("genesis");
  });
});
