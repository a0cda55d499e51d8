/**
 * The `voteFee` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { reject } from "../../errors.js";
import { lpSharesOf } from "../../ledger.js";
import { defineOp, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import { TRADING_ROLES } from "../../roles.js";
import type { EngineState } from "../../state.js";
import { requireActor, requireInt, requirePool } from "../../validate.js";
import type { VoteFeeResult } from "../lockswap.js";
import { MAX_FEE_VOTERS, recomputeFee } from "../lockswap.js";

/** An LP's vote for its pool's fee, ppm 0..999999; the fee is the share-weighted median of the votes. */
export interface VoteFeeParameters {
  type: "voteFee";
  account: string;
  pool: string;
  feePpm: number;
}

/** What an accepted `voteFee` returns besides `status`. */
export type VoteFeeReturnType = VoteFeeResult;

/** Every rejection code `voteFee` can return (checked by `test/ops.registry.test.ts`). */
export const voteFeeErrorCodes = ["INVALID_OP", "INVALID_ID", "UNKNOWN_ACCOUNT", "UNKNOWN_POOL", "NOT_PERMITTED", "LIMIT_EXCEEDED"] as const;
export type VoteFeeErrorType = OpErrorType<typeof voteFeeErrorCodes>;

/**
 * Records an LP's fee vote and recomputes the pool's effective fee (module doc: share-weighted lower
 * median, non-voting shares vote the creation fee). Only accounts holding LP shares of the pool vote.
 *
 * @returns {@link VoteFeeResult}
 * @throws Rejection NOT_PERMITTED (no LP shares, no trading role), INVALID_OP (fee not 0..999999),
 *   LIMIT_EXCEEDED (too many voters), UNKNOWN_POOL, UNKNOWN_ACCOUNT, INVALID_ID
 */
export function applyVoteFee(state: EngineState, op: VoteFeeParameters): Accepted<VoteFeeResult> {
  const actor = requireActor(state, op.account, "account", TRADING_ROLES, "vote fees");
  const pool = requirePool(state, op.pool, "pool");
  const vote = BigInt(requireInt(op.feePpm, "feePpm", 0, 999_999));
  if (lpSharesOf(actor, pool.id) === 0n) reject("NOT_PERMITTED", `${actor.id} holds no LP shares of ${pool.id}`);
  if (!pool.feeVotes.has(actor.id) && pool.feeVotes.size >= MAX_FEE_VOTERS) {
    reject("LIMIT_EXCEEDED", `at most ${MAX_FEE_VOTERS} fee voters per pool`);
  }
  // ── mutation ──
  pool.feeVotes.set(actor.id, vote);
  recomputeFee(state, pool);
  return { status: "accepted", pool: pool.id, vote, feePpm: pool.feePpm };
}

export const voteFeeOp = defineOp<VoteFeeParameters, VoteFeeReturnType>({
  type: "voteFee",
  kind: "batch",
  fields: [
    req("account", "string", { doc: "holds LP shares of the pool" }),
    req("pool", "string"),
    req("feePpm", "int", { doc: "0..999999" }),
  ],
  handler: applyVoteFee,
  rejects: voteFeeErrorCodes,
  docs: {
    section: "core",
    result: "`pool`, `vote`, `feePpm` (the pool's effective fee after the vote)",
  },
});
