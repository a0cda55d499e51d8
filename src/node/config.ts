/**
 * Validation, loading and writing of a node home (the shapes are in `./options.ts`):
 *
 * ```
 * <home>/channel.json   ChannelDefinition: the same file in every participant's home
 * <home>/node.json      NodeSettings: this node's own settings
 * <home>/keystore.json  this participant's key, an Ethereum V3 keystore (./keystore.ts)
 * <home>/data/          the store (NodeSettings.dataDir)
 * ```
 *
 * Every field is checked with zod 4 (strict objects: an unknown field is an error, as in the
 * scenario format); a bad file throws {@link ConfigError} (`INVALID_CONFIG`) whose message names
 * the file and the field path, e.g. `channel.json: participants[2].endpoint: must be a ws:// or
 * wss:// URL with a host and a port, got "http://a:1"`, and whose {@link ConfigError.issues} list
 * every problem found. Limits: 1..64 participants with distinct addresses and endpoints; addresses
 * 0x + 40 hex (normalised to lower case); channel id 0x + 64 hex (lower case); endpoints
 * `ws://host:port` or `wss://host:port`; ports 1..65535 (0 allowed for `listen` and `metrics`: an
 * ephemeral port, for tests); at most {@link MAX_GENESIS_OPS} genesis ops; files ≤ 16 MiB.
 *
 * Genesis ops are written in the scenario format of docs/scenarios.md (amounts as decimal strings)
 * and checked twice: their shape against the binary codec's op schema ({@link parseGenesisOp}: every
 * op a replica can carry, including `linkChannel`, which the scenario runner does not know), then their effect by
 * applying them, after the participants' accounts, on a fresh engine exactly as every replica does
 * (`genesisEngine` in src/channel/replica.ts): a genesis op the engine rejects makes the definition
 * invalid (`genesis[3]: rejected UNKNOWN_TOKEN: …`), so a node never starts on a channel its
 * replica would refuse.
 */
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import * as z from "zod";
import { Engine } from "../core/engine.js";
import { MAX_AMOUNT } from "../core/math.js";
import { SemilatticeError } from "../core/errors.js";
import type { Op, OpType } from "../core/ops.js";
import { RoleNames, type RoleName } from "../core/roles.js";
import type { Signer } from "../channel/identity.js";
import { DEFAULT_CHANNEL_LIMITS } from "../channel/replica.js";
import { encodeOp, FIELD_KINDS, OP_FIELDS } from "../channel/codec.js";
import { loadKeyFile, writeSecretFile, type PasswordSource } from "./keystore.js";
import type { ChannelDefinition, HexString, LogLevel, NodeSettings } from "./options.js";

/** Most participants of a channel run by nodes. */
export const MAX_PARTICIPANTS = 64;
/** Most genesis ops in a channel definition. */
export const MAX_GENESIS_OPS = 10_000;
/** Largest channel.json / node.json read, bytes. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** Longest path string in node.json (data dir, keystore, TLS files). */
export const MAX_PATH_LENGTH = 4096;

/** File names inside a node home. */
export const CHANNEL_FILE = "channel.json";
export const NODE_FILE = "node.json";
export const DEFAULT_KEYSTORE_FILE = "keystore.json";
export const DEFAULT_DATA_DIR = "data";

