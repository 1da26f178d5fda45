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
 */
export interface WaitRecord {
  /** A short kind for machines: "recv", "send", "select", "sleep", "join", "promise". */
  readonly kind: string;
  /** For people: `recv on Channel#1 "jobs" (capacity 0)`. */
  describe(): string;
  /** Takes the task off every queue and timer this wait put it on. Called once, on cancellation. */
  cancel(): void;
  /** The objects waited on (channels, tasks), for deadlock and leak analysis. */
  resources(): readonly object[];
  /** True when the wait can end with nobody's help (a timer, a promise): such a task is never a leak. */
  readonly endsByItself: boolean;
}
