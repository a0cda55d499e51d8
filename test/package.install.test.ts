/**
 * The package as a user gets it (issue 12): `npm pack`, then the tarball installed into an empty
 * folder offline, then the CLI and the README's library example run from there.
 *
 * - The tarball is packed from a copy of the repository's files (`git ls-files`, plus untracked
 *   files that are not ignored), so the `prepare` build writes the copy's dist/, never the dist/ that
 *   other test files run at the same time; the copy links node_modules/ and reuses cache/solc/.
 * - The install is `npm ci --offline` in a temporary folder whose package.json depends only on the
 *   tarball, with a lockfile holding the tarball and the run-time closure of its dependencies taken
 *   from this repository's package-lock.json: so only tarballs that `npm ci` put into the npm cache
 *   are read (an offline `npm install <tgz>` would also need registry metadata that `npm ci` never
 *   fetches).
 * - Then: `semilattice --help`, `semilattice amm quote` (Uniswap V2's reference value), `semilattice
 *   run` of a shipped example scenario (its summary equals the in-repo engine's), the data folder
 *   shipped and found, solc absent (contracts were compiled at build time), and examples/seed-flow.mjs
 *   copied into the folder and run: every on-chain balance equals the final channel state.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScenario, runScenario } from "../src/cli/scenario.js";

const ROOT = resolve(import.meta.dirname, "..");
const STEP_TIMEOUT_MS = 240_000;

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", timeout: STEP_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/** The lock entries of `deps` and everything they need at run time, resolved as Node resolves them from `from`. */
function runtimeClosure(packages: Record<string, LockEntry>, deps: Record<string, string>): Map<string, LockEntry> {
  const out = new Map<string, LockEntry>();
  const locate = (from: string, name: string): string | undefined => {
    let dir = from;
    for (;;) {
      const key = `${dir === "" ? "" : dir + "/"}node_modules/${name}`;
      if (packages[key] !== undefined) return key;
      if (dir === "") return undefined;
      const at = dir.lastIndexOf("/node_modules/");
      dir = at < 0 ? "" : dir.slice(0, at);
    }
  };
  const visit = (from: string, name: string, optional: boolean): void => {
    const key = locate(from, name);
    if (key === undefined) {
      if (optional) return;
      throw new Error(`package-lock.json has no ${name} reachable from ${from || "the root"}`);
    }
    if (out.has(key)) return;
    const entry = packages[key]!;
    out.set(key, entry);
    for (const d of Object.keys(entry.dependencies ?? {})) visit(key, d, false);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) visit(key, d, true);
    for (const d of Object.keys(entry.peerDependencies ?? {})) visit(key, d, entry.peerDependenciesMeta?.[d]?.optional === true);
  };
  for (const d of Object.keys(deps)) visit("", d, false);
  return out;
}

