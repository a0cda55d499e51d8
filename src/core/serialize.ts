/**
 * The on-disk form of an engine: {@link encodeEngine} turns an {@link Engine} into bytes and
 * {@link decodeEngine} turns them back into an engine that evolves **exactly** as the original under
 * the same further ops (same results, same state and exit roots after every op). A participant node
 * writes one periodically so that a restart replays only the ops after it (issue 14, durable
 * storage); the core itself does no I/O: bytes in, bytes out.
 *
 * What is kept is the whole object graph reachable from the engine, as `cloneEngine`
 * (`snapshot.ts`) copies it in memory: every object once, every reference to it (an order's account
 * and level, the intrusive FIFO list of a level, the level heap and level map of a `BookSide`,
 * `ordersPerAccount` keyed by Account objects, the dirty sets) pointing at the same decoded object,
 * Map/Set insertion order, property order, bigints, `-0`, and the state-root cache (leaf digests) as
 * it is, so no root needs recomputing. The engine's private counters (`applied`) and journal (when
 * kept) are fields like the others.
 *
 * Format (all integers unsigned LEB128 varints unless noted):
 * ```
 * header  magic "SLSNAP\r\n" (8 bytes) ‖ version u16 BE (= 1) ‖ flags u16 BE (= 0)
 *         ‖ body length u64 BE ‖ SHA-256(body) (32 bytes)
 * body    strings: count, then per string (byteLength·2 + utf16 flag) and its UTF-8 (or UTF-16LE
 *                  for a string that is not well-formed Unicode) bytes
 *         shapes:  count, then per shape: key count and the string index of each key
 *         objects: count N; then N kind entries; then N content entries (object 0 is the engine)
 * kind    byte: kind (low 4 bits) | 0x10 frozen; then OBJECT: prototype tag, shape index ·
 *         ARRAY: length · MAP, SET: size · BYTES: length, Buffer flag byte · SINGLETON: singleton tag
 * content OBJECT: one value per shape key · ARRAY: length values · MAP: size (key, value) pairs ·
 *         SET: size values · BYTES: the bytes · SINGLETON: nothing
 * value   tag byte: undefined, null, false, true, +int (varint), −int (varint), float64 (8 bytes LE),
 *         +bigint / −bigint (magnitude byte length, big-endian bytes), string (index), ref (object id)
 * ```
 * Writing every object's kind before any content lets the decoder allocate all objects first and
 * then resolve references in any direction (cycles, forward references) in one pass.
 *
 * Prototypes come from a fixed registry ({@link PROTOTYPES}: plain objects, null-prototype objects,
 * `Engine`, `StateRootCache`, `BookSide`); frozen module constants compared by identity (the
 * order book's `DETACHED` level) from {@link SINGLETONS}. Encoding refuses anything else with
 * {@link SnapshotError} `SNAPSHOT_UNSUPPORTED` (an unknown class, a function, a symbol, a typed array
 * other than bytes, WeakMap…): a new state structure must be registered here, never silently
 * flattened. Other frozen objects are kept as frozen copies.
 *
 * Decoding checks everything before it returns anything: magic, version, length, checksum, every
 * tag, index and object id, exact consumption of the body, limits ({@link SnapshotLimits}); a failure
 * throws {@link SnapshotError} (`SNAPSHOT_CORRUPT`, `SNAPSHOT_VERSION`, `SNAPSHOT_TOO_LARGE`) and no
 * engine is returned. The checksum makes a damaged file fail loudly; it is not an authenticator (a
 * snapshot is trusted local state, like the database it sits in).
 *
 * Deterministic: the same engine state gives the same bytes. Cost: O(objects + bytes), iterative
 * (no recursion, so a 20,000-order FIFO list is fine).
 */
import { createHash } from "node:crypto";
import { Engine } from "./engine.js";
import { SemilatticeError } from "./errors.js";
import { BookSide, DETACHED } from "./orderbook/book.js";
import { StateRootCache } from "./stateRoot.js";

