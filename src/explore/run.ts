/**
 * One run of a program under a strategy: a fresh Runtime (on a reused
 * address space: a new one costs a buffer of a megabyte), the controller
 * installed as its chooser, the program set up and driven, the ending
 * classified, and everything left torn down.
 *
 * Endings: null (ok), "error" (an uncaught error, an AggregateError of them,
 * or the program's check throwing), "deadlock" (run() threw DeadlockError),
 * "leak" (the leak detector found coroutines that can never wake while
 * others still run; only with detectLeaks), "budget" (maxSteps or until).
 * A replay whose schedule no longer fits the program ends "diverged"; an
 * exhaustive run cut by its sleep set ends "pruned" (neither is a failure).
 */
import { DeadlockError } from "../errors.js";
import { AddressSpace } from "../memory/index.js";
import { Runtime, schedulerOf, type RuntimeOptions } from "../runtime/runtime.js";
import { addObserver, type RuntimeObserver } from "../sched/observer.js";
import { FAILED, type TaskImpl } from "../sched/task.js";
import { Controller, leakError, RunStop, type Decider } from "./controller.js";
import type { FailureKind } from "./token.js";

/** A program sets coroutines up on the runtime it is given; it may return a check run after the run. */
export type Program = (rt: Runtime) => void | (() => void);

export interface RunSettings {
  seed: number;
  preemptAtOps: boolean;
  jitter: number;
  maxSteps: number;
  until: number | undefined;
  detectLeaks: boolean;
  runtime: RuntimeOptions | undefined;
}

export interface RunResult {
  kind: FailureKind | null;
  error: unknown;
  ctl: Controller;
  /** Set when a replayed schedule did not fit (the program did something else). */
  diverged: string | null;
  /** An exhaustive run its sleep set showed redundant. */
  pruned: boolean;
  trace?: object;
  dump?: object;
}

export interface RunExtras {
  footprints?: boolean;
  narrate?: boolean;
  trace?: boolean;
}

/** Address spaces kept for the next run (one at a time; see the module doc). */
let spare: AddressSpace | null = null;
const SPACE_POOLS = { micro: 512, small: 16, medium: 4 };

function reusableSpace(runtime: RuntimeOptions | undefined): boolean {
  if (runtime === undefined) return true;
  return (
    runtime.memoryBytes === undefined &&
    runtime.maxMemoryBytes === undefined &&
    runtime.pools === undefined &&
    runtime.buffer === undefined &&
    runtime.shared === undefined &&
    runtime.memory === undefined
  );
}

export function runOnce(program: Program, s: RunSettings, decider: Decider, extras: RunExtras = {}): RunResult {
  const reuse = reusableSpace(s.runtime);
  let space: AddressSpace | undefined;
  if (reuse) {
    space = spare ?? new AddressSpace({ pools: SPACE_POOLS });
    spare = null;
  }
  const options: RuntimeOptions = { ...s.runtime, seed: s.seed, memory: space };
  if (extras.trace) options.trace = true;
  if (s.detectLeaks) {
    options.detectLeaks = (reports) => {
      throw new RunStop("leak", reports, "leak");
    };
  }
  const rt = new Runtime(options);
  const sched = schedulerOf(rt);
  const ctl = new Controller(sched, decider, {
    preemptAtOps: s.preemptAtOps,
    jitter: s.jitter,
    maxSteps: s.maxSteps,
    until: s.until,
    footprints: extras.footprints === true || extras.narrate === true,
    narrate: extras.narrate === true,
  });
  sched.chooser = ctl;
  const result: RunResult = { kind: null, error: undefined, ctl, diverged: null, pruned: false };
  let dumped = false;
  const takeDump = () => {
    if (!extras.narrate || dumped) return;
    dumped = true;
    result.dump = JSON.parse(JSON.stringify(rt.dump())) as object;
  };
  if (extras.narrate) addObserver(sched, narrationObserver(ctl, takeDump));
  try {
    const check = program(rt);
    rt.run();
    ctl.finish();
    if (typeof check === "function") check();
  } catch (err) {
    ctl.finish();
    classify(result, err);
    if (result.kind !== null && result.kind !== "error") takeDump();
  }
  if (extras.trace) result.trace = rt.exportTrace() as object;
  tearDown(rt, ctl);
  if (reuse && space !== undefined && sched.liveTasks().length === 0) spare = space;
  return result;
}

function classify(result: RunResult, err: unknown): void {
  if (err instanceof RunStop) {
    switch (err.reason) {
      case "budget":
        result.kind = "budget";
        result.error = new Error(err.message);
        return;
      case "leak":
        result.kind = "leak";
        result.error = leakError(err.detail as Parameters<typeof leakError>[0]);
        return;
      case "diverged":
        result.diverged = err.message;
        return;
      case "pruned":
        result.pruned = true;
        return;
    }
  }
  result.kind = err instanceof DeadlockError ? "deadlock" : "error";
  result.error = err;
}

/** Cancels whatever the run left (finally blocks run with no more decisions), so the space can be reused. */
function tearDown(rt: Runtime, ctl: Controller): void {
  ctl.passive = true;
  if (schedulerOf(rt).liveTasks().length === 0) return;
  try {
    rt.shutdown();
  } catch {
    // A finally block that fails while being cancelled: the run's ending is already known.
  }
}

function narrationObserver(ctl: Controller, takeDump: () => void): RuntimeObserver {
  const none = () => {};
  return {
    onSpawn: none,
    onSwitch: none,
    onBlock: none,
    onWake: (t: TaskImpl) => ctl.noteWake(t),
    onEnd: (t: TaskImpl) => {
      if (t.st === FAILED) takeDump();
    },
    onAlloc: none,
    onFree: none,
    onMigrate: none,
  };
}
