/**
 * `semilattice init --home DIR ...`: writes a node home (docs/node-home.md) — channel.json (from
 * `--channel FILE`, a definition shared by all participants, or from flags), node.json and the key
 * (a new random key or `--key-file`, encrypted into a V3 keystore with the password from
 * `--password-file` or `$SEMILATTICE_PASSWORD`; plain hex only with `--insecure-key`).
 *
 * The flags are defined in main.ts (which imports this module only when `init` runs); every value
 * is checked here with the rule of the file field it fills (`FIELD_SCHEMAS` in src/node/config.ts): a bad flag exits 2 naming the flag, a bad file exits 2 naming the file and
 * field. Exit 0 prints the home, the address and the files written (`--json`: one object).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type * as z from "zod";
import type { Op } from "../core/ops.js";
import type { RoleName } from "../core/roles.js";
import { checkField, ConfigError, DEFAULT_NODE_SETTINGS, parseGenesisOp, readChannelDefinition, readJsonFile, type ConfigIssue, FIELD_SCHEMAS } from "../node/config.js";
import { initNodeHome } from "../node/init.js";
import { KeystoreError, looksLikeKeystore, MAX_KEYSTORE_BYTES, readPassword, SCRYPT_LIGHT, SCRYPT_STANDARD } from "../node/keystore.js";
import type { ChannelDefinition, ChannelRulesDefinition, HexString, NodeSettings, ParticipantDefinition } from "../node/options.js";

/** Default own roles of a participant made by init. */
const DEFAULT_ROLES: RoleName[] = ["Trader", "MarketMaker"];

/** Raw flags of `init` as commander hands them over (main.ts defines them; every value is checked here). */
export interface InitFlags {
  home: string;
  force?: boolean;
  json?: boolean;
  channel?: string;
  channelId?: string;
  participant?: string[];
  roles?: string;
  endpoint?: string;
  genesis?: string;
  chainId?: string;
  rpcUrl?: string;
  adjudicator?: string;
  confirmationDepth?: string;
  disputeWindowSeconds?: string;
  maxOpsPerBatch?: string;
  checkpointIntervalMs?: string;
  maxDriftMs?: string;
  syncIntervalMs?: string;
  listen?: string;
  dataDir?: string;
  logLevel?: string;
  metrics?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  snapshotIntervalOps?: string;
  exitAfterStallMs?: string;
  keyFile?: string;
  passwordFile?: string;
  insecureKey?: boolean;
  lightKdf?: boolean;
}

/** Flags that build the channel definition (refused next to `--channel`), with their names. */
const CHANNEL_FLAGS: [keyof InitFlags, string][] = [
  ["channelId", "--channel-id"],
  ["participant", "--participant"],
  ["roles", "--roles"],
  ["endpoint", "--endpoint"],
  ["genesis", "--genesis"],
  ["chainId", "--chain-id"],
  ["rpcUrl", "--rpc-url"],
  ["adjudicator", "--adjudicator"],
  ["confirmationDepth", "--confirmation-depth"],
  ["disputeWindowSeconds", "--dispute-window-seconds"],
  ["maxOpsPerBatch", "--max-ops-per-batch"],
  ["checkpointIntervalMs", "--checkpoint-interval-ms"],
  ["maxDriftMs", "--max-drift-ms"],
  ["syncIntervalMs", "--sync-interval-ms"],
];

/** The rule's message with the value seen, unless it already names it. */
function withValue(message: string, value: unknown): string {
  return message.includes(", got ") ? message : `${message}, got ${JSON.stringify(value)}`;
}

/** `value` of `flag` checked by the rule of the config field it fills; a problem is a usage error naming the flag. */
function flagField<K extends keyof typeof FIELD_SCHEMAS>(flag: string, kind: K, value: unknown): z.output<(typeof FIELD_SCHEMAS)[K]> {
  const checked = checkField(kind, value);
  if (!checked.ok) throw usage(flag, withValue(checked.message, value));
  return checked.value;
}

/** A decimal integer flag (a non-integer is left as a string, which the field rule then refuses). */
function integerFlag<K extends keyof typeof FIELD_SCHEMAS>(flag: string, kind: K, value: string): z.output<(typeof FIELD_SCHEMAS)[K]> {
  const checked = checkField(kind, /^-?[0-9]{1,16}$/.test(value) ? Number(value) : value);
  if (!checked.ok) throw usage(flag, withValue(checked.message, value));
  return checked.value;
}

