/** The `keccak` package (CommonJS, no bundled types): only what src/core/keccak.ts uses. */
declare module "keccak" {
  interface KeccakHash {
    update(data: Buffer | string): KeccakHash;
    digest(): Buffer;
    digest(encoding: "hex"): string;
  }
  export default function createKeccakHash(algorithm: "keccak224" | "keccak256" | "keccak384" | "keccak512"): KeccakHash;
}
