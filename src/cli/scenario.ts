/**
 * Scenario files for `semilattice run` (format: docs/scenarios.md).
 *
 * A scenario is parsed and checked completely before anything runs: a malformed file produces a
 * {@link ScenarioError} naming the bad field (`ops[3].amountIn: …`) and runs nothing. Ops that are
 * well-formed but invalid for the state (unknown account, insufficient balance, slippage) run and are
 * reported `rejected` with the engine's code.
 */
import { Engine } from "../core/engine.js";
import { OP_TYPES, type Op } from "../core/ops.js";
import type { FieldKind as OpFieldKind } from "../core/opSchema.js";
import { OP_REGISTRY } from "../core/registry.js";
import type { Result } from "../core/results.js";
import { Rejection, SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";

export class ScenarioError extends SemilatticeError {
  override readonly name = "ScenarioError";
  declare readonly code: "INVALID_SCENARIO";
  constructor(message: string, parameters?: SemilatticeErrorParameters) {
    super("INVALID_SCENARIO", message, parameters);
  }
}

/** Limits on scenario files. */
export const MAX_SCENARIO_OPS = 1_000_000;
export const MAX_SCENARIO_BYTES = 256 * 1024 * 1024;

type FieldKind = "amount" | "int" | "string" | "boolean" | "roles" | "strings";

/** JSON kind of each op field kind (`core/opSchema.ts`): enum values and hex lists are strings, checked by the engine. */
const JSON_KIND: Readonly<Record<OpFieldKind, FieldKind>> = {
  string: "string",
  amount: "amount",
  int: "int",
  boolean: "boolean",
  enum: "string",
  roles: "roles",
  strings: "strings",
  hexes: "strings",
};

/** Every field an op type (from `core/registry.ts`) or query may carry and its JSON kind; `amount`s are decimal strings of base units. */
const FIELDS: Record<string, Record<string, FieldKind>> = {
  ...Object.fromEntries(OP_REGISTRY.map(({ op }) => [op.type, Object.fromEntries(op.fields.map((f) => [f.name, JSON_KIND[f.kind]]))])),
  getReserve: { asset: "string" },
  getAccount: { account: "string" },
  getPrice: { asset: "string" },
  // Queries: they change nothing and print what they read.
  getBalance: { account: "string", token: "string" },
  getPool: { pool: "string" },
  getLocks: { pool: "string" },
  getDepth: { market: "string", levels: "int" },
  getOrder: { market: "string", orderId: "int" },
  stateRoot: {},
};

/** Queries of the oracle and lending pool. */
export const LENDING_QUERY_TYPES = ["getReserve", "getAccount", "getPrice"] as const;
export const QUERY_TYPES = ["getBalance", "getPool", "getLocks", "getDepth", "getOrder", "stateRoot", ...LENDING_QUERY_TYPES] as const;
type QueryType = (typeof QUERY_TYPES)[number];
export type Query = { type: QueryType } & Record<string, unknown>;
export type Step = Op | Query;

export interface Scenario {
  /** Setup ops (tokens, accounts and their deposits, pools, markets) followed by the listed ops. */
  setup: Op[];
  /** Path of each setup op in the file, for error messages (`accounts[2].deposits.USDC`). */
  setupPaths: string[];
  ops: Step[];
}

/** Parses scenario JSON text; throws {@link ScenarioError} naming the first bad field. */
export function parseScenario(text: string): Scenario {
  if (text.length > MAX_SCENARIO_BYTES) throw new ScenarioError(`scenario larger than ${MAX_SCENARIO_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`not valid JSON: ${(error as Error).message}`);
  }
  const root = requireObject(json, "scenario");
  allowKeys(root, "scenario", ["name", "description", "tokens", "accounts", "pools", "markets", "ops"]);

  const setup: Op[] = [];
  const setupPaths: string[] = [];
  const push = (op: Op, path: string): void => {
    setup.push(op);
    setupPaths.push(path);
  };
  for (const [i, item] of optionalArray(root["tokens"], "tokens").entries()) {
    push(parseOp({ type: "createToken", ...requireObject(item, `tokens[${i}]`) }, `tokens[${i}]`) as Op, `tokens[${i}]`);
  }
  const deposits: [Op, string][] = [];
  for (const [i, item] of optionalArray(root["accounts"], "accounts").entries()) {
    const path = `accounts[${i}]`;
    const { id, deposits: funds, ...rest } = requireObject(item, path);
    push(parseOp({ type: "createAccount", account: id, ...rest }, path, { account: "id" }) as Op, path);
    if (funds !== undefined) {
      for (const [token, amount] of Object.entries(requireObject(funds, `${path}.deposits`))) {
        const depositPath = `${path}.deposits.${token}`;
        deposits.push([parseOp({ type: "deposit", account: id, token, amount }, depositPath, { amount: "" }) as Op, depositPath]);
      }
    }
  }
  for (const [op, path] of deposits) push(op, path);
  for (const [i, item] of optionalArray(root["pools"], "pools").entries()) {
    push(parseOp({ type: "createPool", ...requireObject(item, `pools[${i}]`) }, `pools[${i}]`) as Op, `pools[${i}]`);
  }
  for (const [i, item] of optionalArray(root["markets"], "markets").entries()) {
    push(parseOp({ type: "createMarket", ...requireObject(item, `markets[${i}]`) }, `markets[${i}]`) as Op, `markets[${i}]`);
  }
  const rawOps = optionalArray(root["ops"], "ops");
  if (rawOps.length > MAX_SCENARIO_OPS) throw new ScenarioError(`ops: at most ${MAX_SCENARIO_OPS} ops`);
  const ops = rawOps.map((item, i) => parseOp(requireObject(item, `ops[${i}]`), `ops[${i}]`));
  return { setup, setupPaths, ops };
}

/**
 * Checks one op object's shape and converts amount strings to bigint. `rename` maps a field's
 * internal name to the name it has in the file, for error messages.
 */
function parseOp(raw: Record<string, unknown>, path: string, rename: Record<string, string> = {}): Step {
  const type = raw["type"];
  if (typeof type !== "string" || !Object.hasOwn(FIELDS, type)) {
    throw new ScenarioError(`${path}.type: unknown op type ${JSON.stringify(type)}; known: ${[...OP_TYPES, ...QUERY_TYPES].join(", ")}`);
  }
  // `withdraw` is the ledger's exit with `token`, the lending pool's withdrawal with `asset`.
  if (type === "withdraw" && Object.hasOwn(raw, "asset")) return parseOp({ ...raw, type: "withdrawSupply" }, path, rename);
  const fields = FIELDS[type] as Record<string, FieldKind>;
  const out: Record<string, unknown> = { type };
  for (const [key, value] of Object.entries(raw)) {
    if (key === "type") continue;
    const shown = rename[key] === undefined ? `${path}.${key}` : rename[key] === "" ? path : `${path}.${rename[key]}`;
    const kind = fields[key];
    if (kind === undefined) {
      throw new ScenarioError(`${shown}: unknown field for ${type}; fields are ${Object.keys(fields).join(", ") || "(none)"}`);
    }
    out[key] = convert(value, kind, shown);
  }
  return out as Step;
}

const DECIMAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;

function convert(value: unknown, kind: FieldKind, path: string): unknown {
  switch (kind) {
    case "amount":
      // Strings only: a JSON number above 2^53 would already have lost precision when parsed.
      if (typeof value !== "string" || value.length > 80 || !DECIMAL_INTEGER.test(value)) {
        throw new ScenarioError(`${path}: must be a decimal integer string of base units, e.g. "1000000", got ${JSON.stringify(value)}`);
      }
      return BigInt(value);
    case "int":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) {
        throw new ScenarioError(`${path}: must be an integer number, got ${JSON.stringify(value)}`);
      }
      return value;
    case "string":
      if (typeof value !== "string") throw new ScenarioError(`${path}: must be a string, got ${JSON.stringify(value)}`);
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw new ScenarioError(`${path}: must be true or false, got ${JSON.stringify(value)}`);
      return value;
    case "strings":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new ScenarioError(`${path}: must be an array of strings`);
      }
      return value;
    case "roles":
      if (!Array.isArray(value) || !value.every((r) => typeof r === "string")) {
        throw new ScenarioError(`${path}: must be an array of role names`);
      }
      return value;
  }
}

function requireObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ScenarioError(`${path}: must be an object`);
  return value as Record<string, unknown>;
}

function optionalArray(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ScenarioError(`${path}: must be an array`);
  return value;
}

function allowKeys(obj: Record<string, unknown>, path: string, allowed: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new ScenarioError(`${path}.${key}: unknown section; sections are ${allowed.join(", ")}`);
  }
}

/** One output line of `semilattice run`. */
export type StepOutput = { index: number; type: string; status: "accepted" | "rejected" } & Record<string, unknown>;

/**
 * Runs a parsed scenario on a fresh engine. Setup failures throw {@link ScenarioError} naming the
 * setup entry; each op yields one {@link StepOutput}.
 */
export function runScenario(scenario: Scenario, onStep: (output: StepOutput) => void): Engine {
  const engine = new Engine();
  scenario.setup.forEach((op, i) => {
    const result = engine.apply(op);
    if (result.status === "rejected") {
      throw new ScenarioError(`${scenario.setupPaths[i]}: setup ${op.type} rejected ${result.code}: ${result.message}`);
    }
  });
  scenario.ops.forEach((step, index) => onStep({ index, type: step.type, ...runStep(engine, step) }));
  return engine;
}

function runStep(engine: Engine, step: Step): { status: "accepted" | "rejected" } & Record<string, unknown> {
  switch (step.type) {
    case "getBalance": {
      const account = String(step["account"]);
      const token = String(step["token"]);
      if (!engine.state.accounts.has(account)) return queryRejected("UNKNOWN_ACCOUNT", `unknown account ${account}`);
      if (!engine.state.tokens.has(token)) return queryRejected("UNKNOWN_TOKEN", `unknown token ${token}`);
      return { status: "accepted", free: engine.balanceOf(account, token), reserved: engine.reservedOf(account, token) };
    }
    case "getPool": {
      const pool = engine.getPool(String(step["pool"]));
      if (pool === undefined) return queryRejected("UNKNOWN_POOL", `unknown pool ${String(step["pool"])}`);
      // The pool's own fields; its lock-swap and fee-vote state is the getLocks query.
      const { id, token0, token1, feePpm, reserve0, reserve1, totalSupply } = pool;
      return { status: "accepted", id, token0, token1, feePpm, reserve0, reserve1, totalSupply };
    }
    case "getLocks": {
      const locks = engine.getLocks(String(step["pool"]));
      if (locks === undefined) return queryRejected("UNKNOWN_POOL", `unknown pool ${String(step["pool"])}`);
      return { status: "accepted", ...locks };
    }
    case "getDepth": {
      const levels = step["levels"] === undefined ? 10 : Number(step["levels"]);
      if (!(levels >= 1 && levels <= 1000)) return queryRejected("INVALID_OP", "levels must be in 1..1000");
      const depth = engine.getDepth(String(step["market"]), levels);
      if (depth === undefined) return queryRejected("UNKNOWN_MARKET", `unknown market ${String(step["market"])}`);
      return { status: "accepted", ...depth };
    }
    case "getOrder": {
      const order = engine.getOrder(String(step["market"]), Number(step["orderId"]));
      if (order === undefined) return queryRejected("UNKNOWN_ORDER", `no resting order ${String(step["orderId"])}`);
      return { status: "accepted", ...order };
    }
    case "getReserve": {
      const reserve = engine.getReserve(String(step["asset"]));
      if (reserve === undefined) return queryRejected("UNKNOWN_RESERVE", `no lending reserve for ${String(step["asset"])}`);
      return { status: "accepted", ...reserve };
    }
    case "getAccount": {
      const account = String(step["account"]);
      if (!engine.state.accounts.has(account)) return queryRejected("UNKNOWN_ACCOUNT", `unknown account ${account}`);
      try {
        return { status: "accepted", ...engine.getLendingAccount(account), ...perpsAccountFields(engine, account) };
      } catch (error) {
        if (error instanceof Rejection) return queryRejected(error.code, error.message);
        throw error;
      }
    }
    case "getPrice": {
      const info = engine.getPrice(String(step["asset"]));
      if (info.price === undefined) return queryRejected(info.code ?? "UNKNOWN_PRICE", `no fresh price for ${info.asset}`);
      return { status: "accepted", asset: info.asset, price: info.price, oracles: info.oracles, maxAgeMs: info.maxAgeMs };
    }
    case "stateRoot":
      return { status: "accepted", stateRoot: engine.stateRoot(), exitRoot: engine.exitRoot() };
    default: {
      const result: Result = engine.apply(step as Op);
      return result as { status: "accepted" | "rejected" } & Record<string, unknown>;
    }
  }
}

/**
 * The perpetuals part of `getAccount`: `perps`, one section per collateral token (quoteBalance, equity,
 * initialRequirement, effectiveInitialRequirement, maintenanceRequirement, freeCollateral, liquidatable,
 * positions); with exactly one section its equity, maintenanceRequirement and freeCollateral are also
 * given at the top level (the lending part's fields have other names: healthFactorRay, …).
 */
function perpsAccountFields(engine: Engine, account: string): Record<string, unknown> {
  const perps = engine.getPerpAccount(account);
  if (perps.length !== 1) return { perps };
  const [only] = perps;
  return {
    equity: only!.equity,
    initialRequirement: only!.initialRequirement,
    maintenanceRequirement: only!.maintenanceRequirement,
    freeCollateral: only!.freeCollateral,
    perps,
  };
}

function queryRejected(code: string, message: string): { status: "rejected"; code: string; message: string } {
  return { status: "rejected", code, message };
}

/** JSON with bigints as decimal strings (amounts are printed exactly). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
