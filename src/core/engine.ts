/**
 * The deterministic DeFi state machine: `(state, op) → (state', result)`.
 *
 * Every op returns a {@link Result}: `accepted` with its events, or `rejected` with a stable code; a
 * rejected op leaves the state exactly as it was, and no input makes the engine throw. (Only a broken
 * internal invariant — an engine bug — throws {@link InvariantError}: fail-stop beats corrupt state.)
 *
 * The engine has no clock, no randomness and no floating point; the same ops in the same order give
 * the same {@link Engine.stateRoot} on every machine.
 *
 * @example
 * ```ts
 * import { Engine } from "semilattice";
 * const engine = new Engine();
 * engine.createToken({ symbol: "USDC", decimals: 6 });
 * engine.createToken({ symbol: "WETH", decimals: 18 });
 * engine.createAccount({ account: "alice" });
 * engine.deposit({ account: "alice", token: "USDC", amount: 1_000_000_000n });
 * const r = engine.transfer({ from: "alice", to: "bob", token: "USDC", amount: 1n });
 * // r = { status: "rejected", code: "UNKNOWN_ACCOUNT", message: "to: unknown account bob" }
 * ```
 */
import { invariant, Rejection, type RejectCode } from "./errors.js";
import { findLock, lockView, type LockView } from "./amm/lockswap.js";
import { checkConservation, type ConservationReport } from "./conservation.js";
import { exitLeaves, exitRoot, type ExitLeaf } from "./exit.js";
import { outboxLeaves, type LinkedChannel, type OutboxLeaf } from "./receipts.js";
import { freeOf, lpSharesOf, reservedOf } from "./ledger.js";
import type { OpHandler } from "./opSchema.js";
import { getDepth, getOrder, type Depth, type OrderView } from "./orderbook/market.js";
import { OP_REGISTRY, opDefinition, type Op, type OpParameters, type OpReturnType, type OpType } from "./registry.js";
import type { Rejected, Result } from "./results.js";
import { createState, type EngineState, type Lock, type Pool, type Token } from "./state.js";
import { StateRootCache } from "./stateRoot.js";
import { priceInfo, type PriceInfo } from "./oracle.js";
import { lendingAccountView, reserveView, type LendingAccountView, type ReserveView } from "./lending/pool.js";
import { perpAccountView, type PerpAccountView } from "./perps/view.js";

/** Op without its `type` tag: the parameter of the engine method of the same name. */
export type Params<T extends Op> = Omit<T, "type">;

/** One method per op type, named as the op (`engine.swap(p)`), typed from the registry. */
export type OpMethods = { [T in OpType]: (p: Params<OpParameters<T>>) => Result<OpReturnType<T>> };

type Handler = OpHandler<never, object>;

/** One applied op (accepted or rejected), as the engine received it. */
export interface JournalEntry {
  type: OpType;
  op: unknown;
}

export interface EngineOptions {
  /** Record every op in {@link Engine.journal} (for replay and determinism checks). Default false. */
  journal?: boolean;
}

