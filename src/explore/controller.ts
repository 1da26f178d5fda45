/**
 * The controller: the Chooser (sched/chooser.ts) the explorer installs on a
 * run's scheduler. It asks a strategy (a Decider) at every choice point and
 * keeps the books every strategy needs:
 *
 * - the schedule: the decision at every point with two or more options, in
 *   order (`choices`, with `options` and `kinds` beside it) — exactly what a
 *   replay token holds;
 * - a hash of the ready sets seen at every step, so a replay can tell a
 *   program that does something else under the same schedule
 *   (nondeterminism) from one that reproduces;
 * - the step and virtual-time budgets (a run past them ends as "budget");
 * - on request, each step's footprint (the resources it touched: channels,
 *   locks, tasks it ended or joined) for partial-order reduction, and a
 *   narrative line per step.
 *
 * Invariants: `choices.length === options.length === kinds.length`; every
 * `choices[i] < options[i]`; a step is a resumption of one task, counted
 * from 1 in `steps`; the controller never parks, wakes or spawns.
 */
import { DeadlockError } from "../errors.js";
import type { Chooser, ReadySet } from "../sched/chooser.js";
import { provenance, Resource } from "../sched/resource.js";
import { errorLine, type Scheduler } from "../sched/scheduler.js";
import { BLOCKED, CANCELLED, DONE, F_RESUME_ERROR, FAILED, READY, type TaskExt, type TaskImpl } from "../sched/task.js";

/** What kind of decision a choice point is. */
export const enum PointKind {
  Task = 0,
  Preempt = 1,
  Case = 2,
  Timer = 3,
  Jitter = 4,
}

/** Clock jumps in a row with nothing to run before a run counts as over budget; decisions while tearing down. */
const IDLE_LIMIT = 100_000;
const TEARDOWN_LIMIT = 100_000;

/** Jitter choices: index → offset in quarters of the bound (0 first, so the default is no jitter). */
const JITTER_QUARTERS = [0, 1, -1, 2, -2, 3, -3, 4, -4];
export const JITTER_OPTIONS = JITTER_QUARTERS.length;

/** A strategy's answers; every method is asked only at points with two or more options. */
export interface Decider {
  /** Index into `ready` (queue order). */
  task(ready: ReadySet, ctl: Controller): number;
  /** 1 to switch the running task `t` out before its operation, 0 to let it go on. */
  preempt(t: TaskImpl, ready: ReadySet, ctl: Controller): number;
  /** A select case, a timer order or a jitter offset: an index below `n`. */
  other(kind: PointKind, n: number, ctl: Controller): number;
  /** Told of a step with one ready task (no choice to make; the exhaustive search may still cut the run there). */
  forced?(ready: ReadySet, ctl: Controller): void;
}

/** Stops the run from inside the scheduler loop (thrown from pickTask, outside any coroutine). */
export class RunStop extends Error {
  constructor(
    readonly reason: "budget" | "leak" | "diverged" | "pruned",
    readonly detail: unknown,
    message: string,
  ) {
    super(message);
    this.name = "RunStop";
  }
}

/** A replay met a schedule the program did not follow: the program is not deterministic given its schedule. */
export class NondeterminismError extends Error {
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message);
    this.name = "NondeterminismError";
  }
}

/**
 * A step's footprint: keys of the resources it touched, stable from one run
 * of the program to the next (the objects themselves are new in every run);
 * TOP when it must count as dependent on every step.
 */
export type Footprint = readonly string[] | typeof TOP;
export const TOP: unique symbol = Symbol("depends on everything");
/** Stands for "spawned a task" in footprints: spawns conflict with spawns (they number tasks). */
const SPAWNS = "spawn";

/** A Set that remembers what was added to it since the last `takeAdds()` (the task's touched set while exploring). */
class RecordingSet extends Set<object> {
  adds: object[] = [];
  override add(x: object): this {
    this.adds?.push(x); // `adds` is undefined while super() fills the set
    return super.add(x);
  }
}

