/**
 * Priority inheritance (priorityInheritance: true): the Mars Pathfinder
 * inversion shown failing without it and fixed with it, loans taken back
 * on unlock, and chains of holders.
 */
import { describe, expect, it } from "vitest";
import { Mutex, Runtime, sleep, yieldNow, type Task } from "../../src/index.js";
import { main as pathfinder } from "../../docs/examples/seed-pathfinder.js";

describe("priority inheritance", () => {
  it("Mars Pathfinder: without inheritance the high-priority task misses its deadline behind medium work; with it, it does not", () => {
    const [without, withInheritance] = pathfinder();
    expect(without).toMatch(/^without inheritance: medium, low, high; bus manager \(high\) missed 20 ms/);
    expect(withInheritance).toBe("with inheritance: low, high, medium; no deadline missed");
  });

  it("the holder runs at its highest waiter's priority while it holds the lock, and at its own again after unlocking", () => {
    const rt = new Runtime({ priorityInheritance: true });
    const mu = new Mutex();
    const seen: number[] = [];
    const low: Task<void> = rt.spawnWith({ priority: 1 }, function* () {
      yield* mu.lock();
      yield* sleep(2); // the waiters queue up meanwhile
      seen.push(low.priority, effective(rt, low));
      mu.unlock();
      yield* yieldNow();
      seen.push(effective(rt, low));
    });
    rt.spawnWith({ priority: 7 }, function* () {
      yield* sleep(1);
      yield* mu.lock();
      mu.unlock();
    });
    rt.spawnWith({ priority: 4 }, function* () {
      yield* sleep(1);
      yield* mu.lock();
      mu.unlock();
    });
    rt.run();
    expect(seen).toEqual([1, 7, 1]);
  });

  it("a loan passes along a chain: high waits on B held by mid, which waits on A held by low; low runs at high's priority", () => {
    const rt = new Runtime({ priorityInheritance: true });
    const a = new Mutex({ name: "A" });
    const b = new Mutex({ name: "B" });
    let lowSeen = 0;
    const low: Task<void> = rt.spawnWith({ priority: 1 }, function* () {
      yield* a.lock();
      yield* sleep(2);
      lowSeen = effective(rt, low);
      a.unlock();
    });
    rt.spawnWith({ priority: 3 }, function* () {
      yield* b.lock();
      yield* sleep(1);
      yield* a.lock();
      a.unlock();
      b.unlock();
    });
    rt.spawnWith({ priority: 9 }, function* () {
      yield* sleep(1);
      yield* b.lock();
      b.unlock();
    });
    rt.run();
    expect(lowSeen).toBe(9);
  });

  it("without the option nobody inherits: the holder keeps its own priority", () => {
    const rt = new Runtime();
    const mu = new Mutex();
    let seen = -1;
    const low: Task<void> = rt.spawnWith({ priority: 1 }, function* () {
      yield* mu.lock();
      yield* sleep(2);
      seen = effective(rt, low);
      mu.unlock();
    });
    rt.spawnWith({ priority: 7 }, function* () {
      yield* sleep(1);
      yield* mu.lock();
      mu.unlock();
    });
    rt.run();
    expect(seen).toBe(1);
  });
});

/** The priority the ready queue orders the task by (its own or a loan). */
function effective(_rt: Runtime, t: Task<unknown>): number {
  return (t as unknown as { effectivePriority: number }).effectivePriority;
}
