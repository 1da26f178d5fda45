/** withTimeout / withDeadline: virtual deadlines that cancel an operation's subtree and throw TimeoutError. */
import { describe, expect, test } from "vitest";
import { CancelledError, Channel, Runtime, TimeoutError, recv, scope, select, sleep, withDeadline, withTimeout } from "../../src/index.js";

function* work(ms: number, value: string) {
  yield* sleep(ms);
  return value;
}

describe("withTimeout", () => {
  test("returns the operation's result when it finishes first, and leaves no timer behind", () => {
    const rt = new Runtime();
    const r = rt.run(function* () {
      return yield* withTimeout(50, work(10, "done"));
    });
    expect(r).toBe("done");
    expect(rt.now()).toBeLessThan(11); // no leftover timer kept the clock going to 50
  });

  test("throws TimeoutError (a CancelledError) at the deadline, after the operation's finally blocks ran", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const caught = rt.run(function* () {
      try {
        yield* withTimeout(
          20,
          (function* () {
            try {
              yield* sleep(100);
            } finally {
              log.push(`finally at ${rt.now().toFixed(0)}`);
            }
          })(),
        );
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(caught).toBeInstanceOf(TimeoutError);
    expect(caught).toBeInstanceOf(CancelledError);
    expect(log).toEqual(["finally at 20"]);
    expect((caught as Error).message).toMatch(/withTimeout\(20 ms\).*timed out at 20 ms/);
  });

  test("cancels the whole subtree: children of scopes inside, and the channel waits they are in", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const ch = new Channel<number>();
    rt.run(function* () {
      try {
        yield* withTimeout(
          10,
          scope(function* (s) {
            for (const n of [1, 2])
              s.spawn(function* () {
                try {
                  yield* ch.recv();
                } finally {
                  log.push(`child ${n}`);
                }
              });
            yield* ch.recv();
          }),
        );
      } catch (e) {
        log.push((e as Error).name);
      }
    });
    expect(log).toEqual(["child 1", "child 2", "TimeoutError"]);
    expect(rt.stats().live).toBe(0);
  });

  test("nested deadlines: the earliest wins, whichever is outside", () => {
    for (const [outer, inner] of [
      [50, 10],
      [10, 50],
    ]) {
      const rt = new Runtime();
      const r = rt.run(function* () {
        try {
          yield* withTimeout(outer, withTimeout(inner, work(100, "late")));
        } catch (e) {
          return `${(e as Error).name} at ${rt.now().toFixed(0)}: ${(e as Error).message.slice(0, 20)}`;
        }
        return "no timeout";
      });
      expect(r).toBe(`TimeoutError at 10: withTimeout(10 ms): `);
    }
  });

  test("a scope inside sees the deadline in its context, and a TimeoutError as its err() once it passed", () => {
    const rt = new Runtime();
    const seen: unknown[] = [];
    rt.run(function* () {
      try {
        yield* withTimeout(
          30,
          scope(function* (s) {
            seen.push(s.context.deadline);
            s.spawn(function* () {
              yield* select([recv(s.context.done())]);
              seen.push(s.context.err());
            });
            yield* sleep(100);
          }),
        );
      } catch {
        // TimeoutError, checked above
      }
    });
    expect(seen[0]).toBeCloseTo(30, 3);
    expect(seen[1]).toBeInstanceOf(TimeoutError); // done() closed before the child's cancellation reached it
  });

  test("a deadline in the past, or a negative delay, times out at once without starting the operation", () => {
    const rt = new Runtime();
    let started = 0;
    const results = rt.run(function* () {
      yield* sleep(10);
      const out: string[] = [];
      for (const op of [
        withTimeout(
          -5,
          (function* () {
            started++;
            yield* sleep(1);
          })(),
        ),
        withDeadline(
          3,
          (function* () {
            started++;
            yield* sleep(1);
          })(),
        ),
        withTimeout(0, sleep(1)),
      ]) {
        try {
          yield* op;
          out.push("ran");
        } catch (e) {
          out.push(`${(e as Error).name} at ${rt.now().toFixed(0)}`);
        }
      }
      return out;
    });
    expect(results).toEqual(["TimeoutError at 10", "TimeoutError at 10", "TimeoutError at 10"]);
    expect(started).toBe(0);
  });

  test("a cancelled task inside withTimeout is cancelled, not timed out", () => {
    const rt = new Runtime();
    const t = rt.spawn(function* () {
      yield* withTimeout(100, sleep(1000));
    });
    rt.spawn(function* () {
      yield* sleep(5);
      t.cancel();
    });
    rt.run();
    expect(t.state).toBe("cancelled");
    expect(rt.now()).toBeLessThan(6);
  });

  test("misuse: a delay that is not a finite number, an op that is not an operation", () => {
    expect(() => withTimeout(NaN, sleep(1))).toThrow(RangeError);
    expect(() => withTimeout(Infinity, sleep(1))).toThrow(RangeError);
    expect(() => withTimeout("5" as never, sleep(1))).toThrow(TypeError);
    expect(() => withTimeout(5, 42 as never)).toThrow(/op must be an operation.*received 42/);
    expect(() => withDeadline(NaN, sleep(1))).toThrow(RangeError);
    expect(() => withDeadline(null as never, sleep(1))).toThrow(TypeError);
  });
});

describe("withDeadline", () => {
  test("times out at the virtual time given, not a delay from the call", () => {
    const rt = new Runtime();
    const r = rt.run(function* () {
      yield* sleep(10);
      try {
        yield* withDeadline(25, work(100, "late"));
      } catch (e) {
        return `${(e as Error).name} at ${rt.now().toFixed(0)}`;
      }
      return "no";
    });
    expect(r).toBe("TimeoutError at 25");
  });
});

describe("contexts and the leak detector", () => {
  test("a coroutine waiting only on ctx.done() of a scope with a deadline is not a leak", () => {
    const rt = new Runtime({ detectLeaks: true });
    const r = rt.run(function* () {
      try {
        yield* withTimeout(
          50,
          scope(function* (s) {
            s.spawn(function* waiter() {
              yield* s.context.done().recv();
            });
            s.spawn(function* ticker() {
              for (let i = 0; i < 10; i++) yield* sleep(1); // clock jumps: the leak watch looks
            });
          }),
        );
      } catch (e) {
        return (e as Error).name;
      }
      return "no timeout";
    });
    expect(r).toBe("TimeoutError");
  });
});
