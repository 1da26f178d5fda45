/**
 * explore() and replay(): the public face of schedule exploration.
 *
 * explore(program, options) runs the program many times, each run on a
 * fresh Runtime under one strategy's decisions (random, pct, exhaustive),
 * and stops at the first failing run. The failure comes back as a replay
 * token, a shrunk token (fewest deviations from the default order, then
 * fewest steps, same kind of failure), the shrunk run's narrative (one line
 * per step), its trace and its dump at the failure. replay(program, token)
 * runs one schedule again, step for step, and reports nondeterminism — the
 * program doing something else under the same schedule — at the step where
 * it showed.
 *
 * Determinism is the program's side of the bargain: given its schedule it
 * must do the same thing every time. Randomness must come from rt.random();
 * time from rt.now(); no state may survive from one run to the next.
 */
import { describeValue, readGuarded } from "../describe.js";
import type { RuntimeOptions } from "../runtime/runtime.js";
import { errorLine } from "../sched/scheduler.js";
import { Random } from "../sched/random.js";
import { NondeterminismError } from "./controller.js";
import { backtrack, DfsDecider, type DfsNode } from "./exhaustive.js";
import { runOnce, type Program, type RunResult, type RunSettings } from "./run.js";
import { shrink } from "./shrink.js";
import { PctDecider, RandomDecider, ReplayDecider, runSeed } from "./strategies.js";
import { decodeToken, encodeToken, type FailureKind, type Schedule } from "./token.js";
import { exploreInWorkers, type ProgramRef } from "./workers.js";

export type { Program } from "./run.js";
export type { ProgramRef } from "./workers.js";
export type { FailureKind } from "./token.js";

export type Strategy = "random" | "pct" | "exhaustive";

export interface ExploreOptions {
  /** Default "random". */
  strategy?: Strategy;
  /** The budget: how many schedules to run at most (default 1000; exhaustive: 10 000). */
  runs?: number;
  /** Seeds the whole exploration (default 1). */
  seed?: number;
  /** pct: the bug depth d (default 2). */
  depth?: number;
  /** exhaustive: the most preemptions a schedule may have (default 2). */
  preemptionBound?: number;
  /** Also switch before channel operations and selects that could complete at once (default false). */
  preemptAtOps?: boolean;
  /** Virtual delays perturbed within ±jitter ms (default 0). */
  jitter?: number;
  /** Per-run budgets: steps (default 100 000) and virtual ms (default none). */
  maxSteps?: number;
  until?: number;
  /** A run fails as "leak" when coroutines can never wake while others still run (the runtime's detector; default false). */
  detectLeaks?: boolean;
  /** exhaustive: partial-order reduction by sleep sets (default true). */
  por?: boolean;
  /** Shrink the failing schedule (default true). */
  shrink?: boolean;
  /** Options for each run's runtime (seed: fixed for every run; otherwise each run draws its own). */
  runtime?: RuntimeOptions;
  /** > 1: runs spread over worker_threads (see explore/workers.ts). */
  workers?: number;
}

export interface ExploreFailure {
  kind: FailureKind;
  error: unknown;
  /** The failing run's schedule. */
  token: string;
  /** The shrunk schedule: same kind of failure, fewest deviations, then fewest steps. */
  shrunkToken: string;
  /** The shrunk run, one line per step. */
  narrative: string;
  /** Chrome Trace Event JSON of the shrunk run. */
  trace?: object;
  /** rt.dump() at the failure in the shrunk run. */
  dump?: object;
  /** Which run failed first (1-based: schedules to the first failure). */
  run: number;
  steps: number;
  shrunkSteps: number;
  /** Decisions other than the default in the shrunk schedule. */
  deviations: number;
}

export interface ExploreResult {
  ok: boolean;
  /** Schedules run (exhaustive: not counting runs its sleep sets cut short). */
  runs: number;
  /** exhaustive: every schedule within the preemption bound was run. */
  exhausted: boolean;
  /** exhaustive: runs cut short by partial-order reduction. */
  pruned?: number;
  /** exhaustive: the preemption bound left schedules out (the space is larger than what was covered). */
  boundCut?: boolean;
  failure?: ExploreFailure;
}

export interface ReplayResult {
  ok: boolean;
  error?: unknown;
  kind?: FailureKind;
  steps: number;
  narrative: string;
  trace?: object;
  dump?: object;
}

export interface Checked {
  strategy: Strategy;
  runs: number;
  seed: number;
  depth: number;
  preemptionBound: number;
  por: boolean;
  shrink: boolean;
  settings: RunSettings;
  fixedSeed: boolean;
  /** The options as given (a worker checks them again). */
  raw: Record<string, unknown>;
  /** The `workers` option as given (checked where workers are started). */
  workers: unknown;
}

