/**
 * `semilattice devnet --participants N --dir DIR`: a local devnet of N node processes
 * (src/node/devnet/setup.ts for the chain, channel and homes): starts `hardhat node`, deploys and
 * opens the channel, funds the deposits, writes the homes and `DIR/devnet.json`, then starts one
 * `semilattice node --home <home>` OS process per participant (each writes `<home>/node.pid`; its
 * output goes to `<home>/node.log`). Runs until SIGINT/SIGTERM, or `--duration S` seconds; then
 * stops the nodes (SIGTERM, SIGKILL after 10 s) and the chain. A node that dies is not restarted:
 * restart it by hand with `semilattice node --home <home> --password-file DIR/password`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../node/config.js";
import { DevnetError } from "../node/devnet/chain.js";
import { setupDevnet } from "../node/devnet/setup.js";
import { KeystoreError } from "../node/keystore.js";

export interface DevnetFlags {
  participants: string;
  dir: string;
  duration?: string;
  force?: boolean;
  json?: boolean;
  logLevel?: string;
}

/** bin/semilattice.js of this installation. */
function findBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "bin", "semilattice.js");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new DevnetError("DEVNET_FAILED", "bin/semilattice.js not found above " + fileURLToPath(import.meta.url));
}

export async function devnetCommand(flags: DevnetFlags): Promise<number> {
  const fail = (message: string): number => {
    console.error(`semilattice devnet: ${message}`);
    return 2;
  };
  if (!/^[1-9][0-9]?$/.test(flags.participants) || Number(flags.participants) > 64) return fail(`--participants: must be an integer in 1..64, got ${JSON.stringify(flags.participants)}`);
  let durationMs: number | undefined;
  if (flags.duration !== undefined) {
    if (!/^[1-9][0-9]{0,6}$/.test(flags.duration)) return fail(`--duration: must be an integer number of seconds in 1..9999999, got ${JSON.stringify(flags.duration)}`);
    durationMs = Number(flags.duration) * 1000;
  }
  const logLevel = flags.logLevel ?? "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) return fail(`--log-level: must be one of fatal, error, warn, info, debug, trace, silent, got ${JSON.stringify(logLevel)}`);
  let devnet: Awaited<ReturnType<typeof setupDevnet>>;
  try {
    devnet = await setupDevnet({ dir: flags.dir, participants: Number(flags.participants), force: flags.force === true, logLevel: logLevel as "info" });
  } catch (error) {
    if (error instanceof DevnetError || error instanceof ConfigError || error instanceof KeystoreError) return fail(error.message);
    throw error;
  }
  const { manifest } = devnet;
  const bin = findBin();
  const children: ChildProcess[] = manifest.nodes.map((node) => {
    const log = createWriteStream(join(node.home, "node.log"), { flags: "a" });
    const child = spawn(process.execPath, [bin, "node", "--home", node.home, "--password-file", manifest.passwordFile], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return child;
  });
  const summary = { dir: manifest.dir, rpcUrl: manifest.chain.rpcUrl, channelId: manifest.channelId, nodes: manifest.nodes.map((n, i) => ({ home: n.home, address: n.address, endpoint: n.endpoint, pid: children[i]!.pid })) };
  if (flags.json === true) console.log(JSON.stringify(summary));
  else {
    console.log(`devnet ${manifest.dir}: chain ${manifest.chain.rpcUrl}, channel ${manifest.channelId}`);
    for (const n of summary.nodes) console.log(`node ${n.address} pid ${n.pid} ${n.endpoint} home ${n.home}`);
  }
  await new Promise<void>((resolve) => {
    const timer = durationMs === undefined ? undefined : setTimeout(resolve, durationMs);
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
  await devnet.chain.stop();
  const exitCodes = children.map((c) => c.exitCode);
  if (flags.json !== true) console.log(`devnet stopped; node exit codes ${exitCodes.join(", ")}`);
  return exitCodes.every((c) => c === 0) ? 0 : 1;
}
