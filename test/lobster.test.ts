/**
 * LOBSTER AAPL sample replay: every visible-level transition and every published top-10 row must
 * match, every visible execution must fill against the right resting order, and the books balance.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../src/core/engine.js";
import { reservedByOrders } from "../src/core/orderbook/matching.js";
import { LOBSTER_ACCOUNTS, LOBSTER_MARKET, replayLobster } from "../src/replay/lobster.js";
import {
  LOBSTER_BOOK_FILE,
  LOBSTER_DIR,
  LOBSTER_MESSAGE_FILE,
  loadLobster,
  parseLobsterMessages,
  parseLobsterRows,
} from "../src/replay/lobsterData.js";
import { defaultDataDir } from "../src/replay/paths.js";

const dataDir = defaultDataDir();

describe("LOBSTER data", () => {
  it("parses the sample: 999 messages and 999 rows", () => {
    const { messages, rows } = loadLobster(dataDir);
    expect(messages.length).toBe(999);
    expect(rows.length).toBe(999);
    expect(messages[0]).toEqual({ index: 0, time: "34200.004241176", type: 1, orderId: 16113575, size: 18, price: 5853300, direction: 1 });
    expect(rows[0]!.asks[0]).toEqual({ price: 5859400, size: 200 });
    expect(rows[0]!.bids[0]).toEqual({ price: 5853300, size: 18 });
    expect(rows[0]!.bids[9]).toEqual({ price: 5842700, size: 300 });
    const counts = new Map<number, number>();
    for (const m of messages) counts.set(m.type, (counts.get(m.type) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 1: 471, 3: 369, 4: 98, 5: 61 });
  });

  it("rejects malformed lines and drops dummy levels", () => {
    expect(() => parseLobsterMessages("34200.1,1,5,18,5853300\n")).toThrow(/expected 6 fields/);
    expect(() => parseLobsterMessages("34200.1,6,5,18,5853300,1\n")).toThrow(/unknown event type/);
    expect(() => parseLobsterMessages("34200.1,1,5,1.5,5853300,1\n")).toThrow(/size is not an integer/);
    expect(() => parseLobsterMessages("34200.1,1,5,18,5853300,0\n")).toThrow(/direction/);
    const dummy = ["9999999999,0,-9999999999,0"];
    const line = ["5859400,200,5853300,18", ...Array<string>(9).fill(dummy[0]!)].join(",");
    expect(parseLobsterRows(line + "\n")).toEqual([{ asks: [{ price: 5859400, size: 200 }], bids: [{ price: 5853300, size: 18 }] }]);
    expect(() => parseLobsterRows("1,2,3\n")).toThrow(/expected 40 fields/);
  });
});

describe("LOBSTER replay", () => {
  it("matches all 937 visible-level transitions, every row and every execution; conservation holds", () => {
    const engine = new Engine();
    const progress: number[] = [];
    const r = replayLobster(engine, { dataDir, onProgress: (done, total) => progress.push(done, total) });
    expect(r.messages).toBe(999);
    expect(r.levelsChecked).toBe(937);
    expect(r.levelsMatched).toBe(937);
    expect(r.levelMismatches).toEqual([]);
    expect(r.executionsChecked).toBe(98);
    expect(r.executionsMatched).toBe(98);
    expect(r.rowsChecked).toBe(999);
    expect(r.rowsMatched).toBe(999);
    // the book beyond the published 10 levels: 19 seed levels, 11 revealed and 3 vanished out of view,
    // corrected before 14 of the 999 messages
    expect(r.seedLevels).toBe(19);
    expect(r.revealedLevels).toBe(11);
    expect(r.vanishedLevels).toBe(3);
    expect(r.correctedRows).toBe(14);
    expect(r.hiddenExecutions).toBe(61);
    expect(r).toMatchObject({ halts: 0, unexplainedEvents: 0, rejectedOps: 0, crossingSubmits: 0 });
    expect(progress.slice(-2)).toEqual([999, 999]);

    const cons = engine.checkConservation();
    expect(cons.ok).toBe(true);
    expect(cons.negative).toBe(false);
    // every reservation is held by a resting order
    const market = engine.state.markets.get(LOBSTER_MARKET)!;
    for (const id of Object.values(LOBSTER_ACCOUNTS)) {
      const held = reservedByOrders(market, engine.state.accounts.get(id)!);
      expect(engine.reservedOf(id, "AAPL")).toBe(held.base);
      expect(engine.reservedOf(id, "USD")).toBe(held.quote);
    }
    // the final book is the last published row
    const last = loadLobster(dataDir).rows[998]!;
    const depth = engine.getDepth(LOBSTER_MARKET, 10)!;
    expect(depth.bids.map((l) => [l.priceTicks * 100, l.lots])).toEqual(last.bids.map((l) => [l.price, l.size]));
    expect(depth.asks.map((l) => [l.priceTicks * 100, l.lots])).toEqual(last.asks.map((l) => [l.price, l.size]));
    // takers paid the 50 ppm taker fee on every execution, rounded up per fill
    expect(engine.protocolFeesOf("USD")).toBeGreaterThan(0n);
  });

  it("shares an engine with other markets: reuses existing USD/AAPL tokens, refuses wrong decimals", () => {
    const engine = new Engine();
    engine.createToken({ symbol: "USD", decimals: 4 });
    expect(replayLobster(engine, { dataDir }).levelsMatched).toBe(937);
    const other = new Engine();
    other.createToken({ symbol: "USD", decimals: 6 });
    expect(() => replayLobster(other, { dataDir })).toThrow(/USD exists with 6 decimals/);
  });

  it("the checks can fail: a tampered published size is caught", () => {
    const dir = mkdtempSync(join(tmpdir(), "lobster-"));
    mkdirSync(join(dir, LOBSTER_DIR));
    copyFileSync(join(dataDir, LOBSTER_DIR, LOBSTER_MESSAGE_FILE), join(dir, LOBSTER_DIR, LOBSTER_MESSAGE_FILE));
    const rows = readFileSync(join(dataDir, LOBSTER_DIR, LOBSTER_BOOK_FILE), "utf8").split("\n");
    // message 500's level: change the published size at its price in row 500 by one share
    const m = loadLobster(dataDir).messages[500]!;
    expect(m.type).not.toBe(5);
    const cols = rows[500]!.split(",");
    const offset = m.direction === 1 ? 2 : 0;
    const level = [...Array(10).keys()].find((l) => Number(cols[4 * l + offset]) === m.price)!;
    expect(level).toBeDefined();
    cols[4 * level + offset + 1] = String(Number(cols[4 * level + offset + 1]) + 1);
    rows[500] = cols.join(",");
    writeFileSync(join(dir, LOBSTER_DIR, LOBSTER_BOOK_FILE), rows.join("\n"));
    const r = replayLobster(new Engine(), { dataDir: dir });
    expect(r.levelsChecked).toBe(937);
    expect(r.levelMismatches).toEqual([500]);
    expect(r.levelsMatched).toBe(936);
    expect(r.rowsMatched).toBe(998);
  });
});
