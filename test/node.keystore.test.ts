import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSigner } from "../src/channel/identity.js";
import {
  decryptKeystore,
  encryptKeystore,
  generatePrivateKey,
  KeystoreError,
  loadKeyFile,
  parsePlainKey,
  PASSWORD_ENV,
  readPassword,
  SCRYPT_LIGHT,
  scryptParametersProblem,
  writeSecretFile,
} from "../src/node/keystore.js";

/** The scrypt test vector of the Web3 Secret Storage Definition (ethereum.org), password "testpassword". */
const SPEC_SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: { dklen: 32, n: 262144, p: 8, r: 1, salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19" },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
/** The same definition's PBKDF2 vector (same key and password). */
const SPEC_PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: { c: 262144, dklen: 32, prf: "hmac-sha256", salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd" },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
/** go-ethereum's accounts/keystore/testdata/keystore/aaa: written by geth (scrypt n=8 r=8 p=16); geth's tests unlock it with "foobar". */
const GETH_AAA = {
  address: "f466859ead1932d743d622cb74fc058882e8648a",
  crypto: {
    cipher: "aes-128-ctr",
    ciphertext: "cb664472deacb41a2e995fa7f96fe29ce744471deb8d146a0e43c7898c9ddd4d",
    cipherparams: { iv: "dfd9ee70812add5f4b8f89d0811c9158" },
    kdf: "scrypt",
    kdfparams: { dklen: 32, n: 8, p: 16, r: 8, salt: "0d6769bf016d45c479213990d6a08d938469c4adad8a02ce507b4a4e7b7739f1" },
    mac: "bac9af994b15a45dd39669fc66f9aa8a3b9dd8c22cb16e4d8d7ea089d0f1a1a9",
  },
  id: "472e8b3d-afb6-45b5-8111-72c89895099a",
  version: 3,
};
const SPEC_KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

const FAST = { N: 1 << 10, r: 8, p: 1 };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "semilattice-keystore-"));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KeystoreError);
    return (error as KeystoreError).code;
  }
  throw new Error("expected a KeystoreError");
}

