/**
 * The settlement part of the main job: the channel's life on an EVM chain — the
 * embedded in-process one by default, any JSON-RPC endpoint with `--rpc-url`.
 *
 * 1. Deploy the adjudicator (contracts/Adjudicator.sol) and two test ERC-20s (USDC 6 decimals, WETH
 *    18), open a channel of N participants (quorum ⌊2N/3⌋+1, ETH bonds), and have each participant
 *    deposit real-looking amounts into numbered deposit records: what its share of the Uniswap V3
 *    USDC/WETH day's swaps pays in (split by swap sender, as `channelDemo.ts` does), participant 0
 *    also the pool's seed reserves (the real pool's virtual reserves at the first event), and 1 ETH
 *    each (native ETH exercises the other payment path).
 * 2. The channel's genesis only registers the tokens (with their on-chain addresses) and creates the
 *    pool: no deposit is in it. Each replica runs a Checkpointer (`src/channel/checkpoint.ts`:
 *    Tendermint over cuts of the DAG, its messages delivered in the simulated network's virtual time)
 *    and its own watcher of the adjudicator's `Deposited` events (`ChainDepositSource`,
 *    `src/settlement/deposits.ts`); the first checkpoints credit every record with `creditDeposit`
 *    ops naming it, each replica prevoting only records its own watcher confirms. Then participant 0
 *    seeds the pool and N MultiPartyChannel replicas run every swap of the day over the seeded
 *    simulated network, plus ETH transfers.
 * 3. A quarter into the day, participant N−1 deposits 250,000 USDC more on chain; a later checkpoint
 *    credits that record while trading goes on. Every 512 ops per participant the run waits until
 *    everything sent so far is final and every replica holds the certificate (q EIP-712 Checkpoint
 *    signatures) of that height. Those certificates are what goes on chain.
 * 4. Halfway, participant 1 withdraws a quarter of its USDC and WETH (a `withdraw` op); the contract
 *    pays it against the next certificate, mid-channel.
 * 5. The channel closes cooperatively (n-of-n `Close`), or with `--dispute`: participant N−1 proposes
 *    a stale certificate, participant 2's watcher challenges it with the final one on its own, the
 *    window passes, and everything is claimed.
 * 6. Every participant's on-chain balances (received since its deposits) are printed next to its final
 *    channel balance plus its withdrawals; they must be equal.
 */
import { createHash } from "node:crypto";
import { privateKeyToAccount } from "viem/accounts";
import type { Address } from "viem";
import type { Hex } from "../runtime/bytes.js";
import { Checkpointer, type CheckpointCertificate } from "../channel/checkpoint.js";
import { ConsensusError } from "../channel/consensus/tendermint.js";
import { Replica } from "../channel/replica.js";
import type { Participant } from "../channel/identity.js";
import { createSigner } from "../channel/identity.js";
import type { Engine } from "../core/engine.js";
import type { Op } from "../core/ops.js";
import { MultiPartyChannel } from "../node/channel.js";
import { loadUniswapEvents } from "../replay/uniswapData.js";
import { connectChain } from "../settlement/chain.js";
import { fromCheckpointCertificate, type Certificate } from "../settlement/certificate.js";
import { ChainDepositSource } from "../settlement/deposits.js";
import { closeAndClaim, depositMidChannel, openSettlement, reconcile, withdrawAll, type ReconcileRow, type SessionDeposit, type SessionParty } from "../settlement/session.js";
import { SettlementWatcher } from "../settlement/watcher.js";
import { SimNetwork } from "../sync/simNetwork.js";

