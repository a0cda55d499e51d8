/**
 * Typed client of the adjudicator (contracts/Adjudicator.sol) over viem: deploy, open, bond, deposit,
 * withdraw, propose, challenge, finalize, cooperativeClose, claim, moveReceipt (cross-channel receipts),
 * equivocation reports, and views.
 * Every transaction returns its gas used (from the receipt) and decoded results; a revert throws
 * {@link ContractRevert} naming the contract's custom error (e.g. `UnderQuorum`, `AlreadyReported`;
 * the list is in docs/settlement.md, "Errors").
 * Units: `…Seconds` is chain time (block timestamps, s), `…Wei` is ETH in wei, token amounts are base units.
 *
 * Senders are viem accounts (`privateKeyToAccount`): transactions are signed locally, so the same code
 * runs on the embedded EVM and on any JSON-RPC endpoint (`chain.ts`).
 */
import { SettlementError } from "./errors.js";
import { BaseError, decodeErrorResult, parseEventLogs, type Abi, type Account, type Address, type Hash, type Log, type TransactionReceipt } from "viem";
import type { Hex } from "../runtime/bytes.js";
import { domainSeparator } from "../channel/batch.js";
import type { BatchHeader } from "../channel/batch.js";
import type { VoteMessage } from "../channel/checkpointTypes.js";
import { SemilatticeError } from "../core/errors.js";
import type { ExitLeaf } from "../core/exit.js";
import { roleMask, type RoleName } from "../core/roles.js";
import type { SettlementChain } from "./chain.js";
import { loadArtifact } from "./artifacts.js";
import type { ContractArtifact } from "./compile.js";
import { toContractCheckpoint, toContractLeaf, type Certificate, type CheckpointMessage } from "./certificate.js";
import { toContractOutboxLeaf, type OutboxLeafWithProof } from "./receipts.js";

/** The ETH "token" address in deposits and exit leaves. */
export const ETH_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

/** Largest channel bond the contract accepts, wei (`Bonds.MAX_BOND_WEI`, 2^96 − 1). */
export const MAX_BOND_WEI = (1n << 96n) - 1n;

export interface TxResult {
  hash: Hash;
  gasUsed: bigint;
  /** gasUsed × effectiveGasPrice: the wei the sender paid. */
  feeWei: bigint;
  blockNumber: bigint;
  logs: Log[];
}

export interface ChannelConfig {
  /** Participant addresses (any order; sorted ascending for the contract). */
  participants: readonly { address: Address; roles: readonly RoleName[] }[];
  quorum: number;
  disputeWindowSeconds: number;
  /** ETH bond per participant, wei (0: no bonds; at most {@link MAX_BOND_WEI}). */
  bondWei: bigint;
  /** Token addresses (ETH = {@link ETH_ADDRESS}); sorted ascending for the contract. */
  tokens: readonly Address[];
}

export type ChannelStatus = "None" | "Open" | "Disputed" | "Finalized" | "Concluded";
const STATUS: readonly ChannelStatus[] = ["None", "Open", "Disputed", "Finalized", "Concluded"];

export interface ChannelView {
  status: ChannelStatus;
  quorum: number;
  participantCount: number;
  disputeWindowSeconds: bigint;
  /**
   * Chain time (s): while Disputed the end of the dispute window; once Finalized or Concluded the end
   * of the bond lock (`reclaimBond` from then on).
   */
  deadlineSeconds: bigint;
  /** Height of the latest checkpoint the contract used. */
  height: bigint;
  exitRoot: Hex;
  checkpointDigest: Hex;
  bondWei: bigint;
}

export interface DepositEvent {
  channelId: Hex;
  recordId: bigint;
  beneficiary: Address;
  token: Address;
  amount: bigint;
  blockNumber: bigint;
}

/** A proof-carrying exit leaf: the engine's leaf and its Merkle siblings. */
export interface LeafWithProof {
  leaf: ExitLeaf;
  proof: readonly Hex[];
}

