/**
 * Signature verification rates for the channel (issue 3 §10): native secp256k1 (libsecp256k1 via the
 * `secp256k1` package) vs pure JS (@noble/curves), both doing what a replica does per batch —
 * recover the signer's address from a 65-byte signature over a 32-byte digest (`recoverAddress`).
 *
 * And whether verifying off the main thread pays: a batch of N signatures verified on the main
 * thread vs spread over a pool of worker_threads (each worker recovers with the native binding;
 * digests and signatures are sent in one transferred buffer per worker, addresses come back). The
 * pool's row is its rate on the same N, so ratio > 1 means the pool pays.
 */
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { createSigner, nativeSecp, nobleSecp, recoverAddress, type SecpBackend } from "../src/channel/identity.js";
import { measure, row, type BenchRow } from "./support.js";

interface Sample {
  digests: Uint8Array[];
  sigs: Uint8Array[];
  addresses: string[];
}

function samples(n: number): Sample {
  const out: Sample = { digests: [], sigs: [], addresses: [] };
  const signers = Array.from({ length: 16 }, (_, i) => createSigner(("0x" + (i + 101).toString(16).padStart(64, "0")) as `0x${string}`));
  for (let i = 0; i < n; i++) {
    const d = new Uint8Array(32);
    for (let k = 0; k < 32; k++) d[k] = (i * 31 + k * 7) & 0xff;
    const s = signers[i % signers.length]!;
    out.digests.push(d);
    out.sigs.push(s.sign(d));
    out.addresses.push(s.address);
  }
  return out;
}

function verifyAll(s: Sample, backend: SecpBackend, from = 0, to = s.sigs.length): void {
  for (let i = from; i < to; i++) {
    if (recoverAddress(s.digests[i]!, s.sigs[i]!, backend) !== s.addresses[i]) throw new Error(`signature ${i} did not verify`);
  }
}

// Worker: recovers with the native binding (CommonJS eval, resolved from the project's node_modules).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createRequire } = require("node:module");
const req = createRequire(workerData.base);
const secp = req("secp256k1");
const { keccak_256 } = req("@noble/hashes/sha3.js");
parentPort.on("message", (buf) => {
  const bytes = new Uint8Array(buf);
  const n = bytes.length / 97;
  const out = new Uint8Array(n * 20);
  for (let i = 0; i < n; i++) {
    const o = i * 97;
    const digest = bytes.subarray(o, o + 32);
    const sig = bytes.subarray(o + 32, o + 96);
    const v = bytes[o + 96];
    const pub = secp.ecdsaRecover(sig, v - 27, digest, false);
    out.set(keccak_256(pub.subarray(1)).subarray(12), i * 20);
  }
  parentPort.postMessage(out.buffer, [out.buffer]);
});
`;

/** A pool of `size` workers that recover signers in parallel. */
class Pool {
  private readonly workers: Worker[];
  constructor(size: number) {
    const base = createRequire(import.meta.url).resolve("secp256k1");
    this.workers = Array.from({ length: size }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { base } }));
  }
  async verify(s: Sample): Promise<void> {
    const n = s.sigs.length;
    const per = Math.ceil(n / this.workers.length);
    const jobs = this.workers.map((w, wi) => {
      const from = wi * per;
      const to = Math.min(n, from + per);
      const buf = new Uint8Array((to - from) * 97);
      for (let i = from; i < to; i++) {
        buf.set(s.digests[i]!, (i - from) * 97);
        buf.set(s.sigs[i]!, (i - from) * 97 + 32);
      }
      return new Promise<void>((resolve, reject) => {
        w.once("message", (out: ArrayBuffer) => {
          const addrs = new Uint8Array(out);
          for (let i = from; i < to; i++) {
            const a = "0x" + Buffer.from(addrs.subarray((i - from) * 20, (i - from + 1) * 20)).toString("hex");
            if (a !== s.addresses[i]) reject(new Error(`worker: signature ${i} did not verify`));
          }
          resolve();
        });
        w.postMessage(buf.buffer, [buf.buffer]);
      });
    });
    await Promise.all(jobs);
  }
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

async function timeAsync(opsPerRun: number, runs: number, fn: () => Promise<void>): Promise<{ ops: number; seconds: number; opsPerSecond: number }> {
  await fn();
  await fn();
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    await fn();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (seconds < best) best = seconds;
  }
  return { ops: opsPerRun, seconds: best, opsPerSecond: opsPerRun / best };
}

export async function benchSignatures(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const s = samples(2000);
  const native = nativeSecp ?? nobleSecp;
  const nativeT = measure({ setup: () => s, run: (x) => verifyAll(x, native), opsPerRun: s.sigs.length, minSeconds: 1 });
  const small = samples(300);
  const nobleT = measure({ setup: () => small, run: (x) => verifyAll(x, nobleSecp), opsPerRun: small.sigs.length, minSeconds: 1 });
  rows.push(row(`channel sig: recover signer (${native.name})`, nativeT, "@noble/curves (pure JS)", nobleT, "ops = signatures verified (address recovery, low-s and v checks) per second, one thread"));

  for (const [n, size] of [
    [64, 2],
    [1000, 2],
    [1000, 4],
  ] as const) {
    const batch = samples(n);
    const pool = new Pool(size);
    try {
      const poolT = await timeAsync(n, 20, () => pool.verify(batch));
      const mainT = measure({ setup: () => batch, run: (x) => verifyAll(x, native), opsPerRun: n, minSeconds: 0.5 });
      rows.push(
        row(`channel sig: ${n} sigs on ${size} worker threads`, poolT, `main thread (${native.name})`, mainT, `worker pool pays iff ratio > 1 (machine has ${(await import("node:os")).cpus().length} cores, shared)`),
      );
    } finally {
      await pool.close();
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchSignatures().then((rows) => console.log(rows), (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
