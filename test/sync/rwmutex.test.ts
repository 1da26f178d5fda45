import { describe, expect, test } from "vitest";
import { DeadlockError, RWMutex, Runtime, SyncError, sleep, yieldNow } from "../../src/index.js";
import { checkRWMutex } from "../../src/sync/validate.js";
import { exactClockRuntime, expectSyncError, settle, thrownBy } from "./helpers.js";

describe("RWMutex", () => {
  // Go's TestParallelReaders: every reader holds the read lock at once.
  test.each([1, 3, 4])("%i readers hold the read lock at the same time (Go's TestParallelReaders)", (n) => {
    const rt = exactClockRuntime();
    const rw = new RWMutex();
    let inside = 0;
    let most = 0;
    for (let i = 0; i < n; i++) {
      rt.spawn(function* reader() {
        yield* rw.rlock();
        inside++;
        most = Math.max(most, inside);
        yield* sleep(1);
        inside--;
        rw.runlock();
      });
    }
    rt.run();
    expect(most).toBe(n);
    expect(rt.now()).toBe(1);
  });

  // Go's HammerRWMutex: a writer never sees a reader, a reader never sees a writer.
  test("never a writer beside a reader under hammering (Go's TestRWMutex)", () => {
    const rt = new Runtime({ seed: 11 });
    const rw = new RWMutex();
    let readers = 0;
    let writers = 0;
    for (let g = 0; g < 8; g++) {
      rt.spawn(function* hammer() {
        for (let i = 0; i < 60; i++) {
          if ((g + i) % 4 === 0) {
            yield* rw.lock();
            writers++;
            expect(readers).toBe(0);
            expect(writers).toBe(1);
            yield* yieldNow();
            writers--;
            rw.unlock();
          } else {
            yield* rw.rlock();
            readers++;
            expect(writers).toBe(0);
            yield* yieldNow();
            readers--;
            rw.runlock();
          }
          checkRWMutex(rw);
        }
      });
    }
    rt.run();
    expect(rw.readers).toBe(0);
    expect(rw.writer).toBe(false);
  });

  test("a waiting writer blocks new readers (writer preference, as Go)", () => {
    const rt = exactClockRuntime();
    const rw = new RWMutex();
    const log: string[] = [];
    rt.spawn(function* r1() {
      yield* rw.rlock();
      yield* sleep(10);
      log.push(`r1 out@${rt.now()}`);
      rw.runlock();
    });
    rt.spawn(function* w() {
      yield* sleep(1);
      yield* rw.lock(); // waits for r1
      log.push(`w in@${rt.now()}`);
      yield* sleep(5);
      rw.unlock();
    });
    rt.spawn(function* r2() {
      yield* sleep(2);
      expect(rw.tryRLock()).toBe(false); // a writer waits: no new reader
      yield* rw.rlock(); // queued behind the writer
      log.push(`r2 in@${rt.now()}`);
      rw.runlock();
    });
    rt.run();
    expect(log).toEqual(["r1 out@10", "w in@10", "r2 in@15"]);
  });

  test("unlock() admits the readers that waited during the write before the next writer", () => {
    const rt = exactClockRuntime();
    const rw = new RWMutex();
    const log: string[] = [];
    rt.spawn(function* w1() {
      yield* rw.lock();
      yield* sleep(10);
      rw.unlock();
    });
    rt.spawn(function* ra() {
      yield* sleep(1);
      yield* rw.rlock();
      log.push(`ra@${rt.now()}`);
      yield* sleep(3);
      rw.runlock();
    });
    rt.spawn(function* w2() {
      yield* sleep(2);
      yield* rw.lock();
      log.push(`w2@${rt.now()}`);
      rw.unlock();
    });
    rt.spawn(function* rb() {
      yield* sleep(3);
      yield* rw.rlock(); // behind w2 (a writer waits), but a write is in progress: admitted at its end
      log.push(`rb@${rt.now()}`);
      yield* sleep(1);
      rw.runlock();
    });
    rt.run();
    expect(log).toEqual(["ra@10", "rb@10", "w2@13"]);
  });

  test("tryLock() needs the lock free; tryRLock() needs no writer holding or waiting", () => {
    const rw = new RWMutex();
    expect(rw.tryRLock()).toBe(true);
    expect(rw.tryRLock()).toBe(true);
    expect(rw.tryLock()).toBe(false);
    rw.runlock();
    rw.runlock();
    expect(rw.tryLock()).toBe(true);
    expect(rw.tryRLock()).toBe(false);
    rw.unlock();
    checkRWMutex(rw);
  });

  describe("misuse (Go's misuseTests)", () => {
    test.each([
      ["unlock() of a fresh RWMutex", (rw: RWMutex) => rw.unlock(), "sync: unlock of unlocked RWMutex"],
      ["unlock() after rlock()", (rw: RWMutex) => (rw.tryRLock(), rw.unlock()), "read-locked by 1"],
      ["a second unlock()", (rw: RWMutex) => (rw.tryLock(), rw.unlock(), rw.unlock()), "sync: unlock of unlocked RWMutex"],
      ["runlock() of a fresh RWMutex", (rw: RWMutex) => rw.runlock(), "sync: runlock of unlocked RWMutex"],
      ["runlock() after lock()", (rw: RWMutex) => (rw.tryLock(), rw.runlock()), "write-locked"],
      ["a second runlock()", (rw: RWMutex) => (rw.tryRLock(), rw.runlock(), rw.runlock()), "sync: runlock of unlocked RWMutex"],
    ])("%s is a SyncError that names the lock", (_what, f, part) => {
      const rw = new RWMutex({ name: "cfg" });
      const e = thrownBy(() => f(rw));
      expect(e).toBeInstanceOf(SyncError);
      expect((e as Error).message).toContain(part);
      expect((e as Error).message).toContain('RWMutex "cfg"');
      checkRWMutex(rw);
    });

    test("a failed unlock changes nothing", () => {
      const rw = new RWMutex();
      rw.tryRLock();
      expectSyncError(() => rw.unlock(), "unlock of unlocked RWMutex");
      expect(rw.readers).toBe(1);
      rw.runlock();
    });
  });

  describe("cancellation", () => {
    test("a cancelled writer that was the only one waiting lets the readers it held back in", () => {
      const rt = exactClockRuntime();
      const rw = new RWMutex();
      const log: string[] = [];
      rt.spawn(function* r1() {
        yield* rw.rlock();
        yield* sleep(10);
        rw.runlock();
      });
      const w = rt.spawn(function* w() {
        yield* sleep(1);
        yield* rw.lock();
        log.push("writer got it");
      });
      rt.spawn(function* r2() {
        yield* sleep(2);
        yield* rw.rlock();
        log.push(`r2@${rt.now()}`);
        rw.runlock();
      });
      rt.spawn(function* canceller() {
        yield* sleep(3);
        w.cancel();
        checkRWMutex(rw);
      });
      rt.run();
      expect(log).toEqual(["r2@3"]);
      expect(w.state).toBe("cancelled");
    });

    test("a cancelled reader acquires nothing", () => {
      const rt = exactClockRuntime();
      const rw = new RWMutex();
      rt.spawn(function* w() {
        yield* rw.lock();
        yield* sleep(5);
        rw.unlock();
      });
      const r = rt.spawn(function* r() {
        yield* rw.rlock();
      });
      rt.spawn(function* () {
        yield* sleep(1);
        r.cancel();
      });
      rt.run();
      expect(rw.readers).toBe(0);
      checkRWMutex(rw);
    });
  });

  describe("observability", () => {
    test("waits name the writer or the readers holding the lock", () => {
      const rt = new Runtime();
      const rw = new RWMutex({ name: "cfg" });
      rt.spawn(function* reader() {
        yield* rw.rlock();
      });
      rt.spawn(function* writer() {
        yield* rw.lock();
      });
      rt.spawn(function* late() {
        yield* rw.rlock();
      });
      const err = settle(rt);
      expect(err).toBeInstanceOf(DeadlockError);
      expect(err!.blocked).toEqual([
        '#2 writer: lock RWMutex#1 "cfg" (held by 1 reader: #1 reader (ended))',
        '#3 late: rlock RWMutex#1 "cfg" (held by 1 reader: #1 reader (ended); writer #2 writer waits first)',
      ]);
    });

    test("a reader waiting on the writer names it", () => {
      const rt = new Runtime();
      const rw = new RWMutex({ name: "cfg" });
      rt.spawn(function* writer() {
        yield* rw.lock();
        yield* sleep(1);
      });
      rt.spawn(function* reader() {
        yield* rw.rlock();
      });
      const err = settle(rt);
      expect(err!.blocked).toEqual(['#2 reader: rlock RWMutex#1 "cfg" (held by writer #1 writer (ended))']);
    });
  });
});
