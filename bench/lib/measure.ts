/**
 * Measuring one case.
 *
 * Timed cases go through tinybench, one `Bench` per case so its time budget
 * can fit the case. tinybench times each call of its task function on its own,
 * so for a call shorter than the timer's grain it would measure the timer. The
 * runner therefore batches: it calibrates how many calls of `fn` make one
 * sample of at least `minSampleNs`, times the batch with `process.hrtime`, and
 * hands tinybench the mean per call (`overriddenDuration`) and the batch's wall
 * time (`overriddenIterationCost`, so the time budget stays honest). The
 * statistics are therefore over batch means; the report says how many calls
 * each sample holds.
 *
 * Order for a timed case: setup → probe call (async detection) → short warmup
 * → calibration → tinybench warmup + run → modelCycles() → teardown (always
 * once setup succeeded, even when a later step threw).
 */

import { Bench, type FnReturnedObject } from "tinybench";
import type { MeasuredCase, TimedCase } from "../types.js";
import type { RunnerOptions } from "./args.js";
import type { CaseResult, Spread } from "./results.js";

const MAX_CALLS_PER_SAMPLE = 1 << 20;

/** A compiled batch loop: calls `fn` `calls` times and returns the elapsed ns. */
type BatchFn = (fn: () => unknown, calls: number, box: { v: unknown }) => number | Promise<number>;

let batchId = 0;

/**
 * A fresh batch loop per case. Each case gets its own compiled function (the
 * unique comment defeats V8's compilation cache), so its call site of `fn`
 * starts with clean type feedback: with one shared loop, the first cases would
 * get `fn` inlined and later ones a megamorphic call site polluted by their
 * predecessors, so order would bias the results. Every case now gets the same
 * treatment. The result is stored in `box` so the calls are not dead code.
 */
