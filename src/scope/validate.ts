/**
 * checkScopes(): the scope invariants (scope.ts's module doc) as executable
 * checks over every scope open in a runtime, for tests to call between steps.
 * Throws an Error naming the violated invariant and the scope.
 */
import type { Scheduler } from "../sched/scheduler.js";
import { BLOCKED, CANCEL_NONE, type HostedScope, type TaskImpl } from "../sched/task.js";
import { ScopeImpl } from "./scope.js";

/** Every scope open on a live task of `sched`, outermost first per host. */
export function openScopes(sched: Scheduler): ScopeImpl[] {
  const out: ScopeImpl[] = [];
  for (const t of sched.liveTasks()) {
    const chain: ScopeImpl[] = [];
    for (let s: HostedScope | null = t.hostedScope; s !== null; s = s.outer) if (s instanceof ScopeImpl) chain.unshift(s);
    out.push(...chain);
  }
  return out;
}

export function checkScopes(sched: Scheduler): void {
  const open = new Set(openScopes(sched));
  for (const s of open) {
    const fail = (msg: string): never => {
      throw new Error(`checkScopes(${s.label} of #${s.host.id}): ${msg}`);
    };
    const children = s.childList();
    const dropped = s.dropped === null ? 0 : s.dropped.size;
    if (s.activeCount > s.limit) fail(`${s.activeCount} children active, limit ${s.limit}`);
    if (children.length !== s.childCount) fail(`counts ${s.childCount} children, but ${children.length} live tasks are its`);
    if (s.childCount !== s.activeCount + s.queue.length + dropped)
      fail(`children ${s.childCount} ≠ active ${s.activeCount} + queued ${s.queue.length} + dropped ${dropped}`);
    if (s.queue.length > 0 && s.activeCount < s.limit) fail(`${s.queue.length} children queued with a free slot`);
    for (const c of children) {
      if (s.cancelled && c.cancelState === CANCEL_NONE) fail(`child ${String(c)} of a cancelled scope is not cancelled`);
    }
    for (const q of s.queue) {
      if (!children.includes(q)) fail(`queued ${String(q)} is not a live child`);
      if (q.st !== BLOCKED || q.waitOn !== s.slotWait) fail(`queued ${String(q)} is not parked on the scope's slot wait`);
    }
    if (s.failures.length > 0 && !s.cancelled) fail("has a failure but is not cancelled");
    if (s.cancelled) for (const k of s.kids) if (!k.cancelled) fail(`${k.label} below it is not cancelled`);
    if (s.parent !== null && !s.parent.kids.has(s)) fail("is missing from its parent's kids");
    if ((s.timer !== null) !== (s.timer !== null && s.timer.heapIndex >= 0)) fail("its deadline timer is off the heap");
    const h: TaskImpl = s.host;
    if (h.waitOn === s.wait && h.st === BLOCKED && s.childCount === 0) fail("its host waits for children but none is left");
  }
}