export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** One problem found in a config file: the field path (`participants[2].address`) and what was expected. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config file (or a flag that fills one) is invalid; the message names the file and the first field. */
export class ConfigError extends SemilatticeError {
  override name = "ConfigError";
  declare readonly code: "INVALID_CONFIG";
  /** Every problem found (the message shows the first; details list all). */
  readonly issues: ConfigIssue[];
  constructor(source: string, issues: ConfigIssue[], cause?: unknown) {
    const first = issues[0] ?? { path: "", message: "invalid" };
    const line = (i: ConfigIssue): string => `${i.path === "" ? "" : `${i.path}: `}${i.message}`;
    super("INVALID_CONFIG", `${source === "" ? "" : `${source}: `}${line(first)}`, {
      details: issues.length > 1 ? issues.map(line).join("; ") : undefined,
      docsPath: "node-home.md",
      cause,
    });
    this.issues = issues;
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

/** A strict object whose unknown-field error lists the known fields. */
function strict<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}; fields are ${Object.keys(shape).join(", ")}` : undefined,
  });
}

const address = z
  .string({ error: "must be an address, 0x + 40 hex digits" })
  .regex(/^0x[0-9a-fA-F]{40}$/, { error: (i) => `must be an address, 0x + 40 hex digits, got ${JSON.stringify(i.input)}` })
  .transform((s) => s.toLowerCase() as HexString);

const bytes32 = z
  .string({ error: "must be 0x + 64 hex digits" })
  .regex(/^0x[0-9a-fA-F]{64}$/, { error: (i) => `must be 0x + 64 hex digits, got ${JSON.stringify(i.input)}` })
  .transform((s) => s.toLowerCase() as HexString);

const int = (min: number, max: number, unit = "") =>
  z.int({ error: `must be an integer in ${min}..${max}${unit}` }).min(min, { error: `must be an integer in ${min}..${max}${unit}` }).max(max, { error: `must be an integer in ${min}..${max}${unit}` });

/** Port 1..65535, or 0..65535 where an ephemeral port makes sense. */
const port = (allowZero: boolean) => int(allowZero ? 0 : 1, 65535);

/** A host name or IP literal: 1..253 characters, no spaces, slashes or URL syntax. */
const host = z
  .string({ error: "must be a host name or IP address" })
  .min(1, { error: "must be a host name or IP address, not empty" })
  .max(253, { error: "must be at most 253 characters" })
  .regex(/^[A-Za-z0-9.\-:[\]_]+$/, { error: (i) => `must be a host name or IP address, got ${JSON.stringify(i.input)}` });

function urlProblem(value: string, protocols: readonly string[], requirePort: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL";
  }
  if (!protocols.includes(url.protocol)) return `must use ${protocols.map((p) => `${p}//`).join(" or ")}`;
  if (url.hostname === "") return "has no host";
  if (url.username !== "" || url.password !== "") return "must not carry credentials";
  // (URL drops a default port, e.g. wss://h:443, so read the port from the text)
  if (requirePort) {
    const m = /^[a-z]+:\/\/(?:\[[^\]]+\]|[^/:?#@]+):([0-9]{1,5})\/?$/i.exec(value);
    if (m === null) return "must name a port (ws://host:port) and have no path";
    const port = Number(m[1]);
    if (port < 1 || port > 65535) return "port must be in 1..65535";
  }
  if (url.hash !== "" || url.search !== "") return "must not have a query or fragment";
  return undefined;
}

const endpoint = z
  .string({ error: "must be a ws:// or wss:// URL" })
  .max(512, { error: "must be at most 512 characters" })
  .superRefine((value, ctx) => {
    const problem = urlProblem(value, ["ws:", "wss:"], true);
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", message: `must be a ws:// or wss:// URL with a host and a port and no path (${problem}), got ${JSON.stringify(value)}` });
    }
  });

const rpcUrl = z
  .string({ error: "must be an http(s):// or ws(s):// URL" })
  .max(2048, { error: "must be at most 2048 characters" })
  .superRefine((value, ctx) => {
    const problem = urlProblem(value, ["http:", "https:", "ws:", "wss:"], false);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `must be an http(s):// or ws(s):// JSON-RPC URL (${problem}), got ${JSON.stringify(value)}` });
  });

const roles = z
  .array(z.enum(RoleNames as [RoleName, ...RoleName[]], { error: `must be one of ${RoleNames.join(", ")}` }), { error: "must be an array of role names" })
  .min(1, { error: `must list at least one role of ${RoleNames.join(", ")}` })
  .max(RoleNames.length, { error: "lists a role twice" })
  .superRefine((list, ctx) => {
    if (new Set(list).size !== list.length) ctx.addIssue({ code: "custom", message: "lists a role twice" });
  });

const participant = strict({ address, roles, endpoint });

const rules = strict({
  maxOpsPerBatch: int(1, DEFAULT_CHANNEL_LIMITS.maxOpsPerBatch, " ops").optional(),
  checkpointIntervalMs: int(1, 3_600_000, " ms").optional(),
  maxDriftMs: int(0, 600_000, " ms").optional(),
  syncIntervalMs: int(0, 3_600_000, " ms").optional(),
});

const chain = strict({
  chainId: int(1, Number.MAX_SAFE_INTEGER),
  rpcUrl,
  adjudicator: address,
  confirmationDepth: int(0, 1000, " blocks"),
  disputeWindowSeconds: int(1, 365 * 24 * 3600, " s"),
});

