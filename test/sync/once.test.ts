import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Once, Runtime, SyncError, sleep } from "../../src/index.js";
import { checkOnce } from "../../src/sync/validate.js";
import { exactClockRuntime, settle, thrownBy } from "./helpers.js";

describe("Once", () => {
  // Go's TestOnce: ten goroutines call Do; f runs once and every Do returns after it.
  test("runs a plain function once for ten callers (Go's TestOnce)", () => {
    const rt = new Runtime({ seed: 4 });
    const once = new Once();
    let runs = 0;
    const done = new Channel<boolean>();
    for (let i = 0; i < 10; i++) {
      rt.spawn(function* caller() {
        yield* once.do(() => {
          runs++;
        });
        expect(runs).toBe(1);
        yield* done.send(true);
      });
    }
    rt.spawn(function* main() {
      for (let i = 0; i < 10; i++) yield* done.recv();
    });
    rt.run();
    expect(runs).toBe(1);
    expect(once.done).toBe(true);
  });

  test("a generator function runs inside the first caller; later callers block until it ends", () => {
    const rt = exactClockRuntime();
    const once = new Once({ name: "config" });
    const log: string[] = [];
    let config = "";
    for (const name of ["a", "b", "c"]) {
      rt.spawn(function* caller() {
        yield* once.do(function* load() {
          yield* sleep(10);
          config = `loaded by ${name}`;
        });
        log.push(`${name}@${rt.now()}: ${config}`);
      });
    }
    rt.spawn(function* look() {
      yield* sleep(5);
      checkOnce(once);
      expect(once.queue.size).toBe(2);
      expect(rt.dump().coroutines.find((c) => c.name === "caller" && c.id === 2)!.waiting!.on).toBe('once Once#1 "config" (running in #1 caller)');
    });
    rt.run();
    expect(log).toEqual(["a@10: loaded by a", "b@10: loaded by a", "c@10: loaded by a"]);
  });

  // Go's TestOncePanic: a panicking f counts as done; the panic reaches the first caller only.
  test("a function that throws counts as done: the error reaches the first caller only (Go's TestOncePanic)", () => {
    const rt = exactClockRuntime();
    const once = new Once();
    const log: string[] = [];
    rt.spawn(function* first() {
      try {
        yield* once.do(function* () {
          yield* sleep(1);
          throw new Error("boom");
        });
      } catch (e) {
        log.push(`first: ${(e as Error).message}`);
      }
    });
    rt.spawn(function* second() {
      yield* once.do(() => {
        log.push("second ran f");
      });
      log.push("second returned");
    });
    rt.run();
    expect(log).toEqual(["first: boom", "second returned"]);
    expect(once.done).toBe(true);
    checkOnce(once);
  });

  test("a runner cancelled inside the function marks the Once done and releases the waiters", () => {
    const rt = exactClockRuntime();
    const once = new Once();
    const log: string[] = [];
    const runner = rt.spawn(function* runner() {
      yield* once.do(function* () {
        yield* sleep(100);
        log.push("not reached");
      });
    });
    rt.spawn(function* waiter() {
      yield* once.do(() => void log.push("waiter ran f"));
      log.push(`waiter returned@${rt.now()}`);
    });
    rt.spawn(function* () {
      yield* sleep(3);
      runner.cancel();
    });
    rt.run();
    expect(log).toEqual(["waiter returned@3"]);
    expect(runner.state).toBe("cancelled");
    expect(once.done).toBe(true);
  });

  test("a cancelled waiter leaves the queue; the function still runs once", () => {
    const rt = exactClockRuntime();
    const once = new Once();
    let runs = 0;
    rt.spawn(function* runner() {
      yield* once.do(function* () {
        yield* sleep(5);
        runs++;
      });
    });
    const w = rt.spawn(function* waiter() {
      yield* once.do(() => void runs++);
    });
    rt.spawn(function* () {
      yield* sleep(1);
      w.cancel();
      expect(once.queue.size).toBe(0);
      checkOnce(once);
    });
    rt.run();
    expect(runs).toBe(1);
    expect(w.state).toBe("cancelled");
  });

  test("do() on a finished Once returns at once", () => {
    const rt = new Runtime();
    const once = new Once();
    rt.spawn(function* () {
      yield* once.do(() => {});
      const before = rt.stats().contextSwitches;
      yield* once.do(() => {
        throw new Error("must not run");
      });
      expect(rt.stats().contextSwitches).toBe(before);
    });
    rt.run();
  });

  describe("misuse", () => {
    test("do() called from inside its own function is a SyncError, not a silent deadlock", () => {
      const rt = new Runtime();
      const once = new Once({ name: "init" });
      let err: unknown;
      rt.spawn(function* () {
        yield* once.do(function* () {
          try {
            yield* once.do(() => {});
          } catch (e) {
            err = e;
          }
        });
      });
      rt.run();
      expect(err).toBeInstanceOf(SyncError);
      expect((err as Error).message).toBe('sync: Once.do called from its own function on Once#1 "init": it would wait for itself forever');
    });

    test.each([
      [undefined, "undefined"],
      [42, "42"],
      [async function load() {}, "function load"],
    ])("do(%s) is a TypeError naming the value", (bad, shown) => {
      const once = new Once();
      const e = thrownBy(() => once.do(bad as never));
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toContain(shown);
      expect(once.done).toBe(false);
    });

    test("callers blocked behind a runner that never finishes are reported with it", () => {
      const rt = new Runtime();
      const once = new Once({ name: "init" });
      const never = new Channel<number>(0, { name: "never" });
      rt.spawn(function* runner() {
        yield* once.do(function* () {
          yield* never.recv();
        });
      });
      rt.spawn(function* waiter() {
        yield* once.do(() => {});
      });
      const err = settle(rt);
      expect(err).toBeInstanceOf(DeadlockError);
      expect(err!.blocked).toEqual(['#1 runner: recv on Channel#2 "never" (capacity 0)', '#2 waiter: once Once#1 "init" (running in #1 runner)']);
    });
  });
});
