import { describe, expect, test } from "vitest";
import {
  AddressSpace,
  CancelledError,
  OutOfMemoryError,
  Channel,
  DeadlockError,
  Runtime,
  call,
  coro,
  costModels,
  run,
  spawn,
  resetDefaultRuntime,
  sleep,
  waitFor,
  yieldNow,
  type Task,
} from "../../src/index.js";

describe("Runtime.spawn and run", () => {
  test("run() drives every coroutine to completion and records results", () => {
    const rt = new Runtime();
    const a = rt.spawn(
      function* add(x: number, y: number) {
        yield* yieldNow();
        return x + y;
      },
      2,
      3,
    );
    expect(a.state).toBe("ready");
    rt.run();
    expect(a.state).toBe("done");
    expect(a.result).toBe(5);
    const s = rt.stats();
    expect(s).toMatchObject({ spawned: 1, completed: 1, failed: 0, cancelled: 0, live: 0 });
    expect(s.memory.micro.used).toBe(0);
  });

  test("round-robin: yieldNow moves the coroutine to the back of the queue", () => {
    const rt = new Runtime();
    const log: string[] = [];
    for (const name of ["a", "b", "c"]) {
      rt.spawn(function* () {
        for (let i = 0; i < 3; i++) {
          log.push(`${name}${i}`);
          yield* yieldNow();
        }
      });
    }
    rt.run();
    expect(log).toEqual(["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]);
  });

  test("join() returns the result, typed, without a cast", () => {
    const rt = new Runtime();
    let got = "";
    rt.spawn(function* () {
      const child = rt.spawn(function* () {
        yield* sleep(5);
        return "hello";
      });
      const v: string = yield* child.join();
      got = v;
    });
    rt.run();
    expect(got).toBe("hello");
  });

  test("join() of a finished task completes at once; of a failed task rethrows and marks it observed", () => {
    const rt = new Runtime();
    const boom = new Error("boom");
    const failing = rt.spawn(function* () {
      throw boom;
    });
    const ok = rt.spawn(function* () {
      return 7;
    });
    let caught: unknown;
    let value = 0;
    rt.spawn(function* () {
      yield* yieldNow(); // both have finished by now, and no virtual time has passed
      value = yield* ok.join();
      try {
        yield* failing.join();
      } catch (e) {
        caught = e;
      }
    });
    rt.run(); // no throw: the failure was observed by a joiner
    expect(value).toBe(7);
    expect(caught).toBe(boom);
    expect(failing.state).toBe("failed");
    expect(failing.error).toBe(boom);
  });

  test("a failure nobody joins is thrown by run() after cleanup", () => {
    const rt = new Runtime();
    rt.spawn(function* lonely() {
      yield* yieldNow();
      throw new RangeError("nobody listens");
    });
    const other = rt.spawn(function* () {
      yield* sleep(10);
      return 1;
    });
    expect(() => rt.run()).toThrow("nobody listens");
    expect(other.state).toBe("cancelled"); // like a Go panic: the program stops, the rest is cancelled
    expect(rt.stats().memory.micro.used).toBe(0);
  });

  test("several unjoined failures become one AggregateError", () => {
    const rt = new Runtime();
    rt.spawn(function* a() {
      throw new Error("a");
    });
    rt.spawn(function* b() {
      throw new Error("b");
    });
    let err: unknown;
    try {
      rt.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(["a", "b"]);
    expect((err as Error).message).toContain("#1 a");
  });

  test("spawning a non-generator throws TypeError naming it, and changes nothing", () => {
    const rt = new Runtime();
    const before = rt.stats();
    expect(() => rt.spawn((() => 1) as never)).toThrow(TypeError);
    expect(() => rt.spawn(async function fetcher() {} as never)).toThrow(/async function fetcher/);
    expect(() => rt.spawn(42 as never)).toThrow(/received 42/);
    expect(rt.stats()).toEqual(before);
  });

  test("a bare yield under the scheduler throws a TypeError into the coroutine", () => {
    const rt = new Runtime();
    let msg = "";
    const t = rt.spawn(function* bare() {
      try {
        yield 5;
      } catch (e) {
        msg = (e as Error).message;
      }
      return "recovered";
    });
    rt.run();
    expect(msg).toMatch(/yielded 5 .*use yield\* with an operation/);
    expect(t.result).toBe("recovered");
  });

  test("run() from inside a coroutine of the same runtime is refused clearly", () => {
    const rt = new Runtime();
    let msg = "";
    rt.spawn(function* inner() {
      try {
        rt.run();
      } catch (e) {
        msg = (e as Error).message;
      }
    });
    rt.run();
    expect(msg).toMatch(/from inside coroutine #1 inner of the same runtime/);
  });

  test("a million ready coroutines do not grow the JS stack (trampoline)", () => {
    const rt = new Runtime({ maxMemoryBytes: 512 * 1024 * 1024 });
    let done = 0;
    const body = function* () {
      yield* yieldNow();
      done++;
    };
    for (let i = 0; i < 1_000_000; i++) rt.spawn(body);
    rt.run();
    expect(done).toBe(1_000_000);
    expect(rt.stats().memory.micro.used).toBe(0);
  }, 120_000);
});

describe("virtual time", () => {
  test("sleep advances the virtual clock without wall time; now() follows cycles", () => {
    const rt = new Runtime();
    const wakes: number[] = [];
    rt.spawn(function* () {
      yield* sleep(86_400_000); // a day
      wakes.push(rt.now());
    });
    rt.spawn(function* () {
      yield* sleep(1000);
      wakes.push(rt.now());
    });
    const t0 = performance.now();
    rt.run();
    expect(performance.now() - t0).toBeLessThan(5000); // sanity only: it did not really sleep
    expect(wakes[0]).toBeGreaterThanOrEqual(1000);
    expect(wakes[0]).toBeLessThan(1001);
    expect(wakes[1]).toBeGreaterThanOrEqual(86_400_000);
    expect(rt.now()).toBeCloseTo((rt.cycles / 3e9) * 1000, 6);
    expect(rt.stats().busyCycles).toBeLessThan(rt.cycles);
  });

  test("timers with equal deadlines fire in the order they were set", () => {
    const rt = new Runtime();
    const order: number[] = [];
    for (let i = 0; i < 5; i++) {
      rt.spawn(function* () {
        yield* sleep(10);
        order.push(i);
      });
    }
    rt.run();
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  test("sleep with a NaN or infinite delay throws RangeError at the call; a negative delay counts as zero", () => {
    expect(() => sleep(Number.NaN)).toThrow(/received NaN/);
    expect(() => sleep(Infinity)).toThrow(RangeError);
    const rt = new Runtime({
      cost: {
        contextSwitch: { micro: 0, small: 0, medium: 0, large: 0 },
        alloc: { micro: 0, small: 0, medium: 0, large: 0 },
        free: { micro: 0, small: 0, medium: 0, large: 0 },
      },
    });
    rt.spawn(function* () {
      yield* sleep(-5); // Go's time.Sleep(-d) returns at once
    });
    rt.run();
    expect(rt.now()).toBe(0);
  });

  test("clockHz sets cycles per virtual second", () => {
    const rt = new Runtime({ clockHz: 1e6 });
    rt.spawn(function* () {
      yield* sleep(2);
    });
    rt.run();
    expect(rt.cycles).toBeGreaterThanOrEqual(2000);
    expect(rt.now()).toBeCloseTo(rt.cycles / 1000, 9);
  });
});

describe("the cost model", () => {
  test("context switches, allocations and frees charge the model's cycles", () => {
    const rt = new Runtime();
    rt.spawn(function* () {
      yield* yieldNow();
    });
    rt.run();
    const c = costModels.cprime;
    // 2 resumes + micro alloc + micro free
    expect(rt.stats().busyCycles).toBe(2 * c.contextSwitch.micro + c.alloc.micro + c.free.micro);
    expect(rt.stats().contextSwitches).toBe(2);
  });

  test("a custom partial cost model merges over the defaults; bad figures are refused", () => {
    const rt = new Runtime({ cost: { contextSwitch: { micro: 7 } as never } });
    rt.spawn(function* () {});
    rt.run();
    expect(rt.stats().busyCycles).toBe(7 + costModels.cprime.alloc.micro + costModels.cprime.free.micro);
    expect(() => new Runtime({ cost: { migrate: -1 } })).toThrow(/cost.migrate .* received -1/);
    expect(() => new Runtime({ cost: { alloc: { huge: 1 } as never } })).toThrow(/unknown size class "huge"/);
  });

  test("presets run the same program with other costs", () => {
    const prog = (rt: Runtime) => {
      for (let i = 0; i < 10; i++)
        rt.spawn(function* () {
          yield* yieldNow();
        });
      rt.run();
      return rt.stats().busyCycles;
    };
    const cprime = prog(new Runtime());
    const go = prog(new Runtime({ cost: costModels.go }));
    const threads = prog(new Runtime({ cost: costModels.cppThreads }));
    expect(cprime).toBeLessThan(go);
    expect(go).toBeLessThan(threads);
  });
});

describe("cancellation", () => {
  test("cancel() of a blocked task runs its finally blocks, frees its stack, and joiners get CancelledError", () => {
    const rt = new Runtime();
    const ch = new Channel<number>();
    const log: string[] = [];
    const victim = rt.spawn(function* victim() {
      try {
        yield* ch.recv();
        log.push("unreachable");
      } finally {
        log.push("finally");
        yield* sleep(1); // finally blocks may still use operations
        log.push("finally done");
      }
    });
    let joinErr: unknown;
    rt.spawn(function* () {
      try {
        yield* victim.join();
      } catch (e) {
        joinErr = e;
      }
    });
    rt.spawn(function* () {
      yield* sleep(5);
      victim.cancel();
    });
    rt.run();
    expect(victim.state).toBe("cancelled");
    expect(log).toEqual(["finally", "finally done"]);
    expect(joinErr).toBeInstanceOf(CancelledError);
    expect(String(joinErr)).toMatch(/task #1 victim was cancelled/);
    expect(ch.recvq.size).toBe(0);
    expect(rt.stats()).toMatchObject({ cancelled: 1, live: 0 });
    expect(rt.stats().memory.micro.used).toBe(0);
  });

  test("cancel() after a partner handed over a value: the value is delivered, then the cancel at the next suspension", () => {
    const rt = new Runtime();
    const ch = new Channel<string>();
    const got: string[] = [];
    const receiver = rt.spawn(function* receiver() {
      const r = yield* ch.recv();
      got.push(r.value ?? "closed");
      yield* sleep(10); // the next suspension point: the cancel lands here
      got.push("unreachable");
    });
    rt.spawn(function* sender() {
      yield* sleep(1);
      yield* ch.send("precious"); // completes: the receiver takes it
      receiver.cancel(); // the receiver is ready with the value but has not run yet
    });
    rt.run();
    expect(got).toEqual(["precious"]);
    expect(receiver.state).toBe("cancelled");
  });

  test("cancel() of a task that never ran: its body never starts", () => {
    const rt = new Runtime();
    let ran = false;
    const t = rt.spawn(function* () {
      ran = true;
    });
    t.cancel();
    rt.run();
    expect(ran).toBe(false);
    expect(t.state).toBe("cancelled");
  });

  test("a task that cancels itself is cancelled at its next suspension point", () => {
    const rt = new Runtime();
    const log: string[] = [];
    let self: Task<void> | null = null;
    self = rt.spawn(function* () {
      try {
        self!.cancel();
        log.push("still running");
        yield* sleep(100);
        log.push("unreachable");
      } finally {
        log.push("finally");
      }
    });
    rt.run();
    expect(log).toEqual(["still running", "finally"]);
    expect(self.state).toBe("cancelled");
    expect(rt.now()).toBeLessThan(100); // the sleep's timer was removed
  });

  test("cancel() of a sleeping task removes its timer; cancel() of a finished task does nothing", () => {
    const rt = new Runtime();
    const t = rt.spawn(function* () {
      yield* sleep(1_000_000);
    });
    rt.spawn(function* () {
      yield* yieldNow();
      t.cancel();
    });
    rt.run();
    expect(rt.now()).toBeLessThan(1);
    t.cancel();
    expect(t.state).toBe("cancelled");
  });
});

describe("deadlock", () => {
  test("run() throws DeadlockError listing each blocked coroutine and what it waits on", () => {
    const rt = new Runtime();
    const jobs = new Channel<number>(0, { name: "jobs" });
    rt.spawn(function* producer() {
      yield* sleep(1);
    });
    rt.spawn(function* consumer() {
      yield* jobs.recv();
    });
    let err: unknown;
    try {
      rt.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as DeadlockError).blocked).toEqual([`#2 consumer: recv on Channel#${jobs.id} "jobs" (capacity 0)`]);
    expect((err as Error).message).toContain(`#2 consumer: recv on Channel#${jobs.id} "jobs" (capacity 0)`);
  });

  test("failures are reported before a deadlock", () => {
    const rt = new Runtime();
    rt.spawn(function* stuck() {
      yield* new Channel().recv();
    });
    rt.spawn(function* broken() {
      throw new Error("broken");
    });
    expect(() => rt.run()).toThrow("broken");
  });

  test("a coroutine waiting on itself through join is refused", () => {
    const rt = new Runtime();
    let msg = "";
    const self: Task<void> = rt.spawn(function* () {
      try {
        yield* self.join();
      } catch (e) {
        msg = (e as Error).message;
      }
    });
    rt.run();
    expect(msg).toMatch(/cannot join itself/);
  });

  test("shutdown() cancels what is left and frees every stack", () => {
    const rt = new Runtime();
    rt.spawn(function* () {
      yield* new Channel().recv();
    });
    expect(() => rt.run()).toThrow(DeadlockError);
    expect(rt.stats().live).toBe(1);
    rt.shutdown();
    expect(rt.stats().live).toBe(0);
    expect(rt.stats().memory.micro.used).toBe(0);
  });
});

describe("promises", () => {
  test("runAsync() drives coroutines that wait on promises; run() refuses them clearly", async () => {
    const rt = new Runtime();
    let got = 0;
    rt.spawn(function* () {
      got = yield* waitFor(Promise.resolve(41));
      got++;
    });
    expect(() => rt.run()).toThrow(/1 coroutine waiting on promises .*runAsync/);
    await rt.runAsync();
    expect(got).toBe(42);
  });

  test("a rejected promise throws at the waitFor", async () => {
    const rt = new Runtime();
    let caught: unknown;
    rt.spawn(function* () {
      try {
        yield* waitFor(Promise.reject(new Error("nope")));
      } catch (e) {
        caught = e;
      }
    });
    await rt.runAsync();
    expect((caught as Error).message).toBe("nope");
  });

  test("a settled promise is delivered before the virtual clock jumps to a timer", async () => {
    const rt = new Runtime();
    const order: string[] = [];
    rt.spawn(function* () {
      yield* waitFor(Promise.resolve());
      order.push("promise");
    });
    rt.spawn(function* () {
      yield* sleep(1000);
      order.push("timer");
    });
    await rt.runAsync();
    expect(order).toEqual(["promise", "timer"]);
  });

  test("waitFor of a non-thenable throws TypeError", () => {
    expect(() => waitFor(5 as never)).toThrow(/must be a promise/);
  });
});

describe("module-level spawn and run", () => {
  test("use the default runtime; spawn inside a coroutine uses that coroutine's runtime", () => {
    const def = resetDefaultRuntime();
    const rt = new Runtime();
    let innerRt: unknown;
    rt.spawn(function* () {
      const child = spawn(function* () {
        return 1;
      });
      yield* child.join();
      innerRt = rt.stats().spawned;
    });
    rt.run();
    expect(innerRt).toBe(2);
    const t = spawn(function* () {
      return "default";
    });
    run();
    expect(t.result).toBe("default");
    expect(def.stats().completed).toBe(1);
  });

  test("operations outside a coroutine say so", () => {
    expect(() => [...sleep(1)]).toThrow(/inside a coroutine/);
  });
});

describe("low-level coroutines (rt.create)", () => {
  test("resume() runs to each plain yield and to completion; the stack is freed at the end", () => {
    const rt = new Runtime();
    const c = rt.create(function* counter(n: number) {
      let total = 0;
      for (let i = 0; i < n; i++) total += (yield i) as number;
      return total;
    }, 3);
    expect(c.resume()).toEqual({ kind: "yield", value: 0 });
    expect(c.resume(10)).toEqual({ kind: "yield", value: 1 });
    expect(c.resume(20)).toEqual({ kind: "yield", value: 2 });
    expect(rt.stats().memory.micro.used).toBe(1);
    expect(c.resume(30)).toEqual({ kind: "complete", value: 60 });
    expect(c.isComplete).toBe(true);
    expect(rt.stats().memory.micro.used).toBe(0);
    expect(() => c.resume()).toThrow(/stack is freed/);
  });

  test("an error comes back as { kind: 'error' }; destroy() runs finally blocks and frees the stack", () => {
    const rt = new Runtime();
    const e = rt.create(function* () {
      yield 1;
      throw new Error("bad");
    });
    e.resume();
    const r = e.resume();
    expect(r.kind).toBe("error");
    const log: string[] = [];
    const d = rt.create(function* () {
      try {
        yield 1;
      } finally {
        log.push("cleanup");
      }
    });
    d.resume();
    d.destroy();
    expect(log).toEqual(["cleanup"]);
    expect(d.isComplete).toBe(true);
    expect(rt.stats().memory.micro.used).toBe(0);
  });

  test("call() works inside; scheduler operations are refused", () => {
    const rt = new Runtime();
    const leaf = coro({ name: "leaf", locals: { x: "i32" } }, function* (f, v: number) {
      f.x = v;
      yield f.x;
      return f.x + 1;
    });
    const c = rt.create(function* () {
      const r = yield* call(leaf, 4);
      yield r;
      yield* sleep(1);
    });
    expect(c.resume()).toEqual({ kind: "yield", value: 4 });
    expect(c.resume()).toEqual({ kind: "yield", value: 5 });
    const r = c.resume();
    expect(r.kind).toBe("error");
    expect(String((r as { error: unknown }).error)).toMatch(/needs the scheduler/);
  });
});

describe("sharing an address space", () => {
  test("a runtime attaches to a shared address space through { buffer }; a private one refuses", () => {
    const owner = new Runtime({ shared: true });
    const guest = new Runtime({ buffer: owner.memory.buffer });
    const a = owner.spawn(function* () {
      yield* sleep(1);
      return "owner";
    });
    const b = guest.spawn(function* () {
      return "guest";
    });
    expect(owner.memory.stats().micro.used).toBe(2); // one address space, seen from both
    expect(a.stack.addr).not.toBe(b.stack.addr);
    owner.run();
    guest.run();
    expect([a.result, b.result]).toEqual(["owner", "guest"]);
    owner.memory.checkMemory();
    const privateRt = new Runtime();
    expect(() => new Runtime({ buffer: privateRt.memory.buffer })).toThrow(/shared: true/);
  });
});

describe("bad input leaves the runtime unchanged", () => {
  test("constructor options are validated", () => {
    expect(() => new Runtime({ clockHz: 0 })).toThrow(/clockHz .* received 0/);
    expect(() => new Runtime({ overflow: "explode" as never })).toThrow(/overflow must be "grow" or "error", received "explode"/);
    expect(() => new Runtime({ seed: Number.NaN })).toThrow(/seed/);
  });

  test("spawning when memory is exhausted throws OutOfMemoryError and leaks nothing", () => {
    const pools = { micro: 4, small: 1, medium: 1 };
    const initial = new AddressSpace({ pools }).stats().bufferBytes;
    const rt = new Runtime({ pools, maxMemoryBytes: initial + 64 * 1024 }); // little room to grow
    const tasks: Task<void>[] = [];
    let err: unknown;
    try {
      for (let i = 0; i < 100_000; i++) tasks.push(rt.spawn(function* () {}));
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as Error).message).toMatch(/micro/);
    expect(rt.stats().spawned).toBe(tasks.length);
    rt.run();
    expect(rt.stats().memory.micro.used).toBe(0);
  });
});
