/**
 * Model-based tests (fast-check `fc.commands`) of RWMutex and Semaphore
 * against models made of counters and arrays (see helpers.ts for how the
 * runtime is driven).
 *
 * After every command: checkRWMutex (never a writer beside a reader, no
 * missed hand-off) / checkSemaphore (held ≤ size, the head never fits while
 * it waits), the real state against the model — holders, counts, the FIFO
 * order of every queue — and every task's state.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { RWMutex, Semaphore, SyncError } from "../../src/index.js";
import { checkRWMutex, checkSemaphore } from "../../src/sync/validate.js";
import { runs } from "../support/fc.js";
import { Harness, type PrimitiveModel } from "./helpers.js";

// ── RWMutex ───────────────────────────────────────────────────────────────

type RwOp = "r" | "w";

class RWMutexModel implements PrimitiveModel<RwOp> {
  writer = false;
  /** Task id of the writer; 0 when taken outside coroutines. */
  holder = 0;
  readers = 0;
  writeq: number[] = [];
  readq: number[] = [];
  constructor(private readonly h: Harness<RwOp>) {}
  start(id: number, op: RwOp): "done" | "blocked" {
    if (op === "r") {
      if (!this.writer && this.writeq.length === 0) {
        this.readers++;
        return "done";
      }
      this.readq.push(id);
      return "blocked";
    }
    if (!this.writer && this.readers === 0) {
      this.writer = true;
      this.holder = id;
      return "done";
    }
    this.writeq.push(id);
    return "blocked";
  }
  cancelBlocked(id: number): void {
    const wi = this.writeq.indexOf(id);
    if (wi >= 0) {
      this.writeq.splice(wi, 1);
      if (this.writeq.length === 0 && !this.writer) this.admitReaders();
    } else this.readq.splice(this.readq.indexOf(id), 1);
  }
  unlock(): "ok" | "misuse" {
    if (!this.writer) return "misuse";
    this.writer = false;
    this.holder = 0;
    this.admitReaders();
    if (this.readers === 0) this.admitWriter();
    return "ok";
  }
  runlock(): "ok" | "misuse" {
    if (this.readers === 0) return "misuse";
    this.readers--;
    if (this.readers === 0) this.admitWriter();
    return "ok";
  }
  private admitReaders(): void {
    for (const id of this.readq) this.h.wake(id);
    this.readers += this.readq.length;
    this.readq = [];
  }
  private admitWriter(): void {
    const w = this.writeq.shift();
    if (w === undefined) return;
    this.writer = true;
    this.holder = w;
    this.h.wake(w);
  }
}

interface RwWorld {
  h: Harness<RwOp>;
  m: RWMutexModel;
  rw: RWMutex;
}

function checkRwWorld({ h, m, rw }: RwWorld): void {
  checkRWMutex(rw);
  expect(rw.writer).toBe(m.writer);
  expect(rw.holder === null ? 0 : rw.holder.id).toBe(m.holder);
  expect(rw.readers).toBe(m.readers);
  expect(Harness.ids(rw.writeq)).toEqual(m.writeq);
  expect(Harness.ids(rw.readq)).toEqual(m.readq);
  h.checkStates();
}

type RwCmd = fc.Command<RWMutexModel, RwWorld>;
const rwCommands: fc.Arbitrary<RwCmd>[] = [
  fc.constantFrom<RwOp>("r", "w").map<RwCmd>((op) => ({
    check: () => true,
    run(_m, w) {
      w.h.spawn(op, () => (op === "r" ? w.rw.rlock() : w.rw.lock()));
      checkRwWorld(w);
    },
    toString: () => (op === "r" ? "RLock" : "Lock"),
  })),
  fc.constantFrom("unlock", "runlock").map<RwCmd>((call) => ({
    check: () => true,
    run(m, w) {
      const expected = call === "unlock" ? m.unlock() : m.runlock();
      if (expected === "misuse") expect(() => (call === "unlock" ? w.rw.unlock() : w.rw.runlock())).toThrow(SyncError);
      else if (call === "unlock") w.rw.unlock();
      else w.rw.runlock();
      checkRwWorld(w);
    },
    toString: () => (call === "unlock" ? "Unlock" : "RUnlock"),
  })),
  fc.constantFrom("tryLock", "tryRLock").map<RwCmd>((call) => ({
    check: () => true,
    run(m, w) {
      if (call === "tryLock") {
        const free = !m.writer && m.readers === 0;
        expect(w.rw.tryLock()).toBe(free);
        if (free) {
          m.writer = true;
          m.holder = 0;
        }
      } else {
        const ok = !m.writer && m.writeq.length === 0;
        expect(w.rw.tryRLock()).toBe(ok);
        if (ok) m.readers++;
      }
      checkRwWorld(w);
    },
    toString: () => call,
  })),
  fc.nat(12).map<RwCmd>((k) => ({
    check: () => true,
    run(_m, w) {
      const ids = [...w.h.tasks.keys()];
      if (ids.length > 0) w.h.cancel(ids[k % ids.length]);
      checkRwWorld(w);
    },
    toString: () => `Cancel(${k})`,
  })),
  fc.constant<RwCmd>({
    check: () => true,
    run(_m, w) {
      w.h.advance();
      checkRwWorld(w);
    },
    toString: () => "Advance",
  }),
];

