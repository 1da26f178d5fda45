/**
 * `exhaustive`: every schedule of a small program, as a stateless depth-first
 * search over its choice points (CHESS, Musuvathi et al. OSDI 2008), with
 * iterative context bounding and sleep-set partial-order reduction
 * (Godefroid 1996).
 *
 * - Each run replays a prefix of decisions (the DFS path) and takes the
 *   first allowed option at every point past it; after the run, the deepest
 *   point with an untried option moves to it, and the path below is dropped.
 * - Iterative context bounding: the search runs with preemption bound 0,
 *   then 1, … up to `preemptionBound`; a preemption is a switch at a
 *   preemption point (preemptAtOps), never a switch where the running
 *   coroutine blocked, yielded or ended. A bound that cut no branch means
 *   the space is complete and the iterations stop.
 * - Sleep sets: steps of different coroutines that touch disjoint resources
 *   (channels, locks, tasks they join or end) commute, so after exploring
 *   coroutine u at a point, the sibling branches keep u asleep until a step
 *   dependent on u's runs; a point where every ready coroutine sleeps is
 *   redundant and its run is cut ("pruned"). A step that touched no resource
 *   at all, or made a decision inside it (a select case), counts as
 *   dependent on every step: coroutines that share plain JavaScript
 *   variables are then still interleaved at those steps. What POR assumes:
 *   coroutines interact only through the runtime's resources, or across
 *   steps that touch none (`por: false` turns it off).
 * - A timer firing between two steps clears the sleep set (the clock is a
 *   resource every step depends on).
 */
import type { ReadySet } from "../sched/chooser.js";
import type { TaskImpl } from "../sched/task.js";
import { PointKind, RunStop, TOP, type Controller, type Decider, type Footprint, type StepRecord } from "./controller.js";

interface SleepEntry {
  id: number;
  fp: Footprint;
}

/** A choice point on the DFS path. */
export interface DfsNode {
  kind: PointKind;
  n: number;
  chosen: number;
  /** Options still to try here, in order. */
  alts: number[];
  /** Task points: the ready ids, the sleep set on arrival, the siblings done (with their steps' footprints). */
  ready: number[] | null;
  sleep: SleepEntry[];
  done: SleepEntry[];
  /** The footprint of the chosen task's step, from the last run through here. */
  chosenFp: Footprint;
}

export function independent(a: Footprint, b: Footprint): boolean {
  if (a === TOP || b === TOP) return false;
  for (const x of a) if (b.includes(x)) return false;
  return true;
}

/** Decides a run of the DFS: replays the path, extends it at new points. */
export class DfsDecider implements Decider {
  private i = 0;
  private sleep: SleepEntry[] = [];
  private processed = 0;
  /** A preemption point past the bound was not branched (the space is larger than this bound covers). */
  boundCut = false;

  constructor(
    readonly path: DfsNode[],
    private readonly bound: number,
    private readonly por: boolean,
  ) {}

  /** Brings the sleep set up to date with the steps run since the last task point. */
  private advanceSleep(ctl: Controller, timerSince: boolean): void {
    const recs: readonly StepRecord[] = ctl.records;
    for (; this.processed < recs.length; this.processed++) {
      const r = recs[this.processed];
      if (r.afterTimer) this.sleep = [];
      let z = this.sleep;
      if (r.point >= 0) {
        const node = this.nodeAtPoint(r.point);
        if (node !== null) {
          node.chosenFp = r.footprint;
          z = [...node.sleep, ...node.done];
        }
      }
      this.sleep = z.filter((u) => u.id !== r.task.id && independent(u.fp, r.footprint));
    }
    if (timerSince) this.sleep = [];
  }

  private nodeAtPoint(point: number): DfsNode | null {
    const node = this.path[point];
    return node !== undefined && node.kind === PointKind.Task ? node : null;
  }

  private replayed(kind: PointKind, n: number, ctl: Controller): number | undefined {
    const i = this.i;
    if (i >= this.path.length) return undefined;
    this.i++;
    const node = this.path[i];
    if (node.kind !== kind || node.n !== n) {
      ctl.divergence ??= `at step ${ctl.steps} the program offered ${n} options where an earlier run of the same schedule offered ${node.n}`;
      return 0;
    }
    return node.chosen;
  }

  task(ready: ReadySet, ctl: Controller): number {
    if (this.por) this.advanceSleep(ctl, ctl.timerSincePrevStep);
    const again = this.replayed(PointKind.Task, ready.size, ctl);
    if (again !== undefined) {
      if (this.por) this.path[this.i - 1].sleep = this.sleep; // same as when it was made (determinism)
      return again;
    }
    const ids: number[] = [];
    for (let k = 0; k < ready.size; k++) ids.push(ready.at(k).id);
    const asleep = new Set(this.sleep.map((u) => u.id));
    const allowed = ids.map((_, k) => k).filter((k) => !asleep.has(ids[k]));
    if (allowed.length === 0) throw new RunStop("pruned", null, "every ready coroutine is in the sleep set");
    this.i++;
    this.path.push({ kind: PointKind.Task, n: ready.size, chosen: allowed[0], alts: allowed.slice(1), ready: ids, sleep: this.sleep, done: [], chosenFp: TOP });
    return allowed[0];
  }

  /** One ready task: no choice, but when it sleeps, this run only repeats an explored one. */
  forced(ready: ReadySet, ctl: Controller): void {
    if (!this.por) return;
    this.advanceSleep(ctl, ctl.timerSincePrevStep);
    const only = ready.at(0).id;
    if (this.sleep.some((u) => u.id === only)) throw new RunStop("pruned", null, "the only ready coroutine is in the sleep set");
  }

  preempt(_t: TaskImpl, _ready: ReadySet, ctl: Controller): number {
    const again = this.replayed(PointKind.Preempt, 2, ctl);
    if (again !== undefined) return again;
    const canPreempt = ctl.preemptions < this.bound;
    if (!canPreempt) this.boundCut = true;
    this.i++;
    this.path.push({ kind: PointKind.Preempt, n: 2, chosen: 0, alts: canPreempt ? [1] : [], ready: null, sleep: [], done: [], chosenFp: TOP });
    return 0;
  }

  other(kind: PointKind, n: number, ctl: Controller): number {
    const again = this.replayed(kind, n, ctl);
    if (again !== undefined) return again;
    this.i++;
    const alts: number[] = [];
    for (let k = 1; k < n; k++) alts.push(k);
    this.path.push({ kind, n, chosen: 0, alts, ready: null, sleep: [], done: [], chosenFp: TOP });
    return 0;
  }

  /** After the run: the footprints of its last steps reach their nodes. */
  finish(ctl: Controller): void {
    if (this.por) this.advanceSleep(ctl, false);
    // Drop path nodes the run did not reach (it ended earlier than the last run through here).
    this.path.length = Math.min(this.path.length, this.i);
  }
}

/** Moves the path to the next schedule; false when the space (within the bound) is done. */
export function backtrack(path: DfsNode[]): boolean {
  while (path.length > 0) {
    const node = path[path.length - 1];
    if (node.alts.length > 0) {
      if (node.kind === PointKind.Task && node.ready !== null) node.done.push({ id: node.ready[node.chosen], fp: node.chosenFp });
      node.chosen = node.alts.shift()!;
      return true;
    }
    path.pop();
  }
  return false;
}
