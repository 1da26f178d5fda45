import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Mutex, Runtime, SyncError, sleep, yieldNow, type Task } from "../../src/index.js";
import { checkMutex } from "../../src/sync/validate.js";
import { exactClockRuntime, expectSyncError, settle, thrownBy } from "./helpers.js";

describe("Mutex", () => {
  // Go's TestMutex: ten goroutines hammer one mutex.
  test("keeps a critical section exclusive under ten hammering coroutines", () => {
    const rt = new Runtime({ seed: 3 });
    const mu = new Mutex();
    let inside = 0;
    let count = 0;
    for (let g = 0; g < 10; g++) {
      rt.spawn(function* hammer() {
        for (let i = 0; i < 100; i++) {
          yield* mu.lock();
          inside++;
          expect(inside).toBe(1);
          if (i % 3 === 0) yield* yieldNow(); // give the others a chance to barge (they must not)
          count++;
          inside--;
          mu.unlock();
        }
      });
    }
    rt.run();
    expect(count).toBe(1000);
    expect(mu.locked).toBe(false);
    checkMutex(mu);
  });

  test("lock() completes at once, without a context switch, when the mutex is free", () => {
    const rt = new Runtime();
    const mu = new Mutex();
    rt.spawn(function* () {
      const before = rt.stats().contextSwitches;
      yield* mu.lock();
      expect(rt.stats().contextSwitches).toBe(before);
      mu.unlock();
    });
    rt.run();
  });

  test("unlock() hands the lock to the first waiter: waiters get it in arrival order", () => {
    const rt = exactClockRuntime();
    const mu = new Mutex();
    const order: string[] = [];
    rt.spawn(function* first() {
      yield* mu.lock();
      yield* sleep(10);
      mu.unlock();
    });
    for (const name of ["a", "b", "c"]) {
      rt.spawn(function* waiter() {
        yield* mu.lock();
        order.push(name);
        mu.unlock();
      });
    }
    rt.run();
    expect(order).toEqual(["a", "b", "c"]);
  });

  test("no barging: a coroutine that unlocks and relocks at once queues behind the waiter (Go's TestMutexFairness)", () => {
    const rt = exactClockRuntime();
    const mu = new Mutex();
    const got: string[] = [];
    rt.spawn(function* greedy() {
      for (let i = 0; i < 3; i++) {
        yield* mu.lock();
        got.push("greedy");
        yield* sleep(1);
        mu.unlock(); // hands over to `other`, which waits: the relock below must queue
      }
    });
    rt.spawn(function* other() {
      for (let i = 0; i < 3; i++) {
        yield* mu.lock();
        got.push("other");
        mu.unlock();
        yield* sleep(1);
      }
    });
    rt.run();
    expect(got).toEqual(["greedy", "other", "greedy", "other", "greedy", "other"]);
  });

  test("the woken waiter holds the lock before it runs: tryLock() from anyone fails meanwhile", () => {
    const rt = exactClockRuntime();
    const mu = new Mutex();
    const box: { waiter?: Task<void> } = {};
    rt.spawn(function* holder() {
      yield* mu.lock();
      yield* yieldNow(); // let the waiter queue
      mu.unlock();
      expect(mu.locked).toBe(true);
      expect(mu.holder).toBe(box.waiter);
      expect(mu.tryLock()).toBe(false);
    });
    box.waiter = rt.spawn(function* waiter() {
      yield* mu.lock();
      mu.unlock();
    });
    rt.run();
    expect(mu.locked).toBe(false);
  });

  test("tryLock() takes a free mutex and refuses a held one", () => {
    const mu = new Mutex();
    expect(mu.tryLock()).toBe(true);
    expect(mu.locked).toBe(true);
    expect(mu.tryLock()).toBe(false);
    mu.unlock();
    expect(mu.locked).toBe(false);
  });

  test("another coroutine may unlock it, as in Go", () => {
    const rt = new Runtime();
    const mu = new Mutex();
    rt.spawn(function* () {
      yield* mu.lock();
    });
    rt.spawn(function* () {
      yield* yieldNow();
      mu.unlock();
    });
    rt.run();
    expect(mu.locked).toBe(false);
  });

  describe("misuse (Go's TestMutexMisuse)", () => {
    test("unlock() of a mutex never locked is a SyncError naming it, and changes nothing", () => {
      const mu = new Mutex({ name: "accounts" });
      expectSyncError(() => mu.unlock(), "sync: unlock of unlocked mutex", 'Mutex "accounts"');
      expect(mu.locked).toBe(false);
      checkMutex(mu);
    });

    test("a second unlock() is a SyncError", () => {
      const rt = new Runtime();
      const mu = new Mutex({ name: "m" });
      let err: unknown;
      rt.spawn(function* () {
        yield* mu.lock();
        mu.unlock();
        err = thrownBy(() => mu.unlock());
      });
      rt.run();
      expect(err).toBeInstanceOf(SyncError);
      expect((err as Error).message).toBe('sync: unlock of unlocked mutex (Mutex#1 "m")');
    });

    test("options must be an object and the name a string", () => {
      expect(() => new Mutex(5 as never)).toThrow(new TypeError("Mutex options must be an object, received 5"));
      expect(() => new Mutex({ name: 7 as never })).toThrow(new TypeError("Mutex name must be a string, received 7"));
    });

    test("lock() outside a coroutine is a TypeError that says so", () => {
      const mu = new Mutex();
      expect(() => mu.lock()[Symbol.iterator]().next()).toThrow(/Mutex.lock\(\) must be used inside a coroutine/);
      expect(mu.locked).toBe(false);
    });

    test("a mutex used by one runtime is refused by another's coroutine", () => {
      const a = new Runtime({ name: "a" });
      const b = new Runtime({ name: "b" });
      const mu = new Mutex();
      a.spawn(function* () {
        yield* mu.lock();
        mu.unlock();
      });
      a.run();
      let err: unknown;
      b.spawn(function* () {
        try {
          yield* mu.lock();
        } catch (e) {
          err = e;
        }
      });
      b.run();
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toContain('belongs to runtime "a"');
      expect(mu.locked).toBe(false);
    });
  });

  describe("cancellation", () => {
    test("a cancelled lock() acquires nothing and leaves the queue; the next waiter gets the lock", () => {
      const rt = exactClockRuntime();
      const mu = new Mutex();
      const got: string[] = [];
      rt.spawn(function* holder() {
        yield* mu.lock();
        yield* sleep(10);
        mu.unlock();
      });
      const victim = rt.spawn(function* victim() {
        yield* mu.lock();
        got.push("victim");
      });
      rt.spawn(function* next() {
        yield* mu.lock();
        got.push("next");
        mu.unlock();
      });
      rt.spawn(function* canceller() {
        yield* sleep(5);
        checkMutex(mu);
        expect([...mu.queue].map((t) => t.id)).toEqual([victim.id, victim.id + 1]);
        victim.cancel();
        expect([...mu.queue].map((t) => t.id)).toEqual([victim.id + 1]);
        checkMutex(mu);
      });
      rt.run();
      expect(victim.state).toBe("cancelled");
      expect(got).toEqual(["next"]);
      expect(mu.locked).toBe(false);
    });

    test("a lock handed over before the cancel arrives is kept: the task runs on to its next suspension, and its finally unlocks", () => {
      const rt = exactClockRuntime();
      const mu = new Mutex();
      const log: string[] = [];
      const box: { waiter?: Task<void> } = {};
      rt.spawn(function* holder() {
        yield* mu.lock();
        yield* yieldNow();
        mu.unlock(); // hands to waiter
        box.waiter!.cancel(); // arrives after the hand-off
        expect(mu.holder).toBe(box.waiter);
      });
      box.waiter = rt.spawn(function* waiter() {
        yield* mu.lock();
        try {
          log.push("holds");
          yield* sleep(1); // the cancellation is delivered here
          log.push("not reached");
        } finally {
          mu.unlock();
          log.push("unlocked in finally");
        }
      });
      rt.run();
      expect(log).toEqual(["holds", "unlocked in finally"]);
      expect(box.waiter!.state).toBe("cancelled");
      expect(mu.locked).toBe(false);
    });
  });

  describe("observability", () => {
    test("a dump names the lock and its holder", () => {
      const rt = new Runtime();
      const mu = new Mutex({ name: "accounts" });
      rt.spawn(function* transfer() {
        yield* mu.lock();
        yield* sleep(10);
        mu.unlock();
      });
      let text = "";
      rt.spawn(function* worker() {
        yield* mu.lock();
        mu.unlock();
      });
      rt.spawn(function* look() {
        yield* sleep(5);
        text = String(rt.dump());
        const w = rt.dump().coroutines.find((c) => c.name === "worker")!;
        expect(w.waiting).toMatchObject({ kind: "lock", on: 'lock Mutex#1 "accounts" (held by #1 transfer)' });
      });
      rt.run();
      expect(text).toContain('coroutine #2 worker [blocked, 5 ms]: lock Mutex#1 "accounts" (held by #1 transfer)');
    });

    test("run() reports a coroutine left on a lock whose holder ended without unlocking", () => {
      const rt = new Runtime();
      const mu = new Mutex({ name: "x" });
      rt.spawn(function* forgetful() {
        yield* mu.lock();
      });
      rt.spawn(function* stuck() {
        yield* mu.lock();
      });
      const err = thrownBy(() => rt.run());
      expect(err).toBeInstanceOf(DeadlockError);
      expect((err as DeadlockError).blocked).toEqual(['#2 stuck: lock Mutex#1 "x" (held by #1 forgetful (ended))']);
    });

    test("locking a mutex you hold is reported as a cycle of one", () => {
      const rt = new Runtime();
      let reports: ReturnType<Runtime["deadlocks"]> = [];
      rt.spawn(function* look() {
        yield* sleep(5); // still able to act, but created before the mutex: it cannot reach it
        reports = rt.deadlocks();
      });
      const mu = new Mutex({ name: "x" });
      rt.spawn(function* again(m: Mutex) {
        yield* m.lock();
        yield* m.lock();
      }, mu);
      expect(settle(rt)).not.toBeNull();
      expect(reports).toHaveLength(1);
      expect(reports[0].kind).toBe("cycle");
      expect(reports[0].cycle).toBe('cycle: #2 again → Mutex#1 "x" held by #2 again');
      expect(reports[0].message).toContain("a coroutine waits on itself");
    });

    test("the block instant in a trace names the lock", () => {
      const rt = new Runtime({ trace: true });
      const mu = new Mutex({ name: "t" });
      rt.spawn(function* a() {
        yield* mu.lock();
        yield* yieldNow();
        mu.unlock();
      });
      rt.spawn(function* b() {
        yield* mu.lock();
        mu.unlock();
      });
      rt.run();
      const blocks = rt.exportTrace().traceEvents.filter((e) => e.name === "block");
      expect(blocks.map((e) => e.args?.on)).toContain('lock Mutex#1 "t" (held by #1 a)');
    });

    test("the runtime holds a mutex while a coroutine waits on it, and says so by description only", () => {
      const rt = exactClockRuntime();
      const mu = new Mutex({ name: "held" });
      rt.spawn(function* a() {
        yield* mu.lock();
        yield* sleep(5);
        mu.unlock();
      });
      rt.spawn(function* b() {
        yield* mu.lock();
        mu.unlock();
      });
      rt.spawn(function* look() {
        yield* sleep(1);
        expect(rt.holds(mu)).toBe(true);
        expect(rt.heldResources()).toContain('Mutex#1 "held"');
      });
      rt.run();
      expect(rt.holds(mu)).toBe(false);
    });

    test("every lock and unlock charges the cost model's channelOp cycles", () => {
      const rt = new Runtime({
        cost: {
          channelOp: 7,
          contextSwitch: { micro: 0, small: 0, medium: 0, large: 0 },
          alloc: { micro: 0, small: 0, medium: 0, large: 0 },
          free: { micro: 0, small: 0, medium: 0, large: 0 },
        },
      });
      const mu = new Mutex();
      rt.spawn(function* () {
        for (let i = 0; i < 10; i++) {
          yield* mu.lock();
          mu.unlock();
        }
      });
      rt.run();
      expect(rt.stats().busyCycles).toBe(20 * 7);
    });

    test("a mutex handed to spawn() counts as used by the new coroutine (leak detection)", () => {
      const rt = new Runtime();
      const mu = new Mutex();
      const ch = new Channel<number>();
      rt.spawn(function* () {
        yield* ch.recv();
      });
      rt.spawn(function* user(m: Mutex) {
        void m;
        yield* sleep(1);
      }, mu);
      expect(settle(rt)).not.toBeNull();
      expect(mu.id).toBeGreaterThan(0); // bound to the runtime at spawn
    });
  });
});
