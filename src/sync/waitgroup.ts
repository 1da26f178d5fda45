/**
 * WaitGroup: Go's sync.WaitGroup.
 *
 * `add(n)` raises the counter, `done()` lowers it by one, `wait()` blocks
 * until it is zero. When the counter reaches zero every waiter is released
 * at once (in arrival order); a `wait()` at zero returns without suspending.
 *
 * Go's misuse panics, as SyncError (the counter is left as it was):
 * - "sync: negative WaitGroup counter": an add or done that would take it below zero;
 * - "WaitGroup misuse: Add called concurrently with Wait": a positive add at
 *   counter zero while waiters released by the last zero have not returned
 *   from wait() yet — Go's "WaitGroup is reused before previous Wait has
 *   returned". Here the interleaving is deterministic, but the program would
 *   race under Go, so it is refused the same way.
 *
 * Invariants (checkWaitGroup): `counter ≥ 0`; a non-empty queue implies
 * `counter > 0`; `released` lists the woken waiters not yet resumed.
 */
import { SyncError } from "../errors.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { currentTaskOrThrow } from "../sched/scheduler.js";
import { DONE, type TaskImpl } from "../sched/task.js";
import { running } from "../coro/context.js";
import { checkCount, label, notifyOutside, plainCall, startOp, SyncPrimitive, type SyncOptions } from "./primitive.js";
import { TaskQueue } from "./queue.js";

/**
 * Waits for a collection of coroutines to finish: the spawner calls
 * `wg.add(n)`, each worker `wg.done()` when it ends, and `yield* wg.wait()`
 * blocks until all have.
 *
 * @example
 * const wg = new WaitGroup({ name: "jobs" });
 * for (const job of jobs) { wg.add(1); spawn(function* () { try { yield* work(job); } finally { wg.done(); } }); }
 * yield* wg.wait();
 */
export class WaitGroup extends SyncPrimitive {
  /** @internal */ counter = 0;
  /** @internal waiters woken at zero that have not resumed yet (few: it is emptied as they resume) */
  readonly released: TaskImpl[] = [];
  /** @internal */ readonly queue: TaskQueue = new TaskQueue(this, "wait");
  readonly #waitOp: WaitOp = new WaitOp(this);

  constructor(options?: SyncOptions) {
    super("WaitGroup", "waitgroup", options);
  }

  /** The counter. */
  get count(): number {
    return this.counter;
  }

  /** Adds `delta` (any integer) to the counter; at zero, releases every waiter. */
  add(delta: number): void {
    checkCount("WaitGroup.add(delta)", delta, true);
    const caller = plainCall(this);
    this.change(delta, `add(${delta})`);
    notifyOutside(this, caller);
  }

  /** Lowers the counter by one. */
  done(): void {
    const caller = plainCall(this);
    this.change(-1, "done()");
    notifyOutside(this, caller);
  }

  /** Blocks until the counter is zero. */
  wait(): Operation<void> {
    return this.#waitOp;
  }

  describe(): string {
    return label("WaitGroup", this);
  }

  private change(delta: number, call: string): void {
    const v = this.counter + delta;
    if (v < 0) throw new SyncError(`sync: negative WaitGroup counter: ${call} on ${this.describe()} with counter ${this.counter}`);
    if (delta > 0 && this.counter === 0 && this.pendingReleased() > 0) {
      const n = this.released.length;
      throw new SyncError(
        `sync: WaitGroup misuse: Add called concurrently with Wait: ${call} on ${this.describe()}, which reached zero and released ` +
          `${n} waiter${n === 1 ? "" : "s"} that ${n === 1 ? "has" : "have"} not returned from wait() yet (${this.released.map(String).join(", ")})`,
      );
    }
    this.counter = v;
    if (v === 0) this.releaseAll();
  }

  private releaseAll(): void {
    for (let t = this.queue.dequeue(); t !== null; t = this.queue.dequeue()) {
      this.released.push(t);
      t.sched.wake(t, undefined);
    }
  }

  /** Released waiters still to resume; one that ended without resuming (a run torn down) no longer counts. */
  private pendingReleased(): number {
    const r = this.released;
    for (let i = r.length - 1; i >= 0; i--) if (r[i].st >= DONE) r.splice(i, 1);
    return r.length;
  }

  /** @internal the released waiter `t` has returned from wait() */
  returned(t: TaskImpl): void {
    const i = this.released.indexOf(t);
    if (i >= 0) this.released.splice(i, 1);
  }

  /** @internal */
  describeWait(): string {
    return `wait ${this.describe()} (counter ${this.counter})`;
  }

  /** @internal */
  waiterCancelled(): void {}
}

/** Stateless, one per WaitGroup. */
class WaitOp implements Operation<void>, Iterator<unknown, void, unknown> {
  readonly #wg: WaitGroup;
  constructor(wg: WaitGroup) {
    this.#wg = wg;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    const wg = this.#wg;
    if (x !== undefined) {
      wg.returned(running.current as TaskImpl); // released at zero: this wait has returned
      return DONE_VOID;
    }
    const t = currentTaskOrThrow("WaitGroup.wait()");
    if (t.sched.chooser !== null && t.sched.preemptHere(t)) return SUSPENDED; // schedule exploration (sched/chooser.ts)
    startOp(t, wg);
    if (wg.counter === 0) return DONE_VOID;
    wg.queue.enqueue(t);
    t.sched.park(t, wg.queue);
    return SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}
