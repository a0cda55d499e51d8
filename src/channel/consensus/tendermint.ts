/**
 * Tendermint consensus for one height: a pure, synchronous state machine that implements Algorithm 1
 * of Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus" (arXiv:1807.04938, revised
 * November 2019, page 6). Comments `L<n>` cite that algorithm's line numbers (the text is reproduced
 * in e.g. the Malachite spec `specs/consensus/pseudo-code.md`; note that copy's line 58 reads
 * `step_p = prevote`, the paper's reads `step_p = propose`, which is what is implemented here).
 *
 * Shape. {@link Tendermint.step} takes one {@link ConsensusInput} (a signed proposal or vote, a
 * timeout event, a validity verdict, or `start`) and returns the {@link ConsensusOutput}s it caused
 * (broadcast a signed message, schedule a timeout, ask the host whether a value is valid, decide,
 * report equivocation). There is no clock and no randomness inside: timeouts are events the host
 * schedules and feeds back, so a run is a function of its inputs.
 *
 * One instance runs one height h_p. The paper's L52–L54 (h_p ← h_p + 1, reset the locks and the
 * message log, StartRound(0)) is done by the host creating a fresh instance for the next height.
 *
 * Values are opaque 32-byte ids (the host's id(v), e.g. the keccak of a checkpoint value's canonical
 * encoding); nil is `null`. valid(v) is asked of the host: the optional synchronous `validValue`
 * callback answers at once, or returns `undefined` ("not known yet", e.g. batches are being fetched),
 * and the machine emits `{type: "validate"}` once per value and waits for a `{type: "validity"}`
 * input. Waiting is bounded by the algorithm itself: while the verdict is pending no rule that needs
 * valid(v) fires, so after timeoutPropose(r) the replica prevotes nil (L57–L60) and the round goes on.
 *
 * Quorums. With n participants of equal power, f = ⌊(n − 1)/3⌋ and the paper's "2f + 1" is the
 * quorum q = ⌊2n/3⌋ + 1 (> 2n/3: 2 of 2, 3 of 3, 3 of 4, 5 of 7, 7 of 10) and "f + 1" is f + 1 (L55).
 * For n = 2 and 3, f = 0 and q = n: unanimity.
 *
 * Messages are EIP-712 typed data (`checkpointTypes.ts`: `Proposal`, `Vote`) under the channel's
 * domain, signed by an injected {@link Signer} (`identity.ts`); incoming signatures are recovered
 * with an injectable `recover` (default `identity.recoverAddress`). Each participant
 * counts once per value it signed; a second, different prevote or precommit (or proposal) at the same
 * height and round is equivocation: both signed messages are kept as {@link Equivocation} evidence.
 *
 * Bad input throws {@link ConsensusError} with a stable code and changes nothing. Limits: rounds at
 * most `maxRound` and at most `maxRoundsAhead` above the current round; at most
 * `maxProposalsPerRound` distinct proposals per round are kept (more is only further evidence).
 */
import { SemilatticeError, type SemilatticeErrorParameters } from "../../core/errors.js";
import { maxFaulty, quorum } from "../../runtime/quorum.js";
import type { Hex, Signer } from "../identity.js";
import { recoverAddress } from "../identity.js";
import { NIL_ID, proposalDigest, voteDigest, VOTE_TYPE_PRECOMMIT, VOTE_TYPE_PREVOTE } from "../checkpointTypes.js";

export type Step = "propose" | "prevote" | "precommit";
const STEP_ORDER: Record<Step, number> = { propose: 0, prevote: 1, precommit: 2 };

/** ⟨PROPOSAL, h, r, v, vr⟩ signed by its sender (L19). */
export interface SignedProposal {
  kind: "proposal";
  height: number;
  round: number;
  valueId: Hex;
  /** vr: the proposer's validRound, −1 if none. */
  validRound: number;
  sender: Hex;
  signature: Uint8Array;
}

/** ⟨PREVOTE, h, r, id(v)⟩ or ⟨PRECOMMIT, h, r, id(v)⟩; `valueId` null is nil. */
export interface SignedVote {
  kind: "prevote" | "precommit";
  height: number;
  round: number;
  valueId: Hex | null;
  sender: Hex;
  signature: Uint8Array;
}

export type ConsensusMessage = SignedProposal | SignedVote;

/** Two conflicting signed messages by one participant at one height, round and kind. */
export interface Equivocation {
  kind: "proposal" | "prevote" | "precommit";
  sender: Hex;
  height: number;
  round: number;
  a: ConsensusMessage;
  b: ConsensusMessage;
}

