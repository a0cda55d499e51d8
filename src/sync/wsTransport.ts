/**
 * The real-network transport: WebSocket (`ws`) between OS processes, here on 127.0.0.1, with an
 * authenticated handshake.
 *
 * ## Handshake (per connection, both directions at once)
 * 1. Each side sends a text frame `{"t":"hello","v":1,"channelId","address","nonce"}` with a fresh
 *    32-byte random nonce (hex).
 * 2. On the peer's hello, each side signs
 *    `SHA-256("semilattice/sync/handshake/v1" ‖ channelId ‖ peerNonce ‖ ownAddress ‖ peerAddress)`
 *    (all as raw bytes) with its participant key and sends `{"t":"proof","signature"}`.
 * 3. A proof is accepted iff the signature recovers to the address the hello claimed, that address
 *    is one of the channel's participants, the channel ids are equal and it is not this node's own
 *    address. The challenge is the verifier's own fresh nonce, bound to the channel id and both
 *    addresses, so a proof cannot be replayed on another connection, channel or peer.
 * Anything else (a non-participant or unknown key, a wrong channel, a bad signature, a binary frame
 * before the handshake, a hello over 1 KiB, no proof within 5 s) closes the socket with a logged
 * reason. After the handshake every binary frame is one protocol message (`protocol.ts`), at most
 * `maxMessageBytes` (ws `maxPayload`); text frames are then a protocol violation. `ban(peer)` closes
 * the connection (code 4003) and refuses that address from then on.
 *
 * Connections: for each pair, the node with the lower address dials (given the other's URL) and
 * re-dials every `redialMs` while the link is down; the higher one accepts.
 *
 * ## Why WebSocket rather than libp2p here
 * libp2p (TCP + noise + yamux) is the ecosystem's peer-to-peer engine, but libp2p 3 needs a
 * `Promise.withResolvers` polyfill on Node 20 and brings a dependency tree many times larger than
 * `ws` (one small package, no native code). For a fixed, known participant set on known addresses, an
 * authenticated WebSocket gives what the channel needs: ordered reliable streams, message framing,
 * and peers identified by their participant key. What switching to libp2p would buy: encrypted
 * transport without TLS setup (noise; here traffic is authenticated but not encrypted, acceptable on
 * 127.0.0.1, not across the Internet without `wss://`), stream multiplexing, NAT traversal and
 * relays, peer discovery (mDNS, DHT) and gossipsub for large meshes. The {@link Transport} interface
 * is all the sync layer sees, so the switch would be one new file.
 */
import { SemilatticeError } from "../core/errors.js";
import { createHash, randomBytes } from "node:crypto";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { recoverAddress, type Hex, type Signer } from "../channel/identity.js";
import type { Logger, PeerId, Transport, TransportHandlers } from "../runtime/transport.js";
import { silentLogger } from "../runtime/transport.js";
import { DEFAULT_SYNC_LIMITS } from "./protocol.js";

export const HANDSHAKE_DOMAIN = "semilattice/sync/handshake/v1";
const HELLO_MAX_BYTES = 1024;
const HANDSHAKE_TIMEOUT_MS = 5000;

export interface WsTransportOptions {
  signer: Signer;
  /** bytes32 channel id, 0x-hex. */
  channelId: Hex;
  /** Every participant's address (including this node's). */
  participants: readonly string[];
  /** Listen port; 0 = any free port (read {@link WsTransport.port}). Default 0. */
  port?: number;
  host?: string;
  logger?: Logger;
  maxMessageBytes?: number;
  redialMs?: number;
}

/** The handshake digest a node with `ownAddress` signs for the peer that sent `peerNonce`. */
export function handshakeDigest(channelId: string, peerNonce: Uint8Array, ownAddress: string, peerAddress: string): Uint8Array {
  const h = createHash("sha256");
  h.update(HANDSHAKE_DOMAIN);
  h.update(Buffer.from(channelId.slice(2), "hex"));
  h.update(peerNonce);
  h.update(Buffer.from(ownAddress.slice(2), "hex"));
  h.update(Buffer.from(peerAddress.slice(2), "hex"));
  return new Uint8Array(h.digest());
}

