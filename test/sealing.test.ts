/**
 * The sealing scheme (src/channel/sealing, docs/sealing.md): seal → check own share → reveal →
 * verify reveal → choose t → open; every refusal with its stable code.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { combine, split } from "shamir-secret-sharing";
import { describe, expect, it } from "vitest";
import { SemilatticeError } from "../src/core/errors.js";
import { addressOfPublicKey } from "../src/channel/identity.js";
import {
  blameShare,
  checkOwnShare,
  chooseShares,
  faultTolerance,
  open,
  revealShare,
  seal,
  sealCommitmentDigest,
  SealingError,
  sealingThreshold,
  tooManyBogusShares,
  verifyRevealedShare,
  type SealedPayload,
  type SealRecipient,
  type VerifiedShare,
} from "../src/channel/sealing/index.js";
import { encryptShare, ephemeralKeyPair, shareContext } from "../src/channel/sealing/ecies.js";
import { shareLeaf, sharesMerkleProof, sharesMerkleRoot, verifySharesMerkleProof } from "../src/channel/sealing/merkle.js";
import { commitKey, digestCiphertext, SEAL_VERSION } from "../src/channel/sealing/seal.js";

interface Party {
  secretKey: Uint8Array;
  recipient: SealRecipient;
}

function parties(n: number, salt = "p"): Party[] {
  return Array.from({ length: n }, (_, i) => {
    const secretKey = sha256(utf8ToBytes(`sealing-test/${salt}/${i}`));
    const publicKey = secp256k1.getPublicKey(secretKey, false);
    return { secretKey, recipient: { address: addressOfPublicKey(publicKey), publicKey } };
  });
}

const AD = utf8ToBytes("channel-1|0xauthor|seq=7");

/** Every participant checks its share and reveals; everybody verifies every reveal. */
function revealAll(sealed: SealedPayload, ps: readonly Party[]): VerifiedShare[] {
  return ps.map((p, i) => {
    const sealedShare = sealed.shares[i]!;
    const own = checkOwnShare({ commitment: sealed.commitment, sealedShare, secretKey: p.secretKey });
    const reveal = revealShare({ commitment: sealed.commitment, sealedShare, secretKey: p.secretKey });
    const verified = verifyRevealedShare({ commitment: sealed.commitment, sealedShare, recipientPublicKey: p.recipient.publicKey, reveal });
    expect(verified.share).toEqual(own.share);
    return verified;
  });
}

function expectCode(f: () => unknown, code: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SealingError);
  expect(caught).toBeInstanceOf(SemilatticeError);
  expect((caught as SealingError).code).toBe(code);
}

async function expectCodeAsync(f: () => Promise<unknown>, code: string): Promise<void> {
  const e = await f().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SealingError);
  expect((e as SealingError).code).toBe(code);
}

/**
 * An author that builds a sealed payload by hand from the scheme's parts, so it can cheat:
 * `ciphertext` replaces the honest one, `shareKey` is the key shared instead of the payload key,
 * `bogus` indices get garbage instead of an encrypted share.
 */
async function craft(
  ps: readonly Party[],
  payload: Uint8Array,
  cheat: { ciphertext?: Uint8Array; shareKey?: Uint8Array; bogus?: number[]; wrongKeyCheck?: number[]; duplicateShareAt?: number },
): Promise<SealedPayload> {
  const n = ps.length;
  const t = sealingThreshold(n);
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const ciphertext = cheat.ciphertext ?? gcm(key, nonce, AD).encrypt(payload);
  const ciphertextDigest = digestCiphertext(AD, nonce, ciphertext);
  const shares = await split(cheat.shareKey ?? key, n, t);
  if (cheat.duplicateShareAt !== undefined) shares[cheat.duplicateShareAt] = shares[0]!;
  const ephemeral = ephemeralKeyPair();
  const encrypted = shares.map((s, i) => encryptShare(cheat.bogus?.includes(i) === true ? randomBytes(20) : s, secp256k1.getPublicKey(ps[i]!.secretKey, true), shareContext(ciphertextDigest, i), ephemeral));
  for (const i of cheat.wrongKeyCheck ?? []) encrypted[i]!.set(randomBytes(32), 33);
  const leaves = encrypted.map((e, i) => shareLeaf(i, e));
  return {
    commitment: { version: SEAL_VERSION, recipientCount: n, threshold: t, ciphertextDigest, sharesRoot: sharesMerkleRoot(leaves), keyCommitment: commitKey(key) },
    associatedData: AD,
    nonce,
    ciphertext,
    shares: encrypted.map((encryptedShare, index) => ({ index, address: ps[index]!.recipient.address, encryptedShare, proof: sharesMerkleProof(leaves, index) })),
  };
}

