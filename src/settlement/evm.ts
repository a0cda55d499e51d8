/**
 * An embedded, in-process EVM: the Rust EDR engine (`@nomicfoundation/edr`, the engine inside Hardhat
 * Network) driven through viem, built only from EDR's exported API (`EdrContext`,
 * `genericChainProviderFactory`, `l1GenesisState`; https://github.com/NomicFoundation/edr).
 *
 * No server process, no config file: the chain is configured inline with Hardhat Network's defaults
 * (chain id 31337, hardfork Osaka, initial base fee 1 gwei, automine, priority mempool).
 *
 * Accounts are Hardhat's 20 well-known unlocked dev accounts (mnemonic `test test … junk`, path
 * m/44'/60'/0'/0/i, 10,000 ETH each), so transactions may be sent with `eth_sendTransaction` and need
 * no local signing. Automine is on: every transaction is mined in its own block as soon as it is sent.
 */
import { createRequire } from "node:module";
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  bytesToHex,
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  RpcRequestError,
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
import { HDKey, hdKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { hardhat } from "viem/chains";
import { SemilatticeError } from "../core/errors.js";

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

/** A JSON-RPC error answered by the embedded chain (`code`, `data` as EDR returns them; viem reads both). */
export class EmbeddedChainError extends SemilatticeError {
  override name = "EmbeddedChainError";
  /** The JSON-RPC error code (e.g. -32603 for a revert). */
  readonly rpcCode: number;
  /** Revert data (0x-hex) or EDR's error data. */
  readonly data: unknown;
  constructor(message: string, rpcCode: number, data: unknown) {
    super("EMBEDDED_CHAIN_ERROR", message);
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

type Edr = typeof import("@nomicfoundation/edr");
type EdrContext = InstanceType<Edr["EdrContext"]>;

/** Hardhat Network's dev mnemonic and the number of accounts it unlocks. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEV_ACCOUNTS = 20;
const DEV_BALANCE_WEI = 10_000n * 10n ** 18n;
/** Hardhat Network's coinbase. */
const COINBASE = "c014ba5ec014ba5ec014ba5ec014ba5ec014ba5e";

let context: Promise<{ edr: Edr; context: EdrContext }> | undefined;
let devKeys: Hex[] | undefined;

/** EDR's context: one per process ("should only be called once"), with the generic chain's factory. */
function edrContext(): Promise<{ edr: Edr; context: EdrContext }> {
  context ??= (async () => {
    // A native (napi-rs) CommonJS module: loaded with require when the first chain starts.
    const edr = createRequire(import.meta.url)("@nomicfoundation/edr") as Edr;
    const ctx = new edr.EdrContext();
    await ctx.registerProviderFactory(edr.GENERIC_CHAIN_TYPE, edr.genericChainProviderFactory());
    return { edr, context: ctx };
  })();
  return context;
}

/** The dev accounts' private keys (BIP-39 seed of {@link DEV_MNEMONIC}, BIP-32 path m/44'/60'/0'/0/i). */
function devPrivateKeys(): Hex[] {
  if (devKeys !== undefined) return devKeys;
  const seed = pbkdf2(sha512, new TextEncoder().encode(DEV_MNEMONIC.normalize("NFKD")), new TextEncoder().encode("mnemonic"), { c: 2048, dkLen: 64 });
  const master = HDKey.fromMasterSeed(seed);
  devKeys = Array.from({ length: DEV_ACCOUNTS }, (_, i) => {
    const key = hdKeyToAccount(master, { addressIndex: i }).getHdKey().privateKey;
    if (key === null) throw new SemilatticeError("EMBEDDED_CHAIN_KEYS", `embedded chain: dev key ${i} has no private key`);
    return bytesToHex(key);
  });
  return devKeys;
}

/**
 * Starts an in-process EVM (chain id 31337) and wraps it in viem clients. Each call is a fresh chain.
 *
 * @param opts.blockGasLimit gas limit per block (default 30,000,000)
 * @returns an {@link EmbeddedChain}; call `close()` when done
 * @throws EmbeddedChainError from any request the chain answers with a JSON-RPC error (a revert included)
 */
export async function createEmbeddedChain(opts: { blockGasLimit?: number } = {}): Promise<EmbeddedChain> {
  const { edr, context: ctx } = await edrContext();
  const keys = devPrivateKeys();
  const genesisState = edr.l1GenesisState(edr.l1HardforkFromString(edr.OSAKA));
  for (const key of keys) genesisState.push({ address: hexBytes(hdKeyAddress(key)), balance: DEV_BALANCE_WEI, code: new Uint8Array() });
  const inner = await ctx.createProvider(
    edr.GENERIC_CHAIN_TYPE,
    {
      allowBlocksWithSameTimestamp: false,
      allowUnlimitedContractSize: false,
      bailOnCallFailure: true,
      bailOnTransactionFailure: true,
      blockGasLimit: BigInt(opts.blockGasLimit ?? 30_000_000),
      chainId: 31337n,
      coinbase: hexBytes(COINBASE),
      genesisState,
      hardfork: edr.OSAKA,
      initialBaseFeePerGas: 1_000_000_000n,
      minGasPrice: 0n,
      mining: { autoMine: true, memPool: { order: edr.MineOrdering.Priority } },
      networkId: 31337n,
      observability: {},
      ownedAccounts: keys,
      precompileOverrides: [],
    },
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => undefined },
    { subscriptionCallback: () => undefined },
    new edr.ContractDecoder(),
  );
  let closed = false;
  let nextId = 1;
  const provider: Eip1193Provider = {
    async request(args) {
      if (closed) throw new EmbeddedChainError("embedded chain is closed", -32000, undefined);
      const response = await inner.handleRequest(JSON.stringify({ jsonrpc: "2.0", id: nextId++, method: args.method, params: args.params ?? [] }));
      const body = (typeof response.data === "string" ? JSON.parse(response.data) : response.data) as {
        result?: unknown;
        error?: { code: number; message: string; data?: unknown };
      };
      if (body.error !== undefined) {
        const d = body.error.data as { data?: unknown } | undefined;
        throw new EmbeddedChainError(body.error.message, body.error.code, typeof d === "object" && d !== null && "data" in d ? d.data : d);
      }
      return body.result;
    },
  };
  const transport = custom({ request: viemRequest(provider) });
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

/**
 * `provider.request` for viem's `custom` transport: an {@link EmbeddedChainError} becomes viem's
 * `RpcRequestError` carrying the numeric JSON-RPC `code` and `data` (EIP-1193's error shape, which
 * viem reads to classify errors, decide retries and decode reverts).
 */
export function viemRequest(provider: Eip1193Provider): EIP1193RequestFn {
  return (async (args: { method: string; params?: unknown[] | object }) => {
    try {
      return await provider.request(args);
    } catch (error) {
      if (!(error instanceof EmbeddedChainError)) throw error;
      throw new RpcRequestError({ body: args, url: "embedded", error: { code: error.rpcCode, message: error.shortMessage, data: error.data } });
    }
  }) as EIP1193RequestFn;
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.startsWith("0x") ? hex.slice(2) : hex, "hex"));
}

function hdKeyAddress(privateKey: Hex): Address {
  return privateKeyToAddress(privateKey);
}
