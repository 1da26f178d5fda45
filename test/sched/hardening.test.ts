/**
 * Issue 9, the scheduler's edges: failures never hide, misuse gets a typed
 * error and changes nothing, waitFor under runAsync, delays, runtime options,
 * one runtime per resource, determinism. Each test here failed before its fix.
 */
import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Runtime, after, coro, recv, select, send, sleep, waitFor, yieldNow, type RuntimeOptions, type Task } from "../../src/index.js";
import { schedulerOf } from "../../src/runtime/runtime.js";

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

/** Resolves after `turns` macrotasks (setImmediate: no timer, no wall-clock wait). */
function afterTurns<T>(turns: number, value: T): Promise<T> {
  return new Promise((resolve) => {
    const step = (left: number) => (left === 0 ? resolve(value) : setImmediate(() => step(left - 1)));
    step(turns);
  });
}

describe("failures never hide", () => {
  test("an unhandled failure stops run() promptly, beside a coroutine that sleeps forever", () => {
    const rt = new Runtime();
    rt.spawn(function* boom() {
      throw new Error("boom");
    });
    const looper = rt.spawn(function* looper() {
      for (;;) yield* sleep(1000);
    });
    expect(() => rt.run()).toThrow("boom");
    expect(rt.now()).toBeLessThan(1); // before the first clock jump: not a virtual second later
    expect(looper.state).toBe("cancelled"); // the rest was cleaned up
    expect(rt.stats().live).toBe(0);
    expect(rt.stats().memory.micro.used).toBe(0);
  });

  test("runAsync() stops as promptly, with promises pending", async () => {
    const rt = new Runtime();
    rt.spawn(function* waiter() {
      yield* waitFor(new Promise(() => {})); // never settles
    });
    rt.spawn(function* boom() {
      yield* yieldNow();
      throw new Error("async boom");
    });
    await expect(rt.runAsync()).rejects.toThrow("async boom");
    expect(rt.stats().live).toBe(0);
  });

  test("a spawn-then-join within the same instant still delivers the failure to the joiner", () => {
    const rt = new Runtime();
    let caught: unknown;
    rt.spawn(function* parent() {
      const child = rt.spawn(function* child() {
        throw new RangeError("child failed");
      });
      yield* yieldNow(); // the child runs and fails first
      yield* yieldNow();
      try {
        yield* child.join();
      } catch (e) {
        caught = e;
      }
    });
    rt.run();
    expect(caught).toBeInstanceOf(RangeError);
  });

  test("a join after the clock has advanced is too late: run() has already stopped with the failure", () => {
    const rt = new Runtime();
    let joined = false;
    rt.spawn(function* parent() {
      const child = rt.spawn(function* child() {
        throw new Error("late");
      });
      yield* sleep(1);
      joined = true;
      yield* child.join();
    });
    expect(() => rt.run()).toThrow("late");
    expect(joined).toBe(false);
  });

  test("an AggregateError of several failures lists each inner message in its own message", () => {
    const rt = new Runtime();
    rt.spawn(function* first() {
      throw new Error("alpha broke");
    });
    rt.spawn(function* second() {
      throw new TypeError("beta broke");
    });
    const e = thrown(() => rt.run());
    expect(e).toBeInstanceOf(AggregateError);
    const msg = (e as Error).message;
    expect(msg).toContain("#1 first: Error: alpha broke");
    expect(msg).toContain("#2 second: TypeError: beta broke");
  });

  test("a deadlock left by a failure that was observed carries it as its cause", () => {
    const rt = new Runtime();
    const boom = new Error("producer died");
    const jobs = new Channel<number>(0, { name: "jobs" });
    let producer: Task<void> | null = null;
    rt.spawn(function* watcher() {
      while (producer === null) yield* yieldNow();
      try {
        yield* producer.join();
      } catch {
        // observed
      }
    });
    producer = rt.spawn(function* producer() {
      yield* jobs.send(1);
      throw boom;
    });
    rt.spawn(function* consumer() {
      for (;;) yield* jobs.recv();
    });
    const e = thrown(() => rt.run());
    expect(e).toBeInstanceOf(DeadlockError);
    expect((e as Error).cause).toBe(boom);
    expect((e as Error).message).toMatch(/caused by the failure of #\d+ producer, which used what they wait on: Error: producer died/);
  });
});

describe("misuse leaves nothing behind", () => {
  test("a spawn whose parameter binding throws leaves no stack slot in use (spawn, create, coro definitions)", () => {
    const rt = new Runtime();
    const destructure = function* ({ id }: { id: number }) {
      yield* sleep(id);
    };
    const def = coro({ name: "bound", locals: { n: "i32" } }, function* (_f, { id }: { id: number }) {
      return id;
    });
    const before = rt.stats();
    expect(() => rt.spawn(destructure as never)).toThrow(TypeError);
    expect(() => rt.create(destructure as never)).toThrow(TypeError);
    expect(() => rt.spawn(def as never)).toThrow(TypeError);
    const now = rt.stats();
    expect(now.memory.micro.used).toBe(before.memory.micro.used);
    expect(now.memory.small.used).toBe(before.memory.small.used);
    expect(now.spawned).toBe(before.spawned);
    expect(now.live).toBe(0);
    // Task ids were not used up either.
    expect(rt.spawn(function* ok() {}).id).toBe(1);
  });

  test("iterating an operation by hand outside a coroutine is a TypeError that says to use yield*", () => {
    const e = thrown(() => {
      for (const _ of sleep(0)) void _;
    });
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toMatch(/yield\*/);
  });

  test("iterating an operation by hand inside a coroutine fails that coroutine with a TypeError and never corrupts the runtime", () => {
    const rt = new Runtime();
    const errors: unknown[] = [];
    const a = rt.spawn(function* forOf() {
      for (const _ of sleep(0)) void _; // parks, then the loop calls next() again
    });
    const b = rt.spawn(function* nextByHand() {
      yieldNow()[Symbol.iterator]().next(); // re-queues, and goes on running
      return 1;
    });
    rt.spawn(function* watcher() {
      for (const t of [a, b]) {
        try {
          yield* t.join();
        } catch (e) {
          errors.push(e);
        }
      }
    });
    rt.run();
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toMatch(/iterated by hand.*yield\*/);
    }
    expect(rt.stats().live).toBe(0);
    // Still usable: a normal run afterwards.
    let ran = false;
    rt.spawn(function* after() {
      yield* sleep(5);
      ran = true;
    });
    rt.run();
    expect(ran).toBe(true);
  });

  test("a bare yield is refused with one sentence that says what to do", () => {
    const rt = new Runtime();
    let msg = "";
    rt.spawn(function* bare() {
      try {
        yield 42;
      } catch (e) {
        msg = (e as Error).message;
      }
    });
    rt.run();
    expect(msg).toMatch(/^coroutine #1 bare yielded 42 to the scheduler, but only operations may be yielded under the scheduler: use yield\* /);
    expect(msg.split(". ").length).toBe(1);
  });

  test("shutdown() from inside a coroutine says what it is and does not name run()", () => {
    const rt = new Runtime();
    let msg = "";
    rt.spawn(function* inside() {
      try {
        rt.shutdown();
      } catch (e) {
        msg = (e as Error).message;
      }
    });
    rt.run();
    expect(msg).toMatch(/^shutdown\(\) was called from inside coroutine #1 inside/);
    expect(msg).not.toMatch(/run\(\)/);
  });

  test("a channel used by coroutines of two runtimes is refused with a TypeError naming both", () => {
    const a = new Runtime({ name: "alpha" });
    const b = new Runtime({ name: "beta" });
    const ch = new Channel<number>(1, { name: "shared" });
    a.spawn(function* () {
      yield* ch.send(1);
    });
    a.run();
    let err: unknown;
    b.spawn(function* intruder() {
      try {
        yield* ch.recv();
      } catch (e) {
        err = e;
      }
    });
    b.run();
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/Channel#1 "shared" \(capacity 1\) belongs to runtime "alpha", but coroutine #1 intruder of runtime "beta" used it/);
    expect(ch.length).toBe(1); // nothing changed
    expect(() => b.spawn(function* (_c: Channel<number>) {}, ch)).toThrow(/belongs to runtime "alpha"/);
    expect(b.stats().live).toBe(0);
  });
});

describe("waitFor under runAsync", () => {
  test("cancelling a task parked in waitFor while runAsync() waits settles normally", async () => {
    const rt = new Runtime();
    const t = rt.spawn(function* waiter() {
      yield* waitFor(new Promise(() => {})); // never settles
    });
    const done = rt.runAsync();
    await afterTurns(3, null); // runAsync is now asleep on the promise
    t.cancel();
    await done;
    expect(t.state).toBe("cancelled");
  });

  test("a thenable whose then throws fails that task at its yield*, and the runtime stays usable", async () => {
    const rt = new Runtime();
    const bad = {
      then() {
        throw new Error("then exploded");
      },
    };
    let caught: unknown;
    rt.spawn(function* () {
      try {
        yield* waitFor(bad as PromiseLike<number>);
      } catch (e) {
        caught = e;
      }
    });
    await rt.runAsync();
    expect((caught as Error).message).toBe("then exploded");
    rt.spawn(function* () {
      yield* sleep(1);
    });
    rt.run();
    expect(rt.stats().live).toBe(0);
  });

  test("while only promises are pending, runAsync() sleeps: it does not spin through the event loop", async () => {
    const rt = new Runtime();
    let got = 0;
    rt.spawn(function* () {
      got = yield* waitFor(afterTurns(200, 7));
    });
    await rt.runAsync();
    expect(got).toBe(7);
    expect(schedulerOf(rt).eventLoopTurns).toBeLessThanOrEqual(2); // before: one per macrotask, ~200
  });

  test("while promises are pending, virtual time goes on: timers fire, after one event-loop turn per clock jump", async () => {
    const rt = new Runtime();
    const order: string[] = [];
    rt.spawn(function* () {
      order.push(`promise ${yield* waitFor(afterTurns(50, "settled"))} at ${rt.now()} ms`);
    });
    rt.spawn(function* () {
      for (let i = 0; i < 3; i++) {
        yield* sleep(100);
        order.push(`tick ${rt.now()}`);
      }
    });
    await rt.runAsync();
    expect(order.slice(0, 3).map((s) => s.replace(/\.\d+/, ""))).toEqual(["tick 100", "tick 200", "tick 300"]);
    expect(order).toHaveLength(4);
  });
});

describe("delays", () => {
  test("a negative finite delay counts as zero: after(deadline - now) once the deadline has passed", () => {
    const rt = new Runtime();
    let r = -2;
    rt.spawn(function* () {
      const deadline = rt.now() + 5;
      yield* sleep(10);
      r = (yield* select([recv(new Channel<number>()), after(deadline - rt.now())])).index;
    });
    rt.run();
    expect(r).toBe(1);
  });

  test("a delay the clock cannot order exactly is refused with a RangeError, and timers always fire in deadline order", () => {
    const rt = new Runtime();
    const errors: unknown[] = [];
    const woke: string[] = [];
    for (const [name, ms] of [
      ["huge", 1e300],
      ["big", 1e299],
    ] as const) {
      rt.spawn(function* () {
        try {
          yield* sleep(ms);
          woke.push(name);
        } catch (e) {
          errors.push(e);
        }
      });
    }
    rt.spawn(function* () {
      yield* sleep(20);
      woke.push("b");
    });
    rt.spawn(function* () {
      yield* sleep(10);
      woke.push("a");
    });
    rt.run();
    expect(errors).toHaveLength(2);
    for (const e of errors) expect((e as Error).message).toMatch(/too long for the virtual clock/);
    expect(woke).toEqual(["a", "b"]);
    expect(Number.isFinite(rt.now())).toBe(true);
  });

  test.each([NaN, Infinity, -Infinity])("sleep(%s) is a RangeError naming the value", (ms) => {
    expect(() => sleep(ms)).toThrow(new RegExp(`received ${String(ms)}`));
  });

  test.each(["10", null, 10n, {}])("sleep(%s) is a TypeError naming the value", (ms) => {
    expect(() => sleep(ms as never)).toThrow(TypeError);
  });
});

describe("runtime options", () => {
  test.each<[string, unknown, RegExp]>([
    ["trace", "yes", /Runtime option trace must be true or false, received "yes"/],
    ["seed", 1.5, /Runtime option seed must be an integer.*received 1\.5/],
    ["name", Symbol("n"), /Runtime option name must be a string, received Symbol\(n\)/],
    ["cost", { bogus: 1 }, /cost has no figure "bogus"/],
    ["cost", { contextSwitch: null }, /cost\.contextSwitch must be an object.*received null/],
    ["clockHz", -1, /Runtime option clockHz must be a positive finite number.*received -1/],
    ["pools", { tiny: 3 }, /pools has no class "tiny"/],
    ["overflow", "explode", /overflow must be "grow" or "error"/],
    ["detectLeaks", 1, /detectLeaks must be a boolean or a function/],
    ["tracing", true, /unknown option "tracing"/],
  ])("%s: %s is refused with a message naming the option", (key, value, message) => {
    expect(() => new Runtime({ [key]: value } as RuntimeOptions)).toThrow(message);
  });

  test("a Proxy whose traps throw is refused with a TypeError, not its own error", () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    expect(() => new Runtime(hostile)).toThrow(TypeError);
  });
});

describe("determinism", () => {
  function program(): { trace: string; dump: string } {
    const rt = new Runtime({ trace: true, seed: 3 });
    const a = new Channel<number>(0, { name: "a" });
    const b = new Channel<number>(2);
    let dump = "";
    rt.spawn(function* producer() {
      for (let i = 0; i < 5; i++) yield* select([send(a, i), send(b, i), after(3)]);
    });
    rt.spawn(function* consumer() {
      for (let i = 0; i < 3; i++) {
        yield* select([recv(a), recv(b)]);
        yield* sleep(1);
      }
      dump = String(rt.dump());
    });
    rt.spawn(function* other() {
      yield* b.send(9);
    });
    try {
      rt.run();
    } catch (e) {
      if (!(e instanceof DeadlockError)) throw e;
    }
    return { trace: JSON.stringify(rt.exportTrace()), dump };
  }

  test("two runs of one seeded program in one process give byte-identical traces and dumps", () => {
    // A channel and a runtime made in between must not shift anything (no process-wide counters).
    const first = program();
    void new Channel<number>();
    void new Runtime();
    const second = program();
    expect(second.dump).toBe(first.dump);
    expect(second.trace).toBe(first.trace);
    expect(first.dump).toContain('Channel#1 "a"');
  });
});

describe("the allocator is safe from the public API", () => {
  test("freeStack of a stack a live coroutine owns is refused, and nothing changes", () => {
    const rt = new Runtime();
    const ch = new Channel<number>();
    const t = rt.spawn(function* parked() {
      yield* ch.recv();
    });
    try {
      rt.run();
    } catch {
      // deadlocked on purpose: the coroutine stays parked, owning its stack
    }
    const ref = rt.memory.refAt(t.stack.sizeClass, t.stack.addr)!;
    expect(ref).toBeDefined();
    const before = rt.stats().memory;
    expect(() => rt.memory.freeStack(ref)).toThrow(/owned|owns|coroutine/);
    expect(rt.stats().memory).toEqual(before);
    rt.shutdown();
    expect(rt.stats().memory.micro.used).toBe(0);
  });
});
