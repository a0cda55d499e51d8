/**
 * A participant's key on disk: an Ethereum V3 keystore (Web3 Secret Storage Definition: scrypt or
 * PBKDF2 key derivation, AES-128-CTR, keccak-256 MAC), the format geth, Foundry (`cast wallet`) and
 * every wallet read and write.
 *
 * Library: ethers v6 (`ethers/wallet`: `encryptKeystoreJson` / `decryptKeystoreJson`). It is the most
 * used Ethereum library (10M downloads a week), its keystore code is small and audited and runs on
 * `@noble/hashes`' scrypt and `aes-js`, and it checks the MAC and that the file's `address` matches
 * the decrypted key. `@ethereumjs/wallet` does the same with a far smaller user base. We never
 * implement a KDF or cipher ourselves; this module only adds limits and our error type around it.
 *
 * - Password: from `--password-file FILE` (one trailing newline stripped) or the env var
 *   `SEMILATTICE_PASSWORD` ({@link readPassword}); never from the command line (it would show in `ps`).
 * - A plain hex private key file (`0x` + 64 hex, or 64 hex; a trailing newline allowed) is accepted
 *   only with `insecureKey: true` (`--insecure-key`, for development), and only when the file is not
 *   readable by group or others (as ssh insists for its keys).
 * - Files are written 0600 ({@link writeSecretFile}).
 * - Limits: a keystore file ≤ 64 KiB; scrypt N a power of two ≤ 2^18 and below 2^(16·r) (RFC
 *   7914 §2), r ≤ 32, p ≤ 16, memory 128·N·r ≤ 256 MiB and work N·r·p ≤ 2^21; PBKDF2 c ≤ 2^20. A
 *   file asking for more is refused before any derivation starts, so a hostile keystore cannot tie
 *   a node up.
 * - Interop: geth's keystores (standard N = 2^18, r = 8, p = 1; light N = 2^12, r = 8, p = 6) and
 *   the definition's PBKDF2 test vector open. The definition's *scrypt* test vector (N = 2^18 with
 *   r = 1) breaks RFC 7914's N < 2^(16·r) and is refused by every conforming scrypt (noble's, under
 *   ethers, and OpenSSL's, under node:crypto) — geth's Go scrypt does not check it. It is refused
 *   here with that reason.
 *
 * Errors: {@link KeystoreError} (codes below). Source: https://ethereum.org/developers/docs/data-structures-and-encoding/web3-secret-storage/
 */
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { decryptKeystoreJson, encryptKeystoreJson } from "ethers/wallet";
import { SemilatticeError } from "../core/errors.js";
import { createSigner, secpBackend, type Hex, type Signer } from "../channel/identity.js";

/** The env var holding the keystore password. */
export const PASSWORD_ENV = "SEMILATTICE_PASSWORD";

/** Largest keystore or key file read, bytes. */
export const MAX_KEYSTORE_BYTES = 64 * 1024;
/** Longest password, bytes (UTF-8). */
export const MAX_PASSWORD_BYTES = 1024;

export type KeystoreErrorCode =
  /** Not a V3 keystore, malformed, over a limit, or its address does not match its key. */
  | "INVALID_KEYSTORE"
  /** The MAC did not match: the password is wrong (or the file was altered). */
  | "WRONG_PASSWORD"
  /** No password given (neither the password file nor the env var), or an empty or oversized one. */
  | "NO_PASSWORD"
  /** A plain key file without `--insecure-key`, or one readable by group or others. */
  | "INSECURE_KEY_REFUSED"
  /** A plain key that is not 32 bytes of hex in 1..n−1. */
  | "INVALID_KEY"
  /** The file could not be read or written. */
  | "KEY_FILE_UNREADABLE";

/** Errors of the keystore: the code says what went wrong, the message names the file. */
export class KeystoreError extends SemilatticeError {
  override name = "KeystoreError";
  declare readonly code: KeystoreErrorCode;
  constructor(code: KeystoreErrorCode, shortMessage: string, parameters: { details?: string; cause?: unknown } = {}) {
    super(code, shortMessage, { ...parameters, docsPath: "node-home.md#keys" });
  }
}

