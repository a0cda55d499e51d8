/**
 * A local devnet's chain part and node homes (what `semilattice devnet` does before it starts the
 * node processes):
 *
 * 1. start a local chain (`hardhat node` on 127.0.0.1, `./chain.ts`) and connect to it over JSON-RPC
 *    (`connectChain`, the same client code as any remote chain);
 * 2. draw N participant keys and an operator key (OS CSPRNG), fund them from the chain's dev account;
 * 3. deploy the adjudicator and test ERC-20 tokens, open the channel for the N participants (quorum
 *    ⌊2N/3⌋ + 1), post every bond and make each participant's deposits (`openSettlement`,
 *    src/settlement/session.ts): numbered deposit records the nodes' watchers credit through
 *    checkpoints (the genesis holds only the tokens and the caller's extra ops, no deposits);
 * 4. write N node homes (`initNodeHome`: channel.json shared, node.json, a V3 keystore with geth's
 *    light scrypt cost under one random devnet password kept in `<dir>/password`, 0600), with a free
 *    peer port and metrics port each on 127.0.0.1;
 * 5. write `<dir>/devnet.json` ({@link DevnetManifest}): the chain, the channel and, per node, its
 *    home, address, endpoints and PID file.
 *
 * On any failure the chain process is stopped before the error propagates. Errors: `DevnetError`
 * (`./chain.ts`), `ConfigError`/`KeystoreError` from the home writers.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import type { Op } from "../../core/ops.js";
import type { RoleName } from "../../core/roles.js";
import { createSigner } from "../../channel/identity.js";
import { connectChain } from "../../settlement/chain.js";
import { openSettlement, type SessionDeposit, type SessionToken } from "../../settlement/session.js";
import { channelDefinitionJson, MAX_PARTICIPANTS, parseChannelDefinition } from "../config.js";
import { initNodeHome } from "../init.js";
import { generatePrivateKey, SCRYPT_LIGHT, writeSecretFile } from "../keystore.js";
import type { ChannelDefinition, ChannelRulesDefinition, HexString, LogLevel } from "../options.js";
import { DevnetError, freePorts, startLocalChain, type LocalChain } from "./chain.js";

/** One token of the devnet: deployed as a test ERC-20; `depositEach` base units deposited by every participant. */
export interface DevnetToken {
  symbol: string;
  decimals: number;
  depositEach: bigint;
}

/** Default tokens: USDC (6 decimals) and WETH (18), 1,000,000 USDC and 1,000 WETH per participant. */
export const DEFAULT_DEVNET_TOKENS: readonly DevnetToken[] = Object.freeze([
  { symbol: "USDC", decimals: 6, depositEach: 1_000_000n * 10n ** 6n },
  { symbol: "WETH", decimals: 18, depositEach: 1_000n * 10n ** 18n },
]);

export interface SetupDevnetParameters {
  /** The devnet folder (created; refused if it holds a devnet.json, unless `force`). */
  dir: string;
  /** Participants, 1..64. */
  participants: number;
  tokens?: readonly DevnetToken[];
  /** Genesis ops after the tokens' createToken ops (markets, pools, …). */
  genesis?: readonly Op[];
  rules?: ChannelRulesDefinition;
  roles?: RoleName[];
  /** Nodes' log level (default info). */
  logLevel?: LogLevel;
  /** Give every node a metrics endpoint (default true). */
  metrics?: boolean;
  chainId?: number;
  /** Dispute window of the channel on chain, s (default 600). */
  disputeWindowSeconds?: number;
  /** Blocks a deposit must be buried under before the watcher credits it (default 0: the devnet chain automines). */
  confirmationDepth?: number;
  /** Bound on the chain's start, ms. */
  startTimeoutMs?: number;
  force?: boolean;
}

/** One node of `devnet.json`. */
export interface DevnetNode {
  index: number;
  /** Absolute path of its home. */
  home: string;
  address: HexString;
  /** Where peers reach it. */
  endpoint: string;
  listen: { host: string; port: number };
  /** `http://127.0.0.1:<port>/metrics`, when metrics are on. */
  metricsUrl?: string;
  /** Where the node writes its PID. */
  pidFile: string;
}

/** `<dir>/devnet.json`. */
export interface DevnetManifest {
  version: 1;
  dir: string;
  chain: { rpcUrl: string; chainId: number; pid: number; pidFile: string; logFile: string; adjudicator: HexString; operator: HexString };
  channelId: HexString;
  quorum: number;
  /** Keystore password of every node home (0600). */
  passwordFile: string;
  tokens: { symbol: string; address: HexString; decimals: number; depositEach: string }[];
  nodes: DevnetNode[];
}

export interface SetupDevnetReturnType {
  manifest: DevnetManifest;
  definition: ChannelDefinition;
  /** The running chain; stop it when done. */
  chain: LocalChain;
}

/** The devnet's manifest file name. */
export const DEVNET_FILE = "devnet.json";

