/**
 * Chain access for settlement: one interface over the embedded in-process EVM (default, `evm.ts`) and
 * any JSON-RPC endpoint (`--rpc-url`, e.g. `npx hardhat node` on 127.0.0.1). Only the transport
 * differs: every transaction is signed locally by a viem local account (private key) and sent as a raw
 * transaction, so the same code works against a node that holds no keys (viem `privateKeyToAccount`,
 * `writeContract`; https://viem.sh/docs/accounts/local).
 *
 * Dev conveniences that only test chains offer (funding from an unlocked dev account, moving time with
 * `evm_increaseTime` + `evm_mine`) are methods here and fail clearly on a chain without them.
 */
import { SettlementError } from "./errors.js";
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { createEmbeddedChain, viemRequest } from "./evm.js";

export interface SettlementChain {
  readonly chain: Chain;
  readonly chainId: number;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** "embedded" or the RPC URL. */
  readonly endpoint: string;
  /** A wallet client that signs with `account` (a local account) and sends raw transactions. */
  wallet(account: Account): WalletClient<Transport, Chain, Account>;
  /** Sends `wei` from the chain's first unlocked dev account to `to` (test chains only). */
  fund(to: Address, wei: bigint): Promise<void>;
  /** Advances the chain's clock by `seconds` and mines a block (test chains only). */
  increaseTimeSeconds(seconds: number): Promise<void>;
  /** Timestamp of the latest block, seconds. */
  nowSeconds(): Promise<bigint>;
  close(): Promise<void>;
}

interface Requester {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

/**
 * Connects to `rpcUrl`, or starts the embedded in-process EVM when it is undefined.
 * @throws Error if the endpoint does not answer eth_chainId
 */
export async function connectChain(opts: { rpcUrl?: string } = {}): Promise<SettlementChain> {
  if (opts.rpcUrl === undefined) {
    const embedded = await createEmbeddedChain();
    return build(embedded.provider, custom({ request: viemRequest(embedded.provider) }), "embedded", () => embedded.close());
  }
  const url = opts.rpcUrl;
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new SettlementError("INVALID_PARAMETER", `--rpc-url must be an http(s) URL, got ${url}`);
  const transport = http(url, { retryCount: 0, timeout: 30_000 });
  const probe = transport({});
  const requester: Requester = { request: (args) => probe.request(args as Parameters<typeof probe.request>[0]) };
  return build(requester, transport, url, async () => undefined);
}

async function build(requester: Requester, transport: Transport, endpoint: string, close: () => Promise<void>): Promise<SettlementChain> {
  const chainIdHex = (await requester.request({ method: "eth_chainId" })) as string;
  const chainId = Number(BigInt(chainIdHex));
  const chain = defineChain({
    id: chainId,
    name: endpoint === "embedded" ? "Semilattice embedded EVM" : `JSON-RPC ${endpoint}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: endpoint === "embedded" ? [] : [endpoint] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50, cacheTime: 0 }) as PublicClient<Transport, Chain>;
  let devAccounts: Address[] | undefined;
  return {
    chain,
    chainId,
    publicClient,
    endpoint,
    wallet(account) {
      return createWalletClient({ chain, transport, account, pollingInterval: 50 });
    },
    async fund(to, wei) {
      devAccounts ??= (await requester.request({ method: "eth_accounts" })) as Address[];
      const from = devAccounts[0];
      if (from === undefined) throw new SettlementError("NOT_FOUND", `${endpoint}: no unlocked account to fund ${to} from`);
      const hash = (await requester.request({
        method: "eth_sendTransaction",
        params: [{ from, to, value: `0x${wei.toString(16)}` }],
      })) as Hex;
      const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (receipt.status !== "success") throw new SettlementError("TRANSACTION_FAILED", `funding ${to} failed`);
    },
    async increaseTimeSeconds(seconds) {
      if (!Number.isSafeInteger(seconds) || seconds < 0) throw new SettlementError("INVALID_PARAMETER", "seconds must be a non-negative integer");
      await requester.request({ method: "evm_increaseTime", params: [seconds] });
      await requester.request({ method: "evm_mine", params: [] });
    },
    async nowSeconds() {
      const block = await publicClient.getBlock({ blockTag: "latest" });
      return block.timestamp;
    },
    close,
  };
}