/** scrypt cost parameters (N a power of two). */
export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/** geth's and ethers' standard cost (N = 2^17, r = 8, p = 1): about a second per derivation. */
export const SCRYPT_STANDARD: Readonly<ScryptParameters> = Object.freeze({ N: 1 << 17, r: 8, p: 1 });
/** geth's `--lightkdf` cost (N = 2^12, r = 8, p = 6): for devnets and tests, not for real funds. */
export const SCRYPT_LIGHT: Readonly<ScryptParameters> = Object.freeze({ N: 1 << 12, r: 8, p: 6 });

const MAX_SCRYPT_N = 1 << 18;
const MAX_SCRYPT_R = 32;
const MAX_SCRYPT_P = 16;
const MAX_SCRYPT_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_SCRYPT_WORK = 1 << 21;
const MAX_PBKDF2_C = 1 << 20;

/** Checks scrypt parameters against the limits above; returns a reason or undefined. */
export function scryptParametersProblem(params: ScryptParameters): string | undefined {
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > MAX_SCRYPT_N) return `scrypt n must be a power of two in 2..${MAX_SCRYPT_N}, got ${N}`;
  if (!Number.isSafeInteger(r) || r < 1 || r > MAX_SCRYPT_R) return `scrypt r must be in 1..${MAX_SCRYPT_R}, got ${r}`;
  if (!Number.isSafeInteger(p) || p < 1 || p > MAX_SCRYPT_P) return `scrypt p must be in 1..${MAX_SCRYPT_P}, got ${p}`;
  // RFC 7914 §2: N < 2^(128·r/8). noble (ethers) and OpenSSL enforce it; the Web3 Secret Storage
  // test vector (N = 2^18, r = 1) breaks it, so no conforming implementation here can open that file.
  if (16 * r < 31 && N >= 2 ** (16 * r)) return `scrypt n must be below 2^(16·r) = ${2 ** (16 * r)} for r = ${r} (RFC 7914 §2), got ${N}`;
  if (128 * N * r > MAX_SCRYPT_MEMORY_BYTES) return `scrypt memory 128·n·r = ${128 * N * r} bytes exceeds ${MAX_SCRYPT_MEMORY_BYTES}`;
  if (N * r * p > MAX_SCRYPT_WORK) return `scrypt work n·r·p = ${N * r * p} exceeds ${MAX_SCRYPT_WORK}`;
  return undefined;
}

/** A new random private key (32 bytes from the OS CSPRNG, redrawn until it is a valid secp256k1 scalar). */
export function generatePrivateKey(): Hex {
  for (;;) {
    const key = randomBytes(32);
    if (secpBackend.isValidPrivateKey(key)) return `0x${key.toString("hex")}`;
  }
}

/**
 * Encrypts `privateKey` (0x + 64 hex) into V3 keystore JSON text with `password`. `scrypt` defaults
 * to {@link SCRYPT_STANDARD}. Throws {@link KeystoreError} `INVALID_KEY` / `NO_PASSWORD` /
 * `INVALID_KEYSTORE` (parameters over the limits).
 */
export async function encryptKeystore(privateKey: Hex, password: string, options: { scrypt?: ScryptParameters } = {}): Promise<string> {
  const signer = signerOfPlainKey(privateKey, "the key");
  checkPassword(password);
  const scrypt = options.scrypt ?? SCRYPT_STANDARD;
  const problem = scryptParametersProblem(scrypt);
  if (problem !== undefined) throw new KeystoreError("INVALID_KEYSTORE", `cannot encrypt: ${problem}`);
  const json = await encryptKeystoreJson({ address: signer.address, privateKey }, password, { scrypt: { ...scrypt } });
  // ethers writes the section as "Crypto"; the definition (and strict readers) spell it "crypto".
  const { Crypto: crypto, ...rest } = JSON.parse(json) as { Crypto: unknown } & Record<string, unknown>;
  return JSON.stringify({ ...rest, crypto }, null, 2) + "\n";
}

/**
 * Decrypts V3 keystore JSON text with `password` to its private key (0x + 64 hex, lower case).
 * `source` names the file in errors. Throws {@link KeystoreError}: `INVALID_KEYSTORE` (malformed,
 * unsupported cipher or KDF, over a limit, address mismatch), `WRONG_PASSWORD` (MAC mismatch).
 */