const channelSchema = strict({
  version: z.literal(1, { error: "must be 1 (the only format version)" }),
  channelId: bytes32,
  participants: z
    .array(participant, { error: "must be an array of participants" })
    .min(1, { error: `must list 1..${MAX_PARTICIPANTS} participants` })
    .max(MAX_PARTICIPANTS, { error: `must list 1..${MAX_PARTICIPANTS} participants` })
    .superRefine((list, ctx) => {
      const seen = new Map<string, number>();
      const endpoints = new Map<string, number>();
      list.forEach((p, i) => {
        const a = seen.get(p.address);
        if (a !== undefined) ctx.addIssue({ code: "custom", path: [i, "address"], message: `duplicates participants[${a}].address ${p.address}` });
        else seen.set(p.address, i);
        const e = endpoints.get(p.endpoint);
        if (e !== undefined) ctx.addIssue({ code: "custom", path: [i, "endpoint"], message: `duplicates participants[${e}].endpoint ${p.endpoint}` });
        else endpoints.set(p.endpoint, i);
      });
    }),
  genesis: z.array(z.unknown(), { error: "must be an array of ops (scenario format, docs/scenarios.md)" }).max(MAX_GENESIS_OPS, { error: `must hold at most ${MAX_GENESIS_OPS} ops` }),
  rules,
  chain,
});

const relativePath = (what: string) =>
  z
    .string({ error: `must be a path (${what})` })
    .min(1, { error: `must be a path (${what}), not empty` })
    .max(MAX_PATH_LENGTH, { error: `must be at most ${MAX_PATH_LENGTH} characters` })
    .refine((s) => !s.includes("\0"), { error: "must not contain NUL" });

const hostPort = (allowZero: boolean) => strict({ host, port: port(allowZero) });

const settingsSchema = strict({
  version: z.literal(1, { error: "must be 1 (the only format version)" }),
  listen: hostPort(true),
  tls: strict({ certFile: relativePath("PEM certificate"), keyFile: relativePath("PEM private key"), caFile: relativePath("PEM CA bundle").optional() }).optional(),
  dataDir: relativePath("the store's folder"),
  logLevel: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], { error: `must be one of ${LOG_LEVELS.join(", ")}` }),
  metrics: hostPort(true).optional(),
  keystoreFile: relativePath("the V3 keystore"),
  snapshotIntervalOps: int(1, 100_000_000, " ops"),
  exitAfterStallMs: int(0, 30 * 24 * 3600 * 1000, " ms"),
});

/**
 * Single-field schemas, for checking a command-line flag with the same rule as the file field it
 * fills (`--adjudicator` ↔ `chain.adjudicator`). {@link checkField} runs one.
 */
export const FIELD_SCHEMAS = {
  address,
  bytes32,
  endpoint,
  rpcUrl,
  host,
  roles,
  logLevel: settingsSchema.shape.logLevel,
  port: port(false),
  portOrZero: port(true),
  chainId: chain.shape.chainId,
  confirmationDepth: chain.shape.confirmationDepth,
  disputeWindowSeconds: chain.shape.disputeWindowSeconds,
  maxOpsPerBatch: rules.shape.maxOpsPerBatch.unwrap(),
  checkpointIntervalMs: rules.shape.checkpointIntervalMs.unwrap(),
  maxDriftMs: rules.shape.maxDriftMs.unwrap(),
  syncIntervalMs: rules.shape.syncIntervalMs.unwrap(),
  snapshotIntervalOps: settingsSchema.shape.snapshotIntervalOps,
  exitAfterStallMs: settingsSchema.shape.exitAfterStallMs,
  path: relativePath("a file or folder"),
} as const;

