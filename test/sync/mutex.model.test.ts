/**
 * Model-based tests (fast-check `fc.commands`) of Mutex and WaitGroup
 * against models made of a flag, a counter and arrays (see helpers.ts for
 * how the runtime is driven).
 *
 * After every command: checkMutex / checkWaitGroup (at most one holder, a
 * queue only while locked; a counter never negative, no waiter at zero), the
 * real state against the model — locked, holder, the FIFO order of the
 * queue, the counter — and every task's state.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Mutex, SyncError, WaitGroup } from "../../src/index.js";
import { checkMutex, checkWaitGroup } from "../../src/sync/validate.js";
import { runs } from "../support/fc.js";
import { Harness, type PrimitiveModel } from "./helpers.js";

// ── Mutex ─────────────────────────────────────────────────────────────────

class MutexModel implements PrimitiveModel<"lock"> {
  locked = false;
  /** Task id of the holder; 0 when taken outside coroutines. */
  holder = 0;
  queue: number[] = [];
  constructor(private readonly h: Harness<"lock">) {}
  start(id: number): "done" | "blocked" {
    if (!this.locked) {
      this.locked = true;
      this.holder = id;
      return "done";
    }
    this.queue.push(id);
    return "blocked";
  }
  cancelBlocked(id: number): void {
    this.queue.splice(this.queue.indexOf(id), 1);
  }
  unlock(): "ok" | "misuse" {
    if (!this.locked) return "misuse";
    const next = this.queue.shift();
    if (next === undefined) {
      this.locked = false;
      this.holder = 0;
    } else {
      this.holder = next; // hand-off, FIFO
      this.h.wake(next);
    }
    return "ok";
  }
}

interface MutexWorld {
  h: Harness<"lock">;
  m: MutexModel;
  mu: Mutex;
}

function checkMutexWorld({ h, m, mu }: MutexWorld): void {
  checkMutex(mu);
  expect(mu.locked).toBe(m.locked);
  expect(mu.holder === null ? 0 : mu.holder.id).toBe(m.holder);
  expect(Harness.ids(mu.queue)).toEqual(m.queue);
  h.checkStates();
}

type MutexCmd = fc.Command<MutexModel, MutexWorld>;
const mutexCommands: fc.Arbitrary<MutexCmd>[] = [
  fc.constant<MutexCmd>({
    check: () => true,
    run(_m, w) {
      w.h.spawn("lock", () => w.mu.lock());
      checkMutexWorld(w);
    },
    toString: () => "Lock",
  }),
  fc.constant<MutexCmd>({
    check: () => true,
    run(m, w) {
      if (m.unlock() === "misuse") expect(() => w.mu.unlock()).toThrow(SyncError);
      else w.mu.unlock();
      checkMutexWorld(w);
    },
    toString: () => "Unlock",
  }),
  fc.constant<MutexCmd>({
    check: () => true,
    run(m, w) {
      const free = !m.locked;
      expect(w.mu.tryLock()).toBe(free);
      if (free) {
        m.locked = true;
        m.holder = 0;
      }
      checkMutexWorld(w);
    },
    toString: () => "TryLock",
  }),
  fc.nat(12).map<MutexCmd>((k) => ({
    check: () => true,
    run(_m, w) {
      const ids = [...w.h.tasks.keys()];
      if (ids.length > 0) w.h.cancel(ids[k % ids.length]);
      checkMutexWorld(w);
    },
    toString: () => `Cancel(${k})`,
  })),
  fc.constant<MutexCmd>({
    check: () => true,
    run(_m, w) {
      w.h.advance();
      checkMutexWorld(w);
    },
    toString: () => "Advance",
  }),
];

// ── WaitGroup ─────────────────────────────────────────────────────────────

