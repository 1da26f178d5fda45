/**
 * Choosers: who decides what the scheduler decides by itself otherwise.
 *
 * Without a chooser the scheduler is FIFO (the run queue's order), timers due
 * at one instant fire in the order they were set, and select draws its case
 * from the runtime's seeded generator. A chooser installed on a scheduler
 * (`Scheduler.chooser`, set only by the schedule explorer of
 * `cprime-coro/test`) makes each of those decisions instead, which is what
 * lets an explorer enumerate, randomise and replay interleavings:
 *
 * - which ready task runs next (an index into the ready set, in queue order);
 * - which of the ready cases of a select completes (an index among the ready
 *   cases, in case order);
 * - in which order timers due at the same instant fire;
 * - optionally (`preemptAtOps`), whether the running task is switched out
 *   before a channel operation, select or blocking sync call it is about to start — the
 *   operation is then started afresh when the task next runs;
 * - the virtual delay a sleep or an `after` case actually waits (jitter).
 *
 * The contract is "decide, never act": a chooser returns indices and
 * booleans and must not park, wake or spawn. Out-of-range answers are
 * internal bugs. With no chooser every hook is a single null check, so the
 * hot paths are unchanged (see docs/DESIGN.md, "Exploring schedules").
 *
 * The scheduler does not import the explorer: the dependency points from
 * src/explore/ down to this interface.
 */
import type { TaskImpl } from "./task.js";

/** The ready tasks at a decision, in run-queue order (index 0 is what FIFO would run). */
export interface ReadySet {
  readonly size: number;
  /** The task at position `k`, 0 ≤ k < size. */
  at(k: number): TaskImpl;
}

export interface Chooser {
  /** Ask `preempt` before channel operations, selects and blocking sync calls (else only the other decisions are made). */
  readonly preemptAtOps: boolean;
  /**
   * Index (0 ≤ i < ready.size) of the task to run next; called before every
   * step, also with one ready task, and when none is ready (the answer is
   * then ignored): so it also sees where every step ended.
   */
  pickTask(ready: ReadySet): number;
  /** Whether the running task `t` is switched out before the operation it is starting (only when preemptAtOps). */
  preempt(t: TaskImpl, ready: ReadySet): boolean;
  /** Which of `readyCases` (≥ 2) ready cases of `t`'s select completes: an index in case order. */
  pickCase(t: TaskImpl, readyCases: number): number;
  /** Which of `due` (≥ 1) timers due at the same instant fires first: an index in the order they were set. */
  pickTimer(due: number): number;
  /** The delay `t` actually waits when it asks for `ms` (sleep, after): ≥ 0. */
  jitter(t: TaskImpl, ms: number): number;
}