export class AdjudicatorClient {
  readonly domainSeparator: Uint8Array;

  private constructor(
    readonly chain: SettlementChain,
    readonly address: Address,
    readonly abi: Abi,
  ) {
    this.domainSeparator = domainSeparator({ chainId: chain.chainId, verifyingContract: address.toLowerCase() as Hex });
  }

  /** Deploys a new adjudicator from `deployer`. */
  static async deploy(chain: SettlementChain, deployer: Account, art: ContractArtifact = loadArtifact("Adjudicator")): Promise<{ client: AdjudicatorClient; gasUsed: bigint }> {
    const hash = await chain.wallet(deployer).deployContract({ abi: art.abi, bytecode: art.bytecode, args: [] });
    const receipt = await receiptOf(chain, hash);
    if (receipt.contractAddress === null || receipt.contractAddress === undefined) throw new SettlementError("TRANSACTION_FAILED", `deployment ${hash} created no contract`);
    return { client: new AdjudicatorClient(chain, receipt.contractAddress, art.abi), gasUsed: receipt.gasUsed };
  }

  /** A client of an adjudicator already deployed at `address`. */
  static at(chain: SettlementChain, address: Address, abi: Abi = loadArtifact("Adjudicator").abi): AdjudicatorClient {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new SettlementError("INVALID_PARAMETER", `not an address: ${address}`);
    return new AdjudicatorClient(chain, address, abi);
  }

  /* ───────── transactions ───────── */

  async open(sender: Account, cfg: ChannelConfig): Promise<TxResult & { channelId: Hex }> {
    if (!Number.isInteger(cfg.quorum) || cfg.quorum < 1 || cfg.quorum > 0xffff) throw new SettlementError("INVALID_PARAMETER", "quorum must be an integer in 1..65535");
    if (!Number.isSafeInteger(cfg.disputeWindowSeconds) || cfg.disputeWindowSeconds <= 0) throw new SettlementError("INVALID_PARAMETER", "disputeWindowSeconds must be a positive integer");
    if (typeof cfg.bondWei !== "bigint" || cfg.bondWei < 0n || cfg.bondWei > MAX_BOND_WEI) throw new SettlementError("INVALID_PARAMETER", `bondWei must be in 0..${MAX_BOND_WEI} (the contract's MAX_BOND_WEI)`);
    const ps = [...cfg.participants].sort((a, b) => cmp(a.address.toLowerCase(), b.address.toLowerCase()));
    const tokens = [...cfg.tokens].map((t) => t.toLowerCase() as Address).sort(cmp);
    const tx = await this.send(sender, "open", [
      ps.map((p) => p.address),
      ps.map((p) => roleMask(p.roles)),
      cfg.quorum,
      BigInt(cfg.disputeWindowSeconds),
      cfg.bondWei,
      tokens,
    ]);
    const [event] = parseEventLogs({ abi: this.abi, logs: tx.logs, eventName: "ChannelOpened" }) as unknown as { args: { channelId: Hex } }[];
    if (event === undefined) throw new SettlementError("EVENT_MISSING", "open: no ChannelOpened event");
    return { ...tx, channelId: event.args.channelId };
  }

  /** Posts `sender`'s bond: `bondWei` must be the channel's bond (else WrongValue). */
  postBond(sender: Account, channelId: Hex, bondWei: bigint): Promise<TxResult> {
    return this.send(sender, "postBond", [channelId], bondWei);
  }

