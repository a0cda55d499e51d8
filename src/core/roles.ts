/**
 * Participant roles (DESIGN §2). A role set is a bit mask so a permission check is one `&`.
 *
 * - Trader: ledger transfers/withdrawals, swaps, orders, liquidity.
 * - MarketMaker: the same trading rights; kept distinct so channel rules can treat it differently.
 * - Liquidator: liquidations (lending and perpetuals, later issues).
 * - Oracle: price updates (later issue).
 * - Observer: no rights; reads only.
 */
export const Role = {
  Trader: 1,
  MarketMaker: 2,
  Liquidator: 4,
  Oracle: 8,
  Observer: 16,
} as const;

export type RoleName = keyof typeof Role;
export const RoleNames = Object.keys(Role) as RoleName[];

/** Role mask of an account created without explicit roles. */
export const DEFAULT_ROLES: number = Role.Trader | Role.MarketMaker;

/** Roles allowed to trade (transfer, withdraw, swap, orders, liquidity). */
export const TRADING_ROLES: number = Role.Trader | Role.MarketMaker;

export function roleMask(names: readonly RoleName[]): number {
  let mask = 0;
  for (const name of names) mask |= Role[name];
  return mask;
}

export function roleNames(mask: number): RoleName[] {
  return RoleNames.filter((name) => (mask & Role[name]) !== 0);
}
