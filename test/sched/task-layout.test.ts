/**
 * The task's compact layout: the flag bits the hot paths spell as literals
 * (see Runtime.step) and the field budget that keeps a parked coroutine small
 * (docs/DESIGN.md, "Parked memory").
 */
import { describe, expect, test } from "vitest";
import { Channel, Runtime, sleep } from "../../src/index.js";
import {
  BLOCKED,
  CANCEL_REQUESTED,
  CANCELLED,
  DONE,
  F_CANCEL,
  F_CANCEL_REQUESTED,
  F_RESUME_ERROR,
  F_SCHEDULED,
  F_STATE,
  F_WOKEN,
  FAILED,
  READY,
  RUNNING,
  type TaskImpl,
} from "../../src/sched/task.js";
import { F_CLASS_MASK, F_DEAD, F_HEADER_ONLY, classIndexOf } from "../../src/coro/stack.js";

describe("task flags", () => {
  test("the bit values the hot paths write as literals", () => {
    expect([READY, RUNNING, BLOCKED, DONE, FAILED, CANCELLED]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(F_STATE).toBe(7);
    expect(F_SCHEDULED).toBe(8);
    expect(F_WOKEN).toBe(16);
    expect(F_CANCEL).toBe(96);
    expect(F_CANCEL_REQUESTED).toBe(CANCEL_REQUESTED << 5);
    expect(F_CANCEL_REQUESTED).toBe(32);
    expect(F_RESUME_ERROR).toBe(1024);
    expect(F_CLASS_MASK).toBe(3 << 11);
    expect(classIndexOf(2 << 11)).toBe(2);
  });

  test("no two fields share a bit, and all fit a small integer", () => {
    const fields = [F_STATE, F_SCHEDULED, F_WOKEN, F_CANCEL, 1 << 7 /* observed */, F_DEAD, F_HEADER_ONLY, F_RESUME_ERROR, F_CLASS_MASK];
    let seen = 0;
    for (const f of fields) {
      expect(seen & f).toBe(0);
      seen |= f;
    }
    expect(seen).toBeLessThan(2 ** 30);
  });
});

describe("a parked coroutine's JavaScript footprint", () => {
  test("a task parked in a plain recv has at most 15 fields and no side objects", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(0);
    const task = rt.spawn(function* () {
      yield* ch.recv();
    }) as unknown as TaskImpl;
    rt.spawn(function* () {}); // something else runs too
    try {
      rt.run();
    } catch {
      // the receiver is deadlocked on purpose: it stays parked
    }
    expect(task.state).toBe("blocked");
    expect(Object.keys(task).length).toBeLessThanOrEqual(15);
    expect(task.ext).toBeNull(); // no frames, no chained segments, one channel touched
    expect(task.waitOn).toBe(ch.recvq); // the queue is its wait record: no waiter object
  });

  test("a task parked in a send keeps the offered value on itself, and cancel drops it", () => {
    const rt = new Runtime();
    const ch = new Channel<string>(0);
    const task = rt.spawn(function* () {
      yield* ch.send("offered");
    }) as unknown as TaskImpl;
    expect(() => rt.run()).toThrow(/send on Channel/);
    expect(task.resume).toBe("offered");
    task.cancel();
    rt.run();
    expect(task.state).toBe("cancelled");
    expect(task.resume).toBeUndefined();
    expect(ch.sendq.size).toBe(0);
  });
});

describe("spawn's one-entry caches (the last generator function, the last plain argument)", () => {
  test("a cached function or argument changes nothing a spawn checks or records", () => {
    const rt = new Runtime({ name: "caches", seed: 1 });
    const shared = { hits: 0 };
    function* worker(o: { hits: number }, ch?: Channel<number>) {
      o.hits++;
      if (ch !== undefined) yield* ch.send(1);
    }
    rt.spawn(worker, shared);
    rt.spawn(worker, shared); // both cached now
    // Refusals still happen after a cached spawn: a non-generator, null, a channel of another runtime.
    expect(() => rt.spawn((() => 1) as never)).toThrow(TypeError);
    expect(() => rt.spawn(null as never)).toThrow(/generator function/);
    const other = new Runtime({ name: "other", seed: 1 });
    const foreign = new Channel<number>(1);
    other.spawn(function* () {
      yield* foreign.send(0);
    });
    other.run();
    expect(() => rt.spawn(worker, shared, foreign)).toThrow(/another runtime|belongs to/);
    // A channel argument after the cached plain one is still recorded as touched (leak reachability).
    const ch = new Channel<number>(0);
    const t = rt.spawn(worker, shared, ch);
    rt.spawn(function* () {
      yield* ch.recv();
    });
    rt.run();
    expect(shared.hits).toBe(3);
    expect(t.state).toBe("done");
    expect(rt.stats().spawned).toBe(4);
    rt.memory.checkMemory(); // throws on a broken invariant
    expect(rt.stats().memory.micro.used).toBe(0);
  });
});

describe("a sleeping coroutine", () => {
  test("is its own timer: the heap holds the task, and cancelling takes it out", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const sleeper = rt.spawn(function* () {
      try {
        yield* sleep(50);
        log.push("woke");
      } finally {
        log.push("finally");
      }
    }) as unknown as TaskImpl;
    const other = rt.spawn(function* () {
      yield* sleep(100);
      log.push("other woke");
    }) as unknown as TaskImpl;
    rt.run({ until: 10 });
    const timers = sleeper.sched.timers;
    expect([...timers]).toEqual(expect.arrayContaining([sleeper, other]));
    expect(timers.size).toBe(2);
    expect((timers.deadlineOf(sleeper) / rt.clockHz) * 1000).toBeCloseTo(50, 3); // 50 ms after it started, a few cycles in
    expect(rt.dump().coroutines.find((c) => c.id === sleeper.id)?.waiting?.on).toBe("sleep until 50 ms");
    sleeper.cancel();
    expect(sleeper.heapIndex).toBe(-1);
    expect([...timers]).toEqual([other]);
    rt.run();
    expect(log).toEqual(["finally", "other woke"]);
    expect(rt.now()).toBeCloseTo(100, 3);
    expect(timers.size).toBe(0);
  });
});