export type ConsensusInput =
  /** L10: upon start do StartRound(0). */
  | { type: "start" }
  | { type: "message"; message: ConsensusMessage }
  /** A timeout the host scheduled (a `schedule` output) has expired. */
  | { type: "timeout"; step: Step; height: number; round: number }
  /** The host's verdict valid(v) for a value it was asked about. */
  | { type: "validity"; valueId: Hex; valid: boolean }
  /** The host now has a value: a proposer whose getValue() returned undefined in this round proposes now. */
  | { type: "valueReady" };

export type ConsensusOutput =
  | { type: "broadcast"; message: ConsensusMessage }
  /** Feed `{type: "timeout", step, height, round}` back after `delayMs` (L21, L35, L48). */
  | { type: "schedule"; step: Step; height: number; round: number; delayMs: number }
  /** valid(v) is needed: answer with a `validity` input (after fetching what is missing, if need be). */
  | { type: "validate"; valueId: Hex; height: number; round: number }
  /** L51: decision_p[h_p] = v, with the proposal and the 2f + 1 precommits that justify it. */
  | { type: "decide"; height: number; round: number; valueId: Hex; proposal: SignedProposal; commit: SignedVote[] }
  | { type: "evidence"; evidence: Equivocation };

export type ConsensusErrorCode =
  | "INVALID_CONFIG"
  | "MALFORMED"
  | "WRONG_HEIGHT"
  | "NOT_PARTICIPANT"
  | "BAD_SIGNATURE"
  | "NOT_PROPOSER"
  | "ROUND_LIMIT"
  | "NOT_STARTED";

export class ConsensusError extends SemilatticeError {
  override readonly name = "ConsensusError";
  declare readonly code: ConsensusErrorCode;
  constructor(code: ConsensusErrorCode, message: string, parameters?: SemilatticeErrorParameters) {
    super(code, message, parameters);
  }
}

/** timeoutX(r) = baseMs + r · deltaMs for each step (the paper requires them to grow with r). */
export interface TimeoutConfig {
  proposeBaseMs: number;
  proposeDeltaMs: number;
  prevoteBaseMs: number;
  prevoteDeltaMs: number;
  precommitBaseMs: number;
  precommitDeltaMs: number;
}

/** CometBFT's defaults are 3000/500, 1000/500, 1000/500 ms; a channel's peers are few and close. */
export const DEFAULT_TIMEOUTS: Readonly<TimeoutConfig> = Object.freeze({
  proposeBaseMs: 200,
  proposeDeltaMs: 100,
  prevoteBaseMs: 100,
  prevoteDeltaMs: 50,
  precommitBaseMs: 100,
  precommitDeltaMs: 50,
});

export interface ConsensusLimits {
  /** Largest round accepted. Default 1_000_000 (the Proposal type carries uint32/int32 rounds). */
  maxRound: number;
  /** Messages more than this many rounds above round_p are refused. Default 64. */
  maxRoundsAhead: number;
  /** Distinct proposals kept per round (a correct proposer sends one). Default 4. */
  maxProposalsPerRound: number;
  /** Distinct votes of one kind kept per sender and round (a correct one sends one). Default 4. */
  maxVotesPerSender: number;
}

export const DEFAULT_CONSENSUS_LIMITS: Readonly<ConsensusLimits> = Object.freeze({ maxRound: 1_000_000, maxRoundsAhead: 64, maxProposalsPerRound: 4, maxVotesPerSender: 4 });

export interface TendermintConfig {
  /** bytes32 channel id (in every signed message). */
  channelId: Hex;
  /** EIP-712 domain separator of the channel (`batch.ts` domainSeparator). */
  separator: Uint8Array;
  /** Participants' addresses (lower-case), in the channel's fixed order: proposer rotation follows it. */
  participants: readonly Hex[];
  height: number;
  /** This replica's signer; undefined for an observer (follows and decides, never sends). */
  signer?: Signer;
  /** L18 getValue(): the id of the value to propose, or undefined when there is none (see {@link Tendermint}). */
  getValue: (height: number, round: number) => Hex | undefined;
  /** valid(v) when known synchronously; undefined = ask the host with a `validate` output. */
  validValue?: (valueId: Hex) => boolean | undefined;
  /** Recovers the signer of a 32-byte digest; default `identity.recoverAddress`. Must be pure. */
  recover?: (digest: Uint8Array, signature: Uint8Array) => Hex | undefined;
  timeouts?: Partial<TimeoutConfig>;
  limits?: Partial<ConsensusLimits>;
}

export { quorum, maxFaulty };

/** proposer(h, r): deterministic round-robin over the participants' fixed order. */
export function proposerIndex(n: number, height: number, round: number): number {
  return (height + round) % n;
}

