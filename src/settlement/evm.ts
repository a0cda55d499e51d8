/**
 * An embedded, in-process EVM: Hardhat 2's network provider (the Rust EDR engine) driven through viem.
 *
 * No server process, no config file in the user's working directory: the provider is built with
 * Hardhat's own `resolveConfig` + `createProvider` from an inline config. Used by tests and benchmarks
 * (differential tests against real contract bytecode) and as the settlement layer's default chain.
 *
 * Accounts are Hardhat's 20 well-known unlocked dev accounts (10,000 ETH each), so transactions are
 * sent with `eth_sendTransaction` and need no local signing. Automine is on: every transaction is mined
 * in its own block as soon as it is sent.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  type Abi,
  type Address,
  type EIP1193RequestFn,
  type Hex,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
  type Chain,
  type Account,
} from "viem";
import { hardhat } from "viem/chains";

/** The minimal EIP-1193 surface we use of Hardhat's provider. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

export interface EmbeddedChain {
  /** Raw EIP-1193 provider (fastest path: `provider.request({ method, params })`). */
  readonly provider: Eip1193Provider;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** Wallet client whose default account is `accounts[0]`. */
  readonly walletClient: WalletClient<Transport, Chain, Account>;
  readonly testClient: TestClient<"hardhat", Transport, Chain>;
  /** The unlocked dev accounts, 0x-addresses. */
  readonly accounts: readonly Address[];
  /**
   * Deploys a contract from `accounts[0]` (or `from`) and waits for it to be mined.
   * @returns the contract address
   * @throws Error if the deployment reverts
   */
  deploy(abi: Abi, bytecode: Hex, args?: readonly unknown[], from?: Address): Promise<Address>;
  /**
   * Sends one transaction with pre-encoded calldata and a fixed gas limit (no estimation round trip)
   * and returns its status from the receipt: the cheap path for benchmarks and differential tests.
   * @throws Error when the transaction reverts (the provider rejects the call with the revert reason)
   */
  send(from: Address, to: Address, data: Hex, gas?: bigint): Promise<void>;
  /** Releases the provider; any later request rejects. */
  close(): Promise<void>;
}

interface HardhatInternals {
  resolveConfig(configPath: string, userConfig: object): unknown;
  createProvider(config: unknown, networkName: string): Promise<Eip1193Provider>;
}

function loadHardhat(): HardhatInternals {
  // Hardhat 2 is CommonJS and exposes these as internal modules (stable across 2.x).
  const require = createRequire(import.meta.url);
  const { resolveConfig } = require("hardhat/internal/core/config/config-resolution.js") as Pick<HardhatInternals, "resolveConfig">;
  const { createProvider } = require("hardhat/internal/core/providers/construction.js") as Pick<HardhatInternals, "createProvider">;
  return { resolveConfig, createProvider };
}

/**
 * Starts an in-process Hardhat network (chain id 31337) and wraps it in viem clients.
 *
 * @param opts.blockGasLimit gas limit per block (default 30,000,000)
 * @returns an {@link EmbeddedChain}; call `close()` when done
 */
export async function createEmbeddedChain(opts: { blockGasLimit?: number } = {}): Promise<EmbeddedChain> {
  const { resolveConfig, createProvider } = loadHardhat();
  // resolveConfig needs an existing file to anchor Hardhat's project paths; this module is one.
  // Nothing is read from or written to those paths by the network provider.
  const config = resolveConfig(fileURLToPath(import.meta.url), {
    networks: {
      hardhat: {
        blockGasLimit: opts.blockGasLimit ?? 30_000_000,
        loggingEnabled: false,
        mining: { auto: true, interval: 0 },
      },
    },
  });
  const inner = await createProvider(config, "hardhat");
  let closed = false;
  const provider: Eip1193Provider = {
    request(args) {
      if (closed) return Promise.reject(new Error("embedded chain is closed"));
      return inner.request(args);
    },
  };
  const transport = custom({ request: provider.request as EIP1193RequestFn });
  const accounts = (await provider.request({ method: "eth_accounts" })) as Address[];
  const owner = accounts[0];
  if (owner === undefined) throw new Error("embedded chain: the provider has no accounts");
  const chain = hardhat;
  const publicClient = createPublicClient({ chain, transport }) as PublicClient<Transport, Chain>;
  const walletClient = createWalletClient({ chain, transport, account: owner });
  const testClient = createTestClient({ chain, transport, mode: "hardhat" });

  async function waitReceipt(hash: Hex): Promise<{ status: string; contractAddress: Address | null }> {
    const receipt = (await provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
      status: string;
      contractAddress: Address | null;
    } | null;
    if (receipt === null) throw new Error(`transaction ${hash} was not mined (is automine off?)`);
    return receipt;
  }

  return {
    provider,
    publicClient,
    walletClient,
    testClient,
    accounts,
    async deploy(abi, bytecode, args = [], from = owner) {
      const hash = await walletClient.deployContract({ abi, bytecode, args, account: from });
      const receipt = await waitReceipt(hash);
      if (receipt.status !== "0x1" || receipt.contractAddress === null) throw new Error(`deployment ${hash} failed`);
      return receipt.contractAddress;
    },
    async send(from, to, data, gas = 1_000_000n) {
      const hash = (await provider.request({
        method: "eth_sendTransaction",
        params: [{ from, to, data, gas: `0x${gas.toString(16)}` }],
      })) as Hex;
      const receipt = await waitReceipt(hash);
      if (receipt.status !== "0x1") throw new Error(`transaction ${hash} reverted`);
    },
    async close() {
      closed = true;
    },
  };
}
