/**
 * The FIFO queue of tasks blocked on a sync primitive, which is also their
 * wait record (sched/wait.ts) — the channel wait queue's design without
 * select waiters: a task links itself through its intrusive `qprev`/`qnext`,
 * so parking allocates nothing and a cancelled task leaves in O(1).
 *
 * Invariants: a task is linked in q iff it is BLOCKED with `waitOn === q`;
 * `size` equals the number linked; head.qprev and tail.qnext are null. What
 * a waiter asks for (a semaphore weight) rides in `task.resume` while it is
 * linked.
 *
 * The queue holds its primitive in a #private field: a task's `waitOn` is
 * reachable by reflection and must not hand out the mutex it waits on.
 */
import type { TaskImpl } from "../sched/task.js";
import type { WaitRecord } from "../sched/wait.js";
import type { SyncRef } from "./primitive.js";

/** What a queue asks of the primitive that owns it. */
export interface QueueOwner {
  readonly ref: SyncRef;
  /** `lock Mutex#1 "x" (held by #2 a)`: the wait of `t`, queued in `q`. */
  describeWait(q: TaskQueue, t: TaskImpl): string;
  /** `t` was cancelled and has left `q` (it was the head when `wasHead`); the owner may now wake others. */
  waiterCancelled(q: TaskQueue, t: TaskImpl, wasHead: boolean): void;
}

export class TaskQueue implements WaitRecord {
  head: TaskImpl | null = null;
  tail: TaskImpl | null = null;
  size = 0;
  readonly endsByItself = false;
  readonly #owner: QueueOwner;

  constructor(
    owner: QueueOwner,
    /** "lock", "rlock", "wait", "acquire", "once". */
    readonly kind: string,
  ) {
    this.#owner = owner;
  }

  enqueue(t: TaskImpl): void {
    t.qnext = null;
    t.qprev = this.tail;
    if (this.tail === null) this.head = t;
    else this.tail.qnext = t;
    this.tail = t;
    this.size++;
  }

  /** The oldest task, unlinked; null when empty. */
  dequeue(): TaskImpl | null {
    const t = this.head;
    if (t !== null) this.unlink(t);
    return t;
  }

  /** Unlinks `t`, which must be linked here. */
  unlink(t: TaskImpl): void {
    const prev = t.qprev as TaskImpl | null;
    const next = t.qnext as TaskImpl | null;
    if (prev === null) this.head = next;
    else prev.qnext = next;
    if (next === null) this.tail = prev;
    else next.qprev = prev;
    t.qprev = t.qnext = null;
    this.size--;
  }

  *[Symbol.iterator](): IterableIterator<TaskImpl> {
    for (let t = this.head; t !== null; t = t.qnext as TaskImpl | null) yield t;
  }

  // ── the wait record of the tasks linked here ─────────────────────────────

  describe(t: TaskImpl): string {
    return this.#owner.describeWait(this, t);
  }

  /** Cancellation: the task leaves the queue having acquired nothing; its owner may wake the next. */
  cancel(t: TaskImpl): void {
    const wasHead = this.head === t;
    this.unlink(t);
    this.#owner.waiterCancelled(this, t, wasHead);
  }

  resources(): readonly object[] {
    return [this.#owner.ref];
  }
}
