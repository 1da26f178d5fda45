/** Programs that end like Go programs: run(main), the leftover option, run({ until }). */
import { describe, expect, test, vi } from "vitest";
import {
  CancelledError,
  Channel,
  DeadlockError,
  LeftoverError,
  Runtime,
  coro,
  resetDefaultRuntime,
  run,
  runAsync,
  scope,
  sleep,
  spawn,
  waitFor,
  withTimeout,
  type DeadlockReport,
} from "../../src/index.js";

describe("run(main)", () => {
  test("returns main's result when main returns, without waiting for the rest (Go exits)", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const r = rt.run(function* main() {
      rt.spawn(function* background() {
        try {
          yield* sleep(1000);
          log.push("background finished"); // never: main returned first
        } finally {
          log.push(`background cancelled at ${rt.now().toFixed(0)}`);
        }
      });
      yield* sleep(10);
      return 42;
    });
    expect(r).toBe(42);
    expect(log).toEqual(["background cancelled at 10"]);
    expect(rt.stats().live).toBe(0);
  });

  test("rethrows main's error (after cancelling the rest)", () => {
    const rt = new Runtime();
    const boom = new Error("main failed");
    rt.spawn(function* () {
      yield* sleep(100);
    });
    expect(() =>
      rt.run(function* () {
        yield* sleep(1);
        throw boom;
      }),
    ).toThrow(boom);
    expect(rt.stats().live).toBe(0);
  });

  test("other failures still stop the run as run() does; a deadlock of main is a DeadlockError", () => {
    const rt = new Runtime();
    expect(() =>
      rt.run(function* () {
        rt.spawn(function* () {
          throw new Error("unjoined");
        });
        yield* sleep(10);
      }),
    ).toThrow("unjoined");
    const rt2 = new Runtime();
    expect(() =>
      rt2.run(function* main() {
        yield* new Channel<number>().recv();
      }),
    ).toThrow(DeadlockError);
  });

  test("accepts a coro() definition; runs with no args exactly as before", () => {
    const rt = new Runtime();
    const def = coro({ name: "main", locals: { n: "i32" } }, function* (f) {
      f.n = 7;
      yield* sleep(1);
      return f.n * 6;
    });
    expect(rt.run(def)).toBe(42);
    rt.spawn(function* () {
      yield* sleep(5);
    });
    expect(rt.run()).toBeUndefined();
    expect(rt.now()).toBeGreaterThanOrEqual(6);
  });

  test('leftover "error" throws a LeftoverError naming each leftover and what it was doing', () => {
    const rt = new Runtime({ leftover: "error" });
    const ch = new Channel<number>(0, { name: "jobs" });
    let err: unknown;
    try {
      rt.run(function* main() {
        rt.spawn(function* consumer() {
          yield* ch.recv();
        });
        rt.spawn(function* sleeper() {
          yield* sleep(50);
        });
        yield* sleep(1);
        return "main result";
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LeftoverError);
    expect((err as LeftoverError).leftover).toEqual([`#2 consumer: recv on Channel#1 "jobs" (capacity 0)`, "#3 sleeper: sleep until 50 ms"]);
    expect(rt.stats().live).toBe(0);
    // Nothing left: no error.
    expect(rt.run(function* () {})).toBeUndefined();
  });

  test('leftover "report" cancels the rest and hands a "leftover" report to the detectLeaks function', () => {
    const reports: DeadlockReport[] = [];
    const rt = new Runtime({ leftover: "report", detectLeaks: (r) => reports.push(...r) });
    const r = rt.run(function* () {
      rt.spawn(function* idle() {
        yield* sleep(100);
      });
      return 1;
    });
    expect(r).toBe(1);
    expect(reports).toHaveLength(1);
    expect(reports[0].kind).toBe("leftover");
    expect(reports[0].coroutines).toEqual([{ id: 2, name: "idle", waitsOn: "ready", sinceMs: expect.any(Number) as number }]);
  });

  test('leftover "report" without a detectLeaks function warns on the console', () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const rt = new Runtime({ leftover: "report" });
      rt.run(function* () {
        rt.spawn(function* idle() {
          yield* sleep(100);
        });
        yield* sleep(1);
      });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/1 coroutine still live \(cancelled\): #2 idle: sleep until 100 ms/);
    } finally {
      warn.mockRestore();
    }
  });

  test("main cancelled by another coroutine: run throws CancelledError", () => {
    const rt = new Runtime();
    expect(() =>
      rt.run(function* main() {
        const me = rt.tasks()[0];
        rt.spawn(function* () {
          me.cancel();
        });
        yield* sleep(10);
      }),
    ).toThrow(CancelledError);
  });

  test("runAsync(main) waits for promises too", async () => {
    const rt = new Runtime();
    const r = await rt.runAsync(function* () {
      const v = yield* waitFor(Promise.resolve(20));
      return v + 1;
    });
    expect(r).toBe(21);
  });

  test("module-level run(main) and runAsync(main) use the default runtime", async () => {
    resetDefaultRuntime();
    expect(
      run(function* () {
        spawn(function* () {
          yield* sleep(1000);
        });
        return "m";
      }),
    ).toBe("m");
    expect(
      await runAsync(function* () {
        return "a";
      }),
    ).toBe("a");
    resetDefaultRuntime();
  });

  test("the leftover option is checked", () => {
    expect(() => new Runtime({ leftover: "keep" as never })).toThrow(/leftover must be "cancel", "report" or "error"/);
  });
});

