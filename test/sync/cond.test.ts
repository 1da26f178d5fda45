import { describe, expect, test } from "vitest";
import { Channel, Cond, DeadlockError, Mutex, RWMutex, Runtime, SyncError, sleep, yieldNow } from "../../src/index.js";
import { checkCond, checkMutex } from "../../src/sync/validate.js";
import { exactClockRuntime, settle, thrownBy } from "./helpers.js";

describe("Cond", () => {
  // Go's TestCondSignal: n waiters, n signals, each wakes exactly one.
  test("signal() wakes one waiter at a time (Go's TestCondSignal)", () => {
    const rt = new Runtime();
    const m = new Mutex();
    const c = new Cond(m);
    const n = 2;
    const running = new Channel<boolean>(n);
    const awake = new Channel<boolean>(n);
    for (let i = 0; i < n; i++) {
      rt.spawn(function* waiter() {
        yield* m.lock();
        yield* running.send(true);
        yield* c.wait();
        yield* awake.send(true);
        m.unlock();
      });
    }
    rt.spawn(function* main() {
      for (let i = 0; i < n; i++) yield* running.recv(); // wait for everyone to run
      for (let k = n; k > 0; k--) {
        expect(awake.tryRecv(), "goroutine not asleep").toBeUndefined();
        yield* m.lock();
        c.signal();
        m.unlock();
        yield* awake.recv(); // will deadlock if no goroutine wakes up
        expect(awake.tryRecv(), "too many goroutines awake").toBeUndefined();
      }
      c.signal(); // nobody waits: lost
    });
    rt.run();
    checkCond(c);
  });

  // Go's TestCondSignalGenerations: waiters wake in the order they waited.
  test("signal() wakes the waiters in the order they started waiting (Go's TestCondSignalGenerations)", () => {
    const rt = new Runtime();
    const m = new Mutex();
    const c = new Cond(m);
    const n = 20;
    const running = new Channel<boolean>(n);
    const awake = new Channel<number>(n);
    rt.spawn(function* main() {
      for (let i = 0; i < n; i++) {
        rt.spawn(function* waiter() {
          yield* m.lock();
          yield* running.send(true);
          yield* c.wait();
          yield* awake.send(i);
          m.unlock();
        });
        if (i > 0) expect((yield* awake.recv()).value).toBe(i - 1);
        yield* running.recv();
        yield* m.lock();
        c.signal();
        m.unlock();
      }
    });
    rt.run();
  });

  // Go's TestCondBroadcast (shortened): every round, broadcast wakes all n.
  test("broadcast() wakes every waiter (Go's TestCondBroadcast)", () => {
    const rt = new Runtime({ seed: 8 });
    const m = new Mutex();
    const c = new Cond(m);
    const n = 20;
    const rounds = 5;
    const running = new Channel<number>(n);
    const awake = new Channel<number>(n);
    let exit = false;
    for (let i = 0; i < n; i++) {
      rt.spawn(function* waiter() {
        yield* m.lock();
        while (!exit) {
          yield* running.send(i);
          yield* c.wait();
          yield* awake.send(i);
        }
        m.unlock();
      });
    }
    rt.spawn(function* main() {
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < n; i++) yield* running.recv();
        if (r === rounds - 1) {
          yield* m.lock();
          exit = true;
          m.unlock();
        }
        expect(awake.tryRecv()).toBeUndefined();
        yield* m.lock();
        c.broadcast();
        m.unlock();
        const seen = new Set<number>();
        for (let i = 0; i < n; i++) seen.add((yield* awake.recv()).value!);
        expect(seen.size).toBe(n);
      }
    });
    rt.run();
  });

  test("wait() returns holding the lock, after queueing for it like any locker", () => {
    const rt = exactClockRuntime();
    const m = new Mutex();
    const c = new Cond(m);
    const log: string[] = [];
    let ready = false;
    rt.spawn(function* consumer() {
      yield* m.lock();
      while (!ready) yield* c.wait();
      expect(m.locked).toBe(true);
      expect(m.holder?.name).toBe("consumer");
      log.push(`consumer@${rt.now()}`);
      m.unlock();
    });
    rt.spawn(function* producer() {
      yield* sleep(1);
      yield* m.lock();
      ready = true;
      c.signal(); // the consumer wakes, but must wait for the lock
      yield* sleep(4);
      m.unlock();
    });
    rt.run();
    expect(log).toEqual(["consumer@5"]);
  });

  test("works on an RWMutex's write lock", () => {
    const rt = exactClockRuntime();
    const rw = new RWMutex();
    const c = new Cond(rw);
    let ready = false;
    let seen = false;
    rt.spawn(function* () {
      yield* rw.lock();
      while (!ready) yield* c.wait();
      seen = rw.writer;
      rw.unlock();
    });
    rt.spawn(function* () {
      yield* sleep(1);
      yield* rw.lock();
      ready = true;
      c.broadcast();
      rw.unlock();
    });
    rt.run();
    expect(seen).toBe(true);
  });

  describe("misuse", () => {
    test("wait() without holding the lock is the lock's SyncError, and nothing is queued", () => {
      const rt = new Runtime();
      const m = new Mutex({ name: "L" });
      const c = new Cond(m);
      let err: unknown;
      rt.spawn(function* () {
        try {
          yield* c.wait();
        } catch (e) {
          err = e;
        }
      });
      rt.run();
      expect(err).toBeInstanceOf(SyncError);
      expect((err as Error).message).toBe('sync: unlock of unlocked mutex (Mutex#2 "L")');
      expect(c.queue.size).toBe(0);
    });

    test("the lock must be a Mutex or an RWMutex", () => {
      expect(() => new Cond({} as never)).toThrow(new TypeError("Cond needs a Mutex or an RWMutex as its lock, received an object (Object)"));
      expect(() => new Cond(new Mutex(), { name: 1 as never })).toThrow(TypeError);
    });
  });

  describe("cancellation (our rule: a cancelled wait does not hold the lock)", () => {
    test("cancelled while waiting for a signal: off the queue, the lock not held in its finally", () => {
      const rt = exactClockRuntime();
      const m = new Mutex();
      const c = new Cond(m);
      const log: string[] = [];
      const w = rt.spawn(function* waiter() {
        yield* m.lock();
        let held = true;
        try {
          held = false;
          yield* c.wait();
          held = true;
        } finally {
          log.push(`finally: holder ${m.holder === null ? "none" : m.holder.name}, held ${held}`);
          if (held) m.unlock();
        }
      });
      rt.spawn(function* () {
        yield* sleep(1);
        w.cancel();
        expect(c.queue.size).toBe(0);
        checkCond(c);
        checkMutex(m);
      });
      rt.run();
      expect(log).toEqual(["finally: holder none, held false"]);
      expect(m.locked).toBe(false);
    });

    test("cancelled while re-acquiring the lock after a signal: off the lock's queue, the lock not held", () => {
      const rt = exactClockRuntime();
      const m = new Mutex();
      const c = new Cond(m);
      const log: string[] = [];
      const w = rt.spawn(function* waiter() {
        yield* m.lock();
        try {
          yield* c.wait();
          log.push("returned");
        } finally {
          log.push(`finally: holder ${m.holder === null ? "none" : m.holder.name}`);
        }
      });
      rt.spawn(function* signaller() {
        yield* sleep(1);
        yield* m.lock();
        c.signal();
        yield* yieldNow(); // the waiter resumes and queues for the lock
        expect(m.queue.size).toBe(1);
        w.cancel();
        expect(m.queue.size).toBe(0);
        m.unlock();
      });
      rt.run();
      expect(log).toEqual(["finally: holder none"]);
      expect(w.state).toBe("cancelled");
      expect(m.locked).toBe(false);
    });
  });

  describe("observability", () => {
    test("a waiter nobody signals is reported with its Cond and lock", () => {
      const rt = new Runtime();
      const m = new Mutex({ name: "L" });
      const c = new Cond(m, { name: "ready" });
      rt.spawn(function* waiter() {
        yield* m.lock();
        yield* c.wait();
      });
      const err = settle(rt);
      expect(err).toBeInstanceOf(DeadlockError);
      expect(err!.blocked).toEqual(['#1 waiter: wait Cond#2 "ready" (on Mutex#1 "L")']);
      expect(thrownBy(() => m.unlock())).toBeInstanceOf(SyncError); // the wait released it
    });
  });
});
