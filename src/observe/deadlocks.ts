/**
 * Partial deadlocks and leaks: coroutines that can never wake, found while
 * others may still run — the goroutine-leak detector Go still lacks.
 *
 * Rule (a fixpoint): a blocked coroutine is reported when no coroutine that
 * can still act — running, ready, sleeping, waiting on a promise or a timed
 * select, or blocked but not itself reported — *may hold* anything it waits
 * on; a join is reported when the task it joins is reported. Start with
 * every resource- or join-blocked task reported; un-report any that
 * something able to act may reach; repeat until nothing changes.
 *
 * "May hold" is what the runtime can see of JavaScript references. A task
 * may hold a resource when
 * - it touched it (operated on it) or was spawned with it (or a port of it);
 * - or it could have it in its closure: it was created after the resource,
 *   and by the resource's creator or one of its descendants — for a resource
 *   made outside every coroutine, by anyone (module-level code can hand it to
 *   any coroutine it spawns later).
 *
 * It is a heuristic, stated in docs/guides/observability.md. What it cannot
 * see: a resource passed as a value over another channel, stored in a shared
 * object, or bound to a module variable after the coroutine was created —
 * such a leak is reported late or not at all (never wrongly: each of these
 * misses is on the side of silence). The exact detector (issue 11) asks the
 * garbage collector instead.
 */
import { DeadlockError } from "../errors.js";
import { Resource } from "../sched/resource.js";
import type { Scheduler } from "../sched/scheduler.js";
import { errorLine } from "../sched/scheduler.js";
import { BLOCKED, DONE, TaskImpl, touchedBy } from "../sched/task.js";

export interface DeadlockReport {
  /**
   * "cycle": they wait on each other; "unreachable": nobody left can reach
   * what they wait on; "leftover": still live when run(main)'s main returned
   * (RuntimeOptions.leftover "report"), each with what it was doing.
   */
  kind: "cycle" | "unreachable" | "leftover";
  coroutines: { id: number; name: string; waitsOn: string; sinceMs: number }[];
  /** The channels, sync primitives (and tasks) they wait on, described. */
  waitsOn: string[];
  /**
   * For kind "cycle": one wait-for cycle, named hop by hop —
   * `cycle: #2 a → Mutex#1 "x" held by #3 b → Channel#1 "c" (capacity 0) used by #2 a`.
   * A lock leads to its holder; a channel (or another resource nobody holds)
   * to a member that has used it and does not merely wait on it too; a join to the joined task.
   */
  cycle?: string;
  /** The failure that left them waiting, when one did: a coroutine that failed after using what they wait on. */
  cause?: unknown;
  /** Which coroutine that failure was, `#2 producer`. */
  causedBy?: string;
  message: string;
}

/** Every group of coroutines that can never wake, now. */
export function findDeadlocks(rt: Scheduler): DeadlockReport[] {
  const live = rt.liveTasks();
  const reported = new Set<TaskImpl>();
  for (const t of live) {
    if (t.st === BLOCKED && t.waitOn !== null && !t.waitOn.endsByItself) reported.add(t);
  }
  if (reported.size === 0) return [];

  // Who has touched each resource.
  const touchers = new Map<object, TaskImpl[]>();
  const addToucher = (r: object | null, t: TaskImpl) => {
    if (r === null) return;
    const list = touchers.get(r);
    if (list === undefined) touchers.set(r, [t]);
    else if (list[list.length - 1] !== t) list.push(t);
  };
  for (const t of live) for (const r of touchedBy(t)) addToucher(r, t);
  const byId = new Map<number, TaskImpl>();
  for (const t of live) byId.set(t.id, t);

  const canReach = (c: TaskImpl): boolean => {
    for (const r of c.waitOn!.resources(c)) {
      if (r instanceof TaskImpl) {
        if (!reported.has(r as TaskImpl)) return true; // joins a task that can still act
        continue;
      }
      for (const x of touchers.get(r) ?? []) if (x !== c && !reported.has(x)) return true;
      if (r instanceof Resource) {
        // A lock's holder can release it (it touched it to take it, but say so: a hand-off counts too).
        const holders = r.holders();
        if (holders !== null) for (const h of holders) if (h !== c && h.st < DONE && !reported.has(h)) return true;
        for (const x of live) if (x !== c && !reported.has(x) && inClosureReach(rt, x, r, byId)) return true;
      }
    }
    return false;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const c of reported) {
      if (canReach(c)) {
        reported.delete(c);
        changed = true;
      }
    }
  }
  return group(rt, reported, touchers, byId);
}