const KNOWN = [
  "strategy",
  "runs",
  "seed",
  "depth",
  "preemptionBound",
  "preemptAtOps",
  "jitter",
  "maxSteps",
  "until",
  "detectLeaks",
  "por",
  "shrink",
  "runtime",
  "workers",
];

function positiveInt(o: Record<string, unknown>, k: string, dflt: number, min = 1): number {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    const msg = `explore option ${k} must be an integer ≥ ${min}, received ${describeValue(v)}`;
    throw typeof v === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  return v;
}

function flag(o: Record<string, unknown>, k: string, dflt: boolean): boolean {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new TypeError(`explore option ${k} must be true or false, received ${describeValue(v)}`);
  return v;
}

function nonNegative(o: Record<string, unknown>, k: string): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    const msg = `explore option ${k} must be a finite number ≥ 0 (virtual ms), received ${describeValue(v)}`;
    throw typeof v === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  return v;
}

export function checkExploreOptions(options: unknown): Checked {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object") throw new TypeError(`explore options must be an object, received ${describeValue(options)}`);
  // One read of each option (a getter runs once; a Proxy whose traps throw is refused as a TypeError).
  const given = options;
  const o = readGuarded("explore options", () => Object.fromEntries(Object.keys(given).map((k) => [k, (given as Record<string, unknown>)[k]])));
  for (const k of Object.keys(o))
    if (!KNOWN.includes(k)) throw new TypeError(`explore: unknown option ${JSON.stringify(k)}; the options are ${KNOWN.join(", ")}`);
  const strategy = o.strategy ?? "random";
  if (strategy !== "random" && strategy !== "pct" && strategy !== "exhaustive") {
    throw new TypeError(`explore option strategy must be "random", "pct" or "exhaustive", received ${describeValue(strategy)}`);
  }
  const seed = o.seed === undefined ? 1 : o.seed;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) throw new TypeError(`explore option seed must be an integer, received ${describeValue(seed)}`);
  const runtime = o.runtime as RuntimeOptions | undefined;
  if (runtime !== undefined && (runtime === null || typeof runtime !== "object"))
    throw new TypeError(`explore option runtime must be RuntimeOptions, received ${describeValue(runtime)}`);
  const runtimeSeed = runtime?.seed;
  const fixedSeed = runtimeSeed !== undefined || strategy === "exhaustive";
  return {
    strategy,
    runs: positiveInt(o, "runs", strategy === "exhaustive" ? 10_000 : 1000),
    seed,
    depth: positiveInt(o, "depth", 2),
    preemptionBound: positiveInt(o, "preemptionBound", 2, 0),
    por: flag(o, "por", true),
    shrink: flag(o, "shrink", true),
    fixedSeed,
    raw: o,
    workers: o.workers,
    settings: {
      seed: runtimeSeed ?? seed,
      preemptAtOps: flag(o, "preemptAtOps", false),
      jitter: nonNegative(o, "jitter") ?? 0,
      maxSteps: positiveInt(o, "maxSteps", 100_000),
      until: nonNegative(o, "until"),
      detectLeaks: flag(o, "detectLeaks", false),
      runtime,
    },
  };
}

function checkProgram(program: unknown): Program {
  if (typeof program !== "function")
    throw new TypeError(`explore(program): program must be a function (rt) => void that spawns coroutines, received ${describeValue(program)}`);
  return program as Program;
}

/** Explores schedules of `program` (see the module doc). */
export function explore(program: Program, options?: ExploreOptions): ExploreResult;
/** With the program as a module's export: runs spread over `workers` worker threads (default 1); a Promise. */
export function explore(program: ProgramRef, options?: ExploreOptions): Promise<ExploreResult>;
export function explore(program: Program | ProgramRef, options?: ExploreOptions): ExploreResult | Promise<ExploreResult> {
  const c = checkExploreOptions(options);
  const workers = c.workers;
  if (typeof program !== "function" && program !== null && typeof program === "object") {
    const given = program;
    const ref = readGuarded("explore(program): program", (): ProgramRef => ({ module: given.module, export: given.export }));
    return exploreInWorkers(ref, c, workers ?? 1);
  }
  if (workers !== undefined && workers !== 1) {
    throw new TypeError(
      `explore with workers: ${describeValue(workers)} needs the program as { module, export } (a worker imports it), received ${describeValue(program)}`,
    );
  }
  checkProgram(program);
  return c.strategy === "exhaustive" ? exploreExhaustive(program, c) : exploreSampled(program, c);
}

/**
 * random and pct: `c.runs` runs numbered firstRun, firstRun + stride, … (a
 * worker's share of an exploration spread over workers), stopping early when
 * `stop()` says another worker has failed.
 */