/** `host:port` (IPv6 in brackets: `[::1]:7000`); port 0 = ephemeral. */
function hostPortFlag(flag: string, value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:[\]]+):([0-9]{1,5})$/.exec(value);
  if (m === null) throw usage(flag, `must be host:port, e.g. 127.0.0.1:7000, got ${JSON.stringify(value)}`);
  const host = m[1]!.startsWith("[") ? m[1]!.slice(1, -1) : m[1]!;
  return { host: flagField(`${flag} host`, "host", host), port: flagField(`${flag} port`, "portOrZero", Number(m[2])) };
}

/** `--participant ADDRESS,ENDPOINT[,Role+Role]`. */
function participantFlag(value: string): ParticipantDefinition {
  const parts = value.split(",");
  if (parts.length < 2 || parts.length > 3) throw usage("--participant", `must be ADDRESS,ENDPOINT[,Role+Role], e.g. 0xab…,ws://10.0.0.2:7000,Trader+MarketMaker, got ${JSON.stringify(value)}`);
  return {
    address: flagField("--participant address", "address", parts[0]!.trim()),
    endpoint: flagField("--participant endpoint", "endpoint", parts[1]!.trim()),
    roles: parts[2] === undefined ? [...DEFAULT_ROLES] : [...flagField("--participant roles", "roles", parts[2].split("+").map((r) => r.trim()))],
  };
}

/** An init failure: printed as `semilattice init: <message>`, exit 2. */
class InitUsageError extends ConfigError {
  override name = "InitUsageError";
}

function usage(path: string, message: string): InitUsageError {
  return new InitUsageError("", [{ path, message }]);
}

