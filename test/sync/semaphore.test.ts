import { describe, expect, test } from "vitest";
import { DeadlockError, Runtime, Semaphore, WaitGroup, sleep } from "../../src/index.js";
import { checkSemaphore } from "../../src/sync/validate.js";
import { exactClockRuntime, expectSyncError, settle, thrownBy } from "./helpers.js";

describe("Semaphore", () => {
  // x/sync's TestWeighted: n coroutines, coroutine i takes i units, over and over.
  test("never hands out more than its size (x/sync's TestWeighted)", () => {
    const rt = new Runtime({ seed: 2 });
    const n = 4;
    const sem = new Semaphore(n);
    let inUse = 0;
    for (let i = 0; i < n; i++) {
      rt.spawn(function* hammer() {
        for (let k = 0; k < 50; k++) {
          yield* sem.acquire(i);
          inUse += i;
          expect(inUse).toBeLessThanOrEqual(n);
          checkSemaphore(sem);
          yield* sleep((k * 7 + i) % 3);
          inUse -= i;
          sem.release(i);
        }
      });
    }
    rt.run();
    expect(sem.free).toBe(n);
  });

  // x/sync's TestWeightedTryAcquire.
  test("tryAcquire() takes free units and refuses when there are none", () => {
    const rt = new Runtime();
    const sem = new Semaphore(2);
    const tries: boolean[] = [];
    rt.spawn(function* () {
      yield* sem.acquire(1);
      tries.push(sem.tryAcquire(1), sem.tryAcquire(1));
      sem.release(2);
      tries.push(sem.tryAcquire(1));
      yield* sem.acquire(1);
      tries.push(sem.tryAcquire(1));
    });
    rt.run();
    expect(tries).toEqual([true, false, true, false]);
  });

  test("waiters are served FIFO: a large request at the head blocks smaller later ones", () => {
    const rt = exactClockRuntime();
    const sem = new Semaphore(3);
    const log: string[] = [];
    rt.spawn(function* holder() {
      yield* sem.acquire(2);
      yield* sleep(10);
      sem.release(2);
    });
    rt.spawn(function* big() {
      yield* sleep(1);
      yield* sem.acquire(3); // one unit free: waits
      log.push(`big@${rt.now()}`);
      sem.release(3);
    });
    rt.spawn(function* small() {
      yield* sleep(2);
      expect(sem.tryAcquire(1)).toBe(false); // it would fit, but big waits first
      yield* sem.acquire(1);
      log.push(`small@${rt.now()}`);
      sem.release(1);
    });
    rt.run();
    expect(log).toEqual(["big@10", "small@10"]);
  });

  // x/sync's TestLargeAcquireDoesntStarve.
  test("a large acquire does not starve behind a stream of small ones", () => {
    const rt = exactClockRuntime();
    const n = 4;
    const sem = new Semaphore(n);
    let running = true;
    let loops = 0;
    const wg = new WaitGroup();
    rt.spawn(function* main() {
      for (let i = 0; i < n; i++) {
        yield* sem.acquire(1);
        wg.add(1);
        rt.spawn(function* worker() {
          try {
            while (running) {
              yield* sleep(1);
              sem.release(1);
              loops++;
              yield* sem.acquire(1);
            }
          } finally {
            sem.release(1);
            wg.done();
          }
        });
      }
      yield* sem.acquire(n);
      running = false;
      sem.release(n);
      yield* wg.wait();
    });
    rt.run();
    expect(loops).toBeLessThanOrEqual(2 * n);
  });

  // x/sync's TestWeightedDoesntBlockIfTooBig.
  test("acquire(n > size) waits until cancelled without queueing: it delays nobody", () => {
    const rt = exactClockRuntime();
    const sem = new Semaphore(2, { name: "db" });
    const doomed = rt.spawn(function* doomed() {
      yield* sem.acquire(3);
    });
    let done = 0;
    for (let i = 0; i < 6; i++) {
      rt.spawn(function* small() {
        yield* sem.acquire(1);
        yield* sleep(1);
        sem.release(1);
        done++;
      });
    }
    rt.spawn(function* () {
      yield* sleep(2);
      expect(rt.dump().coroutines.find((c) => c.id === doomed.id)!.waiting!.on).toBe(
        'acquire 3 of Semaphore#1 "db" (more than its size 2: it can never be granted)',
      );
      yield* sleep(5);
      doomed.cancel();
    });
    rt.run();
    expect(done).toBe(6);
    expect(doomed.state).toBe("cancelled");
    expect(sem.free).toBe(2);
  });

  // x/sync's TestAllocCancelDoesntStarve.
  test("a cancelled request at the head wakes the smaller ones behind it", () => {
    const rt = exactClockRuntime();
    const sem = new Semaphore(10);
    const log: string[] = [];
    rt.spawn(function* reader() {
      yield* sem.acquire(1); // held throughout
      yield* sleep(1000);
      sem.release(1);
    });
    const writer = rt.spawn(function* writer() {
      yield* sleep(1);
      yield* sem.acquire(10); // queued: 9 free
    });
    rt.spawn(function* second() {
      yield* sleep(100);
      yield* sem.acquire(1); // queued behind the writer
      log.push(`second@${rt.now()}`);
      sem.release(1);
    });
    rt.spawn(function* () {
      yield* sleep(300);
      writer.cancel();
      checkSemaphore(sem);
    });
    rt.run();
    expect(log).toEqual(["second@300"]);
  });

  describe("misuse", () => {
    // x/sync's TestWeightedPanic.
    test("releasing more than held is a SyncError naming the counts, and changes nothing", () => {
      const sem = new Semaphore(1, { name: "s" });
      expectSyncError(() => sem.release(1), "semaphore: released more than held", 'release(1) on Semaphore "s" with 0 of 1 held');
      expect(sem.free).toBe(1);
      checkSemaphore(sem);
    });

    test.each([
      [-1, RangeError, "-1"],
      [0.5, RangeError, "0.5"],
      [Number.NaN, RangeError, "NaN"],
      ["2", TypeError, '"2"'],
    ])("a count of %s is a %s naming the value; nothing changes", (bad, type, shown) => {
      const sem = new Semaphore(3);
      expect(sem.tryAcquire(1)).toBe(true);
      for (const [what, f] of [
        ["acquire", () => sem.acquire(bad as number)],
        ["tryAcquire", () => sem.tryAcquire(bad as number)],
        ["release", () => sem.release(bad as number)],
      ] as const) {
        const e = thrownBy(f);
        expect(e).toBeInstanceOf(type);
        expect((e as Error).message).toBe(`Semaphore.${what}(n) must be a non-negative integer, received ${shown}`);
      }
      expect(sem.free).toBe(2);
      expect(() => new Semaphore(bad as number)).toThrow(`Semaphore size must be a non-negative integer, received ${shown}`);
    });
  });

  describe("observability", () => {
    test("a blocked acquire names its request and what is free", () => {
      const rt = new Runtime();
      const sem = new Semaphore(5, { name: "db" });
      rt.spawn(function* hog() {
        yield* sem.acquire(3);
      });
      rt.spawn(function* query() {
        yield* sem.acquire(3);
      });
      const err = settle(rt);
      expect(err).toBeInstanceOf(DeadlockError);
      expect(err!.blocked).toEqual(['#2 query: acquire 3 of Semaphore#1 "db" (2 of 5 free)']);
    });
  });
});
