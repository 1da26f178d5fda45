import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Mutex, Runtime, WaitGroup, sleep, type DeadlockReport } from "../../src/index.js";
import { settle } from "./helpers.js";

/** Spawns a coroutine that looks for deadlocks at 5 ms, while it can still act; created first, so it can reach nothing made later. */
function lookAt5ms(rt: Runtime): DeadlockReport[][] {
  const seen: DeadlockReport[][] = [];
  rt.spawn(function* look() {
    yield* sleep(5);
    seen.push(rt.deadlocks());
  });
  return seen;
}

describe("deadlock reports through sync primitives", () => {
  test("two mutexes locked in opposite orders: one cycle, named hop by hop", () => {
    const rt = new Runtime();
    const seen = lookAt5ms(rt);
    const x = new Mutex({ name: "x" });
    const y = new Mutex({ name: "y" });
    rt.spawn(
      function* a(m1: Mutex, m2: Mutex) {
        yield* m1.lock();
        yield* sleep(1);
        yield* m2.lock();
      },
      x,
      y,
    );
    rt.spawn(
      function* b(m1: Mutex, m2: Mutex) {
        yield* m2.lock();
        yield* sleep(1);
        yield* m1.lock();
      },
      x,
      y,
    );
    expect(settle(rt)).toBeInstanceOf(DeadlockError);
    const [r] = seen[0];
    expect(r.kind).toBe("cycle");
    expect(r.coroutines.map((c) => c.waitsOn)).toEqual(['lock Mutex#2 "y" (held by #3 b)', 'lock Mutex#1 "x" (held by #2 a)']);
    expect(r.cycle).toBe('cycle: #2 a → Mutex#2 "y" held by #3 b → Mutex#1 "x" held by #2 a');
    expect(r.message).toContain(r.cycle);
  });

  test("a cycle through a mutex and a channel is reported as one cycle", () => {
    const rt = new Runtime();
    const seen = lookAt5ms(rt);
    const mu = new Mutex({ name: "accounts" });
    const ch = new Channel<number>(0, { name: "replies" });
    // holder takes the lock, then waits for a reply that only `asker` would send — after taking the lock.
    rt.spawn(
      function* holder(m: Mutex, c: Channel<number>) {
        yield* m.lock();
        yield* c.recv();
        m.unlock();
      },
      mu,
      ch,
    );
    rt.spawn(
      function* asker(m: Mutex, c: Channel<number>) {
        yield* m.lock();
        yield* c.send(1);
        m.unlock();
      },
      mu,
      ch,
    );
    const err = settle(rt);
    expect(err).toBeInstanceOf(DeadlockError);
    expect(err!.blocked).toEqual(['#2 holder: recv on Channel#2 "replies" (capacity 0)', '#3 asker: lock Mutex#1 "accounts" (held by #2 holder)']);
    expect(seen[0]).toHaveLength(1);
    const [r] = seen[0];
    expect(r.kind).toBe("cycle");
    expect(r.waitsOn.sort()).toEqual(['Channel#2 "replies" (capacity 0)', 'Mutex#1 "accounts"']);
    expect(r.cycle).toBe('cycle: #2 holder → Channel#2 "replies" (capacity 0) used by #3 asker → Mutex#1 "accounts" held by #2 holder');
  });

  test("waiters on a lock whose holder is stuck elsewhere are reported with it, not as a cycle", () => {
    const rt = new Runtime();
    const seen = lookAt5ms(rt);
    const mu = new Mutex({ name: "m" });
    const never = new Channel<number>(0, { name: "never" });
    rt.spawn(
      function* holder(m: Mutex, c: Channel<number>) {
        yield* m.lock();
        yield* c.recv(); // nobody will ever send
      },
      mu,
      never,
    );
    for (let i = 0; i < 2; i++) {
      rt.spawn(function* waiter(m: Mutex) {
        yield* m.lock();
      }, mu);
    }
    expect(settle(rt)).toBeInstanceOf(DeadlockError);
    const [r] = seen[0];
    expect(r.kind).toBe("unreachable");
    expect(r.coroutines.map((c) => c.name)).toEqual(["holder", "waiter", "waiter"]);
    expect(r.cycle).toBeUndefined();
  });

  test("the holder of a lock that can still act keeps its waiters out of the report", () => {
    const rt = new Runtime();
    const seen = lookAt5ms(rt);
    const mu = new Mutex({ name: "m" });
    rt.spawn(function* slowHolder(m: Mutex) {
      yield* m.lock();
      yield* sleep(20); // sleeping: it will unlock
      m.unlock();
    }, mu);
    rt.spawn(function* waiter(m: Mutex) {
      yield* m.lock();
      m.unlock();
    }, mu);
    rt.run();
    expect(seen[0]).toEqual([]);
  });

  test("detectLeaks reports a WaitGroup waiter whose workers are all stuck on a lock", () => {
    const reports: DeadlockReport[] = [];
    const rt = new Runtime({ detectLeaks: (r) => reports.push(...r) });
    rt.spawn(function* ticker() {
      for (let i = 0; i < 3; i++) yield* sleep(10);
    });
    rt.spawn(function* main() {
      const mu = new Mutex({ name: "m" });
      const wg = new WaitGroup({ name: "workers" });
      yield* mu.lock(); // never unlocked
      for (let i = 0; i < 2; i++) {
        wg.add(1);
        rt.spawn(function* worker() {
          yield* mu.lock();
          wg.done();
        });
      }
      yield* wg.wait();
    });
    expect(settle(rt)).toBeInstanceOf(DeadlockError);
    expect(reports).toHaveLength(1);
    expect(reports[0].coroutines.map((c) => c.waitsOn)).toEqual([
      'wait WaitGroup#2 "workers" (counter 2)',
      'lock Mutex#1 "m" (held by #2 main)',
      'lock Mutex#1 "m" (held by #2 main)',
    ]);
    expect(reports[0].kind).toBe("cycle");
    expect(reports[0].cycle).toBe('cycle: #2 main → WaitGroup#2 "workers" reachable by #3 worker → Mutex#1 "m" held by #2 main');
  });
});
