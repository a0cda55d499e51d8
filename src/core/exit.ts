/**
 * The exit root (DESIGN §2, §5): what each account could withdraw of each token if the channel closed
 * now, as a Merkle tree the settlement contract can check claims against.
 *
 * An account's exit amount of a token is
 *   free + reserved (open orders and lock-swaps are cancelled at close, so their reservations return;
 *   a pool's reserves never include the input of its open locks, so LPs are paid from actual reserves)
 *   + Σ over pools of ⌊lpShares · reserve / totalSupply⌋ (LP shares redeemed pro rata, rounded down).
 *   + perpetuals: max(0, equity) with positions closed at the index price; the perps insurance fund
 *     exits to {@link PROTOCOL_ADDRESS} (`perps/view.ts` `perpExitAmounts`: how a shortfall is shared).
 *   + lending: each supply balance paid pro rata out of the reserve's cash (plus borrowers' debt netted
 *     against their own free balance of the asset, which is deducted from that free balance), rounded
 *     down and capped at the balance — see `lendingExitAdjustments` in `lending/pool.ts`.
 * Protocol fees (and the lending treasury's share) exit to {@link PROTOCOL_ADDRESS}. The rounding dust of LP redemption and the
 * MINIMUM_LIQUIDITY locked in each pool are claimable by nobody, so Σ exit amounts ≤ deposits −
 * withdrawals for every token: the contract can always pay every leaf.
 *
 * Leaf: keccak256(keccak256(abi.encode(address account, address token, uint256 amount,
 * uint256 withdrawn))), as OpenZeppelin's StandardMerkleTree; leaves sorted by (account address, token
 * address); a leaf is omitted when both amount and withdrawn are zero. `withdrawn` is the account's
 * cumulative withdrawal of the token (ledger `withdraw` ops, `Account.withdrawn`): the settlement
 * contract (contracts/Adjudicator.sol) records what it has paid per (account, token) and pays
 * `withdrawn − paid` on a mid-channel withdrawal and `amount + withdrawn − paid` on the final claim, so
 * each unit leaves once. Σ (amount + withdrawn) ≤ Σ deposits for every token (+ receipts credited −
 * receipts sent, see below).
 *
 * Outbox leaves (`receipts.ts`): the cumulative receipts sent to other channels follow the exit
 * leaves in the same tree, with a 5-word encoding that no exit leaf can match. {@link exitRoot} and
 * {@link exitProof} take them as an optional argument: without it they describe a channel that never
 * sent a receipt (the tree as before); for any other channel pass `outboxLeaves(state)`, or a proof
 * will not check against the certified root (the contract then reverts InvalidProof: no loss).
 */
import { keccak256 } from "./keccak.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { PROTOCOL_ADDRESS } from "./address.js";
import { merkleProof, merkleRoot, toHex } from "./merkle.js";
import { perpExitAmounts } from "./perps/view.js";
import { lendingExitAdjustments } from "./lending/pool.js";
import { outboxLeafHash, type OutboxLeaf } from "./receipts.js";
import type { EngineState } from "./state.js";

export interface ExitLeaf {
  /** Account id ("protocol" for collected fees). */
  account: string;
  accountAddress: string;
  token: string;
  tokenAddress: string;
  /** Base units the account holds in the channel now (what it could take out on close). */
  amount: bigint;
  /** Base units the account has withdrawn so far, cumulative (paid by the contract's `withdraw`). */
  withdrawn: bigint;
}

