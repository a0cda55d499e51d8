/**
 * The chain side of deposit crediting (DESIGN §5: a correct replica accepts a crediting op only when
 * the record exists on chain and was not credited before; see `src/channel/deposits.ts`): a
 * {@link DepositSource} fed by a replica's own {@link SettlementWatcher}, which follows the
 * adjudicator's `Deposited(channelId, recordId, beneficiary, token, amount)` events.
 *
 * A record counts as confirmed once its block is `confirmations` deep: the chain's latest block
 * the watcher has read is at least `blockNumber + confirmations − 1` (1 = mined; the embedded EVM
 * has no reorgs; a public chain wants more). Fields map one to one: recordId; account = the
 * beneficiary, token = the token address (ETH = address 0, `ETH_ADDRESS`), both lower-case; amount =
 * the recorded base units (for ERC-20s what actually arrived).
 *
 * Host loop: `await watcher.poll()` (or `watcher.start()`), then `checkpointer.depositsChanged()`.
 */
import { SettlementError } from "./errors.js";
import type { DepositRecord, DepositSource } from "../channel/deposits.js";
import type { Hex } from "../channel/identity.js";
import type { DepositEvent } from "./client.js";
import type { SettlementWatcher } from "./watcher.js";

export interface ChainDepositSourceOptions {
  /** Blocks deep a record must be to count (≥ 1). Default 1. */
  confirmations?: number;
}

export class ChainDepositSource implements DepositSource {
  private readonly confirmations: bigint;
  private readonly byId = new Map<bigint, DepositEvent>();
  private seen = 0;

  /** `watcher` must follow the channel from a block at or before its first deposit (default 0). */
  constructor(
    private readonly watcher: SettlementWatcher,
    options: ChainDepositSourceOptions = {},
  ) {
    const c = options.confirmations ?? 1;
    if (!Number.isSafeInteger(c) || c < 1) throw new SettlementError("INVALID_PARAMETER", "confirmations must be an integer ≥ 1");
    this.confirmations = BigInt(c);
  }

  confirmed(recordId: bigint): DepositRecord | undefined {
    const all = this.watcher.deposits;
    for (; this.seen < all.length; this.seen++) {
      const d = all[this.seen]!;
      this.byId.set(d.recordId, d);
    }
    const d = this.byId.get(recordId);
    const head = this.watcher.head;
    if (d === undefined || head === undefined || head < d.blockNumber + this.confirmations - 1n) return undefined;
    return { recordId: d.recordId, account: d.beneficiary.toLowerCase() as Hex, token: d.token.toLowerCase() as Hex, amount: d.amount };
  }
}