/** Checks `value` against one of {@link FIELD_SCHEMAS}: the parsed value, or the problem's message. */
export function checkField<K extends keyof typeof FIELD_SCHEMAS>(kind: K, value: unknown): { ok: true; value: z.output<(typeof FIELD_SCHEMAS)[K]> } | { ok: false; message: string } {
  const result = FIELD_SCHEMAS[kind].safeParse(value);
  if (result.success) return { ok: true, value: result.data as z.output<(typeof FIELD_SCHEMAS)[K]> };
  return { ok: false, message: issuesOf(result.error, value).map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ") };
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** `participants[2].address` from zod's path. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out;
}

/** The value at `path` inside `input`, or undefined. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function issuesOf(error: z.ZodError, input?: unknown): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === "invalid_type" && valueAt(input, issue.path) === undefined) {
      message = `missing; ${message.replace(/^Invalid input: /, "").replace(/, received undefined$/, "")}`;
    }
    return { path: formatPath(issue.path), message };
  });
}

/**
 * Validates a parsed `channel.json` (`source` names it in errors). Addresses and the channel id come
 * back lower case, genesis ops as engine ops (bigint amounts). Throws {@link ConfigError}.
 */
export function parseChannelDefinition(json: unknown, source = CHANNEL_FILE): ChannelDefinition {
  const result = channelSchema.safeParse(json);
  if (!result.success) throw new ConfigError(source, issuesOf(result.error, json));
  const data = result.data;
  const genesis: Op[] = [];
  const genesisIssues: ConfigIssue[] = [];
  data.genesis.forEach((raw, i) => {
    const parsed = parseGenesisOp(raw, `genesis[${i}]`);
    if ("issue" in parsed) genesisIssues.push(parsed.issue);
    else genesis.push(parsed.op);
  });
  if (genesisIssues.length > 0) throw new ConfigError(source, genesisIssues);
  const definition: ChannelDefinition = {
    version: 1,
    channelId: data.channelId,
    participants: data.participants.map((p) => ({ address: p.address, roles: [...p.roles], endpoint: p.endpoint })),
    genesis,
    rules: Object.fromEntries(Object.entries(data.rules).filter(([, v]) => v !== undefined)),
    chain: data.chain,
  };
  checkGenesisApplies(definition, source);
  return definition;
}

const DECIMAL_AMOUNT = /^(0|[1-9][0-9]{0,77})$/;

/**
 * One genesis op from its JSON form (the scenario format: `{"type": "createToken", "symbol": …}`,
 * amounts as decimal strings of base units), driven by the binary codec's op schema (`OP_FIELDS`,
 * src/channel/codec.ts), which knows every op a replica can carry (also `linkChannel`, which only a
 * genesis has): unknown type or field, missing required field, wrong JSON type → an issue naming the
 * field. The op must then be encodable (`encodeOp`: the codec's own limits on strings and lists).
 */
export function parseGenesisOp(raw: unknown, path: string): { op: Op } | { issue: ConfigIssue } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { issue: { path, message: "must be an op object {type, ...fields}" } };
  const obj = raw as Record<string, unknown>;
  const type = obj["type"];
  const fields = typeof type === "string" && Object.hasOwn(OP_FIELDS, type) ? OP_FIELDS[type as OpType] : undefined;
  if (fields === undefined) return { issue: { path: `${path}.type`, message: `unknown op type ${JSON.stringify(type)}; known: ${Object.keys(OP_FIELDS).join(", ")}` } };
  const op: Record<string, unknown> = { type };
  for (const key of Object.keys(obj)) {
    if (key !== "type" && !fields.some((f) => f.name === key)) {
      return { issue: { path: `${path}.${key}`, message: `unknown field for ${String(type)}; fields are ${fields.map((f) => f.name).join(", ")}` } };
    }
  }
  for (const field of fields) {
    const value = obj[field.name];
    const at = `${path}.${field.name}`;
    if (value === undefined) {
      if (field.optional) continue;
      return { issue: { path: at, message: `missing (required by ${String(type)})` } };
    }
    switch (field.kind) {
      case FIELD_KINDS.BIG:
        // strings only: a JSON number above 2^53 has lost precision already
        if (typeof value !== "string" || !DECIMAL_AMOUNT.test(value) || BigInt(value) > MAX_AMOUNT) {
          return { issue: { path: at, message: `must be a decimal integer string of base units in 0..2^128-1, e.g. "1000000", got ${JSON.stringify(value)}` } };
        }
        op[field.name] = BigInt(value);
        break;
      case FIELD_KINDS.INT:
        if (typeof value !== "number" || !Number.isSafeInteger(value)) return { issue: { path: at, message: `must be an integer number, got ${JSON.stringify(value)}` } };
        op[field.name] = value;
        break;
      case FIELD_KINDS.BOOL:
        if (typeof value !== "boolean") return { issue: { path: at, message: `must be true or false, got ${JSON.stringify(value)}` } };
        op[field.name] = value;
        break;
      case FIELD_KINDS.STR:
        if (typeof value !== "string") return { issue: { path: at, message: `must be a string, got ${JSON.stringify(value)}` } };
        op[field.name] = value;
        break;
      case FIELD_KINDS.ENUM:
        if (typeof value !== "string" || !(field.values ?? []).includes(value)) return { issue: { path: at, message: `must be one of ${(field.values ?? []).join(", ")}, got ${JSON.stringify(value)}` } };
        op[field.name] = value;
        break;
      case FIELD_KINDS.ROLES:
        if (!Array.isArray(value) || !value.every((r) => typeof r === "string" && (RoleNames as string[]).includes(r))) {
          return { issue: { path: at, message: `must be an array of role names (${RoleNames.join(", ")})` } };
        }
        op[field.name] = [...(value as string[])];
        break;
      default: // STRS, HEXS
        if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return { issue: { path: at, message: "must be an array of strings" } };
        op[field.name] = [...(value as string[])];
    }
  }
  try {
    encodeOp(op as unknown as Op);
  } catch (error) {
    return { issue: { path, message: `not encodable: ${(error as Error).message}` } };
  }
  return { op: op as unknown as Op };
}

