import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { hashTypedData, recoverTypedDataAddress, type Hex as ViemHex } from "viem";
import { privateKeyToAccount, sign as viemSign } from "viem/accounts";
import { BATCH_TYPES, BatchError, batchDigest, createBatch, domainSeparator, toHex, verifyBatch, type BatchHeader } from "../src/channel/batch.js";
import { decodeBatch } from "../src/channel/codec.js";
import { IdentityError, createSigner, nativeSecp, nobleSecp, recoverAddress, secpBackend, verifySignature, type Hex, type SecpBackend } from "../src/channel/identity.js";
import { CHANNEL_ID, CONTRACT, keyOf } from "./channel.helpers.js";

const backends: SecpBackend[] = [nobleSecp, ...(nativeSecp === undefined ? [] : [nativeSecp])];
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const hex = (n: number): fc.Arbitrary<Hex> => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => ("0x" + Buffer.from(b).toString("hex")) as Hex);
const keyArb = fc.bigInt({ min: 1n, max: N - 1n }).map((k) => ("0x" + k.toString(16).padStart(64, "0")) as Hex);

test("the native binding is available on this machine and selected", () => {
  expect(nativeSecp?.name).toBe("native");
  expect(secpBackend.name).toBe("native");
});

describe.each(backends.map((b) => [b.name, b] as const))("secp256k1 backend %s", (_name, backend) => {
  test("addresses and signatures equal viem's for the same keys and digests", async () => {
    await fc.assert(
      fc.asyncProperty(keyArb, hex(32), async (key, digest) => {
        const signer = createSigner(key, backend);
        expect(signer.address).toBe(privateKeyToAccount(key).address.toLowerCase());
        const ours = signer.sign(Buffer.from(digest.slice(2), "hex"));
        const theirs = await viemSign({ hash: digest as ViemHex, privateKey: key, to: "hex" });
        expect(toHex(ours)).toBe(theirs);
        expect(recoverAddress(Buffer.from(digest.slice(2), "hex"), ours, backend)).toBe(signer.address);
      }),
      { numRuns: 60 },
    );
  });

  test("fixed vector: private key 1 is the well-known address 0x7e5f…5bdf, and both backends sign a fixed digest identically", () => {
    const signer = createSigner(keyOf(0), backend);
    expect(signer.address).toBe("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    const digest = Buffer.from("2b64c6e8b4a4a8f2bdbc19e6e1d4d8bd2a2b32a2a3c8f8d2b0dd2b7d4c9e1f00", "hex");
    const sig = signer.sign(digest);
    expect(toHex(sig)).toBe(toHex(createSigner(keyOf(0), nobleSecp).sign(digest)));
    expect(verifySignature(digest, sig, signer.address, backend)).toBe(true);
  });

  test("malformed and malleable signatures do not verify", () => {
    const signer = createSigner(keyOf(3), backend);
    const digest = new Uint8Array(32).fill(9);
    const sig = signer.sign(digest);
    expect(recoverAddress(digest, sig, backend)).toBe(signer.address);
    // high-s twin (s' = n − s, v flipped) recovers the same key in plain ECDSA: refused (EIP-2)
    const s = BigInt(toHex(sig.subarray(32, 64)));
    const twin = Uint8Array.from(sig);
    twin.set(Buffer.from((N - s).toString(16).padStart(64, "0"), "hex"), 32);
    twin[64] = sig[64] === 27 ? 28 : 27;
    expect(recoverAddress(digest, twin, backend)).toBeUndefined();
    const badV = Uint8Array.from(sig);
    badV[64] = 1;
    expect(recoverAddress(digest, badV, backend)).toBeUndefined();
    expect(recoverAddress(digest, sig.subarray(0, 64), backend)).toBeUndefined();
    expect(recoverAddress(digest, new Uint8Array(65).fill(0).map((_, i) => (i === 64 ? 27 : 0)), backend)).toBeUndefined();
    const otherDigest = new Uint8Array(32).fill(8);
    expect(verifySignature(otherDigest, sig, signer.address, backend)).toBe(false);
  });

  test("invalid private keys are refused with INVALID_KEY", () => {
    for (const key of ["0x" + "00".repeat(32), "0x" + N.toString(16), "0x1234"] as Hex[]) {
      expect(() => createSigner(key, backend)).toThrow(IdentityError);
      try {
        createSigner(key, backend);
      } catch (error) {
        expect((error as IdentityError).code).toBe("INVALID_KEY");
      }
    }
  });
});

describe("EIP-712 batch digests", () => {
  const domain = { name: "Semilattice", version: "1", chainId: 31337, verifyingContract: CONTRACT } as const;
  const headerArb: fc.Arbitrary<BatchHeader> = fc.record({
    channelId: hex(32),
    author: hex(20),
    seq: fc.maxSafeNat(),
    parents: fc.uniqueArray(hex(32), { maxLength: 5 }).map((p) => p.sort()),
    payloadDigest: hex(32),
    timestamp: fc.maxSafeNat(),
  });
  const message = (h: BatchHeader) => ({ ...h, seq: BigInt(h.seq), timestamp: BigInt(h.timestamp) });

  test("batch id = viem's hashTypedData of the header", () => {
    const sep = domainSeparator({ chainId: 31337, verifyingContract: CONTRACT });
    fc.assert(
      fc.property(headerArb, (h) => {
        const theirs = hashTypedData({ domain, types: BATCH_TYPES, primaryType: "Batch", message: message(h) });
        expect(toHex(batchDigest(sep, h))).toBe(theirs);
      }),
      { numRuns: 300 },
    );
  });

  test("createBatch signs what viem's signTypedData signs; recoverTypedDataAddress gives the author; verifyBatch accepts it", async () => {
    const key = keyOf(5);
    const signer = createSigner(key);
    const sep = domainSeparator({ chainId: 31337, verifyingContract: CONTRACT });
    const parents = [("0x" + "ff".repeat(32)) as Hex, ("0x" + "01".repeat(32)) as Hex];
    const signed = createBatch({ separator: sep, channelId: CHANNEL_ID, seq: 7, parents, timestamp: 1_700_000_000_123, ops: [{ type: "withdraw", account: signer.address, token: "USDC", amount: 5n }] }, signer);
    expect(signed.batch.header.parents).toEqual([parents[1], parents[0]]);
    const viemSig = await privateKeyToAccount(key).signTypedData({ domain, types: BATCH_TYPES, primaryType: "Batch", message: message(signed.batch.header) });
    expect(toHex(signed.batch.signature)).toBe(viemSig);
    expect((await recoverTypedDataAddress({ domain, types: BATCH_TYPES, primaryType: "Batch", message: message(signed.batch.header), signature: viemSig })).toLowerCase()).toBe(signer.address);
    const d = decodeBatch(signed.bytes);
    expect(verifyBatch(sep, CHANNEL_ID, d.header, d.signature, d.payload)).toBe(signed.id);
  });

  test("verifyBatch refuses a wrong channel, a wrong payload digest and a signature by someone else", () => {
    const sep = domainSeparator({ chainId: 31337, verifyingContract: CONTRACT });
    const signer = createSigner(keyOf(1));
    const signed = createBatch({ separator: sep, channelId: CHANNEL_ID, seq: 1, parents: [], timestamp: 1, ops: [] }, signer);
    const d = decodeBatch(signed.bytes);
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
        return "none";
      } catch (error) {
        return (error as BatchError).code;
      }
    };
    expect(codeOf(() => verifyBatch(sep, ("0x" + "00".repeat(32)) as Hex, d.header, d.signature, d.payload))).toBe("WRONG_CHANNEL");
    expect(codeOf(() => verifyBatch(sep, CHANNEL_ID, d.header, d.signature, Uint8Array.from([1, 0])))).toBe("BAD_PAYLOAD_DIGEST");
    expect(codeOf(() => verifyBatch(sep, CHANNEL_ID, { ...d.header, author: createSigner(keyOf(2)).address }, d.signature, d.payload))).toBe("BAD_SIGNATURE");
    const otherDomain = domainSeparator({ chainId: 1, verifyingContract: CONTRACT });
    expect(codeOf(() => verifyBatch(otherDomain, CHANNEL_ID, d.header, d.signature, d.payload))).toBe("BAD_SIGNATURE");
  });
});
