/**
 * Sealed batches (issue 17, docs/sealing.md): a payload encrypted under a fresh key that is
 * Shamir-shared t of n among the participants, opened only once its place in the order is final.
 */
export { SEALING_LIMITS, SealingError, SealingErrorCodes, type SealingErrorCode } from "./errors.js";
export { faultTolerance, sealingThreshold, assertThreshold } from "./threshold.js";
export {
  seal,
  sealCommitmentDigest,
  assertSealedPayloadShape,
  SEAL_VERSION,
  type SealCommitment,
  type SealedPayload,
  type SealedShare,
  type SealParameters,
  type SealRecipient,
  type SealReturnType,
} from "./seal.js";
export { blameShare, checkOwnShare, revealShare, verifyRevealedShare, type RevealedShare, type VerifiedShare } from "./share.js";
export { chooseShares, open, tooManyBogusShares, type OpenResult, type UndecryptableReason } from "./open.js";
export { measureSealingCost, type SealingCost, type MeasureSealingCostParameters } from "./cost.js";
