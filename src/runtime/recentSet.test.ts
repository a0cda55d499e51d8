import { describe, expect, it } from "vitest";
import { InvariantError } from "../core/errors.js";
import { RecentSet } from "./recentSet.js";

describe("RecentSet", () => {
  it("holds at most capacity values and forgets the oldest first", () => {
    const s = new RecentSet<number>(3);
    for (let i = 0; i < 10; i++) {
      s.add(i);
      expect(s.size).toBe(Math.min(i + 1, 3));
    }
    expect([7, 8, 9].every((v) => s.has(v))).toBe(true);
    expect(s.has(6)).toBe(false);
    s.add(8); // already held: nothing is forgotten
    expect([7, 8, 9].every((v) => s.has(v))).toBe(true);
    s.add(10);
    expect(s.has(7)).toBe(false);
    expect(s.has(10)).toBe(true);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new RecentSet(0)).toThrow(InvariantError);
    expect(() => new RecentSet(1.5)).toThrow(InvariantError);
  });
});