interface Conn {
  ws: WebSocket;
  nonce: Uint8Array;
  peer?: PeerId;
  claimed?: PeerId;
  proofSent: boolean;
  authenticated: boolean;
  /** Closed by us: later frames are ignored. */
  refused: boolean;
  timer: NodeJS.Timeout;
}

export class WsTransport implements Transport {
  readonly self: PeerId;
  private handlers: TransportHandlers | undefined;
  private readonly server: WebSocketServer;
  private readonly participants: Set<string>;
  private readonly logger: Logger;
  private readonly live = new Map<PeerId, Conn>();
  private readonly banned = new Set<PeerId>();
  private readonly dialTargets = new Map<PeerId, string>();
  private readonly redialMs: number;
  private closed = false;

  private constructor(
    private readonly opts: WsTransportOptions,
    server: WebSocketServer,
  ) {
    this.self = opts.signer.address;
    this.server = server;
    this.participants = new Set(opts.participants.map((p) => p.toLowerCase()));
    if (!this.participants.has(this.self)) throw new SemilatticeError("NOT_A_PARTICIPANT", `ws transport: ${this.self} is not a participant`);
    this.logger = opts.logger ?? silentLogger;
    this.redialMs = opts.redialMs ?? 200;
    server.on("connection", (ws) => this.adopt(ws));
  }

