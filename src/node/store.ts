/**
 * The node's durable store (DESIGN §7 "[store]"): everything a participant must not forget across a
 * crash, in one embedded database under its data dir.
 *
 * ## Why LMDB (`lmdb` 3.x) rather than SQLite (`better-sqlite3` 12)
 * - **Prebuilt**: `lmdb` ships platform binaries as optional packages; nothing is compiled at
 *   install (`better-sqlite3` 12 falls back to node-gyp where no prebuild matches).
 * - **Synchronous durable transactions**: `putSync` / `transactionSync` commit before they return,
 *   so the durability rule below is one call on the path that sends, no callback or promise between
 *   "written" and "sent".
 * - **Crash-safe B+tree**: copy-on-write pages and two meta pages; a process killed at any point
 *   (even `kill -9` mid-commit) reopens at the last committed transaction, no recovery pass.
 * - What we give up: SQL and ad-hoc queries (not needed: every read here is by key or key range).
 *
 * ## Durability rule (CometBFT's `priv_validator_state`, DESIGN §7)
 * A node never sends a batch, vote or signature it has not made durable first. Every write that
 * precedes a send ({@link NodeStore.appendOwnBatch}, {@link NodeStore.appendWal}) is a synchronous
 * committed transaction with the OS flush inside the commit: the environment is opened with
 * `overlappingSync: false` and never with `noSync`. Peers' batches need no such rule (they are
 * signed by others and can be fetched again): they are buffered ({@link NodeStore.appendBatch}) and
 * written, in delivery order, with the next synchronous write or {@link NodeStore.flush}.
 *
 * ## Contents (one LMDB environment, named sub-databases)
 * - `meta`: the store's identity `{format, channelId, participant}` (checked at open), the node's
 *   last signed batch `seq`, its last signed consensus step, the chain watcher's cursor.
 * - `batches`: delivered batches' canonical bytes by delivery index (parents before children, so a
 *   restart re-ingests them in order).
 * - `signed` / `decided` / `certs`: the checkpoint write-ahead log ({@link CheckpointWalEntry}):
 *   own signed proposals and votes by (height, n), decisions with their proof by height,
 *   certificates by height. Signed entries of decided heights are pruned at each decision.
 * - `deposits`: on-chain deposit record ids the node has credited.
 * - `snapshot`: one slot, a final-engine snapshot `{height, bytes}`.
 *
 * Every value carries a CRC-32 of its payload: a damaged value is refused as {@link StoreError}
 * `STORE_CORRUPT`, never decoded. A store made for another channel or participant is refused as
 * `STORE_FOREIGN`, one of an unknown format as `STORE_VERSION`, one open in a live process as
 * `STORE_LOCKED` (two processes signing with one key is equivocation).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { open, type Database, type RootDatabase } from "lmdb";
import { SemilatticeError } from "../core/errors.js";
import type { CheckpointCertificate, CheckpointWalEntry } from "../channel/checkpoint.js";
import { decodeCheckpointWire, encodeCheckpointWire } from "../channel/consensus/wire.js";
import type { Hex } from "../channel/identity.js";

/** Format of the store's records; a store of another format is refused (`STORE_VERSION`). */
export const STORE_FORMAT = 1;

export type StoreErrorCode = "STORE_FOREIGN" | "STORE_CORRUPT" | "STORE_VERSION" | "STORE_LOCKED" | "STORE_LIMIT" | "STORE_CLOSED" | "STORE_IO";

/** A store that cannot be used (see the module comment for each code). */
export class StoreError extends SemilatticeError {
  override name = "StoreError";
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, shortMessage: string, parameters: { details?: string; cause?: unknown } = {}) {
    super(code, shortMessage, { ...parameters, docsPath: "node.md#store" });
  }
}

export interface StoreLimits {
  /** Most bytes of one stored batch. Default 1 MiB + 4 KiB (the codec's batch limit plus slack). */
  maxBatchBytes: number;
  /** Most bytes of one WAL entry (a proof with many votes and heads). Default 1 MiB. */
  maxWalBytes: number;
  /** Most bytes of the snapshot. Default 512 MiB. */
  maxSnapshotBytes: number;
  /** Peers' batches buffered before a write is forced. Default 512. */
  maxBufferedBatches: number;
  /** LMDB map size (the file's maximum size), bytes. Default 16 GiB (sparse: only what is used is on disk). */
  mapSizeBytes: number;
}

