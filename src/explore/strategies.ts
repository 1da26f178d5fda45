/**
 * Strategies that decide one run at a time: uniform random choice, PCT, and
 * replay of a recorded schedule. (The exhaustive search, which decides across
 * runs, is exhaustive.ts.)
 */
import type { ReadySet } from "../sched/chooser.js";
import { Random } from "../sched/random.js";
import type { TaskImpl } from "../sched/task.js";
import { PointKind, type Controller, type Decider } from "./controller.js";

/** `random`: a uniform choice at every point. */
export class RandomDecider implements Decider {
  constructor(private readonly rng: Random) {}
  task(ready: ReadySet): number {
    return this.rng.below(ready.size);
  }
  preempt(): number {
    return this.rng.below(2);
  }
  other(_kind: PointKind, n: number): number {
    return this.rng.below(n);
  }
}

/**
 * Replays recorded choices in order; past their end, the default (0).
 * Strict: a choice that does not fit its point is a divergence (the
 * program did something else under this schedule) — recorded on the
 * controller, which stops the run at the next step. Lenient (shrinking,
 * fast-check schedules): a choice is taken modulo the point's options.
 */
export class ReplayDecider implements Decider {
  private i = 0;
  constructor(
    private readonly choices: readonly number[],
    private readonly strict: boolean,
  ) {}
  private next(n: number, ctl: Controller, what: string): number {
    const i = this.i++;
    const c = i < this.choices.length ? this.choices[i] : 0;
    if (c < n) return c;
    if (!this.strict) return c % n;
    ctl.divergence ??= `at step ${ctl.steps} the schedule chose option ${c} of ${what} that has only ${n} (choice point ${i})`;
    return 0;
  }
  task(ready: ReadySet, ctl: Controller): number {
    return this.next(ready.size, ctl, "a pick among ready coroutines");
  }
  preempt(_t: TaskImpl, _ready: ReadySet, ctl: Controller): number {
    return this.next(2, ctl, "a preemption point");
  }
  other(kind: PointKind, n: number, ctl: Controller): number {
    return this.next(n, ctl, kind === PointKind.Case ? "a select" : kind === PointKind.Timer ? "a timer order" : "a jitter");
  }
}

/**
 * PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
 * Nagarakatte, ASPLOS 2010), for `n` coroutines, `k` steps and depth `d`:
 *
 * - each coroutine gets a distinct random initial priority among d … d+n−1
 *   (in the order they first appear; more than n get priorities above);
 * - d−1 change points are drawn uniformly from the steps 1 … k; when the run
 *   reaches change point i, the running coroutine's priority drops to i−1
 *   (below every initial one);
 * - at every step the ready coroutine of highest priority runs; with
 *   preemption points (preemptAtOps), the running one is switched out as
 *   soon as a ready one outranks it.
 *
 * A bug of depth d (d ordering constraints among the steps) is then hit with
 * probability at least 1/(n·k^(d−1)) per run. Steps here are scheduling
 * steps (resumptions) and preemption points: a bug is of depth d in terms of
 * these. Choices the paper does not cover (select cases, timer order,
 * jitter) are uniform.
 */
export class PctDecider implements Decider {
  private readonly priorities = new Map<number, number>();
  private readonly initial: number[];
  private nextInitial = 0;
  private readonly changePoints: number[];
  private nextChange = 0;
  private preemptPoints = 0;

  constructor(
    private readonly rng: Random,
    readonly n: number,
    readonly k: number,
    readonly d: number,
  ) {
    this.initial = [];
    for (let i = 0; i < n; i++) this.initial.push(d + i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [this.initial[i], this.initial[j]] = [this.initial[j], this.initial[i]];
    }
    const points = new Set<number>();
    const want = Math.min(d - 1, k);
    while (points.size < want) points.add(1 + rng.below(k));
    this.changePoints = [...points].sort((a, b) => a - b);
  }

  private priorityOf(t: TaskImpl): number {
    let p = this.priorities.get(t.id);
    if (p === undefined) {
      p = this.nextInitial < this.initial.length ? this.initial[this.nextInitial] : this.d + this.n + this.nextInitial;
      this.nextInitial++;
      this.priorities.set(t.id, p);
    }
    return p;
  }

  /** Applies the change points reached by step `step` to the running coroutine. */
  private reach(step: number, runningTask: TaskImpl | null): void {
    while (this.nextChange < this.changePoints.length && this.changePoints[this.nextChange] <= step) {
      this.nextChange++;
      if (runningTask !== null) {
        this.priorityOf(runningTask);
        this.priorities.set(runningTask.id, this.nextChange - 1); // change point i (1-based) → priority i−1
      }
    }
  }

  private highest(ready: ReadySet): number {
    let best = 0;
    let bestP = -Infinity;
    for (let i = 0; i < ready.size; i++) {
      const p = this.priorityOf(ready.at(i));
      if (p > bestP) {
        bestP = p;
        best = i;
      }
    }
    return best;
  }

  task(ready: ReadySet, ctl: Controller): number {
    for (let i = 0; i < ready.size; i++) this.priorityOf(ready.at(i)); // first appearance order = queue order
    this.reach(ctl.steps + this.preemptPoints, ctl.running);
    return this.highest(ready);
  }

  preempt(t: TaskImpl, ready: ReadySet, ctl: Controller): number {
    this.preemptPoints++;
    this.reach(ctl.steps + this.preemptPoints, t);
    const mine = this.priorityOf(t);
    return this.priorityOf(ready.at(this.highest(ready))) > mine ? 1 : 0;
  }

  other(_kind: PointKind, n: number): number {
    return this.rng.below(n);
  }
}

/** Seeds for run `i` of an exploration seeded `seed`: distinct, well mixed, stable. */
export function runSeed(seed: number, i: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h | 0;
}
