/**
 * The state root: a SHA-256 Merkle root over every piece of engine state, as sorted leaves.
 *
 * Leaves (key → canonical text):
 *   `t:<symbol>`  token: decimals, address
 *   `a:<id>`      account: address, roles, free / reserved / LP shares sorted by key
 *   `p:<id>`      pool: tokens, fee, reserves, supply, then (once used) lock policy, open locks, S/O sums, fee votes
 *   `m:<id>`      market: config, then each live price level in priority order with the SHA-256 of its
 *                 orders (`marketLeafText`: a changed market rehashes only its changed levels)
 *   `o:<asset>`   oracle: staleness limit and each oracle's latest report (`encodeAssetPrices`)
 *   `l:<asset>`   lending reserve: config, indexes, rates, cash, scaled supply/debt per account (`encodeReserve`)
 *   `pm:<id>`, `pa:<id>`, `pg`  perpetuals: market (params, funding, positions), account quote
 *                 balances, module vault/insurance fund/bad debt (`encodePerpsLeaf`)
 *   `x`           cross-channel receipts: own channel id, links, outbox and inbox counters (`encodeReceipts`;
 *                 absent until the channel links another)
 *   `g`           globals: time, next order id, per-token deposited/withdrawn, protocol fees, then
 *                 (once a deposit record was credited) `dc:<next deposit record id>`
 * leaf hash = sha256(0x00 ‖ key ‖ 0x00 ‖ text), node = sha256(0x01 ‖ left ‖ right), an odd last node
 * is promoted; leaves ordered by key (UTF-16 code unit order, which is byte order for our ASCII ids).
 * Amounts are decimal integers, so the root is the same on every machine and in every run.
 *
 * Cost: changed entities are rehashed (the engine marks them dirty as it mutates them), then the
 * inner nodes are recomputed: O(dirty leaf bytes + leaves). A changed market costs O(its live
 * levels + the orders of the levels that changed).
 */
import { createHash } from "node:crypto";
import { encodeLockState } from "./amm/lockswap.js";
import { marketLeafText } from "./orderbook/market.js";
import { encodeAssetPrices } from "./oracle.js";
import { encodeReserve } from "./lending/pool.js";
import { encodePerpsLeaf } from "./perps/market.js";
import { encodeReceipts } from "./receipts.js";
import type { Account, EngineState, Pool, Token } from "./state.js";

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);
const SEPARATOR = Buffer.from([0]);

export class StateRootCache {
  private readonly leaves = new Map<string, Buffer>();
  private sortedKeys: string[] = [];
  private keysChanged = false;
  private tokenCount = 0;

  /** 0x-hex root of the current state. */
  root(state: EngineState): string {
    if (state.tokens.size !== this.tokenCount) {
      for (const token of state.tokens.values()) this.put(`t:${token.symbol}`, encodeToken(token));
      this.tokenCount = state.tokens.size;
    }
    for (const account of state.dirtyAccounts) this.put(`a:${account.id}`, encodeAccount(account));
    state.dirtyAccounts.clear();
    for (const pool of state.dirtyPools) this.put(`p:${pool.id}`, encodePool(pool));
    state.dirtyPools.clear();
    for (const market of state.dirtyMarkets) this.put(`m:${market.id}`, marketLeafText(market));
    state.dirtyMarkets.clear();
    for (const prices of state.oracle.dirty) this.put(`o:${prices.asset}`, encodeAssetPrices(prices));
    state.oracle.dirty.clear();
    for (const reserve of state.lending.dirty) this.put(`l:${reserve.asset}`, encodeReserve(reserve));
    state.lending.dirty.clear();
    for (const key of state.perps.dirty) {
      const text = encodePerpsLeaf(state.perps, key);
      if (text !== undefined) this.put(key, text);
    }
    state.perps.dirty.clear();
    if (state.receipts.dirty) {
      this.put("x", encodeReceipts(state.receipts));
      state.receipts.dirty = false;
    }
    this.put("g", encodeGlobals(state));

    if (this.keysChanged) {
      this.sortedKeys = [...this.leaves.keys()].sort();
      this.keysChanged = false;
    }
    let level = this.sortedKeys.map((key) => this.leaves.get(key) as Buffer);
    while (level.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) {
        next.push(createHash("sha256").update(NODE_PREFIX).update(level[i] as Buffer).update(level[i + 1] as Buffer).digest());
      }
      if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
      level = next;
    }
    const root = level[0] ?? createHash("sha256").update(NODE_PREFIX).digest();
    return "0x" + root.toString("hex");
  }

  private put(key: string, text: string): void {
    if (!this.leaves.has(key)) this.keysChanged = true;
    this.leaves.set(key, createHash("sha256").update(LEAF_PREFIX).update(key).update(SEPARATOR).update(text).digest());
  }
}

function encodeToken(token: Token): string {
  return `${token.decimals}|${token.address}`;
}

function encodeAccount(account: Account): string {
  const base = `${account.address}|${account.roles}|${encodeMap(account.free)}|${encodeMap(account.reserved)}|${encodeMap(account.lpShares)}`;
  // Cumulative withdrawals (exit leaves) follow only once an account has withdrawn, so the leaf text
  // of accounts that never did is unchanged.
  return account.withdrawn.size === 0 ? base : `${base}|w:${encodeMap(account.withdrawn)}`;
}

function encodePool(pool: Pool): string {
  // Lock-swap and fee-vote state (amm/lockswap.ts) follows only once a pool uses it, so that pools
  // which never did keep their leaf text.
  const locks = encodeLockState(pool);
  const base = `${pool.token0}|${pool.token1}|${pool.feePpm}|${pool.reserve0}|${pool.reserve1}|${pool.totalSupply}`;
  return locks === "" ? base : `${base}|${locks}`;
}

function encodeGlobals(state: EngineState): string {
  const totals = [...state.totals.keys()].sort().map((token) => {
    const t = state.totals.get(token);
    return `${token}=${t?.deposited ?? 0n}/${t?.withdrawn ?? 0n}`;
  });
  const base = `${state.timeMs}|${state.nextOrderId}|${totals.join(",")}|${encodeMap(state.protocolFees)}`;
  // Credited deposit records (deposits.ts) follow only once there are some, so that engines that
  // never credited one keep their root.
  return state.depositsCredited === 0n ? base : `${base}|dc:${state.depositsCredited}`;
}

/** `k=v,k=v` with keys sorted; zero entries are never stored (see ledger.ts), so equal states encode equally. */
function encodeMap(map: Map<string, bigint>): string {
  if (map.size === 0) return "";
  return [...map.keys()]
    .sort()
    .map((key) => `${key}=${map.get(key)}`)
    .join(",");
}
