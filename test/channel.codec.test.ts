import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OP_TYPES, type Op } from "../src/core/ops.js";
import { RoleNames } from "../src/core/roles.js";
import {
  CodecError,
  DEFAULT_CODEC_LIMITS,
  FIELD_KINDS,
  MAX_LIST_LENGTH,
  OP_FIELDS,
  OP_TAGS,
  decodeBatch,
  decodeOp,
  decodePayload,
  encodeBatch,
  encodeOp,
  encodePayload,
  type Field,
} from "../src/channel/codec.js";
import type { BatchHeader } from "../src/channel/batch.js";
import type { Hex } from "../src/channel/identity.js";

const hex = (n: number): fc.Arbitrary<Hex> => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => ("0x" + Buffer.from(b).toString("hex")) as Hex);
const anyString = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 10 }), fc.constantFrom("alice", "WETH-USDC", "0x" + "ab".repeat(20)));

function fieldArb(f: Field): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case FIELD_KINDS.STR:
      return anyString.filter((s) => Buffer.byteLength(s) <= DEFAULT_CODEC_LIMITS.maxStringBytes && s.charCodeAt(0) !== 0xfeff);
    case FIELD_KINDS.BIG:
      return fc.oneof(fc.constantFrom(0n, 1n, 255n, 256n, (1n << 128n) - 1n, (1n << 256n) - 1n), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }));
    case FIELD_KINDS.INT:
      return fc.oneof(fc.constantFrom(0, 127, 128, 16383, 16384, Number.MAX_SAFE_INTEGER), fc.nat(), fc.maxSafeNat());
    case FIELD_KINDS.BOOL:
      return fc.boolean();
    case FIELD_KINDS.ENUM:
      return fc.constantFrom(...f.values!);
    case FIELD_KINDS.ROLES:
      return fc.subarray([...RoleNames]);
    case FIELD_KINDS.HEXS:
      return fc.array(fc.uint8Array({ maxLength: 96 }).map((b) => "0x" + Buffer.from(b).toString("hex")), { maxLength: 6 });
    case FIELD_KINDS.STRS:
      return fc.array(anyString.filter((s) => Buffer.byteLength(s) <= DEFAULT_CODEC_LIMITS.maxStringBytes && s.charCodeAt(0) !== 0xfeff), { maxLength: 6 });
  }
  throw new Error(`no arbitrary for kind ${f.kind}`);
}

/** Any op of any type, built from the codec's own schema (so every type is covered). */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  ...OP_TYPES.filter((t) => OP_FIELDS[t] !== undefined).map((type) => {
    const fields = OP_FIELDS[type]!;
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) rec[f.name] = fieldArb(f);
    const required = fields.filter((f) => !f.optional).map((f) => f.name);
    return fc.record(rec, { requiredKeys: required }).map((r) => ({ type, ...r }) as unknown as Op);
  }),
);