function compileBatch(isAsync: boolean): BatchFn {
  const id = ++batchId;
  const body = isAsync
    ? `return async function batch${id}(fn, calls, box) { // case ${id}
  let r;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) r = await fn();
  const end = process.hrtime.bigint();
  box.v = r;
  return Number(end - start);
};`
    : `return function batch${id}(fn, calls, box) { // case ${id}
  let r;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) r = fn();
  const end = process.hrtime.bigint();
  box.v = r;
  return Number(end - start);
};`;
  return new Function(body)() as BatchFn;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name === "Error" ? "" : `${e.name}: `}${e.message}`;
  return String(e);
}

function emptyResult(c: TimedCase | MeasuredCase, kind: CaseResult["kind"], unit: CaseResult["unit"]): CaseResult {
  return {
    name: c.name,
    kind,
    role: c.role,
    unit,
    status: "ok",
    value: null,
    spread: null,
    samples: null,
    callsPerSample: null,
    opsPerCall: null,
    async: null,
    baseline: c.baseline === undefined ? null : { name: c.baseline, ratio: null },
    floor: "floor" in c && c.floor !== undefined ? { name: c.floor, value: null } : null,
    target: null,
    modelCyclesPerOp: null,
    note: c.note ?? null,
    reason: null,
    includedAsBaseline: false,
    wallMs: 0,
  };
}

/**
 * Runs `fn` in doubling batches for about `budgetNs`, so calibration sees
 * optimised code rather than the interpreter's first calls.
 */
async function warm(batch: BatchFn, fn: () => unknown, budgetNs: number): Promise<void> {
  const box = { v: undefined as unknown };
  let spent = 0;
  for (let calls = 1; spent < budgetNs; calls = Math.min(MAX_CALLS_PER_SAMPLE, calls * 2)) {
    spent += await batch(fn, calls, box);
  }
}

/**
 * How many calls make a sample of at least `minSampleNs`: the first doubling
 * batch that lasts that long. On warm code this overshoots by at most 2×.
 */
async function calibrate(batch: BatchFn, fn: () => unknown, minSampleNs: number): Promise<number> {
  const box = { v: undefined as unknown };
  let calls = 1;
  while (calls < MAX_CALLS_PER_SAMPLE && (await batch(fn, calls, box)) < minSampleNs) calls *= 2;
  return calls;
}

export async function measureTimed(c: TimedCase, options: RunnerOptions): Promise<CaseResult> {
  const result = emptyResult(c, "timed", "ns/op");
  const opsPerCall = c.opsPerCall ?? 1;
  result.opsPerCall = opsPerCall;
  if (!(Number.isFinite(opsPerCall) && opsPerCall > 0)) {
    result.status = "error";
    result.reason = `opsPerCall must be a positive number, received ${String(c.opsPerCall)}`;
    return result;
  }
  if (c.target) result.target = { value: c.target.ns, text: c.target.text, verdict: null };

  const started = performance.now();
  let setupDone = false;
  try {
    await c.setup?.();
    setupDone = true;

    // Probe: one call tells whether the case is async (the contract: a returned promise makes it async).
    const probe = c.fn();
    const isAsync = isThenable(probe);
    if (isAsync) await probe;
    result.async = isAsync;

    const batch = compileBatch(isAsync);
    const fn = c.fn;
    await warm(batch, fn, Math.min(20e6, options.warmupMs * 1e6 * 0.2));
    const calls = await calibrate(batch, fn, options.minSampleNs);
    result.callsPerSample = calls;
    const box = { v: undefined as unknown };

    const bench = new Bench({
      name: c.name,
      time: options.timeMs,
      iterations: options.minSamples,
      warmupTime: options.warmupMs,
      warmupIterations: 2,
      throws: false,
    });
    const sample = (elapsedNs: number): FnReturnedObject => ({
      overriddenDuration: elapsedNs / 1e6 / calls,
      overriddenIterationCost: elapsedNs / 1e6,
    });
    if (isAsync) {
      bench.add(c.name, async () => sample(await batch(fn, calls, box)), { async: true });
    } else {
      bench.add(c.name, () => sample(batch(fn, calls, box) as number), { async: false });
    }
    await bench.run();

    const task = bench.tasks[0];
    const r = task.result;
    if (r.state === "errored") throw r.error;
    if (r.state !== "completed" && r.state !== "aborted-with-statistics") throw new Error(`tinybench ended in state ${r.state}`);

    const perOpNs = (ms: number) => (ms * 1e6) / opsPerCall;
    const lat = r.latency;
    result.value = perOpNs(lat.p50);
    result.spread = {
      p75: perOpNs(lat.p75),
      p99: perOpNs(lat.p99),
      min: perOpNs(lat.min),
      max: perOpNs(lat.max),
      mad: perOpNs(lat.mad),
      rmePercent: lat.rme,
    } satisfies Spread;
    result.samples = lat.samplesCount;
    if (result.target) result.target.verdict = result.value <= result.target.value ? "met" : "missed";

    if (c.modelCycles) {
      try {
        const cycles = c.modelCycles();
        result.modelCyclesPerOp = Number.isFinite(cycles) ? cycles : null;
      } catch (e) {
        result.note = [result.note, `modelCycles() threw: ${errorMessage(e)}`].filter(Boolean).join("; ");
      }
    }
  } catch (e) {
    result.status = "error";
    result.reason = `${setupDone ? "" : "setup: "}${errorMessage(e)}`;
    result.value = null;
    result.spread = null;
    if (result.target) result.target.verdict = null;
  } finally {
    // As in tinybench: no teardown when setup did not complete.
    if (c.teardown && setupDone) {
      try {
        await c.teardown();
      } catch (e) {
        if (result.status === "ok") {
          result.status = "error";
          result.reason = `teardown: ${errorMessage(e)}`;
        }
      }
    }
    result.wallMs = performance.now() - started;
  }
  return result;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median, percentiles and MAD of externally supplied samples. */
export function spreadOf(samples: number[]): { median: number; spread: Spread } {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(sorted.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  // 1.96 is the normal approximation; good enough for a spread column.
  const rmePercent = mean === 0 ? Infinity : (100 * 1.96 * sd) / Math.sqrt(n) / Math.abs(mean);
  return {
    median,
    spread: {
      p75: quantile(sorted, 0.75),
      p99: quantile(sorted, 0.99),
      min: sorted[0],
      max: sorted[n - 1],
      mad: quantile(deviations, 0.5),
      rmePercent,
    },
  };
}

export async function measureMeasured(c: MeasuredCase): Promise<CaseResult> {
  const result = emptyResult(c, "measure", c.unit);
  if (c.target) result.target = { value: c.target.value, text: c.target.text, verdict: null };
  const started = performance.now();
  try {
    const outcome = await c.measure();
    if ("skipped" in outcome) {
      result.status = "skipped";
      result.reason = outcome.skipped;
    } else {
      if (!Number.isFinite(outcome.value)) throw new Error(`measure() returned a non-finite value: ${String(outcome.value)}`);
      result.value = outcome.value;
      if (outcome.samples && outcome.samples.length > 0) {
        result.spread = spreadOf(outcome.samples).spread;
        result.samples = outcome.samples.length;
      }
      if (outcome.note) result.note = [result.note, outcome.note].filter(Boolean).join("; ");
      if (result.target) result.target.verdict = result.value <= result.target.value ? "met" : "missed";
    }
  } catch (e) {
    result.status = "error";
    result.reason = errorMessage(e);
  }
  result.wallMs = performance.now() - started;
  return result;
}