/** Applies the genesis as every replica does (participants' accounts first); a rejection is a config error naming the op. */
function checkGenesisApplies(definition: ChannelDefinition, source: string): void {
  const engine = new Engine();
  definition.participants.forEach((p, i) => {
    const r = engine.createAccount({ account: p.address, address: p.address, roles: p.roles });
    if (r.status === "rejected") throw new ConfigError(source, [{ path: `participants[${i}]`, message: `its account is rejected ${r.code}: ${r.message}` }]);
  });
  definition.genesis.forEach((op, i) => {
    const r = engine.apply(op);
    if (r.status === "rejected") throw new ConfigError(source, [{ path: `genesis[${i}]`, message: `${op.type} rejected ${r.code}: ${r.message}` }]);
  });
}

/** Validates a parsed `node.json` (`source` names it in errors). Throws {@link ConfigError}. */
export function parseNodeSettings(json: unknown, source = NODE_FILE): NodeSettings {
  const result = settingsSchema.safeParse(json);
  if (!result.success) throw new ConfigError(source, issuesOf(result.error, json));
  const d = result.data;
  const settings: NodeSettings = {
    version: 1,
    listen: d.listen,
    dataDir: d.dataDir,
    logLevel: d.logLevel,
    keystoreFile: d.keystoreFile,
    snapshotIntervalOps: d.snapshotIntervalOps,
    exitAfterStallMs: d.exitAfterStallMs,
  };
  if (d.tls !== undefined) settings.tls = d.tls.caFile === undefined ? { certFile: d.tls.certFile, keyFile: d.tls.keyFile } : { ...d.tls, caFile: d.tls.caFile };
  if (d.metrics !== undefined) settings.metrics = d.metrics;
  return settings;
}

/** Defaults of node.json fields that `semilattice init` does not ask for. */
export const DEFAULT_NODE_SETTINGS: Readonly<NodeSettings> = Object.freeze({
  version: 1,
  listen: { host: "127.0.0.1", port: 7000 },
  dataDir: DEFAULT_DATA_DIR,
  logLevel: "info",
  keystoreFile: DEFAULT_KEYSTORE_FILE,
  snapshotIntervalOps: 10_000,
  exitAfterStallMs: 0,
}) as NodeSettings;

/** The JSON text of a channel definition (genesis amounts as decimal strings), as written to channel.json. */
export function channelDefinitionJson(definition: ChannelDefinition): string {
  return JSON.stringify(definition, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n";
}

/** The JSON text of node settings, as written to node.json. */
export function nodeSettingsJson(settings: NodeSettings): string {
  return JSON.stringify(settings, null, 2) + "\n";
}

/** Reads and parses a JSON file of at most {@link MAX_CONFIG_BYTES}; errors are {@link ConfigError}s naming `source`. */
export function readJsonFile(path: string, source = path): unknown {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) throw new ConfigError(source, [{ path: "", message: `larger than ${MAX_CONFIG_BYTES} bytes` }]);
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(source, [{ path: "", message: `cannot read: ${(error as Error).message}` }], error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(source, [{ path: "", message: `not valid JSON: ${(error as Error).message}` }], error);
  }
}

/** Reads and validates a channel definition file (e.g. the shared file `init --channel FILE` copies). */
export function readChannelDefinition(path: string): ChannelDefinition {
  return parseChannelDefinition(readJsonFile(path), path);
}

// ---------------------------------------------------------------------------------------------
// Node home
// ---------------------------------------------------------------------------------------------

/** Absolute paths of a node home's parts. */
export interface NodeHome {
  dir: string;
  channelFile: string;
  nodeFile: string;
  keystoreFile: string;
  dataDir: string;
  /** TLS files, absolute, when node.json has `tls`. */
  tls?: { certFile: string; keyFile: string; caFile?: string };
}

