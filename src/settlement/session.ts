/**
 * A channel's whole life on chain, as one participant group runs it: deploy the
 * adjudicator and the tokens, open the channel, post bonds, deposit into numbered records (at the
 * start, and mid-channel with {@link depositMidChannel}), withdraw mid-channel against a certificate,
 * close cooperatively or through the dispute path (a stale proposal answered by a watcher's
 * challenge), claim every exit leaf, and reconcile on-chain balances with the channel's final state.
 *
 * Deposit records ↔ channel credits: each record is credited by a `creditDeposit {recordId, account,
 * token, amount}` op that names it (`src/core/deposits.ts`: once each, in id order). In a channel
 * with Checkpointers, decided checkpoints carry them (`src/channel/deposits.ts`; each replica checks
 * them against its own watcher through a `ChainDepositSource`, `deposits.ts` here): the channel's
 * genesis ({@link OpenedSettlement.genesis}) has no deposits. Lighter setups without checkpoints may
 * put the credits in the genesis instead ({@link genesisCredits}), checked by
 * {@link checkGenesisCredits} against the records on chain.
 *
 * Certificates come from the caller: the Checkpointers' certificates (`src/channel/checkpoint.ts`,
 * converted with `fromCheckpointCertificate`) in the main job and test/settlement.checkpoint.test.ts,
 * or `certify` over a checkpoint of replicas with equal state roots in lighter tests.
 */
