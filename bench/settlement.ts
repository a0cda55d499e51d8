/**
 * Gas per adjudicator call (contracts/Adjudicator.sol), measured from receipts on the embedded EVM
 * (or `--rpc-url URL`), next to Nitro's published adjudicator figures (statechannels go-nitro /
 * nitro-protocol gas benchmarks: deposit 46,496; cooperative exit 111,514; dispute exit 195,172, for a
 * two-party ETH channel).
 *
 * Two scenarios, both with real signatures and Engine exit roots:
 * - Nitro's shape: 2 participants, ETH only. "cooperative exit" = cooperativeClose + one claim per
 *   participant; "dispute exit" = proposeSettlement + finalizeSettlement + one claim per participant
 *   (no challenge, as Nitro's figure has none).
 * - Every call in a 4-participant channel (quorum 3) with ETH and an ERC-20.
 *
 * `node dist/bench/settlement.js [--json] [--rpc-url URL]`
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createSigner } from "../src/channel/identity.js";
import { Engine } from "../src/core/engine.js";
import { exitLeaves, exitProof, exitRoot } from "../src/core/exit.js";
import { certify, signClose, type CheckpointMessage } from "../src/settlement/certificate.js";
import { connectChain, type SettlementChain } from "../src/settlement/chain.js";
import { AdjudicatorClient, ETH_ADDRESS, Erc20Client, type LeafWithProof } from "../src/settlement/client.js";

export interface GasRow {
  call: string;
  gasUsed: bigint;
  /** Nitro's published figure for the comparable operation, if there is one. */
  nitro?: bigint;
  /** gasUsed / nitro. */
  ratio?: number;
  note?: string;
}

export const NITRO_GAS = { deposit: 46_496n, cooperativeExit: 111_514n, disputeExit: 195_172n } as const;

function key(name: string): Hex {
  return `0x${Buffer.from(keccak_256(new TextEncoder().encode(`semilattice gas bench ${name}`))).toString("hex")}`;
}

function actor(name: string): { signer: ReturnType<typeof createSigner>; account: ReturnType<typeof privateKeyToAccount>; address: Hex } {
  const signer = createSigner(key(name));
  return { signer, account: privateKeyToAccount(key(name)), address: signer.address };
}

function exits(engine: Engine): LeafWithProof[] {
  const leaves = exitLeaves(engine.state);
  return leaves.map((leaf, i) => ({ leaf, proof: exitProof(leaves, i) as Hex[] }));
}

function cp(engine: Engine, channelId: Hex, height: number): CheckpointMessage {
  return { channelId, height, stateRoot: engine.stateRoot() as Hex, exitRoot: exitRoot(exitLeaves(engine.state)) as Hex, time: 1_767_225_600_000 + height * 1000 };
}

function row(call: string, gasUsed: bigint, nitro?: bigint, note?: string): GasRow {
  return { call, gasUsed, ...(nitro === undefined ? {} : { nitro, ratio: Number(gasUsed) / Number(nitro) }), ...(note === undefined ? {} : { note }) };
}

/** Runs both scenarios and returns one row per measured call or path. */
export async function settlementGas(opts: { rpcUrl?: string } = {}): Promise<GasRow[]> {
  const chain = await connectChain(opts.rpcUrl === undefined ? {} : { rpcUrl: opts.rpcUrl });
  try {
    return [...(await twoParty(chain)), ...(await fourParty(chain))];
  } finally {
    await chain.close();
  }
}