// ── Semaphore ─────────────────────────────────────────────────────────────

const SIZE = 4;

class SemaphoreModel implements PrimitiveModel<number> {
  held = 0;
  queue: { id: number; n: number }[] = [];
  /** Requests larger than SIZE: blocked until cancelled, never queued. */
  doomed = new Set<number>();
  constructor(private readonly h: Harness<number>) {}
  start(id: number, n: number): "done" | "blocked" {
    if (n > SIZE) {
      this.doomed.add(id);
      return "blocked";
    }
    if (SIZE - this.held >= n && this.queue.length === 0) {
      this.held += n;
      return "done";
    }
    this.queue.push({ id, n });
    return "blocked";
  }
  cancelBlocked(id: number): void {
    if (this.doomed.delete(id)) return;
    const i = this.queue.findIndex((e) => e.id === id);
    this.queue.splice(i, 1);
    if (i === 0) this.notify();
  }
  release(n: number): "ok" | "misuse" {
    if (n > this.held) return "misuse";
    this.held -= n;
    this.notify();
    return "ok";
  }
  tryAcquire(n: number): boolean {
    if (SIZE - this.held < n || this.queue.length > 0) return false;
    this.held += n;
    return true;
  }
  private notify(): void {
    while (this.queue.length > 0 && SIZE - this.held >= this.queue[0].n) {
      const e = this.queue.shift()!;
      this.held += e.n;
      this.h.wake(e.id);
    }
  }
}

interface SemWorld {
  h: Harness<number>;
  m: SemaphoreModel;
  sem: Semaphore;
}

function checkSemWorld({ h, m, sem }: SemWorld): void {
  checkSemaphore(sem);
  expect(sem.free).toBe(SIZE - m.held);
  expect(Harness.ids(sem.queue)).toEqual(m.queue.map((e) => e.id));
  h.checkStates();
}

type SemCmd = fc.Command<SemaphoreModel, SemWorld>;
const semCommands: fc.Arbitrary<SemCmd>[] = [
  fc.integer({ min: 0, max: SIZE + 1 }).map<SemCmd>((n) => ({
    check: () => true,
    run(_m, w) {
      w.h.spawn(n, () => w.sem.acquire(n));
      checkSemWorld(w);
    },
    toString: () => `Acquire(${n})`,
  })),
  fc.integer({ min: 1, max: 3 }).map<SemCmd>((n) => ({
    check: () => true,
    run(m, w) {
      if (m.release(n) === "misuse") expect(() => w.sem.release(n)).toThrow(SyncError);
      else w.sem.release(n);
      checkSemWorld(w);
    },
    toString: () => `Release(${n})`,
  })),
  fc.integer({ min: 0, max: SIZE + 1 }).map<SemCmd>((n) => ({
    check: () => true,
    run(m, w) {
      expect(w.sem.tryAcquire(n)).toBe(m.tryAcquire(n));
      checkSemWorld(w);
    },
    toString: () => `TryAcquire(${n})`,
  })),
  fc.nat(12).map<SemCmd>((k) => ({
    check: () => true,
    run(_m, w) {
      const ids = [...w.h.tasks.keys()];
      if (ids.length > 0) w.h.cancel(ids[k % ids.length]);
      checkSemWorld(w);
    },
    toString: () => `Cancel(${k})`,
  })),
  fc.constant<SemCmd>({
    check: () => true,
    run(_m, w) {
      w.h.advance();
      checkSemWorld(w);
    },
    toString: () => "Advance",
  }),
];

describe("RWMutex against its model", () => {
  test("never a writer beside a reader; writer preference; FIFO hand-off; clean cancellation", () => {
    fc.assert(
      fc.property(fc.commands(rwCommands, { maxCommands: 60, size: "max" }), (cmds) => {
        const h = new Harness<RwOp>();
        const m = new RWMutexModel(h);
        h.model = m;
        fc.modelRun(() => ({ model: m, real: { h, m, rw: new RWMutex({ name: "rw" }) } }), cmds);
      }),
      { numRuns: runs(60) },
    );
  });
});

describe("Semaphore against its model", () => {
  test("held never exceeds the size; FIFO grants; a cancelled head lets the others through", () => {
    fc.assert(
      fc.property(fc.commands(semCommands, { maxCommands: 60, size: "max" }), (cmds) => {
        const h = new Harness<number>();
        const m = new SemaphoreModel(h);
        h.model = m;
        fc.modelRun(() => ({ model: m, real: { h, m, sem: new Semaphore(SIZE, { name: "s" }) } }), cmds);
      }),
      { numRuns: runs(60) },
    );
  });
});
