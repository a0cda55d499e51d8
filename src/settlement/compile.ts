/**
 * Compiles the settlement contracts (`contracts/*.sol`, `contracts/test/*.sol`) with solc-js
 * (Solidity compiler 0.8.30, standard JSON input/output: https://docs.soliditylang.org/en/v0.8.30/using-the-compiler.html#compiler-input-and-output-json-description),
 * OpenZeppelin imports resolved from `node_modules/@openzeppelin/contracts` (5.4.0), optimizer on.
 *
 * solc-js is slow (seconds per compile), so the output is cached on disk under `cache/solc/`, keyed by
 * SHA-256 over the compiler version, the settings and every source file read during the compile
 * (contracts and the OpenZeppelin files they import). A cache entry records the files it read and
 * their hashes; it is used only if all still hash the same, otherwise the sources are compiled again
 * (a clean checkout always compiles from source).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

export interface ContractArtifact {
  readonly abi: Abi;
  /** Creation bytecode, 0x-hex. */
  readonly bytecode: Hex;
  /** Runtime bytecode, 0x-hex (its length is the deployed code size). */
  readonly deployedBytecode: Hex;
}

export type Artifacts = Readonly<Record<string, ContractArtifact>>;

/** Compiler settings; part of the cache key. */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
} as const;

interface SolcModule {
  version(): string;
  compile(input: string, callbacks?: { import: (path: string) => { contents: string } | { error: string } }): string;
}

interface CacheEntry {
  key: string;
  /** Every file read by the compile (source unit name → SHA-256 of its contents). */
  files: Record<string, string>;
  artifacts: Record<string, ContractArtifact>;
}

const require = createRequire(import.meta.url);

/** The repository root: this file is src/settlement/compile.ts or dist/src/settlement/compile.js. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "contracts"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("compile: cannot find the repository root (a directory with package.json and contracts/)");
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Every `.sol` file under `<root>/contracts/` as a source unit name (`contracts/Adjudicator.sol`), sorted. */
export function listSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".sol")) out.push(relative(root, path).split("\\").join("/"));
    }
  };
  walk(join(root, "contracts"));
  return out;
}

/** SHA-256 of each source under `<root>/contracts/` by unit name: what {@link compileContracts} compiles. */
export function sourceHashes(root: string): Record<string, string> {
  return Object.fromEntries(listSources(root).map((unit) => [unit, sha256(readFileSync(join(root, unit), "utf8"))]));
}

/** Resolves an import's source unit name to a file: `@openzeppelin/…` from node_modules, else the repo. */
function resolveImport(root: string, unit: string): string {
  if (unit.startsWith("@openzeppelin/contracts/")) {
    const pkg = dirname(require.resolve("@openzeppelin/contracts/package.json"));
    return join(pkg, unit.slice("@openzeppelin/contracts/".length));
  }
  const path = resolve(root, unit);
  if (!path.startsWith(root)) throw new Error(`compile: import ${unit} escapes the repository`);
  return path;
}

function loadCache(path: string, root: string, key: string): Artifacts | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const entry = JSON.parse(readFileSync(path, "utf8")) as CacheEntry;
    if (entry.key !== key) return undefined;
    for (const [unit, hash] of Object.entries(entry.files)) {
      const file = resolveImport(root, unit);
      if (!existsSync(file) || sha256(readFileSync(file, "utf8")) !== hash) return undefined;
    }
    return entry.artifacts;
  } catch {
    return undefined; // a corrupt or foreign cache file is simply recompiled
  }
}

/**
 * Compiles every contract under `contracts/` (or returns the cached artifacts when no file changed).
 * @returns artifacts by contract name (`Adjudicator`, `TestToken`, `MaliciousToken`)
 * @throws Error with solc's formatted messages when compilation fails
 */
export function compileContracts(opts: { root?: string; cacheDir?: string } = {}): Artifacts {
  const root = opts.root ?? repoRoot();
  const solc = require("solc") as SolcModule;
  const sources = listSources(root);
  const contents: Record<string, string> = {};
  for (const unit of sources) contents[unit] = readFileSync(join(root, unit), "utf8");
  const key = sha256(JSON.stringify({ version: solc.version(), settings: SOLC_SETTINGS, sources: Object.entries(contents).map(([u, c]) => [u, sha256(c)]) }));
  const cacheDir = opts.cacheDir ?? join(root, "cache", "solc");
  const cachePath = join(cacheDir, `${key}.json`);
  const cached = loadCache(cachePath, root, key);
  if (cached !== undefined) return cached;

  const files: Record<string, string> = {};
  for (const [unit, text] of Object.entries(contents)) files[unit] = sha256(text);
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(contents).map(([unit, content]) => [unit, { content }])),
    settings: SOLC_SETTINGS,
  };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import(unit: string) {
        try {
          const text = readFileSync(resolveImport(root, unit), "utf8");
          files[unit] = sha256(text);
          return { contents: text };
        } catch (e) {
          return { error: `cannot read ${unit}: ${(e as Error).message}` };
        }
      },
    }),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join("\n")}`);
  const artifacts: Record<string, ContractArtifact> = {};
  for (const unit of sources) {
    for (const [name, c] of Object.entries(output.contracts?.[unit] ?? {})) {
      if (c.evm.bytecode.object.length === 0) continue; // interfaces, abstract contracts
      artifacts[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
    }
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cachePath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ key, files, artifacts } satisfies CacheEntry));
  renameSync(tmp, cachePath); // atomic: concurrent test workers never read half a file
  return artifacts;
}

/** One artifact by contract name; throws if the contract does not exist. */
export function artifact(name: string, artifacts: Artifacts = compileContracts()): ContractArtifact {
  const a = artifacts[name];
  if (a === undefined) throw new Error(`compile: no contract ${name} (have ${Object.keys(artifacts).join(", ")})`);
  return a;
}
