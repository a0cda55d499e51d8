/**
 * The transport, clock and logger interfaces the sync layer talks through live in
 * `src/runtime/transport.ts` (the channel's checkpoint layer uses them too); this module keeps the
 * sync layer's import path working.
 */
export * from "../runtime/transport.js";
