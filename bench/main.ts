/**
 * `npm run bench`: every benchmark, each next to a peer measured in the same run, then the settlement
 * contract's gas next to Nitro's published figures.
 *
 *   --json            print only an array of {name, opsPerSecond, peer, peerOpsPerSecond, ratio, …}
 *   --only a,b        run only these groups: amm, orderbook, signatures, channel, sync, consensus, seal, snapshot, gas
 *
 * Gas alone, as JSON: `node dist/bench/settlement.js --json`.
 */
import { benchAmm } from "./amm.js";
import { benchSignatures } from "./channel-sig.js";
import { benchChannel } from "./channel.js";
import { benchConsensus } from "./consensus.js";
import { benchOrderBook } from "./orderbook.js";
import { benchSealing } from "./sealing.js";
import { benchSnapshot } from "./snapshot.js";
import { printGasRows, settlementGas } from "./settlement.js";
import type { BenchRow } from "./support.js";
import { benchSync } from "./sync.js";

const GROUPS: [string, () => Promise<BenchRow[]>][] = [
  ["amm", benchAmm],
  ["orderbook", benchOrderBook],
  ["signatures", benchSignatures],
  ["channel", benchChannel],
  ["sync", benchSync],
  ["consensus", benchConsensus],
  ["seal", benchSealing],
  ["snapshot", benchSnapshot],
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const at = args.indexOf("--only");
  const only = at >= 0 ? new Set((args[at + 1] ?? "").split(",")) : undefined;
  const known = new Set([...GROUPS.map(([name]) => name), "gas"]);
  for (const name of only ?? []) if (!known.has(name)) throw new Error(`--only: unknown group ${name}; groups: ${[...known].join(", ")}`);

  const rows: BenchRow[] = [];
  for (const [name, bench] of GROUPS) {
    if (only !== undefined && !only.has(name)) continue;
    for (const r of await bench()) {
      rows.push(r);
      if (!json) printRow(r);
    }
  }
  if (json) {
    console.log(JSON.stringify(rows));
    return;
  }
  if (only === undefined || only.has("gas")) {
    console.log("\nSettlement gas (embedded EVM) vs Nitro's published figures:");
    printGasRows(await settlementGas());
  }
}

function printRow(r: BenchRow): void {
  const num = (n: number): string => n.toLocaleString("en-US").padStart(12);
  console.log(`${r.name.padEnd(52)} ${num(r.opsPerSecond)} /s   vs ${r.peer.padEnd(40)} ${num(r.peerOpsPerSecond)} /s   ratio ${r.ratio.toFixed(2)}`);
  if (r.note !== undefined) console.log(`    ${r.note}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