describe("threshold t = n − f", () => {
  it("gives f = ⌊(n−1)/3⌋ and t = n − f", () => {
    expect([4, 5, 7, 10, 13, 16].map((n) => [faultTolerance(n), sealingThreshold(n)])).toEqual([
      [1, 3],
      [1, 4],
      [2, 5],
      [3, 7],
      [4, 9],
      [5, 11],
    ]);
  });

  it("refuses a threshold a coalition of f could reach, or that f withholders could block", async () => {
    const ps = parties(7).map((p) => p.recipient);
    await expectCodeAsync(() => seal({ payload: new Uint8Array(3), recipients: ps, threshold: 2 }), "INVALID_SEAL_PARAMETERS");
    await expectCodeAsync(() => seal({ payload: new Uint8Array(3), recipients: ps, threshold: 6 }), "INVALID_SEAL_PARAMETERS");
    await expectCodeAsync(() => seal({ payload: new Uint8Array(3), recipients: ps.slice(0, 1) }), "INVALID_SEAL_PARAMETERS");
  });
});

describe("seal and open", () => {
  it("any t of n reveals open the payload; the same reveals give the same result in any order (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 4, max: 16 }),
        fc.uint8Array({ minLength: 0, maxLength: 4096 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 1 << 30 })),
        async (n, payload, stream) => {
          const ps = parties(n);
          const t = sealingThreshold(n);
          const sealed = await seal({ payload, recipients: ps.map((p) => p.recipient), associatedData: AD });
          expect(sealed.commitment.threshold).toBe(t);
          const all = revealAll(sealed, ps);
          // a random subset of size t..n (the others withhold), in a random order
          const rnd = stream[Symbol.iterator]();
          const next = () => rnd.next().value as number;
          const shuffled = all.map((v) => [next(), v] as const).sort((a, b) => a[0] - b[0]).map(([, v]) => v);
          const size = t + (next() % (n - t + 1));
          const subset = shuffled.slice(0, size);
          const a = await open({ sealed, shares: subset });
          const b = await open({ sealed, shares: subset.slice().reverse() });
          expect(a).toEqual(b);
          expect(a.status).toBe("opened");
          if (a.status === "opened") expect(a.payload).toEqual(payload);
          expect(a.sharesUsed).toEqual(subset.map((s) => s.index).sort((x, y) => x - y).slice(0, t));
        },
      ),
      { numRuns: 12 },
    );
  });

  it("a coalition of f (or even t − 1) shares cannot reconstruct the key (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 4, max: 16 }), fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.integer({ min: 0, max: 1000 }), async (n, payload, offset) => {
        const ps = parties(n, "coalition");
        const t = sealingThreshold(n);
        const f = faultTolerance(n);
        const sealed = await seal({ payload, recipients: ps.map((p) => p.recipient), associatedData: AD });
        const shares = ps.map((p, i) => checkOwnShare({ commitment: sealed.commitment, sealedShare: sealed.shares[i]!, secretKey: p.secretKey }));
        const rotated = shares.slice(offset % n).concat(shares.slice(0, offset % n));
        // open refuses fewer than t shares: nothing to decide yet
        await expectCodeAsync(() => open({ sealed, shares: rotated.slice(0, f) }), "NOT_ENOUGH_SHARES");
        await expectCodeAsync(() => open({ sealed, shares: rotated.slice(0, t - 1) }), "NOT_ENOUGH_SHARES");
        // and interpolating them anyway gives a wrong key, under which the ciphertext does not authenticate
        for (const k of [f, t - 1]) {
          if (k < 2) continue; // Shamir's combine needs two shares; one share is one random byte string
          const guess = await combine(rotated.slice(0, k).map((s) => s.share));
          expect(commitKey(guess)).not.toEqual(sealed.commitment.keyCommitment);
          expect(() => gcm(guess, sealed.nonce, sealed.associatedData).decrypt(sealed.ciphertext)).toThrow();
        }
      }),
      { numRuns: 10 },
    );
  });

  it("binds the ciphertext to its associated data, and the header commits to every part", async () => {
    const ps = parties(4);
    const sealed = await seal({ payload: utf8ToBytes("swap 1 ETH"), recipients: ps.map((p) => p.recipient), associatedData: AD });
    const shares = revealAll(sealed, ps);
    await expectCodeAsync(() => open({ sealed: { ...sealed, associatedData: utf8ToBytes("channel-1|0xother|seq=7") }, shares }), "CIPHERTEXT_MISMATCH");
    const d = sealCommitmentDigest(sealed.commitment);
    expect(d).toHaveLength(32);
    expect(sealCommitmentDigest({ ...sealed.commitment, threshold: 2 })).not.toEqual(d);
    expect(sealCommitmentDigest({ ...sealed.commitment, sharesRoot: new Uint8Array(32) })).not.toEqual(d);
  });
});

