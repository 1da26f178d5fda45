/**
 * The wait records of the scheduler's own operations: sleeping, joining a
 * task, waiting on a promise. (Channels, select and the sync primitives own
 * theirs; see wait.ts for the contract.)
 */
import type { Scheduler } from "./scheduler.js";
import type { TaskImpl } from "./task.js";
import type { WaitRecord } from "./wait.js";

/**
 * A sleep: the task itself is the timer in the heap (TaskImpl.fire), so a
 * sleep allocates no timer that would live, and be promoted, across the
 * wait. One record serves every sleeping task.
 */
class SleepWait implements WaitRecord {
  readonly kind = "sleep";
  readonly endsByItself = true;
  describe(t: TaskImpl): string {
    return `sleep until ${formatMs(t.sched.cyclesToMs(t.sched.timers.deadlineOf(t)))}`;
  }
  cancel(t: TaskImpl): void {
    t.sched.timers.remove(t);
  }
  resources(): readonly object[] {
    return NO_RESOURCES;
  }
}

const NO_RESOURCES: readonly object[] = Object.freeze([]);
export const SLEEP_WAIT: WaitRecord = new SleepWait();

/** A task waiting for another task to finish. */
export class JoinWait implements WaitRecord {
  readonly kind = "join";
  readonly endsByItself = false;
  constructor(
    readonly waiter: TaskImpl,
    readonly target: TaskImpl,
  ) {}
  describe(): string {
    return `join #${this.target.id} ${this.target.name}`;
  }
  cancel(): void {
    const j = this.target.joiners;
    if (j !== null) {
      const i = j.indexOf(this.waiter);
      if (i >= 0) j.splice(i, 1);
    }
  }
  resources(): readonly object[] {
    return [this.target];
  }
}

/** A task parked on a real promise (runAsync). */
export class PromiseWait implements WaitRecord {
  readonly kind = "promise";
  readonly endsByItself = true;
  constructor(
    private readonly sched: Scheduler,
    readonly task: TaskImpl,
  ) {}
  /** The promise settled: wake the task, unless its wait ended meanwhile (cancellation). */
  settle(ok: boolean, value: unknown): void {
    if (this.task.waitOn !== this) return;
    this.sched.promiseWaits--;
    if (ok) this.sched.wake(this.task, value);
    else this.sched.wakeWithError(this.task, value);
    this.sched.notifyIfAwaiting();
  }
  describe(): string {
    return "waitFor(promise)";
  }
  cancel(): void {
    this.sched.promiseWaits--;
  }
  resources(): readonly object[] {
    return [];
  }
}

/** `12.5 ms`: virtual milliseconds for people (three decimals at most). */
export function formatMs(ms: number): string {
  return `${Number(ms.toFixed(3))} ms`;
}