/** Runs `init`; resolves to the exit code (0, or 2 for bad flags or files, with the reason on stderr). */
export async function initCommand(opts: InitFlags): Promise<number> {
  try {
    const result = await runInit(opts);
    if (opts.json === true) {
      console.log(JSON.stringify(result));
    } else {
      console.log(`node home ${result.home}`);
      console.log(`address  ${result.address}`);
      for (const file of result.files) console.log(`wrote    ${file}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof KeystoreError) {
      console.error(`semilattice init: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

async function runInit(opts: InitFlags): Promise<{ home: string; address: string; files: string[] }> {
  const home = flagField("--home", "path", opts.home);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw usage("--tls-cert", "--tls-cert and --tls-key go together");
  if (opts.tlsCa !== undefined && opts.tlsCert === undefined) throw usage("--tls-ca", "needs --tls-cert and --tls-key");
  const listen = opts.listen === undefined ? DEFAULT_NODE_SETTINGS.listen : hostPortFlag("--listen", opts.listen);

  let definition: ChannelDefinition | ((self: HexString) => ChannelDefinition);
  if (opts.channel !== undefined) {
    const conflicting = CHANNEL_FLAGS.filter(([key]) => opts[key] !== undefined).map(([, flag]) => flag);
    if (conflicting.length > 0) throw usage("--channel", `excludes ${conflicting.join(", ")} (the shared definition fixes them)`);
    definition = readChannelDefinition(opts.channel);
  } else {
    if (opts.adjudicator === undefined) throw usage("--adjudicator", "required without --channel (the adjudicator contract's address, 0x + 40 hex)");
    const adjudicator = flagField("--adjudicator", "address", opts.adjudicator);
    const rules: ChannelRulesDefinition = {};
    if (opts.maxOpsPerBatch !== undefined) rules.maxOpsPerBatch = integerFlag("--max-ops-per-batch", "maxOpsPerBatch", opts.maxOpsPerBatch);
    if (opts.checkpointIntervalMs !== undefined) rules.checkpointIntervalMs = integerFlag("--checkpoint-interval-ms", "checkpointIntervalMs", opts.checkpointIntervalMs);
    if (opts.maxDriftMs !== undefined) rules.maxDriftMs = integerFlag("--max-drift-ms", "maxDriftMs", opts.maxDriftMs);
    if (opts.syncIntervalMs !== undefined) rules.syncIntervalMs = integerFlag("--sync-interval-ms", "syncIntervalMs", opts.syncIntervalMs);
    const chain = {
      chainId: opts.chainId === undefined ? 31337 : integerFlag("--chain-id", "chainId", opts.chainId),
      rpcUrl: opts.rpcUrl === undefined ? "http://127.0.0.1:8545" : flagField("--rpc-url", "rpcUrl", opts.rpcUrl),
      adjudicator,
      confirmationDepth: opts.confirmationDepth === undefined ? 1 : integerFlag("--confirmation-depth", "confirmationDepth", opts.confirmationDepth),
      disputeWindowSeconds: opts.disputeWindowSeconds === undefined ? 3600 : integerFlag("--dispute-window-seconds", "disputeWindowSeconds", opts.disputeWindowSeconds),
    };
    const others = (opts.participant ?? []).map(participantFlag);
    const roles = opts.roles === undefined ? undefined : flagField("--roles", "roles", opts.roles.split(",").map((r) => r.trim()));
    const listenHost = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
    const ownEndpoint = opts.endpoint === undefined ? `ws://${listenHost === "0.0.0.0" ? "127.0.0.1" : listenHost}:${listen.port}` : flagField("--endpoint", "endpoint", opts.endpoint);
    const channelId = opts.channelId === undefined ? (`0x${randomBytes(32).toString("hex")}` as HexString) : flagField("--channel-id", "bytes32", opts.channelId);
    const genesis = opts.genesis === undefined ? [] : readGenesis(opts.genesis);
    definition = (self) => {
      const listed = others.find((p) => p.address === self);
      if (listed !== undefined && (opts.roles !== undefined || opts.endpoint !== undefined)) {
        throw usage("--participant", `lists this node's own address ${self}; give its roles and endpoint there or with --roles/--endpoint, not both`);
      }
      const participants = listed !== undefined ? others : [{ address: self, roles: roles ?? [...DEFAULT_ROLES], endpoint: ownEndpoint }, ...others];
      return { version: 1, channelId, participants, genesis, rules, chain };
    };
  }

  const settings: Partial<NodeSettings> = {
    listen,
    dataDir: opts.dataDir === undefined ? DEFAULT_NODE_SETTINGS.dataDir : flagField("--data-dir", "path", opts.dataDir),
    logLevel: opts.logLevel === undefined ? DEFAULT_NODE_SETTINGS.logLevel : flagField("--log-level", "logLevel", opts.logLevel),
    snapshotIntervalOps: opts.snapshotIntervalOps === undefined ? DEFAULT_NODE_SETTINGS.snapshotIntervalOps : integerFlag("--snapshot-interval-ops", "snapshotIntervalOps", opts.snapshotIntervalOps),
    exitAfterStallMs: opts.exitAfterStallMs === undefined ? DEFAULT_NODE_SETTINGS.exitAfterStallMs : integerFlag("--exit-after-stall-ms", "exitAfterStallMs", opts.exitAfterStallMs),
  };
  if (opts.metrics !== undefined) settings.metrics = hostPortFlag("--metrics", opts.metrics);
  if (opts.tlsCert !== undefined && opts.tlsKey !== undefined) {
    settings.tls = { certFile: flagField("--tls-cert", "path", opts.tlsCert), keyFile: flagField("--tls-key", "path", opts.tlsKey) };
    if (opts.tlsCa !== undefined) settings.tls.caFile = flagField("--tls-ca", "path", opts.tlsCa);
  }

  let keyFileText: string | undefined;
  if (opts.keyFile !== undefined) {
    try {
      if (statSync(opts.keyFile).size > MAX_KEYSTORE_BYTES) throw usage("--key-file", `larger than ${MAX_KEYSTORE_BYTES} bytes`);
      keyFileText = readFileSync(opts.keyFile, "utf8");
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw usage("--key-file", `cannot read ${opts.keyFile}: ${(error as Error).message}`);
    }
  }
  const insecure = opts.insecureKey === true;
  // A keystore to import needs its password even for an insecure home.
  const needsPassword = !insecure || (keyFileText !== undefined && looksLikeKeystore(keyFileText));
  const password = needsPassword ? readPassword({ passwordFile: opts.passwordFile }) : undefined;

  const result = await initNodeHome({
    dir: home,
    definition,
    settings,
    ...(keyFileText === undefined ? {} : { keyFileText }),
    ...(password === undefined ? {} : { password }),
    insecureKey: insecure,
    scrypt: opts.lightKdf === true ? SCRYPT_LIGHT : SCRYPT_STANDARD,
    force: opts.force === true,
  });
  return { home: result.home.dir, address: result.address, files: [result.home.channelFile, result.home.nodeFile, result.home.keystoreFile] };
}

/** The `--genesis` file: a JSON array of ops (or `{"genesis": [...]}`), each checked like channel.json's genesis. */
function readGenesis(path: string): Op[] {
  const json = readJsonFile(path, `--genesis ${path}`);
  const list = Array.isArray(json) ? json : typeof json === "object" && json !== null && Array.isArray((json as { genesis?: unknown }).genesis) ? (json as { genesis: unknown[] }).genesis : undefined;
  if (list === undefined) throw new ConfigError(`--genesis ${path}`, [{ path: "", message: "must be a JSON array of ops (scenario format, docs/scenarios.md)" }]);
  const ops: Op[] = [];
  const issues: ConfigIssue[] = [];
  list.forEach((raw, i) => {
    const parsed = parseGenesisOp(raw, `[${i}]`);
    if ("issue" in parsed) issues.push(parsed.issue);
    else ops.push(parsed.op);
  });
  if (issues.length > 0) throw new ConfigError(`--genesis ${path}`, issues);
  return ops;
}
