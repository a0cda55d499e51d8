/**
 * The compiled contracts the settlement layer deploys at run time (`Adjudicator`, and `TestToken`, the
 * mintable ERC-20 the demo and the examples fund parties with): ABI, creation and runtime bytecode.
 *
 * They are compiled at BUILD time (`npm run build` / `prepare` runs `scripts/build-artifacts.mjs`,
 * which compiles `contracts/` with solc-js through `compile.ts`) into `dist/artifacts/contracts.json`,
 * which ships in the npm package; solc is a build tool, not a run-time need.
 *
 * In a source checkout (a `contracts/` folder beside package.json) the file is used only while it
 * was built from the sources as they are now (SHA-256 of every `.sol` file); after an edit the
 * contracts are compiled again through `compileContracts` (cached under `cache/solc/`), so tests
 * always run the current sources.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SemilatticeError } from "../core/errors.js";
import { compileContracts, sourceHashes, type ContractArtifact } from "./compile.js";

/** Contracts built into the package (the rest, e.g. contracts/test/MaliciousToken.sol, stay test-time). */
export const SHIPPED_CONTRACTS = ["Adjudicator", "TestToken"] as const;

/** Path of the built artifacts file, relative to the package root. */
export const ARTIFACTS_FILE = join("dist", "artifacts", "contracts.json");

/** The shape of {@link ARTIFACTS_FILE}. */
export interface ArtifactsFile {
  /** solc-js version that compiled them. */
  solcVersion: string;
  /** SHA-256 of every `contracts/**.sol` source at build time, by unit name. */
  sources: Record<string, string>;
  contracts: Record<string, ContractArtifact>;
}

/** The contract's artifact is neither built into the package nor compilable here. */
export class ArtifactNotFoundError extends SemilatticeError {
  override name = "ArtifactNotFoundError";
  declare readonly code: "ARTIFACT_NOT_FOUND";
  constructor(contract: string, details: string) {
    super("ARTIFACT_NOT_FOUND", `settlement: no compiled contract ${contract}`, { details, docsPath: "settlement.md" });
  }
}

let cache: { root: string; file: ArtifactsFile | undefined } | undefined;

/** The package root: the nearest folder above this module holding package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new SemilatticeError("PACKAGE_ROOT_NOT_FOUND", `settlement: cannot find the package root (package.json) above ${fileURLToPath(import.meta.url)}`);
}

function shipped(root: string): ArtifactsFile | undefined {
  if (cache?.root === root) return cache.file;
  const path = join(root, ARTIFACTS_FILE);
  const file = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as ArtifactsFile) : undefined;
  cache = { root, file };
  return file;
}

/**
 * The artifact of `contract`: the built one when it is current, else (source checkout) compiled now.
 * @throws ArtifactNotFoundError when the package has no built artifact for it (run `npm run build`)
 */
export function loadArtifact(contract: string, root: string = packageRoot()): ContractArtifact {
  const file = shipped(root);
  const checkout = existsSync(join(root, "contracts"));
  if (file !== undefined && (!checkout || sameSources(file.sources, sourceHashes(root)))) {
    const built = file.contracts[contract];
    if (built !== undefined) return built;
    if (!checkout) throw new ArtifactNotFoundError(contract, `the package's ${ARTIFACTS_FILE} has ${Object.keys(file.contracts).join(", ")}`);
  }
  if (!checkout) throw new ArtifactNotFoundError(contract, `${join(root, ARTIFACTS_FILE)} is missing: build the package (npm run build)`);
  const compiled = compileContracts({ root })[contract];
  if (compiled === undefined) throw new ArtifactNotFoundError(contract, `contracts/ in ${root} defines no contract ${contract}`);
  return compiled;
}

function sameSources(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
