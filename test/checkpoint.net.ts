/**
 * A seeded virtual-time loopback for replicas with checkpointers (used by the checkpoint and the
 * settlement tests): checkpoint messages and batches are queued with a delay, timers are events,
 * and `run` delivers in time order — a batch to the replica (then `poll`), a message to the
 * checkpointer (a ConsensusError is a dropped message, as `consensus/attach.ts` drops it).
 */
import type { Checkpointer, CheckpointWire } from "../src/channel/checkpoint.js";
import { EventQueue } from "../src/runtime/eventQueue.js";
import { ConsensusError } from "../src/channel/consensus/tendermint.js";
import type { Replica } from "../src/channel/replica.js";

export type NetEvent = { k: "wire"; to: number; from: number; w: CheckpointWire } | { k: "batch"; to: number; from: number; bytes: Uint8Array } | { k: "fn"; fn: () => void };

export interface Loopback {
  now(): number;
  /** Queues `w` from node `from` to node `to` (a decimal index), or to every other node. */
  send(from: number, w: CheckpointWire, to?: string): void;
  /** Queues batch bytes from node `from` to every other node. */
  sendBatch(from: number, bytes: Uint8Array): void;
  /** Queues batch bytes from `from` to `to`. */
  sendBatchTo(from: number, to: number, bytes: Uint8Array): void;
  /** A timer: `fn` runs `ms` virtual ms from now. */
  schedule(ms: number, fn: () => void): void;
  /**
   * Delivers events until `until()` holds (true) or the queue empties or virtual time would pass
   * `maxMs` from now (false). `afterWire` runs after each delivered checkpoint message.
   */
  run(until: () => boolean, maxMs: number, afterWire?: (to: number, from: number) => void): boolean;
}

/** `nodes()` gives the current replicas and checkpointers (a test may replace one, e.g. a restart). */
export function loopback(o: { n: number; startMs: number; delay: () => number; nodes: () => { reps: readonly Replica[]; cps: readonly Checkpointer[] } }): Loopback {
  const q = new EventQueue<NetEvent>();
  let now = o.startMs;
  return {
    now: () => now,
    send(from, w, to) {
      for (let j = 0; j < o.n; j++) if (j !== from && (to === undefined || to === String(j))) q.push(now + o.delay(), { k: "wire", to: j, from, w });
    },
    sendBatch(from, bytes) {
      for (let j = 0; j < o.n; j++) if (j !== from) q.push(now + o.delay(), { k: "batch", to: j, from, bytes });
    },
    sendBatchTo(from, to, bytes) {
      q.push(now + o.delay(), { k: "batch", to, from, bytes });
    },
    schedule(ms, fn) {
      q.push(now + ms, { k: "fn", fn });
    },
    run(until, maxMs, afterWire) {
      const end = now + maxMs;
      while (!until()) {
        const e = q.pop();
        if (e === undefined || e.t > end) return false;
        now = e.t;
        const ev = e.e;
        const { reps, cps } = o.nodes();
        if (ev.k === "fn") ev.fn();
        else if (ev.k === "batch") {
          reps[ev.to]!.receive(ev.bytes, String(ev.from));
          cps[ev.to]!.poll();
        } else {
          try {
            cps[ev.to]!.receive(ev.w, String(ev.from));
          } catch (error) {
            if (!(error instanceof ConsensusError)) throw error;
          }
          afterWire?.(ev.to, ev.from);
        }
      }
      return true;
    },
  };
}
