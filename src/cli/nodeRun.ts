/**
 * `semilattice node --home DIR`: runs one participant node from its home (src/node/node.ts) until
 * SIGINT or SIGTERM: loads and validates the home (config.ts, keystore.ts), logs JSON lines (pino) at
 * the home's level, serves metrics when node.json has `metrics`, writes its PID to `<home>/node.pid`
 * (removed at a clean stop), and on a signal stops the node (flush, close the store) and exits 0.
 * A bad home or key exits 2 with the reason; a failure while running exits 1.
 */
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadNodeHome } from "../node/config.js";
import { KeystoreError } from "../node/keystore.js";
import { createLogger } from "../node/logger.js";
import { countRejected, createNodeMetrics, startMetricsServer, type MetricsServer, type NodeMetrics } from "../node/metrics.js";
import { Node } from "../node/node.js";
import { writeSecretFile } from "../node/keystore.js";

export interface NodeFlags {
  home: string;
  passwordFile?: string;
  insecureKey?: boolean;
  logLevel?: string;
}

/** Runs the node until a signal; resolves to the exit code. */
export async function nodeCommand(flags: NodeFlags): Promise<number> {
  let loaded: Awaited<ReturnType<typeof loadNodeHome>>;
  try {
    loaded = await loadNodeHome(flags.home, { ...(flags.passwordFile === undefined ? {} : { passwordFile: flags.passwordFile }), insecureKey: flags.insecureKey === true });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof KeystoreError) {
      console.error(`semilattice node: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const { home, definition, settings, signer } = loaded;
  const logger = createLogger({ level: settings.logLevel, base: { node: signer.address } });
  const node = new Node({ channel: definition, settings, home: home.dir, signer, logger });
  let metricsServer: MetricsServer | undefined;
  const pidFile = join(home.dir, "node.pid");
  try {
    await node.start();
    if (settings.metrics !== undefined) {
      const metrics = createNodeMetrics({ labels: { participant: signer.address } });
      wireMetrics(node, metrics);
      metricsServer = await startMetricsServer({ registry: metrics.registry, ...settings.metrics });
      logger.info("metrics endpoint", { url: metricsServer.url });
    }
    writeSecretFile(pidFile, `${process.pid}\n`);
  } catch (error) {
    logger.error("node failed to start", { err: error });
    await node.stop().catch(() => undefined);
    await metricsServer?.close();
    logger.flush();
    return 1;
  }
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info("stopping", { signal });
  let code = 0;
  try {
    await node.stop();
  } catch (error) {
    logger.error("stop failed", { err: error });
    code = 1;
  }
  await metricsServer?.close();
  try {
    unlinkSync(pidFile);
  } catch {
    /* already gone */
  }
  logger.flush();
  return code;
}

/**
 * Feeds the node's events into its metrics: op lifecycle (pending → submitted, tentative, final with
 * the submit-to-final latency, rejected by code), decided heights, peers connected (sampled at each
 * decision and scrape-independent). Submit times of open ops are kept in a map bounded by the ops
 * still in flight.
 */
function wireMetrics(node: Node, metrics: NodeMetrics): void {
  const submittedAt = new Map<number, number>();
  node.on("op", (id, state) => {
    switch (state.status) {
      case "pending":
        metrics.opsSubmitted.inc();
        submittedAt.set(id, performance.now());
        break;
      case "tentative":
        metrics.opsTentative.inc();
        break;
      case "final": {
        metrics.opsFinal.inc();
        const t = submittedAt.get(id);
        if (t !== undefined) metrics.finalityLatencyMs.observe(performance.now() - t);
        submittedAt.delete(id);
        break;
      }
      case "rejected":
        countRejected(metrics, state.code);
        submittedAt.delete(id);
        break;
    }
  });
  node.on("decided", (value) => {
    metrics.finalHeight.set(value.height);
    metrics.peersConnected.set(node.status().peers.length);
  });
}
