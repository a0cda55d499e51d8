/**
 * Making a node home (what `semilattice init` and the devnet do): choose or import the key, put its
 * address into the channel definition (or check that a shared definition lists it), fill node
 * settings' defaults, encrypt the key into a V3 keystore and write the home (`config.ts`'s
 * {@link writeNodeHome}: validated before anything is written, an existing home refused unless
 * `force`).
 *
 * Errors: `ConfigError` (a bad field, the key not a participant, an existing home) and
 * `KeystoreError` (no password, a bad key file, a keystore the password does not open).
 */
import type { Hex } from "../channel/identity.js";
import { ConfigError, DEFAULT_NODE_SETTINGS, writeNodeHome, type NodeHome } from "./config.js";
import { decryptKeystore, encryptKeystore, generatePrivateKey, looksLikeKeystore, parsePlainKey, SCRYPT_STANDARD, type ScryptParameters } from "./keystore.js";
import { createSigner } from "../channel/identity.js";
import type { ChannelDefinition, HexString, NodeSettings } from "./options.js";

/** File name of a plain (insecure, development) key in a home. */
export const INSECURE_KEY_FILE = "key.hex";

export interface InitNodeHomeParameters {
  dir: string;
  /**
   * The channel definition, or a function that builds it from this participant's address (for a
   * new random key, whose address is known only here). Its participants must include the address.
   */
  definition: ChannelDefinition | ((self: HexString) => ChannelDefinition);
  /** node.json fields; the rest take {@link DEFAULT_NODE_SETTINGS}. */
  settings?: Partial<NodeSettings>;
  /** Import this private key (0x + 64 hex) instead of drawing a new one. */
  privateKey?: Hex;
  /** Import a key file's text instead: a plain hex key or a V3 keystore (kept as it is, after checking that `password` opens it). */
  keyFileText?: string;
  /** Keystore password; required unless `insecureKey`. */
  password?: string;
  /** Write the key as plain hex (0600), no keystore, no password: development only. */
  insecureKey?: boolean;
  /** scrypt cost of a new keystore (default {@link SCRYPT_STANDARD}; the devnet uses `SCRYPT_LIGHT`). */
  scrypt?: ScryptParameters;
  /** Overwrite an existing home. */
  force?: boolean;
}

export interface InitNodeHomeReturnType {
  home: NodeHome;
  /** This participant's address (lower case). */
  address: HexString;
  definition: ChannelDefinition;
  settings: NodeSettings;
  /** How the key is stored. */
  keyStorage: "keystore" | "plain";
}

/** Writes a node home; see the module doc. */
export async function initNodeHome(params: InitNodeHomeParameters): Promise<InitNodeHomeReturnType> {
  if (params.privateKey !== undefined && params.keyFileText !== undefined) throw new ConfigError("init", [{ path: "key", message: "give a private key or a key file, not both" }]);
  const insecure = params.insecureKey === true;
  if (!insecure && params.password === undefined) throw new ConfigError("init", [{ path: "password", message: "a keystore needs a password (--password-file or SEMILATTICE_PASSWORD), or pass --insecure-key for a plain development key" }]);

  let privateKey: Hex;
  let keystoreText: string | undefined;
  if (params.keyFileText !== undefined && looksLikeKeystore(params.keyFileText)) {
    if (params.password === undefined) throw new ConfigError("init", [{ path: "password", message: "importing a V3 keystore needs its password" }]);
    privateKey = await decryptKeystore(params.keyFileText, params.password, "--key-file");
    if (!insecure) keystoreText = params.keyFileText;
  } else if (params.keyFileText !== undefined) {
    privateKey = parsePlainKey(params.keyFileText, "--key-file");
  } else {
    privateKey = params.privateKey === undefined ? generatePrivateKey() : parsePlainKey(params.privateKey, "private key");
  }
  const address = createSigner(privateKey).address;

  const definition = typeof params.definition === "function" ? params.definition(address) : params.definition;
  if (!definition.participants.some((p) => p.address.toLowerCase() === address)) {
    throw new ConfigError("channel definition", [{ path: "participants", message: `this node's address ${address} is not a participant` }]);
  }
  const settings: NodeSettings = {
    ...DEFAULT_NODE_SETTINGS,
    ...(insecure ? { keystoreFile: INSECURE_KEY_FILE } : {}),
    ...params.settings,
  } as NodeSettings;
  const keyFileText = insecure ? `${privateKey}\n` : (keystoreText ?? (await encryptKeystore(privateKey, params.password as string, { scrypt: params.scrypt ?? SCRYPT_STANDARD })));
  const written = writeNodeHome({ dir: params.dir, definition, settings, keyFileText, force: params.force === true });
  return { ...written, address, keyStorage: insecure ? "plain" : "keystore" };
}
