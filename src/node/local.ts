/**
 * `createLocalChannel`: a whole N-party channel with Tendermint checkpoints in one process, wired from
 * the real parts the way the main job and the tests wire them by hand: per party a
 * {@link MultiPartyChannel} (Replica, sync, signed batches) and a {@link Checkpointer}
 * (`attachCheckpointer`), both over one node of a seeded {@link SimNetwork} split by
 * `muxTransport` (tag 0 sync, tag 1 consensus). Nothing is mocked: messages are encoded, sent with
 * the network's seeded delays (virtual milliseconds), decoded, verified and applied as over
 * WebSocket; only time is virtual, so a run is deterministic for a seed and takes no wall-clock waits.
 *
 * Time: the network starts at virtual 0 ms; channel time (batch timestamps, checkpoint times) is
 * `startTimeMs + virtual ms`. Time only moves inside {@link LocalChannel.advance},
 * {@link LocalChannel.sync}, {@link LocalChannel.finalize} and {@link LocalChannel.creditDeposits},
 * each bounded by a budget of virtual ms.
 *
 * Deposits: pass each party's view of the chain's deposit records (`ChainDepositSource` over its
 * own `SettlementWatcher`, `src/settlement/deposits.ts`) as `deposits`; after new records are on chain,
 * `await watcher.poll()` for each party, then {@link LocalChannel.creditDeposits} runs until
 * checkpoints have credited them (`creditDeposit` ops, DESIGN §5).
 *
 * @example
 * ```ts
 * const local = createLocalChannel({ signers, channelId, genesis });
 * local.channels[0]!.transfer({ to: local.channels[1]!.address, token: "USDC", amount: 5_000_000n });
 * const { certificate, finalState } = local.finalize(); // certified by ⌊2N/3⌋+1 signatures
 * ```
 */
import type { CheckpointCertificate, Checkpointer, CheckpointerOptions } from "../channel/checkpoint.js";
import type { DepositSource } from "../channel/deposits.js";
import { attachCheckpointer, muxTransport } from "../channel/consensus/attach.js";
import type { Hex, Participant, Signer } from "../channel/identity.js";
import type { Engine } from "../core/engine.js";
import { SemilatticeError } from "../core/errors.js";
import type { Op } from "../core/ops.js";
import type { RoleName } from "../core/roles.js";
import { SimNetwork, type SimFaults } from "../sync/simNetwork.js";
import { MultiPartyChannel, ZERO_ADDRESS, type ChannelRules } from "./channel.js";

/** Most parties of a local channel (the sync layer's participant limit). */
export const MAX_LOCAL_PARTIES = 64;
/** Default virtual-ms budget of one `sync` / `finalize` / `creditDeposits` call (2 minutes). */
export const DEFAULT_BUDGET_MS = 120_000;
/** Default channel time at virtual 0: 2026-01-01T00:00:00Z, ms since the epoch. */
export const DEFAULT_START_TIME_MS = 1_767_225_600_000;

export type LocalChannelErrorCode = "INVALID_PARAMETERS" | "TIMEOUT" | "DIVERGED";

/** Bad parameters, or a run that did not reach its goal within its virtual-time budget. */
export class LocalChannelError extends SemilatticeError {
  override name = "LocalChannelError";
  declare readonly code: LocalChannelErrorCode;
  constructor(code: LocalChannelErrorCode, message: string) {
    super(code, `local channel: ${message}`);
  }
}

export interface CreateLocalChannelParameters {
  /** The parties' channel keys, 2..{@link MAX_LOCAL_PARTIES}, distinct; party i signs with `signers[i]`. */
  signers: readonly Signer[];
  /** Roles of each party (default `["Trader", "MarketMaker"]` for every party). */
  roles?: readonly (readonly RoleName[])[];
  /** bytes32 channel id, 0x + 64 hex (on chain: the adjudicator's `channelId`). */
  channelId: Hex;
  /** EIP-712 domain of batches and checkpoints: chain id (default 31337) and adjudicator address (default zero). */
  chainId?: number;
  verifyingContract?: Hex;
  /** Setup ops applied before any batch (tokens, pools, markets; credits only when not using `deposits`). */
  genesis?: Op[];
  /** Each party's view of the chain's confirmed deposit records (length = parties); checkpoints credit them. */
  deposits?: readonly DepositSource[];
  /** Seed of the simulated network's delays. Default 1. */
  seed?: number;
  /** Network delays and faults (virtual ms). Default `{ minDelayMs: 1, meanExtraDelayMs: 3 }`. */
  network?: SimFaults;
  /** Channel time at virtual 0, ms since the epoch. Default {@link DEFAULT_START_TIME_MS}. */
  startTimeMs?: number;
  /** Minimum virtual ms between checkpoint heights. Default 20. */
  checkpointIntervalMs?: number;
  /** Channel rules of every party. Default `{ syncIntervalMs: 50 }`. */
  rules?: ChannelRules;
  /** Further Checkpointer options of every party (timeouts, limits). */
  checkpointer?: Omit<CheckpointerOptions, "signer" | "now" | "send" | "schedule" | "deposits" | "checkpointIntervalMs">;
}

