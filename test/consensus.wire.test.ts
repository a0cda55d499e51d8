import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { CheckpointWire } from "../src/channel/checkpoint.js";
import { decodeCheckpointWire, encodeCheckpointWire, WireError } from "../src/channel/consensus/wire.js";
import type { Hex } from "../src/channel/identity.js";

const h = (b: number): Hex => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const addr = `0x${"ab".repeat(20)}` as Hex;
const sig = Uint8Array.from({ length: 65 }, (_, i) => i);
const deposit = (recordId: bigint, amount = 5_000_000_000n) => ({ recordId, account: `0x${"cd".repeat(20)}` as Hex, token: `0x${"00".repeat(20)}` as Hex, amount });
const value = { height: 3, heads: [h(1), h(2)], stateRoot: h(3), exitRoot: h(4), timeMs: 1_763_700_000_123, deposits: [deposit(7n), deposit(8n, (1n << 256n) - 1n)] };
const samples: CheckpointWire[] = [
  { kind: "consensus", message: { kind: "proposal", height: 3, round: 2, valueId: h(5), validRound: -1, sender: addr, signature: sig }, value },
  { kind: "consensus", message: { kind: "proposal", height: 3, round: 2, valueId: h(5), validRound: 1, sender: addr, signature: sig } },
  { kind: "consensus", message: { kind: "prevote", height: 3, round: 0, valueId: null, sender: addr, signature: sig } },
  { kind: "consensus", message: { kind: "precommit", height: 2 ** 53 - 1, round: 2 ** 32 - 1, valueId: h(6), sender: addr, signature: sig } },
  { kind: "signature", height: 9, signer: addr, signature: sig },
  { kind: "proof", height: 3, value, messages: [{ kind: "precommit", height: 3, round: 0, valueId: h(6), sender: addr, signature: sig }] },
];
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof WireError ? e.code : "other";
  }
  return undefined;
};

describe("checkpoint wire codec", () => {
  test("round trips every message kind exactly", () => {
    for (const m of samples) {
      const bytes = encodeCheckpointWire(m);
      expect(decodeCheckpointWire(bytes)).toEqual(m);
      expect(encodeCheckpointWire(decodeCheckpointWire(bytes))).toEqual(bytes);
    }
    // a fixed vector: the signature message
    expect(Buffer.from(encodeCheckpointWire(samples[4]!)).toString("hex").slice(0, 2 + 16 + 40)).toBe("02" + "0000000000000009" + "ab".repeat(20));
  });

  test("rejects truncated, trailing, unknown, non-canonical and over-limit input with stable codes", () => {
    const good = encodeCheckpointWire(samples[0]!);
    expect(code(() => decodeCheckpointWire(good.slice(0, good.length - 1)))).toBe("TRUNCATED");
    expect(code(() => decodeCheckpointWire(Uint8Array.from([...good, 0])))).toBe("TRAILING_BYTES");
    expect(code(() => decodeCheckpointWire(Uint8Array.from([9])))).toBe("UNKNOWN_TAG");
    const vote = encodeCheckpointWire(samples[2]!);
    const badFlag = vote.slice();
    badFlag[1 + 1 + 8 + 4 + 20 + 65] = 2;
    expect(code(() => decodeCheckpointWire(badFlag))).toBe("NON_CANONICAL");
    expect(code(() => encodeCheckpointWire({ ...samples[0]!, value: { ...value, heads: [h(2), h(1)] } } as CheckpointWire))).toBe("NON_CANONICAL");
    expect(code(() => encodeCheckpointWire(samples[0]!, { maxHeads: 1, maxProofMessages: 1 }))).toBe("LIMIT");
    expect(code(() => decodeCheckpointWire(good, { maxHeads: 1, maxProofMessages: 1 }))).toBe("LIMIT");
    // deposit records: at most maxDeposits, consecutive ids, positive amounts
    expect(code(() => decodeCheckpointWire(good, { maxHeads: 8, maxProofMessages: 8, maxDeposits: 1 }))).toBe("LIMIT");
    expect(code(() => encodeCheckpointWire({ ...samples[0]!, value: { ...value, deposits: [deposit(7n), deposit(9n)] } } as CheckpointWire))).toBe("OUT_OF_RANGE");
    expect(code(() => encodeCheckpointWire({ ...samples[0]!, value: { ...value, deposits: [deposit(7n, 0n)] } } as CheckpointWire))).toBe("OUT_OF_RANGE");
    const skipped = good.slice();
    skipped[good.length - 104 + 31] = 0; // the second record's (104 bytes) id 8 → 0: not consecutive
    expect(code(() => decodeCheckpointWire(skipped))).toBe("OUT_OF_RANGE");
    expect(code(() => encodeCheckpointWire({ kind: "signature", height: -1, signer: addr, signature: sig }))).toBe("OUT_OF_RANGE");
    const big = encodeCheckpointWire(samples[4]!);
    big[1] = 0xff;
    expect(code(() => decodeCheckpointWire(big))).toBe("OUT_OF_RANGE");
  });

  test("fuzz: random and mutated bytes never crash; whatever decodes re-encodes identically", () => {
    const seeds = samples.map((m) => encodeCheckpointWire(m));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, i, x]) => { const c = b.slice(); c[i % c.length] = x; return c; })), (bytes) => {
        let decoded: CheckpointWire;
        try {
          decoded = decodeCheckpointWire(bytes);
        } catch (e) {
          return e instanceof WireError;
        }
        return Buffer.from(encodeCheckpointWire(decoded)).equals(Buffer.from(bytes));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
