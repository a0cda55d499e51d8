/**
 * A replica's eye on the chain: follows the adjudicator's events for one channel —
 * deposit records, settlement proposals and challenges, finalization — and answers a proposal whose
 * height is below the highest certificate the replica holds with `challengeSettlement` at once,
 * without anyone asking. That is what makes the dispute window safe for an honest participant that
 * is online: a stale proposal never finalizes while it watches.
 *
 * Polling (`eth_getLogs` over new blocks) rather than filters, so it behaves the same on the embedded
 * EVM and on any JSON-RPC endpoint; `poll()` is public so callers can also drive it step by step.
 */
import { parseEventLogs, type Account, type Log } from "viem";
import type { Hex } from "../runtime/bytes.js";
import type { AdjudicatorClient, DepositEvent, TxResult } from "./client.js";
import type { Certificate } from "./certificate.js";

export interface SettlementEvent {
  kind: "proposed" | "challenged" | "finalized" | "checkpoint";
  height: bigint;
  exitRoot: Hex;
  blockNumber: bigint;
}

export interface WatcherOptions {
  client: AdjudicatorClient;
  channelId: Hex;
  /** The replica's own account: sends the challenges. */
  sender: Account;
  /** The highest certificate this replica holds (e.g. from its checkpoint store), if any. */
  latestCertificate: () => Certificate | undefined;
  /** Delay between polls when started, ms (default 100). */
  pollIntervalMs?: number;
  /** First block to read (default 0). */
  fromBlock?: bigint;
  onDeposit?: (deposit: DepositEvent) => void;
  onSettlement?: (event: SettlementEvent) => void;
  onChallenge?: (tx: TxResult, cert: Certificate) => void;
  /** Errors of the background loop (a failed poll or challenge); the loop keeps going. */
  onError?: (error: unknown) => void;
}

const KINDS: Readonly<Record<string, SettlementEvent["kind"] | undefined>> = {
  SettlementProposed: "proposed",
  SettlementChallenged: "challenged",
  SettlementFinalized: "finalized",
  CheckpointAccepted: "checkpoint",
};

export class SettlementWatcher {
  /** Deposit records of the channel seen so far, in record order. */
  readonly deposits: DepositEvent[] = [];
  readonly settlements: SettlementEvent[] = [];
  /** Challenges this watcher sent. */
  readonly challenges: { tx: TxResult; height: number }[] = [];
  private nextBlock: bigint;
  private head_: bigint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly opts: WatcherOptions) {
    this.nextBlock = opts.fromBlock ?? 0n;
  }

  /** The latest block number a poll has read up to (undefined before the first poll). */
  get head(): bigint | undefined {
    return this.head_;
  }

  /** Reads the events of every block not read yet and reacts to them. */
  async poll(): Promise<void> {
    const { client, channelId } = this.opts;
    const latest = await client.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    this.head_ = latest;
    if (latest < this.nextBlock) return;
    const logs = await client.chain.publicClient.getLogs({ address: client.address, fromBlock: this.nextBlock, toBlock: latest });
    this.nextBlock = latest + 1n;
    const events = parseEventLogs({ abi: client.abi, logs: logs as Log[] }) as unknown as {
      eventName: string;
      args: { channelId: Hex; height?: bigint; exitRoot?: Hex } & Record<string, unknown>;
      blockNumber: bigint;
    }[];
    let stale: bigint | undefined;
    for (const e of events) {
      if (e.args.channelId !== channelId) continue;
      if (e.eventName === "Deposited") {
        const [d] = client.decodeDeposits([logs.find((l) => l.blockNumber === e.blockNumber && l.logIndex === (e as unknown as Log).logIndex) as Log]);
        if (d === undefined) continue;
        this.deposits.push(d);
        this.opts.onDeposit?.(d);
        continue;
      }
      const kind = KINDS[e.eventName];
      if (kind === undefined) continue;
      const ev: SettlementEvent = { kind, height: BigInt(e.args.height ?? 0n), exitRoot: e.args.exitRoot ?? "0x", blockNumber: e.blockNumber };
      this.settlements.push(ev);
      this.opts.onSettlement?.(ev);
      if (kind === "proposed" || kind === "challenged") stale = ev.height;
      if (kind === "finalized") stale = undefined;
    }
    if (stale !== undefined) await this.answer();
  }

  /** Challenges the pending proposal if this replica holds a strictly higher certificate. */
  async answer(): Promise<TxResult | undefined> {
    const { client, channelId } = this.opts;
    const cert = this.opts.latestCertificate();
    if (cert === undefined) return undefined;
    const view = await client.channel(channelId);
    if (view.status !== "Disputed" || BigInt(cert.checkpoint.height) <= view.height) return undefined;
    if ((await client.chain.nowSeconds()) >= view.deadlineSeconds) return undefined; // too late: the window closed
    const tx = await client.challengeSettlement(this.opts.sender, channelId, cert);
    this.challenges.push({ tx, height: cert.checkpoint.height });
    this.opts.onChallenge?.(tx, cert);
    return tx;
  }

  /** Polls in the background every `pollIntervalMs` until {@link stop}. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.poll()
        .catch((e: unknown) => this.opts.onError?.(e))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollIntervalMs ?? 100);
        });
    };
    loop();
  }

  /** Stops the background loop and waits for a poll in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }
}
