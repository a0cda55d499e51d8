/**
 * Signature recovery off the main thread: a fixed pool of worker_threads that recover the signer
 * address of many (digest, signature) pairs in parallel.
 *
 * Why it exists (measured by bench/channel-sig.ts): a replica
 * verifies one signature per batch, and a sync burst delivers many batches at once; on the main
 * thread those recoveries are serial (~60 µs each with native libsecp256k1), while a pool of 2
 * workers on a 2-core machine verified 64–1000 signatures 1.2–1.8× faster even with the cores
 * shared with other processes. For a single batch the round trip to a worker costs more than the
 * recovery, so `Replica.receiveMany` uses the pool only for bursts (≥ `minBatch` signatures).
 *
 * Workers run CommonJS source evaluated from a string (so the same code works from TypeScript
 * sources under vitest and from the compiled dist/), load the native `secp256k1` binding when it is
 * available and `@noble/curves` otherwise, and hash with `@noble/hashes` keccak — the same
 * computation as `identity.ts`'s `recoverAddress`. Shape checks (length, v ∈ {27, 28}, 0 < r < n,
 * 0 < s ≤ n/2) happen on the main thread first ({@link signatureShapeOk}).
 *
 * Messages: one transferred buffer per worker per call, 97 bytes per item (digest ‖ r ‖ s ‖ v); the
 * answer is 21 bytes per item (1 = recovered, then the 20-byte address). Limits: at most
 * {@link MAX_POOL_SIZE} workers and {@link MAX_ITEMS_PER_CALL} items per call.
 */
import { SemilatticeError } from "../core/errors.js";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { signatureShapeOk, type Hex } from "./identity.js";

export const MAX_POOL_SIZE = 16;
export const MAX_ITEMS_PER_CALL = 65536;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createRequire } = require("node:module");
const req = createRequire(workerData.base);
const createKeccakHash = req("keccak");
const keccak_256 = (b) => createKeccakHash("keccak256").update(Buffer.from(b.buffer, b.byteOffset, b.byteLength)).digest();
let recover;
try {
  const secp = req("secp256k1");
  recover = (sig, recid, digest) => secp.ecdsaRecover(sig, recid, digest, false);
} catch {
  const { secp256k1 } = req("@noble/curves/secp256k1.js");
  recover = (sig, recid, digest) => {
    const full = new Uint8Array(65);
    full[0] = recid;
    full.set(sig, 1);
    return secp256k1.Point.fromBytes(secp256k1.recoverPublicKey(full, digest, { prehash: false })).toBytes(false);
  };
}
parentPort.on("message", (buf) => {
  const bytes = new Uint8Array(buf);
  const n = bytes.length / 97;
  const out = new Uint8Array(n * 21);
  for (let i = 0; i < n; i++) {
    const o = i * 97;
    try {
      const pub = recover(bytes.subarray(o + 32, o + 96), bytes[o + 96] - 27, bytes.subarray(o, o + 32));
      out[i * 21] = 1;
      out.set(keccak_256(pub.subarray(1, 65)).subarray(12), i * 21 + 1);
    } catch {
      out[i * 21] = 0;
    }
  }
  parentPort.postMessage(out.buffer, [out.buffer]);
});
`;

export interface VerifyItem {
  /** 32 bytes. */
  digest: Uint8Array;
  /** 65 bytes r ‖ s ‖ v. */
  signature: Uint8Array;
}

export class VerifyPool {
  private readonly workers: Worker[];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `size` workers, 1..{@link MAX_POOL_SIZE}. Throws RangeError otherwise. */
  constructor(readonly size = 2) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_POOL_SIZE) throw new SemilatticeError("INVALID_CONFIG", `pool size must be 1..${MAX_POOL_SIZE}`);
    const base = createRequire(import.meta.url).resolve("@noble/hashes/sha3.js");
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { base } });
      w.unref();
      return w;
    });
  }

  /**
   * The signer address of each item (lower-case), or undefined where the signature is malformed,
   * high-s or does not recover — exactly what `recoverAddress` returns. Calls are serialised.
   */
  recover(items: readonly VerifyItem[]): Promise<(Hex | undefined)[]> {
    if (this.closed) return Promise.reject(new Error("VerifyPool is closed"));
    if (items.length > MAX_ITEMS_PER_CALL) return Promise.reject(new RangeError(`at most ${MAX_ITEMS_PER_CALL} items per call`));
    const run = this.queue.then(() => this.run(items));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(items: readonly VerifyItem[]): Promise<(Hex | undefined)[]> {
    const out = new Array<Hex | undefined>(items.length).fill(undefined);
    const idx: number[] = [];
    items.forEach((it, i) => {
      if (it.digest.length === 32 && signatureShapeOk(it.signature)) idx.push(i);
    });
    const per = Math.ceil(idx.length / this.workers.length);
    await Promise.all(
      this.workers.map((w, wi) => {
        const mine = idx.slice(wi * per, (wi + 1) * per);
        if (mine.length === 0) return Promise.resolve();
        const buf = new Uint8Array(mine.length * 97);
        mine.forEach((i, k) => {
          buf.set(items[i]!.digest, k * 97);
          buf.set(items[i]!.signature, k * 97 + 32);
        });
        return new Promise<void>((resolve, reject) => {
          const onError = (e: Error): void => reject(e);
          w.once("error", onError);
          w.once("message", (answer: ArrayBuffer) => {
            w.off("error", onError);
            const a = new Uint8Array(answer);
            mine.forEach((i, k) => {
              if (a[k * 21] === 1) out[i] = ("0x" + Buffer.from(a.subarray(k * 21 + 1, k * 21 + 21)).toString("hex")) as Hex;
            });
            resolve();
          });
          w.ref();
          w.postMessage(buf.buffer, [buf.buffer]);
        }).finally(() => w.unref());
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
