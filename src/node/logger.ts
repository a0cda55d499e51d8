/**
 * Structured JSON logs for a node: pino (the fastest well-kept Node logger; one JSON object per
 * line, `{"level":30,"time":…,"msg":…,...fields}`), behind the project's small {@link Logger}
 * interface (`src/sync/transport.ts`: `info(msg, fields)` / `warn(msg, fields)`), so the transport,
 * sync and checkpoint code that already take a `Logger` log through it unchanged.
 *
 * - Level: one of `fatal error warn info debug trace silent` (node.json `logLevel`, `--log-level`).
 * - Destination: stderr by default (stdout stays free for a command's JSON output), written
 *   synchronously so the last lines before a crash are not lost; or any writable stream (tests).
 * - Fields: bigint values are written as decimal strings (amounts stay exact; JSON has no bigint),
 *   `Error` values as `{type, message, code, stack}` (pino's standard serializer under `err`).
 */
import type { Writable } from "node:stream";
import { pino, stdSerializers, type Logger as PinoLogger } from "pino";
import type { Logger } from "../sync/transport.js";
import type { LogLevel } from "./options.js";

/** A {@link Logger} with the levels pino adds, child loggers and a flush. */
export interface NodeLogger extends Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose records all carry `bindings` (e.g. `{component: "sync"}`). */
  child(bindings: Record<string, unknown>): NodeLogger;
  /** The level in force. */
  readonly level: LogLevel;
  /** Writes out anything buffered (a no-op for the synchronous default destination). */
  flush(): void;
}

export interface CreateLoggerParameters {
  level: LogLevel;
  /** Where the JSON lines go: a writable stream, or a file descriptor (default 2, stderr). */
  destination?: Writable | number;
  /** Fields on every record (e.g. `{node: "0xab…"}`). */
  base?: Record<string, unknown>;
}

/** A pino-backed {@link NodeLogger}. */
export function createLogger(params: CreateLoggerParameters): NodeLogger {
  const destination = params.destination ?? 2;
  const stream = typeof destination === "number" ? pino.destination({ dest: destination, sync: true }) : destination;
  const logger = pino(
    {
      level: params.level,
      base: params.base ?? null,
      serializers: { err: stdSerializers.err },
      // `err` is left to pino's serializer; everything else made JSON-safe here
      formatters: { log: (fields) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, k === "err" && v instanceof Error ? v : jsonSafe(v)])) },
    },
    stream,
  );
  return wrap(logger, params.level);
}

function wrap(logger: PinoLogger, level: LogLevel): NodeLogger {
  const call = (method: "info" | "warn" | "error" | "debug") => (msg: string, fields?: Record<string, unknown>) => {
    if (fields === undefined) logger[method](msg);
    else logger[method](fields, msg);
  };
  return {
    level,
    info: call("info"),
    warn: call("warn"),
    error: call("error"),
    debug: call("debug"),
    child: (bindings) => wrap(logger.child(jsonSafe(bindings) as Record<string, unknown>), level),
    flush: () => logger.flush(),
  };
}

/** `value` with bigints as decimal strings and errors as plain objects; depth-limited (cycles and deep trees become "[…]"). */
function jsonSafe(value: unknown, depth = 0): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return stdSerializers.err(value);
  if (typeof value !== "object" || value === null) return value;
  if (depth >= 8) return "[…]";
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v, depth + 1);
  return out;
}