export interface SettlementSummary {
  mode: "cooperative" | "dispute";
  /** "embedded" or the RPC URL. */
  endpoint: string;
  onChainMatchesFinalState: boolean;
  /** Certificates taken to the chain (mid-channel withdrawal, stale proposal, final). */
  checkpoints: number;
  /** Height of the Tendermint checkpoint the channel settled on. */
  finalHeight: number;
  swaps: number;
  swapsAccepted: number;
  /** Gas summed over the run per kind of call (deposit: all deposits; claim: all claims). */
  /** Mean gas per call of each kind (0 where the path made no such call), comparable with Nitro's per-call figures. */
  gasUsed: { deposit: number; propose: number; challenge: number; finalize: number; claim: number; cooperativeClose: number; withdraw: number };
  /** Calls of each kind behind `gasUsed`. */
  gasCalls: { deposit: number; propose: number; challenge: number; finalize: number; claim: number; cooperativeClose: number; withdraw: number };
  /** On-chain deposit records, every one credited by a checkpoint's `creditDeposit` (none at genesis). */
  deposits: {
    records: number;
    /** Tendermint height whose checkpoint credited each record, by record id. */
    creditedAtHeight: number[];
    /** The deposit made after trading started: amount in base units (decimal string). */
    midRun: { participant: number; token: string; amount: string; recordId: number; creditedAtHeight: number; swapsBefore: number };
  };
}

export interface SettlementRun {
  summary: SettlementSummary;
  rows: ReconcileRow[];
  names: Map<Address, string>;
}

const EPOCH_MS = 1_700_000_000_000;
/** The mid-run deposit: 250,000 USDC (6 decimals). */
const MID_RUN_USDC = 250_000_000_000n;
const OPS_PER_CHECKPOINT = 512;

/** Private key of demo participant `i`: the key `sim.ts` testSigner(i) derives (never for real funds). */
function demoKey(i: number): Hex {
  return `0x${createHash("sha256").update(`semilattice/test-key/${i}`).digest("hex")}`;
}

