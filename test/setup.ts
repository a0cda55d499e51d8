/**
 * Test setup: fast-check runs from a fixed seed, so `npm test` (and CI) is reproducible; a property
 * that fails names its seed and path. Explore other seeds with `FC_SEED=<n> npx vitest run`, and turn
 * any counterexample found that way into a regression test (see test/lockswap.route.test.ts).
 */
import fc from "fast-check";

const fromEnv = process.env["FC_SEED"];
fc.configureGlobal({ seed: fromEnv === undefined || fromEnv === "" ? 20_261_121 : Number(fromEnv) });
