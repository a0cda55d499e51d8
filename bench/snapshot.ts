/**
 * Engine snapshots (`src/core/serialize.ts`): encode and decode of the engine the Coinbase level-2
 * replay leaves (10 books, every resting order), next to `cloneEngine` (`src/core/snapshot.ts`), the
 * in-memory deep copy of the same graph, as the peer. One "op" is one whole engine encoded, decoded
 * or cloned; the note gives the snapshot's size.
 */
import { Engine } from "../src/core/engine.js";
import { decodeEngine, encodeEngine } from "../src/core/serialize.js";
import { cloneEngine } from "../src/core/snapshot.js";
import { replayCoinbase } from "../src/replay/coinbase.js";
import { defaultDataDir } from "../src/replay/paths.js";
import { measure, row, type BenchRow } from "./support.js";

export function benchSnapshot(): Promise<BenchRow[]> {
  const engine = new Engine();
  replayCoinbase(engine, { dataDir: defaultDataDir() });
  const bytes = encodeEngine(engine);
  const orders = [...engine.state.markets.values()].reduce((n, m) => n + m.orders.size, 0);
  const opts = { opsPerRun: 1, minSeconds: 1, warmupRuns: 2 };
  const clone = measure({ ...opts, setup: () => engine, run: (e) => void cloneEngine(e) });
  const encode = measure({ ...opts, setup: () => engine, run: (e) => void encodeEngine(e) });
  const decode = measure({ ...opts, setup: () => bytes, run: (b) => void decodeEngine(b) });
  const note = `Coinbase-flow engine: ${orders} resting orders, snapshot ${bytes.length} bytes (${(bytes.length / 1024 / 1024).toFixed(2)} MiB); rates are whole engines per second`;
  return Promise.resolve([
    row("snapshot: encodeEngine, Coinbase-flow engine", encode, "cloneEngine (in-memory deep copy)", clone, note),
    row("snapshot: decodeEngine, Coinbase-flow engine", decode, "cloneEngine (in-memory deep copy)", clone),
  ]);
}
