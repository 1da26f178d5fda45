/**
 * Mutex: Go's sync.Mutex, with a deterministic FIFO hand-off.
 *
 * Fairness. Go's mutex lets a running goroutine barge past the waiters
 * (normal mode) until a waiter has waited over 1 ms; then it hands the lock
 * directly to the oldest waiter (starvation mode). A simulation wants every
 * run of a seed to be the same and no coroutine to starve, so this mutex is
 * always in starvation mode: `unlock()` hands the lock to the first waiter,
 * which holds it from that instant (it is woken holding it); nobody can take
 * it in between, `tryLock()` included.
 *
 * Invariants (checked by checkMutex in validate.ts):
 * - `holder` is set only while `isLocked` (null when locked outside every
 *   coroutine, by tryLock);
 * - a non-empty queue implies `isLocked` (an unlock with waiters hands over
 *   instead of unlocking);
 * - every queued task is BLOCKED with the queue as its wait record.
 *
 * Cancellation of a waiter takes it off the queue: it acquires nothing. A
 * lock already handed to a task whose cancellation arrives afterwards is
 * kept: the task resumes holding it and is cancelled at its next suspension
 * (the scheduler never loses what a waker handed over), so a `finally` that
 * unlocks releases it.
 *
 * Go lets any goroutine unlock a locked mutex, not only the one that locked
 * it; so does this one. Unlocking an unlocked mutex is Go's fatal
 * "sync: unlock of unlocked mutex": a SyncError here.
 */
import { SyncError } from "../errors.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { currentTaskOrThrow } from "../sched/scheduler.js";
import type { TaskImpl } from "../sched/task.js";
import { label, notifyOutside, plainCall, startOp, SyncPrimitive, taskLabel, type SyncOptions } from "./primitive.js";
import { TaskQueue } from "./queue.js";

/**
 * A mutual-exclusion lock. `yield* mu.lock()` blocks until the lock is
 * yours; `mu.unlock()` hands it to the longest waiter, if any.
 *
 * - FIFO hand-off: waiters get the lock in arrival order, never barged.
 * - Not reentrant: locking a mutex you hold deadlocks, as in Go (the
 *   deadlock report names the cycle).
 * - `unlock()` of an unlocked mutex throws SyncError.
 *
 * @example
 * const mu = new Mutex({ name: "accounts" });
 * yield* mu.lock();
 * try { balance += 10; } finally { mu.unlock(); }
 */
export class Mutex extends SyncPrimitive {
  /** @internal */ isLocked = false;
  /** @internal the task holding the lock (null while unlocked, or when tryLock took it outside coroutines) */
  holder: TaskImpl | null = null;
  /** @internal */ readonly queue: TaskQueue = new TaskQueue(this, "lock");
  readonly #lockOp: LockOp = new LockOp(this);

  constructor(options?: SyncOptions) {
    super("Mutex", "mutex", options);
  }

  get locked(): boolean {
    return this.isLocked;
  }

  /** Locks the mutex; blocks (FIFO) while another holds it. */
  lock(): Operation<void> {
    return this.#lockOp;
  }

  /** Locks it if it is free now (never past a waiter); false otherwise. */
  tryLock(): boolean {
    const t = plainCall(this);
    if (this.isLocked) return false;
    this.isLocked = true;
    this.holder = t;
    return true;
  }

  /** Unlocks it, handing it to the first waiter if any. SyncError if it is not locked. */
  unlock(): void {
    const caller = plainCall(this);
    if (!this.isLocked) throw new SyncError(`sync: unlock of unlocked mutex (${this.describe()})`);
    this.release();
    notifyOutside(this, caller);
  }

  describe(): string {
    return label("Mutex", this);
  }

  /** @internal */
  override holders(): readonly TaskImpl[] | null {
    return this.holder === null ? (this.isLocked ? [] : null) : [this.holder];
  }

  /** @internal takes the lock for `t` now, or queues and parks it; true when taken */
  acquire(t: TaskImpl): boolean {
    if (!this.isLocked) {
      this.isLocked = true;
      this.holder = t;
      return true;
    }
    this.queue.enqueue(t);
    t.sched.park(t, this.queue);
    return false;
  }

  /** @internal unlocks, or hands the lock to the first waiter. Precondition: locked. */
  release(): void {
    const next = this.queue.dequeue();
    if (next === null) {
      this.isLocked = false;
      this.holder = null;
      return;
    }
    this.holder = next; // hand-off: it holds the lock from now, before it runs
    next.sched.wake(next, undefined);
  }

  /** @internal */
  describeWait(_q: TaskQueue, _t: TaskImpl): string {
    return `lock ${this.describe()} (${heldBy(this.holder)})`;
  }

  /** @internal a cancelled waiter held nothing: the others keep their places */
  waiterCancelled(): void {}
}

/** `held by #2 transfer`, or who else holds it. */
export function heldBy(holder: TaskImpl | null): string {
  return holder === null ? "held outside coroutines" : `held by ${taskLabel(holder)}`;
}

/** Stateless (the hand-off is the result), so one instance per mutex serves every locker. */
class LockOp implements Operation<void>, Iterator<unknown, void, unknown> {
  readonly #mu: Mutex;
  constructor(mu: Mutex) {
    this.#mu = mu;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID; // resumed by the hand-off: the lock is ours
    const t = currentTaskOrThrow("Mutex.lock()");
    if (t.sched.chooser !== null && t.sched.preemptHere(t)) return SUSPENDED; // schedule exploration (sched/chooser.ts)
    startOp(t, this.#mu);
    return this.#mu.acquire(t) ? DONE_VOID : SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}