/** The absolute paths of home `dir` under `settings` (relative paths resolve against the home). */
export function nodeHomePaths(dir: string, settings: NodeSettings): NodeHome {
  const home = resolve(dir);
  const at = (p: string): string => (isAbsolute(p) ? p : join(home, p));
  const paths: NodeHome = { dir: home, channelFile: join(home, CHANNEL_FILE), nodeFile: join(home, NODE_FILE), keystoreFile: at(settings.keystoreFile), dataDir: at(settings.dataDir) };
  if (settings.tls !== undefined) {
    paths.tls = { certFile: at(settings.tls.certFile), keyFile: at(settings.tls.keyFile) };
    if (settings.tls.caFile !== undefined) paths.tls.caFile = at(settings.tls.caFile);
  }
  return paths;
}

export interface LoadNodeHomeOptions extends PasswordSource {
  /** Accept a plain hex key file as the keystore (development only; `--insecure-key`). */
  insecureKey?: boolean;
  /** The keystore password itself (wins over `passwordFile` and the env var). */
  password?: string;
}

export interface LoadNodeHomeReturnType {
  home: NodeHome;
  definition: ChannelDefinition;
  settings: NodeSettings;
  /** The participant's key, decrypted from the keystore. */
  signer: Signer;
}

/**
 * Reads a node home: `channel.json`, `node.json` and the keystore. Checks that the key's address is
 * a participant of the channel. Throws {@link ConfigError} (bad file or field, key not a participant)
 * or `KeystoreError` (./keystore.ts: no or wrong password, plain key without `insecureKey`).
 */
export async function loadNodeHome(dir: string, options: LoadNodeHomeOptions = {}): Promise<LoadNodeHomeReturnType> {
  const root = resolve(dir);
  const settings = parseNodeSettings(readJsonFile(join(root, NODE_FILE), join(dir, NODE_FILE)), join(dir, NODE_FILE));
  const definition = parseChannelDefinition(readJsonFile(join(root, CHANNEL_FILE), join(dir, CHANNEL_FILE)), join(dir, CHANNEL_FILE));
  const home = nodeHomePaths(root, settings);
  const passwordSource: PasswordSource =
    options.password !== undefined ? { env: { SEMILATTICE_PASSWORD: options.password } } : { passwordFile: options.passwordFile, env: options.env };
  const { signer } = await loadKeyFile(home.keystoreFile, { ...passwordSource, insecureKey: options.insecureKey === true });
  if (!definition.participants.some((p) => p.address === signer.address)) {
    throw new ConfigError(join(dir, CHANNEL_FILE), [{ path: "participants", message: `the key's address ${signer.address} (${home.keystoreFile}) is not a participant` }]);
  }
  return { home, definition, settings, signer };
}

export interface WriteNodeHomeParameters {
  dir: string;
  definition: ChannelDefinition;
  settings: NodeSettings;
  /** Text of the key file: V3 keystore JSON, or (insecure homes) a plain hex key. */
  keyFileText: string;
  /** Overwrite an existing home's files. */
  force?: boolean;
}

/**
 * Writes a node home: creates `dir` (0700) and the data dir, writes channel.json and node.json
 * (validated first: a bad definition writes nothing) and the key file (0600). Refuses a folder that
 * already holds a channel.json, node.json or key file unless `force`. Returns the paths and the
 * normalised definition and settings. Throws
 * {@link ConfigError}.
 */
export function writeNodeHome(params: WriteNodeHomeParameters): { home: NodeHome; definition: ChannelDefinition; settings: NodeSettings } {
  // Validate what is written through the same parsers as what is read.
  const definition = parseChannelDefinition(JSON.parse(channelDefinitionJson(params.definition)) as unknown, CHANNEL_FILE);
  const settings = parseNodeSettings(JSON.parse(nodeSettingsJson(params.settings)) as unknown, NODE_FILE);
  const home = nodeHomePaths(params.dir, settings);
  if (params.force !== true) {
    for (const file of [home.channelFile, home.nodeFile, home.keystoreFile]) {
      if (exists(file)) throw new ConfigError(params.dir, [{ path: "", message: `${file} exists already: this is a node home (pass --force to overwrite it)` }]);
    }
  }
  try {
    mkdirSync(home.dir, { recursive: true, mode: 0o700 });
    mkdirSync(home.dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ConfigError(params.dir, [{ path: "", message: `cannot create the home: ${(error as Error).message}` }], error);
  }
  writeSecretFile(home.keystoreFile, params.keyFileText);
  writeSecretFile(home.channelFile, channelDefinitionJson(definition));
  writeSecretFile(home.nodeFile, nodeSettingsJson(settings));
  return { home, definition, settings };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
