/** src/core/keccak.ts (native binding) against reference vectors and @noble/hashes' keccak_256. */
import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { keccak256 } from "../src/core/keccak.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("keccak256", () => {
  test("reference vectors (Ethereum keccak256, not NIST SHA3-256)", () => {
    expect(hex(keccak256(new Uint8Array()))).toBe("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    expect(hex(keccak256(new TextEncoder().encode("abc")))).toBe("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    // the EIP-712 domain type hash every signature in this project starts from
    expect(hex(keccak256(new TextEncoder().encode("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")))).toBe(
      "8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f",
    );
  });

  test("equals noble's keccak_256 on any input, including views into larger buffers and rate-boundary lengths", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), fc.nat(16), (data, offset) => {
        const backing = new Uint8Array(offset + data.length + 7).fill(0xaa);
        backing.set(data, offset);
        const view = backing.subarray(offset, offset + data.length);
        const out = keccak256(view);
        expect(out).toBeInstanceOf(Uint8Array);
        expect(Buffer.isBuffer(out)).toBe(false);
        expect(out.length).toBe(32);
        expect(hex(out)).toBe(hex(keccak_256(data)));
      }),
      { numRuns: 300 },
    );
    for (const n of [135, 136, 137, 271, 272, 273]) {
      const d = new Uint8Array(n).map((_, i) => i);
      expect(hex(keccak256(d))).toBe(hex(keccak_256(d)));
    }
  });
});