  /**
   * Deposits `amount` of `token` for `beneficiary` (ERC-20: approve the adjudicator first, see
   * {@link Erc20Client.approve}; ETH: {@link ETH_ADDRESS}, sent as value).
   */
  async deposit(sender: Account, channelId: Hex, token: Address, amount: bigint, beneficiary: Address): Promise<TxResult & { deposit: DepositEvent }> {
    if (amount <= 0n) throw new SettlementError("INVALID_PARAMETER", "amount must be positive");
    const isEth = token.toLowerCase() === ETH_ADDRESS;
    const tx = await this.send(sender, "deposit", [channelId, token, amount, beneficiary], isEth ? amount : 0n);
    const [deposit] = this.decodeDeposits(tx.logs);
    if (deposit === undefined) throw new SettlementError("EVENT_MISSING", "deposit: no Deposited event");
    return { ...tx, deposit };
  }

  /** Mid-channel withdrawal of `leaf.withdrawn − paid` against `cert` (the stored checkpoint needs no signatures). */
  async withdraw(sender: Account, channelId: Hex, cert: Certificate, exit: LeafWithProof): Promise<TxResult & { amount: bigint }> {
    const tx = await this.send(sender, "withdraw", [channelId, toContractCheckpoint(cert.checkpoint), cert.signatures, toContractLeaf(exit.leaf), exit.proof]);
    return { ...tx, amount: this.eventAmount(tx.logs, "Withdrawn") };
  }

  proposeSettlement(sender: Account, channelId: Hex, cert: Certificate): Promise<TxResult> {
    return this.send(sender, "proposeSettlement", [channelId, toContractCheckpoint(cert.checkpoint), cert.signatures]);
  }

  challengeSettlement(sender: Account, channelId: Hex, cert: Certificate): Promise<TxResult> {
    return this.send(sender, "challengeSettlement", [channelId, toContractCheckpoint(cert.checkpoint), cert.signatures]);
  }

  finalizeSettlement(sender: Account, channelId: Hex): Promise<TxResult> {
    return this.send(sender, "finalizeSettlement", [channelId]);
  }

  /** Closes at once with n-of-n `Close` signatures (`certificate.ts` signClose). */
  cooperativeClose(sender: Account, channelId: Hex, cp: CheckpointMessage, signatures: readonly Hex[]): Promise<TxResult> {
    return this.send(sender, "cooperativeClose", [channelId, toContractCheckpoint(cp), signatures]);
  }

  /**
   * Closes with n-of-n `Close` signatures and pays every leaf of the exit tree in the same
   * transaction (`leaves` in tree order: `exitLeaves` order). Returns the amounts paid per leaf.
   */
  async cooperativeCloseAndPay(sender: Account, channelId: Hex, cp: CheckpointMessage, signatures: readonly Hex[], leaves: readonly ExitLeaf[]): Promise<TxResult & { amounts: bigint[] }> {
    const tx = await this.send(sender, "cooperativeCloseAndPay", [channelId, toContractCheckpoint(cp), signatures, leaves.map(toContractLeaf)]);
    const amounts = (parseEventLogs({ abi: this.abi, logs: tx.logs, eventName: "Claimed" }) as unknown as { args: { amount: bigint } }[]).map((e) => e.args.amount);
    return { ...tx, amounts };
  }

  /** After finalization: pays `amount + withdrawn − paid` to the leaf's account. */
  async claim(sender: Account, channelId: Hex, exit: LeafWithProof): Promise<TxResult & { amount: bigint }> {
    const tx = await this.send(sender, "claim", [channelId, toContractLeaf(exit.leaf), exit.proof]);
    return { ...tx, amount: this.eventAmount(tx.logs, "Claimed") };
  }

  /**
   * Moves `receipt.leaf.sent − moved` from `fromChannel`'s holdings to `receipt.leaf.toChannel`'s
   * against `cert`, a certificate of the open source channel (accepted as `withdraw` accepts one: the
   * stored checkpoint needs no signatures, a lower one reverts StaleCheckpoint). Returns the amount
   * moved; nothing left to move reverts NothingToMove. Build `receipt` with `outboxReceipt`.
   */
  async moveReceipt(sender: Account, fromChannel: Hex, cert: Certificate, receipt: OutboxLeafWithProof): Promise<TxResult & { amount: bigint }> {
    const leaf = toContractOutboxLeaf(receipt.leaf);
    const tx = await this.send(sender, "moveReceipt", [fromChannel, leaf.toChannel, toContractCheckpoint(cert.checkpoint), cert.signatures, leaf, receipt.proof]);
    return { ...tx, amount: this.eventAmount(tx.logs, "ReceiptMoved") };
  }

