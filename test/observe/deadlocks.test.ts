import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { Channel, DeadlockError, Runtime, after, recv, select, sleep, yieldNow, type DeadlockReport } from "../../src/index.js";
import { runs } from "../support/fc.js";

/** A coroutine that keeps the runtime busy (others "still run") while the checks happen. */
function* ticker(rt: Runtime, ticks: number, seen: DeadlockReport[][]) {
  for (let i = 0; i < ticks; i++) {
    yield* sleep(10);
    seen.push(rt.deadlocks());
  }
}

describe("rt.deadlocks()", () => {
  test("finds a cycle of two while another coroutine still runs", () => {
    const rt = new Runtime();
    const a = new Channel<number>(0, { name: "a" });
    const b = new Channel<number>(0, { name: "b" });
    rt.spawn(
      function* left(x: Channel<number>, y: Channel<number>) {
        yield* x.recv(); // waits for right, which waits for left
        yield* y.send(1);
      },
      a,
      b,
    );
    rt.spawn(
      function* right(x: Channel<number>, y: Channel<number>) {
        yield* y.recv();
        yield* x.send(1);
      },
      a,
      b,
    );
    const seen: DeadlockReport[][] = [];
    rt.spawn(ticker, rt, 3, seen);
    expect(() => rt.run()).toThrow(DeadlockError); // at the very end everything is stuck
    const first = seen[0];
    expect(first).toHaveLength(1);
    expect(first[0].kind).toBe("cycle");
    expect(first[0].coroutines.map((c) => c.name)).toEqual(["left", "right"]);
    expect(first[0].waitsOn.sort()).toEqual([a.describe(), b.describe()].sort());
    expect(first[0].message).toContain("wait on each other");
  });

  test("finds receivers left on a channel nobody can reach any more", () => {
    const rt = new Runtime();
    const results = new Channel<number>(0, { name: "results" });
    rt.spawn(function* worker(out: Channel<number>) {
      yield* out.recv(); // the producer below already finished: nobody will ever send
    }, results);
    rt.spawn(function* worker2(out: Channel<number>) {
      yield* out.recv();
    }, results);
    rt.spawn(function* producer(out: Channel<number>) {
      yield* yieldNow();
      void out; // spawned with it, but ends without sending
    }, results);
    const seen: DeadlockReport[][] = [];
    rt.spawn(ticker, rt, 2, seen);
    expect(() => rt.run()).toThrow(DeadlockError);
    expect(seen[0]).toHaveLength(1);
    expect(seen[0][0]).toMatchObject({ kind: "unreachable", waitsOn: [results.describe()] });
    expect(seen[0][0].coroutines.map((c) => c.id)).toEqual([1, 2]);
  });

  test("does not report a coroutine that something able to act can still wake", () => {
    const rt = new Runtime();
    const ch = new Channel<number>();
    const seen: DeadlockReport[][] = [];
    rt.spawn(function* waiter(c: Channel<number>) {
      yield* c.recv();
    }, ch);
    rt.spawn(function* lateSender(c: Channel<number>) {
      yield* sleep(25); // sleeping: can act later
      yield* c.send(1);
    }, ch);
    rt.spawn(function* timed() {
      yield* select([recv(new Channel()), after(1000)]); // a timed select wakes by itself
    });
    rt.spawn(ticker, rt, 2, seen);
    rt.run();
    expect(seen.flat()).toEqual([]);
  });

  test("a join on a leaked coroutine is a leak too", () => {
    const rt = new Runtime();
    const seen: DeadlockReport[][] = [];
    const stuck = rt.spawn(function* stuck() {
      yield* new Channel<number>(0, { name: "nobody" }).recv();
    });
    rt.spawn(function* boss() {
      yield* stuck.join();
    });
    rt.spawn(ticker, rt, 1, seen);
    expect(() => rt.run()).toThrow(DeadlockError);
    expect(seen[0].flatMap((r) => r.coroutines.map((c) => c.name)).sort()).toEqual(["boss", "stuck"]);
  });

  test("a random workload that completes reports none at any point", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 8 }),
        fc.integer(),
        (pairs, seed) => {
          const rt = new Runtime({ seed });
          const seen: DeadlockReport[][] = [];
          for (const [cap, n] of pairs) {
            const ch = new Channel<number>(cap);
            rt.spawn(function* producer(c: Channel<number>) {
              for (let i = 0; i < n; i++) {
                yield* c.send(i);
                yield* sleep(1);
              }
              c.close();
            }, ch);
            rt.spawn(function* consumer(c: Channel<number>) {
              for (let r = yield* c.recv(); r.ok; r = yield* c.recv()) yield* sleep(2);
            }, ch);
          }
          rt.spawn(function* monitor() {
            while (rt.stats().live > 1) {
              seen.push(rt.deadlocks());
              yield* sleep(1);
            }
          });
          rt.run();
          expect(seen.flat()).toEqual([]);
        },
      ),
      { numRuns: runs(100) },
    );
  });
});

describe("detectLeaks", () => {
  function leaky(rt: Runtime) {
    rt.spawn(function* leak() {
      yield* new Channel<number>(0, { name: "orphan" }).recv();
    });
    rt.spawn(function* busy() {
      for (let i = 0; i < 100; i++) yield* sleep(1); // keeps the clock jumping
    });
  }

  test("a callback gets each leak once, while others still run", () => {
    const reports: DeadlockReport[] = [];
    const rt = new Runtime({ detectLeaks: (r) => reports.push(...r) });
    leaky(rt);
    expect(() => rt.run()).toThrow(DeadlockError); // the leak is still stuck at the end
    expect(reports).toHaveLength(1);
    expect(reports[0].coroutines[0]).toMatchObject({ id: 1, name: "leak" });
    expect(reports[0].coroutines[0].waitsOn).toMatch(/recv on Channel#\d+ "orphan" \(capacity 0\)/);
  });

  test("true: run() stops with a partial DeadlockError at the first finding", () => {
    const rt = new Runtime({ detectLeaks: true });
    leaky(rt);
    let err: unknown;
    try {
      rt.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as DeadlockError).partial).toBe(true);
    expect((err as Error).message).toMatch(/^partial deadlock: 1 coroutine can never wake while others still run:\n {2}#1 leak: recv on Channel#\d+ "orphan"/);
    expect(rt.now()).toBeLessThan(100); // found early, not at the end
  });

  test("a bad option is refused", () => {
    expect(() => new Runtime({ detectLeaks: "yes" as never })).toThrow(/detectLeaks must be a boolean or a function .*received "yes"/);
  });
});
