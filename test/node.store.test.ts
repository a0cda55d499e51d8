import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, test } from "vitest";
import { Checkpointer, type CheckpointCertificate, type CheckpointWalEntry } from "../src/channel/checkpoint.js";
import { prngFunction as prng } from "../src/runtime/prng.js";
import { Replica } from "../src/channel/replica.js";
import { NodeStore, StoreError } from "../src/node/store.js";
import { SemilatticeError } from "../src/core/errors.js";
import { loopback } from "./checkpoint.net.js";
import { CHANNEL_ID, configFor, signers } from "./channel.helpers.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "semilattice-store-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ss = signers(4);
const ME = ss[0]!.address;
const OTHER_CHANNEL = ("0x" + "ef".repeat(32)) as typeof CHANNEL_ID;

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(SemilatticeError);
    return (error as StoreError).code;
  }
  return undefined;
}

/** Four replicas with checkpointers on a seeded loopback: two heights decided and certified; node 0's batches and WAL. */
function realRun(): { batches: Uint8Array[]; wal: CheckpointWalEntry[]; certs: CheckpointCertificate[]; finalRoot: string } {
  const rand = prng(7);
  const cfg = configFor(ss);
  const reps = ss.map((s) => new Replica(cfg, s, { now: () => net.now() }));
  const cps: Checkpointer[] = [];
  const net = loopback({ n: 4, startMs: 1_763_700_000_000, delay: () => 1 + Math.floor(rand() * 4), nodes: () => ({ reps, cps }) });
  const wal: CheckpointWalEntry[] = [];
  const batches: Uint8Array[] = [];
  reps[0]!.on("delivered", (d) => batches.push(d.bytes));
  const certs: CheckpointCertificate[] = [];
  reps.forEach((r, i) => {
    const c = new Checkpointer(r, {
      signer: ss[i]!,
      now: net.now,
      checkpointIntervalMs: 20,
      ...(i === 0 ? { persist: (e: CheckpointWalEntry) => wal.push(e) } : {}),
      send: (w, to) => net.send(i, w, to),
      schedule: (ms, fn) => net.schedule(ms, fn),
    });
    if (i === 0) c.onCheckpoint((cert) => certs.push(cert));
    cps.push(c);
  });
  for (let h = 0; h < 2; h++) {
    for (let i = 0; i < 4; i++) {
      const s = reps[i]!.submit([{ type: "transfer", from: ss[i]!.address, to: ss[(i + 1) % 4]!.address, token: "USDC", amount: BigInt(1000 + h) }]);
      net.sendBatch(i, s.bytes);
    }
    expect(net.run(() => certs.length > h, 10_000)).toBe(true);
  }
  return { batches, wal, certs, finalRoot: cps[0]!.getFinalState().stateRoot() };
}

