/**
 * Where the real market data lives: `../shared/data/` beside the project root (see its README).
 * Overridable with the `SEMILATTICE_DATA` environment variable or the CLI's `--data` flag.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root: the nearest folder above this module holding package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("semilattice: cannot find the project root (package.json) above " + fileURLToPath(import.meta.url));
}

/** `$SEMILATTICE_DATA`, else `<project root>/../shared/data`. */
export function defaultDataDir(): string {
  const fromEnv = process.env["SEMILATTICE_DATA"];
  return fromEnv !== undefined && fromEnv !== "" ? resolve(fromEnv) : resolve(projectRoot(), "..", "shared", "data");
}