export const DEFAULT_STORE_LIMITS: Readonly<StoreLimits> = Object.freeze({
  maxBatchBytes: (1 << 20) + 4096,
  maxWalBytes: 1 << 20,
  maxSnapshotBytes: 512 * (1 << 20),
  maxBufferedBatches: 512,
  mapSizeBytes: 16 * 2 ** 30,
});

export interface OpenStoreParameters {
  /** Directory of the store (created if missing). */
  dir: string;
  /** The channel this store belongs to (bytes32, 0x-hex). */
  channelId: Hex;
  /** The participant (signer address) whose store it is. */
  participant: Hex;
  limits?: Partial<StoreLimits>;
}

/** The node's last signed consensus message. */
export interface LastSignedStep {
  height: number;
  round: number;
  kind: "proposal" | "prevote" | "precommit";
}

/** The chain watcher's position: the last block it has fully processed. */
export interface ChainCursor {
  blockNumber: bigint;
  blockHash: Hex;
}

export interface StoredSnapshot {
  /** The final height the snapshot is the state after. */
  height: number;
  bytes: Uint8Array;
}

/** The final state as the node last recorded it (advisory: recomputable from the WAL and batches). */
export interface FinalSummary {
  /** Height of the latest final checkpoint. */
  height: number;
  stateRoot: string;
  /** Ops in final batches. */
  finalOps: number;
}

/** What {@link NodeStore.inspect} reads from a store without opening it for writing. */
export interface StoreSummary {
  format: number;
  channelId: Hex;
  participant: Hex;
  /** Latest decided height, null if none. */
  height: number | null;
  /** State root of the latest decision (null if none). */
  stateRoot: string | null;
  /** Ops final as of the node's last summary (0 if none recorded). */
  finalOps: number;
  /** Highest certified height, null if none. */
  certifiedHeight: number | null;
  lastSeq: number;
  batches: number;
}

/** What a restarted node resumes from (see {@link NodeStore.load}). */
export interface StoreContents {
  /** Delivered batches' bytes, in delivery order. */
  batches: Uint8Array[];
  /** Highest seq of an own batch, 0 if none. */
  lastSeq: number;
  lastSigned: LastSignedStep | undefined;
  /** The WAL in restore order: decisions by height, certificates by height, then the current signed entries. */
  wal: CheckpointWalEntry[];
}

const META_IDENTITY = "identity";
const META_SEQ = "seq";
const META_LAST_SIGNED = "lastSigned";
const META_CURSOR = "chainCursor";
const META_FINAL = "finalSummary";
const SNAPSHOT_KEY = "snapshot";
const LOCK_FILE = "node.lock";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** crc32 (4 bytes, big-endian) ‖ payload. */
function seal(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  new DataView(out.buffer).setUint32(0, crc32(payload) >>> 0);
  out.set(payload, 4);
  return out;
}

function unseal(raw: unknown, what: string): Uint8Array {
  if (!(raw instanceof Uint8Array) || raw.length < 4) throw new StoreError("STORE_CORRUPT", `store record ${what} is damaged`, { details: "too short to hold its checksum" });
  const payload = raw.subarray(4);
  const want = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(0);
  if ((crc32(payload) >>> 0) !== want) throw new StoreError("STORE_CORRUPT", `store record ${what} is damaged`, { details: "checksum mismatch" });
  // a plain copy: LMDB hands out a Buffer that may be a view of its map
  return new Uint8Array(payload);
}