/** Could `x` have `r` in its closure (see the module doc)? */
function inClosureReach(rt: Scheduler, x: TaskImpl, r: Resource, byId: ReadonlyMap<number, TaskImpl>): boolean {
  const creator = r.creator;
  if (creator === null) return rt.epochOf(x.id) >= r.born; // made outside coroutines: anyone created after it
  if (x === creator) return true;
  if (creator.sched !== x.sched || x.id < r.born) return false;
  // A descendant of the creator? Parent ids decrease along the chain, so it ends below the creator's id.
  for (let p = x.parentId; p >= creator.id;) {
    if (p === creator.id) return true;
    const parent = byId.get(p);
    if (parent === undefined) return true; // a finished ancestor between them: it may have been the creator's child
    p = parent.parentId;
  }
  return false;
}

/** Splits the reported tasks into groups linked by what they wait on and touch. */
function group(rt: Scheduler, reported: Set<TaskImpl>, touchers: Map<object, TaskImpl[]>, byId: ReadonlyMap<number, TaskImpl>): DeadlockReport[] {
  const parent = new Map<TaskImpl, TaskImpl>();
  const find = (t: TaskImpl): TaskImpl => {
    let p = parent.get(t) ?? t;
    while (p !== (parent.get(p) ?? p)) p = parent.get(p)!;
    parent.set(t, p);
    return p;
  };
  const union = (a: TaskImpl, b: TaskImpl) => parent.set(find(a), find(b));
  for (const c of reported) {
    for (const r of c.waitOn!.resources(c)) {
      if (reported.has(r as TaskImpl)) union(c, r as TaskImpl);
      for (const x of touchers.get(r) ?? []) if (reported.has(x)) union(c, x);
    }
  }
  const groups = new Map<TaskImpl, TaskImpl[]>();
  for (const c of [...reported].sort((a, b) => a.id - b.id)) {
    const root = find(c);
    const g = groups.get(root);
    if (g === undefined) groups.set(root, [c]);
    else g.push(c);
  }
  const reports: DeadlockReport[] = [];
  for (const members of groups.values()) {
    const cycle = findWaitForCycle(rt, members, touchers, byId);
    const waitsOn = [...new Set(members.flatMap((c) => c.waitOn!.resources(c).map(describeResource)))];
    const coroutines = members.map((c) => ({ id: c.id, name: c.name, waitsOn: c.waitOn!.describe(c), sinceMs: rt.cyclesToMs(c.waitSince) }));
    const lines = coroutines.map((c) => `#${c.id} ${c.name}: ${c.waitsOn}`);
    const failure = rt.failureBehind(members);
    const report: DeadlockReport = {
      kind: cycle !== null ? "cycle" : "unreachable",
      coroutines,
      waitsOn,
      message:
        (cycle
          ? `${members.length === 1 ? "a coroutine waits on itself" : `${members.length} coroutines wait on each other`} and nobody else can reach ${waitsOn.join(", ")}: ${lines.join("; ")}; ${cycle}`
          : `nobody that can still run reaches ${waitsOn.join(", ")}: ${lines.join("; ")}`) +
        (failure === undefined ? "" : `; caused by the failure of ${failure.task}: ${errorLine(failure.error)}`),
    };
    if (cycle !== null) report.cycle = cycle;
    if (failure !== undefined) {
      report.cause = failure.error;
      report.causedBy = failure.task;
    }
    reports.push(report);
  }
  return reports;
}

/** One edge of the wait-for graph: `from` waits on `via`, which `to` can end. */
interface WaitForEdge {
  to: TaskImpl;
  /** `Mutex#1 "x" held by #3 b`: the hop as the cycle line prints it. */
  hop: string;
}

/**
 * The wait-for graph among the members: c → x when x could end c's wait —
 * x holds a lock c waits on (a lock's holder is the only one who will
 * release it, so its other users are no edge); for a resource nobody holds
 * (a channel, a WaitGroup), x has touched it and is not merely waiting on it
 * too (two receivers on one channel do not wait for each other) — or may
 * hold in a closure a resource made in a coroutine (the module doc's rule:
 * a worker that will call `wg.done()` once it gets its lock); or c joins
 * x. A cycle in it is a deadlock cycle, returned named hop by hop;
 * otherwise (null) what they wait on is out of reach.
 */
