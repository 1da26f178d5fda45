/**
 * RWMutex: Go's sync.RWMutex — many readers or one writer, writer preference.
 *
 * Rules, as Go's:
 * - a waiting writer blocks new readers (so a stream of readers cannot
 *   starve a writer): `rlock()` waits while a writer holds the lock or any
 *   writer waits;
 * - the writer's `unlock()` first admits every reader that waited during the
 *   write, then the next writer gets the lock once those readers are gone;
 * - the last `runlock()` hands the lock to the first waiting writer.
 * Writers get the lock in arrival order, by hand-off (as Mutex, and for the
 * same reason: determinism, no starvation).
 *
 * Invariants (checkRWMutex):
 * - never a writer beside a reader: `writer ⇒ readers = 0`;
 * - `holder` (the writer) is set only while `writer`;
 * - a waiting writer implies the lock is taken: `writeq ≠ ∅ ⇒ writer ∨ readers > 0`;
 * - a waiting reader implies a writer holds or waits: `readq ≠ ∅ ⇒ writer ∨ writeq ≠ ∅`;
 * - `readerTasks` lists the coroutines holding read locks (readers taken
 *   outside coroutines are only counted), so `readerTasks.length ≤ readers`.
 *
 * Cancellation: a cancelled waiter acquires nothing. A cancelled writer that
 * was the only one waiting lets the readers it was holding back in.
 *
 * Misuse, as Go's fatal errors: `unlock()` without a writer, `runlock()`
 * without a reader — SyncError, nothing changed.
 */
import { SyncError } from "../errors.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { currentTaskOrThrow } from "../sched/scheduler.js";
import type { TaskImpl } from "../sched/task.js";
import { heldBy } from "./mutex.js";
import { label, notifyOutside, plainCall, startOp, SyncPrimitive, taskLabel, type SyncOptions } from "./primitive.js";
import { TaskQueue } from "./queue.js";

/**
 * A reader/writer lock: `yield* rw.rlock()` for shared access,
 * `yield* rw.lock()` for exclusive access. A waiting writer blocks new
 * readers, as in Go.
 *
 * @example
 * const rw = new RWMutex({ name: "config" });
 * yield* rw.rlock();
 * try { read(config); } finally { rw.runlock(); }
 */
export class RWMutex extends SyncPrimitive {
  /** @internal a writer holds the lock */
  writer = false;
  /** @internal the writing task (null while no writer, or when tryLock took it outside coroutines) */
  holder: TaskImpl | null = null;
  /** @internal active readers */
  readers = 0;
  /** @internal the coroutines among them (one entry per read lock) */
  readonly readerTasks: TaskImpl[] = [];
  /** @internal */ readonly writeq: TaskQueue = new TaskQueue(this, "lock");
  /** @internal */ readonly readq: TaskQueue = new TaskQueue(this, "rlock");
  readonly #lockOp: RWLockOp = new RWLockOp(this, false);
  readonly #rlockOp: RWLockOp = new RWLockOp(this, true);

  constructor(options?: SyncOptions) {
    super("RWMutex", "rwmutex", options);
  }

  /** Takes the write lock; blocks while readers or a writer hold it (FIFO among writers). */
  lock(): Operation<void> {
    return this.#lockOp;
  }

  /** Releases the write lock: admits the readers that waited, else hands to the next writer. SyncError if not write-locked. */
  unlock(): void {
    const caller = plainCall(this);
    if (!this.writer) throw new SyncError(`sync: unlock of unlocked RWMutex (${this.describe()}${this.readers > 0 ? `, read-locked by ${this.readers}` : ""})`);
    this.writer = false;
    this.holder = null;
    // Go's Unlock: the readers that waited during the write go first; the next writer waits for them.
    this.admitReaders();
    if (this.readers === 0) this.admitWriter();
    notifyOutside(this, caller);
  }

  /** Takes a read lock; blocks while a writer holds the lock or waits for it. */
  rlock(): Operation<void> {
    return this.#rlockOp;
  }

  /** Releases a read lock; the last one hands the lock to a waiting writer. SyncError if not read-locked. */
  runlock(): void {
    const caller = plainCall(this);
    if (this.readers === 0) throw new SyncError(`sync: runlock of unlocked RWMutex (${this.describe()}${this.writer ? ", write-locked" : ""})`);
    this.readers--;
    // Go lets any goroutine release a read lock: drop the caller's entry if it has one, else the oldest.
    const list = this.readerTasks;
    if (list.length > this.readers) {
      const i = caller === null ? -1 : list.lastIndexOf(caller);
      list.splice(i >= 0 ? i : 0, 1);
    }
    if (this.readers === 0) this.admitWriter(); // the readers queued behind it wait for its write
    notifyOutside(this, caller);
  }

