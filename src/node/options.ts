/**
 * The shape of a participant node's configuration: what `semilattice init` writes into a node home
 * and what `new Node(...)` (src/node/node.ts) runs from. Two halves, as CometBFT keeps `genesis.json`
 * apart from `config.toml`:
 *
 * - {@link ChannelDefinition}: the channel itself, identical in every participant's home (channel
 *   id, participants with roles and endpoints, genesis ops, rules, the chain it settles on).
 * - {@link NodeSettings}: this node's own settings (listen address, data dir, log level, metrics).
 *
 * Validation (every field, with an error naming it) lives in `src/node/config.ts`; these are the
 * validated, typed results.
 */
import type { Op } from "../core/ops.js";
import type { RoleName } from "../core/roles.js";

/** 0x-prefixed hex string. */
export type HexString = `0x${string}`;

/** One participant of the channel, as every home lists it. */
export interface ParticipantDefinition {
  /** Ethereum address, 0x + 40 hex (lower case after validation). */
  address: HexString;
  roles: RoleName[];
  /** Where its node accepts peer connections, `ws://host:port` or `wss://host:port`. */
  endpoint: string;
}

/** Channel rules fixed at genesis (all optional; defaults are the Checkpointer's and the channel's). */
export interface ChannelRulesDefinition {
  /** Ops per signed batch before it is sent on its own. */
  maxOpsPerBatch?: number;
  /** Time between checkpoint heights, ms. */
  checkpointIntervalMs?: number;
  /** How far ahead of a replica's clock a proposed checkpoint time may be, ms. */
  maxDriftMs?: number;
  /** Periodic reconciliation with each peer, ms. */
  syncIntervalMs?: number;
}

/** The chain the channel settles on. */
export interface ChainDefinition {
  /** EIP-155 chain id (also the EIP-712 domain's chainId). */
  chainId: number;
  /** JSON-RPC endpoint, e.g. `http://127.0.0.1:8545`. */
  rpcUrl: string;
  /** The adjudicator contract (EIP-712 verifyingContract), 0x + 40 hex. */
  adjudicator: HexString;
  /** Blocks a deposit must be buried under before the watcher reports it. */
  confirmationDepth: number;
  /** Dispute window of the channel on chain, seconds. */
  disputeWindowSeconds: number;
}

/** `channel.json` of a node home: the same file in every participant's home. */
export interface ChannelDefinition {
  /** Format version of this file. */
  version: 1;
  /** bytes32 channel id, 0x + 64 hex. */
  channelId: HexString;
  participants: ParticipantDefinition[];
  /** Setup ops (tokens, pools, markets, …) applied by every replica before any batch. */
  genesis: Op[];
  rules: ChannelRulesDefinition;
  chain: ChainDefinition;
}

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** `node.json` of a node home: this node's own settings. */
export interface NodeSettings {
  /** Format version of this file. */
  version: 1;
  /** Address the peer listener binds to. */
  listen: { host: string; port: number };
  /** Optional TLS for the peer listener (wss): PEM file paths, relative to the home. */
  tls?: { certFile: string; keyFile: string; caFile?: string };
  /** Where the store lives, relative to the home. */
  dataDir: string;
  logLevel: LogLevel;
  /** Prometheus metrics endpoint (`/metrics`); absent = off. */
  metrics?: { host: string; port: number };
  /** Keystore file (Ethereum V3), relative to the home. */
  keystoreFile: string;
  /** A final-engine snapshot is written every this many final ops. */
  snapshotIntervalOps: number;
  /** Propose and claim the last certified state when no height is decided for this long, ms (0 = never). */
  exitAfterStallMs: number;
}