describe("keystore (Web3 Secret Storage, ethers v6)", () => {
  it("decrypts the specification's PBKDF2 test vector to its known key", async () => {
    const key = await decryptKeystore(JSON.stringify(SPEC_PBKDF2_VECTOR), "testpassword");
    expect(key).toBe(SPEC_KEY);
    expect(createSigner(key).address).toBe("0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
  });

  it("opens a keystore written by geth (scrypt; its test keystore `aaa`, password foobar) to the address geth lists", async () => {
    const key = await decryptKeystore(JSON.stringify(GETH_AAA), "foobar");
    expect(createSigner(key).address).toBe("0xf466859ead1932d743d622cb74fc058882e8648a");
  });

  it("refuses the specification's scrypt vector with the RFC 7914 reason (N = 2^18 ≥ 2^(16·r) for r = 1)", async () => {
    await expect(decryptKeystore(JSON.stringify(SPEC_SCRYPT_VECTOR), "testpassword")).rejects.toThrow(/below 2\^\(16·r\) = 65536 for r = 1 \(RFC 7914/);
  });

  it("refuses a wrong password, naming the file", async () => {
    const error = await decryptKeystore(JSON.stringify(SPEC_PBKDF2_VECTOR), "wrongpassword", "my.json").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeystoreError);
    expect((error as KeystoreError).code).toBe("WRONG_PASSWORD");
    expect((error as Error).message).toContain("my.json: wrong password");
  });

  it("round-trips a new key (V3, scrypt) and writes the address without 0x, as geth does", async () => {
    const key = generatePrivateKey();
    const json = await encryptKeystore(key, "hunter2", { scrypt: FAST });
    const parsed = JSON.parse(json) as { version: number; address: string; crypto: { kdf: string; kdfparams: { n: number } } };
    expect(parsed.version).toBe(3);
    expect(parsed.crypto.kdf).toBe("scrypt");
    expect(parsed.crypto.kdfparams.n).toBe(1024);
    expect(`0x${parsed.address}`).toBe(createSigner(key).address);
    expect(await decryptKeystore(json, "hunter2")).toBe(key);
    expect(await codeOf(decryptKeystore(json, "hunter3"))).toBe("WRONG_PASSWORD");
  });

  it("refuses a keystore whose address does not match its key, or altered ciphertext", async () => {
    const json = JSON.parse(await encryptKeystore(generatePrivateKey(), "pw", { scrypt: FAST })) as Record<string, unknown> & { crypto: Record<string, unknown> };
    expect(await codeOf(decryptKeystore(JSON.stringify({ ...json, address: "11".repeat(20) }), "pw"))).toBe("INVALID_KEYSTORE");
    const altered = { ...json, crypto: { ...json.crypto, ciphertext: "00".repeat(32) } };
    expect(await codeOf(decryptKeystore(JSON.stringify(altered), "pw"))).toBe("WRONG_PASSWORD");
  });

  it("refuses costly or malformed KDF parameters before deriving", async () => {
    const huge = { ...GETH_AAA, crypto: { ...GETH_AAA.crypto, kdfparams: { ...GETH_AAA.crypto.kdfparams, n: 1 << 24 } } };
    expect(await codeOf(decryptKeystore(JSON.stringify(huge), "testpassword"))).toBe("INVALID_KEYSTORE");
    const unknownKdf = { ...SPEC_SCRYPT_VECTOR, crypto: { ...SPEC_SCRYPT_VECTOR.crypto, kdf: "argon2" } };
    expect(await codeOf(decryptKeystore(JSON.stringify(unknownKdf), "testpassword"))).toBe("INVALID_KEYSTORE");
    expect(await codeOf(decryptKeystore(JSON.stringify({ ...SPEC_SCRYPT_VECTOR, version: 2 }), "testpassword"))).toBe("INVALID_KEYSTORE");
    expect(await codeOf(decryptKeystore("{not json", "testpassword"))).toBe("INVALID_KEYSTORE");
    expect(scryptParametersProblem({ N: 3000, r: 8, p: 1 })).toMatch(/power of two/);
    expect(scryptParametersProblem(SCRYPT_LIGHT)).toBeUndefined();
    await expect(encryptKeystore(generatePrivateKey(), "pw", { scrypt: { N: 1 << 20, r: 8, p: 1 } })).rejects.toThrow(/scrypt n/);
  });

  it("reads the password from a file (one trailing newline stripped) before the env var; refuses none or empty", () => {
    const dir = tmp();
    writeFileSync(join(dir, "pw"), "s3cret\n");
    expect(readPassword({ passwordFile: join(dir, "pw"), env: { [PASSWORD_ENV]: "other" } })).toBe("s3cret");
    expect(readPassword({ env: { [PASSWORD_ENV]: "from env" } })).toBe("from env");
    expect(() => readPassword({ env: {} })).toThrow(/--password-file FILE or set SEMILATTICE_PASSWORD/);
    expect(() => readPassword({ env: { [PASSWORD_ENV]: "" } })).toThrow(/empty/);
    writeFileSync(join(dir, "empty"), "\n");
    expect(() => readPassword({ passwordFile: join(dir, "empty") })).toThrow(/empty/);
    expect(() => readPassword({ passwordFile: join(dir, "missing") })).toThrow(/cannot read password file/);
  });

  it("loads a plain key only with insecureKey and only when private to its owner", async () => {
    const dir = tmp();
    const key = generatePrivateKey();
    const path = join(dir, "key.hex");
    writeSecretFile(path, `${key}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await codeOf(loadKeyFile(path))).toBe("INSECURE_KEY_REFUSED");
    const loaded = await loadKeyFile(path, { insecureKey: true });
    expect(loaded.kind).toBe("plain");
    expect(loaded.signer.address).toBe(createSigner(key).address);
    chmodSync(path, 0o644);
    expect(await codeOf(loadKeyFile(path, { insecureKey: true }))).toBe("INSECURE_KEY_REFUSED");
    expect(() => parsePlainKey("0x1234")).toThrow(/0x \+ 64 hex/);
    expect(() => parsePlainKey("00".repeat(32))).toThrow(/not a valid secp256k1 private key/);
  });

  it("loads a keystore file with the password from the environment", async () => {
    const dir = tmp();
    const key = generatePrivateKey();
    const path = join(dir, "keystore.json");
    writeSecretFile(path, await encryptKeystore(key, "pw", { scrypt: FAST }));
    const loaded = await loadKeyFile(path, { env: { [PASSWORD_ENV]: "pw" } });
    expect(loaded.kind).toBe("keystore");
    expect(loaded.signer.address).toBe(createSigner(key).address);
    expect(await codeOf(loadKeyFile(path, { env: {} }))).toBe("NO_PASSWORD");
    expect(await codeOf(loadKeyFile(path, { env: { [PASSWORD_ENV]: "nope" } }))).toBe("WRONG_PASSWORD");
    expect(readFileSync(path, "utf8")).not.toContain(key.slice(2));
  });

  it("writeSecretFile with exclusive refuses an existing file", () => {
    const dir = tmp();
    writeSecretFile(join(dir, "a"), "x");
    expect(() => writeSecretFile(join(dir, "a"), "y", { exclusive: true })).toThrow(/exists already/);
    expect(readFileSync(join(dir, "a"), "utf8")).toBe("x");
  });
});