/** Runs steps 1–5 of the module doc. */
export async function setupDevnet(params: SetupDevnetParameters): Promise<SetupDevnetReturnType> {
  const n = params.participants;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PARTICIPANTS) throw new DevnetError("INVALID_DEVNET", `participants must be an integer in 1..${MAX_PARTICIPANTS}, got ${n}`);
  const dir = resolve(params.dir);
  const manifestFile = join(dir, DEVNET_FILE);
  if (existsSync(manifestFile) && params.force !== true) throw new DevnetError("INVALID_DEVNET", `${manifestFile} exists already: a devnet lives here (pass --force to replace it)`);
  const tokens = params.tokens ?? DEFAULT_DEVNET_TOKENS;
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const chainProcess = await startLocalChain({ dir, ...(params.chainId === undefined ? {} : { chainId: params.chainId }), ...(params.startTimeoutMs === undefined ? {} : { startTimeoutMs: params.startTimeoutMs }) });
  try {
    const chain = await connectChain({ rpcUrl: chainProcess.rpcUrl });
    try {
      const keys: Hex[] = Array.from({ length: n }, () => generatePrivateKey());
      const parties = keys.map((key) => ({ signer: createSigner(key), account: privateKeyToAccount(key), roles: params.roles ?? (["Trader", "MarketMaker"] as RoleName[]) }));
      const operator = privateKeyToAccount(generatePrivateKey());
      const sessionTokens: SessionToken[] = tokens.map((t) => ({ symbol: t.symbol, decimals: t.decimals }));
      const deposits: SessionDeposit[] = [];
      for (let party = 0; party < n; party++) for (const t of tokens) if (t.depositEach > 0n) deposits.push({ party, token: t.symbol, amount: t.depositEach });
      const disputeWindowSeconds = params.disputeWindowSeconds ?? 600;
      const opened = await openSettlement({ chain, operator, parties, tokens: sessionTokens, deposits, disputeWindowSeconds });

      const ports = await freePorts(params.metrics === false ? n : 2 * n);
      const endpoints = ports.slice(0, n).map((p) => `ws://127.0.0.1:${p}`);
      const definition = parseChannelDefinition(
        JSON.parse(
          channelDefinitionJson({
            version: 1,
            channelId: opened.channelId.toLowerCase() as HexString,
            participants: parties.map((p, i) => ({ address: p.signer.address, roles: [...p.roles], endpoint: endpoints[i]! })),
            genesis: [...opened.genesis, ...(params.genesis ?? [])],
            rules: params.rules ?? {},
            chain: {
              chainId: chain.chainId,
              rpcUrl: chainProcess.rpcUrl,
              adjudicator: opened.adjudicator.address.toLowerCase() as HexString,
              confirmationDepth: params.confirmationDepth ?? 0,
              disputeWindowSeconds,
            },
          }),
        ) as unknown,
        "devnet channel definition",
      );

      const password = randomBytes(24).toString("base64url");
      const passwordFile = join(dir, "password");
      writeSecretFile(passwordFile, `${password}\n`);
      const nodes: DevnetNode[] = [];
      for (let i = 0; i < n; i++) {
        const home = join(dir, `node-${i}`);
        const listen = { host: "127.0.0.1", port: ports[i]! };
        const metrics = params.metrics === false ? undefined : { host: "127.0.0.1", port: ports[n + i]! };
        const written = await initNodeHome({
          dir: home,
          definition,
          settings: { listen, logLevel: params.logLevel ?? "info", ...(metrics === undefined ? {} : { metrics }) },
          privateKey: keys[i]!,
          password,
          scrypt: SCRYPT_LIGHT,
          force: params.force === true,
        });
        const node: DevnetNode = { index: i, home: written.home.dir, address: written.address, endpoint: endpoints[i]!, listen, pidFile: join(written.home.dir, "node.pid") };
        if (metrics !== undefined) node.metricsUrl = `http://127.0.0.1:${metrics.port}/metrics`;
        nodes.push(node);
      }

      const manifest: DevnetManifest = {
        version: 1,
        dir,
        chain: {
          rpcUrl: chainProcess.rpcUrl,
          chainId: chain.chainId,
          pid: chainProcess.pid,
          pidFile: join(dir, "chain.pid"),
          logFile: chainProcess.logFile,
          adjudicator: definition.chain.adjudicator,
          operator: operator.address.toLowerCase() as HexString,
        },
        channelId: definition.channelId,
        quorum: opened.quorum,
        passwordFile,
        tokens: tokens.map((t) => ({ symbol: t.symbol, address: (opened.tokens.get(t.symbol)?.address ?? "0x") as Address as HexString, decimals: t.decimals, depositEach: t.depositEach.toString() })),
        nodes,
      };
      writeSecretFile(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
      return { manifest, definition, chain: chainProcess };
    } finally {
      await chain.close();
    }
  } catch (error) {
    await chainProcess.stop();
    throw error;
  }
}
