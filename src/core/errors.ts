/**
 * Rejection codes and error classes of the core engine.
 *
 * Every op the engine is given returns a result: `accepted` or `rejected` with one of the stable
 * {@link RejectCode}s below and a human message. Codes are part of the public API: they never change
 * meaning, new ones are only added.
 *
 * Two kinds of failure exist and they are kept apart on purpose (TIGER_STYLE):
 * - bad input ⇒ a {@link Rejection} is thrown *before* the op mutates anything and the engine turns it
 *   into a `rejected` result. The state is unchanged.
 * - a broken invariant (a bug in the engine itself) ⇒ an {@link InvariantError} propagates out of the
 *   engine. Continuing with a state that broke conservation would be worse than stopping.
 */

/** Stable rejection codes. */
export const RejectCodes = [
  /** The op object is malformed: unknown type, missing or mistyped field. */
  "INVALID_OP",
  /** An amount is not a positive integer, or exceeds the engine's limits. */
  "INVALID_AMOUNT",
  /** An identifier is malformed (empty, too long, bad characters). */
  "INVALID_ID",
  "UNKNOWN_TOKEN",
  "UNKNOWN_ACCOUNT",
  "UNKNOWN_POOL",
  "UNKNOWN_MARKET",
  "UNKNOWN_ORDER",
  "ALREADY_EXISTS",
  /** The actor's role does not allow this op, or it acts on somebody else's order/position. */
  "NOT_PERMITTED",
  "INSUFFICIENT_BALANCE",
  /** Pool lacks the liquidity for the op (Uniswap V2 INSUFFICIENT_LIQUIDITY*). */
  "INSUFFICIENT_LIQUIDITY",
  /** Output below `minAmountOut`, input above `maxAmountIn`, or below the router's `amountXMin`. */
  "SLIPPAGE",
  /** A result would exceed a storage limit (Uniswap V2 uint112 reserves, engine amount limit). */
  "OVERFLOW",
  /** Price not a positive integer number of ticks, or size not a positive number of lots. */
  "INVALID_PRICE",
  "INVALID_SIZE",
  /** A post-only order would have crossed the book. */
  "POST_ONLY_WOULD_CROSS",
  /** A fill-or-kill order could not be filled completely at once. */
  "FOK_NOT_FILLABLE",
  /** A configured limit (orders per account, levels, ops, …) would be exceeded. */
  "LIMIT_EXCEEDED",
  /** An oracle price is needed but no oracle report is within the asset's staleness limit. */
  "STALE_PRICE",
  /** An oracle price is needed but the asset was never priced. */
  "UNKNOWN_PRICE",
  /** No lending reserve for the asset. */
  "UNKNOWN_RESERVE",
  /** A borrow or withdrawal would leave the account's health factor below 1 (or collateral below LTV). */
  "HEALTH_FACTOR_TOO_LOW",
  /** A supply or borrow would exceed the reserve's supply or borrow cap. */
  "CAP_EXCEEDED",
  /** A liquidation of an account whose health factor is not below 1, or which has no such debt/collateral. */
  "NOT_LIQUIDATABLE",
  /** Perpetuals: an order, withdrawal or trade would leave free collateral (equity − initial margin) below 0. */
  "INSUFFICIENT_MARGIN",
  /** Perpetuals: an order would pass the market's IMF but exceed the channel's leverage cap `maxLeverage`. */
  "LEVERAGE_EXCEEDED",
  /** Perpetuals: a funding sample or settlement before its period (60 s samples, 1 h settlements). */
  "FUNDING_NOT_DUE",
  /** No open lock-swap with this id (never acquired, or already executed, cancelled or expired). */
  "UNKNOWN_LOCK",
  /** The lock-swap's expiry has passed (engine time ≥ expiryMs): it can only be cancelled. */
  "LOCK_EXPIRED",
  /** Lock-swaps are switched off on this pool. */
  "LOCKS_DISABLED",
  /** creditDeposit: the deposit record was credited before. */
  "DEPOSIT_ALREADY_CREDITED",
  /** creditDeposit: an earlier deposit record is not credited yet (records are credited in id order). */
  "DEPOSIT_OUT_OF_ORDER",
  /** A cross-channel receipt names a channel that is not linked (receipts.ts). */
  "UNKNOWN_CHANNEL",
  /** A receipt's certificate is malformed, under quorum, or not signed by distinct participants of the source channel. */
  "INVALID_CERTIFICATE",
  /** A receipt's Merkle proof does not lead from its outbox leaf to the certified exit root. */
  "INVALID_PROOF",
  /** A receipt's cumulative amount is already credited in full (a replayed or older receipt). */
  "RECEIPT_ALREADY_CREDITED",
] as const;

export type RejectCode = (typeof RejectCodes)[number];

/**
 * Thrown by validation code inside the engine before any mutation; turned into a `rejected` result
 * by {@link Engine.apply}. Deliberately not an `Error`: no stack trace is captured, so rejecting an op
 * costs about as much as accepting one.
 */
export class Rejection {
  constructor(
    readonly code: RejectCode,
    readonly message: string,
  ) {}
}

/** Throws a {@link Rejection}. Use only before the op's first mutation. */
export function reject(code: RejectCode, message: string): never {
  throw new Rejection(code, message);
}

/** Parameters of {@link SemilatticeError}: a stable code, a short message, optional details and docs path. */
export interface SemilatticeErrorParameters {
  /** Extra lines shown under the short message (what was seen, what was expected). */
  details?: string;
  /** Page under `docs/` that explains the error, e.g. `"settlement.md#disputes"`. */
  docsPath?: string;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The one base of every error Semilattice throws (viem's `BaseError` is the model): a stable
 * `code` (SCREAMING_SNAKE, part of the public API like the rejection codes), a short message,
 * optional details and a docs path. It is the only class in the project that extends `Error`
 * directly; each part derives its own (`CodecError`, `CheckpointError`, …), named `…Error`.
 *
 * The engine's hot-path {@link Rejection} is deliberately not one of these: it is a plain value.
 */
export class SemilatticeError extends Error {
  override name = "SemilatticeError";
  /** Stable code. */
  readonly code: string;
  /** The message without details or docs path. */
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly docsPath: string | undefined;

  constructor(code: string, shortMessage: string, parameters: SemilatticeErrorParameters = {}) {
    const lines = [shortMessage];
    if (parameters.details !== undefined && parameters.details !== "") lines.push("", `Details: ${parameters.details}`);
    if (parameters.docsPath !== undefined) lines.push(`Docs: docs/${parameters.docsPath}`);
    super(lines.join("\n"), parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = parameters.details;
    this.docsPath = parameters.docsPath;
  }
}

/** A broken engine invariant: a bug, never a consequence of input. Propagates out of the engine. */
export class InvariantError extends SemilatticeError {
  override name = "InvariantError";
  declare readonly code: "INVARIANT_VIOLATED";
  constructor(message: string) {
    super("INVARIANT_VIOLATED", message);
  }
}

/**
 * Asserts an invariant (TIGER_STYLE): throws {@link InvariantError} when `condition` is false.
 * On hot paths write `if (!cond) invariant(false, \`…\`)` so the message is only built on failure.
 */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
