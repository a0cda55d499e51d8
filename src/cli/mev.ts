/**
 * `semilattice mev`: how much a sandwiching participant takes from the real Uniswap day, with
 * sealing off and with sealing required (issue 17; the model: src/replay/uniswapMev.ts; the scheme:
 * docs/sealing.md).
 *
 * Three runs of the same day on fresh engines, the same victim intents in each:
 * 1. honest order, no attacker (the intents' quotes, and the reference state root);
 * 2. **unsealed**: the attacker (participant 3 of 4) sees every victim op before its order is final;
 * 3. **sealed**: every victim batch is really sealed (src/channel/sealing: AES-256-GCM, Shamir t = 3
 *    of 4, ECIES shares), the honest recipients check their shares, the attacker's strategy is given
 *    only the sealed view (author, ciphertext length, block); after the order is fixed the three
 *    honest participants reveal (the attacker withholds its share), one replica verifies the reveals,
 *    opens and decodes the payload, and the decoded op is applied at its position.
 * The CPU cost of sealing is measured in the same run: per batch in run 3 against the unsealed path
 * (encode + SHA-256), and on 300-op batches of the day's swaps (cost.ts).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { resolve } from "node:path";
import type { SwapOp } from "../core/ops.js";
import { decodePayload, encodePayload } from "../channel/codec.js";
import { addressOfPublicKey } from "../channel/identity.js";
import { measureSealingCost, type SealingCost } from "../channel/sealing/cost.js";
import { checkOwnShare, open, revealShare, seal, verifyRevealedShare, type SealRecipient } from "../channel/sealing/index.js";
import { defaultDataDir } from "../replay/paths.js";
import { loadUniswapEvents, type UniswapEvent } from "../replay/uniswapData.js";
import {
  DEFAULT_SLIPPAGE_BPS,
  MEV_ATTACKER_INDEX,
  MEV_PARTICIPANTS,
  replayWithAttacker,
  victimIntents,
  type AttackerView,
  type MevRunReport,
  type SandwichRecord,
} from "../replay/uniswapMev.js";

export interface MevOptions {
  dataDir?: string;
  /** Start at the day's swap number `from` (0-based; the pool is seeded from that event's recorded state, as the replay seeds from its first event); default 0. */
  from?: number;
  /** Only `swaps` swaps from there (and the liquidity events among them); default: all. */
  swaps?: number;
  slippageBps?: number;
  /** Include every sandwich in the report. */
  records?: boolean;
  /** Skip the 300-op batch measurement (tests). */
  batchCost?: boolean;
}

export type MevModeSummary = Omit<MevRunReport, "records"> & { records?: SandwichRecordJson[] };
type SandwichRecordJson = { [K in keyof SandwichRecord]: SandwichRecord[K] extends bigint ? string : SandwichRecord[K] };

export interface MevReport {
  dataset: string;
  /** First swap (0-based index in the day). */
  from: number;
  swaps: number;
  participants: number;
  attacker: number;
  slippageBps: number;
  unsealed: MevModeSummary;
  sealed: MevModeSummary;
  /** The sealed run ends in the honest run's state root (the attacker changed nothing). */
  sealedStateRootEqualsHonest: boolean;
  sealing: {
    /** Batches sealed, checked, revealed (3 of 4: the attacker withholds) and opened in the sealed run. */
    batches: number;
    opened: number;
    /** µs per batch in the sealed run: encode + seal + 3 share checks + 3 reveals + 3 verifications + open + decode. */
    sealedMicrosPerBatch: number;
    /** µs per batch of the unsealed path on the same batches: encode + SHA-256. */
    unsealedMicrosPerBatch: number;
    ratio: number;
    /** cost.ts on 300-op batches of the day's swaps (absent for slices under 300 swaps). */
    batch300?: SealingCost;
  };
  model: string;
}

