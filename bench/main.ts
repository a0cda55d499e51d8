/**
 * `npm run bench`: every benchmark, each next to a peer measured in the same run.
 * `--json` prints an array of {name, opsPerSecond, peer, peerOpsPerSecond, ratio}.
 */
import { benchAmm } from "./amm.js";
import { benchOrderBook } from "./orderbook.js";
import type { BenchRow } from "./support.js";

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const rows: BenchRow[] = [];
  for (const bench of [benchAmm, benchOrderBook]) {
    for (const r of await bench()) {
      rows.push(r);
      if (!json) printRow(r);
    }
  }
  if (json) console.log(JSON.stringify(rows));
}

function printRow(r: BenchRow): void {
  const num = (n: number): string => n.toLocaleString("en-US").padStart(12);
  console.log(`${r.name.padEnd(48)} ${num(r.opsPerSecond)} ops/s   vs ${r.peer.padEnd(36)} ${num(r.peerOpsPerSecond)} ops/s   ratio ${r.ratio.toFixed(2)}`);
  if (r.note !== undefined) console.log(`    ${r.note}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