async function twoParty(chain: SettlementChain): Promise<GasRow[]> {
  const relayer = actor("relayer");
  const ps = [actor("a"), actor("b")];
  for (const p of [relayer, ...ps]) await chain.fund(p.account.address, 10n ** 20n);
  const { client } = await AdjudicatorClient.deploy(chain, relayer.account);
  const rows: GasRow[] = [];
  for (const mode of ["cooperative", "closeAndPay", "dispute"] as const) {
    const { channelId } = await client.open(relayer.account, { participants: ps.map((p) => ({ address: p.address, roles: ["Trader"] })), quorum: 2, disputeWindowSeconds: 60, bondWei: 0n, tokens: [ETH_ADDRESS] });
    const engine = new Engine();
    engine.createToken({ symbol: "ETH", decimals: 18, address: ETH_ADDRESS });
    for (const p of ps) engine.createAccount({ account: p.address, address: p.address });
    const d0 = await client.deposit(ps[0]!.account, channelId, ETH_ADDRESS, 10n ** 18n, ps[0]!.address);
    await client.deposit(ps[1]!.account, channelId, ETH_ADDRESS, 10n ** 18n, ps[1]!.address);
    for (const p of ps) engine.deposit({ account: p.address, token: "ETH", amount: 10n ** 18n });
    engine.transfer({ from: ps[0]!.address, to: ps[1]!.address, token: "ETH", amount: 3n * 10n ** 17n });
    const c = cp(engine, channelId, 1);
    let path: bigint;
    if (mode === "closeAndPay") {
      const sigs = signClose(client.domainSeparator, c, ps.map((p) => p.signer));
      path = (await client.cooperativeCloseAndPay(relayer.account, channelId, c, sigs, exitLeaves(engine.state))).gasUsed;
      rows.push(row("cooperative exit (2-party ETH: cooperativeCloseAndPay)", path, NITRO_GAS.cooperativeExit, "close and both payouts in one tx"));
      continue;
    }
    if (mode === "cooperative") {
      // The adjudicator holds no ETH before it: the deposit also writes `totalHeld[ETH]` from 0 (22.1k, not 5k).
      if (rows.length === 0) rows.push(row("deposit ETH (2-party, first into the channel)", d0.gasUsed, NITRO_GAS.deposit, "the adjudicator held no ETH"));
      path = (await client.cooperativeClose(relayer.account, channelId, c, signClose(client.domainSeparator, c, ps.map((p) => p.signer)))).gasUsed;
    } else {
      path = (await client.proposeSettlement(ps[0]!.account, channelId, certify(client.domainSeparator, c, ps.map((p) => p.signer)))).gasUsed;
      await chain.increaseTimeSeconds(60);
      path += (await client.finalizeSettlement(ps[0]!.account, channelId)).gasUsed;
    }
    for (const e of exits(engine)) path += (await client.claim(relayer.account, channelId, e)).gasUsed;
    rows.push(
      mode === "cooperative"
        ? row("cooperative exit (2-party ETH: close + 2 claims)", path, NITRO_GAS.cooperativeExit)
        : row("dispute exit (2-party ETH: propose + finalize + 2 claims)", path, NITRO_GAS.disputeExit),
    );
  }
  return rows;
}