/** One step as the controller saw it (kept only when footprints or narrative are on). */
export interface StepRecord {
  step: number;
  task: TaskImpl;
  /** The choice-point index of this step's pick, or -1 when it was forced (one task ready). */
  point: number;
  /** Ids of the tasks that were ready, in queue order. */
  ready: number[];
  footprint: Footprint;
  /** A timer fired (the clock moved) between the previous step and this one. */
  afterTimer: boolean;
  line: string;
}

export interface ControllerOptions {
  preemptAtOps: boolean;
  jitter: number;
  maxSteps: number;
  until: number | undefined;
  /** Keep StepRecords with footprints (POR) — and lines, when `narrate`. */
  footprints: boolean;
  narrate: boolean;
}

export class Controller implements Chooser {
  readonly preemptAtOps: boolean;
  readonly choices: number[] = [];
  readonly options: number[] = [];
  readonly kinds: PointKind[] = [];
  /** Steps run (task resumptions). */
  steps = 0;
  /** Preemptions taken at preemption points. */
  preemptions = 0;
  hash = 0x811c9dc5;
  readonly records: StepRecord[] = [];
  /** Set when a replayed decision did not fit the point (see Decider implementations). */
  divergence: string | null = null;
  /** No more decisions or budgets: the run is being torn down. */
  get passive(): boolean {
    return this.tearingDown;
  }
  set passive(v: boolean) {
    if (v && !this.tearingDown) this.idleCalls = 0;
    this.tearingDown = v;
  }
  private tearingDown = false;
  /** The dump taken at the failure, when asked for. */
  dumpAtFailure: (() => void) | null = null;
  private current: TaskImpl | null = null;
  private currentRecord: StepRecord | null = null;
  private timerFired = false;
  private spawnMark = 0;
  private wokeNow: TaskImpl[] = [];
  private stepPoints = 0;
  private idleCalls = 0;
  private readonly untilMs: number;
  private readonly outsideAtStart: number;
  private readonly keys = new WeakMap<object, string>();
  private readonly groups = new Map<string, number>();

  constructor(
    readonly sched: Scheduler,
    public decider: Decider,
    readonly opts: ControllerOptions,
  ) {
    this.preemptAtOps = opts.preemptAtOps;
    this.untilMs = opts.until ?? Infinity;
    this.outsideAtStart = provenance.outside;
  }

  /**
   * A key for a resource that names the same resource in every run of the
   * program: a task by its id; a resource made outside coroutines by its
   * place in the order the program made them; one made by a coroutine by its
   * creator, the spawns before it, and its order among what that creator
   * made in between (as this run first saw them: see docs/DESIGN.md).
   */
  private keyOf(r: object | typeof SPAWNS): string {
    if (typeof r === "string") return r;
    let k = this.keys.get(r);
    if (k !== undefined) return k;
    if (r instanceof Resource) {
      if (r.creator === null) k = `o${r.born - this.outsideAtStart}`;
      else {
        const group = `c${r.creator.id}.${r.born}`;
        const n = (this.groups.get(group) ?? 0) + 1;
        this.groups.set(group, n);
        k = `${group}.${n}`;
      }
    } else k = `t${(r as TaskImpl).id}`;
    this.keys.set(r, k);
    return k;
  }

  /** The decision at the next choice point, recorded. */
  private record(kind: PointKind, n: number, k: number): number {
    if (!(k >= 0 && k < n && Number.isInteger(k))) throw new RangeError(`strategy answered ${k} at a choice point of ${n} options`);
    this.choices.push(k);
    this.options.push(n);
    this.kinds.push(kind);
    this.mix(n);
    this.stepPoints++;
    return k;
  }

  private mix(x: number): void {
    this.hash = Math.imul(this.hash ^ x, 0x01000193) >>> 0;
  }

  // ── Chooser ─────────────────────────────────────────────────────────────

