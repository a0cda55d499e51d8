/**
 * Channel identities: participants (an Ethereum address plus roles) and secp256k1 signers.
 *
 * A participant is an Ethereum account (DESIGN §3): its identity is the 20-byte address derived from
 * its secp256k1 public key (last 20 bytes of keccak256 of the 64-byte uncompressed key). In the
 * engine its account id is its lower-case 0x-address (see {@link participantAccountId}).
 *
 * Signatures are Ethereum-style 65 bytes `r ‖ s ‖ v` with `v ∈ {27, 28}` (what viem's
 * `signTypedData` returns), over a 32-byte digest (here always an EIP-712 digest, see `batch.ts`).
 * Only low-s signatures are accepted (s ≤ n/2, EIP-2), so one message has one valid encoding.
 *
 * Backends: the native `secp256k1` binding (libsecp256k1; ~16k recoveries/s on one core) is used when
 * it loads, else `@noble/curves` (pure JS, several times slower). The choice is made once at module
 * load ({@link secpBackend}); both are exposed as {@link nativeSecp} / {@link nobleSecp} so tests run
 * the same vectors through both and the benchmark can compare them (bench/channel-sig.ts).
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";
import { createRequire } from "node:module";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import { keccak256 } from "../core/keccak.js";
import type { Hex } from "../runtime/bytes.js";
import { type RoleName, RoleNames } from "../core/roles.js";

/** 0x-prefixed hex string (the project's one `Hex`, from `runtime/bytes.ts`). Addresses are lower-case, 40 hex digits; digests 64. */
export type { Hex };

/** A channel participant: its address (lower-case) and the roles fixed when the channel opened. */
export interface Participant {
  address: Hex;
  roles: RoleName[];
}

