/**
 * On-chain identities of accounts and tokens.
 *
 * In a channel every participant is an Ethereum account and every token an ERC-20 (or ETH), so the
 * exit root (what each address may withdraw of each token) must speak addresses. Scenarios and data
 * replays name accounts `alice` or `0x3fc9…`; a name that is not an address maps to a deterministic
 * pseudo-address: the last 20 bytes of keccak256("semilattice:<kind>:" + name). Nobody holds its key,
 * so such an account can be settled only by an operator that knows the mapping — fine for replays,
 * and real channels give real addresses.
 */
import { keccak256 } from "./keccak.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

const ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

export function isAddress(value: string): boolean {
  return ADDRESS_PATTERN.test(value);
}

/** Lower-case address for `name`: itself if it is an address, else the derived pseudo-address. */
export function addressFor(kind: "account" | "token", name: string): string {
  if (isAddress(name)) return name.toLowerCase();
  return "0x" + bytesToHex(keccak256(utf8ToBytes(`semilattice:${kind}:${name}`)).subarray(12));
}

/** The exit-root address that holds collected protocol fees. */
export const PROTOCOL_ADDRESS = addressFor("account", "protocol");