  /** The same move against the source's stored exit root while it is Disputed or Finalized. */
  async moveSettledReceipt(sender: Account, fromChannel: Hex, receipt: OutboxLeafWithProof): Promise<TxResult & { amount: bigint }> {
    const leaf = toContractOutboxLeaf(receipt.leaf);
    const tx = await this.send(sender, "moveSettledReceipt", [fromChannel, leaf.toChannel, leaf, receipt.proof]);
    return { ...tx, amount: this.eventAmount(tx.logs, "ReceiptMoved") };
  }

  reportEquivocation(sender: Account, a: { header: BatchHeader; signature: Hex }, b: { header: BatchHeader; signature: Hex }): Promise<TxResult> {
    return this.send(sender, "reportEquivocation", [batchTuple(a.header), a.signature, batchTuple(b.header), b.signature]);
  }

  reportVoteEquivocation(sender: Account, a: { vote: VoteMessage; signature: Hex }, b: { vote: VoteMessage; signature: Hex }): Promise<TxResult> {
    return this.send(sender, "reportVoteEquivocation", [voteTuple(a.vote), a.signature, voteTuple(b.vote), b.signature]);
  }

  reclaimBond(sender: Account, channelId: Hex): Promise<TxResult> {
    return this.send(sender, "reclaimBond", [channelId]);
  }

  /* ───────── views ───────── */

  async channel(channelId: Hex): Promise<ChannelView> {
    const c = (await this.read("channel", [channelId])) as {
      status: number; quorum: number; participantCount: number; disputeWindowSeconds: bigint; deadlineSeconds: bigint; height: bigint;
      exitRoot: Hex; checkpointDigest: Hex; bondWei: bigint;
    };
    const status = STATUS[c.status];
    if (status === undefined) throw new SettlementError("UNKNOWN_STATE", `unknown channel status ${c.status}`);
    return { ...c, status, disputeWindowSeconds: BigInt(c.disputeWindowSeconds), deadlineSeconds: BigInt(c.deadlineSeconds), height: BigInt(c.height) };
  }

  async holdings(channelId: Hex, token: Address): Promise<bigint> {
    return (await this.read("holdings", [channelId, token])) as bigint;
  }

  /** Everything the contract holds of `token` over all channels and bonds (base units; Custody's `totalHeld`). */
  async totalHeld(token: Address): Promise<bigint> {
    return (await this.read("totalHeld", [token])) as bigint;
  }

  /** The channel's bond pot, wei: the sum of its participants' `bondOf`. */
  async bondHoldings(channelId: Hex): Promise<bigint> {
    return (await this.read("bondHoldings", [channelId, ETH_ADDRESS])) as bigint;
  }

  async paid(channelId: Hex, account: Address, token: Address): Promise<bigint> {
    return (await this.read("paid", [channelId, account, token])) as bigint;
  }

  /** Moved so far from `fromChannel` to `toChannel` for (account, token) by moveReceipt. */
  async moved(fromChannel: Hex, toChannel: Hex, account: Address, token: Address): Promise<bigint> {
    return (await this.read("moved", [fromChannel, toChannel, account, token])) as bigint;
  }

  async outboxLeafHash(receipt: OutboxLeafWithProof["leaf"]): Promise<Hex> {
    return (await this.read("outboxLeafHash", [toContractOutboxLeaf(receipt)])) as Hex;
  }