const headerArb: fc.Arbitrary<BatchHeader> = fc.record({
  channelId: hex(32),
  author: hex(20),
  seq: fc.maxSafeNat(),
  parents: fc.uniqueArray(hex(32), { maxLength: 8 }).map((ps) => ps.sort()),
  payloadDigest: hex(32),
  timestamp: fc.maxSafeNat(),
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
}

const validBatchBytes = (): Uint8Array =>
  encodeBatch(
    { channelId: ("0x" + "11".repeat(32)) as Hex, author: ("0x" + "22".repeat(20)) as Hex, seq: 3, parents: [("0x" + "33".repeat(32)) as Hex, ("0x" + "44".repeat(32)) as Hex], payloadDigest: ("0x" + "55".repeat(32)) as Hex, timestamp: 1_700_000_000_000 },
    new Uint8Array(65).fill(7),
    encodePayload([
      { type: "placeOrder", account: "alice", market: "WETH-USDC", side: "buy", priceTicks: 2000, lots: 5, timeInForce: "IOC" },
      { type: "transfer", from: "alice", to: "bob", token: "USDC", amount: 1_000_000n },
    ]),
  );

describe("op schema", () => {
  test("every core op type has a tag and a field list, tags are distinct", () => {
    const missing = OP_TYPES.filter((t) => OP_TAGS[t] === undefined || OP_FIELDS[t] === undefined);
    expect(missing).toEqual([]);
    const tags = OP_TYPES.map((t) => OP_TAGS[t]);
    expect(new Set(tags).size).toBe(OP_TYPES.length);
  });
});

describe("round trips", () => {
  test("op → bytes → op is the identity, bytes → op → bytes too", () => {
    fc.assert(
      fc.property(opArb, (op) => {
        const bytes = encodeOp(op);
        const back = decodeOp(bytes);
        expect(back).toEqual(op);
        expect(encodeOp(back)).toEqual(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  test("batch → bytes → batch is the identity", () => {
    fc.assert(
      fc.property(headerArb, fc.uint8Array({ minLength: 65, maxLength: 65 }), fc.array(opArb, { maxLength: 20 }), (header, sig, ops) => {
        const payload = encodePayload(ops);
        const bytes = encodeBatch(header, sig, payload);
        const d = decodeBatch(bytes);
        expect(d.header).toEqual(header);
        expect(Uint8Array.from(d.signature)).toEqual(sig);
        expect(d.ops).toEqual(ops);
        expect(Uint8Array.from(d.payload)).toEqual(payload);
      }),
      { numRuns: 500 },
    );
  });

  test("exact bytes of one op (a fixed vector)", () => {
    const bytes = encodeOp({ type: "transfer", from: "a", to: "b", token: "T", amount: 256n });
    // tag 6, flags 0, "a", "b", "T", amount: length 2, 0x01 0x00
    expect([...bytes]).toEqual([6, 0, 1, 0x61, 1, 0x62, 1, 0x54, 2, 1, 0]);
    const order = encodeOp({ type: "placeOrder", account: "a", market: "m", side: "sell", priceTicks: 300, lots: 1, postOnly: true });
    // tag 12, flags 0b010 (postOnly), "a", "m", side 1, 300 = 0xac 0x02, 1, postOnly 1
    expect([...order]).toEqual([12, 0b010, 1, 0x61, 1, 0x6d, 1, 0xac, 0x02, 1, 1]);
  });
});

describe("the decoder rejects non-canonical input", () => {
  const transfer = (amount: number[]): Uint8Array => Uint8Array.from([6, 0, 1, 0x61, 1, 0x62, 1, 0x54, ...amount]);
  test("bigint with a leading zero byte", () => {
    expect(codeOf(() => decodeOp(transfer([1, 5])))).toBeUndefined();
    expect(codeOf(() => decodeOp(transfer([2, 0, 5])))).toBe("NON_CANONICAL");
  });
  test("bigint longer than 32 bytes", () => {
    expect(codeOf(() => decodeOp(transfer([33, ...new Array(33).fill(1)])))).toBe("OUT_OF_RANGE");
  });
  test("non-minimal varint (string length 1 as 0x81 0x00)", () => {
    expect(codeOf(() => decodeOp(Uint8Array.from([6, 0, 0x81, 0x00, 0x61, 1, 0x62, 1, 0x54, 1, 5])))).toBe("NON_CANONICAL");
  });
  test("unknown op tag, unknown flag bits, boolean other than 0/1, unknown enum index", () => {
    expect(codeOf(() => decodeOp(Uint8Array.from([200, 0])))).toBe("UNKNOWN_TAG");
    expect(codeOf(() => decodeOp(Uint8Array.from([6, 1, 1, 0x61, 1, 0x62, 1, 0x54, 1, 5])))).toBe("NON_CANONICAL");
    const po = [...encodeOp({ type: "placeOrder", account: "a", market: "m", side: "sell", priceTicks: 3, lots: 1, postOnly: true })];
    po[po.length - 1] = 2;
    expect(codeOf(() => decodeOp(Uint8Array.from(po)))).toBe("NON_CANONICAL");
    const side = [...encodeOp({ type: "placeOrder", account: "a", market: "m", side: "sell", priceTicks: 3, lots: 1 })];
    side[6] = 2;
    expect(codeOf(() => decodeOp(Uint8Array.from(side)))).toBe("UNKNOWN_TAG");
  });
  test("trailing bytes and truncation", () => {
    expect(codeOf(() => decodeOp(transfer([1, 5, 0])))).toBe("TRAILING_BYTES");
    expect(codeOf(() => decodeOp(transfer([2, 5])))).toBe("TRUNCATED");
    const b = validBatchBytes();
    expect(codeOf(() => decodeBatch(Uint8Array.from([...b, 0])))).toBe("TRAILING_BYTES");
    expect(codeOf(() => decodeBatch(b.subarray(0, b.length - 1)))).toBe("TRUNCATED");
  });
  test("invalid UTF-8 and a leading byte-order mark", () => {
    expect(codeOf(() => decodeOp(Uint8Array.from([6, 0, 1, 0xff, 1, 0x62, 1, 0x54, 1, 5])))).toBe("INVALID_UTF8");
    expect(codeOf(() => decodeOp(Uint8Array.from([6, 0, 3, 0xef, 0xbb, 0xbf, 1, 0x62, 1, 0x54, 1, 5])))).toBe("NON_CANONICAL");
  });
  test("parents not strictly ascending, unknown version, uint64 above 2^53-1", () => {
    const b = validBatchBytes();
    const swapped = Uint8Array.from(b);
    const p0 = 1 + 32 + 20 + 16 + 1;
    swapped.set(b.subarray(p0 + 32, p0 + 64), p0);
    swapped.set(b.subarray(p0, p0 + 32), p0 + 32);
    expect(codeOf(() => decodeBatch(swapped))).toBe("NON_CANONICAL");
    const dup = Uint8Array.from(b);
    dup.set(b.subarray(p0, p0 + 32), p0 + 32);
    expect(codeOf(() => decodeBatch(dup))).toBe("NON_CANONICAL");
    const v2 = Uint8Array.from(b);
    v2[0] = 2;
    expect(codeOf(() => decodeBatch(v2))).toBe("UNKNOWN_VERSION");
    const bigSeq = Uint8Array.from(b);
    bigSeq[1 + 32 + 20] = 0x00;
    bigSeq[1 + 32 + 20 + 1] = 0x20; // 2^53
    expect(codeOf(() => decodeBatch(bigSeq))).toBe("OUT_OF_RANGE");
  });
  test("role indices must be strictly increasing", () => {
    expect(decodeOp(Uint8Array.from([2, 1, 1, 0x61, 2, 0, 1]))).toEqual({ type: "createAccount", account: "a", roles: ["Trader", "MarketMaker"] });
    expect(codeOf(() => decodeOp(Uint8Array.from([2, 1, 1, 0x61, 2, 1, 0])))).toBe("NON_CANONICAL");
    expect(codeOf(() => decodeOp(Uint8Array.from([2, 1, 1, 0x61, 2, 0, 0])))).toBe("NON_CANONICAL");
  });
});

describe("limits", () => {
  const limits = { ...DEFAULT_CODEC_LIMITS, maxOpsPerBatch: 3, maxParents: 2, maxStringBytes: 8, maxBatchBytes: 400 };
  const op: Op = { type: "withdraw", account: "a", token: "T", amount: 1n };
  test("ops per batch", () => {
    expect(codeOf(() => encodePayload([op, op, op, op], limits))).toBe("TOO_LARGE");
    const four = encodePayload([op, op, op, op]);
    expect(codeOf(() => decodePayload(four, limits))).toBe("TOO_LARGE");
    expect(decodePayload(encodePayload([op, op, op], limits), limits)).toHaveLength(3);
  });
  test("string bytes", () => {
    const long: Op = { type: "withdraw", account: "a".repeat(9), token: "T", amount: 1n };
    expect(codeOf(() => encodeOp(long, limits))).toBe("TOO_LARGE");
    expect(codeOf(() => decodeOp(encodeOp(long), limits))).toBe("TOO_LARGE");
  });
  test("parents and bytes per batch", () => {
    const h: BatchHeader = { channelId: ("0x" + "11".repeat(32)) as Hex, author: ("0x" + "22".repeat(20)) as Hex, seq: 1, parents: ["0x" + "01".repeat(32), "0x" + "02".repeat(32), "0x" + "03".repeat(32)] as Hex[], payloadDigest: ("0x" + "55".repeat(32)) as Hex, timestamp: 0 };
    const sig = new Uint8Array(65);
    expect(codeOf(() => encodeBatch(h, sig, encodePayload([op]), limits))).toBe("TOO_LARGE");
    expect(codeOf(() => decodeBatch(encodeBatch(h, sig, encodePayload([op])), limits))).toBe("TOO_LARGE");
    const many = encodePayload(new Array(40).fill(op));
    const bytes = encodeBatch({ ...h, parents: [] }, sig, many);
    expect(bytes.length).toBeGreaterThan(400);
    expect(codeOf(() => decodeBatch(bytes, { ...limits, maxOpsPerBatch: 100 }))).toBe("TOO_LARGE");
  });
  test("a count that cannot fit is refused before allocation", () => {
    expect(codeOf(() => decodePayload(Uint8Array.from([0xff, 0xff, 0x03])))).toBe("TOO_LARGE");
    expect(codeOf(() => decodePayload(Uint8Array.from([0x10]), { ...DEFAULT_CODEC_LIMITS }))).toBe("TRUNCATED");
  });
  test("lists longer than the limit", () => {
    const route = new Array(MAX_LIST_LENGTH + 1).fill("p");
    expect(codeOf(() => encodeOp({ type: "routeSwap", account: "a", route, tokenIn: "T", amountIn: 1n } as Op))).toBe("TOO_LARGE");
  });
});

describe("the encoder refuses what it cannot encode canonically", () => {
  test("unknown fields, wrong types, negative numbers, unknown types, lone surrogates, unsorted roles", () => {
    expect(codeOf(() => encodeOp({ type: "withdraw", account: "a", token: "T", amount: 1n, extra: 1 } as unknown as Op))).toBe("UNKNOWN_FIELD");
    expect(codeOf(() => encodeOp({ type: "withdraw", account: "a", token: "T", amount: 1 } as unknown as Op))).toBe("INVALID_FIELD");
    expect(codeOf(() => encodeOp({ type: "withdraw", account: "a", token: "T" } as unknown as Op))).toBe("INVALID_FIELD");
    expect(codeOf(() => encodeOp({ type: "withdraw", account: "a", token: "T", amount: -1n }))).toBe("OUT_OF_RANGE");
    expect(codeOf(() => encodeOp({ type: "cancelOrder", account: "a", market: "m", orderId: -1 }))).toBe("OUT_OF_RANGE");
    expect(codeOf(() => encodeOp({ type: "cancelOrder", account: "a", market: "m", orderId: 1.5 }))).toBe("OUT_OF_RANGE");
    expect(codeOf(() => encodeOp({ type: "nope" } as unknown as Op))).toBe("UNKNOWN_TAG");
    expect(codeOf(() => encodeOp({ type: "withdraw", account: "a\ud800", token: "T", amount: 1n }))).toBe("INVALID_UTF8");
    expect(codeOf(() => encodeOp({ type: "createAccount", account: "a", roles: ["MarketMaker", "Trader"] }))).toBe("INVALID_FIELD");
  });
  test("an optional field set to undefined is the same as absent", () => {
    expect(encodeOp({ type: "cancelOrder", account: "a", market: "m", orderId: 1, lots: undefined })).toEqual(encodeOp({ type: "cancelOrder", account: "a", market: "m", orderId: 1 }));
  });
});

describe("fuzz: the decoder never crashes", () => {
  function decodeOrCodecError(bytes: Uint8Array): void {
    try {
      const d = decodeBatch(bytes);
      // whatever decodes is canonical: it re-encodes to the same bytes
      expect(encodeBatch(d.header, d.signature, encodePayload(d.ops))).toEqual(Uint8Array.from(bytes));
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
    }
  }
  test("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => decodeOrCodecError(b)), { numRuns: 5000 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          const op = decodeOp(b);
          expect(encodeOp(op)).toEqual(Uint8Array.from(b));
        } catch (error) {
          if (!(error instanceof CodecError)) throw error;
        }
      }),
      { numRuns: 5000 },
    );
  });
  test("mutated valid encodings (byte flips, insertions, deletions)", () => {
    const base = fc.tuple(headerArb, fc.array(opArb, { minLength: 1, maxLength: 6 })).map(([h, ops]) => encodeBatch(h, new Uint8Array(65).fill(1), encodePayload(ops)));
    const mutation = fc.array(fc.tuple(fc.constantFrom("flip", "insert", "delete"), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(base, mutation, (bytes, muts) => {
        const b = [...bytes];
        for (const [kind, at, v] of muts) {
          const i = at % (b.length + 1);
          if (kind === "flip" && i < b.length) b[i] = v;
          else if (kind === "insert") b.splice(i, 0, v);
          else if (kind === "delete" && i < b.length) b.splice(i, 1);
        }
        decodeOrCodecError(Uint8Array.from(b));
      }),
      { numRuns: 3000 },
    );
  });
});