export function exploreSampled(program: Program, c: Checked, firstRun = 0, stride = 1, stop?: () => boolean): ExploreResult {
  let nEstimate = 1;
  let kEstimate = 1;
  for (let i = firstRun, count = 0; count < c.runs; i += stride, count++) {
    if (stop !== undefined && stop()) return { ok: true, runs: count, exhausted: false };
    const settings: RunSettings = c.fixedSeed ? c.settings : { ...c.settings, seed: runSeed(c.seed, i) };
    const rng = new Random(runSeed(c.seed ^ 0x2545f491, i));
    // Run 0 is the default schedule (no deviation): what a plain rt.run() would do.
    const decider = i === 0 ? new ReplayDecider([], false) : c.strategy === "pct" ? new PctDecider(rng, nEstimate, kEstimate, c.depth) : new RandomDecider(rng);
    const r = runOnce(program, settings, decider);
    if (r.diverged !== null) throw new NondeterminismError(r.ctl.steps, `the program is not deterministic given its schedule: ${r.diverged}`);
    nEstimate = Math.max(nEstimate, r.ctl.sched.nextTaskIdPeek - 1);
    kEstimate = Math.max(kEstimate, r.ctl.steps + r.ctl.kinds.length);
    if (r.kind !== null) return { ok: false, runs: count + 1, exhausted: false, failure: failureOf(program, c, settings, r, count + 1) };
  }
  return { ok: true, runs: c.runs, exhausted: false };
}

function exploreExhaustive(program: Program, c: Checked): ExploreResult {
  let schedules = 0;
  let pruned = 0;
  let boundCut = false;
  for (let bound = 0; bound <= c.preemptionBound; bound++) {
    const path: DfsNode[] = [];
    boundCut = false;
    for (;;) {
      if (schedules >= c.runs || pruned >= c.runs * 10) return { ok: true, runs: schedules, exhausted: false, pruned, boundCut: true };
      const decider = new DfsDecider(path, bound, c.por);
      const r = runOnce(program, c.settings, decider, { footprints: c.por });
      decider.finish(r.ctl);
      if (decider.boundCut) boundCut = true;
      if (r.diverged !== null) throw new NondeterminismError(r.ctl.steps, `the program is not deterministic given its schedule: ${r.diverged}`);
      if (r.pruned) pruned++;
      else {
        schedules++;
        if (r.kind !== null)
          return { ok: false, runs: schedules, exhausted: false, pruned, boundCut, failure: failureOf(program, c, c.settings, r, schedules) };
      }
      if (!backtrack(path)) break;
    }
    if (!boundCut || !c.settings.preemptAtOps) break; // nothing was cut: the whole space is done
  }
  return { ok: true, runs: schedules, exhausted: true, pruned, boundCut };
}

function scheduleOf(settings: RunSettings, r: RunResult, choices: number[]): Schedule {
  return {
    seed: settings.seed,
    preemptAtOps: settings.preemptAtOps,
    jitter: settings.jitter,
    maxSteps: settings.maxSteps,
    until: settings.until,
    detectLeaks: settings.detectLeaks,
    choices,
    steps: r.ctl.steps,
    hash: r.ctl.hash,
    kind: r.kind ?? "ok",
  };
}

function failureOf(program: Program, c: Checked, settings: RunSettings, r: RunResult, run: number): ExploreFailure {
  const kind = r.kind!;
  const token = encodeToken(scheduleOf(settings, r, r.ctl.choices));
  const shrunk = c.shrink ? shrink(program, settings, r, kind) : { choices: r.ctl.choices, steps: r.ctl.steps, attempts: 0 };
  // The shrunk run again, with the narrative, trace and dump; its own books make the shrunk token.
  const told = runOnce(program, settings, new ReplayDecider(shrunk.choices, true), { narrate: true, trace: true });
  if (told.kind !== kind) {
    throw new NondeterminismError(
      told.ctl.steps,
      `the program is not deterministic given its schedule: the same schedule failed as ${kind}, then ${told.kind ?? "ran clean"}`,
    );
  }
  const shrunkToken = encodeToken(scheduleOf(settings, told, told.ctl.choices));
  return {
    kind,
    error: r.error,
    token,
    shrunkToken,
    narrative: told.ctl.narrative(),
    trace: told.trace,
    dump: told.dump,
    run,
    steps: r.ctl.steps,
    shrunkSteps: told.ctl.steps,
    deviations: told.ctl.choices.filter((x) => x !== 0).length,
  };
}

