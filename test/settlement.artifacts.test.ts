/** The contracts' artifacts (src/settlement/artifacts.ts): built ones used while current, the sources compiled otherwise, a clear error in a package without them. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArtifactNotFoundError, ARTIFACTS_FILE, loadArtifact } from "../src/settlement/artifacts.js";
import { compileContracts } from "../src/settlement/compile.js";

describe("loadArtifact", () => {
  it("in this checkout returns the current sources' compiled contract", () => {
    const compiled = compileContracts();
    expect(loadArtifact("Adjudicator")).toEqual(compiled["Adjudicator"]);
    expect(loadArtifact("MaliciousToken")).toEqual(compiled["MaliciousToken"]); // test-only: compiled, not shipped
  });

  it("in a package without contracts/ uses the built file, and names what is missing", () => {
    const root = mkdtempSync(join(tmpdir(), "semilattice-pkg-"));
    writeFileSync(join(root, "package.json"), "{}");
    expect(() => loadArtifact("Adjudicator", root)).toThrow(ArtifactNotFoundError);
    expect(() => loadArtifact("Adjudicator", root)).toThrow(/no compiled contract Adjudicator/);
    const other = mkdtempSync(join(tmpdir(), "semilattice-pkg-"));
    writeFileSync(join(other, "package.json"), "{}");
    mkdirSync(join(other, "dist", "artifacts"), { recursive: true });
    const adjudicator = compileContracts()["Adjudicator"]!;
    writeFileSync(join(other, ARTIFACTS_FILE), JSON.stringify({ solcVersion: "x", sources: {}, contracts: { Adjudicator: adjudicator } }));
    expect(loadArtifact("Adjudicator", other)).toEqual(adjudicator);
    expect(() => loadArtifact("TestToken", other)).toThrow(/has Adjudicator/);
  });
});
