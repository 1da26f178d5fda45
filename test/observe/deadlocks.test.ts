import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { Channel, DeadlockError, Mutex, Runtime, after, recv, select, sleep, yieldNow, type DeadlockReport, type Task } from "../../src/index.js";
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
    // The ticker is created before the channels, so it cannot hold them in a closure.
    const seen: DeadlockReport[][] = [];
    rt.spawn(ticker, rt, 3, seen);
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
    const seen: DeadlockReport[][] = [];
    rt.spawn(ticker, rt, 2, seen); // created before the channel: it cannot hold it
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
    expect(() => rt.run()).toThrow(DeadlockError);
    expect(seen[0]).toHaveLength(1);
    expect(seen[0][0]).toMatchObject({ kind: "unreachable", waitsOn: [results.describe()] });
    expect(seen[0][0].coroutines.map((c) => c.id)).toEqual([2, 3]);
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

describe("rt.deadlocks(): who may hold a channel", () => {
  test("a coroutine created after a channel made outside coroutines may hold it in its closure: no report", () => {
    // The README's pattern, with the producer sleeping before its first send.
    const rt = new Runtime({ detectLeaks: true });
    const jobs = new Channel<number>(0, { name: "jobs" });
    const got: number[] = [];
    rt.spawn(function* consumer() {
      for (let r = yield* jobs.recv(); r.ok; r = yield* jobs.recv()) got.push(r.value);
    });
    rt.spawn(function* producer() {
      for (let i = 0; i < 3; i++) {
        yield* sleep(100); // has never touched jobs while the consumer waits
        yield* jobs.send(i);
      }
      jobs.close();
    });
    rt.run();
    expect(got).toEqual([0, 1, 2]);
  });

  test("a channel made inside a coroutine is held only by it and what it spawns afterwards: a leaked worker is found", () => {
    const reports: DeadlockReport[] = [];
    const rt = new Runtime({ detectLeaks: (r) => reports.push(...r) });
    rt.spawn(function* listener() {
      for (let i = 0; i < 3; i++) {
        rt.spawn(function* handler(n: number) {
          const reply = new Channel<number>(0, { name: `reply-${n}` });
          rt.spawn(function* worker() {
            yield* sleep(50);
            yield* reply.send(n); // nobody receives after the timeout: the worker leaks
          });
          yield* select([recv(reply), after(10)]);
        }, i);
        yield* sleep(100);
      }
      for (let i = 0; i < 10; i++) yield* sleep(100); // keeps running: the leaks are partial
    });
    expect(() => rt.run()).toThrow(DeadlockError);
    const leaked = reports.flatMap((r) => r.coroutines.map((c) => c.name));
    expect(leaked).toEqual(["worker", "worker", "worker"]);
    expect(reports[0].waitsOn[0]).toMatch(/reply-0/);
  });

  test("a report caused by a failure carries it: a producer that died", () => {
    const reports: DeadlockReport[] = [];
    const rt = new Runtime({ detectLeaks: (r) => reports.push(...r) });
    const boom = new Error("producer exploded");
    let producerTask: Task<void> | null = null;
    // The monitor is created before the channel, so it cannot hold it; it observes the failure.
    rt.spawn(function* monitor() {
      while (producerTask === null) yield* sleep(1);
      try {
        yield* producerTask.join();
      } catch {
        // observed: the run goes on
      }
      for (let i = 0; i < 5; i++) yield* sleep(10);
    });
    rt.spawn(function* pipeline() {
      const jobs = new Channel<number>(0, { name: "jobs" });
      producerTask = rt.spawn(function* producer() {
        yield* sleep(5);
        yield* jobs.send(1);
        throw boom;
      });
      rt.spawn(function* consumer() {
        for (;;) yield* jobs.recv(); // never closed: the producer died first
      });
    });
    let err: unknown;
    try {
      rt.run();
    } catch (e) {
      err = e;
    }
    expect(reports).toHaveLength(1);
    expect(reports[0].cause).toBe(boom);
    expect(reports[0].causedBy).toMatch(/#\d+ producer/);
    expect(reports[0].message).toContain("caused by the failure of");
    expect(reports[0].message).toContain("producer exploded");
    // And the final deadlock says so too.
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as Error).cause).toBe(boom);
    expect((err as Error).message).toMatch(/caused by the failure of #\d+ producer.*producer exploded/);
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

describe("DeadlockError names the wait-for cycle", () => {
  function lockThenSend(rt: Runtime): void {
    const accounts = new Mutex({ name: "accounts" });
    const audit = new Channel<number>(0, { name: "audit" });
    rt.spawn(function* transfer() {
      yield* accounts.lock();
      yield* sleep(1);
      yield* audit.send(1); // the auditor would receive, but it waits for the lock we hold
      accounts.unlock();
    });
    rt.spawn(function* auditor() {
      audit.tryRecv(); // it uses the channel: it is the one that could receive
      yield* accounts.lock();
      yield* audit.recv();
      accounts.unlock();
    });
  }

  test("run() throws a DeadlockError whose message and cycles field name the cycle through the mutex and the channel", () => {
    const rt = new Runtime();
    lockThenSend(rt);
    let err: unknown;
    try {
      rt.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeadlockError);
    const d = err as DeadlockError;
    expect(d.cycles).toHaveLength(1);
    expect(d.cycles[0]).toMatch(/^cycle: #1 transfer → /);
    expect(d.cycles[0]).toContain('Mutex#1 "accounts"');
    expect(d.cycles[0]).toContain('Channel#2 "audit"');
    expect(d.message).toContain(d.cycles[0]);
  });

  test("detectLeaks: true throws the partial deadlock with its cycle while another coroutine still sleeps", () => {
    const rt = new Runtime({ detectLeaks: true });
    // Spawned before the mutex and the channel exist, so no closure of its can hold them.
    rt.spawn(function* bystander() {
      for (let i = 0; i < 5; i++) yield* sleep(10);
    });
    lockThenSend(rt);
    let err: unknown;
    try {
      rt.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as DeadlockError).partial).toBe(true);
    expect((err as DeadlockError).cycles.join("\n")).toContain('Mutex#1 "accounts"');
  });

  test("a deadlock without a cycle (nobody left can reach the channel) has no cycles", () => {
    const rt = new Runtime();
    const ch = new Channel<number>();
    rt.spawn(function* lonely() {
      yield* ch.recv();
    });
    expect(() => rt.run()).toThrow(DeadlockError);
    try {
      rt.run();
    } catch (e) {
      expect((e as DeadlockError).cycles).toEqual([]);
    }
  });
});