describe("refusals, each with its code", () => {
  it("tampered ciphertext: in transit CIPHERTEXT_MISMATCH; committed by the author UNDECRYPTABLE", async () => {
    const ps = parties(4);
    const sealed = await seal({ payload: utf8ToBytes("a large swap"), recipients: ps.map((p) => p.recipient), associatedData: AD });
    const shares = revealAll(sealed, ps);
    const flipped = sealed.ciphertext.slice();
    flipped[0] = flipped[0]! ^ 1;
    await expectCodeAsync(() => open({ sealed: { ...sealed, ciphertext: flipped }, shares }), "CIPHERTEXT_MISMATCH");

    const bad = await craft(ps, utf8ToBytes("a large swap"), { ciphertext: randomBytes(40) });
    const r = await open({ sealed: bad, shares: revealAll(bad, ps) });
    expect(r).toMatchObject({ status: "rejected", code: "UNDECRYPTABLE", reason: "CIPHERTEXT_NOT_AUTHENTIC", sharesUsed: [0, 1, 2] });
  });

  it("shares of another key than the committed one: UNDECRYPTABLE KEY_MISMATCH on every replica", async () => {
    const ps = parties(7);
    const bad = await craft(ps, utf8ToBytes("x"), { shareKey: randomBytes(32) });
    const shares = revealAll(bad, ps);
    const a = await open({ sealed: bad, shares });
    const b = await open({ sealed: bad, shares: shares.slice().reverse() });
    expect(a).toMatchObject({ status: "rejected", code: "UNDECRYPTABLE", reason: "KEY_MISMATCH", sharesUsed: [0, 1, 2, 3, 4] });
    expect(b).toEqual(a);
  });

  it("two participants given the same share: UNDECRYPTABLE SHARES_INCONSISTENT when both are chosen", async () => {
    const ps = parties(4);
    const bad = await craft(ps, utf8ToBytes("x"), { duplicateShareAt: 1 });
    const r = await open({ sealed: bad, shares: revealAll(bad, ps) });
    expect(r).toMatchObject({ status: "rejected", code: "UNDECRYPTABLE", reason: "SHARES_INCONSISTENT" });
  });

  it("bogus share: its recipient refuses to acknowledge (BOGUS_SHARE), its reveal is public evidence, the others still open", async () => {
    const ps = parties(4);
    const payload = utf8ToBytes("victim swap");
    const bad = await craft(ps, payload, { bogus: [2] });
    expectCode(() => checkOwnShare({ commitment: bad.commitment, sealedShare: bad.shares[2]!, secretKey: ps[2]!.secretKey }), "BOGUS_SHARE");
    const reveal = revealShare({ commitment: bad.commitment, sealedShare: bad.shares[2]!, secretKey: ps[2]!.secretKey });
    expect(reveal.kind).toBe("blame");
    expectCode(() => verifyRevealedShare({ commitment: bad.commitment, sealedShare: bad.shares[2]!, recipientPublicKey: ps[2]!.recipient.publicKey, reveal }), "BOGUS_SHARE");
    const good = [0, 1, 3].map((i) =>
      verifyRevealedShare({ commitment: bad.commitment, sealedShare: bad.shares[i]!, recipientPublicKey: ps[i]!.recipient.publicKey, reveal: revealShare({ commitment: bad.commitment, sealedShare: bad.shares[i]!, secretKey: ps[i]!.secretKey }) }),
    );
    const r = await open({ sealed: bad, shares: good });
    expect(r).toMatchObject({ status: "opened", payload, sharesUsed: [0, 1, 3] });
    expect(tooManyBogusShares(1, 4, 3)).toBe(false);
    expect(tooManyBogusShares(2, 4, 3)).toBe(true);
  });

  it("wrong root: a share not under the committed root, or presented at another index, is WRONG_SHARES_ROOT", async () => {
    const ps = parties(5);
    const sealed = await seal({ payload: utf8ToBytes("x"), recipients: ps.map((p) => p.recipient), associatedData: AD });
    const wrongRoot = { ...sealed.commitment, sharesRoot: sha256(utf8ToBytes("other")) };
    expectCode(() => checkOwnShare({ commitment: wrongRoot, sealedShare: sealed.shares[1]!, secretKey: ps[1]!.secretKey }), "WRONG_SHARES_ROOT");
    const moved = { ...sealed.shares[1]!, proof: sealed.shares[0]!.proof };
    expectCode(() => checkOwnShare({ commitment: sealed.commitment, sealedShare: moved, secretKey: ps[1]!.secretKey }), "WRONG_SHARES_ROOT");
    const altered = { ...sealed.shares[1]!, encryptedShare: sealed.shares[1]!.encryptedShare.slice() };
    altered.encryptedShare[40] = altered.encryptedShare[40]! ^ 0x80;
    expectCode(() => checkOwnShare({ commitment: sealed.commitment, sealedShare: altered, secretKey: ps[1]!.secretKey }), "WRONG_SHARES_ROOT");
    // a share checked with somebody else's key
    expectCode(() => checkOwnShare({ commitment: sealed.commitment, sealedShare: sealed.shares[1]!, secretKey: ps[2]!.secretKey }), "INVALID_SEAL_PARAMETERS");
  });

  it("replayed share: another batch's reveal is SHARE_REPLAYED, and with its digest rewritten INVALID_REVEAL", async () => {
    const ps = parties(4);
    const recipients = ps.map((p) => p.recipient);
    const batchA = await seal({ payload: utf8ToBytes("a"), recipients, associatedData: AD });
    const batchB = await seal({ payload: utf8ToBytes("b"), recipients, associatedData: AD });
    const revealA = revealShare({ commitment: batchA.commitment, sealedShare: batchA.shares[0]!, secretKey: ps[0]!.secretKey });
    const onB = { commitment: batchB.commitment, sealedShare: batchB.shares[0]!, recipientPublicKey: ps[0]!.recipient.publicKey };
    expectCode(() => verifyRevealedShare({ ...onB, reveal: revealA }), "SHARE_REPLAYED");
    expectCode(() => verifyRevealedShare({ ...onB, reveal: { ...revealA, ciphertextDigest: batchB.commitment.ciphertextDigest } }), "INVALID_REVEAL");
  });

  it("invalid reveal: a wrong share key, a blame of a good share or a forged blame is INVALID_REVEAL", async () => {
    const ps = parties(4);
    const sealed = await seal({ payload: utf8ToBytes("x"), recipients: ps.map((p) => p.recipient), associatedData: AD });
    const base = { commitment: sealed.commitment, sealedShare: sealed.shares[1]!, recipientPublicKey: ps[1]!.recipient.publicKey };
    const reveal = revealShare({ commitment: sealed.commitment, sealedShare: sealed.shares[1]!, secretKey: ps[1]!.secretKey });
    expect(reveal.kind).toBe("key");
    if (reveal.kind !== "key") return;
    expect(verifyRevealedShare({ ...base, reveal }).index).toBe(1);
    const shareKey = reveal.shareKey.slice();
    shareKey[0] = shareKey[0]! ^ 1;
    expectCode(() => verifyRevealedShare({ ...base, reveal: { ...reveal, shareKey } }), "INVALID_REVEAL");
    // participant 0's key presented as participant 1's
    const other = revealShare({ commitment: sealed.commitment, sealedShare: sealed.shares[0]!, secretKey: ps[0]!.secretKey });
    expectCode(() => verifyRevealedShare({ ...base, reveal: { ...other, index: 1 } }), "INVALID_REVEAL");
    expectCode(() => verifyRevealedShare({ ...base, reveal: { ...reveal, index: 2 } }), "INVALID_SEAL_PARAMETERS");
    // a blame against a good share is refused, whether its proof is valid or forged
    const blame = blameShare({ commitment: sealed.commitment, sealedShare: sealed.shares[1]!, secretKey: ps[1]!.secretKey });
    expectCode(() => verifyRevealedShare({ ...base, reveal: blame }), "INVALID_REVEAL");
    if (blame.kind !== "blame") throw new Error("expected a blame");
    const proof = blame.proof.slice();
    proof[63] = proof[63]! ^ 1;
    expectCode(() => verifyRevealedShare({ ...base, reveal: { ...blame, proof } }), "INVALID_REVEAL");
    expectCode(() => verifyRevealedShare({ ...base, reveal: { ...blame, sharedPoint: new Uint8Array(33) } }), "INVALID_REVEAL");
    // participant 2 cannot reveal participant 1's share
    expectCode(() => revealShare({ commitment: sealed.commitment, sealedShare: sealed.shares[1]!, secretKey: ps[2]!.secretKey }), "INVALID_SEAL_PARAMETERS");
  });

  it("a forged blame against a bogus share (wrong shared point, tampered proof) is INVALID_REVEAL; the true one is BOGUS_SHARE", async () => {
    const ps = parties(4);
    const bad = await craft(ps, utf8ToBytes("x"), { wrongKeyCheck: [3] });
    const base = { commitment: bad.commitment, sealedShare: bad.shares[3]!, recipientPublicKey: ps[3]!.recipient.publicKey };
    expectCode(() => checkOwnShare({ commitment: bad.commitment, sealedShare: bad.shares[3]!, secretKey: ps[3]!.secretKey }), "BOGUS_SHARE");
    const blame = revealShare({ commitment: bad.commitment, sealedShare: bad.shares[3]!, secretKey: ps[3]!.secretKey });
    if (blame.kind !== "blame") throw new Error("a bogus share is revealed as a blame");
    expectCode(() => verifyRevealedShare({ ...base, reveal: blame }), "BOGUS_SHARE");
    expectCode(() => verifyRevealedShare({ ...base, reveal: { ...blame, sharedPoint: secp256k1.getPublicKey(ps[0]!.secretKey, true) } }), "INVALID_REVEAL");
    const proof = blame.proof.slice();
    proof[5] = proof[5]! ^ 1;
    expectCode(() => verifyRevealedShare({ ...base, reveal: { ...blame, proof } }), "INVALID_REVEAL");
  });

  it("bad parameters and limits", async () => {
    const ps = parties(4);
    const recipients = ps.map((p) => p.recipient);
    await expectCodeAsync(() => seal({ payload: new Uint8Array((1 << 20) + 1), recipients }), "SEAL_TOO_LARGE");
    await expectCodeAsync(() => seal({ payload: new Uint8Array(1), recipients, associatedData: new Uint8Array(257) }), "SEAL_TOO_LARGE");
    await expectCodeAsync(() => seal({ payload: new Uint8Array(1), recipients: [...recipients.slice(0, 3), recipients[0]!] }), "INVALID_SEAL_PARAMETERS");
    await expectCodeAsync(() => seal({ payload: new Uint8Array(1), recipients: [{ ...recipients[0]!, address: recipients[1]!.address }, ...recipients.slice(1)] }), "INVALID_SEAL_PARAMETERS");
    await expectCodeAsync(() => seal({ payload: new Uint8Array(1), recipients: [{ ...recipients[0]!, publicKey: new Uint8Array(33) }, ...recipients.slice(1)] }), "INVALID_SEAL_PARAMETERS");
    const sealed = await seal({ payload: new Uint8Array(1), recipients });
    await expectCodeAsync(() => open({ sealed, shares: [{ index: 9, share: new Uint8Array(33) }] }), "INVALID_SEAL_PARAMETERS");
  });
});

