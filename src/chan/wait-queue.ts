/**
 * Wait queues: who is blocked on a channel, in arrival order.
 *
 * A queue holds two kinds of node, both carrying intrusive links
 * (`qprev`/`qnext`), so enqueueing allocates nothing and a cancelled task or a
 * losing select case leaves its queue in O(1) with no search:
 *
 * - a task blocked in a plain send or recv links *itself*; the queue is then
 *   its wait record (a parked coroutine needs no waiter object: the memory
 *   budget of a parked coroutine is tight, see docs/DESIGN.md). The value a
 *   sender offers waits in `task.resume`.
 * - a select links one `Waiter` per channel case (Go's sudog): a task can wait
 *   on several channels at once only through a select.
 *
 * Invariants: a node is linked in at most one queue; a task is linked in q iff
 * it is BLOCKED with `waitOn === q`; a waiter iff `waiter.queue === q`; `size`
 * equals the number linked; head.qprev and tail.qnext are null.
 */
import type { TaskImpl } from "../sched/task.js";
import type { QueueLink, WaitRecord } from "../sched/wait.js";
import type { Channel, ChannelRef } from "./channel.js";
import type { SelectWait } from "./select.js";

export const SEND = 0;
export const RECV = 1;

/** One case of a parked select, linked in its channel's queue. */
export class Waiter implements QueueLink {
  qprev: QueueLink | null = null;
  qnext: QueueLink | null = null;
  queue: WaitQueue | null = null;

  constructor(
    readonly task: TaskImpl,
    /** The channel's identity (never the channel: see sched/resource.ts). */
    readonly ref: ChannelRef,
    /** SEND or RECV. */
    readonly op: number,
    /** The value a sender offers (undefined for receivers). */
    readonly value: unknown,
    /** The select this waiter is one case of. */
    readonly select: SelectWait,
    /** Index of the case in its select. */
    readonly caseIndex: number,
  ) {}

  get kind(): string {
    return this.op === SEND ? "send" : "recv";
  }

  /** Leaves its queue if still linked (a losing or cancelled case). */
  cancel(): void {
    if (this.queue !== null) this.queue.unlink(this);
  }
}

/** A node of a wait queue: a task in a plain send/recv, or a select's waiter. */
export type QueueNode = TaskImpl | Waiter;

/** The task a node stands for. */
export function nodeTask(n: QueueNode): TaskImpl {
  return n instanceof Waiter ? n.task : n;
}

/** The value a node in a send queue offers. */
export function nodeValue(n: QueueNode): unknown {
  return n instanceof Waiter ? n.value : n.resume;
}

/** A channel's queue of blocked senders or receivers; also the wait record of the tasks linked in it. */
export class WaitQueue implements WaitRecord {
  head: QueueNode | null = null;
  tail: QueueNode | null = null;
  size = 0;
  /** Private: a wait record must not hand out its channel (a task's `waitOn` is reachable by reflection). */
  readonly #channel: Channel<unknown>;

  constructor(
    channel: Channel<unknown>,
    /** SEND or RECV: which side of the channel waits here. */
    readonly op: number,
  ) {
    this.#channel = channel;
  }

  enqueue(n: QueueNode): void {
    if (n instanceof Waiter) n.queue = this;
    n.qnext = null;
    n.qprev = this.tail;
    if (this.tail === null) this.head = n;
    else this.tail.qnext = n;
    this.tail = n;
    this.size++;
  }

  /** The oldest node, unlinked; null when empty. */
  dequeue(): QueueNode | null {
    const n = this.head;
    if (n !== null) this.unlink(n);
    return n;
  }

  /** Unlinks `n`, which must be linked in this queue. */
  unlink(n: QueueNode): void {
    const prev = n.qprev as QueueNode | null;
    const next = n.qnext as QueueNode | null;
    if (prev === null) this.head = next;
    else prev.qnext = next;
    if (next === null) this.tail = prev;
    else next.qprev = prev;
    n.qprev = n.qnext = null;
    if (n instanceof Waiter) n.queue = null;
    this.size--;
  }

  *[Symbol.iterator](): IterableIterator<QueueNode> {
    for (let n = this.head; n !== null; n = n.qnext as QueueNode | null) yield n;
  }

  // ── the wait record of the tasks linked here (plain send/recv) ──────────

  get kind(): string {
    return this.op === SEND ? "send" : "recv";
  }

  get endsByItself(): boolean {
    return false;
  }

  describe(): string {
    return `${this.kind} on ${this.#channel.describe()}`;
  }

  /** Cancellation of a task parked here: it leaves the queue; the value it offered was never sent. */
  cancel(t: TaskImpl): void {
    this.unlink(t);
  }

  resources(): readonly object[] {
    return [this.#channel.ref];
  }
}