  pickTask(ready: ReadySet): number {
    if (this.current !== null) this.endStep();
    const n = ready.size;
    if (this.passive) {
      // Tearing down: finally blocks run, but a program that never quiesces (a ticker) must not hang the explorer.
      if (++this.idleCalls > TEARDOWN_LIMIT) throw new RunStop("budget", null, "the run did not end when cancelled");
      return 0;
    }
    if (n === 0) {
      // Only timers left: the clock jumps. A run that never quiesces (timers firing forever) is cut by the budgets too.
      if (++this.idleCalls > IDLE_LIMIT) throw new RunStop("budget", null, `the run fired timers ${IDLE_LIMIT} times with no coroutine to run`);
      if (this.sched.now() > this.untilMs) throw new RunStop("budget", null, `the run went past ${this.untilMs} ms of virtual time (until)`);
      return 0;
    }
    this.idleCalls = 0;
    if (this.divergence !== null) throw new RunStop("diverged", this.divergence, this.divergence);
    this.steps++;
    if (this.steps > this.opts.maxSteps) throw new RunStop("budget", null, `the run took more than ${this.opts.maxSteps} steps (maxSteps)`);
    if (this.sched.now() > this.untilMs) throw new RunStop("budget", null, `the run went past ${this.untilMs} ms of virtual time (until)`);
    for (let k = 0; k < n; k++) this.mix(ready.at(k).id);
    this.mix(0x7fffffff);
    const point = n > 1 ? this.choices.length : -1;
    if (n === 1 && this.decider.forced !== undefined) this.decider.forced(ready, this);
    const k = n > 1 ? this.record(PointKind.Task, n, this.decider.task(ready, this)) : 0;
    this.beginStep(ready, k, point);
    return k;
  }

  preempt(t: TaskImpl, ready: ReadySet): boolean {
    if (ready.size === 0 || this.passive) return false;
    const k = this.record(PointKind.Preempt, 2, this.decider.preempt(t, ready, this));
    if (k === 1) this.preemptions++;
    return k === 1;
  }

  pickCase(_t: TaskImpl, n: number): number {
    if (this.passive) return 0;
    return this.record(PointKind.Case, n, this.decider.other(PointKind.Case, n, this));
  }

  pickTimer(due: number): number {
    this.timerFired = true;
    if (due === 1 || this.passive) return 0;
    return this.record(PointKind.Timer, due, this.decider.other(PointKind.Timer, due, this));
  }

  jitter(_t: TaskImpl, ms: number): number {
    const j = this.opts.jitter;
    if (j === 0 || this.passive) return ms;
    const k = this.record(PointKind.Jitter, JITTER_OPTIONS, this.decider.other(PointKind.Jitter, JITTER_OPTIONS, this));
    return Math.max(0, ms + (JITTER_QUARTERS[k] * j) / 4);
  }

  // ── steps: footprints and narrative ─────────────────────────────────────

  /** A timer fired since the last step began (the clock moved; footprint mode only). */
  get timerSincePrevStep(): boolean {
    return this.timerFired;
  }

  /** The task of the step now running (or that ran last). */
  get running(): TaskImpl | null {
    return this.current;
  }

  /** Called by the run's observer: `u` was woken during the current step. */
  noteWake(u: TaskImpl): void {
    if (this.opts.narrate && this.current !== null && u !== this.current) this.wokeNow.push(u);
  }

  private beginStep(ready: ReadySet, k: number, point: number): void {
    const t = ready.at(k);
    this.current = t;
    this.stepPoints = 0;
    if (!this.opts.footprints) return;
    // Fold the task's last two touches into a recording set and clear them, so every touch of this step is seen.
    const ext = t.extOf() as TaskExt;
    let set = ext.touched;
    if (!(set instanceof RecordingSet)) {
      set = new RecordingSet(set ?? []);
      ext.touched = set;
    }
    if (t.touchA !== null) set.add(t.touchA);
    if (ext.touchB !== null) set.add(ext.touchB);
    (set as RecordingSet).adds = [];
    t.touchA = null;
    ext.touchB = null;
    this.spawnMark = this.sched.nextTaskIdPeek;
    const ids: number[] = [];
    for (let i = 0; i < ready.size; i++) ids.push(ready.at(i).id);
    this.currentRecord = { step: this.steps, task: t, point, ready: ids, footprint: [], afterTimer: this.timerFired, line: "" };
    this.timerFired = false;
  }

