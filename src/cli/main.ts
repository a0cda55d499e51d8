/**
 * The `semilattice` command line. `main(argv)` resolves to the process exit code:
 * 0 success, 1 a run that failed its checks, 2 bad usage or input (a missing market data file
 * included: {@link DataNotFoundError}).
 *
 * Each command loads what it needs only when it runs (`await import(…)` in its action), so `--help`
 * and `amm quote` start without the replays, the channel, viem or the embedded EVM.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { getAmountIn, getAmountOut } from "../core/amm/math.js";
import { MAX_AMOUNT } from "../core/math.js";
import { DataNotFoundError } from "../replay/paths.js";

/** Participants of a demo channel at most; equals `MAX_DEMO_PARTICIPANTS` (channelDemo.ts, checked by test/cli.test.ts). */
export const MAX_DEMO_PARTICIPANTS = 64;

const DATA_HELP = "folder of the real market data (default: $SEMILATTICE_DATA, else data/ in the package)";

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name("semilattice")
    .description(
      "Semilattice: deterministic DeFi engine (ledger, Uniswap V2-exact AMM with lock-swaps, order book, lending, perpetuals) " +
        "in a Byzantine-tolerant multi-party channel with Tendermint checkpoints and on-chain settlement.",
    )
    .showHelpAfterError()
    .exitOverride();

  program
    .command("demo")
    .description(
      "The main job (npm start): replay the Uniswap V3 USDC/WETH day, the LOBSTER AAPL sample, the Coinbase L2 " +
        "recording, the Aave V3 Polygon day and the GMX/CoinGecko price paths through one engine and check them; run " +
        "the flow through a channel of N replicas; settle it on the embedded EVM; print a summary.",
    )
    .option("--json", "print one JSON object instead of the table")
    .option("--data <dir>", DATA_HELP)
    .option("--out <dir>", "folder for the report files (price chart SVG)", "out")
    .option("--no-progress", "no progress bars")
    .option("--perps", "run only the perpetual-futures replay (GMX and CoinGecko ETH/USD paths) and print its per-segment table")
    .option("--lending", "only the Aave V3 Polygon lending replay: our indexes against the published ones")
    .option("--lock-swaps <percent>", "also replay the Uniswap day with this % of swaps as lock-swaps and compare (0..100)", parsePercent)
    .addOption(new Option("--participants <n>", `replicas of the channel run on the real order flow (0..${MAX_DEMO_PARTICIPANTS}; 0 = none)`).argParser(parseParticipants).default(4))
    .addOption(new Option("--network <kind>", "channel network: sim (one process, simulated network) or tcp (one OS process per participant, 127.0.0.1)").choices(["sim", "tcp"]).default("sim"))
    .option("--no-settle", "skip the on-chain settlement (deploy, deposits, mid-channel withdrawal, close, claims)")
    .option("--dispute", "settle through a stale proposal, the watcher's challenge, the dispute window and claims instead of a cooperative close")
    .option("--rpc-url <url>", "settle on this JSON-RPC endpoint (e.g. npx hardhat node) instead of the embedded in-process EVM")
    .action(async (opts: { json?: boolean; data?: string; out: string; progress: boolean; perps?: boolean; lockSwaps?: number; participants: number; network: "sim" | "tcp"; settle: boolean; dispute?: boolean; rpcUrl?: string }) => {
      const { runDemo } = await import("./demo.js");
      exitCode = await runDemo({ json: opts.json === true, dataDir: opts.data, outDir: opts.out, progress: opts.progress, perps: opts.perps, lending: (opts as { lending?: boolean }).lending === true, lockSwaps: opts.lockSwaps, participants: opts.participants, network: opts.network, settle: opts.settle, dispute: opts.dispute === true, rpcUrl: opts.rpcUrl });
    });

  program
    .command("sim")
    .description(
      "Deterministic simulations of whole channels on the seeded simulated network (faults, partitions, a crash/restart, " +
        "Byzantine participants) on real Coinbase order flow; per seed and in total: did the honest replicas converge to one " +
        "state root, did conservation hold, did checkpoint consensus keep agreement (no two honest replicas decide differently " +
        "at one height) and progress (decisions resume after healing). Exit 1 on any failure (the failing seed is printed " +
        "and replays exactly).",
    )
    .requiredOption("--seeds <A..B>", "seeds to run, inclusive (e.g. 1..200, or one seed)")
    .addOption(new Option("--participants <n>", "participants per channel (2..64)").argParser(parseParticipants).default(4))
    .addOption(new Option("--byzantine <k>", "Byzantine participants among them (0..participants-1)").argParser(parseParticipants).default(0))
    .addOption(new Option("--sync <mode>", "reconciliation: bloom (Kleppmann & Howard's Bloom variant) or plain heads/needs").choices(["bloom", "plain"]).default("bloom"))
    .option("--json", "one JSON line per seed and a total")
    .option("--log", "log every peer an honest replica cuts off (and why) to stderr")
    .option("--data <dir>", DATA_HELP)
    .action(async (opts: { seeds: string; participants: number; byzantine: number; sync: "bloom" | "plain"; json?: boolean; log?: boolean; data?: string }) => {
      const { simCommand } = await import("./sim.js");
      exitCode = simCommand({ seeds: opts.seeds, participants: opts.participants, byzantine: opts.byzantine, mode: opts.sync, json: opts.json === true, dataDir: opts.data, log: opts.log });
    });

  program
    .command("mev")
    .description(
      "Sandwich MEV on the real Uniswap V3 USDC/WETH day through a 4-participant channel whose participant 3 front- and " +
        "back-runs every victim swap it can see and profit from (mev-inspect's sandwich), once with sealing off and once with " +
        "sealing required (every victim batch really sealed, revealed 3 of 4 with the attacker withholding, opened after its " +
        "position is fixed); prints victims, sandwiches, attacker profit and victim loss (USDC base units) per mode and the CPU " +
        "cost of sealing measured in the same run. An ordering model, not a network race: the attacker is assumed able to place " +
        "its batches right before and after any victim batch; sealed, it sees only author, ciphertext length and timing " +
        "(docs/sealing.md).",
    )
    .option("--json", "print one JSON object {unsealed, sealed, sealing, …}")
    .option("--data <dir>", "folder of the real market data (default: ../shared/data beside the project)")
    .option("--from <i>", "start at the day's swap number i (0-based; the pool is seeded from the recorded state there)", parseNonNegativeInt)
    .option("--swaps <n>", "only n swaps from there (default: to the end of the day, 6,046 swaps in all)", parsePositiveInt)
    .option("--slippage-bps <bps>", `victims' slippage tolerance in bps (0..5000, default ${50})`, parseSlippageBps)
    .option("--records", "include every sandwich (legs, profit, loss) in the JSON")
    .action(async (opts: { json?: boolean; data?: string; from?: number; swaps?: number; slippageBps?: number; records?: boolean }) => {
      const { mevCommand } = await import("./mev.js");
      exitCode = await mevCommand({ json: opts.json === true, dataDir: opts.data, from: opts.from, swaps: opts.swaps, slippageBps: opts.slippageBps, records: opts.records === true });
    });

  program
    .command("participant", { hidden: true })
    .description("One participant of `demo --network tcp` (driven over stdin/stdout by the demo).")
    .requiredOption("--index <i>", "participant index", parseParticipants)
    .option("--verbose", "log sync events to stderr")
    .action(async (opts: { index: number; verbose?: boolean }) => {
      const { participantMain } = await import("./channelDemo.js");
      exitCode = await participantMain(opts.index, opts.verbose === true);
    });

  program
    .command("init")
    .description(
      "Write a node home: channel.json (the channel definition every participant shares: from --channel FILE or from the " +
        "channel flags), node.json (this node's settings) and this participant's key as an Ethereum V3 keystore (scrypt), " +
        "encrypted with the password from --password-file or $SEMILATTICE_PASSWORD. Refuses an existing home unless --force. " +
        "Every value is checked; a bad one exits 2 naming the flag. Format: docs/node-home.md.",
    )
    .requiredOption("--home <dir>", "the node home folder to write")
    .option("--force", "overwrite an existing home's channel.json, node.json and key file")
    .option("--json", "print one JSON object {home, address, files} instead of lines")
    .option("--channel <file>", "copy this shared channel definition (another participant's channel.json); the key's address must be a participant; excludes the channel flags")
    .option("--channel-id <bytes32>", "channel flag: channel id, 0x + 64 hex (default: random)")
    .option("--participant <address,endpoint[,roles]>", "channel flag: another participant, ADDRESS,ws://host:port[,Role+Role] (repeatable; roles default Trader+MarketMaker)", (v: string, prev: string[] = []) => [...prev, v])
    .option("--roles <roles>", "channel flag: this participant's roles, comma-separated: Trader, MarketMaker, Liquidator, Oracle, Observer (default Trader,MarketMaker)")
    .option("--endpoint <url>", "channel flag: where peers reach this node, ws://host:port or wss://host:port (default ws://<listen>)")
    .option("--genesis <file>", "channel flag: JSON array of genesis ops in the scenario format (docs/scenarios.md; amounts as decimal strings)")
    .option("--chain-id <n>", "channel flag: EIP-155 chain id of the settlement chain (default 31337)")
    .option("--rpc-url <url>", "channel flag: JSON-RPC endpoint of the settlement chain, http(s):// or ws(s):// (default http://127.0.0.1:8545)")
    .option("--adjudicator <address>", "channel flag: the adjudicator contract's address, 0x + 40 hex (required without --channel)")
    .option("--confirmation-depth <blocks>", "channel flag: blocks a deposit must be buried under before it is credited, 0..1000 (default 1)")
    .option("--dispute-window-seconds <s>", "channel flag: the channel's dispute window on chain, 1..31536000 s (default 3600)")
    .option("--max-ops-per-batch <n>", "channel rule: ops per signed batch before it is sent on its own (1..4096)")
    .option("--checkpoint-interval-ms <ms>", "channel rule: time between checkpoint heights, 1..3600000 ms")
    .option("--max-drift-ms <ms>", "channel rule: how far ahead of a replica's clock a proposed checkpoint time may be, 0..600000 ms")
    .option("--sync-interval-ms <ms>", "channel rule: periodic reconciliation with each peer, 0..3600000 ms")
    .option("--listen <host:port>", "address the peer listener binds to (default 127.0.0.1:7000)")
    .option("--data-dir <dir>", "the store's folder, relative to the home (default data)")
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (default info)")
    .option("--metrics <host:port>", "serve Prometheus metrics at http://host:port/metrics (default off)")
    .option("--tls-cert <file>", "PEM certificate for wss (with --tls-key), relative to the home")
    .option("--tls-key <file>", "PEM private key for wss (with --tls-cert), relative to the home")
    .option("--tls-ca <file>", "PEM CA bundle to verify peers' certificates, relative to the home")
    .option("--snapshot-interval-ops <n>", "write a final-engine snapshot every n final ops (default 10000)")
    .option("--exit-after-stall-ms <ms>", "propose and claim the last certified state when no height is decided for this long, ms (default 0 = never)")
    .option("--key-file <file>", "import this key instead of drawing a new one: a plain hex private key, or a V3 keystore (opened with the password)")
    .option("--password-file <file>", "keystore password file (one trailing newline ignored); else $SEMILATTICE_PASSWORD")
    .option("--insecure-key", "store the key as a plain hex file (0600), unencrypted, no password: development only")
    .option("--light-kdf", "cheaper scrypt (N=2^12, r=8, p=6, as geth's --lightkdf) for devnets and tests")
    .action(async (opts: import("./init.js").InitFlags) => {
      const { initCommand } = await import("./init.js");
      exitCode = await initCommand(opts);
    });

  program
    .command("node")
    .description(
      "Run one participant node from its home (semilattice init) until SIGINT/SIGTERM: peers over WebSocket, checkpoints, " +
        "its store in the data dir; JSON logs on stderr, metrics if node.json has them; PID in <home>/node.pid. Exit 2 on a bad home.",
    )
    .requiredOption("--home <dir>", "the node home")
    .option("--password-file <file>", "keystore password file; else $SEMILATTICE_PASSWORD")
    .option("--insecure-key", "accept a plain hex key file (development only)")
    .action(async (opts: import("./nodeRun.js").NodeFlags) => {
      const { nodeCommand } = await import("./nodeRun.js");
      exitCode = await nodeCommand(opts);
    });

  program
    .command("devnet")
    .description(
      "A local devnet: start hardhat node on 127.0.0.1, deploy the adjudicator, open and fund a channel of N participants, " +
        "write N node homes and DIR/devnet.json, start N `semilattice node` processes; run until Ctrl-C or --duration, then stop all.",
    )
    .requiredOption("--participants <n>", "participants, 1..64")
    .requiredOption("--dir <dir>", "the devnet folder (homes, devnet.json, chain log)")
    .option("--duration <seconds>", "stop after this many seconds")
    .option("--log-level <level>", "the nodes' log level (default info)")
    .option("--force", "replace a devnet in --dir")
    .option("--json", "print one JSON object with the chain, channel and nodes")
    .action(async (opts: import("./devnet.js").DevnetFlags) => {
      const { devnetCommand } = await import("./devnet.js");
      exitCode = await devnetCommand(opts);
    });

  program
    .command("run")
    .description("Run a JSON scenario on a fresh engine; print one JSON line per op (format: docs/scenarios.md).")
    .argument("<scenario>", "path of the scenario JSON file")
    .option("--summary", "end with a line {summary: {ops, accepted, rejected, stateRoot, exitRoot, conservation}}")
    .action(async (path: string, opts: { summary?: boolean }) => {
      exitCode = await runScenarioFile(path, opts.summary === true);
    });

  const amm = program.command("amm").description("Constant-product AMM tools.");
  amm
    .command("quote")
    .description(
      "Exact Uniswap V2 quote (fee in ppm; 3000 = V2's 0.3%). With --amount-in prints amountOut (getAmountOut, rounded " +
        "down); with --amount-out prints the amountIn needed (getAmountIn, rounded up). Bare decimal integer, base units.",
    )
    .requiredOption("--reserve-in <amount>", "reserve of the input token, base units", parseAmount)
    .requiredOption("--reserve-out <amount>", "reserve of the output token, base units", parseAmount)
    .option("--amount-in <amount>", "exact input amount, base units", parseAmount)
    .option("--amount-out <amount>", "exact output amount wanted, base units", parseAmount)
    .addOption(
      new Option("--fee-ppm <ppm>", "swap fee in parts per million (0..999999)").argParser(parseFeePpm).default(3000n, "3000"),
    )
    .action((opts: { reserveIn: bigint; reserveOut: bigint; amountIn?: bigint; amountOut?: bigint; feePpm: bigint }) => {
      exitCode = quoteCommand(opts);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests end here with code 0; usage errors were already printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof DataNotFoundError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  return exitCode;
}

async function runScenarioFile(path: string, summary: boolean): Promise<number> {
  const { parseScenario, runScenario, ScenarioError, toJson } = await import("./scenario.js");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    console.error(`semilattice run: cannot read ${path}: ${(error as Error).message}`);
    return 2;
  }
  try {
    const scenario = parseScenario(text);
    let accepted = 0;
    let rejected = 0;
    const lines: string[] = [];
    const flush = (): void => {
      if (lines.length > 0) process.stdout.write(lines.join("\n") + "\n");
      lines.length = 0;
    };
    const engine = runScenario(scenario, (output) => {
      if (output.status === "accepted") accepted++;
      else rejected++;
      lines.push(toJson(output));
      if (lines.length >= 1000) flush();
    });
    if (summary) {
      const conservation = engine.checkConservation();
      lines.push(
        toJson({
          summary: {
            ops: scenario.ops.length,
            accepted,
            rejected,
            stateRoot: engine.stateRoot(),
            exitRoot: engine.exitRoot(),
            conservation: conservation.ok,
          },
        }),
      );
    }
    flush();
    return 0;
  } catch (error) {
    if (error instanceof ScenarioError) {
      console.error(`semilattice run: ${path}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

function quoteCommand(opts: { reserveIn: bigint; reserveOut: bigint; amountIn?: bigint; amountOut?: bigint; feePpm: bigint }): number {
  const fail = (message: string): number => {
    console.error(`semilattice amm quote: ${message}`);
    return 2;
  };
  if ((opts.amountIn === undefined) === (opts.amountOut === undefined)) return fail("give exactly one of --amount-in or --amount-out");
  if (opts.reserveIn === 0n || opts.reserveOut === 0n) return fail("reserves must be positive (INSUFFICIENT_LIQUIDITY)");
  if (opts.amountIn !== undefined) {
    if (opts.amountIn === 0n) return fail("--amount-in must be positive (INSUFFICIENT_INPUT_AMOUNT)");
    console.log(getAmountOut(opts.amountIn, opts.reserveIn, opts.reserveOut, opts.feePpm).toString());
    return 0;
  }
  const amountOut = opts.amountOut as bigint;
  if (amountOut === 0n) return fail("--amount-out must be positive (INSUFFICIENT_OUTPUT_AMOUNT)");
  if (amountOut >= opts.reserveOut) return fail(`--amount-out must be below --reserve-out ${opts.reserveOut} (INSUFFICIENT_LIQUIDITY)`);
  console.log(getAmountIn(amountOut, opts.reserveIn, opts.reserveOut, opts.feePpm).toString());
  return 0;
}

/** A non-negative decimal integer of base units, at most 2^128 − 1. */
export function parseAmount(value: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new InvalidArgumentError("must be a non-negative decimal integer of base units");
  const amount = BigInt(value);
  if (amount > MAX_AMOUNT) throw new InvalidArgumentError("exceeds the amount limit 2^128-1");
  return amount;
}

/** An integer percentage 0..100 (`--lock-swaps`). */
function parsePercent(value: string): number {
  if (!/^(0|[1-9][0-9]?|100)$/.test(value)) throw new InvalidArgumentError("must be an integer percentage 0..100");
  return Number(value);
}

/** A participant count or index: a decimal integer 0..64. */
function parseParticipants(value: string): number {
  if (!/^(0|[1-9][0-9]?)$/.test(value) || Number(value) > MAX_DEMO_PARTICIPANTS) throw new InvalidArgumentError(`must be an integer in 0..${MAX_DEMO_PARTICIPANTS}`);
  return Number(value);
}

/** A non-negative decimal integer up to 10^9 (`mev --from`). */
function parseNonNegativeInt(value: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(value)) throw new InvalidArgumentError("must be a non-negative integer");
  return Number(value);
}

/** A positive decimal integer up to 10^9 (`mev --swaps`). */
function parsePositiveInt(value: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new InvalidArgumentError("must be a positive integer");
  return Number(value);
}

/** Slippage tolerance in bps, 0..5000 (`mev --slippage-bps`). */
function parseSlippageBps(value: string): number {
  if (!/^(0|[1-9][0-9]{0,3})$/.test(value) || Number(value) > 5000) throw new InvalidArgumentError("must be an integer in 0..5000");
  return Number(value);
}

function parseFeePpm(value: string): bigint {
  if (!/^(0|[1-9][0-9]{0,5})$/.test(value)) throw new InvalidArgumentError("must be an integer in 0..999999");
  return BigInt(value);
}
