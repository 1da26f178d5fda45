import { describe, expect, test } from "vitest";
import { Mutex, RWMutex, Runtime, Semaphore, type Operation } from "cprime-coro";
import { explore } from "cprime-coro/test";

/**
 * A read taken before the lock (a lost update): each worker reads the
 * counter, then locks, writes read + 1 and unlocks. An uncontended lock
 * completes at once, so without a scheduling point before it the two workers
 * never interleave and every run passes; with `preemptAtOps` the explorer
 * may switch before the lock, and the second worker's update is lost.
 */
interface Lock {
  lock(): Operation<void>;
  unlock(): void;
}

function lostUpdate(acquire: (rt: Runtime) => Lock) {
  return (rt: Runtime) => {
    const lock = acquire(rt);
    let counter = 0;
    for (let w = 0; w < 2; w++) {
      rt.spawn(function* worker() {
        const seen = counter; // the bug: read outside the critical section
        yield* lock.lock();
        counter = seen + 1;
        lock.unlock();
      });
    }
    return () => {
      if (counter !== 2) throw new Error(`lost update: counter is ${counter}, expected 2`);
    };
  };
}

const primitives: [string, (rt: Runtime) => Lock][] = [
  [
    "Mutex.lock()",
    () => {
      const mu = new Mutex();
      return { lock: () => mu.lock(), unlock: () => mu.unlock() };
    },
  ],
  [
    "RWMutex.lock()",
    () => {
      const rw = new RWMutex();
      return { lock: () => rw.lock(), unlock: () => rw.unlock() };
    },
  ],
  [
    "Semaphore.acquire()",
    () => {
      const sem = new Semaphore(1);
      return { lock: () => sem.acquire(1), unlock: () => sem.release(1) };
    },
  ],
];

describe("schedule exploration preempts before the sync primitives' blocking calls (preemptAtOps)", () => {
  test.each(primitives)("a read before %s is a lost update the exhaustive strategy finds", (_name, acquire) => {
    const program = lostUpdate(acquire);
    expect(explore(program, { strategy: "exhaustive", runs: 200 }).ok).toBe(true); // no point before the lock: never seen
    const found = explore(program, { strategy: "exhaustive", runs: 200, preemptAtOps: true });
    expect(found.ok).toBe(false);
    expect(String((found.failure?.error as Error).message)).toContain("lost update");
  });
});