/** Runs one recorded schedule again, step for step (see the module doc). */
export function replay(program: Program, token: string, options?: { runtime?: RuntimeOptions }): ReplayResult {
  checkProgram(program);
  const s = decodeToken(token);
  const runtime = options?.runtime;
  const settings: RunSettings = {
    seed: s.seed,
    preemptAtOps: s.preemptAtOps,
    jitter: s.jitter,
    maxSteps: s.maxSteps,
    until: s.until,
    detectLeaks: s.detectLeaks,
    runtime,
  };
  const r = runOnce(program, settings, new ReplayDecider(s.choices, true), { narrate: true, trace: true });
  const narrative = r.ctl.narrative();
  const base = { steps: r.ctl.steps, narrative, trace: r.trace, dump: r.dump };
  const mismatch = r.diverged ?? divergenceFromRecord(program, settings, s, r);
  if (mismatch !== null)
    return {
      ok: false,
      error: new NondeterminismError(r.ctl.steps, `replay of ${token}: the program is not deterministic given its schedule: ${mismatch}`),
      ...base,
    };
  if (r.kind === null) return { ok: true, ...base };
  return { ok: false, error: r.error, kind: r.kind, ...base };
}

/**
 * The replayed run against what the token recorded: null when they agree.
 * When they do not, the step where they part is found by running the
 * schedule once more and comparing the two runs' ready sets step by step.
 */
function divergenceFromRecord(program: Program, settings: RunSettings, s: Schedule, r: RunResult): string | null {
  if (s.hash === undefined || (s.hash === r.ctl.hash && s.steps === r.ctl.steps && (s.kind ?? "ok") === (r.kind ?? "ok"))) return null;
  const again = runOnce(program, settings, new ReplayDecider(s.choices, true), { footprints: true });
  const a = r.ctl.records;
  const b = again.ctl.records;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i].ready.join() !== b[i].ready.join()) {
      return `at step ${i + 1} two runs of one schedule had different coroutines ready: [${a[i].ready.map((id) => `#${id}`).join(", ")}] then [${b[i].ready.map((id) => `#${id}`).join(", ")}]`;
    }
  }
  const ended = r.kind ?? "ran clean";
  return `the token recorded ${s.steps} steps ending ${s.kind ?? "?"}, this run took ${r.ctl.steps} ending ${ended} (the program changed, or depends on state from outside the runtime)`;
}

/**
 * One schedule given as choice integers, each taken modulo its point's
 * options (past the end: the default): for fast-check properties, with
 * scheduleArbitrary(). Typed `unknown[]` so fast-check's inferred
 * `unknown[]` passes; each entry must be a non-negative integer.
 */
export function runSchedule(
  program: Program,
  choices: readonly unknown[],
  options?: Omit<ExploreOptions, "strategy" | "runs" | "workers" | "shrink" | "por">,
): ReplayResult & { token: string } {
  const c = checkExploreOptions(options);
  checkProgram(program);
  if (!Array.isArray(choices)) throw new TypeError(`runSchedule(program, choices): choices must be an array of integers, received ${describeValue(choices)}`);
  for (let i = 0; i < choices.length; i++) {
    const x: unknown = choices[i];
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0)
      throw new TypeError(`runSchedule: choice ${i} must be a non-negative integer, received ${describeValue(x)}`);
  }
  const r = runOnce(program, c.settings, new ReplayDecider(choices as readonly number[], false), {});
  const token = encodeToken(scheduleOf(c.settings, r, r.ctl.choices));
  return { ok: r.kind === null, error: r.error, kind: r.kind ?? undefined, steps: r.ctl.steps, narrative: "", token };
}

/** The failure as an Error whose message holds everything a CI log needs to reproduce and read it. */
export function explorationError(result: ExploreResult): Error {
  const f = result.failure!;
  const lines = [
    `schedule exploration found ${f.kind === "error" ? "an" : "a"} ${f.kind} after ${f.run} schedule${f.run === 1 ? "" : "s"}: ${errorLine(f.error)}`,
    `replay: replay(program, ${JSON.stringify(f.shrunkToken)})`,
    `(unshrunk: ${f.token}; ${f.deviations} deviation${f.deviations === 1 ? "" : "s"} from the default order, ${f.shrunkSteps} steps)`,
    "the shrunk run:",
    ...f.narrative.split("\n").map((l) => `  ${l}`),
  ];
  return new Error(lines.join("\n"), { cause: f.error });
}

/** explore(), throwing explorationError() on a failure: for test runners. */
export function exploreOrThrow(program: Program, options?: ExploreOptions): ExploreResult {
  const result = explore(program, options);
  if (!result.ok) throw explorationError(result);
  return result;
}

/** Same as exploreOrThrow (reads as an assertion in a test). */
export const assertExplores = exploreOrThrow;

export { NondeterminismError };
