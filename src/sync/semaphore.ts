/**
 * Semaphore: a weighted semaphore with golang.org/x/sync/semaphore's semantics.
 *
 * - `acquire(n)` takes `n` units of `size`, blocking until they are free;
 *   waiters are served strictly in arrival order, so a large request at the
 *   head blocks smaller later ones even when those would fit (x/sync: this
 *   keeps a large request from starving);
 * - `release(n)` gives units back and wakes waiters from the head while the
 *   head's request fits;
 * - `tryAcquire(n)` succeeds only if `n` units are free and nobody waits;
 * - `acquire(n)` with `n > size` can never succeed: as x/sync (which waits
 *   for its ctx), it blocks until the coroutine is cancelled — without
 *   queueing, so it delays nobody — and the deadlock reports say it can never
 *   be granted. (Use it under a deadline or a cancellable scope.)
 *
 * Invariants (checkSemaphore): `0 ≤ held ≤ size`; every queued request fits
 * in `size`; a non-empty queue implies its head does not fit now
 * (`size − held < head's n`) — a release never leaves a waiter that fits.
 *
 * Cancellation, as x/sync's ctx.Done branch: the request leaves the queue
 * having taken nothing; if it was the head, the waiters behind it are woken
 * as far as they fit (its "notifyWaiters"). x/sync skips that when no unit
 * is free, which strands an acquire(0) behind the cancelled head; we do not.
 *
 * Misuse: releasing more than is held is x/sync's panic
 * "semaphore: released more than held" — a SyncError here, nothing changed.
 */
import { SyncError } from "../errors.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { currentTaskOrThrow } from "../sched/scheduler.js";
import type { TaskImpl } from "../sched/task.js";
import type { WaitRecord } from "../sched/wait.js";
import { checkCount, label, notifyOutside, plainCall, startOp, SyncPrimitive, type SyncOptions } from "./primitive.js";
import { TaskQueue } from "./queue.js";

/**
 * A weighted semaphore of `size` units (golang.org/x/sync/semaphore).
 *
 * @example
 * const db = new Semaphore(5, { name: "db" }); // five connections
 * yield* db.acquire(2);
 * try { yield* query(); } finally { db.release(2); }
 */
export class Semaphore extends SyncPrimitive {
  /** The number of units. */
  readonly size: number;
  /** @internal units taken */
  held = 0;
  /** @internal waiting requests, each task's `n` in its `resume` */
  readonly queue: TaskQueue = new TaskQueue(this, "acquire");
  /** @internal the wait record of requests larger than `size` (they never queue) */
  readonly doomed: DoomedAcquire = new DoomedAcquire(this);
  readonly #acquireOne: AcquireOp = new AcquireOp(this, 1);

  constructor(size: number, options?: SyncOptions) {
    super("Semaphore", "semaphore", options);
    this.size = checkCount("Semaphore size", size);
  }

  /** Units free now. */
  get free(): number {
    return this.size - this.held;
  }

  /** Takes `n` units (default 1), blocking in FIFO order until they are free. */
  acquire(n: number = 1): Operation<void> {
    if (n === 1) return this.#acquireOne;
    return new AcquireOp(this, checkCount("Semaphore.acquire(n)", n));
  }

  /** Takes `n` units (default 1) if they are free now and nobody waits; false otherwise. */
  tryAcquire(n: number = 1): boolean {
    checkCount("Semaphore.tryAcquire(n)", n);
    plainCall(this);
    if (this.size - this.held < n || this.queue.size > 0) return false;
    this.held += n;
    return true;
  }

  /** Gives back `n` units (default 1) and wakes the waiters that now fit. SyncError if more than held. */
  release(n: number = 1): void {
    checkCount("Semaphore.release(n)", n);
    const caller = plainCall(this);
    if (n > this.held) throw new SyncError(`semaphore: released more than held: release(${n}) on ${this.describe()} with ${this.held} of ${this.size} held`);
    this.held -= n;
    this.notifyWaiters();
    notifyOutside(this, caller);
  }

  describe(): string {
    return label("Semaphore", this);
  }

  /** @internal takes `n` for `t` now, or queues and parks it; true when taken */
  take(t: TaskImpl, n: number): boolean {
    if (n > this.size) {
      t.sched.park(t, this.doomed);
      t.resume = n;
      return false;
    }
    if (this.size - this.held >= n && this.queue.size === 0) {
      this.held += n;
      return true;
    }
    this.queue.enqueue(t);
    t.sched.park(t, this.queue);
    t.resume = n; // the request, for the wake-ups and the reports
    return false;
  }

  /** x/sync's notifyWaiters: grant from the head while the head fits; a head that does not fit blocks the rest. */
  private notifyWaiters(): void {
    for (let t = this.queue.head; t !== null; t = this.queue.head) {
      const n = t.resume as number;
      if (this.size - this.held < n) break;
      this.held += n;
      this.queue.dequeue();
      t.sched.wake(t, undefined);
    }
  }

  /** @internal */
  describeWait(_q: TaskQueue, t: TaskImpl): string {
    return `acquire ${String(t.resume)} of ${this.describe()} (${this.size - this.held} of ${this.size} free)`;
  }

  /** @internal a cancelled head may have been all that held the others back */
  waiterCancelled(_q: TaskQueue, _t: TaskImpl, wasHead: boolean): void {
    if (wasHead) this.notifyWaiters();
  }
}

/** A request larger than the semaphore: it waits (unqueued) until cancelled. */
class DoomedAcquire implements WaitRecord {
  readonly kind = "acquire";
  readonly endsByItself = false;
  readonly #sem: Semaphore;
  constructor(sem: Semaphore) {
    this.#sem = sem;
  }
  describe(t: TaskImpl): string {
    const s = this.#sem;
    return `acquire ${String(t.resume)} of ${s.describe()} (more than its size ${s.size}: it can never be granted)`;
  }
  cancel(): void {}
  resources(): readonly object[] {
    return [this.#sem.ref];
  }
}

/** One per call (it carries `n`), except the shared acquire(1). */
class AcquireOp implements Operation<void>, Iterator<unknown, void, unknown> {
  readonly #sem: Semaphore;
  readonly #n: number;
  constructor(sem: Semaphore, n: number) {
    this.#sem = sem;
    this.#n = n;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID; // woken: the units were granted
    const t = currentTaskOrThrow("Semaphore.acquire()");
    if (t.sched.chooser !== null && t.sched.preemptHere(t)) return SUSPENDED; // schedule exploration (sched/chooser.ts)
    startOp(t, this.#sem);
    return this.#sem.take(t, this.#n) ? DONE_VOID : SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}