/** Runs the three replays (module doc). Throws on a broken invariant (an op that did not open, a plan the engine disagrees with). */
export async function runMev(options: MevOptions = {}): Promise<MevReport> {
  const dataDir = options.dataDir === undefined ? defaultDataDir() : resolve(options.dataDir);
  const slippageBps = options.slippageBps ?? DEFAULT_SLIPPAGE_BPS;
  const events = sliceSwaps(loadUniswapEvents(dataDir), options.from ?? 0, options.swaps);
  const blockOfSwap = events.filter((e) => e.type === "SWAP").map((e) => e.block);
  const honest = victimIntents(events, slippageBps);
  const { intents } = honest;

  const unsealed = replayWithAttacker({ events, intents, view: (i) => ({ kind: "plain", author: intents[i]!.author, op: intents[i]!.op }), opAt: (i) => intents[i]!.op });

  // sealed: every victim batch through the real scheme
  const keys = Array.from({ length: MEV_PARTICIPANTS }, (_, i) => sha256(utf8ToBytes(`semilattice/mev/participant/${i}`)));
  const recipients: SealRecipient[] = keys.map((k) => {
    const publicKey = secp256k1.getPublicKey(k, false);
    return { address: addressOfPublicKey(publicKey), publicKey };
  });
  const honestIndices = [...Array(MEV_PARTICIPANTS).keys()].filter((i) => i !== MEV_ATTACKER_INDEX);
  const views: AttackerView[] = [];
  const opened: SwapOp[] = [];
  let sealedMs = 0;
  let unsealedMs = 0;
  for (const intent of intents) {
    let at = performance.now();
    const plainDigest = sha256(encodePayload([intent.op]));
    unsealedMs += performance.now() - at;
    if (plainDigest.length !== 32) throw new Error("sha256 broke");

    at = performance.now();
    const payload = encodePayload([intent.op]);
    const associatedData = utf8ToBytes(`semilattice/mev|author=${intent.author}|swap=${intent.swapIndex}`);
    const sealed = await seal({ payload, recipients, associatedData });
    for (const i of honestIndices) checkOwnShare({ commitment: sealed.commitment, sealedShare: sealed.shares[i]!, secretKey: keys[i]! });
    sealedMs += performance.now() - at;
    // before the order is final the attacker holds only this
    views.push({ kind: "sealed", author: intent.author, ciphertextBytes: sealed.ciphertext.length, block: blockOfSwap[intent.swapIndex] ?? 0 });
    // the order is fixed: the honest reveal, the attacker withholds
    at = performance.now();
    const reveals = honestIndices.map((i) => revealShare({ commitment: sealed.commitment, sealedShare: sealed.shares[i]!, secretKey: keys[i]! }));
    const verified = reveals.map((reveal) => verifyRevealedShare({ commitment: sealed.commitment, sealedShare: sealed.shares[reveal.index]!, recipientPublicKey: recipients[reveal.index]!.publicKey, reveal }));
    const result = await open({ sealed, shares: verified });
    if (result.status !== "opened") throw new Error(`mev: sealed swap ${intent.swapIndex} did not open: ${result.reason}`);
    const ops = decodePayload(result.payload);
    sealedMs += performance.now() - at;
    if (ops.length !== 1 || ops[0]!.type !== "swap") throw new Error(`mev: sealed swap ${intent.swapIndex} opened to something else`);
    opened.push(ops[0] as SwapOp);
  }
  const sealedRun = replayWithAttacker({ events, intents, view: (i) => views[i]!, opAt: (i) => opened[i]! });

  const batches = intents.length;
  const perBatch = (ms: number): number => (batches === 0 ? 0 : Math.round((ms * 1000 * 100) / batches) / 100);
  let batch300: SealingCost | undefined;
  if (options.batchCost !== false && intents.length >= 300) {
    const chunks: SwapOp[][] = [];
    for (let i = 0; i + 300 <= intents.length && chunks.length < 8; i += 300) chunks.push(intents.slice(i, i + 300).map((v) => v.op));
    batch300 = await measureSealingCost({ batches: chunks, participants: MEV_PARTICIPANTS, rounds: 3 });
  }
  const sealedMicrosPerBatch = perBatch(sealedMs);
  const unsealedMicrosPerBatch = perBatch(unsealedMs);
  return {
    dataset: "uniswap-v3-usdc-weth-2024-01-05",
    from: options.from ?? 0,
    swaps: intents.length,
    participants: MEV_PARTICIPANTS,
    attacker: MEV_ATTACKER_INDEX,
    slippageBps,
    unsealed: summary(unsealed, options.records === true, options.from ?? 0),
    sealed: summary(sealedRun, options.records === true, options.from ?? 0),
    sealedStateRootEqualsHonest: sealedRun.engine.stateRoot() === honest.stateRoot,
    sealing: {
      batches,
      opened: opened.length,
      sealedMicrosPerBatch,
      unsealedMicrosPerBatch,
      ratio: unsealedMicrosPerBatch === 0 ? 0 : Math.round((sealedMicrosPerBatch / unsealedMicrosPerBatch) * 100) / 100,
      ...(batch300 === undefined ? {} : { batch300 }),
    },
    model: MODEL_NOTE,
  };
}

