/**
 * Errors of the settlement part (chain connection, adjudicator client, settlement session): one
 * class, {@link SettlementError}, with a stable code. A reverted contract call is
 * `ContractRevertError` (`client.ts`), which names the contract's custom error.
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../core/errors.js";

export type SettlementErrorCode =
  /** A parameter out of range or malformed (an address, an amount, a quorum, a URL). */
  | "INVALID_PARAMETER"
  /** A transaction was mined but failed, or a deployment created no contract. */
  | "TRANSACTION_FAILED"
  /** A mined transaction lacks the event the contract emits on success. */
  | "EVENT_MISSING"
  /** The chain returned a state this client does not know. */
  | "UNKNOWN_STATE"
  /** An engine, certificate or record does not match what it is used for. */
  | "MISMATCH"
  /** A party, token or contract named that does not exist here. */
  | "NOT_FOUND";

export class SettlementError extends SemilatticeError {
  override readonly name = "SettlementError";
  declare readonly code: SettlementErrorCode;
  constructor(code: SettlementErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}