import { SettlementError } from "./errors.js";
import { invariant } from "../core/errors.js";
import { quorum as quorumOf } from "../runtime/quorum.js";
import type { Account, Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "../runtime/bytes.js";
import { createSigner, type Signer } from "../channel/identity.js";
import type { Engine } from "../core/engine.js";
import { exitLeaves, exitProof } from "../core/exit.js";
import { outboxLeaves } from "../core/receipts.js";
import type { Op } from "../core/ops.js";
import type { RoleName } from "../core/roles.js";
import type { SettlementChain } from "./chain.js";
import { signClose, type Certificate, type CheckpointMessage } from "./certificate.js";
import { AdjudicatorClient, ETH_ADDRESS, Erc20Client, type DepositEvent, type LeafWithProof } from "./client.js";
import { SettlementWatcher } from "./watcher.js";

export interface SessionParty {
  /** Channel signer (checkpoints, batches). */
  signer: Signer;
  /** The same key as a viem account (sends transactions). */
  account: Account;
  roles?: RoleName[];
}

/**
 * A party from one private key (0x + 64 hex): its channel signer and the same key as a viem local
 * account, which signs its transactions (so any JSON-RPC endpoint works, no unlocked accounts).
 * @throws IdentityError INVALID_KEY for a key outside 1..n−1 of secp256k1
 */
export function createParty(privateKey: Hex, roles?: RoleName[]): SessionParty {
  return { signer: createSigner(privateKey), account: privateKeyToAccount(privateKey), ...(roles === undefined ? {} : { roles }) };
}

export interface SessionToken {
  symbol: string;
  decimals: number;
  /** true: the chain's native ETH (address 0); else a test ERC-20 is deployed. */
  native?: boolean;
}

export interface SessionDeposit {
  party: number;
  token: string;
  amount: bigint;
}

export interface GasUsed {
  deposit: bigint;
  withdraw: bigint;
  propose: bigint;
  challenge: bigint;
  finalize: bigint;
  claim: bigint;
  cooperativeClose: bigint;
}

export interface OpenedSettlement {
  chain: SettlementChain;
  adjudicator: AdjudicatorClient;
  channelId: Hex;
  parties: SessionParty[];
  operator: Account;
  tokens: Map<string, { address: Address; decimals: number; erc20?: Erc20Client }>;
  /** createToken ops (with on-chain addresses); no deposits (see the module comment). */
  genesis: Op[];
  /** The deposit records made so far, in record order (openSettlement's, then depositMidChannel's). */
  records: DepositEvent[];
  /** Each party's on-chain balance per token symbol right after its deposits. */
  balancesAfterDeposit: Map<Address, Map<string, bigint>>;
  quorum: number;
  gas: GasUsed;
  /** Number of calls of each kind behind `gas` (so per-call gas = gas / calls). */
  calls: Record<keyof GasUsed, number>;
  /** Wei each party paid in transaction fees after its deposits (added back when reconciling ETH). */
  feesPaidWei: Map<Address, bigint>;
}

/** Σ gas of each kind over the session (deposit: all deposits; claim: all claims). */
function zeroCalls(): Record<keyof GasUsed, number> {
  return { deposit: 0, withdraw: 0, propose: 0, challenge: 0, finalize: 0, claim: 0, cooperativeClose: 0 };
}

function zeroGas(): GasUsed {
  return { deposit: 0n, withdraw: 0n, propose: 0n, challenge: 0n, finalize: 0n, claim: 0n, cooperativeClose: 0n };
}

/**
 * Deploys, opens, funds and deposits. Parties are funded with ETH by the chain's dev account (test
 * chains) and minted the ERC-20 amounts they deposit.
 */
export async function openSettlement(opts: {
  chain: SettlementChain;
  operator: Account;
  parties: SessionParty[];
  tokens: SessionToken[];
  deposits: SessionDeposit[];
  quorum?: number;
  disputeWindowSeconds?: number;
  /** ETH bond each party posts, wei (default 10^16; 0: none). */
  bondWei?: bigint;
  /** ETH each party receives for gas (and ETH deposits), wei. Default 100 ETH. */
  fundEachWei?: bigint;
}): Promise<OpenedSettlement> {
  const { chain, operator, parties } = opts;
  const n = parties.length;
  const quorum = opts.quorum ?? quorumOf(n);
  const bondWei = opts.bondWei ?? 10n ** 16n;
  const fund = opts.fundEachWei ?? 100n * 10n ** 18n;
  await chain.fund(operator.address, fund);
  for (const p of parties) await chain.fund(p.account.address, fund);
  const { client: adjudicator } = await AdjudicatorClient.deploy(chain, operator);
  const tokens = new Map<string, { address: Address; decimals: number; erc20?: Erc20Client }>();
  for (const t of opts.tokens) {
    if (tokens.has(t.symbol)) throw new SettlementError("INVALID_PARAMETER", `token ${t.symbol} twice`);
    if (t.native === true) tokens.set(t.symbol, { address: ETH_ADDRESS, decimals: t.decimals });
    else {
      const erc20 = await Erc20Client.deploy(chain, operator, t.symbol, t.symbol, t.decimals);
      tokens.set(t.symbol, { address: erc20.address.toLowerCase() as Address, decimals: t.decimals, erc20 });
    }
  }
  const { channelId } = await adjudicator.open(operator, {
    participants: parties.map((p) => ({ address: p.account.address, roles: p.roles ?? ["Trader", "MarketMaker"] })),
    quorum,
    disputeWindowSeconds: opts.disputeWindowSeconds ?? 3600,
    bondWei,
    tokens: [...tokens.values()].map((t) => t.address),
  });
  const gas = zeroGas();
  const calls = zeroCalls();
  for (const p of parties) if (bondWei > 0n) await adjudicator.postBond(p.account, channelId, bondWei);
  const genesis: Op[] = [];
  for (const [symbol, t] of tokens) genesis.push({ type: "createToken", symbol, decimals: t.decimals, address: t.address });
  const records: DepositEvent[] = [];
  for (const d of opts.deposits) {
    const p = parties[d.party];
    const t = tokens.get(d.token);
    if (p === undefined || t === undefined) throw new SettlementError("NOT_FOUND", `deposit: unknown party ${d.party} or token ${d.token}`);
    if (t.erc20 !== undefined) {
      await t.erc20.mint(operator, p.account.address, d.amount);
      await t.erc20.approve(p.account, adjudicator.address, d.amount);
    }
    const tx = await adjudicator.deposit(p.account, channelId, t.address, d.amount, p.account.address);
    gas.deposit += tx.gasUsed;
    calls.deposit++;
    records.push(tx.deposit);
  }
  const balancesAfterDeposit = new Map<Address, Map<string, bigint>>();
  for (const p of parties) balancesAfterDeposit.set(p.account.address, await balancesOf(chain, tokens, p.account.address));
  return { chain, adjudicator, channelId, parties, operator, tokens, genesis, records, balancesAfterDeposit, quorum, gas, calls, feesPaidWei: new Map() };
}

/** `creditDeposit` ops for `records` (for a genesis that credits them; see the module comment). */
export function genesisCredits(records: readonly DepositEvent[]): Op[] {
  return records.map((d) => ({ type: "creditDeposit", recordId: d.recordId, account: d.beneficiary.toLowerCase(), token: d.token.toLowerCase(), amount: d.amount }));
}

/**
 * The replica-side check of a genesis that credits deposit records: its `creditDeposit` ops name
 * records 0, 1, 2, … in order, each existing on chain with exactly that beneficiary, token and
 * amount (`isDepositRecord`); records after them are left to checkpoints. A `deposit` op (value
 * with no record behind it) is refused. Throws an Error naming the first mismatch.
 */
export async function checkGenesisCredits(adjudicator: AdjudicatorClient, channelId: Hex, genesis: readonly Op[]): Promise<void> {
  let next = 0n;
  for (const op of genesis) {
    if (op.type === "deposit") throw new SettlementError("MISMATCH", `genesis deposit of ${op.amount} ${op.token} to ${op.account} names no on-chain deposit record`);
    if (op.type !== "creditDeposit") continue;
    if (op.recordId !== next) throw new SettlementError("MISMATCH", `genesis credits deposit record ${op.recordId} where record ${next} is next`);
    if (!/^0x[0-9a-fA-F]{40}$/.test(op.account) || !/^0x[0-9a-fA-F]{40}$/.test(op.token)) throw new SettlementError("INVALID_PARAMETER", `genesis credit of record ${op.recordId}: account and token must be addresses`);
    if (!(await adjudicator.isDepositRecord(channelId, op.recordId, op.account as Address, op.token as Address, op.amount))) {
      throw new SettlementError("MISMATCH", `genesis credit of ${op.amount} of ${op.token} to ${op.account} is not deposit record ${op.recordId} on chain`);
    }
    next++;
  }
}

/**
 * Party `party` deposits `amount` of `token` into a new record while the channel runs. The amount is
 * new money from outside, as in {@link openSettlement}: minted (test ERC-20) or sent by the chain's
 * dev account (ETH) first, so the party's on-chain balance, measured for {@link reconcile}, is
 * unchanged (its ETH fee is counted in `feesPaidWei`). Returns the record; the channel credits it through
 * a checkpoint.
 */
export async function depositMidChannel(s: OpenedSettlement, party: number, token: string, amount: bigint): Promise<DepositEvent> {
  const p = s.parties[party];
  const t = s.tokens.get(token);
  if (p === undefined || t === undefined) throw new SettlementError("NOT_FOUND", `deposit: unknown party ${party} or token ${token}`);
  if (t.erc20 !== undefined) {
    await t.erc20.mint(s.operator, p.account.address, amount);
    const approved = await t.erc20.approve(p.account, s.adjudicator.address, amount);
    addFee(s, p.account.address, approved.feeWei);
  } else await s.chain.fund(p.account.address, amount);
  const tx = await s.adjudicator.deposit(p.account, s.channelId, t.address, amount, p.account.address);
  s.gas.deposit += tx.gasUsed;
  s.calls.deposit++;
  addFee(s, p.account.address, tx.feeWei);
  s.records.push(tx.deposit);
  return tx.deposit;
}

/** Every exit leaf of `engine` with its proof (in the whole exit tree: exit leaves, then the outbox leaves of cross-channel receipts). */
export function exitsWithProofs(engine: Engine): LeafWithProof[] {
  const leaves = exitLeaves(engine.state);
  const outbox = outboxLeaves(engine.state);
  return leaves.map((leaf, i) => ({ leaf, proof: exitProof(leaves, i, outbox) as Hex[] }));
}

/** Pays `party`'s cumulative withdrawals of every token under `cert` (of `engine`'s state). */
export async function withdrawAll(s: OpenedSettlement, engine: Engine, cert: Certificate, party: number): Promise<bigint> {
  const p = s.parties[party];
  if (p === undefined) throw new SettlementError("NOT_FOUND", `no party ${party}`);
  let paid = 0n;
  for (const e of exitsWithProofs(engine)) {
    if (e.leaf.accountAddress !== p.signer.address || e.leaf.withdrawn === 0n) continue;
    const already = await s.adjudicator.paid(s.channelId, p.account.address, e.leaf.tokenAddress as Address);
    if (already >= e.leaf.withdrawn) continue;
    const tx = await s.adjudicator.withdraw(p.account, s.channelId, cert, e);
    invariant(tx.amount <= e.leaf.withdrawn - already, `withdraw paid ${tx.amount}, more than the ${e.leaf.withdrawn - already} still owed`);
    s.gas.withdraw += tx.gasUsed;
    s.calls.withdraw++;
    addFee(s, p.account.address, tx.feeWei);
    paid += tx.amount;
  }
  return paid;
}

/**
 * Closes the channel on `finalCert` (a certificate of `engine`'s final state) and claims every leaf.
 * - "cooperative": all parties sign `Close` over the final checkpoint; no window.
 * - "dispute": party `proposer` proposes `staleCert`; party `challenger`'s watcher, holding
 *   `finalCert`, challenges by itself; the window passes; anyone finalizes.
 */
export async function closeAndClaim(
  s: OpenedSettlement,
  engine: Engine,
  finalCert: Certificate,
  mode: { kind: "cooperative" } | { kind: "dispute"; staleCert: Certificate; proposer: number; challenger: number },
): Promise<void> {
  if (mode.kind === "cooperative") {
    const cp: CheckpointMessage = finalCert.checkpoint;
    const sigs = signClose(s.adjudicator.domainSeparator, cp, s.parties.map((p) => p.signer));
    s.gas.cooperativeClose += (await s.adjudicator.cooperativeClose(s.operator, s.channelId, cp, sigs)).gasUsed;
    s.calls.cooperativeClose++;
  } else {
    const proposer = s.parties[mode.proposer];
    const challenger = s.parties[mode.challenger];
    if (proposer === undefined || challenger === undefined) throw new SettlementError("NOT_FOUND", "dispute: unknown proposer or challenger");
    const watcher = new SettlementWatcher({
      client: s.adjudicator,
      channelId: s.channelId,
      sender: challenger.account,
      latestCertificate: () => finalCert,
      fromBlock: await s.chain.publicClient.getBlockNumber({ cacheTime: 0 }),
    });
    const proposed = await s.adjudicator.proposeSettlement(proposer.account, s.channelId, mode.staleCert);
    s.gas.propose += proposed.gasUsed;
    s.calls.propose++;
    addFee(s, proposer.account.address, proposed.feeWei);
    // Drive the watcher until it has answered (it challenges when it holds a higher certificate).
    for (let i = 0; i < 100 && watcher.challenges.length === 0; i++) await watcher.poll();
    const answered = watcher.challenges[0];
    if (answered === undefined) throw new SettlementError("UNKNOWN_STATE", "dispute: the watcher did not challenge the stale proposal");
    s.gas.challenge += answered.tx.gasUsed;
    s.calls.challenge++;
    addFee(s, challenger.account.address, answered.tx.feeWei);
    const view = await s.adjudicator.channel(s.channelId);
    const nowSeconds = await s.chain.nowSeconds();
    if (view.deadlineSeconds > nowSeconds) await s.chain.increaseTimeSeconds(Number(view.deadlineSeconds - nowSeconds));
    s.gas.finalize += (await s.adjudicator.finalizeSettlement(s.operator, s.channelId)).gasUsed;
    s.calls.finalize++;
  }
  for (const e of exitsWithProofs(engine)) {
    const paid = await s.adjudicator.paid(s.channelId, e.leaf.accountAddress as Address, e.leaf.tokenAddress as Address);
    if (paid >= e.leaf.amount + e.leaf.withdrawn) continue;
    s.gas.claim += (await s.adjudicator.claim(s.operator, s.channelId, e)).gasUsed;
    s.calls.claim++;
  }
}

export interface ReconcileRow {
  party: Address;
  token: string;
  /** On-chain balance now − right after the deposits. */
  onChainReceived: bigint;
  /** Final channel exit amount + cumulative withdrawals. */
  channelFinal: bigint;
  withdrawn: bigint;
  equal: boolean;
}

/**
 * On-chain balances against the final channel state: for every party and token, what it received
 * on chain since its deposits must equal its final exit amount plus what it withdrew. ETH is measured
 * net of fees: the operator sends claims and finalization; the fees a party paid itself (withdraw,
 * propose, challenge: `feesPaidWei`) are added back.
 */
export async function reconcile(s: OpenedSettlement, engine: Engine): Promise<ReconcileRow[]> {
  const rows: ReconcileRow[] = [];
  const leaves = exitLeaves(engine.state);
  for (const p of s.parties) {
    const after = s.balancesAfterDeposit.get(p.account.address) ?? new Map<string, bigint>();
    const now = await balancesOf(s.chain, s.tokens, p.account.address);
    for (const [symbol, t] of s.tokens) {
      const leaf = leaves.find((l) => l.accountAddress === p.signer.address && l.tokenAddress === t.address.toLowerCase());
      const amount = leaf?.amount ?? 0n;
      const withdrawn = leaf?.withdrawn ?? 0n;
      const feesWei = t.address === ETH_ADDRESS ? (s.feesPaidWei.get(p.account.address) ?? 0n) : 0n;
      const received = (now.get(symbol) ?? 0n) - (after.get(symbol) ?? 0n) + feesWei;
      rows.push({ party: p.account.address, token: symbol, onChainReceived: received, channelFinal: amount + withdrawn, withdrawn, equal: received === amount + withdrawn });
    }
  }
  return rows;
}

function addFee(s: OpenedSettlement, who: Address, wei: bigint): void {
  s.feesPaidWei.set(who, (s.feesPaidWei.get(who) ?? 0n) + wei);
}

async function balancesOf(chain: SettlementChain, tokens: OpenedSettlement["tokens"], owner: Address): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const [symbol, t] of tokens) out.set(symbol, t.erc20 === undefined ? await chain.publicClient.getBalance({ address: owner }) : await t.erc20.balanceOf(owner));
  return out;
}
