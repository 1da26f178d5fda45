/**
 * Priority inheritance (`new Runtime({ priorityInheritance: true })`): a
 * coroutine holding something others wait on (a mutex's holder, a running
 * Once's caller: any Resource whose `holders()` names tasks) runs at the
 * highest effective priority of its waiters, transitively along chains of
 * holders that wait themselves, until it lets go. This is the fix for
 * priority inversion (Mars Pathfinder, 1997: a low-priority task holding the
 * bus mutex was kept from running by medium-priority work while the
 * high-priority task waited on the mutex, and the watchdog reset the lander).
 *
 * How it hooks in, without the scheduler or the sync layer knowing of it:
 * it is a RuntimeObserver (zero cost when off). Whenever a coroutine parks,
 * is woken, switches in holding a loan, or ends, it recomputes every loan
 * from the wait records of the blocked coroutines (their resources'
 * `holders()`), to a fixpoint, and hands each changed loan to
 * `Scheduler.lendPriority`, which moves a ready holder to its new level.
 * O(blocked coroutines × chain length) per event: meant for programs that
 * turn it on, not for a million parked coroutines.
 *
 * Invariant after every event: a task's `inherited` is the maximum effective
 * priority of the tasks blocked on resources it holds, or -Infinity.
 */
import type { StackRef } from "../memory/index.js";
import type { RuntimeObserver } from "./observer.js";
import type { Scheduler } from "./scheduler.js";
import { BLOCKED, type TaskImpl, type TaskExt } from "./task.js";

export class PriorityInheritance implements RuntimeObserver {
  /** Tasks holding a loan now. */
  private readonly lent = new Set<TaskImpl>();

  constructor(private readonly sched: Scheduler) {}

  onSpawn(): void {}
  onAlloc(_t: TaskImpl, _ref: StackRef): void {}
  onFree(_t: TaskImpl, _ref: StackRef): void {}
  onMigrate(): void {}

  onSwitch(t: TaskImpl): void {
    if (this.lent.has(t)) this.recompute();
  }

  onBlock(t: TaskImpl): void {
    const w = t.waitOn;
    if (w !== null && w.resources(t).some((r) => (r as { holders?: () => readonly TaskImpl[] | null }).holders?.() != null)) this.recompute();
  }

  onWake(): void {
    if (this.lent.size > 0) this.recompute();
  }

  onEnd(t: TaskImpl): void {
    if (this.lent.size > 0 || this.lent.has(t)) this.recompute();
  }

  /** Every loan from scratch, to a fixpoint (a holder that waits lends on what it got). */
  private recompute(): void {
    const loans = new Map<TaskImpl, number>();
    const effective = (t: TaskImpl): number => Math.max((t.ext as TaskExt | null)?.priority ?? 0, loans.get(t) ?? -Infinity);
    const blocked = this.sched.liveTasks().filter((t) => t.st === BLOCKED && t.waitOn !== null);
    for (let changed = true, rounds = 0; changed && rounds <= blocked.length; rounds++) {
      changed = false;
      for (const w of blocked) {
        for (const r of w.waitOn!.resources(w)) {
          const holders = (r as { holders?: () => readonly TaskImpl[] | null }).holders?.() ?? null;
          if (holders === null) continue;
          const p = effective(w);
          for (const h of holders) {
            if (h === w || h.sched !== this.sched) continue;
            if ((loans.get(h) ?? -Infinity) < p && p > ((h.ext as TaskExt | null)?.priority ?? 0)) {
              loans.set(h, p);
              changed = true;
            }
          }
        }
      }
    }
    for (const t of [...this.lent]) {
      if (!loans.has(t)) {
        this.lent.delete(t);
        if (t.liveIndex >= 0) this.sched.lendPriority(t, -Infinity);
      }
    }
    for (const [t, p] of loans) {
      this.lent.add(t);
      this.sched.lendPriority(t, p);
    }
  }
}