export async function runSettlementDemo(opts: { dataDir: string; participants: number; mode: "cooperative" | "dispute"; rpcUrl?: string | undefined }): Promise<SettlementRun> {
  const n = opts.participants;
  if (!Number.isInteger(n) || n < 2 || n > 64) throw new RangeError("settlement demo: participants must be 2..64");
  const parties: SessionParty[] = Array.from({ length: n }, (_, i) => ({ signer: createSigner(demoKey(i)), account: privateKeyToAccount(demoKey(i)) }));
  const operator = privateKeyToAccount(demoKey(1_000_000));

  // The Uniswap day, split by sender; funding = what each participant's swaps pay in.
  const events = loadUniswapEvents(opts.dataDir);
  const first = events[0];
  if (first === undefined) throw new Error("uniswap: no events");
  const Q96 = 1n << 96n;
  const seedUsdc = (first.totalLiquidity * Q96) / first.sqrtPriceX96;
  const seedWeth = (first.totalLiquidity * first.sqrtPriceX96) / Q96;
  const senders = new Map<string, number>();
  const swaps: { who: number; tokenIn: "USDC" | "WETH"; amountIn: bigint }[] = [];
  const funding = parties.map(() => ({ USDC: 0n, WETH: 0n }));
  for (const e of events) {
    if (e.type !== "SWAP") continue;
    let s = senders.get(e.sender);
    if (s === undefined) senders.set(e.sender, (s = senders.size));
    const who = s % n;
    if (e.amount0 > 0n) {
      funding[who]!.USDC += e.amount0;
      swaps.push({ who, tokenIn: "USDC", amountIn: e.amount0 });
    } else if (e.amount1 > 0n) {
      funding[who]!.WETH += e.amount1;
      swaps.push({ who, tokenIn: "WETH", amountIn: e.amount1 });
    }
  }
  funding[0]!.USDC += seedUsdc;
  funding[0]!.WETH += seedWeth;
  const deposits: SessionDeposit[] = [];
  funding.forEach((f, party) => {
    if (f.USDC > 0n) deposits.push({ party, token: "USDC", amount: f.USDC });
    if (f.WETH > 0n) deposits.push({ party, token: "WETH", amount: f.WETH });
    deposits.push({ party, token: "ETH", amount: 10n ** 18n });
  });

  const chain = await connectChain(opts.rpcUrl === undefined ? {} : { rpcUrl: opts.rpcUrl });
  try {
    const s = await openSettlement({
      chain,
      operator,
      parties,
      tokens: [
        { symbol: "ETH", decimals: 18, native: true },
        { symbol: "USDC", decimals: 6 },
        { symbol: "WETH", decimals: 18 },
      ],
      deposits,
      disputeWindowSeconds: 3600,
    });
    // no deposit in the genesis: checkpoints credit every record (creditDeposit), below
    const genesis: Op[] = [...s.genesis, { type: "createPool", pool: "USDC/WETH", token0: "USDC", token1: "WETH", feePpm: 500 }];
    // each replica's own view of the chain's deposit records
    const watchers = parties.map((p) => new SettlementWatcher({ client: s.adjudicator, channelId: s.channelId, sender: p.account, latestCertificate: () => undefined }));
    const sources = watchers.map((w) => new ChainDepositSource(w, { confirmations: 1 }));

    const net = new SimNetwork(1, { minDelayMs: 1, meanExtraDelayMs: 3 });
    const participants: Participant[] = parties.map((p) => ({ address: p.signer.address, roles: ["Trader", "MarketMaker"] }));
    const nowMs = (): number => EPOCH_MS + Math.floor(net.now());
    const config = { channelId: s.channelId, chainId: chain.chainId, verifyingContract: s.adjudicator.address.toLowerCase() as Hex, participants, genesis };
    const reps = parties.map((p) => new Replica(config, p.signer, { now: nowMs }));
    const certsOf: CheckpointCertificate[][] = parties.map(() => []);
    const cps: Checkpointer[] = reps.map((r, i) => {
      const cp = new Checkpointer(r, {
        signer: parties[i]!.signer,
        now: nowMs,
        // consensus messages travel in the network's virtual time (1–3 ms), in-process
        send: (w, to) => {
          for (let j = 0; j < reps.length; j++) {
            if (j === i || (to !== undefined && to !== String(j))) continue;
            net.setTimer(1 + ((i + 2 * j) % 3), () => {
              try {
                cps[j]!.receive(w, String(i));
              } catch (error) {
                if (!(error instanceof ConsensusError)) throw error;
              }
            });
          }
        },
        schedule: (ms, fn) => net.setTimer(ms, fn),
        deposits: sources[i]!,
      });
      cp.onCheckpoint((c) => certsOf[i]!.push(c));
      return cp;
    });
    const chans = parties.map((p, i) => {
      const transport = net.node(p.signer.address);
      return new MultiPartyChannel({
        replica: reps[i],
        participants,
        signer: p.signer,
        channelId: s.channelId,
        chainId: chain.chainId,
        verifyingContract: s.adjudicator.address.toLowerCase() as Hex,
        genesis,
        transport,
        clock: transport.clock(),
        now: () => EPOCH_MS + Math.floor(net.now()),
        rules: { syncIntervalMs: 50 },
      });
    });
    chans.forEach((c, i) => c.on("batch", () => cps[i]!.poll()));
    const creditedAtHeight: number[] = [];
    cps[0]!.onDecide((v) => {
      for (const d of v.deposits) creditedAtHeight[Number(d.recordId)] = v.height;
    });
    /** Every replica's watcher reads the chain, then its checkpointer is told; runs until every record so far is credited everywhere. */
    const creditDeposits = async (): Promise<void> => {
      for (const w of watchers) await w.poll();
      for (const c of cps) c.depositsChanged();
      const records = BigInt(s.records.length);
      if (!net.runUntilTrue(() => cps.every((c) => c.getFinalState().depositsCredited === records), net.now() + 120_000)) {
        throw new Error("settlement demo: the deposit records were not credited within 120 s of virtual time");
      }
    };
    net.runUntil(1);
    await creditDeposits();
    const first0 = chans[0]!;
    const converge = (): Engine => {
      for (const c of chans) c.flush();
      const heads = (c: MultiPartyChannel): string => c.replica.heads().join(",");
      if (!net.runUntilTrue(() => chans.every((c) => heads(c) === heads(first0)), net.now() + 120_000)) throw new Error("settlement demo: the replicas did not converge");
      const root = first0.stateRoot();
      if (!chans.every((c) => c.stateRoot() === root)) throw new Error("settlement demo: the replicas hold different state roots");
      return first0.getCurrentState();
    };
    const certs: { cert: Certificate; engine: Engine }[] = [];
    /** Waits until every batch so far is final everywhere and every replica holds that height's certificate. */
    const checkpoint = (): { cert: Certificate; engine: Engine } => {
      const ids = first0.replica.batchIdsInOrder();
      const heightOf = (): number => Math.max(0, ...ids.map((id) => { const f = cps[0]!.finality(id); return f.status === "final" ? f.height : Number.MAX_SAFE_INTEGER; }));
      const done = (): boolean => {
        if (!cps.every((c) => ids.every((id) => c.finality(id).status === "final"))) return false;
        const h = heightOf();
        return certsOf.every((cs) => cs.some((x) => x.checkpoint.height === h));
      };
      if (!net.runUntilTrue(done, net.now() + 120_000)) throw new Error("settlement demo: no certified checkpoint within 120 s of virtual time");
      const h = heightOf();
      const decided = certsOf[0]!.find((x) => x.checkpoint.height === h)!;
      for (const cs of certsOf) if (JSON.stringify(cs.find((x) => x.checkpoint.height === h)!.checkpoint) !== JSON.stringify(decided.checkpoint)) throw new Error(`settlement demo: replicas certified different checkpoints at height ${h}`);
      const engine = cps[0]!.getFinalState();
      if (engine.exitRoot() !== decided.checkpoint.exitRoot) throw new Error("settlement demo: the final state moved past the certified checkpoint");
      const out = { cert: fromCheckpointCertificate(decided), engine };
      certs.push(out);
      return out;
    };

    // participant 0 seeds the pool from its credited deposit (the real pool's reserves at the first event)
    if (first0.addLiquidity({ pool: "USDC/WETH", amount0Desired: seedUsdc, amount1Desired: seedWeth }).status !== "accepted") {
      throw new Error("settlement demo: seeding the pool from the credited deposits failed");
    }
    converge(); // every replica has the seeded pool before the first swap
    let accepted = 0;
    let sinceCheckpoint = 0;
    let withdrew = false;
    let midRun: SettlementSummary["deposits"]["midRun"] | undefined;
    for (let i = 0; i < swaps.length; i++) {
      if (midRun === undefined && i >= swaps.length / 4) {
        // a deposit while trading goes on: the record is credited by a later checkpoint
        const who = n - 1;
        const record = await depositMidChannel(s, who, "USDC", MID_RUN_USDC);
        await creditDeposits();
        const recordId = Number(record.recordId);
        midRun = { participant: who, token: "USDC", amount: record.amount.toString(), recordId, creditedAtHeight: creditedAtHeight[recordId]!, swapsBefore: i };
      }
      const sw = swaps[i]!;
      const r = chans[sw.who]!.swap({ pool: "USDC/WETH", tokenIn: sw.tokenIn, amountIn: sw.amountIn });
      if (r.status === "accepted") accepted++;
      if (i % 97 === 0) chans[i % n]!.transfer({ to: parties[(i + 1) % n]!.signer.address, token: "ETH", amount: 10n ** 15n });
      if (++sinceCheckpoint >= OPS_PER_CHECKPOINT * n) {
        sinceCheckpoint = 0;
        converge();
        checkpoint();
      }
      if (!withdrew && i >= swaps.length / 2) {
        withdrew = true;
        const who = chans[1]!;
        const state = converge();
        const account = state.state.accounts.get(who.address);
        for (const token of ["USDC", "WETH"]) {
          const free = account?.free.get(token) ?? 0n;
          if (free >= 4n) who.withdraw({ token, amount: free / 4n });
        }
        converge();
        const { cert, engine } = checkpoint();
        await withdrawAll(s, engine, cert, 1);
      }
    }
    converge();
    const { cert: finalCert, engine: finalEngine } = checkpoint();
    const mode = opts.mode;
    if (mode === "cooperative") await closeAndClaim(s, finalEngine, finalCert, { kind: "cooperative" });
    else {
      const stale = certs[certs.length - 2]!.cert;
      await closeAndClaim(s, finalEngine, finalCert, { kind: "dispute", staleCert: stale, proposer: n - 1, challenger: 2 % n });
    }
    const rows = await reconcile(s, finalEngine);
    for (const c of chans) c.close();
    if (midRun === undefined) throw new Error("settlement demo: no mid-run deposit was made");
    if (finalEngine.depositsCredited !== BigInt(s.records.length)) throw new Error("settlement demo: not every deposit record was credited");
    const names = new Map<Address, string>(parties.map((p, i) => [p.account.address, `participant ${i}`]));
    return {
      summary: {
        mode,
        endpoint: chain.endpoint,
        onChainMatchesFinalState: rows.every((r) => r.equal) && finalEngine.checkConservation().ok,
        checkpoints: certs.length,
        finalHeight: finalCert.checkpoint.height,
        swaps: swaps.length,
        swapsAccepted: accepted,
        gasUsed: {
          deposit: perCall(s.gas.deposit, s.calls.deposit),
          propose: perCall(s.gas.propose, s.calls.propose),
          challenge: perCall(s.gas.challenge, s.calls.challenge),
          finalize: perCall(s.gas.finalize, s.calls.finalize),
          claim: perCall(s.gas.claim, s.calls.claim),
          cooperativeClose: perCall(s.gas.cooperativeClose, s.calls.cooperativeClose),
          withdraw: perCall(s.gas.withdraw, s.calls.withdraw),
        },
        gasCalls: { ...s.calls },
        deposits: { records: s.records.length, creditedAtHeight, midRun },
      },
      rows,
      names,
    };
  } finally {
    await chain.close();
  }
}