/** The EIP-712 digest a vote or proposal is signed over. */
export function messageDigest(separator: Uint8Array, channelId: Hex, m: Omit<ConsensusMessage, "sender" | "signature">): Uint8Array {
  if (m.kind === "proposal") {
    const p = m as Omit<SignedProposal, "sender" | "signature">;
    return proposalDigest(separator, { channelId, height: p.height, round: p.round, valueId: p.valueId, validRound: p.validRound });
  }
  const v = m as Omit<SignedVote, "sender" | "signature">;
  return voteDigest(separator, { channelId, height: v.height, round: v.round, voteType: v.kind === "prevote" ? VOTE_TYPE_PREVOTE : VOTE_TYPE_PRECOMMIT, valueId: v.valueId ?? NIL_ID });
}

/**
 * Per-round message log. The paper counts messages of a form from distinct processes: "2f + 1
 * ⟨PRECOMMIT, h, r, id(v)⟩" is 2f + 1 distinct senders of such a message, so an equivocator counts
 * towards each value it signed (it is one of the ≤ f faulty; quorum intersection still holds). This
 * matters for liveness: a replica that first saw an equivocator's nil must still be convinced by the
 * precommits for v that made the others decide. Tallies are the sets of distinct senders per value
 * id ("nil" for nil).
 */
class RoundLog {
  /** Proposals from proposer(h, r) by value id, first first. */
  readonly proposals = new Map<Hex, SignedProposal>();
  /** Each sender's distinct votes of the round (a correct one sends one), capped by `maxVotesPerSender`. */
  readonly prevotes = new Map<Hex, SignedVote[]>();
  readonly precommits = new Map<Hex, SignedVote[]>();
  readonly prevoteTally = new Map<string, Set<Hex>>();
  readonly precommitTally = new Map<string, Set<Hex>>();
  /** Distinct senders of any message of this round (L55). */
  readonly senders = new Set<Hex>();
  /** "for the first time" flags of L34, L36, L47. */
  prevoteTimeoutScheduled = false;
  lockRuleFired = false;
  precommitTimeoutScheduled = false;
}

const tallyKey = (id: Hex | null): string => id ?? "nil";
const count = (tally: Map<string, Set<Hex>>, key: string): number => tally.get(key)?.size ?? 0;

export class Tendermint {
  readonly height: number;
  readonly n: number;
  readonly q: number;
  readonly f: number;
  private readonly cfg: TendermintConfig;
  private readonly timeouts: TimeoutConfig;
  private readonly limits: ConsensusLimits;
  private readonly members: Map<Hex, number>;
  private readonly recover: (digest: Uint8Array, signature: Uint8Array) => Hex | undefined;

  // L2–L9 (h_p is `height`; decision_p[h_p] is `decision`)
  private round_ = 0;
  /** The proposer of round_p had no value at StartRound (see startRound). */
  private awaitingValue = false;
  private step_: Step = "propose";
  private lockedValue: Hex | null = null;
  private lockedRound = -1;
  private validValue: Hex | null = null;
  private validRound = -1;
  private decision_: Extract<ConsensusOutput, { type: "decide" }> | undefined;

  private started = false;
  private readonly rounds = new Map<number, RoundLog>();
  private readonly validity = new Map<Hex, boolean>();
  private readonly validationAsked = new Set<Hex>();
  private readonly evidence_: Equivocation[] = [];
  private readonly own: ConsensusMessage[] = [];