export async function decryptKeystore(json: string, password: string, source = "keystore"): Promise<Hex> {
  checkPassword(password);
  checkKeystoreShape(json, source);
  let account: { privateKey: string };
  try {
    account = await decryptKeystoreJson(json, password);
  } catch (error) {
    const e = error as { code?: string; argument?: string; shortMessage?: string };
    if (e.code === "INVALID_ARGUMENT" && e.argument === "password") {
      throw new KeystoreError("WRONG_PASSWORD", `${source}: wrong password (the keystore's MAC does not match)`);
    }
    throw new KeystoreError("INVALID_KEYSTORE", `${source}: not a valid V3 keystore: ${e.shortMessage ?? String(error)}`, { cause: error });
  }
  return account.privateKey.toLowerCase() as Hex;
}

/** True iff `text` parses as a JSON object (a keystore candidate), not a plain hex key. */
export function looksLikeKeystore(text: string): boolean {
  return text.trimStart().startsWith("{");
}

/**
 * The private key of a plain key file's text: `0x` + 64 hex or 64 hex, surrounding whitespace
 * ignored. Throws {@link KeystoreError} `INVALID_KEY`.
 */
export function parsePlainKey(text: string, source = "key file"): Hex {
  const t = text.trim();
  const hex = t.startsWith("0x") || t.startsWith("0X") ? t.slice(2) : t;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new KeystoreError("INVALID_KEY", `${source}: a plain key must be 0x + 64 hex digits`);
  const key = `0x${hex.toLowerCase()}` as Hex;
  signerOfPlainKey(key, source);
  return key;
}

