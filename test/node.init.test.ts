import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { loadNodeHome } from "../src/node/config.js";
import { generatePrivateKey } from "../src/node/keystore.js";
import { createSigner } from "../src/channel/identity.js";

/** Runs the CLI in-process, capturing what it prints. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ") + "\n"));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ") + "\n"));
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  const code = await main(["node", "semilattice", ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join(""), err: err.join("") };
}

afterEach(() => vi.restoreAllMocks());

const ADJ = "0x" + "11".repeat(20);
const OTHER = "0x" + "22".repeat(20);

function workdir(): { dir: string; passwordFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "semilattice-init-"));
  const passwordFile = join(dir, "password");
  writeFileSync(passwordFile, "correct horse\n", { mode: 0o600 });
  return { dir, passwordFile };
}

describe("semilattice init", () => {
  it("writes a home from flags that loads back: keystore 0600, own participant first, genesis and rules kept", async () => {
    const { dir, passwordFile } = workdir();
    const genesis = join(dir, "genesis.json");
    writeFileSync(genesis, JSON.stringify([{ type: "createToken", symbol: "USDC", decimals: 6 }]));
    const home = join(dir, "a");
    const r = await cli(
      "init", "--home", home, "--adjudicator", ADJ, "--password-file", passwordFile, "--light-kdf", "--json",
      "--listen", "127.0.0.1:7101", "--participant", `${OTHER},ws://127.0.0.1:7102,Trader`, "--genesis", genesis,
      "--checkpoint-interval-ms", "25", "--metrics", "127.0.0.1:9101", "--log-level", "debug", "--chain-id", "1337",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out) as { home: string; address: string; files: string[] };
    expect(printed.files).toHaveLength(3);
    expect(statSync(join(home, "keystore.json")).mode & 0o777).toBe(0o600);
    const loaded = await loadNodeHome(home, { passwordFile });
    expect(loaded.signer.address).toBe(printed.address);
    expect(loaded.definition.participants.map((p) => [p.address, p.endpoint, p.roles])).toEqual([
      [printed.address, "ws://127.0.0.1:7101", ["Trader", "MarketMaker"]],
      [OTHER, "ws://127.0.0.1:7102", ["Trader"]],
    ]);
    expect(loaded.definition.genesis).toEqual([{ type: "createToken", symbol: "USDC", decimals: 6 }]);
    expect(loaded.definition.rules).toEqual({ checkpointIntervalMs: 25 });
    expect(loaded.definition.chain.chainId).toBe(1337);
    expect(loaded.settings.metrics).toEqual({ host: "127.0.0.1", port: 9101 });
    expect(loaded.settings.logLevel).toBe("debug");

    // an existing home is refused without --force, kept as it was
    const before = readFileSync(join(home, "keystore.json"), "utf8");
    const again = await cli("init", "--home", home, "--adjudicator", ADJ, "--password-file", passwordFile, "--light-kdf");
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists already.*--force/);
    expect(readFileSync(join(home, "keystore.json"), "utf8")).toBe(before);
    const forced = await cli("init", "--home", home, "--adjudicator", ADJ, "--password-file", passwordFile, "--light-kdf", "--force");
    expect(forced.code).toBe(0);
    expect(readFileSync(join(home, "keystore.json"), "utf8")).not.toBe(before);
  });

  it("joins a shared definition with --channel and an imported key; refuses a key that is not a participant", async () => {
    const { dir, passwordFile } = workdir();
    const keyB = generatePrivateKey();
    const addressB = createSigner(keyB).address;
    const keyFile = join(dir, "b.key");
    writeFileSync(keyFile, keyB + "\n", { mode: 0o600 });
    const a = await cli("init", "--home", join(dir, "a"), "--adjudicator", ADJ, "--password-file", passwordFile, "--light-kdf", "--participant", `${addressB},ws://127.0.0.1:7202`);
    expect(a.code).toBe(0);
    const shared = join(dir, "a", "channel.json");
    const b = await cli("init", "--home", join(dir, "b"), "--channel", shared, "--key-file", keyFile, "--password-file", passwordFile, "--light-kdf", "--listen", "127.0.0.1:7202");
    expect(b.err).toBe("");
    expect(b.code).toBe(0);
    const loaded = await loadNodeHome(join(dir, "b"), { passwordFile });
    expect(loaded.signer.address).toBe(addressB);
    expect(readFileSync(join(dir, "b", "channel.json"), "utf8")).toBe(readFileSync(shared, "utf8"));
    // the imported keystore of b can itself be imported (V3 keystore as --key-file)
    const c = await cli("init", "--home", join(dir, "c"), "--channel", shared, "--key-file", join(dir, "b", "keystore.json"), "--password-file", passwordFile);
    expect(c.code).toBe(0);
    const stranger = await cli("init", "--home", join(dir, "d"), "--channel", shared, "--password-file", passwordFile, "--light-kdf");
    expect(stranger.code).toBe(2);
    expect(stranger.err).toMatch(/is not a participant/);
    const mixed = await cli("init", "--home", join(dir, "e"), "--channel", shared, "--chain-id", "5", "--password-file", passwordFile);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/--channel.*excludes --chain-id/);
  });

  it("writes a plain key only with --insecure-key, needing no password", async () => {
    const { dir } = workdir();
    const home = join(dir, "dev");
    const r = await cli("init", "--home", home, "--adjudicator", ADJ, "--insecure-key");
    expect(r.code).toBe(0);
    expect(statSync(join(home, "key.hex")).mode & 0o777).toBe(0o600);
    await expect(loadNodeHome(home)).rejects.toThrow(/--insecure-key/);
    expect((await loadNodeHome(home, { insecureKey: true })).signer.address).toMatch(/^0x[0-9a-f]{40}$/);
  });

  const bad: [string, string[], RegExp][] = [
    ["a bad adjudicator", ["--adjudicator", "0x12"], /--adjudicator: must be an address, 0x \+ 40 hex digits/],
    ["no adjudicator", [], /--adjudicator: required without --channel/],
    ["an http endpoint", ["--endpoint", "http://a:1"], /--endpoint: must be a ws:\/\/ or wss:\/\//],
    ["a port out of range", ["--listen", "127.0.0.1:70000"], /--listen port: must be an integer in 0\.\.65535/],
    ["a listen without port", ["--listen", "localhost"], /--listen: must be host:port/],
    ["an unknown log level", ["--log-level", "loud"], /--log-level: must be one of fatal/],
    ["a bad rpc url", ["--rpc-url", "ftp://x"], /--rpc-url: must be an http\(s\):\/\/ or ws\(s\):\/\//],
    ["a fractional dispute window", ["--dispute-window-seconds", "1.5"], /--dispute-window-seconds: must be an integer in 1\.\.31536000/],
    ["an unknown role", ["--roles", "Trader,King"], /--roles: \[1\]: must be one of Trader/],
    ["a bad participant", ["--participant", "0x12,ws://a:1"], /--participant address: must be an address/],
    ["a bad channel id", ["--channel-id", "0xzz"], /--channel-id: must be 0x \+ 64 hex digits/],
    ["a genesis op with a number amount", ["--genesis", "GENESIS"], /--genesis .*: \[1\]\.amount: must be a decimal integer string/],
    ["tls cert without key", ["--tls-cert", "c.pem"], /--tls-cert: --tls-cert and --tls-key go together/],
    ["no password", ["--password-file", "MISSING"], /cannot read password file/],
  ];
  for (const [name, flags, message] of bad) {
    it(`exits 2 on ${name}, naming the flag`, async () => {
      const { dir, passwordFile } = workdir();
      const genesis = join(dir, "genesis.json");
      writeFileSync(genesis, JSON.stringify([{ type: "createToken", symbol: "U", decimals: 6 }, { type: "deposit", account: "x", token: "U", amount: 5 }]));
      const args = flags.map((f) => (f === "GENESIS" ? genesis : f === "MISSING" ? join(dir, "missing") : f));
      const withAdj = name === "no adjudicator" || args.includes("--adjudicator") ? [] : ["--adjudicator", ADJ];
      const withPassword = args.includes("--password-file") ? [] : ["--password-file", passwordFile];
      const r = await cli("init", "--home", join(dir, "h"), "--light-kdf", ...withAdj, ...withPassword, ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(() => statSync(join(dir, "h", "node.json"))).toThrow();
    });
  }

  it("--help lists every flag", async () => {
    const r = await cli("init", "--help");
    expect(r.code).toBe(0);
    for (const flag of ["--home", "--channel", "--participant", "--adjudicator", "--listen", "--metrics", "--key-file", "--password-file", "--insecure-key", "--force", "--log-level", "--tls-cert"]) {
      expect(r.out).toContain(flag);
    }
  });

  it("exits 2 without --home", async () => {
    const r = await cli("init");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--home/);
  });
});
