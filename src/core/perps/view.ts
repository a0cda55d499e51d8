/**
 * Read-only views of the perps module: an account's margin (`getAccount`), its exit amounts (for the
 * exit root) and the module's conservation check.
 */
import type { EngineState } from "../state.js";
import { marginOf, positionValue, requirement, type Frac } from "./margin.js";
import { indexTicks, priceCache, tryIndexPrice } from "./price.js";
import type { PerpMarket } from "./state.js";

export interface PerpPositionView {
  market: string;
  /** Signed lots (long > 0). */
  lots: number;
  side: "long" | "short";
  /** Index price, ⌊ticks⌋; null if the oracle has no fresh price. */
  indexTicks: number | null;
  /** ⌊S·P⌋, quote base units. */
  value: bigint | null;
  maintenanceRequirement: bigint | null;
}

export interface PerpAccountView {
  /** Collateral token of this section. */
  token: string;
  quoteBalance: bigint;
  /** Q + Σ⌊S·P⌋ (collateral + unrealized PnL). Null when an index price is unavailable. */
  equity: bigint | null;
  initialRequirement: bigint | null;
  /** Σ⌈|S|·P·max(IMF, 1/maxLeverage)⌉. */
  effectiveInitialRequirement: bigint | null;
  maintenanceRequirement: bigint | null;
  freeCollateral: bigint | null;
  /** equity < maintenanceRequirement. */
  liquidatable: boolean | null;
  positions: PerpPositionView[];
}

/** The account's perps sections, one per collateral token it uses (sorted by token). */
export function perpAccountView(state: EngineState, accountId: string): PerpAccountView[] {
  const pa = state.perps.accounts.get(accountId);
  if (pa === undefined) return [];
  const tokens = new Set<string>(pa.quote.keys());
  for (const id of pa.markets) tokens.add(state.perps.markets.get(id)!.quote);
  const prices = priceCache(state);
  const out: PerpAccountView[] = [];
  for (const token of [...tokens].sort()) {
    const m = marginOf(state.perps, pa, token, prices);
    const positions: PerpPositionView[] = [];
    for (const id of [...pa.markets].sort()) {
      const market = state.perps.markets.get(id)!;
      if (market.quote !== token) continue;
      const lots = market.positions.get(pa.account) ?? 0;
      const p = prices(market);
      positions.push({
        market: id,
        lots,
        side: lots > 0 ? "long" : "short",
        indexTicks: p === undefined ? null : indexTicks(market, p),
        value: p === undefined ? null : positionValue(lots, p),
        maintenanceRequirement: p === undefined ? null : requirement(lots, p, market.mmfPpm),
      });
    }
    out.push({
      token,
      quoteBalance: pa.quote.get(token) ?? 0n,
      equity: m?.equity ?? null,
      initialRequirement: m?.initialRequirement ?? null,
      effectiveInitialRequirement: m?.effectiveInitialRequirement ?? null,
      maintenanceRequirement: m?.maintenanceRequirement ?? null,
      freeCollateral: m?.freeCollateral ?? null,
      liquidatable: m === undefined ? null : m.equity < m.maintenanceRequirement,
      positions,
    });
  }
  return out;
}

/**
 * What each account, and the insurance fund, could take out of the perps module if the channel closed
 * now, per token: positions are closed at the index price (valued 0 when the oracle has no fresh
 * price), so an account's claim is max(0, equity) with equity floored as in `margin.ts`; the insurance
 * fund's claim is the fund minus the negative equities it would absorb (at least 0). If the fund cannot
 * absorb them, the accounts' claims are scaled down pro rata (floored) so that they fit in the vault —
 * the loss is socialized at exit. Either way Σ claims ≤ vault.
 */
export function perpExitAmounts(state: EngineState): { accounts: Map<string, Map<string, bigint>>; insurance: Map<string, bigint> } {
  const perps = state.perps;
  const priceOf = new Map<PerpMarket, Frac | undefined>();
  for (const market of perps.markets.values()) priceOf.set(market, tryIndexPrice(state, market));
  const equity = new Map<string, Map<string, bigint>>(); // token → account → equity
  for (const pa of perps.accounts.values()) {
    const byToken = new Map<string, bigint>(pa.quote);
    for (const id of pa.markets) {
      const market = perps.markets.get(id)!;
      const p = priceOf.get(market);
      const v = p === undefined ? 0n : positionValue(market.positions.get(pa.account) ?? 0, p);
      byToken.set(market.quote, (byToken.get(market.quote) ?? 0n) + v);
    }
    for (const [token, e] of byToken) {
      let m = equity.get(token);
      if (m === undefined) equity.set(token, (m = new Map()));
      m.set(pa.account.id, e);
    }
  }
  const accounts = new Map<string, Map<string, bigint>>();
  const insurance = new Map<string, bigint>();
  const tokens = new Set<string>([...equity.keys(), ...perps.insurance.keys()]);
  for (const token of tokens) {
    const vault = perps.vault.get(token) ?? 0n;
    const eq = equity.get(token) ?? new Map<string, bigint>();
    let claims = 0n;
    let negative = 0n;
    for (const e of eq.values()) {
      if (e > 0n) claims += e;
      else negative += e;
    }
    const fund = (perps.insurance.get(token) ?? 0n) + negative;
    const fundClaim = fund > 0n ? fund : 0n;
    const available = vault - fundClaim;
    for (const [id, e] of eq) {
      if (e <= 0n) continue;
      const amount = claims <= available ? e : (e * available) / claims;
      if (amount <= 0n) continue;
      let m = accounts.get(id);
      if (m === undefined) accounts.set(id, (m = new Map()));
      m.set(token, amount);
    }
    if (fundClaim > 0n) insurance.set(token, fundClaim);
  }
  return { accounts, insurance };
}

/** The module's books: per token, vault = Σ Q + insurance fund; nothing negative where it cannot be. */
export function perpConservation(state: EngineState): { token: string; expected: bigint; actual: bigint }[] {
  const perps = state.perps;
  const sums = new Map<string, bigint>();
  for (const pa of perps.accounts.values()) for (const [t, q] of pa.quote) sums.set(t, (sums.get(t) ?? 0n) + q);
  for (const [t, f] of perps.insurance) sums.set(t, (sums.get(t) ?? 0n) + f);
  const tokens = new Set<string>([...sums.keys(), ...perps.vault.keys()]);
  return [...tokens].sort().map((token) => ({ token, expected: perps.vault.get(token) ?? 0n, actual: sums.get(token) ?? 0n }));
}