/** Snapshot format version written by {@link encodeEngine}; {@link decodeEngine} reads only this. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** The first 8 bytes of every snapshot: "SLSNAP\r\n" (the CR LF catches text-mode mangling). */
export const SNAPSHOT_MAGIC: Uint8Array = Uint8Array.from([0x53, 0x4c, 0x53, 0x4e, 0x41, 0x50, 0x0d, 0x0a]);
/** Header bytes: magic, version, flags, body length, SHA-256 of the body. */
export const SNAPSHOT_HEADER_BYTES = 8 + 2 + 2 + 8 + 32;
/** Default {@link SnapshotLimits.maxBytes}: 1 GiB. */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 1 << 30;
/** Default {@link SnapshotLimits.maxObjects}: 20 million objects (maps, sets, arrays included). */
export const DEFAULT_MAX_SNAPSHOT_OBJECTS = 20_000_000;

/** Limits on one snapshot, checked when encoding and decoding. */
export interface SnapshotLimits {
  /** Most bytes of a whole snapshot (header included). Default {@link DEFAULT_MAX_SNAPSHOT_BYTES}. */
  maxBytes?: number;
  /** Most objects in the graph. Default {@link DEFAULT_MAX_SNAPSHOT_OBJECTS}. */
  maxObjects?: number;
}

export type SnapshotErrorCode =
  /** Not a snapshot, or a damaged one: magic, length, checksum, tags, indexes, object ids. */
  | "SNAPSHOT_CORRUPT"
  /** A snapshot of a format version this build does not read. */
  | "SNAPSHOT_VERSION"
  /** Over {@link SnapshotLimits}. */
  | "SNAPSHOT_TOO_LARGE"
  /** The engine holds something the format cannot represent faithfully (encoding only). */
  | "SNAPSHOT_UNSUPPORTED";

/** An engine snapshot that cannot be written or read; nothing is returned with it. */
export class SnapshotError extends SemilatticeError {
  override name = "SnapshotError";
  declare readonly code: SnapshotErrorCode;
  constructor(code: SnapshotErrorCode, shortMessage: string, details?: string) {
    super(code, shortMessage, { details, docsPath: "architecture.md#snapshots" });
  }
}

/**
 * Prototypes an object in a snapshot may have, by tag. Append only: a tag's meaning never changes
 * within a format version.
 */
export const PROTOTYPES: readonly (object | null)[] = [Object.prototype, null, Engine.prototype, StateRootCache.prototype, BookSide.prototype];
/** Frozen module constants code compares by identity, by tag. Append only. */
export const SINGLETONS: readonly object[] = [DETACHED];

// kinds
const K_OBJECT = 0;
const K_ARRAY = 1;
const K_MAP = 2;
const K_SET = 3;
const K_BYTES = 4;
const K_SINGLETON = 5;
const K_FROZEN = 0x10;

// value tags
const V_UNDEFINED = 0;
const V_NULL = 1;
const V_FALSE = 2;
const V_TRUE = 3;
const V_POS_INT = 4;
const V_NEG_INT = 5;
const V_FLOAT = 6;
const V_POS_BIGINT = 7;
const V_NEG_BIGINT = 8;
const V_STRING = 9;
const V_REF = 10;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The snapshot of `engine`, as bytes (see the module doc for the format). Does not change the
 * engine (not even its dirty sets: the root cache is saved as it is).
 *
 * @throws {SnapshotError} `SNAPSHOT_UNSUPPORTED` if the state holds a value the format cannot keep;
 *   `SNAPSHOT_TOO_LARGE` over `limits`.
 */
