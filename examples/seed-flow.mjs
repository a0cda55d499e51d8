// The seed's flow, end to end, with the package's public API only (README "As a library"):
// a 4-party channel funded on the embedded EVM (deposits credited by Tendermint checkpoints), a
// transfer, a swap and orders, sync, the certificate of the final state, a cooperative close, and
// every party's on-chain balances checked against the final channel state to the base unit.
//
//   node examples/seed-flow.mjs          (from a clone after `npm ci`, or from an install of the package)
//
// Prints one JSON object; exits 1 if any on-chain balance differs from the final channel state.
import { createHash } from "node:crypto";
import {
  ChainDepositSource,
  closeAndClaim,
  connectChain,
  createLocalChannel,
  createParty,
  fromCheckpointCertificate,
  openSettlement,
  reconcile,
  SettlementWatcher,
} from "semilattice";

const USDC = (whole) => whole * 10n ** 6n; // 6 decimals
const WETH = (milli) => milli * 10n ** 15n; // 18 decimals, in thousandths
/** Example keys, derived from a label: never for real funds. */
const key = (label) => `0x${createHash("sha256").update(`semilattice/example/${label}`).digest("hex")}`;

const names = ["alice", "bob", "carol", "dave"];
const parties = names.map((name) => createParty(key(name)));
const operator = createParty(key("operator")).account;

// 1. The chain: the embedded in-process EVM (connectChain({ rpcUrl }) for any JSON-RPC endpoint).
const chain = await connectChain();
try {
  // 2. Deploy the adjudicator and two test ERC-20s, open the channel (quorum 3 of 4), post bonds and
  //    deposit into numbered records on chain.
  const s = await openSettlement({
    chain,
    operator,
    parties,
    tokens: [
      { symbol: "USDC", decimals: 6 },
      { symbol: "WETH", decimals: 18 },
    ],
    deposits: [
      { party: 0, token: "USDC", amount: USDC(200_000n) },
      { party: 0, token: "WETH", amount: WETH(100_000n) },
      { party: 1, token: "USDC", amount: USDC(10_000n) },
      { party: 2, token: "USDC", amount: USDC(5_000n) },
      { party: 3, token: "WETH", amount: WETH(2_000n) },
    ],
    disputeWindowSeconds: 3600,
  });

  // 3. The channel: genesis = the tokens (with their on-chain addresses), a pool and a market. No
  //    deposit is in it: each party's own watcher of the chain confirms the records, and checkpoints
  //    credit them.
  const genesis = [
    ...s.genesis,
    { type: "createPool", pool: "WETH/USDC", token0: "WETH", token1: "USDC", feePpm: 3000 },
    { type: "createMarket", market: "WETH-USDC", base: "WETH", quote: "USDC", lotSize: WETH(1n), tickSize: 10_000n, makerFeePpm: 0, takerFeePpm: 500 },
  ];
  const watchers = parties.map((p) => new SettlementWatcher({ client: s.adjudicator, channelId: s.channelId, sender: p.account, latestCertificate: () => undefined }));
  const local = createLocalChannel({
    signers: parties.map((p) => p.signer),
    channelId: s.channelId,
    chainId: chain.chainId,
    verifyingContract: s.adjudicator.address.toLowerCase(),
    genesis,
    deposits: watchers.map((w) => new ChainDepositSource(w)),
  });
  for (const w of watchers) await w.poll();
  local.creditDeposits(s.records.length);

  // 4. Trade. Every op returns its local (tentative) result at once.
  const [alice, bob, carol, dave] = local.channels;
  const results = {
    addLiquidity: alice.addLiquidity({ pool: "WETH/USDC", amount0Desired: WETH(50_000n), amount1Desired: USDC(150_000n) }).status,
  };
  local.sync(); // everybody sees the pool's liquidity before swapping against it
  results.transfer = bob.transfer({ to: carol.address, token: "USDC", amount: USDC(1_250n) }).status;
  results.swap = carol.swap({ pool: "WETH/USDC", tokenIn: "USDC", amountIn: USDC(3_000n), minAmountOut: 0n }).status;
  // dave offers 1.5 WETH at 3,010 USDC (price in ticks of 0.01 USDC per lot of 0.001 WETH: 3.01 USDC = 301 ticks)
  results.sellOrder = dave.placeOrder({ market: "WETH-USDC", side: "sell", priceTicks: 301, lots: 1_500 }).status;
  local.sync();
  results.buyOrder = bob.placeOrder({ market: "WETH-USDC", side: "buy", priceTicks: 301, lots: 1_000 }).status;

  // 5. Sync, then the certificate of the final state: ⌊2N/3⌋+1 EIP-712 signatures over its roots.
  local.sync(); // throws unless every replica holds the same batches and state root
  const { height, certificate, finalState } = local.finalize();
  const cert = fromCheckpointCertificate(certificate);

  // 6. Settle cooperatively (all four sign Close over the final checkpoint), claim every exit leaf,
  //    and compare what each party received on chain with its final channel balance.
  await closeAndClaim(s, finalState, cert, { kind: "cooperative" });
  const rows = await reconcile(s, finalState);
  const onChainMatchesFinalState = rows.every((r) => r.equal);
  local.close();

  console.log(
    JSON.stringify(
      {
        results,

        certificate: { height, stateRoot: certificate.checkpoint.stateRoot, exitRoot: certificate.checkpoint.exitRoot, signatures: cert.signatures.length },
        stateRootCertified: certificate.checkpoint.stateRoot === finalState.stateRoot(),
        onChainStatus: (await s.adjudicator.channel(s.channelId)).status,
        balances: rows.map((r) => ({ party: names[parties.findIndex((p) => p.account.address === r.party)], token: r.token, onChain: r.onChainReceived.toString(), channelFinal: r.channelFinal.toString(), equal: r.equal })),
        onChainMatchesFinalState,
      },
      null,
      2,
    ),
  );
  if (!onChainMatchesFinalState) process.exitCode = 1;
} finally {
  await chain.close();
}
