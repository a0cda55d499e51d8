/**
 * The `createPool` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState, Pool } from "../../state.js";
import { requireAccount, requireId, requireInt, requireToken } from "../../validate.js";
import { requireLockPolicy } from "../lockswap.js";

/* ───────────────────────────── AMM ───────────────────────────── */

/** Creates an empty constant-product pool of `token0`/`token1` (Uniswap V2 pair semantics). */
export interface CreatePoolParameters {
  type: "createPool";
  pool: string;
  token0: string;
  token1: string;
  /** Swap fee in ppm, kept in the pool; 3000 reproduces Uniswap V2's 997/1000. 0..999999. */
  feePpm: number;
  /** Who may acquire lock-swaps: "off", "anybody" (default) or "allowList" (see `amm/lockswap.ts`). */
  lockPolicy?: "off" | "anybody" | "allowList";
  /** Account ids allowed to lock when `lockPolicy` is "allowList" (at most 256). */
  lockAllowList?: string[];
  /** Account that may change the lock policy later (setLockPolicy); omitted ⇒ the policy is fixed. */
  admin?: string;
}

/** What an accepted `createPool` returns besides `status`. */
export type CreatePoolReturnType = { pool: string };

/** Every rejection code `createPool` can return (checked by `test/ops.registry.test.ts`). */
export const createPoolErrorCodes = ["INVALID_OP", "INVALID_ID", "UNKNOWN_TOKEN", "UNKNOWN_ACCOUNT", "ALREADY_EXISTS", "LIMIT_EXCEEDED"] as const;
export type CreatePoolErrorType = OpErrorType<typeof createPoolErrorCodes>;

/**
 * Creates an empty pool (UniswapV2Factory.createPair). `token0`/`token1` are kept in the order given.
 *
 * Options (lockswap.ts): `lockPolicy` "off" / "anybody" (default) / "allowList" with `lockAllowList`,
 * and `admin`, the account that may change the policy later (none ⇒ fixed).
 *
 * @returns `{ status: "accepted", pool }` — the pool id
 * @throws Rejection INVALID_ID (pool id), ALREADY_EXISTS (pool id taken), UNKNOWN_TOKEN,
 *   INVALID_OP (token0 = token1, feePpm not an integer in 0..999999, bad lock policy),
 *   UNKNOWN_ACCOUNT (admin), LIMIT_EXCEEDED (allow-list)
 */
export function applyCreatePool(state: EngineState, op: CreatePoolParameters): Accepted<{ pool: string }> {
  const id = requireId(op.pool, "pool");
  if (state.pools.has(id)) reject("ALREADY_EXISTS", `pool ${id} already exists`);
  const token0 = requireToken(state, op.token0, "token0").symbol;
  const token1 = requireToken(state, op.token1, "token1").symbol;
  if (token0 === token1) reject("INVALID_OP", `token0 and token1 must differ (both ${token0})`);
  const feePpm = BigInt(requireInt(op.feePpm, "feePpm", 0, 999_999));
  const [lockPolicy, allow] = requireLockPolicy(op.lockPolicy, op.lockAllowList);
  const admin = op.admin === undefined ? undefined : requireAccount(state, op.admin, "admin").id;
  // ── mutation ──
  const pool: Pool = {
    id,
    token0,
    token1,
    feePpm,
    reserve0: 0n,
    reserve1: 0n,
    totalSupply: 0n,
    baseFeePpm: feePpm,
    lockPolicy,
    lockAllowList: new Set(allow),
    admin,
    pending0: 0n,
    pending1: 0n,
    owed0: 0n,
    owed1: 0n,
    locks: new Map(),
    locksByOwner: new Map(),
    lockSeq: 0,
    feeVotes: new Map(),
  };
  state.pools.set(id, pool);
  state.dirtyPools.add(pool);
  return { status: "accepted", pool: id };
}

export const createPoolOp = defineOp<CreatePoolParameters, CreatePoolReturnType>({
  type: "createPool",
  kind: "genesis",
  fields: [
    req("pool", "string"),
    req("token0", "string"),
    req("token1", "string"),
    req("feePpm", "int", { doc: "0..999999" }),
    opt("lockPolicy", "enum", { values: ["off", "anybody", "allowList"], doc: "`off`/`anybody` (default)/`allowList`" }),
    opt("lockAllowList", "strings", { doc: "account ids, ≤ 256" }),
    opt("admin", "string", { doc: "account that may `setLockPolicy`; none ⇒ fixed" }),
  ],
  handler: applyCreatePool,
  rejects: createPoolErrorCodes,
  docs: {
    section: "core",
    result: "`pool`",
  },
});
