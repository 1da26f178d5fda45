/** task.interrupt(reason): a catchable Interrupt at the task's suspension point (SimPy's interrupts). */
import { describe, expect, test } from "vitest";
import { Channel, Interrupt, Runtime, scope, sleep, yieldNow } from "../../src/index.js";

describe("task.interrupt()", () => {
  test("throws a catchable Interrupt at the suspension point, with the reason as cause; the task goes on", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const ch = new Channel<number>();
    const t = rt.spawn(function* worker() {
      try {
        yield* ch.recv();
      } catch (e) {
        log.push(`${(e as Error).name} cause=${String((e as Error).cause)} at ${rt.now().toFixed(0)}`);
      }
      yield* sleep(5);
      return "went on";
    });
    rt.spawn(function* () {
      yield* sleep(10);
      expect(t.interrupt("breakdown")).toBe(true);
    });
    rt.run();
    expect(log).toEqual(["Interrupt cause=breakdown at 10"]);
    expect(t.result).toBe("went on");
    expect(rt.now()).toBeCloseTo(15, 3);
  });

  test("the interrupted task left its wait: a later send is not taken by it", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(1);
    const t = rt.spawn(function* () {
      try {
        yield* ch.recv();
      } catch {
        return "interrupted";
      }
      return "received";
    });
    rt.spawn(function* () {
      yield* yieldNow();
      t.interrupt();
      ch.trySend(1);
    });
    rt.run();
    expect(t.result).toBe("interrupted");
    expect(ch.length).toBe(1);
  });

  test("an uncaught interrupt fails the task with the Interrupt", () => {
    const rt = new Runtime();
    const t = rt.spawn(function* () {
      yield* sleep(100);
    });
    rt.spawn(function* () {
      yield* sleep(1);
      t.interrupt(new Error("why"));
      try {
        yield* t.join();
      } catch (e) {
        expect(e).toBeInstanceOf(Interrupt);
        expect((e as Error).message).toMatch(/was interrupted: Error: why/);
      }
    });
    rt.run();
    expect(t.state).toBe("failed");
  });

  test("a ready or running task gets it at its next suspension point", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const t = rt.spawn(function* self() {
      t.interrupt("myself"); // running
      log.push("still running");
      try {
        yield* sleep(1);
      } catch (e) {
        log.push(`caught ${String((e as Error).cause)}`);
      }
    });
    const u = rt.spawn(function* () {
      try {
        yield* yieldNow();
        log.push("after yieldNow");
        yield* sleep(1);
      } catch (e) {
        log.push(`u caught ${String((e as Error).cause)}`);
      }
    });
    u.interrupt("ready"); // ready, not started: its next suspension point is the yieldNow
    rt.run();
    expect(log).toEqual(["still running", "caught myself", "u caught ready"]);
  });

  test("several interrupts are delivered one per suspension, in order", () => {
    const rt = new Runtime();
    const causes: unknown[] = [];
    const t = rt.spawn(function* () {
      for (let i = 0; i < 3; i++) {
        try {
          yield* sleep(10);
        } catch (e) {
          causes.push((e as Error).cause);
        }
      }
    });
    rt.spawn(function* () {
      yield* sleep(1);
      t.interrupt(1);
      t.interrupt(2);
    });
    rt.run();
    expect(causes).toEqual([1, 2]);
  });

  test("on a finished or cancelled task it does nothing and returns false", () => {
    const rt = new Runtime();
    const done = rt.spawn(function* () {});
    const cancelled = rt.spawn(function* () {
      try {
        yield* sleep(10);
      } finally {
        yield* sleep(1); // interrupts must not reach a cancellation's finally block
      }
    });
    rt.spawn(function* () {
      yield* sleep(2);
      cancelled.cancel();
      expect(cancelled.interrupt()).toBe(false);
    });
    rt.run();
    expect(done.interrupt()).toBe(false);
    expect(cancelled.state).toBe("cancelled");
  });

  test("a child queued by its scope's limit gets it once it has started, not before", () => {
    const rt = new Runtime();
    const log: string[] = [];
    rt.run(function* () {
      yield* scope(
        function* (s) {
          s.spawn(function* () {
            yield* sleep(5);
          });
          const queued = s.spawn(function* () {
            log.push(`started at ${rt.now().toFixed(0)}`);
            try {
              yield* sleep(10);
            } catch (e) {
              log.push(`interrupted at ${rt.now().toFixed(0)}`);
            }
          });
          queued.interrupt();
        },
        { limit: 1 },
      );
    });
    expect(log).toEqual(["started at 5", "interrupted at 5"]);
  });

  test("an interrupt at a scope's join point cancels the children and is rethrown from the scope", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const host = rt.spawn(function* () {
      try {
        yield* scope(function* (s) {
          s.spawn(function* () {
            try {
              yield* sleep(100);
            } finally {
              log.push("child finally");
            }
          });
        });
      } catch (e) {
        log.push(`scope threw ${(e as Error).name}`);
      }
    });
    rt.spawn(function* () {
      yield* sleep(3);
      host.interrupt("stop waiting");
    });
    rt.run();
    expect(log).toEqual(["child finally", "scope threw Interrupt"]);
  });
});

describe("hostile reasons", () => {
  test("interrupt, s.cancel and failures with a Proxy whose traps throw are described, never a raw error", () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error("trap");
        },
        get() {
          throw new Error("trap");
        },
      },
    );
    const rt = new Runtime();
    const r = rt.run(function* () {
      const t = rt.spawn(function* () {
        try {
          yield* sleep(10);
        } catch (e) {
          return (e as Error).message;
        }
        return "";
      });
      yield* yieldNow();
      t.interrupt(hostile);
      const msg = yield* t.join();
      let cancelled = "";
      try {
        yield* scope(function* (s) {
          s.cancel(hostile);
          yield* sleep(1);
        });
      } catch (e) {
        cancelled = (e as Error).message;
      }
      return [msg, cancelled];
    });
    expect(r[0]).toMatch(/was interrupted: an object \(a Proxy/);
    expect(r[1]).toMatch(/scope was cancelled: an object \(a Proxy/);
  });
});