  /** The step that just ended: its footprint and, when narrating, its line. */
  private endStep(): void {
    const t = this.current!;
    const rec = this.currentRecord;
    if (rec === null) return;
    this.currentRecord = null;
    const ext = t.ext as TaskExt | null;
    const touched = new Set<object | typeof SPAWNS>();
    if (t.touchA !== null) touched.add(t.touchA);
    if (ext !== null) {
      if (ext.touchB !== null) touched.add(ext.touchB);
      const set = ext.touched;
      if (set instanceof RecordingSet) for (const r of set.adds) touched.add(r);
    }
    const own = [...touched] as object[];
    const st = t.st;
    if (st >= DONE) touched.add(t); // its joiners depend on its ending
    if (st === BLOCKED && t.waitOn !== null) for (const r of t.waitOn.resources(t)) touched.add(r);
    if (this.sched.nextTaskIdPeek !== this.spawnMark) touched.add(SPAWNS);
    // A step with a decision inside it (a select case, a jitter) is not one transition: count it as dependent on all.
    // So is a step that touched nothing the runtime can see (it may have used plain shared variables).
    rec.footprint = this.stepPoints > 0 || own.length === 0 ? TOP : [...touched].map((r) => this.keyOf(r));
    if (this.opts.narrate) rec.line = this.narrate(rec, t, own);
    this.records.push(rec);
    this.wokeNow = [];
  }

  private narrate(rec: StepRecord, t: TaskImpl, own: object[]): string {
    const parts: string[] = [];
    if (own.length > 0) parts.push(`uses ${own.map(describe).join(", ")}`);
    if (this.wokeNow.length > 0) parts.push(`wakes ${[...new Set(this.wokeNow)].map((u) => `#${u.id} ${u.name}`).join(", ")}`);
    const st = t.st;
    if (st === BLOCKED) parts.push(`blocks: ${t.waitOn?.describe(t) ?? "?"}`);
    else if (st === DONE) parts.push("returns");
    else if (st === FAILED) parts.push(`fails: ${errorLine(t.error)}`);
    else if (st === CANCELLED) parts.push("is cancelled");
    else parts.push(this.preempted(t) ? "is preempted before its next operation" : "yields");
    const chosen = rec.point >= 0 && this.choices[rec.point] !== 0 ? ` (chosen over #${rec.ready[0]})` : "";
    return `step ${rec.step}: #${t.id} ${t.name}${chosen}: ${parts.join("; ")}`;
  }

  private preempted(t: TaskImpl): boolean {
    // A task left READY by a preemption point carries the restart token with the error bit (scheduler.preemptHere).
    return t.st === READY && (t.flags & F_RESUME_ERROR) !== 0;
  }

  /** Finishes the books at the end of the run (the last step's record). */
  finish(): void {
    if (this.current !== null && this.currentRecord !== null) this.endStep();
  }

  /** The narrative: one line per step. */
  narrative(): string {
    return this.records.map((r) => r.line).join("\n");
  }
}

function describe(r: object): string {
  const d = (r as { describe?: () => string }).describe;
  if (typeof d === "function") return d.call(r);
  const t = r as { id?: number; name?: string };
  return t.id !== undefined ? `#${t.id} ${t.name}` : String(r);
}

/** The leak detector's reports as the error of a "leak" failure. */
export function leakError(reports: { coroutines: { id: number; name: string; waitsOn: string }[] }[]): DeadlockError {
  return new DeadlockError(
    reports.flatMap((r) => r.coroutines.map((c) => `#${c.id} ${c.name}: ${c.waitsOn}`)),
    true,
  );
}