/** The certified end of {@link LocalChannel.finalize}. */
export interface LocalFinal {
  /** Tendermint height that made every batch so far final. */
  height: number;
  /** The certificate of that height (equal on every replica; `fromCheckpointCertificate` gives the contract's shape). */
  certificate: CheckpointCertificate;
  /** A copy of the certified final state (its `stateRoot()` and `exitRoot()` are the certificate's). */
  finalState: Engine;
}

export interface LocalChannel {
  /** Party i's channel handle: op methods return the local (tentative) result at once. */
  readonly channels: readonly MultiPartyChannel[];
  /** Party i's checkpointer (finality of batches, certificates, final state). */
  readonly checkpointers: readonly Checkpointer[];
  /** The parties as the channel knows them (lower-case addresses, roles). */
  readonly participants: readonly Participant[];
  /** The simulated network (virtual clock, stats). */
  readonly network: SimNetwork;
  /** Channel time now, ms since the epoch. */
  now(): number;
  /** Runs the network for `ms` virtual milliseconds (batches and votes in flight are delivered). */
  advance(ms: number): void;
  /**
   * Sends every party's pending ops and runs until all replicas hold the same batches.
   * @returns the common state root
   * @throws LocalChannelError TIMEOUT after `budgetMs` virtual ms, DIVERGED if equal batches gave different roots
   */
  sync(budgetMs?: number): Hex;
  /**
   * Sends pending ops and runs until every batch so far is final on every replica and each holds the
   * certificate of the height that made them final.
   * @throws LocalChannelError TIMEOUT, or DIVERGED if replicas certified different checkpoints
   */
  finalize(budgetMs?: number): LocalFinal;
  /**
   * Tells every checkpointer that its deposit source has new records (poll the watchers first) and
   * runs until every replica's final state has credited `records` records in all.
   * @throws LocalChannelError TIMEOUT
   */
  creditDeposits(records: number | bigint, budgetMs?: number): void;
  /** Stops every party's sync timers. */
  close(): void;
}

/**
 * Builds the channel (see the module comment). Parties connect at virtual 0; call any method to run.
 * @throws LocalChannelError INVALID_PARAMETERS for a bad party count, duplicate signers, or `roles` /
 *   `deposits` of the wrong length (the channel's own checks throw `ChannelConfigError`)
 */