  /** Starts listening on `host:port` (default 127.0.0.1, any free port). */
  static async listen(opts: WsTransportOptions): Promise<WsTransport> {
    const server = new WebSocketServer({
      host: opts.host ?? "127.0.0.1",
      port: opts.port ?? 0,
      maxPayload: opts.maxMessageBytes ?? DEFAULT_SYNC_LIMITS.maxMessageBytes,
    });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", () => resolve());
      server.once("error", reject);
    });
    return new WsTransport(opts, server);
  }

  /** The port this node listens on. */
  get port(): number {
    const a = this.server.address();
    return typeof a === "object" && a !== null ? a.port : 0;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /**
   * Tells the transport where `peer` listens. The lower address of the pair dials (and re-dials
   * while the link is down); the higher one waits for it.
   */
  addPeer(peer: string, url: string): void {
    const p = peer.toLowerCase();
    if (p === this.self || !this.participants.has(p)) throw new SemilatticeError("NOT_A_PARTICIPANT", `ws transport: ${peer} is not another participant`);
    if (this.self < p) {
      this.dialTargets.set(p, url);
      this.dial(p);
    }
  }

  send(peer: PeerId, bytes: Uint8Array): boolean {
    const c = this.live.get(peer);
    if (c === undefined || c.ws.readyState !== WebSocket.OPEN) return false;
    c.ws.send(bytes);
    return true;
  }

  peers(): PeerId[] {
    return [...this.live.keys()].sort();
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  ban(peer: PeerId, reason: string): void {
    this.banned.add(peer);
    this.dialTargets.delete(peer);
    const c = this.live.get(peer);
    if (c !== undefined) c.ws.close(4003, reason.slice(0, 120));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers = undefined;
    for (const c of this.live.values()) c.ws.terminate();
    for (const ws of this.server.clients) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dial(peer: PeerId): void {
    if (this.closed || this.live.has(peer) || this.banned.has(peer)) return;
    const url = this.dialTargets.get(peer);
    if (url === undefined) return;
    const ws = new WebSocket(url, { maxPayload: this.opts.maxMessageBytes ?? DEFAULT_SYNC_LIMITS.maxMessageBytes });
    ws.on("error", () => {}); // a refused dial is retried on close
    ws.on("open", () => this.adopt(ws, peer));
    ws.on("close", () => {
      if (!this.closed && !this.live.has(peer)) setTimeout(() => this.dial(peer), this.redialMs).unref();
    });
  }

  /** Runs the handshake on a new socket (inbound, or outbound to `expected`). */
  private adopt(ws: WebSocket, expected?: PeerId): void {
    const c: Conn = {
      ws,
      nonce: new Uint8Array(randomBytes(32)),
      proofSent: false,
      authenticated: false,
      refused: false,
      timer: setTimeout(() => this.refuse(c, "handshake timeout"), HANDSHAKE_TIMEOUT_MS),
    };
    c.timer.unref();
    ws.on("error", (e) => this.logger.warn("ws error", { self: this.self, peer: c.peer, error: e.message }));
    ws.on("message", (data: RawData, isBinary: boolean) => this.onFrame(c, data, isBinary, expected));
    ws.on("close", () => {
      clearTimeout(c.timer);
      if (c.authenticated && c.peer !== undefined && this.live.get(c.peer) === c) {
        this.live.delete(c.peer);
        this.handlers?.disconnect(c.peer, "connection closed");
        if (this.dialTargets.has(c.peer) && !this.closed) setTimeout(() => this.dial(c.peer as PeerId), this.redialMs).unref();
      }
    });
    ws.send(JSON.stringify({ t: "hello", v: 1, channelId: this.opts.channelId, address: this.self, nonce: Buffer.from(c.nonce).toString("hex") }));
  }

  private refuse(c: Conn, reason: string): void {
    if (c.refused) return;
    c.refused = true;
    this.logger.warn("ws handshake refused", { self: this.self, peer: c.claimed, reason });
    clearTimeout(c.timer);
    c.ws.close(4001, reason.slice(0, 120));
  }

  private onFrame(c: Conn, data: RawData, isBinary: boolean, expected?: PeerId): void {
    if (c.refused) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (c.authenticated) {
      if (!isBinary) {
        this.logger.warn("peer banned", { self: this.self, peer: c.peer, reason: "text frame after handshake" });
        this.ban(c.peer as PeerId, "text frame after handshake");
        return;
      }
      this.handlers?.message(c.peer as PeerId, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      return;
    }
    if (isBinary || buf.length > HELLO_MAX_BYTES) return this.refuse(c, "binary or oversized frame before the handshake");
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(buf.toString("utf8")) as Record<string, unknown>;
    } catch {
      return this.refuse(c, "handshake frame is not JSON");
    }
    if (msg.t === "hello" && c.claimed === undefined) {
      const address = typeof msg.address === "string" ? msg.address.toLowerCase() : "";
      if (msg.v !== 1) return this.refuse(c, "unknown handshake version");
      if (msg.channelId !== this.opts.channelId) return this.refuse(c, "wrong channel id");
      if (!/^0x[0-9a-f]{40}$/.test(address) || !this.participants.has(address) || address === this.self) {
        return this.refuse(c, `not a participant: ${String(msg.address).slice(0, 60)}`);
      }
      if (this.banned.has(address)) return this.refuse(c, "banned peer");
      if (expected !== undefined && address !== expected) return this.refuse(c, "dialled peer answered with another address");
      if (typeof msg.nonce !== "string" || !/^[0-9a-f]{64}$/.test(msg.nonce)) return this.refuse(c, "bad nonce");
      c.claimed = address;
      const sig = this.opts.signer.sign(handshakeDigest(this.opts.channelId, Buffer.from(msg.nonce, "hex"), this.self, address));
      c.ws.send(JSON.stringify({ t: "proof", signature: Buffer.from(sig).toString("hex") }));
      c.proofSent = true;
      return;
    }
    if (msg.t === "proof" && c.claimed !== undefined) {
      if (typeof msg.signature !== "string" || !/^[0-9a-f]{130}$/.test(msg.signature)) return this.refuse(c, "bad signature encoding");
      const digest = handshakeDigest(this.opts.channelId, c.nonce, c.claimed, this.self);
      if (recoverAddress(digest, Buffer.from(msg.signature, "hex")) !== c.claimed) return this.refuse(c, "signature does not prove the claimed key");
      const peer = c.claimed;
      if (this.live.has(peer)) return this.refuse(c, "already connected");
      clearTimeout(c.timer);
      c.authenticated = true;
      c.peer = peer;
      this.live.set(peer, c);
      this.logger.info("ws peer authenticated", { self: this.self, peer });
      this.handlers?.connect(peer);
      return;
    }
    this.refuse(c, "unexpected handshake message");
  }
}
