/**
 * The one interface the sync layer talks through, whatever carries the bytes: the in-process
 * simulated network ({@link ./simNetwork.ts}) or WebSocket between OS processes ({@link ./wsTransport.ts}).
 *
 * A transport moves opaque byte strings between **authenticated** peers: a {@link PeerId} is the
 * participant's Ethereum address (`0x` + 40 lowercase hex). The simulated network trusts its own
 * wiring; the WebSocket transport proves the address with a signed challenge before a peer is
 * reported as connected. Delivery is best-effort: messages may be lost, duplicated or reordered (the
 * reconciliation protocol is built for that, Kleppmann & Howard 2020 §4), never altered in transit
 * by the transport itself (a Byzantine *peer* may send anything).
 *
 * Also here: {@link Clock} (timers in virtual or real time), {@link Logger} (small and
 * injectable; pino is not a dependency: tests pass {@link silentLogger}, the CLI {@link stderrLogger})
 * and {@link muxTransport}, which splits one transport into two logical ones by a leading tag byte
 * (0 = sync, 1 = checkpoint consensus): each side sees only its own messages, connects and
 * disconnects go to both, and a message with another tag is a protocol violation (the peer is banned).
 *
 * These are runtime pieces shared by the channel's checkpoint layer and the sync layer, so both
 * import them from here (`src/runtime/` imports only `src/core/`).
 */

/** A participant's address, `0x` + 40 lowercase hex. */
export type PeerId = string;

export interface TransportHandlers {
  /** A message from an authenticated peer. `bytes` is owned by the receiver. */
  message(from: PeerId, bytes: Uint8Array): void;
  /** A peer became reachable (handshake done / link up / partition healed / restart). */
  connect(peer: PeerId): void;
  /** A peer became unreachable, with a human reason. */
  disconnect(peer: PeerId, reason: string): void;
}

export interface Transport {
  /** This node's own peer id. */
  readonly self: PeerId;
  /** Sends `bytes` to `peer`. Returns false when the peer is not connected (the message is dropped). */
  send(peer: PeerId, bytes: Uint8Array): boolean;
  /** Peers currently connected, sorted. */
  peers(): PeerId[];
  /** Installs the handlers (one set per transport; a second call replaces the first). */
  setHandlers(handlers: TransportHandlers): void;
  /**
   * Cuts `peer` off (it sent invalid data): closes the link and refuses it from then on.
   * `reason` is logged by the caller; transports pass it to the far side where they can.
   */
  ban(peer: PeerId, reason: string): void;
  /** Closes every link; no handler is called afterwards. */
  close(): Promise<void>;
}

/** Timers. Virtual time in the simulation, `setTimeout` in real processes. */
export interface Clock {
  /** Milliseconds (virtual or since the process started). */
  now(): number;
  /** Calls `fn` once after `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** A real-time {@link Clock} on `setTimeout` (timers are unref'd so they never keep a process alive). */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** Structured log lines: a message plus a flat record of fields. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {} };

/** One line per record on stderr: `level msg {json fields}`. */
export const stderrLogger: Logger = {
  info(msg, fields) {
    process.stderr.write(`info ${msg}${fields === undefined ? "" : " " + safeJson(fields)}\n`);
  },
  warn(msg, fields) {
    process.stderr.write(`warn ${msg}${fields === undefined ? "" : " " + safeJson(fields)}\n`);
  },
};

/** Warnings on stderr (peers cut off, refused handshakes), nothing else: the CLI's default. */
export const stderrWarnLogger: Logger = { info() {}, warn: (msg, fields) => stderrLogger.warn(msg, fields) };

/** A logger that keeps records in memory (tests read them; the sim prints them on failure). */
export class MemoryLogger implements Logger {
  readonly records: { level: "info" | "warn"; msg: string; fields: Record<string, unknown> }[] = [];
  constructor(private readonly limit = 10_000) {}
  info(msg: string, fields: Record<string, unknown> = {}): void {
    if (this.records.length < this.limit) this.records.push({ level: "info", msg, fields });
  }
  warn(msg: string, fields: Record<string, unknown> = {}): void {
    if (this.records.length < this.limit) this.records.push({ level: "warn", msg, fields });
  }
}

function safeJson(fields: Record<string, unknown>): string {
  return JSON.stringify(fields, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/* ───────────────────────────── multiplexing ───────────────────────────── */

export const MUX_SYNC = 0;
export const MUX_CONSENSUS = 1;

class SubTransport implements Transport {
  handlers: TransportHandlers | undefined;
  constructor(
    private readonly base: Transport,
    private readonly tag: number,
  ) {}
  get self(): PeerId {
    return this.base.self;
  }
  send(peer: PeerId, bytes: Uint8Array): boolean {
    const framed = new Uint8Array(bytes.length + 1);
    framed[0] = this.tag;
    framed.set(bytes, 1);
    return this.base.send(peer, framed);
  }
  peers(): PeerId[] {
    return this.base.peers();
  }
  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }
  ban(peer: PeerId, reason: string): void {
    this.base.ban(peer, reason);
  }
  close(): Promise<void> {
    return this.base.close();
  }
}

/** Two logical transports over one (see the module comment): give `sync` to the sync layer and `consensus` to the checkpointer. */
export function muxTransport(base: Transport): { sync: Transport; consensus: Transport } {
  const sync = new SubTransport(base, MUX_SYNC);
  const consensus = new SubTransport(base, MUX_CONSENSUS);
  const sides = [sync, consensus];
  base.setHandlers({
    message(from, bytes) {
      const side = bytes.length > 0 ? sides[bytes[0]!] : undefined;
      if (side === undefined) return base.ban(from, "unknown multiplex tag");
      side.handlers?.message(from, bytes.subarray(1));
    },
    connect(peer) {
      for (const s of sides) s.handlers?.connect(peer);
    },
    disconnect(peer, reason) {
      for (const s of sides) s.handlers?.disconnect(peer, reason);
    },
  });
  return { sync, consensus };
}
