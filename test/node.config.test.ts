import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSigner } from "../src/channel/identity.js";
import { ConfigError, loadNodeHome, parseChannelDefinition, parseGenesisOp, parseNodeSettings, writeNodeHome } from "../src/node/config.js";
import { initNodeHome } from "../src/node/init.js";
import { encryptKeystore, generatePrivateKey, PASSWORD_ENV } from "../src/node/keystore.js";
import type { ChannelDefinition } from "../src/node/options.js";

const A = "0x" + "Ab".repeat(20);
const B = "0x" + "cd".repeat(20);
const FAST = { N: 1 << 10, r: 8, p: 1 };

function channelJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    channelId: "0x" + "AA".repeat(32),
    participants: [
      { address: A, roles: ["Trader", "MarketMaker"], endpoint: "ws://127.0.0.1:7001" },
      { address: B, roles: ["Trader"], endpoint: "wss://node-b.example:443" },
    ],
    genesis: [
      { type: "createToken", symbol: "USDC", decimals: 6 },
      { type: "deposit", account: A.toLowerCase(), token: "USDC", amount: "1000000000000" },
    ],
    rules: { checkpointIntervalMs: 50 },
    chain: { chainId: 31337, rpcUrl: "http://127.0.0.1:8545", adjudicator: "0x" + "11".repeat(20), confirmationDepth: 1, disputeWindowSeconds: 3600 },
    ...over,
  };
}

function settingsJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: 1, listen: { host: "127.0.0.1", port: 7001 }, dataDir: "data", logLevel: "info", keystoreFile: "keystore.json", snapshotIntervalOps: 10000, exitAfterStallMs: 0, ...over };
}

function issueOf(fn: () => unknown): { path: string; message: string; text: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.code).toBe("INVALID_CONFIG");
    return { ...e.issues[0]!, text: e.message };
  }
  throw new Error("expected a ConfigError");
}

