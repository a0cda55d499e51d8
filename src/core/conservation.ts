/**
 * Conservation (DESIGN §2): for every token,
 *
 *   Σ free balances + Σ reserved + Σ pool reserves + protocol fees + Σ lending reserve cash
 *     =  Σ deposits − Σ withdrawals + Σ receipts credited from other channels − Σ receipts sent to them.
 *
 * (Receipts, `receipts.ts`: a `sendReceipt` takes value out of this channel as a withdrawal does, a
 * `creditReceipt` brings it in as a deposit does; across channels Σ sent = Σ credited + in flight.)
 *
 * Perpetuals: the perps module's vault (margin deposited, insurance fund) counts on the left; inside
 * it, per token, vault = Σ quote balances + insurance fund (a mismatch is a `perps:<token>` violation).
 *
 * The engine never creates or destroys value; tests assert this after every op.
 */
import { perpConservation } from "./perps/view.js";
import { netReceipts } from "./receipts.js";
import type { EngineState } from "./state.js";

export interface TokenConservation {
  token: string;
  /** Σ deposits − Σ withdrawals + Σ receipts credited − Σ receipts sent. */
  expected: bigint;
  /** Σ free + Σ reserved + Σ pool reserves + protocol fees. */
  actual: bigint;
}

export interface ConservationReport {
  ok: boolean;
  tokens: TokenConservation[];
  /** Tokens whose books do not balance (empty when ok). */
  violations: TokenConservation[];
  /** True when some balance, reserve or fee is negative (never expected). */
  negative: boolean;
}

/** O(accounts × tokens held + pools): meant for tests and end-of-run checks, not the hot path. */
export function checkConservation(state: EngineState): ConservationReport {
  const held = new Map<string, bigint>();
  let negative = false;
  const add = (token: string, amount: bigint): void => {
    if (amount < 0n) negative = true;
    held.set(token, (held.get(token) ?? 0n) + amount);
  };
  for (const account of state.accounts.values()) {
    for (const [token, amount] of account.free) add(token, amount);
    for (const [token, amount] of account.reserved) add(token, amount);
  }
  for (const pool of state.pools.values()) {
    add(pool.token0, pool.reserve0);
    add(pool.token1, pool.reserve1);
  }
  for (const [token, amount] of state.protocolFees) add(token, amount);
  // Lending: the underlying each reserve holds (supplied − borrowed − withdrawn + repaid).
  for (const reserve of state.lending.reserves.values()) add(reserve.asset, reserve.cash);
  for (const [token, amount] of state.perps.vault) add(token, amount);
  for (const amount of state.perps.insurance.values()) if (amount < 0n) negative = true;

  const tokens: TokenConservation[] = [];
  for (const [token, totals] of [...state.totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    tokens.push({ token, expected: totals.deposited - totals.withdrawn + netReceipts(state, token), actual: held.get(token) ?? 0n });
    held.delete(token);
  }
  // Anything held in a token the engine never registered is a violation too.
  for (const [token, amount] of held) tokens.push({ token, expected: 0n, actual: amount });
  const violations = tokens.filter((t) => t.expected !== t.actual);
  for (const t of perpConservation(state)) if (t.expected !== t.actual) violations.push({ ...t, token: `perps:${t.token}` });
  return { ok: violations.length === 0 && !negative, tokens, violations, negative };
}