  /** `participant`'s bond in the channel (its own plus any slashed to it), wei. */
  async bondOf(channelId: Hex, participant: Address): Promise<bigint> {
    return (await this.read("bondOf", [channelId, participant])) as bigint;
  }

  async depositCount(channelId: Hex): Promise<bigint> {
    return (await this.read("depositCount", [channelId])) as bigint;
  }

  /** Whether deposit record `recordId` exists with exactly these fields (the replica-side check). */
  async isDepositRecord(channelId: Hex, recordId: bigint, beneficiary: Address, token: Address, amount: bigint): Promise<boolean> {
    return (await this.read("isDepositRecord", [channelId, recordId, beneficiary, token, amount])) as boolean;
  }

  async checkpointDigest(cp: CheckpointMessage): Promise<Hex> {
    return (await this.read("checkpointDigest", [toContractCheckpoint(cp)])) as Hex;
  }

  async leafHash(leaf: ExitLeaf): Promise<Hex> {
    return (await this.read("leafHash", [toContractLeaf(leaf)])) as Hex;
  }

  async read(functionName: string, args: readonly unknown[]): Promise<unknown> {
    return this.chain.publicClient.readContract({ address: this.address, abi: this.abi, functionName, args });
  }

  /** Deposited events of `channelId` (all channels if undefined) in blocks [fromBlock, toBlock]. */
  async depositEvents(channelId: Hex | undefined, fromBlock: bigint, toBlock: bigint): Promise<DepositEvent[]> {
    const logs = await this.chain.publicClient.getLogs({ address: this.address, fromBlock, toBlock });
    return this.decodeDeposits(logs).filter((d) => channelId === undefined || d.channelId === channelId);
  }

  decodeDeposits(logs: Log[]): DepositEvent[] {
    return (parseEventLogs({ abi: this.abi, logs, eventName: "Deposited" }) as unknown as { args: Omit<DepositEvent, "blockNumber">; blockNumber: bigint }[]).map(
      (e) => ({
        channelId: e.args.channelId,
        recordId: e.args.recordId,
        beneficiary: e.args.beneficiary.toLowerCase() as Address,
        token: e.args.token.toLowerCase() as Address,
        amount: e.args.amount,
        blockNumber: e.blockNumber,
      }),
    );
  }

  /**
   * Sends a transaction from `sender` and waits for its receipt.
   * @throws ContractRevertError naming the contract's custom error when it reverts
   */
  async send(sender: Account, functionName: string, args: readonly unknown[], value = 0n): Promise<TxResult> {
    return sendTx(this.chain, this.abi, this.address, sender, functionName, args, value);
  }

  private eventAmount(logs: Log[], eventName: string): bigint {
    const [event] = parseEventLogs({ abi: this.abi, logs, eventName }) as unknown as { args: { amount: bigint } }[];
    if (event === undefined) throw new SettlementError("EVENT_MISSING", `no ${eventName} event`);
    return event.args.amount;
  }
}

/** ERC-20 helpers (the test token's `mint` included). */
export class Erc20Client {
  constructor(
    readonly chain: SettlementChain,
    readonly address: Address,
    readonly abi: Abi,
  ) {}

  static async deploy(chain: SettlementChain, deployer: Account, name: string, symbol: string, decimals: number, contract = "TestToken"): Promise<Erc20Client> {
    const art = loadArtifact(contract);
    const args = contract === "TestToken" ? [name, symbol, decimals] : [];
    const hash = await chain.wallet(deployer).deployContract({ abi: art.abi, bytecode: art.bytecode, args });
    const receipt = await receiptOf(chain, hash);
    if (receipt.contractAddress === null || receipt.contractAddress === undefined) throw new SettlementError("TRANSACTION_FAILED", `deployment of ${symbol} failed`);
    return new Erc20Client(chain, receipt.contractAddress, art.abi);
  }

  send(sender: Account, functionName: string, args: readonly unknown[]): Promise<TxResult> {
    return sendTx(this.chain, this.abi, this.address, sender, functionName, args, 0n);
  }