/** What the numbers model, printed with them (also in `--help` and docs/sealing.md). */
export const MODEL_NOTE =
  "Ordering model, not a network race: 4 participants, participant 3 Byzantine; every recorded swap is a victim batch of an honest " +
  "participant with a slippage bound from its honest-order quote; the attacker is assumed able to place a front-run right before " +
  "and a back-run right after any victim batch (proposer or ground batch id); unsealed it sees each victim op before the order is " +
  "final, sealed only author, ciphertext length and block; sandwiches as mev-inspect defines them, the most profitable front-run " +
  "that keeps the victim within its bound, only if profit > 0; every swap on the real engine; WETH valued in USDC at the pool's " +
  "reserves after the back-run.";

/**
 * The events from the `from`-th swap (0-based) through `swaps` swaps (to the end when undefined).
 * @throws RangeError on a bad `from`/`swaps` or a `from` past the day's last swap
 */
export function sliceSwaps(events: UniswapEvent[], from: number, swaps: number | undefined): UniswapEvent[] {
  if (!Number.isInteger(from) || from < 0) throw new RangeError(`--from must be a non-negative integer, got ${from}`);
  if (swaps !== undefined && (!Number.isInteger(swaps) || swaps < 1)) throw new RangeError(`--swaps must be a positive integer, got ${swaps}`);
  let seen = 0;
  let start = -1;
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.type !== "SWAP") continue;
    if (seen === from) start = i;
    seen++;
    if (swaps !== undefined && start >= 0 && seen === from + swaps) return events.slice(start, i + 1);
  }
  if (start < 0) throw new RangeError(`--from ${from}: the day has only ${seen} swaps`);
  return events.slice(start);
}

/** The run without its engine; records (if asked) as JSON with `swapIndex` counted in the whole day. */
function summary(r: MevRunReport, withRecords: boolean, from: number): MevModeSummary {
  const { records, ...rest } = r as MevRunReport & { engine?: unknown };
  delete (rest as { engine?: unknown }).engine;
  if (!withRecords) return rest;
  return {
    ...rest,
    records: records.map((x) => Object.fromEntries(Object.entries({ ...x, swapIndex: from + x.swapIndex }).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v])) as SandwichRecordJson),
  };
}

/** The command: prints the report (JSON or a short table). Returns the exit code. */
export async function mevCommand(options: MevOptions & { json: boolean }): Promise<number> {
  const report = await runMev(options);
  if (options.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  const usdc = (s: string): string => (Number(BigInt(s)) / 1e6).toLocaleString("en-US", { maximumFractionDigits: 2 });
  console.log(`MEV: ${report.swaps} swaps of the Uniswap V3 USDC/WETH day from swap ${report.from}, ${report.participants} participants, participant ${report.attacker} sandwiching (victim slippage ${report.slippageBps} bps)`);
  for (const [name, m] of [["unsealed", report.unsealed], ["sealed", report.sealed]] as const) {
    console.log(`  ${name.padEnd(9)} visible ${String(m.visibleSwaps).padStart(5)}  sandwiches ${String(m.sandwiches).padStart(5)}  victims ${String(m.victims).padStart(5)}  attacker profit ${usdc(m.attackerProfit).padStart(12)} USDC  victim loss ${usdc(m.victimLoss).padStart(12)} USDC`);
  }
  const s = report.sealing;
  console.log(`  sealed run ends in the honest state root: ${report.sealedStateRootEqualsHonest ? "yes" : "NO"}`);
  console.log(`  sealing CPU: ${s.sealedMicrosPerBatch} µs per 1-swap batch vs ${s.unsealedMicrosPerBatch} µs unsealed (${s.ratio}×)`);
  if (s.batch300 !== undefined) console.log(`  300-op batches: ${s.batch300.sealedMicrosPerBatch} µs vs ${s.batch300.unsealedMicrosPerBatch} µs (${s.batch300.ratio}×), ${s.batch300.sealedMicrosPerOp} vs ${s.batch300.unsealedMicrosPerOp} µs per op`);
  console.log(`  model: ${report.model}`);
  return report.sealedStateRootEqualsHonest ? 0 : 1;
}
