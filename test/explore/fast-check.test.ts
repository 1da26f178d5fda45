import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Runtime, yieldNow } from "cprime-coro";
import { replay, runSchedule, scheduleArbitrary } from "cprime-coro/test";
import { runs } from "../support/fc.js";

/** Two withdrawals of `amount` from 100, each checking the balance before a yield. */
function bank(amount: number) {
  return (rt: Runtime) => {
    let balance = 100;
    for (let i = 0; i < 2; i++)
      rt.spawn(function* withdraw() {
        for (let k = 0; k < i; k++) yield* yieldNow();
        if (balance >= amount) {
          yield* yieldNow();
          balance -= amount;
        }
      });
    return () => {
      if (balance < 0) throw new Error(`balance went negative: ${balance}`);
    };
  };
}

describe("scheduleArbitrary", () => {
  test("a property over inputs and schedules fails, and fast-check shrinks both: the least amount, the fewest deviations", () => {
    const result = fc.check(
      fc.property(fc.integer({ min: 0, max: 100 }), scheduleArbitrary(fc), (amount, schedule) => runSchedule(bank(amount), schedule).ok),
      { numRuns: runs(500) },
    );
    expect(result.failed).toBe(true);
    const [amount, schedule] = result.counterexample!;
    expect(amount).toBe(51); // the least amount two withdrawals can overdraw 100 with
    expect(schedule.filter((c) => c !== 0).length).toBeLessThanOrEqual(2);
    expect(() => runSchedule(bank(1), [-1])).toThrow(/choice 0 must be a non-negative integer, received -1/);
    // The counterexample's token replays it exactly.
    const r = runSchedule(bank(amount), schedule);
    expect(replay(bank(amount), r.token).kind).toBe("error");
  });

  test("the default schedule ([]) is what a plain run does", () => {
    expect(runSchedule(bank(60), []).ok).toBe(true);
  });

  test("every schedule of the fixed amount (≤ 50) is clean", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 50 }), scheduleArbitrary(fc), (amount, schedule) => runSchedule(bank(amount), schedule).ok));
  });

  test("refuses what is not fast-check, and bad bounds", () => {
    expect(() => scheduleArbitrary({} as never)).toThrow(/pass the fast-check module/);
    expect(() => scheduleArbitrary(fc, { maxChoice: 0 })).toThrow(RangeError);
  });
});
