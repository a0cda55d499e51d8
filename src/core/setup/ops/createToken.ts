/**
 * The `createToken` op: its parameters, result, field schema, rejection codes and handler (registered in
 * `core/registry.ts`).
 */
import { MAX_DECIMALS, MAX_TOKENS, optionalAddress } from "../../accounts.js";
import { addressFor } from "../../address.js";
import { reject } from "../../errors.js";
import { defineOp, opt, req, type OpErrorType } from "../../opSchema.js";
import type { Accepted } from "../../results.js";
import type { EngineState } from "../../state.js";
import { requireId, requireInt } from "../../validate.js";

/* ───────────────────────────── setup ───────────────────────────── */

/** Registers a token. `symbol` is its id in every other op. */
export interface CreateTokenParameters {
  type: "createToken";
  symbol: string;
  /** Decimals of one whole token (USDC 6, WETH 18), 0..36. */
  decimals: number;
  /** On-chain address (0x + 40 hex); derived from the symbol when omitted (see `exit.ts`). */
  address?: string;
}

/** What an accepted `createToken` returns besides `status`. */
export type CreateTokenReturnType = { token: string };

/** Every rejection code `createToken` can return (checked by `test/ops.registry.test.ts`). */
export const createTokenErrorCodes = ["INVALID_OP", "INVALID_ID", "ALREADY_EXISTS", "LIMIT_EXCEEDED"] as const;
export type CreateTokenErrorType = OpErrorType<typeof createTokenErrorCodes>;

export function applyCreateToken(state: EngineState, op: CreateTokenParameters): Accepted<{ token: string }> {
  const symbol = requireId(op.symbol, "symbol");
  const decimals = requireInt(op.decimals, "decimals", 0, MAX_DECIMALS);
  const address = optionalAddress(op.address, "address") ?? addressFor("token", symbol);
  if (state.tokens.has(symbol)) reject("ALREADY_EXISTS", `token ${symbol} already exists`);
  for (const token of state.tokens.values()) {
    if (token.address === address) reject("ALREADY_EXISTS", `address ${address} already belongs to token ${token.symbol}`);
  }
  if (state.tokens.size >= MAX_TOKENS) reject("LIMIT_EXCEEDED", `at most ${MAX_TOKENS} tokens`);

  state.tokens.set(symbol, { symbol, decimals, address });
  state.totals.set(symbol, { deposited: 0n, withdrawn: 0n });
  return { status: "accepted", token: symbol };
}

export const createTokenOp = defineOp<CreateTokenParameters, CreateTokenReturnType>({
  type: "createToken",
  kind: "genesis",
  fields: [
    req("symbol", "string"),
    req("decimals", "int", { doc: "0..36" }),
    opt("address", "string"),
  ],
  handler: applyCreateToken,
  rejects: createTokenErrorCodes,
  docs: {
    section: "core",
    result: "`token`",
  },
});
