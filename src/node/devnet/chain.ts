/**
 * The devnet's chain: a local `hardhat node` (Hardhat 2's JSON-RPC server over its EDR engine) run
 * as a separate OS process on 127.0.0.1, as `npx hardhat node` would run it.
 *
 * - Hardhat 2 needs a config file: a minimal `hardhat.config.cjs` is written into the devnet folder
 *   (`networks.hardhat.chainId`, automine on); its cache paths resolve there. The process runs from
 *   the folder whose `node_modules` holds hardhat (Hardhat refuses other cwds, HH12).
 * - The port is a free one picked by the OS (or the one given); if the process exits before it
 *   answers (e.g. the port was taken in between), the start is retried on a new port, up to 3 times.
 * - "Answers" means `eth_chainId` returns the configured chain id; the wait is bounded
 *   (`startTimeoutMs`, default 120 s: the first start compiles nothing but loads EDR, slow on a
 *   loaded machine).
 * - The PID is written to `<dir>/chain.pid`, output to `<dir>/chain.log` (bounded: the last 64 KiB
 *   are kept in memory for error messages; the file gets everything).
 * - {@link LocalChain.stop} sends SIGTERM, then SIGKILL after `stopTimeoutMs`, and resolves when the
 *   process has exited. {@link stopChainByPidFile} stops a chain left by another process (a devnet
 *   started by an earlier command).
 *
 * Errors: {@link DevnetError} (`CHAIN_START_FAILED`, `CHAIN_TIMEOUT`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:net";
import { dirname, join, resolve } from "node:path";
import { SemilatticeError } from "../../core/errors.js";

export type DevnetErrorCode = "CHAIN_START_FAILED" | "CHAIN_TIMEOUT" | "DEVNET_FAILED" | "INVALID_DEVNET";

/** A devnet step failed; the message says which and shows the chain's last output where it helps. */
export class DevnetError extends SemilatticeError {
  override name = "DevnetError";
  declare readonly code: DevnetErrorCode;
  constructor(code: DevnetErrorCode, shortMessage: string, parameters: { details?: string; cause?: unknown } = {}) {
    super(code, shortMessage, { ...parameters, docsPath: "node-home.md#devnet" });
  }
}

export interface StartLocalChainParameters {
  /** The devnet folder: config, pid and log files go here (created if missing). */
  dir: string;
  /** EIP-155 chain id (default 31337, Hardhat's). */
  chainId?: number;
  /** TCP port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Bound on waiting for the first answer, ms (default 120,000). */
  startTimeoutMs?: number;
}

export interface LocalChain {
  /** `http://127.0.0.1:<port>`. */
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly port: number;
  readonly pid: number;
  /** `<dir>/chain.log`. */
  readonly logFile: string;
  /** Stops the process (SIGTERM, then SIGKILL after `stopTimeoutMs`, default 10 s); resolves when it has exited. */
  stop(stopTimeoutMs?: number): Promise<void>;
}

const MAX_TAIL_BYTES = 64 * 1024;
const START_ATTEMPTS = 3;

/** The `hardhat` CLI entry of the installed Hardhat 2 package. */
export function hardhatCli(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("hardhat/package.json");
  const bin = (JSON.parse(readFileSync(packageJson, "utf8")) as { bin?: { hardhat?: string } }).bin?.hardhat;
  if (bin === undefined) throw new DevnetError("CHAIN_START_FAILED", "the installed hardhat package has no `hardhat` bin");
  return join(dirname(packageJson), bin);
}

/** The folder whose `node_modules` holds the installed hardhat package. */
function hardhatProjectDir(): string {
  const packageJson = createRequire(import.meta.url).resolve("hardhat/package.json");
  return dirname(dirname(dirname(packageJson)));
}

/** `n` distinct free TCP ports on 127.0.0.1 (all held open together while picking, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolvePort, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            resolvePort(typeof address === "object" && address !== null ? address.port : 0);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Starts `hardhat node` on 127.0.0.1 and waits until it answers; see the module doc. */
export async function startLocalChain(params: StartLocalChainParameters): Promise<LocalChain> {
  const dir = resolve(params.dir);
  const chainId = params.chainId ?? 31337;
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new DevnetError("INVALID_DEVNET", `chainId must be a positive integer, got ${chainId}`);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "hardhat.config.cjs");
  writeFileSync(config, `// written by semilattice devnet: the local chain's Hardhat 2 config\nmodule.exports = { networks: { hardhat: { chainId: ${chainId}, mining: { auto: true } } } };\n`);
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = params.port ?? (await freePorts(1))[0]!;
    try {
      return await startOnce(dir, config, chainId, port, params.startTimeoutMs ?? 120_000);
    } catch (error) {
      lastError = error;
      // a fixed port that failed will fail again; a timeout is not a port race
      if (params.port !== undefined || (error instanceof DevnetError && error.code === "CHAIN_TIMEOUT")) break;
    }
  }
  throw lastError;
}

async function startOnce(dir: string, config: string, chainId: number, port: number, startTimeoutMs: number): Promise<LocalChain> {
  const logFile = join(dir, "chain.log");
  const log = createWriteStream(logFile, { flags: "a" });
  let tail = "";
  const child: ChildProcess = spawn(process.execPath, [hardhatCli(), "--config", config, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    // Hardhat refuses to run unless it is installed "locally" to its cwd (HH12): run it from the
    // folder whose node_modules holds it. The config (and so the cache/artifact paths) stays in `dir`.
    cwd: hardhatProjectDir(),
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
  });
  const onData = (d: Buffer): void => {
    log.write(d);
    tail = (tail + d.toString()).slice(-MAX_TAIL_BYTES);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stop = async (stopTimeoutMs = 10_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((r) => log.end(() => r()));
    try {
      unlinkSync(join(dir, "chain.pid"));
    } catch {
      /* already gone */
    }
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError !== undefined) {
      await stop();
      throw new DevnetError("CHAIN_START_FAILED", `cannot start hardhat node: ${spawnError.message}`, { cause: spawnError });
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new DevnetError("CHAIN_START_FAILED", `hardhat node exited (${child.exitCode ?? child.signalCode}) before answering on ${rpcUrl}`, { details: tail.slice(-4000) });
    }
    const answered = await chainIdAt(rpcUrl);
    if (answered !== undefined) {
      if (answered !== chainId) {
        await stop();
        throw new DevnetError("CHAIN_START_FAILED", `${rpcUrl} answered chain id ${answered}, expected ${chainId} (another node on the port?)`);
      }
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new DevnetError("CHAIN_TIMEOUT", `hardhat node did not answer on ${rpcUrl} within ${startTimeoutMs} ms`, { details: tail.slice(-4000) });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid as number;
  writeFileSync(join(dir, "chain.pid"), `${pid}\n`);
  return { rpcUrl, chainId, port, pid, logFile, stop };
}

/** The chain id `rpcUrl` answers with, or undefined if it does not answer (yet). Bounded to 2 s. */
async function chainIdAt(rpcUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { result?: unknown };
    return typeof body.result === "string" ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops the chain whose PID is in `<dir>/chain.pid` (a devnet left running by an earlier command):
 * SIGTERM, then SIGKILL after `stopTimeoutMs`. Resolves true if a process was signalled.
 */
export async function stopChainByPidFile(dir: string, stopTimeoutMs = 10_000): Promise<boolean> {
  const pidFile = join(resolve(dir), "chain.pid");
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
  } catch {
    return false;
  }
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + stopTimeoutMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) process.kill(pid, "SIGKILL");
  try {
    unlinkSync(pidFile);
  } catch {
    /* gone */
  }
  return true;
}