export function createLocalChannel(p: CreateLocalChannelParameters): LocalChannel {
  const n = p.signers.length;
  if (!Number.isInteger(n) || n < 2 || n > MAX_LOCAL_PARTIES) throw new LocalChannelError("INVALID_PARAMETERS", `signers must be 2..${MAX_LOCAL_PARTIES} keys, got ${n}`);
  if (new Set(p.signers.map((s) => s.address)).size !== n) throw new LocalChannelError("INVALID_PARAMETERS", "signers must be distinct keys");
  if (p.roles !== undefined && p.roles.length !== n) throw new LocalChannelError("INVALID_PARAMETERS", `roles must have one entry per signer (${n}), got ${p.roles.length}`);
  if (p.deposits !== undefined && p.deposits.length !== n) throw new LocalChannelError("INVALID_PARAMETERS", `deposits must have one source per signer (${n}), got ${p.deposits.length}`);
  const startTimeMs = p.startTimeMs ?? DEFAULT_START_TIME_MS;
  if (!Number.isSafeInteger(startTimeMs) || startTimeMs < 0) throw new LocalChannelError("INVALID_PARAMETERS", "startTimeMs must be a non-negative integer (ms since the epoch)");

  const network = new SimNetwork(p.seed ?? 1, p.network ?? { minDelayMs: 1, meanExtraDelayMs: 3 });
  const now = (): number => startTimeMs + Math.floor(network.now());
  const participants: Participant[] = p.signers.map((s, i) => ({ address: s.address, roles: [...(p.roles?.[i] ?? ["Trader", "MarketMaker"])] }));
  const channels: MultiPartyChannel[] = [];
  const checkpointers: Checkpointer[] = [];
  /** Certificates each replica gathered, by height. */
  const certs: Map<number, CheckpointCertificate>[] = [];
  p.signers.forEach((signer, i) => {
    const base = network.node(signer.address);
    const clock = base.clock();
    const { sync, consensus } = muxTransport(base);
    const channel = new MultiPartyChannel({
      participants,
      signer,
      channelId: p.channelId,
      chainId: p.chainId ?? 31337,
      verifyingContract: p.verifyingContract ?? ZERO_ADDRESS,
      genesis: p.genesis ?? [],
      transport: sync,
      clock,
      now,
      rules: p.rules ?? { syncIntervalMs: 50 },
    });
    const deposits = p.deposits?.[i];
    const cp = attachCheckpointer({
      ...(p.checkpointer ?? {}),
      replica: channel.replica,
      transport: consensus,
      clock,
      signer,
      now,
      checkpointIntervalMs: p.checkpointIntervalMs ?? 20,
      ...(deposits === undefined ? {} : { deposits }),
      onMissing: () => void channel.syncWithPeers(),
    });
    const mine = new Map<number, CheckpointCertificate>();
    cp.onCheckpoint((c) => mine.set(c.checkpoint.height, c));
    channels.push(channel);
    checkpointers.push(cp);
    certs.push(mine);
  });
  network.runUntil(1); // connect

  const run = (goal: () => boolean, budgetMs: number, what: string): void => {
    if (!Number.isFinite(budgetMs) || budgetMs < 0) throw new LocalChannelError("INVALID_PARAMETERS", `budget must be a non-negative number of virtual ms, got ${budgetMs}`);
    if (!network.runUntilTrue(goal, network.now() + budgetMs)) throw new LocalChannelError("TIMEOUT", `${what} within ${budgetMs} virtual ms`);
  };
  const flushAll = (): void => {
    for (const c of channels) c.flush();
  };
  const first = channels[0]!;
  const heads = (c: MultiPartyChannel): string => c.replica.heads().join(",");

  return {
    channels,
    checkpointers,
    participants,
    network,
    now,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new LocalChannelError("INVALID_PARAMETERS", `advance takes non-negative virtual ms, got ${ms}`);
      network.runUntil(network.now() + ms);
    },
    sync(budgetMs = DEFAULT_BUDGET_MS) {
      flushAll();
      run(() => channels.every((c) => c.pendingOps === 0 && heads(c) === heads(first)), budgetMs, "the replicas did not converge");
      const root = first.stateRoot();
      if (!channels.every((c) => c.stateRoot() === root)) throw new LocalChannelError("DIVERGED", "replicas with the same batches hold different state roots");
      return root as Hex;
    },
    finalize(budgetMs = DEFAULT_BUDGET_MS) {
      flushAll();
      run(() => channels.every((c) => c.pendingOps === 0 && heads(c) === heads(first)), budgetMs, "the replicas did not converge");
      const ids = first.replica.batchIdsInOrder();
      const finalHeight = (): number | undefined => {
        let h = 0;
        for (const cp of checkpointers) {
          for (const id of ids) {
            const f = cp.finality(id);
            if (f.status !== "final") return undefined;
            h = Math.max(h, f.height);
          }
        }
        // no batch yet: the latest decided height (e.g. one that credited deposits)
        return ids.length > 0 ? h : checkpointers[0]!.latestCertificate()?.checkpoint.height;
      };
      run(() => {
        const h = finalHeight();
        return h !== undefined && certs.every((m) => m.has(h));
      }, budgetMs, "no certified checkpoint covered every batch");
      const height = finalHeight()!;
      const certificate = certs[0]!.get(height)!;
      const key = JSON.stringify(certificate.checkpoint, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      for (const m of certs) {
        if (JSON.stringify(m.get(height)!.checkpoint, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) !== key) throw new LocalChannelError("DIVERGED", `replicas certified different checkpoints at height ${height}`);
      }
      const finalState = checkpointers[0]!.getFinalState();
      if (finalState.exitRoot() !== certificate.checkpoint.exitRoot || finalState.stateRoot() !== certificate.checkpoint.stateRoot) {
        throw new LocalChannelError("DIVERGED", `the final state moved past the certificate of height ${height} (a later height was decided); call finalize again`);
      }
      return { height, certificate, finalState };
    },
    creditDeposits(records, budgetMs = DEFAULT_BUDGET_MS) {
      const want = BigInt(records);
      if (want < 0n) throw new LocalChannelError("INVALID_PARAMETERS", "records must be ≥ 0");
      for (const cp of checkpointers) cp.depositsChanged();
      run(() => checkpointers.every((cp) => cp.getFinalState().depositsCredited >= want), budgetMs, `${want} deposit records were not credited`);
    },
    close() {
      for (const c of channels) c.close();
    },
  };
}