function json(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v.toString()}n` : v)));
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(dec.decode(bytes));
  } catch (cause) {
    throw new StoreError("STORE_CORRUPT", `store record ${what} is not valid JSON`, { cause });
  }
}

function encodeCertificate(c: CheckpointCertificate): Uint8Array {
  return json({ checkpoint: c.checkpoint, heads: c.heads, signatures: c.signatures.map((s) => ({ signer: s.signer, signature: Buffer.from(s.signature.buffer, s.signature.byteOffset, s.signature.byteLength).toString("hex") })) });
}

const HEX32 = /^0x[0-9a-f]{64}$/;
const HEX20 = /^0x[0-9a-f]{40}$/;

function decodeCertificate(bytes: Uint8Array, what: string): CheckpointCertificate {
  const o = parseJson(bytes, what) as { checkpoint: CheckpointCertificate["checkpoint"]; heads: Hex[]; signatures: { signer: Hex; signature: string }[] };
  const cp = o?.checkpoint;
  const ok =
    typeof cp === "object" &&
    cp !== null &&
    typeof cp.channelId === "string" &&
    HEX32.test(cp.channelId) &&
    Number.isSafeInteger(cp.height) &&
    typeof cp.stateRoot === "string" &&
    HEX32.test(cp.stateRoot) &&
    typeof cp.exitRoot === "string" &&
    HEX32.test(cp.exitRoot) &&
    Number.isSafeInteger(cp.time) &&
    Array.isArray(o.heads) &&
    o.heads.every((h) => typeof h === "string" && HEX32.test(h)) &&
    Array.isArray(o.signatures) &&
    o.signatures.every((s) => typeof s?.signer === "string" && HEX20.test(s.signer) && typeof s.signature === "string" && /^[0-9a-f]{130}$/.test(s.signature));
  if (!ok) throw new StoreError("STORE_CORRUPT", `store record ${what} is not a certificate`);
  return {
    checkpoint: { channelId: cp.channelId, height: cp.height, stateRoot: cp.stateRoot, exitRoot: cp.exitRoot, time: cp.time },
    heads: [...o.heads],
    signatures: o.signatures.map((s) => ({ signer: s.signer, signature: new Uint8Array(Buffer.from(s.signature, "hex")) })),
  };
}

function decodeWal(bytes: Uint8Array, what: string): CheckpointWalEntry {
  let w;
  try {
    w = decodeCheckpointWire(bytes);
  } catch (cause) {
    throw new StoreError("STORE_CORRUPT", `store record ${what} does not decode`, { cause, details: (cause as Error).message });
  }
  if (w.kind === "consensus") return w.value === undefined ? { kind: "signed", message: w.message } : { kind: "signed", message: w.message, value: w.value };
  if (w.kind === "proof") return { kind: "decided", value: w.value, messages: w.messages };
  throw new StoreError("STORE_CORRUPT", `store record ${what} is not a WAL entry`);
}

function readFinalSummary(meta: Database<Uint8Array, string>): FinalSummary | undefined {
  const raw = meta.get(META_FINAL);
  if (raw === undefined) return undefined;
  const v = parseJson(unseal(raw, META_FINAL), META_FINAL) as FinalSummary;
  if (!Number.isSafeInteger(v?.height) || typeof v.stateRoot !== "string" || !Number.isSafeInteger(v.finalOps)) throw new StoreError("STORE_CORRUPT", "store record finalSummary is malformed");
  return v;
}

/** True if a process with this pid is alive (signal 0 probes without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One node's store. Open with {@link NodeStore.open}; every method throws {@link StoreError}
 * (`STORE_CLOSED` after {@link close}, `STORE_LIMIT` for an oversized value, `STORE_CORRUPT` for a
 * damaged record). Not safe to share between processes: a lock file (`node.lock`, with the pid)
 * refuses a second live opener.
 */
export class NodeStore {
  readonly dir: string;
  readonly channelId: Hex;
  readonly participant: Hex;
  readonly limits: Readonly<StoreLimits>;
  private readonly root: RootDatabase;
  private readonly meta: Database<Uint8Array, string>;
  private readonly batches: Database<Uint8Array, number>;
  private readonly signed: Database<Uint8Array, [number, number]>;
  private readonly decided: Database<Uint8Array, number>;
  private readonly certs: Database<Uint8Array, number>;
  private readonly deposits: Database<Uint8Array, string>;
  private nextIndex: number;
  private nextSigned = 0;
  private lastSeq_: number;
  private buffer: Uint8Array[] = [];
  /** A final summary not written yet (it rides on the next synchronous write). */
  private summary: FinalSummary | undefined;
  private closed = false;

  private constructor(p: OpenStoreParameters, root: RootDatabase) {
    this.dir = p.dir;
    this.channelId = p.channelId.toLowerCase() as Hex;
    this.participant = p.participant.toLowerCase() as Hex;
    this.limits = { ...DEFAULT_STORE_LIMITS, ...(p.limits ?? {}) };
    this.root = root;
    const sub = <K extends string | number | [number, number]>(name: string) => root.openDB<Uint8Array, K>(name, { encoding: "binary" });
    this.meta = sub<string>("meta");
    this.batches = sub<number>("batches");
    this.signed = sub<[number, number]>("signed");
    this.decided = sub<number>("decided");
    this.certs = sub<number>("certs");
    this.deposits = sub<string>("deposits");
    this.checkIdentity();
    const last = [...this.batches.getKeys({ reverse: true, limit: 1 })][0];
    this.nextIndex = last === undefined ? 0 : last + 1;
    const lastSigned = [...this.signed.getKeys({ reverse: true, limit: 1 })][0];
    this.nextSigned = lastSigned === undefined ? 0 : lastSigned[1] + 1;
    this.lastSeq_ = this.readNumber(META_SEQ) ?? 0;
  }

  /**
   * Opens (or creates) the store in `dir`. Throws {@link StoreError}: `STORE_FOREIGN` (made for
   * another channel or participant), `STORE_VERSION` (unknown format), `STORE_CORRUPT` (not an LMDB
   * file, or a damaged identity record), `STORE_LOCKED` (open in another live process), `STORE_IO`.
   */
  static open(p: OpenStoreParameters): NodeStore {
    if (!/^0x[0-9a-fA-F]{64}$/.test(p.channelId)) throw new StoreError("STORE_IO", "channelId must be 0x + 64 hex digits");
    if (!/^0x[0-9a-fA-F]{40}$/.test(p.participant)) throw new StoreError("STORE_IO", "participant must be 0x + 40 hex digits");
    try {
      mkdirSync(p.dir, { recursive: true });
    } catch (cause) {
      throw new StoreError("STORE_IO", `cannot create the data dir ${p.dir}`, { cause });
    }
    const release = takeLock(p.dir);
    const limits = { ...DEFAULT_STORE_LIMITS, ...(p.limits ?? {}) };
    let root: RootDatabase;
    const file = join(p.dir, "store.mdb");
    try {
      checkLmdbHeader(file);
    } catch (error) {
      release();
      throw error;
    }
    try {
      root = open({ path: file, maxDbs: 16, mapSize: limits.mapSizeBytes, overlappingSync: false, noSync: false, compression: false, encoding: "binary" });
    } catch (cause) {
      release();
      throw new StoreError("STORE_CORRUPT", `the store in ${p.dir} cannot be opened`, { cause, details: (cause as Error).message });
    }
    try {
      const store = new NodeStore(p, root);
      store.release = release;
      return store;
    } catch (error) {
      try {
        root.close();
      } catch {
        /* already failing */
      }
      release();
      if (error instanceof StoreError) throw error;
      throw new StoreError("STORE_CORRUPT", `the store in ${p.dir} cannot be read`, { cause: error, details: (error as Error).message });
    }
  }

  private release: () => void = () => {};

  private checkIdentity(): void {
    const raw = this.meta.get(META_IDENTITY);
    if (raw === undefined) {
      // a new store: nothing else may be in it
      if (this.batches.getKeysCount() > 0 || this.decided.getKeysCount() > 0) throw new StoreError("STORE_CORRUPT", "the store holds data but no identity record");
      this.meta.putSync(META_IDENTITY, seal(json({ format: STORE_FORMAT, channelId: this.channelId, participant: this.participant })));
      return;
    }
    const id = parseJson(unseal(raw, META_IDENTITY), META_IDENTITY) as { format?: unknown; channelId?: unknown; participant?: unknown };
    if (id?.format !== STORE_FORMAT) throw new StoreError("STORE_VERSION", `the store in ${this.dir} has format ${String(id?.format)}; this node reads format ${STORE_FORMAT}`);
    if (id.channelId !== this.channelId) throw new StoreError("STORE_FOREIGN", `the store in ${this.dir} belongs to channel ${String(id.channelId)}, not ${this.channelId}`);
    if (id.participant !== this.participant) throw new StoreError("STORE_FOREIGN", `the store in ${this.dir} belongs to participant ${String(id.participant)}, not ${this.participant}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError("STORE_CLOSED", "the store is closed");
  }

  private readNumber(key: string): number | undefined {
    const raw = this.meta.get(key);
    if (raw === undefined) return undefined;
    const v = parseJson(unseal(raw, key), key);
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw new StoreError("STORE_CORRUPT", `store record ${key} is not a non-negative integer`);
    return v as number;
  }

  /* ─────────────── batches ─────────────── */

  /** Highest seq of an own batch written, 0 if none. */
  get lastSeq(): number {
    return this.lastSeq_;
  }

  /** Number of batches written or buffered. */
  get batchCount(): number {
    return this.nextIndex + this.buffer.length;
  }

  private checkBatch(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > this.limits.maxBatchBytes) {
      throw new StoreError("STORE_LIMIT", `a stored batch must be 1..${this.limits.maxBatchBytes} bytes`, { details: `got ${bytes?.length}` });
    }
  }

  /** Buffers a peer's delivered batch; written in order with the next synchronous write, {@link flush}, or when the buffer is full. */
  appendBatch(bytes: Uint8Array): void {
    this.assertOpen();
    this.checkBatch(bytes);
    this.buffer.push(bytes);
    if (this.buffer.length >= this.limits.maxBufferedBatches) this.flush();
  }

  private writeBuffer(): void {
    for (const b of this.buffer) this.batches.putSync(this.nextIndex++, seal(b));
    this.buffer = [];
    if (this.summary !== undefined) {
      this.meta.putSync(META_FINAL, seal(json(this.summary)));
      this.summary = undefined;
    }
  }

  /**
   * Writes an own batch (after every buffered one) and its `seq`, durably, in one transaction:
   * call before the batch is sent. Throws `STORE_LIMIT` if `seq` is not above the last one (the
   * node would sign a second batch with a used seq).
   */
  appendOwnBatch(bytes: Uint8Array, seq: number): void {
    this.assertOpen();
    this.checkBatch(bytes);
    if (!Number.isSafeInteger(seq) || seq <= this.lastSeq_) throw new StoreError("STORE_LIMIT", `own batch seq ${seq} is not above the last signed seq ${this.lastSeq_}`);
    this.txn(() => {
      this.batches.putSync(this.nextIndex++, seal(bytes));
      this.meta.putSync(META_SEQ, seal(json(seq)));
    });
    this.lastSeq_ = seq;
  }

  /** Writes the buffered batches durably. */
  flush(): void {
    this.assertOpen();
    if (this.buffer.length === 0 && this.summary === undefined) return;
    this.txn(() => {});
  }

  /** One synchronous durable transaction: the buffered batches (and summary), then `fn`'s writes; on failure nothing is lost from memory. */
  private txn(fn: () => void): void {
    const start = this.nextIndex;
    const buffered = this.buffer;
    const summary = this.summary;
    try {
      this.root.transactionSync(() => {
        this.writeBuffer();
        fn();
      });
    } catch (error) {
      this.nextIndex = start;
      this.buffer = buffered;
      this.summary = summary;
      throw error;
    }
  }

  /* ─────────────── checkpoint WAL ─────────────── */

  /**
   * The Checkpointer's `persist` hook: writes the entry (after the buffered batches) durably before
   * returning. A `decided` entry prunes the signed entries of its height and below.
   */
  appendWal(entry: CheckpointWalEntry): void {
    this.assertOpen();
    let bytes: Uint8Array;
    if (entry.kind === "certificate") bytes = encodeCertificate(entry.certificate);
    else if (entry.kind === "signed") bytes = encodeCheckpointWire(entry.value === undefined ? { kind: "consensus", message: entry.message } : { kind: "consensus", message: entry.message, value: entry.value });
    else bytes = encodeCheckpointWire({ kind: "proof", height: entry.value.height, value: entry.value, messages: entry.messages });
    if (bytes.length > this.limits.maxWalBytes) throw new StoreError("STORE_LIMIT", `a WAL entry must be at most ${this.limits.maxWalBytes} bytes`, { details: `got ${bytes.length}` });
    this.txn(() => {
      if (entry.kind === "signed") {
        const m = entry.message;
        this.signed.putSync([m.height, this.nextSigned++], seal(bytes));
        this.meta.putSync(META_LAST_SIGNED, seal(json({ height: m.height, round: m.round, kind: m.kind })));
      } else if (entry.kind === "decided") {
        this.decided.putSync(entry.value.height, seal(bytes));
        for (const key of [...this.signed.getKeys({ end: [entry.value.height + 1, 0] })]) this.signed.removeSync(key);
      } else {
        this.certs.putSync(entry.certificate.checkpoint.height, seal(bytes));
      }
    });
  }

  /** The decision proof of `height`, if decided here. */
  decision(height: number): Extract<CheckpointWalEntry, { kind: "decided" }> | undefined {
    this.assertOpen();
    const raw = this.decided.get(height);
    return raw === undefined ? undefined : (decodeWal(unseal(raw, `decided/${height}`), `decided/${height}`) as Extract<CheckpointWalEntry, { kind: "decided" }>);
  }

  /** Number of decided heights stored (= the next height to decide, if none is missing). */
  decidedCount(): number {
    this.assertOpen();
    return this.decided.getKeysCount();
  }

  certificate(height: number): CheckpointCertificate | undefined {
    this.assertOpen();
    const raw = this.certs.get(height);
    return raw === undefined ? undefined : decodeCertificate(unseal(raw, `certs/${height}`), `certs/${height}`);
  }

  latestCertificate(): CheckpointCertificate | undefined {
    this.assertOpen();
    const last = [...this.certs.getKeys({ reverse: true, limit: 1 })][0];
    return last === undefined ? undefined : this.certificate(last);
  }

  lastSigned(): LastSignedStep | undefined {
    this.assertOpen();
    const raw = this.meta.get(META_LAST_SIGNED);
    if (raw === undefined) return undefined;
    const v = parseJson(unseal(raw, META_LAST_SIGNED), META_LAST_SIGNED) as LastSignedStep;
    if (!Number.isSafeInteger(v?.height) || !Number.isSafeInteger(v.round) || !["proposal", "prevote", "precommit"].includes(v.kind)) throw new StoreError("STORE_CORRUPT", "store record lastSigned is malformed");
    return v;
  }

  /**
   * Everything a restarted node resumes from, every record checked (`STORE_CORRUPT` on the first
   * damaged one). Buffered batches are flushed first.
   */
  load(): StoreContents {
    this.flush();
    const batches: Uint8Array[] = [];
    let expect = 0;
    for (const { key, value } of this.batches.getRange()) {
      if (key !== expect) throw new StoreError("STORE_CORRUPT", `stored batches have a gap at delivery index ${expect}`);
      batches.push(unseal(value, `batches/${key}`));
      expect++;
    }
    const wal: CheckpointWalEntry[] = [];
    for (const { key, value } of this.decided.getRange()) wal.push(decodeWal(unseal(value, `decided/${key}`), `decided/${key}`));
    for (const { key, value } of this.certs.getRange()) wal.push({ kind: "certificate", certificate: decodeCertificate(unseal(value, `certs/${key}`), `certs/${key}`) });
    for (const { key, value } of this.signed.getRange()) wal.push(decodeWal(unseal(value, `signed/${key.join(",")}`), `signed/${key.join(",")}`));
    return { batches, lastSeq: this.lastSeq_, lastSigned: this.lastSigned(), wal };
  }

  /** Records the final state's summary (for `semilattice status` of a stopped node). Written with the next synchronous write (or flush / close), not on its own. */
  setFinalSummary(f: FinalSummary): void {
    this.assertOpen();
    if (!Number.isSafeInteger(f.height) || f.height < 0 || !Number.isSafeInteger(f.finalOps) || f.finalOps < 0) throw new StoreError("STORE_LIMIT", "a final summary has a non-negative height and op count");
    this.summary = f;
  }

  finalSummary(): FinalSummary | undefined {
    this.assertOpen();
    return this.summary ?? readFinalSummary(this.meta);
  }

  /**
   * Reads a store's identity and progress without taking it over: read-only, no lock, so it works
   * while the node runs (LMDB readers never block the writer). Throws {@link StoreError}
   * (`STORE_IO` if there is no store, `STORE_CORRUPT`, `STORE_VERSION`).
   */
  static inspect(dir: string): StoreSummary {
    const file = join(dir, "store.mdb");
    if (!existsSync(file)) throw new StoreError("STORE_IO", `no store in ${dir}`);
    checkLmdbHeader(file);
    let root: RootDatabase;
    try {
      root = open({ path: file, maxDbs: 16, readOnly: true, compression: false, encoding: "binary" });
    } catch (cause) {
      throw new StoreError("STORE_CORRUPT", `the store in ${dir} cannot be opened`, { cause, details: (cause as Error).message });
    }
    try {
      const sub = <K extends string | number>(name: string) => root.openDB<Uint8Array, K>(name, { encoding: "binary" });
      const meta = sub<string>("meta");
      const raw = meta.get(META_IDENTITY);
      if (raw === undefined) throw new StoreError("STORE_CORRUPT", `the store in ${dir} has no identity record`);
      const id = parseJson(unseal(raw, META_IDENTITY), META_IDENTITY) as { format?: unknown; channelId?: unknown; participant?: unknown };
      if (id?.format !== STORE_FORMAT) throw new StoreError("STORE_VERSION", `the store in ${dir} has format ${String(id?.format)}; this node reads format ${STORE_FORMAT}`);
      const decided = sub<number>("decided");
      const lastHeight = [...decided.getKeys({ reverse: true, limit: 1 })][0];
      const decision = lastHeight === undefined ? undefined : decodeWal(unseal(decided.get(lastHeight), `decided/${lastHeight}`), `decided/${lastHeight}`);
      const certified = [...sub<number>("certs").getKeys({ reverse: true, limit: 1 })][0];
      const seqRaw = meta.get(META_SEQ);
      const lastSeq = seqRaw === undefined ? 0 : (parseJson(unseal(seqRaw, META_SEQ), META_SEQ) as number);
      const summary = readFinalSummary(meta);
      return {
        format: STORE_FORMAT,
        channelId: id.channelId as Hex,
        participant: id.participant as Hex,
        height: lastHeight ?? null,
        stateRoot: decision?.kind === "decided" ? decision.value.stateRoot : null,
        finalOps: summary !== undefined && summary.height === lastHeight ? summary.finalOps : (summary?.finalOps ?? 0),
        certifiedHeight: certified ?? null,
        lastSeq,
        batches: sub<number>("batches").getKeysCount(),
      };
    } finally {
      root.close();
    }
  }

  /* ─────────────── chain watcher ─────────────── */

  /** The watcher's cursor (last block fully processed), if any. */
  chainCursor(): ChainCursor | undefined {
    this.assertOpen();
    const raw = this.meta.get(META_CURSOR);
    if (raw === undefined) return undefined;
    const v = parseJson(unseal(raw, META_CURSOR), META_CURSOR) as { blockNumber?: unknown; blockHash?: unknown };
    if (typeof v?.blockNumber !== "string" || !/^\d+n$/.test(v.blockNumber) || typeof v.blockHash !== "string" || !HEX32.test(v.blockHash)) throw new StoreError("STORE_CORRUPT", "store record chainCursor is malformed");
    return { blockNumber: BigInt(v.blockNumber.slice(0, -1)), blockHash: v.blockHash as Hex };
  }

  /** Moves the cursor (idempotent; durable on return). Throws `STORE_LIMIT` if it would move backwards. */
  setChainCursor(c: ChainCursor): void {
    this.assertOpen();
    if (typeof c.blockNumber !== "bigint" || c.blockNumber < 0n || !HEX32.test(c.blockHash)) throw new StoreError("STORE_LIMIT", "a chain cursor is a non-negative bigint block number and a 0x + 64 hex block hash");
    const prev = this.chainCursor();
    if (prev !== undefined && c.blockNumber < prev.blockNumber) throw new StoreError("STORE_LIMIT", `chain cursor would move back from block ${prev.blockNumber} to ${c.blockNumber}`);
    this.meta.putSync(META_CURSOR, seal(json(c)));
  }

  /** Records that the deposit record `recordId` was credited (idempotent; durable on return). */
  markDepositCredited(recordId: bigint): void {
    this.assertOpen();
    if (typeof recordId !== "bigint" || recordId < 0n) throw new StoreError("STORE_LIMIT", "a deposit record id is a non-negative bigint");
    this.deposits.putSync(recordId.toString(16).padStart(64, "0"), seal(new Uint8Array(0)));
  }

  isDepositCredited(recordId: bigint): boolean {
    this.assertOpen();
    const raw = this.deposits.get(recordId.toString(16).padStart(64, "0"));
    if (raw === undefined) return false;
    unseal(raw, "deposits");
    return true;
  }

  /** Credited record ids, ascending. */
  creditedDeposits(): bigint[] {
    this.assertOpen();
    return [...this.deposits.getKeys()].map((k) => BigInt(`0x${k}`));
  }

  /* ─────────────── snapshot ─────────────── */

  /** Replaces the snapshot slot (durable on return). */
  putSnapshot(s: StoredSnapshot): void {
    this.assertOpen();
    if (!Number.isSafeInteger(s.height) || s.height < 0) throw new StoreError("STORE_LIMIT", "a snapshot height is a non-negative integer");
    if (!(s.bytes instanceof Uint8Array) || s.bytes.length > this.limits.maxSnapshotBytes) throw new StoreError("STORE_LIMIT", `a snapshot must be at most ${this.limits.maxSnapshotBytes} bytes`);
    const payload = new Uint8Array(8 + s.bytes.length);
    new DataView(payload.buffer).setBigUint64(0, BigInt(s.height));
    payload.set(s.bytes, 8);
    this.meta.putSync(SNAPSHOT_KEY, seal(payload));
  }

  snapshot(): StoredSnapshot | undefined {
    this.assertOpen();
    const raw = this.meta.get(SNAPSHOT_KEY);
    if (raw === undefined) return undefined;
    const p = unseal(raw, SNAPSHOT_KEY);
    if (p.length < 8) throw new StoreError("STORE_CORRUPT", "store record snapshot is too short");
    return { height: Number(new DataView(p.buffer, p.byteOffset).getBigUint64(0)), bytes: p.subarray(8) };
  }

  /* ─────────────── life ─────────────── */

  /** Bytes the store's file takes (LMDB's used pages). */
  sizeBytes(): number {
    this.assertOpen();
    const s = this.root.getStats() as { treeBranchPageCount?: number; treeLeafPageCount?: number; overflowPages?: number; pageSize?: number; lastPageNumber?: number };
    return ((s.lastPageNumber ?? 0) + 1) * (s.pageSize ?? 4096);
  }

  /** Writes the buffered batches and closes the database and the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      try {
        this.root.close();
      } finally {
        this.release();
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

const LMDB_MAGIC = 0xbeefc0de;
const LMDB_VERSION = 2;

/**
 * Checks both LMDB meta pages (magic, format version, page size) before the file is handed to
 * LMDB, which trusts its file: a file that is not an LMDB environment would crash the process in
 * native code instead of failing. (LMDB has no page checksums, so damage inside tree pages is not
 * seen here; damage inside values is, by each record's CRC-32.)
 */
