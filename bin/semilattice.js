#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli/ into dist/ by `npm run build` (also run by `npm ci`).
import { main } from "../dist/src/cli/main.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
