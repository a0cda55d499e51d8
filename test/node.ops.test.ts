import { request } from "node:http";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/node/logger.js";
import { countRejected, createNodeMetrics, startMetricsServer } from "../src/node/metrics.js";
import type { Logger } from "../src/sync/transport.js";

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("logger (pino)", () => {
  it("writes one JSON object per record with the fields, bigints as decimal strings, and honours the level", () => {
    const out = sink();
    const logger = createLogger({ level: "info", destination: out.stream, base: { node: "0xabc" } });
    const asTransportLogger: Logger = logger; // conforms to the sync layer's interface
    asTransportLogger.info("peer connected", { peer: "0x01", amount: 12345678901234567890123n });
    logger.warn("peer cut off", { reason: "oversized frame" });
    logger.debug("not shown at info");
    logger.child({ component: "sync" }).error("boom", { err: new Error("bad") });
    const lines = out.lines();
    expect(lines.map((l) => l["msg"])).toEqual(["peer connected", "peer cut off", "boom"]);
    expect(lines[0]).toMatchObject({ level: 30, node: "0xabc", peer: "0x01", amount: "12345678901234567890123" });
    expect(typeof lines[0]!["time"]).toBe("number");
    expect(lines[1]).toMatchObject({ level: 40, reason: "oversized frame" });
    expect(lines[2]).toMatchObject({ level: 50, component: "sync", err: { type: "Error", message: "bad" } });
  });

  it("silent logs nothing; debug logs debug", () => {
    const quiet = sink();
    createLogger({ level: "silent", destination: quiet.stream }).warn("x");
    expect(quiet.lines()).toEqual([]);
    const loud = sink();
    createLogger({ level: "debug", destination: loud.stream }).debug("y", { n: 1 });
    expect(loud.lines()).toMatchObject([{ level: 20, msg: "y", n: 1 }]);
  });
});

function get(url: string, method = "GET", body?: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body === undefined ? {} : { "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), type: res.headers["content-type"] }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The value of one sample line `name{labels} value` in the exposition text. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

describe("metrics (prom-client) and the /metrics endpoint", () => {
  it("serves the node's metrics; a scrape parses to the values set", async () => {
    const metrics = createNodeMetrics({ labels: { participant: "0xab" } });
    metrics.opsSubmitted.inc(5);
    metrics.opsTentative.inc(4);
    metrics.opsFinal.inc(3);
    countRejected(metrics, "SLIPPAGE");
    countRejected(metrics, "SLIPPAGE");
    countRejected(metrics, "made up");
    metrics.finalityLatencyMs.observe(7);
    metrics.finalityLatencyMs.observe(40);
    metrics.finalHeight.set(12);
    metrics.peersConnected.set(3);
    metrics.storeSizeBytes.set(4096);
    metrics.chainCursorBlock.set(99);
    const server = await startMetricsServer({ registry: metrics.registry, host: "127.0.0.1", port: 0 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
      const r = await get(server.url);
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
      const L = 'participant="0xab"';
      expect(sample(r.body, `semilattice_ops_submitted_total{${L}}`)).toBe(5);
      expect(sample(r.body, `semilattice_ops_tentative_total{${L}}`)).toBe(4);
      expect(sample(r.body, `semilattice_ops_final_total{${L}}`)).toBe(3);
      expect(sample(r.body, `semilattice_ops_rejected_total{code="SLIPPAGE",${L}}`)).toBe(2);
      expect(sample(r.body, `semilattice_ops_rejected_total{code="OTHER",${L}}`)).toBe(1);
      expect(sample(r.body, `semilattice_finality_latency_ms_bucket{le="10",${L}}`)).toBe(1);
      expect(sample(r.body, `semilattice_finality_latency_ms_bucket{le="50",${L}}`)).toBe(2);
      expect(sample(r.body, `semilattice_finality_latency_ms_sum{${L}}`)).toBe(47);
      expect(sample(r.body, `semilattice_finality_latency_ms_count{${L}}`)).toBe(2);
      expect(sample(r.body, `semilattice_final_height{${L}}`)).toBe(12);
      expect(sample(r.body, `semilattice_peers_connected{${L}}`)).toBe(3);
      expect(sample(r.body, `semilattice_store_size_bytes{${L}}`)).toBe(4096);
      expect(sample(r.body, `semilattice_chain_cursor_block{${L}}`)).toBe(99);
      expect(r.body).toContain("process_cpu_user_seconds_total");
      metrics.finalHeight.set(13);
      expect(sample((await get(server.url)).body, `semilattice_final_height{${L}}`)).toBe(13);
    } finally {
      await server.close();
    }
  });

  it("answers only GET /metrics: other paths 404, other methods 405, a body 413", async () => {
    const metrics = createNodeMetrics({ defaultMetrics: false });
    const server = await startMetricsServer({ registry: metrics.registry, host: "127.0.0.1", port: 0 });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect((await get(`${base}/`)).status).toBe(404);
      expect((await get(`${base}/metrics/x`)).status).toBe(404);
      expect((await get(`${base}/metrics`, "POST")).status).toBe(405);
      expect((await get(`${base}/metrics`, "GET", "x".repeat(100))).status).toBe(413);
      const head = await get(`${base}/metrics`, "HEAD");
      expect(head.status).toBe(200);
      expect(head.body).toBe("");
      expect((await get(`${base}/metrics`)).body).not.toContain("process_cpu");
    } finally {
      await server.close();
    }
  });

  it("fails clearly when the port is taken", async () => {
    const metrics = createNodeMetrics({ defaultMetrics: false });
    const first = await startMetricsServer({ registry: metrics.registry, host: "127.0.0.1", port: 0 });
    try {
      await expect(startMetricsServer({ registry: metrics.registry, host: "127.0.0.1", port: first.port })).rejects.toThrow(/metrics endpoint cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
