/**
 * Cond: Go's sync.Cond — a condition variable on a Mutex or on an RWMutex's
 * write lock (Go's `L`).
 *
 * - `wait()` unlocks L, parks until signalled, then locks L again before it
 *   returns (queueing for L like any locker, FIFO). Go's rule stands: check
 *   the condition in a loop, `while (!ready) yield* cond.wait();`.
 * - `signal()` wakes the longest waiter, `broadcast()` every waiter, in
 *   arrival order; neither needs L held. A signal with nobody waiting is lost.
 * - `wait()` without holding L is Go's "unlock of unlocked mutex": the
 *   SyncError of L's unlock, thrown before the coroutine queues.
 *
 * Cancellation (Go's Cond has none; this is our rule): a cancelled wait —
 * waiting for the signal or queued to re-lock L — is taken off its queue and
 * does NOT hold L when the coroutine's `finally` blocks run. So a finally
 * around a wait must not unlock L unconditionally: track whether you hold
 * it (see docs/guides/sync.md). Why not re-lock during cancellation:
 * cancellation must end the coroutine promptly and cannot block — re-locking
 * could wait forever on a holder that never unlocks. (A wait signalled and
 * handed L before its cancellation arrived returns holding L, as a lock does:
 * the cancellation is delivered at the next suspension.)
 *
 * Invariants (checkCond): every queued task is BLOCKED on the Cond's queue.
 */
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { describeValue, isInstanceOf } from "../describe.js";
import { currentTaskOrThrow } from "../sched/scheduler.js";
import { Mutex } from "./mutex.js";
import { label, notifyOutside, plainCall, startOp, SyncPrimitive, type SyncOptions } from "./primitive.js";
import { TaskQueue } from "./queue.js";
import { RWMutex } from "./rwmutex.js";

/**
 * A condition variable on a lock.
 *
 * @example
 * const mu = new Mutex();
 * const nonEmpty = new Cond(mu, { name: "nonEmpty" });
 * yield* mu.lock();
 * while (queue.length === 0) yield* nonEmpty.wait();
 * const job = queue.shift();
 * mu.unlock();
 */
export class Cond extends SyncPrimitive {
  /** The lock (`L`): a Mutex, or an RWMutex whose write lock is used. */
  readonly lock: Mutex | RWMutex;
  /** @internal coroutines waiting for a signal */
  readonly queue: TaskQueue = new TaskQueue(this, "wait");

  constructor(lock: Mutex | RWMutex, options?: SyncOptions) {
    if (!isInstanceOf(lock, Mutex) && !isInstanceOf(lock, RWMutex)) {
      throw new TypeError(`Cond needs a Mutex or an RWMutex as its lock, received ${describeValue(lock)}`);
    }
    super("Cond", "cond", options);
    this.lock = lock;
  }

  /** Unlocks the lock, waits for a signal, locks it again. */
  wait(): Operation<void> {
    return new CondWaitOp(this);
  }

  /** Wakes the longest waiter, if any. */
  signal(): void {
    const caller = plainCall(this);
    const t = this.queue.dequeue();
    if (t !== null) t.sched.wake(t, undefined);
    notifyOutside(this, caller);
  }

  /** Wakes every waiter, in arrival order. */
  broadcast(): void {
    const caller = plainCall(this);
    for (let t = this.queue.dequeue(); t !== null; t = this.queue.dequeue()) t.sched.wake(t, undefined);
    notifyOutside(this, caller);
  }

  describe(): string {
    return label("Cond", this);
  }

  /** @internal */
  describeWait(): string {
    return `wait ${this.describe()} (on ${this.lock.describe()})`;
  }

  /** @internal */
  waiterCancelled(): void {}
}

const enum Phase {
  /** Not started. */
  Start,
  /** Parked on the Cond, waiting for a signal. */
  Signal,
  /** Signalled; parked on L, waiting to re-lock it. */
  Relock,
}

/** One per wait (it knows its phase). */
class CondWaitOp implements Operation<void>, Iterator<unknown, void, unknown> {
  readonly #cond: Cond;
  #phase = Phase.Start;
  constructor(cond: Cond) {
    this.#cond = cond;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    const cond = this.#cond;
    if (x === undefined || this.#phase === Phase.Start) {
      const t = currentTaskOrThrow("Cond.wait()");
      if (t.sched.chooser !== null && t.sched.preemptHere(t)) return SUSPENDED; // schedule exploration (sched/chooser.ts)
      startOp(t, cond);
      cond.lock.unlock(); // SyncError if not held: then nothing is queued
      cond.queue.enqueue(t);
      t.sched.park(t, cond.queue);
      this.#phase = Phase.Signal;
      return SUSPENDED;
    }
    if (this.#phase === Phase.Signal) {
      // Signalled: lock L again, as any locker (FIFO behind those already queued for it).
      const t = currentTaskOrThrow("Cond.wait()");
      this.#phase = Phase.Relock;
      const l = cond.lock;
      return (l instanceof Mutex ? l.acquire(t) : l.acquire(t, false)) ? DONE_VOID : SUSPENDED;
    }
    return DONE_VOID; // L handed over: locked again
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}