/** Mean gas of `calls` calls, rounded to the nearest unit; 0 when there were none. */
function perCall(total: bigint, calls: number): number {
  return calls === 0 ? 0 : Math.round(Number(total) / calls);
}

/**
 * The reconciliation table per participant and token: what it received on chain since its deposits
 * (mid-channel withdrawals + claims at close; ETH net of its own fees) next to its withdrawals and its
 * final channel balance; equal when received = withdrawn + final.
 */
export function printSettlement(run: SettlementRun): void {
  const { summary } = run;
  console.log("");
  console.log(`Settlement on ${summary.endpoint === "embedded" ? "the embedded EVM" : summary.endpoint} — ${summary.mode} close on the certificate of Tendermint height ${summary.finalHeight}, ${summary.swapsAccepted}/${summary.swaps} swaps accepted`);
  console.log(`${"participant".padEnd(15)} ${"token".padEnd(6)} ${"received on chain".padStart(27)} ${"withdrawn mid-channel".padStart(23)} ${"final channel balance".padStart(27)}  equal`);
  for (const r of run.rows) {
    const cells = [r.onChainReceived, r.withdrawn, r.channelFinal - r.withdrawn].map((v, i) => v.toString().padStart(i === 1 ? 23 : 27));
    console.log(`${(run.names.get(r.party) ?? r.party).padEnd(15)} ${r.token.padEnd(6)} ${cells.join(" ")}  ${r.equal ? "yes" : "NO"}`);
  }
  const d = summary.deposits;
  console.log(
    `deposits: ${d.records} on-chain records, none in the genesis, each credited by a checkpoint (creditDeposit); ` +
      `record ${d.midRun.recordId} (participant ${d.midRun.participant}: ${d.midRun.amount} ${d.midRun.token} base units), deposited after ${d.midRun.swapsBefore} swaps, was credited at height ${d.midRun.creditedAtHeight}`,
  );
  const g = summary.gasUsed;
  const c = summary.gasCalls;
  console.log(
    `gas per call (calls): deposit ${g.deposit} (${c.deposit}), withdraw ${g.withdraw} (${c.withdraw}), propose ${g.propose} (${c.propose}), ` +
      `challenge ${g.challenge} (${c.challenge}), finalize ${g.finalize} (${c.finalize}), cooperativeClose ${g.cooperativeClose} (${c.cooperativeClose}), claim ${g.claim} (${c.claim})`,
  );
  console.log(`on-chain balances match the final channel state: ${summary.onChainMatchesFinalState ? "yes" : "NO"}`);
}