async function fourParty(chain: SettlementChain): Promise<GasRow[]> {
  const relayer = actor("relayer4");
  const ps = ["p0", "p1", "p2", "p3"].map(actor);
  for (const p of [relayer, ...ps]) await chain.fund(p.account.address, 10n ** 20n);
  const { client } = await AdjudicatorClient.deploy(chain, relayer.account);
  const usdc = await Erc20Client.deploy(chain, relayer.account, "USD Coin", "USDC", 6);
  const rows: GasRow[] = [];
  const open = async (): Promise<Hex> =>
    (await client.open(relayer.account, { participants: ps.map((p) => ({ address: p.address, roles: ["Trader"] })), quorum: 3, disputeWindowSeconds: 60, bondWei: 10n ** 16n, tokens: [ETH_ADDRESS, usdc.address] })).channelId;
  const channelId = await open();
  const engine = new Engine();
  engine.createToken({ symbol: "ETH", decimals: 18, address: ETH_ADDRESS });
  engine.createToken({ symbol: "USDC", decimals: 6, address: usdc.address });
  for (const p of ps) engine.createAccount({ account: p.address, address: p.address });
  let bondGas = 0n;
  for (const p of ps) {
    bondGas = (await client.postBond(p.account, channelId, 10n ** 16n)).gasUsed;
    await usdc.mint(relayer.account, p.address, 10n ** 12n);
    await usdc.approve(p.account, client.address, 10n ** 12n);
  }
  const eth = [];
  const erc = [];
  for (const p of ps) {
    eth.push((await client.deposit(p.account, channelId, ETH_ADDRESS, 10n ** 18n, p.address)).gasUsed);
    erc.push((await client.deposit(p.account, channelId, usdc.address, 10n ** 9n, p.address)).gasUsed);
    engine.deposit({ account: p.address, token: "ETH", amount: 10n ** 18n });
    engine.deposit({ account: p.address, token: "USDC", amount: 10n ** 9n });
  }
  rows.push(row("postBond", bondGas));
  rows.push(row("deposit ETH (4-party, later deposits)", eth[3]!, NITRO_GAS.deposit));
  rows.push(row("deposit ERC-20 (first into the channel)", erc[0]!, NITRO_GAS.deposit, "approve not counted; the adjudicator held no USDC"));
  rows.push(row("deposit ERC-20 (later deposits)", erc[3]!, NITRO_GAS.deposit, "approve not counted"));
  const signers3 = ps.slice(0, 3).map((p) => p.signer);
  engine.transfer({ from: ps[0]!.address, to: ps[1]!.address, token: "USDC", amount: 10n ** 8n });
  engine.withdraw({ account: ps[1]!.address, token: "USDC", amount: 5n * 10n ** 7n });
  engine.withdraw({ account: ps[2]!.address, token: "ETH", amount: 10n ** 17n });
  const c1 = cp(engine, channelId, 1);
  const cert1 = certify(client.domainSeparator, c1, signers3);
  const e1 = exits(engine);
  const leafOf = (i: number, token: string): LeafWithProof => e1.find((e) => e.leaf.accountAddress === ps[i]!.address && e.leaf.token === token)!;
  rows.push(row("withdraw (new certificate, 3 signatures, ERC-20)", (await client.withdraw(relayer.account, channelId, cert1, leafOf(1, "USDC"))).gasUsed));
  rows.push(row("withdraw (stored checkpoint, ETH)", (await client.withdraw(relayer.account, channelId, { checkpoint: c1, signatures: [] }, leafOf(2, "ETH"))).gasUsed));
  engine.transfer({ from: ps[3]!.address, to: ps[0]!.address, token: "ETH", amount: 10n ** 17n });
  const c2 = cp(engine, channelId, 2);
  const cert2 = certify(client.domainSeparator, c2, ps.slice(1).map((p) => p.signer));
  engine.transfer({ from: ps[2]!.address, to: ps[0]!.address, token: "USDC", amount: 10n ** 7n });
  const c3 = cp(engine, channelId, 3);
  const cert3 = certify(client.domainSeparator, c3, signers3);
  rows.push(row("proposeSettlement (3 signatures)", (await client.proposeSettlement(ps[0]!.account, channelId, cert2)).gasUsed));
  rows.push(row("challengeSettlement (3 signatures)", (await client.challengeSettlement(ps[1]!.account, channelId, cert3)).gasUsed));
  await chain.increaseTimeSeconds(60);
  rows.push(row("finalizeSettlement", (await client.finalizeSettlement(ps[0]!.account, channelId)).gasUsed));
  const e3 = exits(engine);
  let claims = 0n;
  const claimRows: GasRow[] = [];
  for (const e of e3) {
    const g = (await client.claim(relayer.account, channelId, e)).gasUsed;
    claims += g;
    if (claimRows.length === 0 && e.leaf.token === "ETH") claimRows.push(row(`claim ETH (${e3.length}-leaf tree)`, g));
    if (claimRows.length === 1 && e.leaf.token === "USDC") claimRows.push(row(`claim ERC-20 (${e3.length}-leaf tree)`, g));
  }
  rows.push(...claimRows);
  await chain.increaseTimeSeconds(60);
  rows.push(row("reclaimBond", (await client.reclaimBond(ps[0]!.account, channelId)).gasUsed));
  rows.push(row(`all ${e3.length} claims of the 4-party channel`, claims));
  // cooperative close of a fresh 4-party channel: 4 Close signatures
  const ch2 = await open();
  const c = cp(engine, ch2, 1);
  rows.push(row("cooperativeClose (4 signatures)", (await client.cooperativeClose(relayer.account, ch2, c, signClose(client.domainSeparator, c, ps.map((p) => p.signer)))).gasUsed));
  return rows;
}

export function printGasRows(rows: readonly GasRow[]): void {
  console.log(`${"call".padEnd(58)} ${"gas".padStart(9)}   ${"Nitro".padStart(9)}   ratio`);
  for (const r of rows) {
    const nitro = r.nitro === undefined ? "".padStart(9) : r.nitro.toLocaleString("en-US").padStart(9);
    const ratio = r.ratio === undefined ? "" : r.ratio.toFixed(2);
    console.log(`${r.call.padEnd(58)} ${r.gasUsed.toLocaleString("en-US").padStart(9)}   ${nitro}   ${ratio}${r.note === undefined ? "" : `   (${r.note})`}`);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--rpc-url");
  const rpcUrl = at >= 0 ? args[at + 1] : undefined;
  settlementGas(rpcUrl === undefined ? {} : { rpcUrl })
    .then((rows) => {
      if (args.includes("--json")) console.log(JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)));
      else printGasRows(rows);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
