/**
 * Waiters and wait queues: who is blocked on a channel, in arrival order.
 *
 * A `Waiter` is one task's pending operation on one channel (Go's sudog). It
 * exists because the task ↔ channel relation is many-to-many: a select waits
 * on several channels at once, and a channel has many waiting tasks. A plain
 * send or recv parks its task on its waiter (the waiter is the task's wait
 * record); a select parks on a `SelectWait` that owns one waiter per case.
 *
 * The queue is intrusive and doubly linked, so a losing select case or a
 * cancelled task leaves its queue in O(1) with no search.
 *
 * Invariants: `waiter.queue === q` iff the waiter is linked in q; `size`
 * equals the number linked; head.prev and tail.next are null.
 */
import type { TaskImpl } from "../sched/task.js";
import type { WaitRecord } from "../sched/wait.js";
import type { Channel } from "./channel.js";
import type { SelectWait } from "./select.js";

export const SEND = 0;
export const RECV = 1;

export class Waiter implements WaitRecord {
  // Constant answers live on the prototype (getters), not in every parked waiter.
  get endsByItself(): boolean {
    return false;
  }
  prev: Waiter | null = null;
  next: Waiter | null = null;
  queue: WaitQueue | null = null;

  constructor(
    readonly task: TaskImpl,
    /** Mutable only while the waiter is a task's spare (see `waiterFor`). */
    public channel: Channel<unknown>,
    /** SEND or RECV. */
    public op: number,
    /** The value a sender offers (undefined for receivers). */
    public value: unknown,
    /** The select this waiter is one case of, or null for a plain send/recv. */
    readonly select: SelectWait | null,
    /** Index of the case in its select. */
    readonly caseIndex: number,
  ) {}

  get kind(): string {
    return this.op === SEND ? "send" : "recv";
  }

  describe(): string {
    return `${this.kind} on ${this.channel.describe()}`;
  }

  cancel(): void {
    if (this.queue !== null) this.queue.remove(this);
    if (this.select === null) releaseWaiter(this);
  }

  resources(): readonly object[] {
    return [this.channel];
  }
}

export class WaitQueue {
  head: Waiter | null = null;
  tail: Waiter | null = null;
  size = 0;

  enqueue(w: Waiter): void {
    w.queue = this;
    w.next = null;
    w.prev = this.tail;
    if (this.tail === null) this.head = w;
    else this.tail.next = w;
    this.tail = w;
    this.size++;
  }

  /** The oldest waiter, unlinked; null when empty. */
  dequeue(): Waiter | null {
    const w = this.head;
    if (w !== null) this.remove(w);
    return w;
  }

  remove(w: Waiter): void {
    if (w.queue !== this) return;
    if (w.prev === null) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = w.next = null;
    w.queue = null;
    this.size--;
  }

  *[Symbol.iterator](): IterableIterator<Waiter> {
    for (let w = this.head; w !== null; w = w.next) yield w;
  }
}

/**
 * A waiter for a plain send or recv of `t`: its spare one if it has it (a task
 * has at most one plain operation pending, and its waiter is spare again once
 * that operation ends), else a new one.
 */
export function waiterFor(t: TaskImpl, channel: Channel<unknown>, op: number, value: unknown): Waiter {
  const spare = t.spareWaiter as Waiter | null;
  if (spare === null) return new Waiter(t, channel, op, value, null, 0);
  t.spareWaiter = null;
  spare.channel = channel;
  spare.op = op;
  spare.value = value;
  return spare;
}

/** A plain waiter whose operation has ended goes back to its task (holding no value). */
export function releaseWaiter(w: Waiter): void {
  w.value = undefined;
  w.task.spareWaiter = w;
}