// The op methods (OpMethods) are installed on the prototype from the registry, below the class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface Engine extends OpMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Engine {
  /** The state. Read it through the query methods; mutate it only through ops. */
  readonly state: EngineState = createState();
  /** Every op applied, in order, when created with `{journal: true}`. Ops are kept by reference. */
  readonly journal: JournalEntry[] | undefined;
  private readonly roots = new StateRootCache();
  private applied = 0;

  constructor(options: EngineOptions = {}) {
    this.journal = options.journal === true ? [] : undefined;
  }

  /**
   * A fresh engine with `journal` applied in order. Determinism means its state root equals that of
   * the engine that produced the journal.
   */
  static replay(journal: readonly JournalEntry[]): Engine {
    const engine = new Engine();
    for (const entry of journal) {
      if (opDefinition(entry.type) === undefined) throw new RangeError(`journal: unknown op type ${String(entry.type)}`);
      (engine[entry.type] as (p: unknown) => Result)(entry.op);
    }
    return engine;
  }

  /** Ops applied so far, accepted or rejected. */
  get opsApplied(): number {
    return this.applied;
  }

  /**
   * Applies one op. Never throws on bad input: malformed ops are `rejected` with `INVALID_OP`.
   */
  apply(op: Op): Result {
    if (typeof op !== "object" || op === null) return this.count(rejection("INVALID_OP", "op must be an object"));
    if (opDefinition(op.type) === undefined) return this.count(rejection("INVALID_OP", `unknown op type ${String(op.type)}`));
    // Through the op's own method: its handler call site is monomorphic (see `run`).
    return (this[op.type] as (p: unknown) => Result)(op);
  }

  /**
   * Runs one op's handler; a Rejection thrown before its first mutation becomes a `rejected` result.
   * The op methods pass their handler explicitly: once `run` is inlined into a method, the handler
   * call is monomorphic and V8 inlines it too (Engine.swap 0.68M → 1.2M swaps/s, npm run bench).
   */
  private run(type: OpType, op: unknown, handler: Handler): Result {
    this.applied++;
    if (typeof op !== "object" || op === null) return rejection("INVALID_OP", "op must be an object");
    if (this.journal !== undefined) this.journal.push({ type, op });
    try {
      return handler(this.state, op as never);
    } catch (error) {
      if (error instanceof Rejection) return rejection(error.code, error.message);
      throw error;
    }
  }

  private count(result: Rejected): Rejected {
    this.applied++;
    return result;
  }

  /** Id of the next on-chain deposit record this engine will credit (= records credited so far). */
  get depositsCredited(): bigint {
    return this.state.depositsCredited;
  }

  /* ─────────────── queries ─────────────── */

  /** The oracle price of `asset` now (median of fresh reports), or why there is none. */
  getPrice(asset: string): PriceInfo {
    return priceInfo(this.state, asset);
  }
  /** Lending reserve of `asset`: rates, indexes and totals accrued to now, or undefined. */
  getReserve(asset: string): ReserveView | undefined {
    const r = this.state.lending.reserves.get(asset);
    return r === undefined ? undefined : reserveView(this.state, r);
  }
  /**
   * Lending position of `account`: health factor (ray), collateral and debt. Throws a Rejection
   * (STALE_PRICE / UNKNOWN_PRICE) when a reserve it uses has no fresh price; use the scenario query for a
   * result instead.
   */
  getLendingAccount(account: string): LendingAccountView {
    return lendingAccountView(this.state, account);
  }

  /** The account's perpetuals margin, one section per collateral token (empty if it never used perps). */
  getPerpAccount(account: string): PerpAccountView[] {
    return perpAccountView(this.state, account);
  }
  /** Insurance fund of the perps module in `token`, base units. */
  insuranceFundOf(token: string): bigint {
    return this.state.perps.insurance.get(token) ?? 0n;
  }

  /** Free balance in base units (0 for unknown accounts or tokens). */
  balanceOf(account: string, token: string): bigint {
    const a = this.state.accounts.get(account);
    return a === undefined ? 0n : freeOf(a, token);
  }
  /** Balance held by open orders in base units. */
  reservedOf(account: string, token: string): bigint {
    const a = this.state.accounts.get(account);
    return a === undefined ? 0n : reservedOf(a, token);
  }
  lpSharesOf(account: string, pool: string): bigint {
    const a = this.state.accounts.get(account);
    return a === undefined ? 0n : lpSharesOf(a, pool);
  }
  getToken(symbol: string): Token | undefined {
    return this.state.tokens.get(symbol);
  }
  /** A copy of the pool's reserves and supply, or undefined. */
  getPool(pool: string): Readonly<Pool> | undefined {
    const p = this.state.pools.get(pool);
    if (p === undefined) return undefined;
    // Copies of the lock/vote collections too, so that no caller can reach the engine's own.
    return {
      ...p,
      lockAllowList: new Set(p.lockAllowList),
      locks: new Map(p.locks),
      locksByOwner: new Map(p.locksByOwner),
      feeVotes: new Map(p.feeVotes),
    };
  }
  /** A copy of the pool's lock-swap and fee-vote state (open locks, S/O sums, policy, votes), or undefined. */
  getLocks(pool: string): LockView | undefined {
    const p = this.state.pools.get(pool);
    return p === undefined ? undefined : lockView(this.state, p);
  }
  /** A copy of the open lock `lockId` (`<pool>#<n>`), or undefined. */
  getLock(lockId: string): Readonly<Lock> | undefined {
    const l = findLock(this.state, lockId);
    return l === undefined ? undefined : { ...l };
  }
  /** L2 depth: up to `levels` price levels per side, best first, with total lots and order count. */
  getDepth(market: string, levels = 10): Depth | undefined {
    const m = this.state.markets.get(market);
    return m === undefined ? undefined : getDepth(m, levels);
  }
  getOrder(market: string, orderId: number): OrderView | undefined {
    const m = this.state.markets.get(market);
    return m === undefined ? undefined : getOrder(m, orderId);
  }
  /** The engine's time in ms (the last decided checkpoint's time). */
  get timeMs(): number {
    return this.state.timeMs;
  }
  /** Protocol fees collected in `token`, base units. */
  protocolFeesOf(token: string): bigint {
    return this.state.protocolFees.get(token) ?? 0n;
  }

  /** Per-token conservation check (DESIGN §2); `ok` is false if any token's books do not balance. */
  checkConservation(): ConservationReport {
    return checkConservation(this.state);
  }

  /** SHA-256 Merkle root over the sorted state leaves, 0x-hex. Incremental: only changed leaves are rehashed. */
  stateRoot(): string {
    return this.roots.root(this.state);
  }

  /**
   * Keccak Merkle root of what each account could withdraw per token if the channel closed now,
   * followed by the outbox leaves of receipts sent to other channels (`receipts.ts`).
   */
  exitRoot(): string {
    return exitRoot(exitLeaves(this.state), outboxLeaves(this.state));
  }

  /** The outbox leaves (cumulative receipts sent per channel, account and token), in tree order. */
  outboxLeaves(): OutboxLeaf[] {
    return outboxLeaves(this.state);
  }
  /** A channel whose receipts this engine accepts (`linkChannel`), or undefined. */
  linkedChannel(channelId: string): LinkedChannel | undefined {
    return this.state.receipts.links.get(channelId);
  }
  /** Cumulative amount of `token` sent by `account` to `toChannel` (base units). */
  sentOf(toChannel: string, account: string, token: string): bigint {
    return this.state.receipts.sent.get(`${toChannel}|${account}|${token}`) ?? 0n;
  }
  /** Cumulative amount of `token` credited to `account` from `fromChannel` (the last credited cumulativeSent). */
  creditedOf(fromChannel: string, account: string, token: string): bigint {
    return this.state.receipts.credited.get(`${fromChannel}|${account}|${token}`) ?? 0n;
  }

  /** The exit leaves themselves (sorted), for proofs and reconciliation. */
  exitLeaves(): ExitLeaf[] {
    return exitLeaves(this.state);
  }
}

function rejection(code: RejectCode, message: string): Rejected {
  return { status: "rejected", code, message };
}

/*
 * ─────────────── ops: one method per op type, named as the op ───────────────
 * Each calls its handler directly (no copy of the op into a tagged object): handlers never read
 * `type`, and skipping the copy is a measurable share of a swap.
 */
for (const { op } of OP_REGISTRY) installOpMethod(op.type, op.handler as Handler);

function installOpMethod(type: OpType, handler: Handler): void {
  invariant(/^[a-z][A-Za-z0-9]*$/.test(type), `registry: op type ${type} is not an identifier`);
  // One function per op compiled from its own source text, not one closure shared by all ops: V8 keeps
  // call feedback per function literal, so with a shared closure the inlined `run` → handler call sees
  // every op's handler and stops inlining (Engine.swap 2.6M → 0.84M swaps/s, npm run bench -- --only amm).
  // The source is built from the registry's own op type (checked above), never from input.
  const method = new Function("handler", `return function ${type}(p) { return this.run("${type}", p, handler); };`)(handler) as (p: unknown) => Result;
  Object.defineProperty(Engine.prototype, type, { value: method, writable: true, configurable: true, enumerable: false });
}