describe("run({ until })", () => {
  test("stops at virtual time t with everything parked, the clock at t; run() again resumes", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const ch = new Channel<string>();
    rt.spawn(function* ticker() {
      for (let i = 1; i <= 3; i++) {
        yield* sleep(10);
        log.push(`tick ${i} at ${rt.now().toFixed(0)}`);
      }
    });
    rt.spawn(function* waiter() {
      log.push(`got ${(yield* ch.recv()).value}`);
    });
    rt.run({ until: 25 });
    expect(log).toEqual(["tick 1 at 10", "tick 2 at 20"]);
    expect(rt.now()).toBe(25);
    expect(rt.tasks().map((t) => t.state)).toEqual(["blocked", "blocked"]); // no deadlock report: outside code may wake them
    rt.run({ until: 30.001 }); // a timer due at or before `until` fires (the third tick is due just after 30: switches cost cycles)
    expect(log).toEqual(["tick 1 at 10", "tick 2 at 20", "tick 3 at 30"]);
    expect(rt.now()).toBe(30.001);
    ch.trySend("from outside");
    expect(() => rt.run()).not.toThrow();
    expect(log.at(-1)).toBe("got from outside");
  });

  test("the clock moves to t even when nothing is left to do, and not back when t is in the past", () => {
    const rt = new Runtime();
    rt.run({ until: 40 });
    expect(rt.now()).toBe(40);
    rt.run({ until: 10 });
    expect(rt.now()).toBe(40);
  });

  test("an unobserved failure still stops it", () => {
    const rt = new Runtime();
    rt.spawn(function* () {
      yield* sleep(5);
      throw new Error("fails at 5");
    });
    expect(() => rt.run({ until: 100 })).toThrow("fails at 5");
  });

  test("runAsync({ until }) delivers settled promises and stops at t", async () => {
    const rt = new Runtime();
    let got = 0;
    rt.spawn(function* () {
      got = yield* waitFor(Promise.resolve(3));
      yield* sleep(100);
      got = -1;
    });
    await rt.runAsync({ until: 50 });
    expect(got).toBe(3);
    expect(rt.now()).toBe(50);
  });

  test("misuse: until must be a finite number of ms, options a plain { until }", () => {
    const rt = new Runtime();
    expect(() => rt.run({ until: NaN })).toThrow(RangeError);
    expect(() => rt.run({ until: "5" as never })).toThrow(TypeError);
    expect(() => rt.run({ untl: 5 } as never)).toThrow(/unknown option "untl"/);
    expect(() => rt.run(42 as never)).toThrow(/generator function \(main\).*received 42/);
    expect(() => rt.run({ until: 1e300 })).toThrow(RangeError);
  });
});

describe("cleanup", () => {
  test("a host ended without running its code (cleanup after a failure) leaves no deadline timer behind", () => {
    const rt = new Runtime();
    rt.spawn(function* host() {
      yield* withTimeout(
        1000,
        scope(function* (s) {
          s.spawn(function* () {
            try {
              yield* sleep(500);
            } finally {
              yield* sleep(100); // cannot finish in the cleanup's instant: the tasks are ended without it
            }
          });
          yield* sleep(500);
        }),
      );
    });
    rt.spawn(function* () {
      yield* sleep(1);
      throw new Error("unhandled");
    });
    expect(() => rt.run()).toThrow("unhandled");
    expect(rt.stats().live).toBe(0);
    rt.run();
    expect(rt.now()).toBeLessThan(2); // no stale timer moved the clock to 1000
  });
});
