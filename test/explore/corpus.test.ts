import { describe, expect, test } from "vitest";
import { explore, replay } from "cprime-coro/test";
import { CORPUS } from "./corpus/index.js";

// Budgets are small: every bug of the corpus is found within a few dozen schedules (docs/exploration.md has the figures).
const FIND = 300;
const CLEAN = 60;

describe("the bug corpus", () => {
  test("holds at least 20 bugs across the study's categories", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CORPUS.map((b) => b.category))).toEqual(
      new Set(["channel", "lock+channel", "waitgroup", "atomicity", "order", "double close", "philosophers"]),
    );
  });

  describe.each(CORPUS)("$name ($category): $what", (bug) => {
    test("a plain run (the default schedule) passes, unless the bug needs no other order", () => {
      expect(explore(bug.buggy, { runs: 1, ...bug.options }).ok).toBe(bug.defaultFails === true ? false : true);
    });
    for (const strategy of ["random", "pct", "exhaustive"] as const) {
      test(`${strategy} finds it, and its shrunk token replays the same kind of failure`, () => {
        const r = explore(bug.buggy, { strategy, runs: FIND, ...bug.options });
        expect(r.ok).toBe(false);
        const f = r.failure!;
        const again = replay(bug.buggy, f.shrunkToken);
        expect(again.kind).toBe(f.kind);
        expect(again.narrative).toBe(f.narrative);
      });
      test(`${strategy} never flags the fixed version`, () => {
        const r = explore(bug.fixed, { strategy, runs: CLEAN, ...bug.options });
        expect(r.failure?.narrative ?? "clean").toBe("clean");
      });
    }
  });
});