export function encodeEngine(engine: Engine, limits: SnapshotLimits = {}): Uint8Array {
  if (!(engine instanceof Engine)) throw new SnapshotError("SNAPSHOT_UNSUPPORTED", "encodeEngine: not an Engine");
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES;
  const maxObjects = limits.maxObjects ?? DEFAULT_MAX_SNAPSHOT_OBJECTS;
  const enc = new GraphEncoder(maxObjects);
  enc.run(engine);
  const body = enc.body();
  const total = SNAPSHOT_HEADER_BYTES + body.length;
  if (total > maxBytes) throw new SnapshotError("SNAPSHOT_TOO_LARGE", `encodeEngine: snapshot of ${total} bytes is over the limit of ${maxBytes}`);
  const out = new Uint8Array(total);
  out.set(SNAPSHOT_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, SNAPSHOT_FORMAT_VERSION);
  view.setUint16(10, 0);
  view.setBigUint64(12, BigInt(body.length));
  out.set(createHash("sha256").update(body).digest(), 20);
  out.set(body, SNAPSHOT_HEADER_BYTES);
  return out;
}

/**
 * The engine a snapshot holds (see {@link encodeEngine}); a new object graph, sharing nothing with
 * `bytes`.
 *
 * @throws {SnapshotError} `SNAPSHOT_CORRUPT` (not a snapshot, truncated, checksum mismatch, any bad
 *   tag, index or object id, trailing bytes), `SNAPSHOT_VERSION` (another format version),
 *   `SNAPSHOT_TOO_LARGE` (over `limits`). Never returns a partly built engine.
 */
export function decodeEngine(bytes: Uint8Array, limits: SnapshotLimits = {}): Engine {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES;
  const maxObjects = limits.maxObjects ?? DEFAULT_MAX_SNAPSHOT_OBJECTS;
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError("SNAPSHOT_CORRUPT", "decodeEngine: bytes must be a Uint8Array");
  if (bytes.length > maxBytes) throw new SnapshotError("SNAPSHOT_TOO_LARGE", `decodeEngine: ${bytes.length} bytes is over the limit of ${maxBytes}`);
  if (bytes.length < SNAPSHOT_HEADER_BYTES) throw corrupt(`${bytes.length} bytes is shorter than the ${SNAPSHOT_HEADER_BYTES}-byte header`);
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw corrupt("not an engine snapshot (wrong magic bytes)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError("SNAPSHOT_VERSION", `decodeEngine: snapshot format version ${version}; this build reads version ${SNAPSHOT_FORMAT_VERSION}`);
  }
  const flags = view.getUint16(10);
  if (flags !== 0) throw corrupt(`unknown header flags 0x${flags.toString(16)}`);
  const bodyLength = view.getBigUint64(12);
  const actual = BigInt(bytes.length - SNAPSHOT_HEADER_BYTES);
  if (bodyLength !== actual) throw corrupt(`header says ${bodyLength} body bytes, ${actual} present (truncated or padded)`);
  const body = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  const digest = createHash("sha256").update(body).digest();
  for (let i = 0; i < 32; i++) {
    if (digest[i] !== bytes[20 + i]) throw corrupt("checksum mismatch: the snapshot is damaged");
  }
  const engine = new GraphDecoder(body, maxObjects).run();
  if (!(engine instanceof Engine)) throw corrupt("object 0 is not an Engine");
  const fields = engine as unknown as Record<string, unknown>;
  if (typeof fields.state !== "object" || fields.state === null || !(fields.roots instanceof StateRootCache) || typeof fields.applied !== "number") {
    throw corrupt("the engine lacks its state, root cache or op counter");
  }
  return engine;
}

function corrupt(message: string): SnapshotError {
  return new SnapshotError("SNAPSHOT_CORRUPT", `decodeEngine: ${message}`);
}

function unsupported(message: string): SnapshotError {
  return new SnapshotError("SNAPSHOT_UNSUPPORTED", `encodeEngine: ${message}`);
}

/* ─────────────────────────────── bytes ─────────────────────────────── */

