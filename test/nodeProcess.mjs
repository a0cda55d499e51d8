/* global process, Buffer, setInterval, clearInterval */
// Test-only entry: one participant Node as its own OS process, built from a JSON file (until
// `semilattice node --home DIR` reads a real node home). Runs the compiled package (dist/).
//
//   node test/nodeProcess.mjs CONFIG.json
//
// CONFIG: {channel, settings, home, privateKey, wsLimits?, loadEveryMs?} with bigints as {"$n": "…"}.
// stdout, one JSON line each: {t:"ready"} once started; {t:"final", batchId, index, height, result}
// for each own op final here; answers to stdin commands, one JSON line each:
//   {t:"load", on}             start / stop submitting a transfer every loadEveryMs
//   {t:"status"}               → {t:"status", height, stateRoot, finalOps, peers, checkpoint, evidence, equivocations, lastSeq}
//   {t:"opStatus", handles}    → {t:"opStatus", states}
//   {t:"checkpoint", height}   → {t:"checkpoint", value, certificate}  (the decision and certificate at that height, or null)
//   {t:"stop"}                 → graceful stop, then exit 0
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createSigner } from "../dist/src/channel/identity.js";
import { Node } from "../dist/src/node/node.js";

const toWire = (v) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? { $n: x.toString() } : x instanceof Uint8Array ? Buffer.from(x).toString("hex") : x));
const fromWire = (t) =>
  JSON.parse(t, (_k, v) => (v !== null && typeof v === "object" && !Array.isArray(v) && typeof v.$n === "string" && Object.keys(v).length === 1 ? BigInt(v.$n) : v));
const out = (m) => process.stdout.write(toWire(m) + "\n");

const cfg = fromWire(readFileSync(process.argv[2], "utf8"));
const signer = createSigner(cfg.privateKey);
const node = new Node({ channel: cfg.channel, settings: cfg.settings, home: cfg.home, signer, wsLimits: cfg.wsLimits, logger: { info() {}, warn: (m, f) => process.stderr.write(`warn ${m} ${toWire(f ?? {})}\n`) } });
const others = cfg.channel.participants.map((p) => p.address.toLowerCase()).filter((a) => a !== signer.address);

let timer;
let k = 0;
function load(on) {
  clearInterval(timer);
  if (!on) return;
  timer = setInterval(() => {
    if (!node.isRunning) return;
    const t = node.submit({ type: "transfer", from: signer.address, to: others[k++ % others.length], token: "USDC", amount: BigInt(1 + (k % 97)) });
    node.flush();
    void t;
  }, cfg.loadEveryMs ?? 10);
}

node.on("op", (_id, s) => {
  if (s.status === "final") out({ t: "final", batchId: s.batchId, index: s.index, height: s.height, result: s.result });
});

const stop = async () => {
  load(false);
  await node.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

await node.start();
out({ t: "ready", address: signer.address });

createInterface({ input: process.stdin }).on("line", (line) => {
  const m = fromWire(line);
  if (m.t === "load") load(m.on === true);
  else if (m.t === "status") {
    const st = node.status();
    const cert = node.latestCertificate();
    out({
      t: "status",
      ...st,
      checkpoint: cert?.checkpoint ?? null,
      evidence: node.checkpointer.evidence().map((e) => e.sender),
      equivocations: node.replica.equivocations().length,
      lastSeq: node.store.lastSeq,
      nextHeight: node.checkpointer.height,
    });
  } else if (m.t === "opStatus") {
    out({ t: "opStatus", states: m.handles.map((h) => node.opStatus(h) ?? null).map((s) => (s === null ? null : { status: s.status, height: s.height, result: s.result })) });
  } else if (m.t === "checkpoint") {
    const d = node.store.decision(m.height);
    const c = node.certificate(m.height);
    out({
      t: "checkpoint",
      value: d === undefined ? null : { stateRoot: d.value.stateRoot, exitRoot: d.value.exitRoot, timeMs: d.value.timeMs, heads: d.value.heads },
      certificate: c === undefined ? null : { checkpoint: c.checkpoint, signers: c.signatures.length },
    });
  } else if (m.t === "stop") void stop();
});
