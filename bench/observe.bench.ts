/**
 * Observability overhead: the same scheduler workloads with an observer on
 * and off, measured in the same run so the ratio is honest.
 *
 * - sched/switch/1000/trace-on vs trace-off: tracing records a run slice per
 *   context switch; the target is ≤ 1.5× tracing off.
 * - sched/spawn/profiling-on vs profiling-off: the profiler counts each
 *   coroutine when it ends; the target is ≤ 1.1× profiling off.
 *
 * Targets are ratios to a case measured in the same run, so they appear in
 * the notes (and the report's ratio column), not as absolute `target.ns`.
 * Wall time is measured; `modelCycles` is the cost model's output and is the
 * same on and off (observers never charge cycles; the tests check it).
 */
import type { BenchFile, TimedCase } from "./types.js";
import { Runtime, yieldNow, type RuntimeOptions } from "cprime-coro";

interface ObservedPair {
  /** Case name without the -on/-off suffix. */
  name: string;
  /** The option under test; the cases are named `<name>/<option>-on` and `-off`. */
  option: "trace" | "profiling";
  opsPerCall: number;
  /** Target ratio on / off. */
  ratio: number;
  note: string;
  /** A fresh runtime per call (tracing keeps every event, so one runtime would grow without bound). */
  freshRuntime: boolean;
  workload: (rt: Runtime) => void;
  /** Runs once on a fresh runtime after one workload call; throws unless it did what the name says. */
  check: (rt: Runtime, observed: boolean) => void;
}

const POOLS = { micro: 1024, small: 0, medium: 0 };

/** The on and off cases of one workload: off is the baseline of on. */
function observedPair(p: ObservedPair): TimedCase[] {
  const variant = (observed: boolean): TimedCase => {
    const options: RuntimeOptions = { name: `bench ${p.name} ${p.option}-${observed ? "on" : "off"}`, pools: POOLS, [p.option]: observed };
    let rt: Runtime | null = null;
    let cyclesPerOp = NaN;
    const runtime = (): Runtime => (p.freshRuntime || rt === null ? (rt = new Runtime(options)) : rt);
    return {
      name: `${p.name}/${p.option}-${observed ? "on" : "off"}`,
      role: observed ? "subject" : "baseline",
      ...(observed ? { baseline: `${p.name}/${p.option}-off` } : {}),
      opsPerCall: p.opsPerCall,
      note: observed ? `target ≤ ${p.ratio}× ${p.option} off (ratio column); ${p.note}` : `${p.note}; ${p.option}: false`,
      setup() {
        rt = null;
        const r = runtime();
        p.workload(r);
        p.check(r, observed);
        cyclesPerOp = r.stats().busyCycles / p.opsPerCall; // every call does the same modelled work
        rt = null;
      },
      fn() {
        p.workload(runtime());
      },
      modelCycles: () => cyclesPerOp,
      teardown() {
        rt = null;
      },
    };
  };
  return [variant(true), variant(false)];
}

// ── sched/switch/1000 ──────────────────────────────────────────────────────

const SWITCH_COROUTINES = 1000;
const SWITCH_ROUNDS = 100;
const SWITCHES_PER_CALL = SWITCH_COROUTINES * SWITCH_ROUNDS;

function* switcher(): Generator<unknown, void, unknown> {
  for (let r = 0; r < SWITCH_ROUNDS; r++) yield* yieldNow();
}

function switchRounds(rt: Runtime): void {
  for (let i = 0; i < SWITCH_COROUTINES; i++) rt.spawn(switcher);
  rt.run();
}

const switchCases = observedPair({
  name: "sched/switch/1000",
  option: "trace",
  opsPerCall: SWITCHES_PER_CALL,
  ratio: 1.5,
  note:
    `a fresh runtime per call: 1000 coroutines × ${SWITCH_ROUNDS} yieldNow rounds, run() to completion; ` +
    "their spawns, first switches and ends (≈1%) are charged to the switches",
  freshRuntime: true,
  workload: switchRounds,
  check(rt, traced) {
    const switches = rt.stats().contextSwitches;
    const expected = SWITCH_COROUTINES * (SWITCH_ROUNDS + 1);
    if (switches !== expected) throw new Error(`sched/switch/1000: a call made ${switches} context switches, expected ${expected}`);
    if (traced) {
      const slices = rt.exportTrace().traceEvents.filter((e) => e.ph === "X").length;
      if (slices !== switches) throw new Error(`sched/switch/1000/trace-on: ${slices} run slices for ${switches} switches`);
    }
  },
});

// ── sched/spawn ────────────────────────────────────────────────────────────

const SPAWNS_PER_CALL = 1000;

function* emptyCoroutine(): Generator<never, void, unknown> {}

function spawnAndRun(rt: Runtime): void {
  for (let i = 0; i < SPAWNS_PER_CALL; i++) rt.spawn(emptyCoroutine);
  rt.run();
}

const spawnCases = observedPair({
  name: "sched/spawn",
  option: "profiling",
  opsPerCall: SPAWNS_PER_CALL,
  ratio: 1.1,
  note: "one runtime for the whole case; per call 1000 × spawn of an empty generator, then run() to completion",
  freshRuntime: false,
  workload: spawnAndRun,
  check(rt, profiled) {
    const s = rt.stats();
    if (s.completed !== SPAWNS_PER_CALL || s.live !== 0) throw new Error(`sched/spawn: a call did not spawn and complete ${SPAWNS_PER_CALL} coroutines`);
    if (profiled) {
      const entry = rt.profile().definitions.find((d) => d.name === "emptyCoroutine");
      if (entry?.spawns !== SPAWNS_PER_CALL)
        throw new Error(`sched/spawn/profiling-on: the profile counted ${entry?.spawns} spawns, expected ${SPAWNS_PER_CALL}`);
    }
  },
});

const bench: BenchFile = {
  title: "Observability: tracing and profiling overhead",
  notes: [
    "Each pair runs the same workload with the observer on and off in this run; the ratio column is on / off. " +
      "Targets: tracing ≤ 1.5× off on sched/switch/1000, profiling ≤ 1.1× off on sched/spawn.",
    "sched/switch/1000 here builds a fresh runtime per call (small pools), because a trace keeps every event: one " +
      "long-lived traced runtime would grow by 100 000 run slices per call. That differs from sched/switch/1000 in " +
      "sched.bench.ts (one long-lived runtime), so compare the pair with each other, not with that case.",
    "modelCycles is the cost model's busy cycles per op (model output, not time); observers never charge cycles.",
  ],
  cases: [...switchCases, ...spawnCases],
};

export default bench;