class ByteWriter {
  private buf = new Uint8Array(1 << 12);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  /** Unsigned LEB128 of a safe integer ≥ 0. */
  varint(n: number): void {
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.length++] = n;
  }

  float(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

class ByteReader {
  pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw corrupt("truncated body");
    return this.buf[this.pos++]!;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw corrupt("non-canonical varint");
        break;
      }
      scale *= 0x80;
      if (i >= 7) throw corrupt("varint too long");
    }
    if (!Number.isSafeInteger(result)) throw corrupt("varint out of range");
    return result;
  }

  /** A varint that counts things each taking at least `minBytes` more bytes of the body. */
  count(what: string, minBytes: number): number {
    const n = this.varint();
    if (n * minBytes > this.remaining) throw corrupt(`${what} count ${n} exceeds the remaining ${this.remaining} bytes`);
    return n;
  }

  float(): number {
    if (this.remaining < 8) throw corrupt("truncated body");
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) throw corrupt("truncated body");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/* ─────────────────────────────── encoder ─────────────────────────────── */

interface ShapeNode {
  id: number;
  next: Map<string, ShapeNode> | undefined;
}

const SINGLETON_TAG = new Map<object, number>(SINGLETONS.map((s, i) => [s, i]));
const PROTOTYPE_TAG = new Map<object | null, number>(PROTOTYPES.map((p, i) => [p, i]));
const utf8 = new TextEncoder();

class GraphEncoder {
  private readonly ids = new Map<object, number>();
  private readonly queue: object[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly strings = new ByteWriter();
  private readonly shapes = new ByteWriter();
  private shapeCount = 0;
  private readonly shapeRoot: ShapeNode = { id: -1, next: undefined };
  private readonly kinds = new ByteWriter();
  private readonly content = new ByteWriter();

  constructor(private readonly maxObjects: number) {}

  run(root: object): void {
    this.ref(root);
    const queue = this.queue;
    for (let i = 0; i < queue.length; i++) this.object(queue[i]!);
  }

  body(): Uint8Array {
    const out = new ByteWriter();
    out.varint(this.stringIds.size);
    out.bytes(this.strings.result());
    out.varint(this.shapeCount);
    out.bytes(this.shapes.result());
    out.varint(this.queue.length);
    out.bytes(this.kinds.result());
    out.bytes(this.content.result());
    return out.result();
  }

  private ref(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.queue.length;
      if (id >= this.maxObjects) throw new SnapshotError("SNAPSHOT_TOO_LARGE", `encodeEngine: more than ${this.maxObjects} objects`);
      this.ids.set(o, id);
      this.queue.push(o);
    }
    return id;
  }