describe("channel.json validation", () => {
  it("accepts a good definition, lower-cases addresses and the channel id, and converts genesis amounts to bigint", () => {
    const d = parseChannelDefinition(channelJson());
    expect(d.channelId).toBe("0x" + "aa".repeat(32));
    expect(d.participants[0]!.address).toBe(A.toLowerCase());
    expect(d.genesis[1]).toEqual({ type: "deposit", account: A.toLowerCase(), token: "USDC", amount: 1_000_000_000_000n });
    expect(d.rules).toEqual({ checkpointIntervalMs: 50 });
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ["version", { version: 2 }, "version", /must be 1/],
    ["channel id", { channelId: "0x1234" }, "channelId", /0x \+ 64 hex/],
    ["unknown top-level field", { extra: 1 }, "", /unknown field extra; fields are version, channelId/],
    ["no participants", { participants: [] }, "participants", /1\.\.64 participants/],
    ["65 participants", { participants: Array.from({ length: 65 }, (_, i) => ({ address: "0x" + i.toString(16).padStart(40, "0"), roles: ["Trader"], endpoint: `ws://h:${1000 + i}` })) }, "participants", /1\.\.64/],
    ["bad address", { participants: [{ address: "0x12", roles: ["Trader"], endpoint: "ws://a:1" }] }, "participants[0].address", /0x \+ 40 hex/],
    ["http endpoint", { participants: [{ address: A, roles: ["Trader"], endpoint: "http://a:1" }] }, "participants[0].endpoint", /ws:\/\/ or wss:\/\//],
    ["endpoint without port", { participants: [{ address: A, roles: ["Trader"], endpoint: "ws://a" }] }, "participants[0].endpoint", /port/],
    ["unknown role", { participants: [{ address: A, roles: ["King"], endpoint: "ws://a:1" }] }, "participants[0].roles[0]", /one of Trader/],
    ["no roles", { participants: [{ address: A, roles: [], endpoint: "ws://a:1" }] }, "participants[0].roles", /at least one role/],
    ["unknown participant field", { participants: [{ address: A, roles: ["Trader"], endpoint: "ws://a:1", weight: 2 }] }, "participants[0]", /unknown field weight/],
    ["duplicate address", { participants: [{ address: A, roles: ["Trader"], endpoint: "ws://a:1" }, { address: A.toLowerCase(), roles: ["Trader"], endpoint: "ws://a:2" }] }, "participants[1].address", /duplicates participants\[0\]/],
    ["rpc url", { chain: { chainId: 1, rpcUrl: "ftp://x", adjudicator: A, confirmationDepth: 1, disputeWindowSeconds: 1 } }, "chain.rpcUrl", /http\(s\)/],
    ["missing dispute window", { chain: { chainId: 1, rpcUrl: "http://x", adjudicator: A, confirmationDepth: 1 } }, "chain.disputeWindowSeconds", /missing/],
    ["confirmation depth", { chain: { chainId: 1, rpcUrl: "http://x", adjudicator: A, confirmationDepth: 1.5, disputeWindowSeconds: 1 } }, "chain.confirmationDepth", /integer in 0\.\.1000/],
    ["rule out of range", { rules: { maxOpsPerBatch: 0 } }, "rules.maxOpsPerBatch", /1\.\.4096/],
    ["unknown rule", { rules: { fast: true } }, "rules", /unknown field fast/],
    ["genesis amount as number", { genesis: [{ type: "createToken", symbol: "U", decimals: 6 }, { type: "deposit", account: A.toLowerCase(), token: "U", amount: 5 }] }, "genesis[1].amount", /decimal integer string/],
    ["genesis unknown op", { genesis: [{ type: "mint" }] }, "genesis[0].type", /unknown op type "mint"/],
    ["genesis unknown field", { genesis: [{ type: "createToken", symbol: "U", decimals: 6, color: "red" }] }, "genesis[0].color", /unknown field for createToken/],
    ["genesis missing field", { genesis: [{ type: "createToken", symbol: "U" }] }, "genesis[0].decimals", /missing/],
    ["genesis rejected by the engine", { genesis: [{ type: "deposit", account: A.toLowerCase(), token: "NOPE", amount: "1" }] }, "genesis[0]", /rejected UNKNOWN_TOKEN/],
  ];
  for (const [name, over, path, message] of bad) {
    it(`refuses ${name}, naming ${path || "the file"}`, () => {
      const issue = issueOf(() => parseChannelDefinition(channelJson(over), "home/channel.json"));
      expect(issue.path).toBe(path);
      expect(issue.message).toMatch(message);
      expect(issue.text.startsWith(`home/channel.json: ${path === "" ? "" : path + ": "}`)).toBe(true);
    });
  }

  it("takes every op a replica can carry, including linkChannel (genesis only)", () => {
    const parsed = parseGenesisOp({ type: "linkChannel", channel: "0x" + "bb".repeat(32), self: "0x" + "aa".repeat(32), chainId: 31337, verifyingContract: "0x" + "11".repeat(20), participants: [A.toLowerCase()], quorum: 1 }, "genesis[0]");
    expect("op" in parsed).toBe(true);
  });
});

describe("node.json validation", () => {
  it("accepts good settings with TLS and metrics", () => {
    const s = parseNodeSettings(settingsJson({ tls: { certFile: "cert.pem", keyFile: "key.pem" }, metrics: { host: "127.0.0.1", port: 0 } }));
    expect(s.tls).toEqual({ certFile: "cert.pem", keyFile: "key.pem" });
    expect(s.metrics).toEqual({ host: "127.0.0.1", port: 0 });
  });
  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ["port 70000", { listen: { host: "127.0.0.1", port: 70000 } }, "listen.port", /0\.\.65535/],
    ["host with a slash", { listen: { host: "a/b", port: 1 } }, "listen.host", /host name or IP/],
    ["log level", { logLevel: "loud" }, "logLevel", /one of fatal, error/],
    ["snapshot interval 0", { snapshotIntervalOps: 0 }, "snapshotIntervalOps", /1\.\.100000000/],
    ["empty data dir", { dataDir: "" }, "dataDir", /not empty/],
    ["tls without key", { tls: { certFile: "c.pem" } }, "tls.keyFile", /missing/],
    ["unknown field", { peers: [] }, "", /unknown field peers/],
  ];
  for (const [name, over, path, message] of bad) {
    it(`refuses ${name}, naming ${path || "the file"}`, () => {
      const issue = issueOf(() => parseNodeSettings(settingsJson(over)));
      expect(issue.path).toBe(path);
      expect(issue.message).toMatch(message);
    });
  }
});

describe("node home", () => {
  it("writes and loads a home: files 0600, the signer decrypted from the keystore, a second write refused without force", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "semilattice-home-")), "home");
    const key = generatePrivateKey();
    const self = createSigner(key).address;
    const definition = parseChannelDefinition(channelJson({ participants: [{ address: self, roles: ["Trader"], endpoint: "ws://127.0.0.1:7001" }], genesis: [] }));
    const settings = parseNodeSettings(settingsJson());
    const keyFileText = await encryptKeystore(key, "pw", { scrypt: FAST });
    const { home } = writeNodeHome({ dir, definition, settings, keyFileText });
    for (const f of [home.channelFile, home.nodeFile, home.keystoreFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(statSync(home.dataDir).isDirectory()).toBe(true);
    const loaded = await loadNodeHome(dir, { env: { [PASSWORD_ENV]: "pw" } });
    expect(loaded.signer.address).toBe(self);
    expect(loaded.definition).toEqual(definition);
    expect(loaded.settings).toEqual(settings);
    expect(() => writeNodeHome({ dir, definition, settings, keyFileText })).toThrow(/exists already.*--force/);
    writeNodeHome({ dir, definition, settings, keyFileText, force: true });
    await expect(loadNodeHome(dir, { password: "wrong" })).rejects.toThrow(/wrong password/);
  });

  it("refuses to load a home whose key is not a participant, and a node.json with a bad field", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "semilattice-home-")), "home");
    const { home } = await initNodeHome({ dir, definition: (self) => parseChannelDefinition(channelJson({ participants: [{ address: self, roles: ["Trader"], endpoint: "ws://127.0.0.1:7001" }], genesis: [] })), password: "pw", scrypt: FAST });
    const channel = JSON.parse(readFileSync(home.channelFile, "utf8")) as ChannelDefinition;
    writeFileSync(home.channelFile, JSON.stringify({ ...channel, participants: [{ address: B, roles: ["Trader"], endpoint: "ws://127.0.0.1:7001" }] }));
    await expect(loadNodeHome(dir, { password: "pw" })).rejects.toThrow(/is not a participant/);
    writeFileSync(home.channelFile, JSON.stringify(channel));
    const node = JSON.parse(readFileSync(home.nodeFile, "utf8")) as Record<string, unknown>;
    writeFileSync(home.nodeFile, JSON.stringify({ ...node, logLevel: "chatty" }));
    await expect(loadNodeHome(dir, { password: "pw" })).rejects.toThrow(/node\.json: logLevel: must be one of/);
    writeFileSync(home.nodeFile, "{oops");
    await expect(loadNodeHome(dir, { password: "pw" })).rejects.toThrow(/node\.json: not valid JSON/);
  });
});
