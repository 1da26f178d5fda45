/**
 * The contract between benchmark files and the runner (bench/run.ts).
 *
 * Every `bench/*.bench.ts` default-exports a `BenchFile`. The runner measures
 * every case with tinybench in one process, one run, so a subject and its
 * baseline/peers are compared on the same machine at the same time.
 *
 * Wall time and modelled cycles are different things: `modelCycles` is the
 * simulator's output and is always printed in a column labelled as model output.
 */

/** A timed case: tinybench calls `fn` many times; time per op = time per call / opsPerCall. */
export interface TimedCase {
  kind?: "timed";
  /** `area/what/param`, e.g. `memory/alloc-free/micro@90%`. Unique across all files. */
  name: string;
  /** One iteration. May return a promise (then the case is timed as async). */
  fn: () => unknown;
  /** How many operations one call of `fn` performs (e.g. 1000 switches). Default 1. */
  opsPerCall?: number;
  /** Name of the case this one is compared to (ratio = this median / that median). */
  baseline?: string;
  /** subject: ours; baseline: the limit or plain-JS reference; peer: another library/runtime. */
  role: "subject" | "baseline" | "peer";
  /**
   * The case measuring the least any implementation of this API can do on the
   * same workload (a minimal `yield*` runtime); the report shows it beside the
   * target, and says so when the target lies below it.
   */
  floor?: string;
  /** The issue's target for this case, measured never asserted. `ns` is per op. */
  target?: { ns: number; text: string };
  /** Runs once before timing (outside the timed region). */
  setup?: () => void | Promise<void>;
  /** Runs once after timing. */
  teardown?: () => void | Promise<void>;
  /** Modelled cycles per op (model output, not time), read after the timed runs. */
  modelCycles?: () => number;
  /** Free text shown next to the case. */
  note?: string;
}

/** A measured quantity that is not a time per call (bytes per parked coroutine, an external program's ns/op). */
export interface MeasuredCase {
  kind: "measure";
  name: string;
  role: "subject" | "baseline" | "peer";
  baseline?: string;
  unit: "ns/op" | "bytes";
  target?: { value: number; text: string };
  /** Returns the measured value, or `skipped` with the reason printed in the report. */
  measure: () => Promise<{ value: number; samples?: number[]; note?: string } | { skipped: string }>;
  note?: string;
}

export type BenchCase = TimedCase | MeasuredCase;

export interface BenchFile {
  /** Section title in the report, e.g. "Memory: stack allocation". */
  title: string;
  /** Paragraphs printed under the title: what is measured and how. */
  notes?: string[];
  cases: BenchCase[];
}
