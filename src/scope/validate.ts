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
    if (s.active.size > s.limit) fail(`${s.active.size} children active, limit ${s.limit}`);
    if (s.children.size !== s.active.size + s.queue.length) fail(`children ${s.children.size} ≠ active ${s.active.size} + queued ${s.queue.length}`);
    if (s.queue.length > 0 && s.active.size < s.limit) fail(`${s.queue.length} children queued with a free slot`);
    for (const c of s.children) {
      if (c.liveIndex < 0) fail(`child ${String(c)} has ended but is still counted`);
      if (c.owner !== s) fail(`child ${String(c)} has another owner`);
      if (s.cancelled && c.cancelState === CANCEL_NONE) fail(`child ${String(c)} of a cancelled scope is not cancelled`);
    }
    for (const q of s.queue) {
      if (!s.children.has(q) || s.active.has(q)) fail(`queued ${String(q)} is not exactly a queued child`);
      if (q.st !== BLOCKED || q.waitOn !== s.slotWait) fail(`queued ${String(q)} is not parked on the scope's slot wait`);
    }
    if (s.failures.length > 0 && !s.cancelled) fail("has a failure but is not cancelled");
    if (s.cancelled) for (const k of s.kids) if (!k.cancelled) fail(`${k.label} below it is not cancelled`);
    if (s.parent !== null && !s.parent.kids.has(s)) fail("is missing from its parent's kids");
    if ((s.timer !== null) !== (s.timer !== null && s.timer.heapIndex >= 0)) fail("its deadline timer is off the heap");
    const h: TaskImpl = s.host;
    if (h.waitOn === s.wait && h.st === BLOCKED && s.children.size === 0) fail("its host waits for children but none is left");
  }
}