  /** Takes the write lock if it is free now; false otherwise. */
  tryLock(): boolean {
    const t = plainCall(this);
    if (this.writer || this.readers > 0) return false;
    this.writer = true;
    this.holder = t;
    return true;
  }

  /** Takes a read lock if no writer holds or waits for the lock; false otherwise. */
  tryRLock(): boolean {
    const t = plainCall(this);
    if (this.writer || this.writeq.size > 0) return false;
    this.addReader(t);
    return true;
  }

  describe(): string {
    return label("RWMutex", this);
  }

  /** @internal */
  override holders(): readonly TaskImpl[] | null {
    if (this.writer) return this.holder === null ? [] : [this.holder];
    if (this.readers > 0) return this.readerTasks.length === this.readers ? [...new Set(this.readerTasks)] : [];
    return null;
  }

  /** @internal takes the lock for `t` now, or queues and parks it; true when taken */
  acquire(t: TaskImpl, read: boolean): boolean {
    if (read) {
      if (!this.writer && this.writeq.size === 0) {
        this.addReader(t);
        return true;
      }
      this.readq.enqueue(t);
      t.sched.park(t, this.readq);
      return false;
    }
    if (!this.writer && this.readers === 0) {
      this.writer = true;
      this.holder = t;
      return true;
    }
    this.writeq.enqueue(t);
    t.sched.park(t, this.writeq);
    return false;
  }

  /** Admits every waiting reader (a write has ended, or no writer waits any more). Precondition: no writer. */
  private admitReaders(): void {
    for (let r = this.readq.dequeue(); r !== null; r = this.readq.dequeue()) {
      this.addReader(r);
      r.sched.wake(r, undefined);
    }
  }

  /** Hands the lock to the first waiting writer, if any. Precondition: nobody holds it. */
  private admitWriter(): void {
    const w = this.writeq.dequeue();
    if (w === null) return;
    this.writer = true;
    this.holder = w; // hand-off
    w.sched.wake(w, undefined);
  }

  private addReader(t: TaskImpl | null): void {
    this.readers++;
    if (t !== null) this.readerTasks.push(t);
  }

  /** @internal */
  describeWait(q: TaskQueue): string {
    const verb = q === this.readq ? "rlock" : "lock";
    return `${verb} ${this.describe()} (${this.heldState(q === this.readq)})`;
  }

  private heldState(reader: boolean): string {
    if (this.writer) return heldBy(this.holder).replace("held by", "held by writer");
    const parts: string[] = [];
    if (this.readers > 0) {
      const named = this.readerTasks.slice(0, 3).map(taskLabel).join(", ");
      const more = this.readers - Math.min(3, this.readerTasks.length);
      parts.push(`held by ${this.readers} reader${this.readers === 1 ? "" : "s"}${named === "" ? "" : `: ${named}`}${more > 0 ? ` and ${more} more` : ""}`);
    }
    if (reader && this.writeq.head !== null) parts.push(`writer ${taskLabel(this.writeq.head)} waits first`);
    return parts.join("; ");
  }

  /** @internal a cancelled writer may have been all that held the readers back */
  waiterCancelled(q: TaskQueue): void {
    if (q === this.writeq && this.writeq.size === 0 && !this.writer) this.admitReaders();
  }
}

/** Stateless, two per RWMutex (read and write). */
class RWLockOp implements Operation<void>, Iterator<unknown, void, unknown> {
  readonly #rw: RWMutex;
  readonly #read: boolean;
  constructor(rw: RWMutex, read: boolean) {
    this.#rw = rw;
    this.#read = read;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID; // resumed by the hand-off: the lock is ours
    const t = currentTaskOrThrow(this.#read ? "RWMutex.rlock()" : "RWMutex.lock()");
    if (t.sched.chooser !== null && t.sched.preemptHere(t)) return SUSPENDED; // schedule exploration (sched/chooser.ts)
    startOp(t, this.#rw);
    return this.#rw.acquire(t, this.#read) ? DONE_VOID : SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}
