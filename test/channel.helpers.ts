/** Shared fixtures of the channel tests: deterministic keys, a small market/pool genesis, a config. */
import type { Op } from "../src/core/ops.js";
import { createSigner, type Hex, type Signer } from "../src/channel/identity.js";
import type { ChannelConfig } from "../src/channel/replica.js";
import type { RoleName } from "../src/core/roles.js";

/** Private key i+1 (valid secp256k1 scalars), as 0x-hex. */
export function keyOf(i: number): Hex {
  return ("0x" + (i + 1).toString(16).padStart(64, "0")) as Hex;
}

export function signers(n: number): Signer[] {
  return Array.from({ length: n }, (_, i) => createSigner(keyOf(i)));
}

export const CHANNEL_ID = ("0x" + "ab".repeat(32)) as Hex;
export const CONTRACT = ("0x" + "cd".repeat(20)) as Hex;

/** Genesis: USDC/WETH tokens, a WETH/USDC market and pool, deposits for every participant. */
export function genesisFor(addresses: readonly string[]): Op[] {
  const ops: Op[] = [
    { type: "createToken", symbol: "USDC", decimals: 6 },
    { type: "createToken", symbol: "WETH", decimals: 18 },
    { type: "createMarket", market: "WETH-USDC", base: "WETH", quote: "USDC", lotSize: 10n ** 15n, tickSize: 1000n, makerFeePpm: 1000, takerFeePpm: 2000 },
    { type: "createPool", pool: "WETH/USDC", token0: "WETH", token1: "USDC", feePpm: 3000 },
  ];
  for (const a of addresses) {
    ops.push({ type: "deposit", account: a.toLowerCase(), token: "USDC", amount: 1_000_000_000_000n });
    ops.push({ type: "deposit", account: a.toLowerCase(), token: "WETH", amount: 500n * 10n ** 18n });
  }
  return ops;
}

export function configFor(ss: readonly Signer[], roles?: RoleName[][], limits?: ChannelConfig["limits"]): ChannelConfig {
  return {
    channelId: CHANNEL_ID,
    chainId: 31337,
    verifyingContract: CONTRACT,
    participants: ss.map((s, i) => ({ address: s.address, roles: roles?.[i] ?? ["Trader", "MarketMaker"] })),
    genesis: genesisFor(ss.map((s) => s.address)),
    ...(limits === undefined ? {} : { limits }),
  };
}