  private string(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.stringIds.size;
      this.stringIds.set(s, id);
      if (LONE_SURROGATE.test(s)) {
        this.strings.varint(s.length * 4 + 1);
        const b = new Uint8Array(s.length * 2);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          b[2 * i] = c & 0xff;
          b[2 * i + 1] = c >> 8;
        }
        this.strings.bytes(b);
      } else {
        const b = utf8.encode(s);
        this.strings.varint(b.length * 2);
        this.strings.bytes(b);
      }
    }
    return id;
  }

  private shape(keys: string[]): number {
    let node = this.shapeRoot;
    for (const key of keys) {
      if (node.next === undefined) node.next = new Map();
      let child = node.next.get(key);
      if (child === undefined) {
        child = { id: -1, next: undefined };
        node.next.set(key, child);
      }
      node = child;
    }
    if (node.id < 0) {
      node.id = this.shapeCount++;
      this.shapes.varint(keys.length);
      for (const key of keys) this.shapes.varint(this.string(key));
    }
    return node.id;
  }

  private value(v: unknown): void {
    const w = this.content;
    switch (typeof v) {
      case "undefined":
        w.byte(V_UNDEFINED);
        return;
      case "boolean":
        w.byte(v ? V_TRUE : V_FALSE);
        return;
      case "number":
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
          if (v >= 0) {
            w.byte(V_POS_INT);
            w.varint(v);
          } else {
            w.byte(V_NEG_INT);
            w.varint(-v);
          }
        } else {
          w.byte(V_FLOAT);
          w.float(v);
        }
        return;
      case "bigint": {
        const negative = v < 0n;
        w.byte(negative ? V_NEG_BIGINT : V_POS_BIGINT);
        const magnitude = negative ? -v : v;
        if (magnitude === 0n) {
          w.varint(0);
          return;
        }
        let hex = magnitude.toString(16);
        if (hex.length % 2 === 1) hex = "0" + hex;
        w.varint(hex.length / 2);
        w.bytes(Buffer.from(hex, "hex"));
        return;
      }
      case "string":
        w.byte(V_STRING);
        w.varint(this.string(v));
        return;
      case "object":
        if (v === null) {
          w.byte(V_NULL);
          return;
        }
        w.byte(V_REF);
        w.varint(this.ref(v));
        return;
      default:
        throw unsupported(`cannot keep a ${typeof v} in engine state`);
    }
  }

  private object(o: object): void {
    const kinds = this.kinds;
    const singleton = SINGLETON_TAG.get(o);
    if (singleton !== undefined) {
      kinds.byte(K_SINGLETON);
      kinds.varint(singleton);
      return;
    }
    const frozen = Object.isFrozen(o) ? K_FROZEN : 0;
    if (o instanceof Map) {
      checkPrototype(o, Map.prototype);
      kinds.byte(K_MAP | frozen);
      kinds.varint(o.size);
      for (const [k, v] of o as Map<unknown, unknown>) {
        this.value(k);
        this.value(v);
      }
    } else if (o instanceof Set) {
      checkPrototype(o, Set.prototype);
      kinds.byte(K_SET | frozen);
      kinds.varint(o.size);
      for (const v of o as Set<unknown>) this.value(v);
    } else if (Array.isArray(o)) {
      checkPrototype(o, Array.prototype);
      kinds.byte(K_ARRAY | frozen);
      kinds.varint(o.length);
      for (let i = 0; i < o.length; i++) this.value(o[i]);
    } else if (ArrayBuffer.isView(o)) {
      const isBuffer = Buffer.isBuffer(o);
      if (!isBuffer) checkPrototype(o, Uint8Array.prototype);
      const b = o as Uint8Array;
      kinds.byte(K_BYTES | frozen);
      kinds.varint(b.length);
      kinds.byte(isBuffer ? 1 : 0);
      this.content.bytes(b);
    } else {
      const proto = Object.getPrototypeOf(o) as object | null;
      const tag = PROTOTYPE_TAG.get(proto);
      if (tag === undefined) {
        const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? "anonymous";
        throw unsupported(`cannot keep an object of class ${name} (not in the snapshot prototype registry)`);
      }
      const keys = Object.keys(o);
      kinds.byte(K_OBJECT | frozen);
      kinds.varint(tag);
      kinds.varint(this.shape(keys));
      const record = o as Record<string, unknown>;
      for (const key of keys) this.value(record[key]);
    }
  }
}

function checkPrototype(o: object, expected: object): void {
  if (Object.getPrototypeOf(o) !== expected) {
    const name = (o as { constructor?: { name?: string } }).constructor?.name ?? "anonymous";
    throw unsupported(`cannot keep a ${name} (only plain Map, Set, Array, Uint8Array and Buffer)`);
  }
}

/* ─────────────────────────────── decoder ─────────────────────────────── */

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

class GraphDecoder {
  private readonly r: ByteReader;
  private strings: string[] = [];
  private shapes: string[][] = [];
  private objects: object[] = [];

  constructor(
    body: Uint8Array,
    private readonly maxObjects: number,
  ) {
    this.r = new ByteReader(body);
  }

