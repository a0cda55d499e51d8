/**
 * CPU cost of sealing, measured: what the sealed path adds to a batch over the unsealed one.
 * Used by `npm run bench -- --only seal` and by `semilattice mev` (same run as the replay).
 *
 * - unsealed path (per batch): `encodePayload(ops)` + SHA-256 of the payload (the header's
 *   payloadDigest), what an author does today;
 * - sealed path (per batch): the same encoding, then the author's {@link seal}, one recipient's
 *   {@link checkOwnShare} (its acknowledgement check) and {@link revealShare}, one replica's
 *   {@link verifyRevealedShare} of t reveals and {@link open} — the author's work plus one
 *   replica's, on one core.
 * Wall-clock µs of the best of several rounds (least disturbed by the machine's other load);
 * numbers, never asserted by tests.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import type { Op } from "../../core/ops.js";
import { encodePayload } from "../codec.js";
import { addressOfPublicKey } from "../identity.js";
import { SealingError } from "./errors.js";
import { open } from "./open.js";
import { seal, type SealRecipient } from "./seal.js";
import { checkOwnShare, revealShare, verifyRevealedShare, type VerifiedShare } from "./share.js";
import { sealingThreshold } from "./threshold.js";

export interface SealingCost {
  participants: number;
  threshold: number;
  batches: number;
  opsPerBatch: number;
  /** Mean encoded payload bytes per batch. */
  payloadBytes: number;
  /** encode + SHA-256, µs per batch. */
  unsealedMicrosPerBatch: number;
  /** encode + seal + check own share + reveal + verify t reveals + open, µs per batch. */
  sealedMicrosPerBatch: number;
  /** Parts of the sealed path, µs per batch. */
  parts: { encode: number; seal: number; checkOwnShare: number; reveal: number; verifyReveals: number; open: number };
  unsealedMicrosPerOp: number;
  sealedMicrosPerOp: number;
  /** sealedMicrosPerBatch / unsealedMicrosPerBatch. */
  ratio: number;
}

export interface MeasureSealingCostParameters {
  /** Batches of real ops (all of one size, e.g. 300); at most 64 batches are used. */
  batches: readonly (readonly Op[])[];
  /** Participants n (default 4); t = n − f. */
  participants?: number;
  /** Timed rounds over all batches (default 5); the best round is reported. */
  rounds?: number;
}

/** Measures {@link SealingCost} (module doc). Throws SealingError INVALID_SEAL_PARAMETERS on no batches. */
export async function measureSealingCost(parameters: MeasureSealingCostParameters): Promise<SealingCost> {
  const batches = parameters.batches.slice(0, 64);
  if (batches.length === 0) throw new SealingError("INVALID_SEAL_PARAMETERS", "no batches to measure");
  const n = parameters.participants ?? 4;
  const rounds = Math.max(1, Math.min(parameters.rounds ?? 5, 50));
  const t = sealingThreshold(n);
  const keys = Array.from({ length: n }, (_, i) => sha256(utf8ToBytes(`semilattice/seal/cost/${i}`)));
  const recipients: SealRecipient[] = keys.map((k) => {
    const publicKey = secp256k1.getPublicKey(k, false);
    return { address: addressOfPublicKey(publicKey), publicKey };
  });
  const associatedData = utf8ToBytes("semilattice/seal/cost");

  const best = { unsealed: Infinity, encode: Infinity, seal: Infinity, checkOwnShare: Infinity, reveal: Infinity, verifyReveals: Infinity, open: Infinity };
  let payloadBytes = 0;
  for (let round = 0; round < rounds + 1; round++) {
    const sum = { unsealed: 0, encode: 0, seal: 0, checkOwnShare: 0, reveal: 0, verifyReveals: 0, open: 0 };
    let bytes = 0;
    for (const ops of batches) {
      let at = performance.now();
      const digest = sha256(encodePayload(ops));
      sum.unsealed += performance.now() - at;
      if (digest.length !== 32) throw new SealingError("INVALID_SEAL_PARAMETERS", "sha256 broke");

      at = performance.now();
      const payload = encodePayload(ops);
      sum.encode += performance.now() - at;
      bytes += payload.length;
      at = performance.now();
      const sealed = await seal({ payload, recipients, associatedData });
      sum.seal += performance.now() - at;
      // recipient 0's acknowledgement check and reveal; the others' reveals are made untimed
      at = performance.now();
      checkOwnShare({ commitment: sealed.commitment, sealedShare: sealed.shares[0]!, secretKey: keys[0]! });
      sum.checkOwnShare += performance.now() - at;
      at = performance.now();
      const reveals = [revealShare({ commitment: sealed.commitment, sealedShare: sealed.shares[0]!, secretKey: keys[0]! })];
      sum.reveal += performance.now() - at;
      for (let i = 1; i < t; i++) reveals.push(revealShare({ commitment: sealed.commitment, sealedShare: sealed.shares[i]!, secretKey: keys[i]! }));
      at = performance.now();
      const verified: VerifiedShare[] = reveals.map((reveal) =>
        verifyRevealedShare({ commitment: sealed.commitment, sealedShare: sealed.shares[reveal.index]!, recipientPublicKey: recipients[reveal.index]!.publicKey, reveal }),
      );
      sum.verifyReveals += performance.now() - at;
      at = performance.now();
      const opened = await open({ sealed, shares: verified });
      sum.open += performance.now() - at;
      if (opened.status !== "opened" || opened.payload.length !== payload.length) throw new SealingError("INVALID_SEAL_PARAMETERS", "a measured batch did not open");
    }
    payloadBytes = bytes / batches.length;
    if (round === 0) continue; // warm-up
    for (const k of Object.keys(best) as (keyof typeof best)[]) best[k] = Math.min(best[k], sum[k]);
  }
  const per = (ms: number): number => Math.round((ms * 1000 * 100) / batches.length) / 100;
  const parts = { encode: per(best.encode), seal: per(best.seal), checkOwnShare: per(best.checkOwnShare), reveal: per(best.reveal), verifyReveals: per(best.verifyReveals), open: per(best.open) };
  const sealedMicros = Math.round((parts.encode + parts.seal + parts.checkOwnShare + parts.reveal + parts.verifyReveals + parts.open) * 100) / 100;
  const unsealedMicros = per(best.unsealed);
  const opsPerBatch = Math.round(batches.reduce((a, b) => a + b.length, 0) / batches.length);
  return {
    participants: n,
    threshold: t,
    batches: batches.length,
    opsPerBatch,
    payloadBytes: Math.round(payloadBytes),
    unsealedMicrosPerBatch: unsealedMicros,
    sealedMicrosPerBatch: sealedMicros,
    parts,
    unsealedMicrosPerOp: Math.round((unsealedMicros / opsPerBatch) * 1000) / 1000,
    sealedMicrosPerOp: Math.round((sealedMicros / opsPerBatch) * 1000) / 1000,
    ratio: Math.round((sealedMicros / unsealedMicros) * 100) / 100,
  };
}
