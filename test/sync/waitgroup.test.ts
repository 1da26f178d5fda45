import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Runtime, SyncError, WaitGroup, sleep, yieldNow } from "../../src/index.js";
import { checkWaitGroup } from "../../src/sync/validate.js";
import { exactClockRuntime, expectSyncError, settle, thrownBy } from "./helpers.js";

describe("WaitGroup", () => {
  // Go's testWaitGroup: wg1 counts the workers in, wg2 holds them until main releases it; run eight times on the same pair.
  test("is a reusable barrier: nobody passes wg2 before the last done() (Go's TestWaitGroup)", () => {
    const rt = new Runtime({ seed: 5 });
    const wg1 = new WaitGroup();
    const wg2 = new WaitGroup();
    rt.spawn(function* main() {
      for (let round = 0; round < 8; round++) {
        const n = 16;
        wg1.add(n);
        wg2.add(n);
        const exited = new Channel<boolean>(n);
        for (let i = 0; i < n; i++) {
          rt.spawn(function* worker() {
            wg1.done();
            yield* wg2.wait();
            yield* exited.send(true);
          });
        }
        yield* wg1.wait();
        for (let i = 0; i < n; i++) {
          expect(exited.tryRecv(), "released too soon").toBeUndefined();
          wg2.done();
        }
        for (let i = 0; i < n; i++) yield* exited.recv();
        checkWaitGroup(wg1);
        checkWaitGroup(wg2);
      }
    });
    rt.run();
    expect(wg1.count).toBe(0);
    expect(wg2.count).toBe(0);
  });

  test("wait() at zero returns without suspending", () => {
    const rt = new Runtime();
    const wg = new WaitGroup();
    rt.spawn(function* () {
      const before = rt.stats().contextSwitches;
      yield* wg.wait();
      expect(rt.stats().contextSwitches).toBe(before);
    });
    rt.run();
  });

  test("zero releases every waiter at once, in arrival order", () => {
    const rt = exactClockRuntime();
    const wg = new WaitGroup();
    wg.add(2);
    const order: string[] = [];
    for (const name of ["a", "b", "c"]) {
      rt.spawn(function* waiter() {
        yield* wg.wait();
        order.push(`${name}@${rt.now()}`);
      });
    }
    rt.spawn(function* worker() {
      yield* sleep(3);
      wg.done();
      yield* sleep(4);
      wg.done();
    });
    rt.run();
    expect(order).toEqual(["a@7", "b@7", "c@7"]);
  });

  // Go's TestWaitGroupRace: no spurious wake-up before both workers are done.
  test("wait() returns only after every done()", () => {
    const rt = new Runtime({ seed: 9 });
    rt.spawn(function* main() {
      for (let i = 0; i < 50; i++) {
        const wg = new WaitGroup();
        let n = 0;
        for (let k = 0; k < 2; k++) {
          wg.add(1);
          rt.spawn(function* () {
            if (k === 0) yield* yieldNow();
            n++;
            wg.done();
          });
        }
        yield* wg.wait();
        expect(n).toBe(2);
      }
    });
    rt.run();
  });

  describe("misuse (Go's TestWaitGroupMisuse)", () => {
    test("a done() past zero is a SyncError naming the counter, and the counter stays", () => {
      const wg = new WaitGroup({ name: "jobs" });
      wg.add(1);
      wg.done();
      expectSyncError(() => wg.done(), "sync: negative WaitGroup counter", 'done() on WaitGroup "jobs" with counter 0');
      expect(wg.count).toBe(0);
      checkWaitGroup(wg);
    });

    test("an add() that would go negative names the delta and changes nothing", () => {
      const wg = new WaitGroup();
      wg.add(2);
      expectSyncError(() => wg.add(-3), "add(-3)", "with counter 2");
      expect(wg.count).toBe(2);
    });

    test.each([
      [1.5, RangeError, "1.5"],
      [Number.NaN, RangeError, "NaN"],
      [Infinity, RangeError, "Infinity"],
      ["1", TypeError, '"1"'],
      [undefined, TypeError, "undefined"],
    ])("add(%s) is a %s naming the value", (bad, type, shown) => {
      const wg = new WaitGroup();
      wg.add(1);
      const e = thrownBy(() => wg.add(bad as number));
      expect(e).toBeInstanceOf(type);
      expect((e as Error).message).toBe(`WaitGroup.add(delta) must be an integer, received ${shown}`);
      expect(wg.count).toBe(1);
    });

    // Go's TestWaitGroupMisuse3: reuse before the previous wait has returned.
    test("an add() at zero while a released waiter has not returned yet is Go's misuse error", () => {
      const rt = new Runtime();
      const wg = new WaitGroup({ name: "w" });
      wg.add(1);
      let err: unknown;
      rt.spawn(function* main() {
        yield* wg.wait(); // released by done() below, resumes later
      });
      rt.spawn(function* finisher() {
        wg.done();
        err = thrownBy(() => wg.add(1)); // main has not returned from wait() yet
      });
      rt.run();
      expect(err).toBeInstanceOf(SyncError);
      expect((err as Error).message).toMatch(
        /^sync: WaitGroup misuse: Add called concurrently with Wait: add\(1\) on WaitGroup#1 "w", .*released 1 waiter .*\(#1 main\)$/,
      );
      expect(wg.count).toBe(0);
    });

    test("once the released waiters have returned, the WaitGroup can be reused", () => {
      const rt = new Runtime();
      const wg = new WaitGroup();
      wg.add(1);
      rt.spawn(function* main() {
        yield* wg.wait();
        wg.add(1); // fine: every wait of the last round has returned
        rt.spawn(function* () {
          wg.done();
        });
        yield* wg.wait();
      });
      rt.spawn(function* () {
        wg.done();
      });
      rt.run();
      expect(wg.count).toBe(0);
    });
  });

  describe("cancellation", () => {
    test("a cancelled wait() is no waiter: it leaves the queue and zero releases only the others", () => {
      const rt = exactClockRuntime();
      const wg = new WaitGroup();
      wg.add(1);
      const passed: string[] = [];
      const victim = rt.spawn(function* victim() {
        yield* wg.wait();
        passed.push("victim");
      });
      rt.spawn(function* other() {
        yield* wg.wait();
        passed.push("other");
      });
      rt.spawn(function* () {
        yield* sleep(1);
        victim.cancel();
        expect(wg.queue.size).toBe(1);
        checkWaitGroup(wg);
        wg.done();
      });
      rt.run();
      expect(passed).toEqual(["other"]);
      expect(victim.state).toBe("cancelled");
    });
  });

  describe("observability", () => {
    test("run() names the WaitGroup and its counter", () => {
      const rt = new Runtime();
      const wg = new WaitGroup({ name: "jobs" });
      wg.add(3);
      rt.spawn(function* main() {
        yield* wg.wait();
      });
      rt.spawn(function* worker() {
        wg.done();
      });
      const err = thrownBy(() => rt.run());
      expect(err).toBeInstanceOf(DeadlockError);
      expect((err as DeadlockError).blocked).toEqual(['#1 main: wait WaitGroup#1 "jobs" (counter 2)']);
    });

    test("a WaitGroup nobody left can reach is a partial deadlock (detectLeaks)", () => {
      const reports: string[] = [];
      const rt = new Runtime({ detectLeaks: (r) => reports.push(...r.map((x) => x.message)) });
      rt.spawn(function* ticker() {
        for (let i = 0; i < 3; i++) yield* sleep(10);
      });
      rt.spawn(function* main() {
        const wg = new WaitGroup({ name: "lost" });
        wg.add(1);
        yield* wg.wait(); // nobody else ever sees wg
      });
      expect(settle(rt)).toBeInstanceOf(DeadlockError); // and at the very end, a full deadlock

      expect(reports).toHaveLength(1);
      expect(reports[0]).toContain('#2 main: wait WaitGroup#1 "lost" (counter 1)');
    });
  });
});
