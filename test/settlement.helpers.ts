/**
 * Fixtures for the settlement tests: a real chain (embedded EVM or an RPC endpoint), the adjudicator
 * and a test ERC-20 deployed from source, participants with real secp256k1 keys (the same key is the
 * channel Signer and the viem account that sends transactions), and an Engine mirroring the channel
 * whose exit leaves/roots/proofs (src/core/exit.ts) feed the certificates.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import { expect } from "vitest";
import { Engine } from "../src/core/engine.js";
import { exitLeaves, exitProof, exitRoot } from "../src/core/exit.js";
import type { ExitLeaf } from "../src/core/exit.js";
import { createSigner, type Signer } from "../src/channel/identity.js";
import { connectChain, type SettlementChain } from "../src/settlement/chain.js";
import { AdjudicatorClient, ETH_ADDRESS, Erc20Client, type LeafWithProof } from "../src/settlement/client.js";
import { certify, type Certificate, type CheckpointMessage } from "../src/settlement/certificate.js";

export interface Party {
  name: string;
  key: Hex;
  signer: Signer;
  account: PrivateKeyAccount;
  address: Address;
}

export function party(name: string): Party {
  const key = `0x${Buffer.from(keccak_256(new TextEncoder().encode(`semilattice settlement test ${name}`))).toString("hex")}` as Hex;
  const signer = createSigner(key);
  const account = privateKeyToAccount(key);
  expect(account.address.toLowerCase()).toBe(signer.address);
  return { name, key, signer, account, address: signer.address as Address };
}

export interface Fixture {
  chain: SettlementChain;
  relayer: Party;
  parties: Party[];
  adjudicator: AdjudicatorClient;
  usdc: Erc20Client;
  channelId: Hex;
  engine: Engine;
  height: number;
  timeMs: number;
}

export const BOND = 10n ** 17n; // 0.1 ETH
export const WINDOW = 3600;

/**
 * Deploys everything, opens a channel of `names` (quorum ⌊2n/3⌋+1), funds everyone with ETH and
 * USDC, posts bonds and mirrors the channel in an Engine (tokens ETH at address 0 and USDC at its
 * contract address; one account per participant, named by its address).
 */
export async function setup(opts: { rpcUrl?: string; names?: string[]; chain?: SettlementChain } = {}): Promise<Fixture> {
  const chain = opts.chain ?? (await connectChain(opts.rpcUrl === undefined ? {} : { rpcUrl: opts.rpcUrl }));
  const relayer = party("relayer");
  const parties = (opts.names ?? ["alice", "bob", "carol", "dave"]).map(party);
  for (const p of [relayer, ...parties]) await chain.fund(p.address, 100n * 10n ** 18n);
  const { client: adjudicator } = await AdjudicatorClient.deploy(chain, relayer.account);
  const usdc = await Erc20Client.deploy(chain, relayer.account, "USD Coin", "USDC", 6);
  const n = parties.length;
  const { channelId } = await adjudicator.open(relayer.account, {
    participants: parties.map((p) => ({ address: p.address, roles: ["Trader", "MarketMaker"] })),
    quorum: Math.floor((2 * n) / 3) + 1,
    disputeWindowSeconds: WINDOW,
    bondWei: BOND,
    tokens: [ETH_ADDRESS, usdc.address],
  });
  for (const p of parties) {
    await adjudicator.postBond(p.account, channelId, BOND);
    await usdc.mint(relayer.account, p.address, 1_000_000_000_000n);
    await usdc.approve(p.account, adjudicator.address, 2n ** 255n);
  }
  const engine = new Engine();
  ok(engine.createToken({ symbol: "ETH", decimals: 18, address: ETH_ADDRESS }));
  ok(engine.createToken({ symbol: "USDC", decimals: 6, address: usdc.address }));
  for (const p of parties) ok(engine.createAccount({ account: p.address.toLowerCase(), address: p.address }));
  return { chain, relayer, parties, adjudicator, usdc, channelId, engine, height: 0, timeMs: 1_767_225_600_000 };
}

export function ok(result: { status: string }): void {
  if (result.status !== "accepted") throw new Error(`op rejected: ${JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
}

/** Deposits on chain and credits the same amount in the engine (the op that names the record). */
export async function depositBoth(f: Fixture, p: Party, token: "ETH" | "USDC", amount: bigint): Promise<bigint> {
  const address = token === "ETH" ? ETH_ADDRESS : f.usdc.address;
  const tx = await f.adjudicator.deposit(p.account, f.channelId, address, amount, p.address);
  expect(tx.deposit.amount).toBe(amount);
  expect(await f.adjudicator.isDepositRecord(f.channelId, tx.deposit.recordId, p.address, address, amount)).toBe(true);
  ok(f.engine.deposit({ account: p.address.toLowerCase(), token, amount }));
  return tx.gasUsed;
}

/** The next checkpoint of the engine's current state. */
export function checkpoint(f: Fixture): CheckpointMessage {
  f.height += 1;
  f.timeMs += 1000;
  const leaves = exitLeaves(f.engine.state);
  return { channelId: f.channelId, height: f.height, stateRoot: f.engine.stateRoot() as Hex, exitRoot: exitRoot(leaves) as Hex, time: f.timeMs };
}

/** Certificate of `cp` signed by the first `count` parties (default: quorum). */
export function certificate(f: Fixture, cp: CheckpointMessage, signers: readonly Party[] = f.parties.slice(0, quorum(f))): Certificate {
  return certify(f.adjudicator.domainSeparator, cp, signers.map((p) => p.signer));
}

export function quorum(f: Fixture): number {
  return Math.floor((2 * f.parties.length) / 3) + 1;
}

/** Every exit leaf of the engine's current state with its proof. */
export function leavesWithProofs(engine: Engine): LeafWithProof[] {
  const leaves = exitLeaves(engine.state);
  return leaves.map((leaf, i) => ({ leaf, proof: exitProof(leaves, i) as Hex[] }));
}

export function leafOf(exits: readonly LeafWithProof[], p: Party, token: "ETH" | "USDC"): LeafWithProof {
  const found = exits.find((e) => e.leaf.accountAddress === p.address.toLowerCase() && e.leaf.token === token);
  if (found === undefined) throw new Error(`no ${token} leaf for ${p.name}`);
  return found;
}

/** A forged leaf (not in any tree). */
export function forgedLeaf(p: Party, tokenAddress: string, amount: bigint): ExitLeaf {
  return { account: p.address.toLowerCase(), accountAddress: p.address.toLowerCase(), token: "X", tokenAddress, amount, withdrawn: 0n };
}

/** Awaits `promise` and returns the revert message (fails the test if it does not revert). */
export async function revertOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return String((e as Error).message);
  }
  throw new Error("expected a revert");
}