describe("NodeStore (lmdb, real files)", () => {
  test("batches, own seq and the checkpoint WAL survive a reopen; a Checkpointer restored from them has the same final state and certificates", () => {
    const run = realRun();
    const dir = tempDir();
    const store = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    const own = new Set(run.batches.filter((_, i) => i % 4 === 0));
    let seq = 0;
    for (const b of run.batches) {
      if (own.has(b)) store.appendOwnBatch(b, ++seq);
      else store.appendBatch(b);
    }
    for (const e of run.wal) store.appendWal(e);
    // a used seq is refused: the node would sign two batches with it
    expect(codeOf(() => store.appendOwnBatch(run.batches[0]!, seq))).toBe("STORE_LIMIT");
    expect(store.lastSigned()).toBeDefined();
    store.close();
    expect(codeOf(() => store.lastSigned())).toBe("STORE_CLOSED");

    const again = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    const loaded = again.load();
    expect(loaded.batches.map((b) => Buffer.from(b).toString("hex"))).toEqual(run.batches.map((b) => Buffer.from(b).toString("hex")));
    expect(loaded.lastSeq).toBe(seq);
    expect(again.decidedCount()).toBe(2);
    expect(again.latestCertificate()).toEqual(run.certs.at(-1));
    expect(again.certificate(0)).toEqual(run.certs[0]);
    // decided heights prune their signed entries: only decisions and certificates remain of heights 0..1
    expect(loaded.wal.filter((e) => e.kind === "signed").every((e) => e.kind === "signed" && e.message.height >= 2)).toBe(true);
    expect(loaded.wal.filter((e) => e.kind === "decided")).toEqual(run.wal.filter((e) => e.kind === "decided"));

    // resume: a fresh replica re-ingests the batches, a checkpointer restores from the WAL
    const rep = new Replica(configFor(ss), ss[0]!);
    for (const b of loaded.batches) expect(rep.receive(b, "store").error).toBeUndefined();
    const cp = new Checkpointer(rep, { signer: ss[0]!, now: () => 1_763_800_000_000, send: () => {}, schedule: () => {}, restore: loaded.wal });
    expect(cp.height).toBe(2);
    expect(cp.getFinalState().stateRoot()).toBe(run.finalRoot);
    expect(cp.latestCertificate()).toEqual(run.certs.at(-1));
    again.close();
  });

  test("buffered peer batches are written in delivery order before an own batch, and on flush and close", () => {
    const run = realRun();
    const dir = tempDir();
    const store = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    store.appendBatch(run.batches[1]!);
    store.appendBatch(run.batches[2]!);
    store.appendOwnBatch(run.batches[0]!, 1);
    store.appendBatch(run.batches[3]!);
    store.close();
    const again = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    expect(again.load().batches.map((b) => b.length)).toEqual([1, 2, 0, 3].map((i) => run.batches[i]!.length));
    expect(again.lastSeq).toBe(1);
    again.close();
  });

  test("a store of another channel or participant is refused (STORE_FOREIGN); a second opener is refused (STORE_LOCKED)", () => {
    const dir = tempDir();
    const store = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    expect(codeOf(() => NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME }))).toBe("STORE_LOCKED");
    store.close();
    expect(codeOf(() => NodeStore.open({ dir, channelId: OTHER_CHANNEL, participant: ME }))).toBe("STORE_FOREIGN");
    expect(codeOf(() => NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ss[1]!.address }))).toBe("STORE_FOREIGN");
    // a lock left by a dead process is taken over
    writeFileSync(join(dir, "node.lock"), "999999999");
    NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME }).close();
  });

  test("a file that is not an LMDB store, and a damaged record, are refused (STORE_CORRUPT)", () => {
    const garbage = tempDir();
    writeFileSync(join(garbage, "store.mdb"), Buffer.alloc(64 * 1024, 0x5a));
    expect(codeOf(() => NodeStore.open({ dir: garbage, channelId: CHANNEL_ID, participant: ME }))).toBe("STORE_CORRUPT");

    const run = realRun();
    const dir = tempDir();
    const store = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    const victim = run.batches[1]!;
    store.appendBatch(run.batches[0]!);
    store.appendBatch(victim);
    store.close();
    // flip one byte inside the stored batch (its signature) in the file itself
    const file = join(dir, "store.mdb");
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from(victim.subarray(victim.length - 40)));
    expect(at).toBeGreaterThan(0);
    bytes[at + 5] = bytes[at + 5]! ^ 0xff;
    writeFileSync(file, bytes);
    const damaged = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    expect(codeOf(() => damaged.load())).toBe("STORE_CORRUPT");
    damaged.close();
  });

  test("an unknown format version is refused (STORE_VERSION)", () => {
    const dir = tempDir();
    NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME }).close();
    const file = join(dir, "store.mdb");
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from('{"format":1,'));
    expect(at).toBeGreaterThan(0);
    // same length, other version, checksum fixed up: only the version differs
    const json = Buffer.from('{"format":9,');
    json.copy(bytes, at);
    const end = bytes.indexOf(Buffer.from("}"), at) + 1;
    bytes.writeUInt32BE(crc32(bytes.subarray(at, end)) >>> 0, at - 4);
    writeFileSync(file, bytes);
    expect(codeOf(() => NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME }))).toBe("STORE_VERSION");
  });

  test("chain cursor, credited deposits and the snapshot slot; limits on value sizes", () => {
    const dir = tempDir();
    const store = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME, limits: { maxSnapshotBytes: 1024, maxBatchBytes: 2048 } });
    expect(store.chainCursor()).toBeUndefined();
    const hash = ("0x" + "11".repeat(32)) as `0x${string}`;
    store.setChainCursor({ blockNumber: 12n, blockHash: hash });
    store.setChainCursor({ blockNumber: 12n, blockHash: hash }); // idempotent
    expect(codeOf(() => store.setChainCursor({ blockNumber: 11n, blockHash: hash }))).toBe("STORE_LIMIT");
    store.markDepositCredited(3n);
    store.markDepositCredited(1n);
    store.markDepositCredited(3n);
    store.putSnapshot({ height: 5, bytes: new Uint8Array([1, 2, 3]) });
    expect(codeOf(() => store.putSnapshot({ height: 6, bytes: new Uint8Array(1025) }))).toBe("STORE_LIMIT");
    expect(codeOf(() => store.appendBatch(new Uint8Array(2049)))).toBe("STORE_LIMIT");
    expect(codeOf(() => store.appendBatch(new Uint8Array(0)))).toBe("STORE_LIMIT");
    store.close();
    const again = NodeStore.open({ dir, channelId: CHANNEL_ID, participant: ME });
    expect(again.chainCursor()).toEqual({ blockNumber: 12n, blockHash: hash });
    expect(again.creditedDeposits()).toEqual([1n, 3n]);
    expect(again.isDepositCredited(3n)).toBe(true);
    expect(again.isDepositCredited(2n)).toBe(false);
    expect(again.snapshot()).toEqual({ height: 5, bytes: new Uint8Array([1, 2, 3]) });
    expect(again.sizeBytes()).toBeGreaterThan(0);
    again.setFinalSummary({ height: 4, stateRoot: "0xaa", finalOps: 9 });
    again.close();
    // read-only inspection (what `status` of a stopped or running node reads)
    const summary = NodeStore.inspect(dir);
    expect(summary).toMatchObject({ channelId: CHANNEL_ID, participant: ME, height: null, finalOps: 9, lastSeq: 0, batches: 0 });
  });
});
