/**
 * Prometheus metrics of a node (prom-client, the standard Node client) and the `/metrics` HTTP
 * endpoint that serves them in the text exposition format (version 0.0.4).
 *
 * Metrics (prefix `semilattice_`; units in the names as Prometheus' naming guide asks):
 *
 * | name | type | meaning |
 * |---|---|---|
 * | `ops_submitted_total` | counter | ops this node's participant submitted |
 * | `ops_tentative_total` | counter | of them, applied to the tentative state (local result accepted) |
 * | `ops_final_total` | counter | ops made final by a decided checkpoint (all authors) |
 * | `ops_rejected_total{code}` | counter | ops rejected, by rejection code (a bounded set: `RejectCodes`) |
 * | `finality_latency_ms` | histogram | submit → final at a decided height, ms |
 * | `final_height` | gauge | last decided checkpoint height |
 * | `peers_connected` | gauge | peers with an authenticated connection |
 * | `store_size_bytes` | gauge | bytes of the store on disk |
 * | `chain_cursor_block` | gauge | last chain block the watcher has processed |
 *
 * plus prom-client's default process metrics (`process_cpu_seconds_total`, heap, event-loop lag)
 * unless `defaultMetrics: false`. Each node has its own registry (never the global one), so several
 * nodes in one process (tests) do not mix their figures.
 *
 * The endpoint ({@link startMetricsServer}) answers only `GET /metrics` (and `HEAD`): other paths 404,
 * other methods 405, a request with a body 413; headers ≤ 8 KiB, ≤ 16 connections, 10 s request
 * timeout. It binds where node.json's `metrics` says (127.0.0.1 unless told otherwise).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { RejectCodes, SemilatticeError } from "../core/errors.js";

/** Finality latency buckets, ms: the checkpoint targets (p50 ≤ 20, p99 ≤ 100) fall between buckets. */
export const FINALITY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000];

/** The node's metrics, each a prom-client metric in {@link NodeMetrics.registry}. */
export interface NodeMetrics {
  readonly registry: Registry;
  readonly opsSubmitted: Counter;
  readonly opsTentative: Counter;
  readonly opsFinal: Counter;
  /** Label `code`: a rejection code. */
  readonly opsRejected: Counter<"code">;
  readonly finalityLatencyMs: Histogram;
  readonly finalHeight: Gauge;
  readonly peersConnected: Gauge;
  readonly storeSizeBytes: Gauge;
  readonly chainCursorBlock: Gauge;
}

export interface CreateNodeMetricsParameters {
  /** Labels on every series, e.g. `{participant: "0xab…"}`. */
  labels?: Record<string, string>;
  /** Also collect prom-client's process metrics (CPU, memory, event loop). Default true. */
  defaultMetrics?: boolean;
}

/** A fresh registry with the node's metrics. */
export function createNodeMetrics(params: CreateNodeMetricsParameters = {}): NodeMetrics {
  const registry = new Registry();
  if (params.labels !== undefined) registry.setDefaultLabels(params.labels);
  if (params.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const opsRejected = new Counter({ name: "semilattice_ops_rejected_total", help: "Ops rejected, by rejection code.", labelNames: ["code"] as const, registers });
  return {
    registry,
    opsSubmitted: new Counter({ name: "semilattice_ops_submitted_total", help: "Ops this node's participant submitted.", registers }),
    opsTentative: new Counter({ name: "semilattice_ops_tentative_total", help: "Ops of this participant applied to the tentative state.", registers }),
    opsFinal: new Counter({ name: "semilattice_ops_final_total", help: "Ops made final by a decided checkpoint.", registers }),
    opsRejected,
    finalityLatencyMs: new Histogram({ name: "semilattice_finality_latency_ms", help: "Time from submit to final at a decided checkpoint, ms.", buckets: [...FINALITY_BUCKETS_MS], registers }),
    finalHeight: new Gauge({ name: "semilattice_final_height", help: "Last decided checkpoint height.", registers }),
    peersConnected: new Gauge({ name: "semilattice_peers_connected", help: "Peers with an authenticated connection.", registers }),
    storeSizeBytes: new Gauge({ name: "semilattice_store_size_bytes", help: "Bytes of the node's store on disk.", registers }),
    chainCursorBlock: new Gauge({ name: "semilattice_chain_cursor_block", help: "Last chain block the watcher has processed.", registers }),
  };
}

/** Counts a rejection; `code` outside the known rejection codes is counted as `OTHER` (labels stay a bounded set). */
export function countRejected(metrics: NodeMetrics, code: string): void {
  metrics.opsRejected.inc({ code: (RejectCodes as readonly string[]).includes(code) ? code : "OTHER" });
}

/** The metrics endpoint could not start (e.g. the port is taken). */
export class MetricsServerError extends SemilatticeError {
  override name = "MetricsServerError";
  constructor(message: string, cause?: unknown) {
    super("METRICS_SERVER_FAILED", message, { cause });
  }
}

export interface StartMetricsServerParameters {
  registry: Registry;
  host: string;
  /** 0 = an ephemeral port (tests); the bound port is in the result. */
  port: number;
}

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends open connections, resolves when closed. */
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 8 * 1024;
const MAX_CONNECTIONS = 16;
const REQUEST_TIMEOUT_MS = 10_000;

/** Serves `registry` at `GET http://host:port/metrics`. Throws {@link MetricsServerError} if it cannot listen. */
export async function startMetricsServer(params: StartMetricsServerParameters): Promise<MetricsServer> {
  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    void handle(params.registry, req, res);
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(new MetricsServerError(`metrics endpoint cannot listen on ${params.host}:${params.port}: ${error.message}`, error));
    server.once("error", onError);
    server.listen(params.port, params.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = params.host.includes(":") ? `[${params.host}]` : params.host;
  return {
    url: `http://${shownHost}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
    res.end(req.method === "HEAD" ? undefined : body);
  };
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/metrics") return send(404, "not found: the only path is /metrics\n");
  if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed: GET /metrics\n", { allow: "GET, HEAD" });
  const length = req.headers["content-length"];
  if ((length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined) {
    res.setHeader("connection", "close");
    return send(413, "a metrics request has no body\n");
  }
  try {
    const body = await registry.metrics();
    send(200, body, { "content-type": registry.contentType });
  } catch (error) {
    send(500, `metrics collection failed: ${(error as Error).message}\n`);
  }
}
