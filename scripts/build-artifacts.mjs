// Build step (npm run build / prepare, after tsc): compiles contracts/ with solc-js and writes the
// contracts the package deploys at run time to dist/artifacts/contracts.json (see
// src/settlement/artifacts.ts). solc and @openzeppelin/contracts are needed here only.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileContracts, sourceHashes } from "../dist/src/settlement/compile.js";
import { ARTIFACTS_FILE, SHIPPED_CONTRACTS } from "../dist/src/settlement/artifacts.js";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const all = compileContracts({ root });
const contracts = {};
for (const name of SHIPPED_CONTRACTS) {
  const artifact = all[name];
  if (artifact === undefined) throw new Error(`build-artifacts: contracts/ defines no ${name} (have ${Object.keys(all).join(", ")})`);
  contracts[name] = artifact;
}
const solcVersion = createRequire(import.meta.url)("solc").version();
const path = join(root, ARTIFACTS_FILE);
mkdirSync(dirname(path), { recursive: true });
writeFileSync(`${path}.tmp`, JSON.stringify({ solcVersion, sources: sourceHashes(root), contracts }) + "\n");
renameSync(`${path}.tmp`, path);