  mint(sender: Account, to: Address, amount: bigint): Promise<TxResult> {
    return this.send(sender, "mint", [to, amount]);
  }

  approve(sender: Account, spender: Address, amount: bigint): Promise<TxResult> {
    return this.send(sender, "approve", [spender, amount]);
  }

  async read(functionName: string, args: readonly unknown[] = []): Promise<unknown> {
    return this.chain.publicClient.readContract({ address: this.address, abi: this.abi, functionName, args });
  }

  async balanceOf(owner: Address): Promise<bigint> {
    return (await this.chain.publicClient.readContract({ address: this.address, abi: this.abi, functionName: "balanceOf", args: [owner] })) as bigint;
  }
}

/** A reverted call, with the contract's custom error decoded when the ABI knows it. Code `CONTRACT_REVERTED`. */
export class ContractRevertError extends SemilatticeError {
  override readonly name = "ContractRevertError";
  declare readonly code: "CONTRACT_REVERTED";
  constructor(
    /** Custom error name (`UnderQuorum`, …) or "unknown". */
    readonly errorName: string,
    readonly errorArgs: readonly unknown[],
    readonly functionName: string,
    options: { cause: unknown },
  ) {
    super("CONTRACT_REVERTED", `${functionName} reverted: ${errorName}(${errorArgs.map((a) => String(a)).join(", ")})`, { cause: options.cause });
  }
}

/** Revert data of a viem/provider error: the `data` of the innermost error that has one, else the hex in the message. */
function revertData(error: unknown): Hex | undefined {
  if (error instanceof BaseError) {
    const inner = error.walk((e) => typeof (e as { data?: unknown }).data === "string" && /^0x[0-9a-f]*$/i.test((e as { data: string }).data));
    if (inner !== null && inner !== undefined) return (inner as unknown as { data: Hex }).data;
  }
  const m = /return data: (0x[0-9a-fA-F]+)/.exec(String((error as Error)?.message ?? ""));
  return m?.[1] as Hex | undefined;
}

async function sendTx(chain: SettlementChain, abi: Abi, address: Address, sender: Account, functionName: string, args: readonly unknown[], value: bigint): Promise<TxResult> {
  let hash: Hash;
  try {
    hash = await chain.wallet(sender).writeContract({ address, abi, functionName, args, value, chain: chain.chain, account: sender });
  } catch (error) {
    const data = revertData(error);
    if (data === undefined || data.length < 10) throw error;
    try {
      const decoded = decodeErrorResult({ abi, data });
      throw new ContractRevertError(decoded.errorName, (decoded.args ?? []) as readonly unknown[], functionName, { cause: error });
    } catch (e) {
      if (e instanceof ContractRevertError) throw e;
      throw new ContractRevertError(`unknown ${data.slice(0, 10)}`, [], functionName, { cause: error });
    }
  }
  const receipt = await receiptOf(chain, hash);
  return { hash, gasUsed: receipt.gasUsed, feeWei: receipt.gasUsed * receipt.effectiveGasPrice, blockNumber: receipt.blockNumber, logs: receipt.logs };
}

/** The receipt of `hash`; throws if the transaction reverted. */
export async function receiptOf(chain: SettlementChain, hash: Hash): Promise<TransactionReceipt> {
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (receipt.status !== "success") throw new SettlementError("TRANSACTION_FAILED", `transaction ${hash} reverted`);
  return receipt;
}

function batchTuple(h: BatchHeader): unknown {
  return { channelId: h.channelId, author: h.author, seq: BigInt(h.seq), parents: h.parents, payloadDigest: h.payloadDigest, timestampMs: BigInt(h.timestamp) };
}

function voteTuple(v: VoteMessage): unknown {
  return { channelId: v.channelId, height: BigInt(v.height), round: v.round, voteType: v.voteType, valueId: v.valueId };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