/** Where the password comes from: a file (wins) or the environment. */
export interface PasswordSource {
  /** `--password-file`: the file's content, one trailing `\n` or `\r\n` stripped. */
  passwordFile?: string | undefined;
  /** Environment to read {@link PASSWORD_ENV} from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/**
 * The password from `passwordFile` or else `$SEMILATTICE_PASSWORD`. Throws {@link KeystoreError}
 * `NO_PASSWORD` (neither given, empty, over {@link MAX_PASSWORD_BYTES}) or `KEY_FILE_UNREADABLE`.
 */
export function readPassword(source: PasswordSource = {}): string {
  if (source.passwordFile !== undefined) {
    const text = readBounded(source.passwordFile, MAX_PASSWORD_BYTES + 2, "password file");
    const password = text.replace(/\r?\n$/, "");
    checkPassword(password, `password file ${source.passwordFile}`);
    return password;
  }
  const value = (source.env ?? process.env)[PASSWORD_ENV];
  if (value === undefined) throw new KeystoreError("NO_PASSWORD", `no keystore password: give --password-file FILE or set ${PASSWORD_ENV}`);
  checkPassword(value, PASSWORD_ENV);
  return value;
}

/** What {@link loadKeyFile} accepts. */
export interface LoadKeyFileOptions extends PasswordSource {
  /** Accept a plain hex key file (development only). */
  insecureKey?: boolean;
}

/**
 * A {@link Signer} from a key file: a V3 keystore (decrypted with the password from
 * {@link readPassword}) or, with `insecureKey`, a plain hex key not readable by group or others.
 * Throws {@link KeystoreError}.
 */
export async function loadKeyFile(path: string, options: LoadKeyFileOptions = {}): Promise<{ signer: Signer; kind: "keystore" | "plain" }> {
  const text = readBounded(path, MAX_KEYSTORE_BYTES, "key file");
  if (looksLikeKeystore(text)) {
    const key = await decryptKeystore(text, readPassword(options), path);
    return { signer: signerOfPlainKey(key, path), kind: "keystore" };
  }
  if (options.insecureKey !== true) {
    throw new KeystoreError("INSECURE_KEY_REFUSED", `${path} is a plain (unencrypted) key file: pass --insecure-key to use it (development only), or import it into a keystore with \`semilattice init --key-file\``);
  }
  const mode = statSync(path).mode;
  if ((mode & 0o077) !== 0) {
    throw new KeystoreError("INSECURE_KEY_REFUSED", `${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
  }
  return { signer: signerOfPlainKey(parsePlainKey(text, path), path), kind: "plain" };
}

/**
 * Writes `text` to `path` with mode 0600: into a temporary file beside it, fsync'd, then renamed
 * over `path`, so a crash leaves the old file or the new one, never half of one. With
 * `exclusive`, an existing `path` is refused (`KEY_FILE_UNREADABLE`).
 */
export function writeSecretFile(path: string, text: string, options: { exclusive?: boolean } = {}): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    if (options.exclusive === true) {
      let exists = true;
      try {
        statSync(path);
      } catch {
        exists = false;
      }
      if (exists) throw new KeystoreError("KEY_FILE_UNREADABLE", `${path} exists already`);
    }
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeFileSync(fd, text);
      // the mode of an existing tmp file is not changed by open: check it
      if ((fstatSync(fd).mode & 0o077) !== 0) throw new KeystoreError("KEY_FILE_UNREADABLE", `${tmp}: could not be made private (mode 0600)`);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    if (error instanceof KeystoreError) throw error;
    throw new KeystoreError("KEY_FILE_UNREADABLE", `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function signerOfPlainKey(key: Hex, source: string): Signer {
  try {
    return createSigner(key);
  } catch (error) {
    throw new KeystoreError("INVALID_KEY", `${source}: not a valid secp256k1 private key (32 bytes in 1..n-1)`, { cause: error });
  }
}

function checkPassword(password: string, source = "password"): void {
  if (typeof password !== "string" || password.length === 0) throw new KeystoreError("NO_PASSWORD", `${source}: the password is empty`);
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) throw new KeystoreError("NO_PASSWORD", `${source}: the password is longer than ${MAX_PASSWORD_BYTES} bytes`);
}

/** Shape and cost checks before handing the file to the KDF (limits in the module doc). */
function checkKeystoreShape(json: string, source: string): void {
  if (json.length > MAX_KEYSTORE_BYTES) throw new KeystoreError("INVALID_KEYSTORE", `${source}: larger than ${MAX_KEYSTORE_BYTES} bytes`);
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new KeystoreError("INVALID_KEYSTORE", `${source}: not JSON: ${(error as Error).message}`);
  }
  const root = data as { version?: unknown; crypto?: unknown; Crypto?: unknown };
  if (typeof data !== "object" || data === null || root.version !== 3) throw new KeystoreError("INVALID_KEYSTORE", `${source}: not a V3 keystore (version must be 3)`);
  const crypto = (root.crypto ?? root.Crypto) as { kdf?: unknown; kdfparams?: Record<string, unknown> } | undefined;
  if (typeof crypto !== "object" || crypto === null) throw new KeystoreError("INVALID_KEYSTORE", `${source}: crypto section missing`);
  const params = crypto.kdfparams ?? {};
  if (crypto.kdf === "scrypt") {
    const problem = scryptParametersProblem({ N: params["n"] as number, r: params["r"] as number, p: params["p"] as number });
    if (problem !== undefined) throw new KeystoreError("INVALID_KEYSTORE", `${source}: ${problem}`);
  } else if (crypto.kdf === "pbkdf2") {
    const c = params["c"];
    if (typeof c !== "number" || !Number.isSafeInteger(c) || c < 1 || c > MAX_PBKDF2_C) throw new KeystoreError("INVALID_KEYSTORE", `${source}: pbkdf2 c must be in 1..${MAX_PBKDF2_C}`);
  } else {
    throw new KeystoreError("INVALID_KEYSTORE", `${source}: unsupported kdf ${JSON.stringify(crypto.kdf)} (scrypt or pbkdf2)`);
  }
}

function readBounded(path: string, maxBytes: number, what: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new KeystoreError("KEY_FILE_UNREADABLE", `cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (size > maxBytes) throw new KeystoreError(what === "password file" ? "NO_PASSWORD" : "INVALID_KEYSTORE", `${what} ${path} is larger than ${maxBytes} bytes`);
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new KeystoreError("KEY_FILE_UNREADABLE", `cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
}