  constructor(config: TendermintConfig) {
    const n = config.participants?.length ?? 0;
    if (n < 1) throw new ConsensusError("INVALID_CONFIG", "participants must be non-empty");
    if (!Number.isSafeInteger(config.height) || config.height < 0) throw new ConsensusError("INVALID_CONFIG", "height must be a non-negative safe integer");
    if (!/^0x[0-9a-f]{64}$/.test(config.channelId)) throw new ConsensusError("INVALID_CONFIG", "channelId must be lower-case 0x + 64 hex digits");
    if (!(config.separator instanceof Uint8Array) || config.separator.length !== 32) throw new ConsensusError("INVALID_CONFIG", "separator must be 32 bytes");
    this.members = new Map(config.participants.map((a, i) => [a.toLowerCase() as Hex, i]));
    if (this.members.size !== n) throw new ConsensusError("INVALID_CONFIG", "participants must be distinct");
    if (config.signer !== undefined && !this.members.has(config.signer.address)) throw new ConsensusError("INVALID_CONFIG", `signer ${config.signer.address} is not a participant`);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...(config.timeouts ?? {}) };
    for (const [k, v] of Object.entries(this.timeouts)) if (!Number.isSafeInteger(v) || v < 0) throw new ConsensusError("INVALID_CONFIG", `timeout ${k} must be a non-negative integer`);
    this.limits = { ...DEFAULT_CONSENSUS_LIMITS, ...(config.limits ?? {}) };
    for (const [k, v] of Object.entries(this.limits)) if (!Number.isSafeInteger(v) || v < 1) throw new ConsensusError("INVALID_CONFIG", `limit ${k} must be a positive integer`);
    this.cfg = config;
    this.height = config.height;
    this.n = n;
    this.q = quorum(n);
    this.f = maxFaulty(n);
    this.recover = config.recover ?? recoverAddress;
  }

  /* ─────────────── queries ─────────────── */

  get round(): number {
    return this.round_;
  }
  get currentStep(): Step {
    return this.step_;
  }
  get isStarted(): boolean {
    return this.started;
  }
  /** The decision of this height (value, round, proposal and commit), once made. */
  get decision(): Extract<ConsensusOutput, { type: "decide" }> | undefined {
    return this.decision_;
  }
  get locked(): { value: Hex | null; round: number } {
    return { value: this.lockedValue, round: this.lockedRound };
  }
  get valid(): { value: Hex | null; round: number } {
    return { value: this.validValue, round: this.validRound };
  }
  /** proposer(h_p, r). */
  proposer(round: number): Hex {
    return this.cfg.participants[proposerIndex(this.n, this.height, round)]!.toLowerCase() as Hex;
  }
  evidence(): readonly Equivocation[] {
    return this.evidence_;
  }
  /** Messages this replica signed at this height, in order (for retransmission by the host). */
  ownMessages(): readonly ConsensusMessage[] {
    return this.own;
  }
  /**
   * Every validly signed proposal and vote this instance has recorded from others, all rounds of
   * this height (bounded by the limits on rounds, proposals per round and votes per sender). The host
   * relays them: the algorithm assumes a message received by one correct process eventually reaches
   * every correct process (paper §2, "gossip"), which own retransmission alone does not give when the
   * author itself is cut off or silent.
   */
  receivedMessages(): ConsensusMessage[] {
    const out: ConsensusMessage[] = [];
    const self = this.cfg.signer?.address.toLowerCase();
    for (const log of this.rounds.values()) {
      for (const p of log.proposals.values()) if (p.sender !== self) out.push(p);
      for (const votes of log.prevotes.values()) for (const v of votes) if (v.sender !== self) out.push(v);
      for (const votes of log.precommits.values()) for (const v of votes) if (v.sender !== self) out.push(v);
    }
    return out;
  }
  /** timeoutPropose/Prevote/Precommit(r) = base + r · delta. */
  timeout(step: Step, round: number): number {
    const t = this.timeouts;
    if (step === "propose") return t.proposeBaseMs + round * t.proposeDeltaMs;
    if (step === "prevote") return t.prevoteBaseMs + round * t.prevoteDeltaMs;
    return t.precommitBaseMs + round * t.precommitDeltaMs;
  }

  /**
   * Crash recovery: resumes this height from the messages this replica had signed at it before a
   * crash (its write-ahead log, in signing order). What a correct process must not forget across a
   * restart is what it signed — re-voting differently in a round it already voted in is equivocation
   * (Tendermint persists exactly this: the consensus WAL and the signer's last-sign state). Restored:
   * round_p = the highest round signed in; step_p = the step after the last message of that round
   * (proposal ⇒ propose, prevote ⇒ prevote, precommit ⇒ precommit), so no rule signs again what was
   * signed; lockedValue_p/lockedRound_p = the latest non-nil own precommit (L38–L40 lock exactly when
   * precommitting a value), validValue_p/validRound_p the same (a liveness hint, recomputed from
   * prevotes as they arrive). The current step's timeout is scheduled (L21/L35/L48 may have fired
   * before the crash; scheduling again only affects liveness). Call on a fresh instance, before any
   * other input; an empty log is a no-op (the host starts the height normally).
   *
   * Throws ConsensusError MALFORMED if a message is not this replica's, or of another height, or the
   * log signs two different messages of one kind in one round (the log is not this instance's).
   */
  restore(signed: readonly ConsensusMessage[]): ConsensusOutput[] {
    const out: ConsensusOutput[] = [];
    if (signed.length === 0) return out;
    if (this.started) throw new ConsensusError("MALFORMED", "restore needs a fresh instance");
    const self = this.cfg.signer?.address.toLowerCase();
    if (self === undefined) throw new ConsensusError("MALFORMED", "an observer signs nothing to restore");
    let round = 0;
    for (const m of signed) {
      if (m.sender.toLowerCase() !== self || m.height !== this.height) throw new ConsensusError("MALFORMED", "restore takes this replica's own messages of this height");
      if (!Number.isSafeInteger(m.round) || m.round < 0 || m.round > this.limits.maxRound) throw new ConsensusError("MALFORMED", "round out of range");
      const log = this.log(m.round);
      const mine = m.kind === "proposal" ? [...log.proposals.values()] : (m.kind === "prevote" ? log.prevotes : log.precommits).get(m.sender) ?? [];
      if (mine.length > 0) throw new ConsensusError("MALFORMED", `two own ${m.kind}s in round ${m.round}`);
      this.store(m, out);
      this.own.push(m);
      round = Math.max(round, m.round);
      if (m.kind === "precommit" && m.valueId !== null && m.round >= this.lockedRound) {
        this.lockedValue = this.validValue = m.valueId;
        this.lockedRound = this.validRound = m.round;
      }
    }
    const last = this.rounds.get(round)!;
    const step: Step = last.precommits.has(self as Hex) ? "precommit" : last.prevotes.has(self as Hex) ? "prevote" : "propose";
    this.started = true;
    this.round_ = round;
    this.step_ = step;
    out.push({ type: "schedule", step, height: this.height, round, delayMs: this.timeout(step, round) });
    this.run(out);
    return out;
  }

  /* ─────────────── input ─────────────── */

  /** Applies one input; returns what it caused. Throws {@link ConsensusError} on bad input (nothing changes then). */
  step(input: ConsensusInput): ConsensusOutput[] {
    const out: ConsensusOutput[] = [];
    switch (input?.type) {
      case "start":
        if (!this.started) {
          this.started = true;
          this.startRound(0, out); // L10
        }
        break;
      case "message":
        if (!this.record(input.message, out)) return out;
        break;
      case "timeout":
        this.onTimeout(input, out);
        break;
      case "valueReady":
        if (this.started && this.awaitingValue && this.step_ === "propose" && this.decision_ === undefined) {
          const proposal = this.validValue ?? this.cfg.getValue(this.height, this.round_) ?? null;
          if (proposal !== null) {
            this.awaitingValue = false;
            // L19 (late): broadcast ⟨PROPOSAL, h_p, round_p, proposal, validRound_p⟩
            this.broadcast({ kind: "proposal", height: this.height, round: this.round_, valueId: proposal, validRound: this.validRound }, out);
          }
        }
        break;
      case "validity":
        if (typeof input.valueId !== "string" || typeof input.valid !== "boolean") throw new ConsensusError("MALFORMED", "validity needs valueId and valid");
        this.validity.set(input.valueId.toLowerCase() as Hex, input.valid);
        break;
      default:
        throw new ConsensusError("MALFORMED", `unknown input type ${String((input as { type?: unknown })?.type)}`);
    }
    if (this.started) this.run(out);
    return out;
  }

  /* ─────────────── the algorithm ─────────────── */

  /** L11–L21: StartRound(round). */
  private startRound(round: number, out: ConsensusOutput[]): void {
    this.awaitingValue = false;
    this.round_ = round; // L12
    this.step_ = "propose"; // L13
    if (this.cfg.signer !== undefined && this.proposer(round) === this.cfg.signer.address) {
      // L14
      // L15–L18: validValue_p if any, else getValue()
      const proposal = this.validValue ?? this.cfg.getValue(this.height, round) ?? null;
      if (proposal !== null) {
        // L19: broadcast ⟨PROPOSAL, h_p, round_p, proposal, validRound_p⟩
        this.broadcast({ kind: "proposal", height: this.height, round, valueId: proposal, validRound: this.validRound }, out);
        return;
      }
      // No value yet (the host has nothing to propose): L18's getValue() would block; instead the
      // round's timeoutPropose is scheduled as for a non-proposer (L21), and a `valueReady` input
      // before it fires (or before this replica leaves the propose step) does L15–L19 then.
      this.awaitingValue = true;
    }
    // L21: schedule OnTimeoutPropose(h_p, round_p) after timeoutPropose(round_p)
    out.push({ type: "schedule", step: "propose", height: this.height, round, delayMs: this.timeout("propose", round) });
  }

  /** L57–L67: OnTimeoutPropose / OnTimeoutPrevote / OnTimeoutPrecommit. */
  private onTimeout(t: Extract<ConsensusInput, { type: "timeout" }>, out: ConsensusOutput[]): void {
    if (!this.started || this.decision_ !== undefined) return;
    if (t.height !== this.height || t.round !== this.round_) return; // L58, L62, L66: height = h_p ∧ round = round_p
    if (t.step === "propose") {
      if (this.step_ === "propose") {
        // L58
        this.vote("prevote", null, out); // L59
        this.step_ = "prevote"; // L60
      }
    } else if (t.step === "prevote") {
      if (this.step_ === "prevote") {
        // L62
        this.vote("precommit", null, out); // L63
        this.step_ = "precommit"; // L64
      }
    } else if (t.step === "precommit") {
      this.startRound(this.round_ + 1, out); // L67
    } else {
      throw new ConsensusError("MALFORMED", `unknown timeout step ${String(t.step)}`);
    }
  }

  /** Evaluates the upon rules until none fires. */
  private run(out: ConsensusOutput[]): void {
    for (;;) {
      if (this.decision_ !== undefined) return;
      if (this.ruleDecide(out)) return; // L49
      if (this.ruleRoundSkip(out)) continue; // L55
      const log = this.log(this.round_);
      if (this.step_ === "propose" && this.ruleProposal(log, out)) continue; // L22, L28
      // L34: upon 2f+1 ⟨PREVOTE, h_p, round_p, ∗⟩ while step_p = prevote for the first time
      if (this.step_ === "prevote" && !log.prevoteTimeoutScheduled && log.prevotes.size >= this.q) {
        log.prevoteTimeoutScheduled = true;
        out.push({ type: "schedule", step: "prevote", height: this.height, round: this.round_, delayMs: this.timeout("prevote", this.round_) }); // L35
      }
      if (this.ruleLock(log, out)) continue; // L36
      // L44: upon 2f+1 ⟨PREVOTE, h_p, round_p, nil⟩ while step_p = prevote
      if (this.step_ === "prevote" && count(log.prevoteTally, "nil") >= this.q) {
        this.vote("precommit", null, out); // L45
        this.step_ = "precommit"; // L46
        continue;
      }
      // L47: upon 2f+1 ⟨PRECOMMIT, h_p, round_p, ∗⟩ for the first time
      if (!log.precommitTimeoutScheduled && log.precommits.size >= this.q) {
        log.precommitTimeoutScheduled = true;
        out.push({ type: "schedule", step: "precommit", height: this.height, round: this.round_, delayMs: this.timeout("precommit", this.round_) }); // L48
      }
      return;
    }
  }

  /** L22–L33: the proposal of round_p, while step_p = propose. */
  private ruleProposal(log: RoundLog, out: ConsensusOutput[]): boolean {
    for (const p of log.proposals.values()) {
      if (p.validRound === -1) {
        // L22: ⟨PROPOSAL, h_p, round_p, v, −1⟩ from proposer(h_p, round_p) while step_p = propose
        const valid = this.isValid(p.valueId, p.round, out);
        if (valid === undefined) continue; // verdict pending: wait (bounded by timeoutPropose, L57)
        // L23: valid(v) ∧ (lockedRound_p = −1 ∨ lockedValue_p = v)
        const yes = valid && (this.lockedRound === -1 || this.lockedValue === p.valueId);
        this.vote("prevote", yes ? p.valueId : null, out); // L24 / L26
        this.step_ = "prevote"; // L27
        return true;
      }
      // L28: ⟨PROPOSAL, h_p, round_p, v, vr⟩ AND 2f+1 ⟨PREVOTE, h_p, vr, id(v)⟩ while step_p = propose ∧ (vr ≥ 0 ∧ vr < round_p)
      if (p.validRound >= 0 && p.validRound < this.round_) {
        const pol = this.rounds.get(p.validRound);
        if (pol === undefined || count(pol.prevoteTally, p.valueId) < this.q) continue;
        const valid = this.isValid(p.valueId, p.round, out);
        if (valid === undefined) continue;
        // L29: valid(v) ∧ (lockedRound_p ≤ vr ∨ lockedValue_p = v)
        const yes = valid && (this.lockedRound <= p.validRound || this.lockedValue === p.valueId);
        this.vote("prevote", yes ? p.valueId : null, out); // L30 / L32
        this.step_ = "prevote"; // L33
        return true;
      }
    }
    return false;
  }

  /** L36–L43: proposal of round_p AND 2f+1 prevotes for it, while valid(v) ∧ step_p ≥ prevote, for the first time. */
  private ruleLock(log: RoundLog, out: ConsensusOutput[]): boolean {
    if (log.lockRuleFired || STEP_ORDER[this.step_] < STEP_ORDER.prevote) return false;
    for (const p of log.proposals.values()) {
      if (count(log.prevoteTally, p.valueId) < this.q) continue;
      if (this.isValid(p.valueId, p.round, out) !== true) continue;
      log.lockRuleFired = true;
      if (this.step_ === "prevote") {
        // L37
        this.lockedValue = p.valueId; // L38
        this.lockedRound = this.round_; // L39
        this.vote("precommit", p.valueId, out); // L40
        this.step_ = "precommit"; // L41
      }
      this.validValue = p.valueId; // L42
      this.validRound = this.round_; // L43
      return true;
    }
    return false;
  }

  /** L49–L54: a proposal of some round r AND 2f+1 precommits for it in r, while decision_p[h_p] = nil. */
  private ruleDecide(out: ConsensusOutput[]): boolean {
    for (const [r, log] of this.rounds) {
      if (log.precommits.size < this.q) continue;
      for (const p of log.proposals.values()) {
        if (count(log.precommitTally, p.valueId) < this.q) continue;
        if (this.isValid(p.valueId, r, out) !== true) continue; // L50: if valid(v)
        const commit = [...log.precommits.values()].map((vs) => vs.find((v) => v.valueId === p.valueId)).filter((v): v is SignedVote => v !== undefined);
        // L51: decision_p[h_p] = v. L52–L54 (next height) is the host's: it starts a new instance.
        this.decision_ = { type: "decide", height: this.height, round: r, valueId: p.valueId, proposal: p, commit };
        out.push(this.decision_);
        return true;
      }
    }
    return false;
  }

  /** L55–L56: f+1 ⟨∗, h_p, round, ∗, ∗⟩ with round > round_p ⇒ StartRound(round) (the highest such round). */
  private ruleRoundSkip(out: ConsensusOutput[]): boolean {
    let best = -1;
    for (const [r, log] of this.rounds) if (r > this.round_ && r > best && log.senders.size >= this.f + 1) best = r;
    if (best < 0) return false;
    this.startRound(best, out);
    return true;
  }

  /** valid(v): cached verdict, the synchronous callback, or ask the host (once) and return undefined. */
  private isValid(valueId: Hex, round: number, out: ConsensusOutput[]): boolean | undefined {
    const known = this.validity.get(valueId);
    if (known !== undefined) return known;
    const now = this.cfg.validValue?.(valueId);
    if (now !== undefined) {
      this.validity.set(valueId, now);
      return now;
    }
    if (!this.validationAsked.has(valueId)) {
      this.validationAsked.add(valueId);
      out.push({ type: "validate", valueId, height: this.height, round });
    }
    return undefined;
  }

  private vote(kind: "prevote" | "precommit", valueId: Hex | null, out: ConsensusOutput[]): void {
    this.broadcast({ kind, height: this.height, round: this.round_, valueId, sender: "0x", signature: new Uint8Array() }, out);
  }

  /** Signs, records locally (a replica receives its own broadcast) and emits a broadcast. Observers send nothing. */
  private broadcast(m: Omit<SignedProposal, "sender" | "signature"> | SignedVote, out: ConsensusOutput[]): void {
    const signer = this.cfg.signer;
    if (signer === undefined) return;
    const body = m.kind === "proposal" ? { kind: m.kind, height: m.height, round: m.round, valueId: m.valueId, validRound: m.validRound } : { kind: m.kind, height: m.height, round: m.round, valueId: (m as SignedVote).valueId };
    const signature = signer.sign(messageDigest(this.cfg.separator, this.cfg.channelId, body));
    const message = { ...body, sender: signer.address, signature } as ConsensusMessage;
    this.own.push(message);
    this.store(message, out);
    out.push({ type: "broadcast", message });
  }

  /** Checks an incoming message and stores it. Returns false for a duplicate (nothing new). */
  private record(m: ConsensusMessage, out: ConsensusOutput[]): boolean {
    if (typeof m !== "object" || m === null) throw new ConsensusError("MALFORMED", "message must be an object");
    if (m.kind !== "proposal" && m.kind !== "prevote" && m.kind !== "precommit") throw new ConsensusError("MALFORMED", `unknown message kind ${String((m as { kind?: unknown }).kind)}`);
    if (!Number.isSafeInteger(m.height) || m.height < 0) throw new ConsensusError("MALFORMED", "height must be a non-negative integer");
    if (m.height !== this.height) throw new ConsensusError("WRONG_HEIGHT", `message for height ${m.height}, this instance runs ${this.height}`);
    if (!Number.isSafeInteger(m.round) || m.round < 0) throw new ConsensusError("MALFORMED", "round must be a non-negative integer");
    if (m.round > this.limits.maxRound || m.round > this.round_ + this.limits.maxRoundsAhead) throw new ConsensusError("ROUND_LIMIT", `round ${m.round} is beyond the limit (current ${this.round_})`);
    const isHash = (x: unknown): boolean => typeof x === "string" && /^0x[0-9a-f]{64}$/.test(x);
    if (m.kind === "proposal") {
      if (!isHash(m.valueId)) throw new ConsensusError("MALFORMED", "valueId must be lower-case bytes32 hex");
      if (!Number.isSafeInteger(m.validRound) || m.validRound < -1 || m.validRound >= m.round) throw new ConsensusError("MALFORMED", "validRound must be in −1..round−1");
    } else if (m.valueId !== null && (!isHash(m.valueId) || m.valueId === NIL_ID)) {
      throw new ConsensusError("MALFORMED", "vote valueId must be null (nil) or lower-case bytes32 hex");
    }
    if (!(m.signature instanceof Uint8Array) || m.signature.length !== 65) throw new ConsensusError("MALFORMED", "signature must be 65 bytes");
    const sender = typeof m.sender === "string" ? (m.sender.toLowerCase() as Hex) : undefined;
    if (sender === undefined || !this.members.has(sender)) throw new ConsensusError("NOT_PARTICIPANT", `sender ${String(m.sender)} is not a participant`);
    if (m.kind === "proposal" && sender !== this.proposer(m.round)) throw new ConsensusError("NOT_PROPOSER", `${sender} is not proposer(${m.height}, ${m.round})`);
    if (this.isDuplicate(m, sender)) return false;
    const body = m.kind === "proposal" ? { kind: m.kind, height: m.height, round: m.round, valueId: m.valueId, validRound: m.validRound } : { kind: m.kind, height: m.height, round: m.round, valueId: m.valueId };
    const recovered = this.recover(messageDigest(this.cfg.separator, this.cfg.channelId, body), m.signature);
    if (recovered !== sender) throw new ConsensusError("BAD_SIGNATURE", `signature does not recover to ${sender}`);
    return this.store({ ...body, sender, signature: m.signature } as ConsensusMessage, out);
  }

  private isDuplicate(m: ConsensusMessage, sender: Hex): boolean {
    const log = this.rounds.get(m.round);
    if (log === undefined) return false;
    if (m.kind === "proposal") {
      const have = log.proposals.get(m.valueId);
      return have !== undefined && have.validRound === m.validRound;
    }
    const have = (m.kind === "prevote" ? log.prevotes : log.precommits).get(sender);
    return have !== undefined && have.some((v) => v.valueId === m.valueId);
  }

  /** Adds a checked message to the log; a conflicting second message by one sender becomes evidence. */
  private store(m: ConsensusMessage, out: ConsensusOutput[]): boolean {
    const log = this.log(m.round);
    if (m.kind === "proposal") {
      const existing = log.proposals.get(m.valueId);
      if (existing !== undefined && existing.validRound === m.validRound) return false;
      const first = log.proposals.values().next().value;
      if (first !== undefined) this.addEvidence({ kind: "proposal", sender: m.sender, height: m.height, round: m.round, a: first, b: m }, out);
      if (existing !== undefined || log.proposals.size >= this.limits.maxProposalsPerRound) return true;
      log.proposals.set(m.valueId, m);
      log.senders.add(m.sender);
      return true;
    }
    const map = m.kind === "prevote" ? log.prevotes : log.precommits;
    let votes = map.get(m.sender);
    if (votes !== undefined) {
      if (votes.some((v) => v.valueId === m.valueId)) return false;
      this.addEvidence({ kind: m.kind, sender: m.sender, height: m.height, round: m.round, a: votes[0]!, b: m }, out);
      if (votes.length >= this.limits.maxVotesPerSender) return true; // a proven equivocator's further votes are dropped
    } else {
      votes = [];
      map.set(m.sender, votes);
    }
    votes.push(m);
    const tally = m.kind === "prevote" ? log.prevoteTally : log.precommitTally;
    const key = tallyKey(m.valueId);
    let senders = tally.get(key);
    if (senders === undefined) tally.set(key, (senders = new Set()));
    senders.add(m.sender);
    log.senders.add(m.sender);
    return true;
  }

  private addEvidence(e: Equivocation, out: ConsensusOutput[]): void {
    // one piece of evidence per (kind, sender, round) is enough to convict; keep the list bounded
    if (this.evidence_.some((x) => x.kind === e.kind && x.sender === e.sender && x.round === e.round)) return;
    this.evidence_.push(e);
    out.push({ type: "evidence", evidence: e });
  }

  private log(round: number): RoundLog {
    let log = this.rounds.get(round);
    if (log === undefined) {
      log = new RoundLog();
      this.rounds.set(round, log);
    }
    return log;
  }
}