export function exitLeaves(state: EngineState): ExitLeaf[] {
  const leaves: ExitLeaf[] = [];
  const lending = lendingExitAdjustments(state);
  const perps = perpExitAmounts(state);
  for (const account of state.accounts.values()) {
    const amounts = new Map<string, bigint>();
    const add = (token: string, amount: bigint): void => {
      if (amount > 0n) amounts.set(token, (amounts.get(token) ?? 0n) + amount);
    };
    for (const [token, amount] of account.free) add(token, amount);
    for (const [token, amount] of account.reserved) add(token, amount);
    for (const [poolId, shares] of account.lpShares) {
      const pool = state.pools.get(poolId);
      if (pool === undefined || pool.totalSupply === 0n) continue;
      add(pool.token0, (shares * pool.reserve0) / pool.totalSupply);
      add(pool.token1, (shares * pool.reserve1) / pool.totalSupply);
    }
    for (const [token, amount] of perps.accounts.get(account.id) ?? []) add(token, amount);
    // Lending (lending/pool.ts): debt netted against the free balance (negative), supply paid pro rata.
    for (const [token, delta] of lending.accounts.get(account.id) ?? []) {
      const next = (amounts.get(token) ?? 0n) + delta;
      if (next > 0n) amounts.set(token, next);
      else amounts.delete(token);
    }
    for (const [token, amount] of amounts) leaves.push(leaf(state, account.id, account.address, token, amount, account.withdrawn.get(token) ?? 0n));
    for (const [token, withdrawn] of account.withdrawn) {
      if (!amounts.has(token) && withdrawn > 0n) leaves.push(leaf(state, account.id, account.address, token, 0n, withdrawn));
    }
  }
  const protocol = new Map(state.protocolFees);
  for (const [token, amount] of lending.protocol) protocol.set(token, (protocol.get(token) ?? 0n) + amount);
  for (const [token, amount] of perps.insurance) protocol.set(token, (protocol.get(token) ?? 0n) + amount);
  for (const [token, amount] of protocol) {
    if (amount > 0n) leaves.push(leaf(state, "protocol", PROTOCOL_ADDRESS, token, amount, 0n));
  }
  leaves.sort((a, b) => compare(a.accountAddress, b.accountAddress) || compare(a.tokenAddress, b.tokenAddress));
  return leaves;
}

/** keccak256(keccak256(abi.encode(account, token, amount, withdrawn))). */
export function exitLeafHash(leaf: ExitLeaf): Uint8Array {
  const encoded = new Uint8Array(128);
  encoded.set(hexToBytes(leaf.accountAddress.slice(2)), 12);
  encoded.set(hexToBytes(leaf.tokenAddress.slice(2)), 44);
  encoded.set(hexToBytes(leaf.amount.toString(16).padStart(64, "0")), 64);
  encoded.set(hexToBytes(leaf.withdrawn.toString(16).padStart(64, "0")), 96);
  return keccak256(keccak256(encoded));
}

/** 0x-hex root over the exit leaves then the outbox leaves (in the order given: both lists come sorted). */
export function exitRoot(leaves: readonly ExitLeaf[], outbox: readonly OutboxLeaf[] = []): string {
  return toHex(merkleRoot(treeHashes(leaves, outbox)));
}

/** Proof for `leaves[index]`, as 0x-hex siblings for `MerkleProof.verify`. */
export function exitProof(leaves: readonly ExitLeaf[], index: number, outbox: readonly OutboxLeaf[] = []): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`no exit leaf ${index}`);
  return merkleProof(treeHashes(leaves, outbox), index).map(toHex);
}

/** Proof for `outbox[index]` in the tree of `leaves` then `outbox` (what a destination channel checks). */
export function outboxProof(leaves: readonly ExitLeaf[], outbox: readonly OutboxLeaf[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= outbox.length) throw new RangeError(`no outbox leaf ${index}`);
  return merkleProof(treeHashes(leaves, outbox), leaves.length + index).map(toHex);
}

function treeHashes(leaves: readonly ExitLeaf[], outbox: readonly OutboxLeaf[]): Uint8Array[] {
  const hashes = leaves.map(exitLeafHash);
  for (const o of outbox) hashes.push(outboxLeafHash(o));
  return hashes;
}

function leaf(state: EngineState, account: string, accountAddress: string, token: string, amount: bigint, withdrawn: bigint): ExitLeaf {
  const tokenAddress = state.tokens.get(token)?.address ?? "";
  return { account, accountAddress, token, tokenAddress, amount, withdrawn };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
