/**
 * The direction of imports between the parts of src/ (`.dependency-cruiser.cjs`, run by
 * `npm run lint`): the real tree passes, and a tree with an upward import, a cycle or a replay that
 * reaches above the core fails with the rule that names it.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { afterAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const config = require("../.dependency-cruiser.cjs") as { forbidden: unknown[]; options: Record<string, unknown> };

async function violations(baseDir: string, tsConfig: string): Promise<string[]> {
  const { forbidden, options } = config;
  const result = await cruise(
    ["src"],
    { ...options, baseDir, ruleSet: { forbidden } as never, validate: true, tsConfig: { fileName: tsConfig } } as never,
    undefined,
    { tsConfig: { options: { module: "NodeNext", moduleResolution: "NodeNext" } } } as never,
  );
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => `${v.rule.name} ${v.from} -> ${v.to}`);
}

describe("import direction (dependency-cruiser)", () => {
  const root = mkdtempSync(join(tmpdir(), "semilattice-layers-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it("src/ has no upward import and no cycle", async () => {
    expect(await violations(process.cwd(), "tsconfig.json")).toEqual([]);
  }, 60_000);

  it("fails on an upward import, a run-time cycle and a replay importing above the core", async () => {
    write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true }, include: ["src"] }));
    write("src/channel/replica.ts", "export const replica = 1;\n");
    write("src/core/engine.ts", 'import { replica } from "../channel/replica.js";\nexport const engine = replica;\n');
    write("src/channel/typeOnly.ts", 'import type { Clock } from "../sync/clock.js";\nexport type C = Clock;\n');
    write("src/sync/clock.ts", "export interface Clock { now(): number }\n");
    write("src/runtime/a.ts", 'import { b } from "./b.js";\nexport const a = (): number => b();\n');
    write("src/runtime/b.ts", 'import { a } from "./a.js";\nexport const b = (): number => a();\n');
    write("src/replay/load.ts", 'import { replica } from "../channel/replica.js";\nexport const load = replica;\n');
    const found = await violations(root, "tsconfig.json");
    expect(found).toContain("no-upward-from-core src/core/engine.ts -> src/channel/replica.ts");
    expect(found).toContain("no-upward-from-channel src/channel/typeOnly.ts -> src/sync/clock.ts");
    expect(found).toContain("no-cycles src/runtime/a.ts -> src/runtime/b.ts");
    expect(found).toContain("replay-imports-core-only src/replay/load.ts -> src/channel/replica.ts");
  }, 60_000);
});