class WaitGroupModel implements PrimitiveModel<"wait"> {
  counter = 0;
  waiters: number[] = [];
  /** Released at zero, not yet resumed (cleared by Advance). */
  released: number[] = [];
  constructor(private readonly h: Harness<"wait">) {}
  start(id: number): "done" | "blocked" {
    if (this.counter === 0) return "done";
    this.waiters.push(id);
    return "blocked";
  }
  cancelBlocked(id: number): void {
    this.waiters.splice(this.waiters.indexOf(id), 1);
  }
  add(delta: number): "ok" | "negative" | "reuse" {
    const v = this.counter + delta;
    if (v < 0) return "negative";
    if (delta > 0 && this.counter === 0 && this.released.length > 0) return "reuse";
    this.counter = v;
    if (v === 0) {
      for (const id of this.waiters) this.h.wake(id);
      this.released.push(...this.waiters);
      this.waiters = [];
    }
    return "ok";
  }
}

interface WaitGroupWorld {
  h: Harness<"wait">;
  m: WaitGroupModel;
  wg: WaitGroup;
}

function checkWaitGroupWorld({ h, m, wg }: WaitGroupWorld): void {
  checkWaitGroup(wg);
  expect(wg.count).toBe(m.counter);
  expect(Harness.ids(wg.queue)).toEqual(m.waiters);
  h.checkStates();
}

type WgCmd = fc.Command<WaitGroupModel, WaitGroupWorld>;
const waitGroupCommands: fc.Arbitrary<WgCmd>[] = [
  fc.constant<WgCmd>({
    check: () => true,
    run(_m, w) {
      w.h.spawn("wait", () => w.wg.wait());
      checkWaitGroupWorld(w);
    },
    toString: () => "Wait",
  }),
  fc.integer({ min: -2, max: 3 }).map<WgCmd>((delta) => ({
    check: () => true,
    run(m, w) {
      const before = w.wg.count;
      const expected = m.add(delta);
      if (expected === "ok") w.wg.add(delta);
      else {
        expect(() => w.wg.add(delta)).toThrow(expected === "negative" ? "negative WaitGroup counter" : "Add called concurrently with Wait");
        expect(w.wg.count).toBe(before); // state unchanged
      }
      checkWaitGroupWorld(w);
    },
    toString: () => `Add(${delta})`,
  })),
  fc.constant<WgCmd>({
    check: () => true,
    run(m, w) {
      if (m.add(-1) === "ok") w.wg.done();
      else expect(() => w.wg.done()).toThrow(SyncError);
      checkWaitGroupWorld(w);
    },
    toString: () => "Done",
  }),
  fc.nat(12).map<WgCmd>((k) => ({
    check: () => true,
    run(_m, w) {
      const ids = [...w.h.tasks.keys()];
      if (ids.length > 0) w.h.cancel(ids[k % ids.length]);
      checkWaitGroupWorld(w);
    },
    toString: () => `Cancel(${k})`,
  })),
  fc.constant<WgCmd>({
    check: () => true,
    run(m, w) {
      w.h.advance();
      m.released = [];
      checkWaitGroupWorld(w);
    },
    toString: () => "Advance",
  }),
];

describe("Mutex against its model", () => {
  test("at most one holder, FIFO hand-off, no barging, clean cancellation", () => {
    fc.assert(
      fc.property(fc.commands(mutexCommands, { maxCommands: 60, size: "max" }), (cmds) => {
        const h = new Harness<"lock">();
        const m = new MutexModel(h);
        h.model = m;
        fc.modelRun(() => ({ model: m, real: { h, m, mu: new Mutex({ name: "m" }) } }), cmds);
      }),
      { numRuns: runs(60) },
    );
  });
});

describe("WaitGroup against its model", () => {
  test("the counter never goes negative, zero releases every waiter, reuse before wait returns is refused", () => {
    fc.assert(
      fc.property(fc.commands(waitGroupCommands, { maxCommands: 60, size: "max" }), (cmds) => {
        const h = new Harness<"wait">();
        const m = new WaitGroupModel(h);
        h.model = m;
        fc.modelRun(() => ({ model: m, real: { h, m, wg: new WaitGroup({ name: "wg" }) } }), cmds);
      }),
      { numRuns: runs(60) },
    );
  });
});