describe("choice of shares and the shares tree", () => {
  it("chooses the t smallest distinct indices, or none while fewer than t", () => {
    const v = (index: number): VerifiedShare => ({ index, share: new Uint8Array([index]) });
    expect(chooseShares([v(5), v(1), v(3), v(1), v(0)], 3)?.map((s) => s.index)).toEqual([0, 1, 3]);
    expect(chooseShares([v(5), v(5), v(3)], 3)).toBeUndefined();
  });

  it("every leaf's proof verifies at its index only, for 1..20 leaves", () => {
    for (let n = 1; n <= 20; n++) {
      const leaves = Array.from({ length: n }, (_, i) => shareLeaf(i, new Uint8Array([i, 7])));
      const root = sharesMerkleRoot(leaves);
      for (let i = 0; i < n; i++) {
        const proof = sharesMerkleProof(leaves, i);
        expect(verifySharesMerkleProof(root, n, i, leaves[i]!, proof)).toBe(true);
        if (n > 1) expect(verifySharesMerkleProof(root, n, (i + 1) % n, leaves[i]!, proof)).toBe(false);
        expect(verifySharesMerkleProof(root, n + 1, i, leaves[i]!, proof.concat([new Uint8Array(32)]))).toBe(n + 1 === 1);
      }
    }
  });
});
