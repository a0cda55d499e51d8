/**
 * The shape of one op definition: what each op file under `<family>/ops/` declares about its op, and
 * the single source from which the engine's dispatch, the channel codec's field list, the scenario
 * runner's validation, the batch permission set and the docs table are derived (`registry.ts`).
 *
 * Imports nothing but types, so every op file can import it without a cycle.
 */
import type { RejectCode } from "./errors.js";
import type { Accepted } from "./results.js";
import type { EngineState } from "./state.js";

/**
 * Kind of one field's value, as the op object carries it:
 * - `string`: an id, symbol or address; `amount`: a bigint of base units (a decimal string in a
 *   scenario file); `int`: a safe integer (ticks, lots, ppm, bps, ms); `boolean`;
 * - `enum`: one of {@link OpField.values}; `roles`: role names (`core/roles.ts`);
 * - `strings`: a list of ids; `hexes`: a list of lower-case 0x-hex byte strings (signatures, proofs).
 */
export type FieldKind = "string" | "amount" | "int" | "boolean" | "enum" | "roles" | "strings" | "hexes";

/** One field of an op. The order of an op's fields is its binary encoding's order (`channel/codec.ts`). */
export interface OpField {
  readonly name: string;
  readonly kind: FieldKind;
  readonly optional: boolean;
  /** The allowed values of an `enum` field, in encoding order. */
  readonly values?: readonly string[];
  /** Unit, range or meaning, for the docs table (markdown). */
  readonly doc?: string;
}

/**
 * Who may apply an op in a channel:
 * - `batch`: a participant may sign it in a batch (for its own account);
 * - `genesis`: only the channel's genesis config (tokens, accounts, pools, markets, reserves, links);
 * - `system`: only a decided checkpoint (time, on-chain deposits, funding maintenance).
 * Scenarios and the library may apply every kind.
 */
export type OpKind = "batch" | "genesis" | "system";

/** The docs table's text for an op (`npm run docs:ops` writes it into `docs/scenarios.md`). */
export interface OpDocs {
  /** The table the op belongs to: `core` (ledger, AMM, order book, oracle, receipts), `lending`, `perps`. */
  readonly section: "core" | "lending" | "perps";
  /** A note after the field list (markdown), e.g. which fields exclude each other. */
  readonly summary?: string;
  /** The accepted result's fields (markdown). */
  readonly result: string;
}

/**
 * The validate-then-mutate function of an op: it throws a `Rejection` (via `reject`) before its first
 * mutation, or mutates and returns the accepted result. It never reads `op.type`.
 */
export type OpHandler<P, R extends object> = (state: EngineState, op: P) => Accepted<R>;

/** One op type's definition (parameters `P`, accepted result `R`). */
export interface OpDefinition<P extends { type: string } = { type: string }, R extends object = object> {
  readonly type: P["type"];
  readonly kind: OpKind;
  readonly fields: readonly OpField[];
  /** The validate-then-mutate function (method syntax: definitions of different ops share one array). */
  handler(state: EngineState, op: P): Accepted<R>;
  /** Every rejection code the op can return (a superset is allowed, a missing code is a bug). */
  readonly rejects: readonly RejectCode[];
  readonly docs: OpDocs;
}

/** Rejection codes of an op, as a type: `OpErrorType<typeof swapErrorCodes>`. */
export type OpErrorType<C extends readonly RejectCode[]> = C[number];

/** Checks an op definition's shape at compile time (the parameters' `type` must match `type`). */
export function defineOp<P extends { type: string }, R extends object>(definition: OpDefinition<P, R>): OpDefinition<P, R> {
  return definition;
}

/** A required field. */
export function req(name: string, kind: FieldKind, extra: { values?: readonly string[]; doc?: string } = {}): OpField {
  return { name, kind, optional: false, ...extra };
}

/** An optional field (absent = the op's default). */
export function opt(name: string, kind: FieldKind, extra: { values?: readonly string[]; doc?: string } = {}): OpField {
  return { name, kind, optional: true, ...extra };
}