let work: string;
let app: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "semilattice-install-"));
  // 1. a copy of the repository's files, packed (prepare: tsc + the contracts' artifacts)
  const src = join(work, "src");
  const files = run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], ROOT).split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(src, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(src, f));
  }
  symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"), "dir");
  if (existsSync(join(ROOT, "cache", "solc"))) cpSync(join(ROOT, "cache", "solc"), join(src, "cache", "solc"), { recursive: true });
  run("npm", ["pack", "--silent", "--pack-destination", work], src);
  const tgz = readdirSync(work).find((f) => /^semilattice-.*\.tgz$/.test(f));
  if (tgz === undefined) throw new Error(`npm pack wrote no tarball into ${work}`);

  // 2. an empty folder that depends on the tarball only, installed offline from the npm cache
  app = join(work, "app");
  mkdirSync(app);
  copyFileSync(join(work, tgz), join(app, tgz));
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string>; license: string };
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const integrity = "sha512-" + createHash("sha512").update(readFileSync(join(app, tgz))).digest("base64");
  const packages: Record<string, LockEntry> = {
    "": { name: "semilattice-install-test", dependencies: { semilattice: `file:${tgz}` } },
    "node_modules/semilattice": { version: manifest.version, resolved: `file:${tgz}`, integrity, license: manifest.license, dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines },
  };
  for (const [key, entry] of runtimeClosure(lock.packages, manifest.dependencies)) {
    const { dev: _dev, devOptional, ...rest } = entry;
    packages[key] = devOptional === true ? { ...rest, optional: true } : rest;
  }
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "semilattice-install-test", private: true, dependencies: { semilattice: `file:${tgz}` } }, null, 2));
  writeFileSync(join(app, "package-lock.json"), JSON.stringify({ name: "semilattice-install-test", lockfileVersion: 3, requires: true, packages }, null, 2));
  run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], app);
}, 2 * STEP_TIMEOUT_MS + 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** Runs the installed CLI from the app folder. */
function semilattice(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(app, "node_modules", ".bin", "semilattice"), args, { cwd: app, encoding: "utf8", timeout: STEP_TIMEOUT_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the package installed from its tarball", () => {
  it("ships the data, the docs, the examples and the built contracts, and no solc", () => {
    const pkg = join(app, "node_modules", "semilattice");
    expect(existsSync(join(pkg, "data", "README.md"))).toBe(true);
    expect(existsSync(join(pkg, "data", "cex-l2-cryptofeed", "COINBASE.ws.28.0"))).toBe(true);
    expect(existsSync(join(pkg, "docs", "architecture.md"))).toBe(true);
    expect(existsSync(join(pkg, "examples", "seed-flow.mjs"))).toBe(true);
    const artifacts = JSON.parse(readFileSync(join(pkg, "dist", "artifacts", "contracts.json"), "utf8")) as { contracts: Record<string, { bytecode: string }> };
    expect(Object.keys(artifacts.contracts).sort()).toEqual(["Adjudicator", "TestToken"]);
    expect(artifacts.contracts["Adjudicator"]!.bytecode).toMatch(/^0x[0-9a-f]{1000,}$/);
    expect(existsSync(join(pkg, "contracts"))).toBe(false);
    expect(existsSync(join(app, "node_modules", "solc"))).toBe(false);
    expect(existsSync(join(app, "node_modules", "hardhat"))).toBe(false);
    const dataDir = run("node", ["--input-type=module", "-e", 'import("semilattice").then((m) => console.log(m.defaultDataDir()))'], app).trim();
    expect(dataDir).toBe(join(pkg, "data"));
  });

  it("runs `semilattice --help` and `amm quote`", () => {
    const help = semilattice("--help");
    expect(help.status).toBe(0);
    for (const command of ["demo", "sim", "run", "amm"]) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    // UniswapV2Pair.spec.ts swapTestCases: (swap 1, reserves 5 and 10, ×1e18) → 1662497915624478906
    const quote = semilattice("amm", "quote", "--reserve-in", "5000000000000000000", "--reserve-out", "10000000000000000000", "--amount-in", "1000000000000000000");
    expect(quote).toEqual({ status: 0, stdout: "1662497915624478906\n", stderr: "" });
  });

  it("runs a shipped example scenario to the same state as the engine in this repository", () => {
    const scenario = join(app, "node_modules", "semilattice", "examples", "amm.json");
    const r = semilattice("run", scenario, "--summary");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const summary = (JSON.parse(lines.at(-1)!) as { summary: { ops: number; stateRoot: string; conservation: boolean } }).summary;
    const engine = runScenario(parseScenario(readFileSync(join(ROOT, "examples", "amm.json"), "utf8")), () => undefined);
    expect(summary.conservation).toBe(true);
    expect(summary.stateRoot).toBe(engine.stateRoot());
    expect(lines.length).toBe(summary.ops + 1);
  });

  it("runs the README's library example (the seed flow): on-chain balances equal the final channel state", () => {
    copyFileSync(join(app, "node_modules", "semilattice", "examples", "seed-flow.mjs"), join(app, "seed-flow.mjs"));
    const out = JSON.parse(run("node", ["seed-flow.mjs"], app)) as {
      results: Record<string, string>;
      certificate: { height: number; signatures: number };
      stateRootCertified: boolean;
      onChainStatus: string;
      balances: { party: string; token: string; onChain: string; channelFinal: string; equal: boolean }[];
      onChainMatchesFinalState: boolean;
    };
    expect(Object.values(out.results).every((s) => s === "accepted")).toBe(true);
    expect(out.certificate.signatures).toBe(3); // ⌊2·4/3⌋+1
    expect(out.stateRootCertified).toBe(true);
    expect(out.onChainStatus).toBe("Finalized");
    expect(out.balances.length).toBe(8); // 4 parties × (USDC, WETH)
    for (const b of out.balances) expect(b.onChain).toBe(b.channelFinal);
    expect(out.balances.some((b) => b.onChain !== "0")).toBe(true);
    expect(out.onChainMatchesFinalState).toBe(true);
  });
});
