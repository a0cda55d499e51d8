/**
 * The direction of imports between the parts of src/ (docs/architecture.md, "Layers"), checked by
 * `npm run lint` (and so by `npm test`). Lowest first; a part may import only the parts below it:
 *
 *   core ← runtime ← channel ← sync ← settlement ← node ← route ← api ← cli
 *
 * replay (real-data loaders and replays) imports only core, and only the cli imports it.
 * src/index.ts is the package root: it may import every part, and no part imports it.
 * No cycles between files anywhere in src/.
 */
const LAYERS = ["core", "runtime", "channel", "sync", "settlement", "node", "route", "api", "cli"];

/** One rule per layer: nothing in it imports a layer above it. */
const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  comment: `src/${layer} is below ${LAYERS.slice(i + 1).join(", ")}: it must not import them (docs/architecture.md, Layers).`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(i + 1).join("|")})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: "replay-imports-core-only",
      comment: "src/replay replays real data through the engine: it imports src/core only.",
      severity: "error",
      from: { path: "^src/replay/" },
      to: { path: "^src/", pathNot: "^src/(core|replay)/" },
    },
    {
      name: "only-cli-imports-replay",
      comment: "Only the cli (and the package root) loads real data through src/replay.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(cli|replay|api)/|^src/index\\.ts$" },
      to: { path: "^src/replay/" },
    },
    {
      name: "nothing-imports-the-package-root",
      comment: "src/index.ts re-exports the parts; a part importing it would import everything.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^src/index\\.ts$" },
    },
    {
      name: "no-cycles",
      comment: "Files must not import each other in a cycle of run-time imports (a cycle of `import type` only is erased by the compiler).",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".d.ts"] },
  },
};