function findWaitForCycle(rt: Scheduler, members: TaskImpl[], touchers: Map<object, TaskImpl[]>, byId: ReadonlyMap<number, TaskImpl>): string | null {
  const inGroup = new Set(members);
  const edges = new Map<TaskImpl, WaitForEdge[]>();
  for (const c of members) {
    const out: WaitForEdge[] = [];
    for (const r of c.waitOn!.resources(c)) {
      if (r instanceof TaskImpl) {
        if (inGroup.has(r)) out.push({ to: r, hop: `joins #${r.id} ${r.name}` });
        continue;
      }
      const holders = r instanceof Resource ? r.holders() : null;
      if (holders !== null) {
        for (const h of holders) if (inGroup.has(h)) out.push({ to: h, hop: `${describeResource(r)} held by #${h.id} ${h.name}` });
        continue;
      }
      // Members that used it, then members that may hold it in a closure (a worker that will call wg.done()) —
      // only for a resource made in a coroutine: "anyone created after it" (one made outside) is too weak to claim a cycle.
      const users = touchers.get(r) ?? [];
      const could = r instanceof Resource && r.creator !== null ? members.filter((x) => !users.includes(x) && inClosureReach(rt, x, r, byId)) : [];
      for (const x of [...users, ...could]) {
        if (x !== c && inGroup.has(x) && !x.waitOn!.resources(x).includes(r)) {
          out.push({ to: x, hop: `${describeResource(r)} ${users.includes(x) ? "used" : "reachable"} by #${x.id} ${x.name}` });
        }
      }
    }
    edges.set(c, out);
  }
  const state = new Map<TaskImpl, 1 | 2>(); // 1 on the DFS path, 2 finished
  const path: TaskImpl[] = [];
  const hops: string[] = [];
  const visit = (t: TaskImpl): string | null => {
    state.set(t, 1);
    path.push(t);
    for (const e of edges.get(t)!) {
      const st = state.get(e.to);
      hops.push(e.hop);
      if (st === 1) {
        // The cycle is the path from e.to back to here, closed by this edge.
        const from = path.indexOf(e.to);
        return `cycle: #${e.to.id} ${e.to.name} → ${hops.slice(from).join(" → ")}`;
      }
      if (st === undefined) {
        const found = visit(e.to);
        if (found !== null) return found;
      }
      hops.pop();
    }
    path.pop();
    state.set(t, 2);
    return null;
  };
  for (const m of members) {
    if (state.get(m) !== undefined) continue;
    const found = visit(m);
    if (found !== null) return found;
  }
  return null;
}

function describeResource(r: object): string {
  const d = (r as { describe?: () => string }).describe;
  return typeof d === "function" ? d.call(r) : String(r);
}

/**
 * The runtime's detectLeaks option: looks for partial deadlocks when the clock
 * jumps to a timer (the moment everything runnable has run), amortised so
 * the checks cost O(1) per context switch. Each coroutine is reported once.
 */
export class LeakWatch {
  private lastCheckSwitches = -Infinity;
  private readonly seen = new Set<number>();

  constructor(
    private readonly rt: Scheduler,
    private readonly onLeak: ((reports: DeadlockReport[]) => void) | null,
  ) {}

  atClockJump(): void {
    const switches = this.rt.contextSwitches;
    if (switches - this.lastCheckSwitches < this.rt.liveTasks().length) return; // each check is O(live): at most one per `live` switches
    this.lastCheckSwitches = switches;
    const fresh = findDeadlocks(this.rt).filter((r) => r.coroutines.some((c) => !this.seen.has(c.id)));
    if (fresh.length === 0) return;
    for (const r of fresh) for (const c of r.coroutines) this.seen.add(c.id);
    if (this.onLeak !== null) this.onLeak(fresh);
    else {
      const caused = fresh.find((r) => r.causedBy !== undefined);
      throw new DeadlockError(
        fresh.flatMap((r) => r.coroutines.map((c) => `#${c.id} ${c.name}: ${c.waitsOn}`)),
        true,
        caused === undefined ? undefined : { task: caused.causedBy!, error: caused.cause },
      );
    }
  }
}
