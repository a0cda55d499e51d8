/** Shared fixtures of the node tests: a channel definition and node settings for n test signers. */
import type { Signer } from "../src/channel/identity.js";
import type { ChannelDefinition, NodeSettings } from "../src/node/options.js";
import { CHANNEL_ID, CONTRACT, genesisFor } from "./channel.helpers.js";

export function channelDefinition(ss: readonly Signer[], endpoints?: readonly string[], rules: ChannelDefinition["rules"] = { checkpointIntervalMs: 20 }): ChannelDefinition {
  return {
    version: 1,
    channelId: CHANNEL_ID,
    participants: ss.map((s, i) => ({ address: s.address, roles: ["Trader", "MarketMaker"], endpoint: endpoints?.[i] ?? `ws://127.0.0.1:${40000 + i}` })),
    genesis: genesisFor(ss.map((s) => s.address)),
    rules,
    chain: { chainId: 31337, rpcUrl: "http://127.0.0.1:8545", adjudicator: CONTRACT, confirmationDepth: 1, disputeWindowSeconds: 60 },
  };
}

export function nodeSettings(dataDir: string, port = 0): NodeSettings {
  return { version: 1, listen: { host: "127.0.0.1", port }, dataDir, logLevel: "silent", keystoreFile: "keystore.json", snapshotIntervalOps: 10_000, exitAfterStallMs: 0 };
}
