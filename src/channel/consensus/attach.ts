/**
 * Wiring the checkpoint layer to a {@link Transport} without changing the sync layer or the channel:
 *
 * - `muxTransport` (in `runtime/transport.ts`, re-exported here) splits one transport into two
 *   logical ones by a leading tag byte (0 = sync, 1 = checkpoint consensus). Give `sync` to
 *   `MultiPartyChannel` / `SyncNode` and `consensus` to {@link attachCheckpointer}.
 * - {@link attachCheckpointer} runs a {@link Checkpointer} over a replica and the consensus side:
 *   messages are encoded with the canonical codec (`wire.ts`); undecodable bytes or consensus
 *   messages that prove the sender faulty (bad signature, not a participant, not the proposer,
 *   malformed) get the peer banned; timers come from the {@link Clock}; pending validations are
 *   re-examined (on a zero-delay timer, outside the replica's delivery loop) after each delivered
 *   batch, and `onMissing` is told which batches a proposal needs so the host can sync first.
 */
import { Checkpointer, CheckpointError, type CheckpointerOptions, type CheckpointWire } from "../checkpoint.js";
import type { Hex, Signer } from "../identity.js";
import type { Replica } from "../replica.js";
import { MUX_CONSENSUS, MUX_SYNC, muxTransport, type Clock, type PeerId, type Transport } from "../../runtime/transport.js";
import { ConsensusError } from "./tendermint.js";
import { decodeCheckpointWire, encodeCheckpointWire, WireError } from "./wire.js";

export { MUX_CONSENSUS, MUX_SYNC, muxTransport };

export interface AttachOptions extends Omit<CheckpointerOptions, "send" | "schedule" | "now" | "signer"> {
  replica: Replica;
  /** The consensus side of {@link muxTransport} (or any transport reserved for checkpoints). */
  transport: Transport;
  clock: Clock;
  signer?: Signer;
  /** Wall-clock ms for proposal times and the drift check. Default `clock.now`. */
  now?: () => number;
  /** Batches a proposal needs that the replica lacks (sync with `from`, then they arrive as usual). */
  onMissing?: (ids: Hex[], from: PeerId) => void;
}

/** Codes of consensus errors that prove the sender misbehaved (others, e.g. ROUND_LIMIT, are dropped quietly). */
const FAULTS = new Set(["BAD_SIGNATURE", "NOT_PARTICIPANT", "NOT_PROPOSER", "MALFORMED"]);

/** A Checkpointer over `replica`, talking through `transport`. */
export function attachCheckpointer(o: AttachOptions): Checkpointer {
  const { replica, transport, clock, onMissing, now, signer, ...rest } = o;
  const cp = new Checkpointer(replica, {
    ...rest,
    ...(signer !== undefined ? { signer } : {}),
    now: now ?? (() => clock.now()),
    schedule: (ms, fn) => {
      clock.setTimer(ms, fn);
    },
    send: (wire: CheckpointWire, to?: string) => {
      const bytes = encodeCheckpointWire(wire);
      if (to !== undefined) transport.send(to, bytes);
      else for (const p of transport.peers()) transport.send(p, bytes);
    },
  });
  let pollQueued = false;
  replica.on("delivered", () => {
    if (pollQueued) return;
    pollQueued = true;
    clock.setTimer(0, () => {
      pollQueued = false;
      cp.poll();
    });
  });
  transport.setHandlers({
    message(from, bytes) {
      let wire: CheckpointWire;
      try {
        wire = decodeCheckpointWire(bytes);
      } catch (error) {
        if (error instanceof WireError) return transport.ban(from, `checkpoint message: ${error.code}`);
        throw error;
      }
      try {
        cp.receive(wire, from);
      } catch (error) {
        if (error instanceof ConsensusError) {
          if (FAULTS.has(error.code)) transport.ban(from, `consensus: ${error.code}`);
          return;
        }
        if (error instanceof CheckpointError) return transport.ban(from, `checkpoint: ${error.code}`);
        throw error;
      }
      const missing = cp.missing();
      if (missing.length > 0) onMissing?.(missing, from);
    },
    connect() {},
    disconnect() {},
  });
  return cp;
}
