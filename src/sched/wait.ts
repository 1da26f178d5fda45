/**
 * Wait records: how the scheduler knows what a blocked task waits on without
 * knowing what channels, timers or promises are.
 *
 * A blocked task has exactly one wait record (`task.waitOn`). Whoever parked
 * the task owns the record; whoever wakes the task clears it. The scheduler
 * uses the record to cancel the wait (cancellation) and to describe it
 * (deadlock reports, dumps). This is Go's `sudog` idea: the relation between a
 * coroutine and what it waits on is many-to-many (a select waits on several
 * channels), so it lives in its own object, not in either side.
 *
 * One exception, for memory: a plain send or recv (one task, one channel)
 * needs no object of its own. The task links itself into the channel's wait
 * queue (`QueueLink`) and the queue is its record, shared by every task in
 * it; that is why the methods take the task.
 */
import type { TaskImpl } from "./task.js";

export interface WaitRecord {
  /** A short kind for machines: "recv", "send", "select", "sleep", "join", "promise". */
  readonly kind: string;
  /** For people: `recv on Channel#1 "jobs" (capacity 0)`. */
  describe(t: TaskImpl): string;
  /** Takes `t` off every queue and timer this wait put it on. Called once, on cancellation. */
  cancel(t: TaskImpl): void;
  /** The objects waited on (channels, tasks), for deadlock and leak analysis. */
  resources(t: TaskImpl): readonly object[];
  /** True when the wait can end with nobody's help (a timer, a promise): such a task is never a leak. */
  readonly endsByItself: boolean;
  /**
   * True for a wait before the task has started (a child queued by its
   * scope's limit): signals (interrupts) stay waiting until the task has
   * started and suspends, rather than ending a coroutine that never ran.
   */
  readonly deferSignals?: boolean;
}

/** Intrusive doubly linked list links, carried by tasks and select waiters so a wait queue allocates nothing. */
export interface QueueLink {
  qprev: QueueLink | null;
  qnext: QueueLink | null;
}