  run(): unknown {
    const r = this.r;
    // strings
    const stringCount = r.count("string", 1);
    const strings = new Array<string>(stringCount);
    for (let i = 0; i < stringCount; i++) {
      const header = r.varint();
      const isUtf16 = header % 2 === 1;
      const n = Math.floor(header / 2);
      const b = r.bytes(n);
      if (isUtf16) {
        if (n % 2 !== 0) throw corrupt(`string ${i}: odd UTF-16 byte length`);
        let s = "";
        for (let j = 0; j < n; j += 2) s += String.fromCharCode(b[j]! | (b[j + 1]! << 8));
        strings[i] = s;
      } else {
        try {
          strings[i] = utf8Strict.decode(b);
        } catch {
          throw corrupt(`string ${i}: invalid UTF-8`);
        }
      }
    }
    this.strings = strings;
    // shapes
    const shapeCount = r.count("shape", 1);
    const shapes = new Array<string[]>(shapeCount);
    for (let i = 0; i < shapeCount; i++) {
      const n = r.count("shape key", 1);
      const keys = new Array<string>(n);
      for (let j = 0; j < n; j++) keys[j] = this.stringAt(r.varint());
      if (new Set(keys).size !== n) throw corrupt(`shape ${i}: duplicate key`);
      shapes[i] = keys;
    }
    this.shapes = shapes;
    // object kinds: allocate every object
    const objectCount = r.count("object", 2);
    if (objectCount > this.maxObjects) throw new SnapshotError("SNAPSHOT_TOO_LARGE", `decodeEngine: ${objectCount} objects is over the limit of ${this.maxObjects}`);
    if (objectCount === 0) throw corrupt("no objects");
    const objects = new Array<object>(objectCount);
    const kinds = new Uint8Array(objectCount);
    const sizes = new Array<number>(objectCount);
    // Content bytes claimed so far (each element, entry value or byte takes at least one): kept
    // within what is left of the body, so a crafted count cannot make the decoder allocate more
    // than the snapshot's own size.
    let claimed = 0;
    const claim = (i: number, n: number): void => {
      claimed += n;
      if (claimed > r.remaining) throw corrupt(`object ${i}: contents claim more bytes than the body holds`);
    };
    for (let i = 0; i < objectCount; i++) {
      const kindByte = r.byte();
      const kind = kindByte & 0x0f;
      if ((kindByte & ~(0x0f | K_FROZEN)) !== 0) throw corrupt(`object ${i}: bad kind byte 0x${kindByte.toString(16)}`);
      kinds[i] = kindByte;
      switch (kind) {
        case K_OBJECT: {
          const tag = r.varint();
          if (tag >= PROTOTYPES.length) throw corrupt(`object ${i}: unknown prototype tag ${tag}`);
          const shape = r.varint();
          if (shape >= shapes.length) throw corrupt(`object ${i}: unknown shape ${shape}`);
          claim(i, shapes[shape]!.length);
          sizes[i] = shape;
          objects[i] = Object.create(PROTOTYPES[tag]!) as object;
          break;
        }
        case K_ARRAY: {
          const n = r.varint();
          claim(i, n);
          sizes[i] = n;
          objects[i] = new Array<unknown>(n);
          break;
        }
        case K_MAP:
        case K_SET: {
          const n = r.varint();
          claim(i, kind === K_MAP ? 2 * n : n);
          sizes[i] = n;
          objects[i] = kind === K_MAP ? new Map() : new Set();
          break;
        }
        case K_BYTES: {
          const n = r.varint();
          claim(i, n);
          const flag = r.byte();
          if (flag > 1) throw corrupt(`object ${i}: bad bytes flag ${flag}`);
          if (n > 0 && (kindByte & K_FROZEN) !== 0) throw corrupt(`object ${i}: frozen non-empty bytes`);
          sizes[i] = n;
          objects[i] = flag === 1 ? Buffer.alloc(n) : new Uint8Array(n);
          break;
        }
        case K_SINGLETON: {
          if ((kindByte & K_FROZEN) !== 0) throw corrupt(`object ${i}: bad kind byte 0x${kindByte.toString(16)}`);
          const tag = r.varint();
          if (tag >= SINGLETONS.length) throw corrupt(`object ${i}: unknown singleton tag ${tag}`);
          objects[i] = SINGLETONS[tag]!;
          break;
        }
        default:
          throw corrupt(`object ${i}: unknown kind ${kind}`);
      }
    }
    this.objects = objects;
    // contents
    for (let i = 0; i < objectCount; i++) {
      const kind = kinds[i]! & 0x0f;
      const o = objects[i]!;
      switch (kind) {
        case K_OBJECT: {
          const record = o as Record<string, unknown>;
          // Class instances get their fields defined, as class fields are (an assignment could hit a
          // prototype accessor such as Engine.opsApplied); plain objects only for `__proto__`.
          const define = Object.getPrototypeOf(o) !== Object.prototype;
          for (const key of shapes[sizes[i]!]!) {
            if (define || key === "__proto__") Object.defineProperty(record, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
            else record[key] = this.value();
          }
          break;
        }
        case K_ARRAY: {
          const a = o as unknown[];
          for (let j = 0; j < sizes[i]!; j++) a[j] = this.value();
          break;
        }
        case K_MAP: {
          const m = o as Map<unknown, unknown>;
          for (let j = 0; j < sizes[i]!; j++) {
            const k = this.value();
            m.set(k, this.value());
          }
          if (m.size !== sizes[i]) throw corrupt(`object ${i}: duplicate map key`);
          break;
        }
        case K_SET: {
          const s = o as Set<unknown>;
          for (let j = 0; j < sizes[i]!; j++) s.add(this.value());
          if (s.size !== sizes[i]) throw corrupt(`object ${i}: duplicate set member`);
          break;
        }
        case K_BYTES:
          (o as Uint8Array).set(r.bytes(sizes[i]!));
          break;
        default:
          break; // singletons have no content
      }
    }
    if (r.remaining !== 0) throw corrupt(`${r.remaining} bytes after the last object`);
    // freeze last, once every object is filled (a frozen object may reference later ones)
    for (let i = 0; i < objectCount; i++) {
      if ((kinds[i]! & K_FROZEN) !== 0) Object.freeze(objects[i]);
    }
    return objects[0];
  }

  private stringAt(i: number): string {
    if (i >= this.strings.length) throw corrupt(`unknown string index ${i}`);
    return this.strings[i]!;
  }

  private value(): unknown {
    const r = this.r;
    const tag = r.byte();
    switch (tag) {
      case V_UNDEFINED:
        return undefined;
      case V_NULL:
        return null;
      case V_FALSE:
        return false;
      case V_TRUE:
        return true;
      case V_POS_INT:
        return r.varint();
      case V_NEG_INT: {
        const n = r.varint();
        if (n === 0) throw corrupt("negative zero as an integer");
        return -n;
      }
      case V_FLOAT:
        return r.float();
      case V_POS_BIGINT:
      case V_NEG_BIGINT: {
        const n = r.varint();
        if (n === 0) {
          if (tag === V_NEG_BIGINT) throw corrupt("negative zero bigint");
          return 0n;
        }
        const b = r.bytes(n);
        if (b[0] === 0) throw corrupt("non-canonical bigint");
        const magnitude = BigInt("0x" + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex"));
        return tag === V_NEG_BIGINT ? -magnitude : magnitude;
      }
      case V_STRING:
        return this.stringAt(r.varint());
      case V_REF: {
        const id = r.varint();
        if (id >= this.objects.length) throw corrupt(`dangling object id ${id} (of ${this.objects.length})`);
        return this.objects[id];
      }
      default:
        throw corrupt(`unknown value tag ${tag}`);
    }
  }
}