/** Errors of this module: `code` is stable. */
export class IdentityError extends SemilatticeError {
  override readonly name = "IdentityError";
  declare readonly code: "INVALID_KEY" | "INVALID_DIGEST" | "INVALID_ADDRESS" | "INVALID_ROLES";
  constructor(code: "INVALID_KEY" | "INVALID_DIGEST" | "INVALID_ADDRESS" | "INVALID_ROLES", message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** secp256k1 order n and n/2 (low-s bound). */
const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = CURVE_N >> 1n;

/** One secp256k1 implementation: sign a digest, recover the uncompressed public key (65 bytes, 0x04‖X‖Y). */
export interface SecpBackend {
  readonly name: "native" | "noble";
  /** 64-byte compact r‖s (low-s) and the recovery id 0/1. */
  sign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** Uncompressed public key, or undefined if the signature does not recover. Never throws. */
  recover(signature64: Uint8Array, recid: number, digest: Uint8Array): Uint8Array | undefined;
  publicKey(privateKey: Uint8Array): Uint8Array;
  isValidPrivateKey(privateKey: Uint8Array): boolean;
}

interface NativeSecp {
  ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyCreate(key: Uint8Array, compressed: boolean): Uint8Array;
  privateKeyVerify(key: Uint8Array): boolean;
}

/** The pure-JS backend (@noble/curves). */
export const nobleSecp: SecpBackend = {
  name: "noble",
  sign(digest, privateKey) {
    const sig = noble.sign(digest, privateKey, { prehash: false, format: "recovered", lowS: true });
    // noble's "recovered" format is recid ‖ r ‖ s
    return { signature: sig.slice(1, 65), recid: sig[0]! };
  },
  recover(signature64, recid, digest) {
    try {
      const sig = new Uint8Array(65);
      sig[0] = recid;
      sig.set(signature64, 1);
      const compressed = noble.recoverPublicKey(sig, digest, { prehash: false });
      return noble.Point.fromBytes(compressed).toBytes(false);
    } catch {
      return undefined;
    }
  },
  publicKey(privateKey) {
    return noble.getPublicKey(privateKey, false);
  },
  isValidPrivateKey(privateKey) {
    return privateKey.length === 32 && noble.utils.isValidSecretKey(privateKey);
  },
};

function loadNative(): SecpBackend | undefined {
  let lib: NativeSecp;
  try {
    lib = createRequire(import.meta.url)("secp256k1") as NativeSecp;
    // the package falls back to its own elliptic-based JS when the addon did not build: require the addon
    const probe = lib.ecdsaSign(new Uint8Array(32).fill(1), new Uint8Array(32).fill(1));
    if (probe.signature.length !== 64) return undefined;
  } catch {
    return undefined;
  }
  return {
    name: "native",
    sign(digest, privateKey) {
      const { signature, recid } = lib.ecdsaSign(digest, privateKey);
      return { signature: Uint8Array.from(signature), recid };
    },
    recover(signature64, recid, digest) {
      try {
        return lib.ecdsaRecover(signature64, recid, digest, false);
      } catch {
        return undefined;
      }
    },
    publicKey(privateKey) {
      return lib.publicKeyCreate(privateKey, false);
    },
    isValidPrivateKey(privateKey) {
      return privateKey.length === 32 && lib.privateKeyVerify(privateKey);
    },
  };
}

/** The native backend, or undefined when the binding is not available on this machine. */
export const nativeSecp: SecpBackend | undefined = loadNative();

/** The backend used by {@link createSigner}, {@link recoverAddress} and {@link verifySignature}. */
export const secpBackend: SecpBackend = nativeSecp ?? nobleSecp;

/** Lower-case 0x-address of an uncompressed public key (65 bytes, 0x04 ‖ X ‖ Y). */
export function addressOfPublicKey(publicKey: Uint8Array): Hex {
  return ("0x" + Buffer.from(keccak256(publicKey.subarray(1, 65)).subarray(12)).toString("hex")) as Hex;
}

/** A private key that signs 32-byte digests. */
export interface Signer {
  /** Lower-case 0x-address. */
  readonly address: Hex;
  /** 65-byte r ‖ s ‖ v signature of `digest` (32 bytes), v ∈ {27, 28}, low s. Deterministic (RFC 6979). */
  sign(digest: Uint8Array): Uint8Array;
}

/**
 * A signer for `privateKey` (32 bytes or 0x + 64 hex). Throws {@link IdentityError} `INVALID_KEY` if
 * the key is not a valid secp256k1 scalar.
 */
export function createSigner(privateKey: Uint8Array | Hex, backend: SecpBackend = secpBackend): Signer {
  const key = typeof privateKey === "string" ? hexToBytes(privateKey, 32, "INVALID_KEY") : Uint8Array.from(privateKey);
  if (!backend.isValidPrivateKey(key)) throw new IdentityError("INVALID_KEY", "private key must be 32 bytes in 1..n-1");
  const address = addressOfPublicKey(backend.publicKey(key));
  return {
    address,
    sign(digest: Uint8Array): Uint8Array {
      if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new IdentityError("INVALID_DIGEST", "digest must be 32 bytes");
      const { signature, recid } = backend.sign(digest, key);
      const out = new Uint8Array(65);
      out.set(signature, 0);
      out[64] = 27 + recid;
      return out;
    },
  };
}

/**
 * The address that signed `digest` with the 65-byte `signature`, or undefined if the signature is
 * malformed (wrong length, v ∉ {27, 28}, r or s out of range, high s) or does not recover. Never throws.
 */
export function recoverAddress(digest: Uint8Array, signature: Uint8Array, backend: SecpBackend = secpBackend): Hex | undefined {
  if (digest.length !== 32 || !signatureShapeOk(signature)) return undefined;
  const publicKey = backend.recover(signature.subarray(0, 64), signature[64]! - 27, digest);
  return publicKey === undefined ? undefined : addressOfPublicKey(publicKey);
}

/** 65 bytes, v ∈ {27, 28}, 0 < r < n, 0 < s ≤ n/2 (EIP-2 low s): the checks before recovery. */
export function signatureShapeOk(signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== 65) return false;
  const v = signature[64]!;
  if (v !== 27 && v !== 28) return false;
  const r = bytesToBigInt(signature, 0);
  const s = bytesToBigInt(signature, 32);
  return r !== 0n && r < CURVE_N && s !== 0n && s <= HALF_N;
}

/** True iff `signature` is a valid low-s signature of `digest` by `address`. Never throws. */
export function verifySignature(digest: Uint8Array, signature: Uint8Array, address: string, backend: SecpBackend = secpBackend): boolean {
  return recoverAddress(digest, signature, backend) === address.toLowerCase();
}

/** Engine account id of a participant: its lower-case address. */
export function participantAccountId(address: string): string {
  return address.toLowerCase();
}

/** Checks and normalises a participant (lower-case address, known roles). Throws {@link IdentityError}. */
export function normalizeParticipant(p: Participant): Participant {
  if (typeof p?.address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(p.address)) {
    throw new IdentityError("INVALID_ADDRESS", `participant address must be 0x + 40 hex digits, got ${String(p?.address)}`);
  }
  if (!Array.isArray(p.roles) || p.roles.some((r) => !RoleNames.includes(r))) {
    throw new IdentityError("INVALID_ROLES", `participant ${p.address}: roles must be some of ${RoleNames.join(", ")}`);
  }
  return { address: p.address.toLowerCase() as Hex, roles: [...p.roles] };
}

/** Bytes of a 0x-hex string of exactly `length` bytes; throws IdentityError(code) otherwise. */
function hexToBytes(hex: string, length: number, code: "INVALID_KEY"): Uint8Array {
  if (!new RegExp(`^0x[0-9a-fA-F]{${2 * length}}$`).test(hex)) throw new IdentityError(code, `expected 0x + ${2 * length} hex digits`);
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

function bytesToBigInt(bytes: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let i = offset; i < offset + 32; i++) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}