function checkLmdbHeader(file: string): void {
  if (!existsSync(file)) return;
  let head: Buffer;
  try {
    const fd = openSync(file, "r");
    try {
      head = Buffer.alloc(2 * 65536);
      const n = readSync(fd, head, 0, head.length, 0);
      head = head.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    throw new StoreError("STORE_IO", `cannot read ${file}`, { cause });
  }
  const bad = (why: string): never => {
    throw new StoreError("STORE_CORRUPT", `${file} is not an intact LMDB store`, { details: why });
  };
  if (head.length < 0x40) bad("file too short for a meta page");
  const pageSize = head.readUInt32LE(0x30);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) bad(`implausible page size ${pageSize}`);
  for (const at of [0, pageSize]) {
    if (head.length < at + 0x40) bad("file too short for two meta pages");
    if (head.readUInt32LE(at + 0x18) !== LMDB_MAGIC) bad(`no LMDB magic in the meta page at ${at}`);
    if (head.readUInt32LE(at + 0x1c) !== LMDB_VERSION) bad(`LMDB data version ${head.readUInt32LE(at + 0x1c)} in the meta page at ${at}`);
  }
}

/** Takes `dir/node.lock` (pid inside); a lock left by a dead process is taken over. Returns the release function. */
function takeLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, "utf8") === String(process.pid)) unlinkSync(path);
        } catch {
          /* gone already */
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new StoreError("STORE_IO", `cannot create the lock ${path}`, { cause: error });
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, "utf8"));
      } catch {
        /* removed meanwhile: retry */
      }
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new StoreError("STORE_LOCKED", `the store in ${dir} is open in process ${pid}`);
      if (pid === process.pid) throw new StoreError("STORE_LOCKED", `the store in ${dir} is already open in this process`);
      try {
        if (existsSync(path)) unlinkSync(path);
      } catch {
        /* raced: retry */
      }
    }
  }
  throw new StoreError("STORE_LOCKED", `cannot take the lock ${path}`);
}
