// ESLint flat config: typescript-eslint's recommended rules over src/, test/ and bench/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "cache/**", "artifacts/**", "out/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // CommonJS tool configs (.dependency-cruiser.cjs).
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
  {
    // Plain-JS launchers, build scripts and examples run on Node.
    files: ["bin/**/*.js", "scripts/**/*.mjs", "examples/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // The engine must be deterministic: no clock, no randomness, no floats from parsing.
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "src/core is deterministic: time enters through ops." },
        { object: "Math", property: "random", message: "src/core is deterministic: no randomness." },
        { object: "performance", property: "now", message: "src/core is deterministic: no clock." },
      ],
      "no-restricted-globals": ["error", "parseFloat"],
    },
  },
);
