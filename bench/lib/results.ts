/**
 * The runner's result model: what one run of `npm run bench` found.
 *
 * One `RunReport` is built per run and rendered three ways (terminal,
 * docs/benchmarks.md, docs/benchmarks.json, docs/benchmarks.svg) so the
 * renderings can never disagree.
 *
 * Invariants:
 * - Every number in `nsPerOp`/`value` is wall time (or bytes) measured in this
 *   process, in this run. Modelled cycles live only in `modelCyclesPerOp` and
 *   are labelled as model output wherever they are shown.
 * - A ratio is only computed between two cases of this run that share a unit.
 * - A target verdict is `met` when the measured value is at most the target
 *   (lower is better for both ns/op and bytes); it is reported, never asserted.
 */

import type { BenchCase } from "../types.js";

export type Role = BenchCase["role"];
export type Unit = "ns/op" | "bytes";
export type Status = "ok" | "skipped" | "error";
export type Verdict = "met" | "missed";

/** Spread of the per-op samples, in the case's unit. */
export interface Spread {
  p75: number;
  p99: number;
  min: number;
  max: number;
  /** Median absolute deviation (unscaled), same unit as the median. */
  mad: number;
  /** Relative margin of error of the mean, percent (95% CI half-width / mean). */
  rmePercent: number;
}

export interface CaseResult {
  name: string;
  kind: "timed" | "measure";
  role: Role;
  unit: Unit;
  status: Status;
  /** The headline number: the median ns/op for timed cases, the measured value otherwise. */
  value: number | null;
  spread: Spread | null;
  /** Number of samples the statistics are computed from. */
  samples: number | null;
  /** Timed cases: calls of `fn` per sample (the runner batches short calls so the timer is not what is measured). */
  callsPerSample: number | null;
  /** Timed cases: operations per call of `fn` (the case's `opsPerCall`). */
  opsPerCall: number | null;
  async: boolean | null;
  baseline: { name: string; ratio: number | null; reason?: string } | null;
  /** The value of every round, in round order (null where a round produced none); `value` is the best of them. */
  roundValues?: (number | null)[];
  /** The floor case for this workload and its value (see TimedCase.floor). */
  floor?: { name: string; value: number | null } | null;
  target: { value: number; text: string; verdict: Verdict | null } | null;
  /** Model output, never measured time. */
  modelCyclesPerOp: number | null;
  note: string | null;
  /** Why the case did not produce a value (`skipped`), or the error message (`error`). */
  reason: string | null;
  /** True when the case ran only because a filtered case names it as its baseline. */
  includedAsBaseline: boolean;
  /** Wall time the runner spent on the case, ms (setup + calibration + warmup + timing). */
  wallMs: number;
}

export interface FileResult {
  /** Path relative to the repository root, e.g. `bench/chan.bench.ts`. */
  file: string;
  title: string;
  notes: string[];
  /** Set when the file could not be loaded; then `cases` is empty. */
  loadError: string | null;
  cases: CaseResult[];
}

export interface MachineInfo {
  cpuModel: string;
  logicalCores: number;
  availableParallelism: number;
  memoryBytes: number;
  node: string;
  v8: string;
  os: string;
  arch: string;
  gcExposed: boolean;
  /** The cprime-coro code measured, relative to the project: normally dist/index.js, the built package. */
  subject: string;
}

export interface RunOptionsSummary {
  timeMs: number;
  /** Rounds per case; the report keeps each case's fastest round. */
  rounds: number;
  warmupMs: number;
  quick: boolean;
  filter: string[];
}

export interface RunSummary {
  cases: number;
  ok: number;
  skipped: number;
  errored: number;
  filesFailed: number;
  /** `belowFloor`: missed targets that lie below their case's floor (no implementation of the API can meet them). */
  targets: { total: number; met: number; missed: number; notMeasured: number; belowFloor: number };
  wallSeconds: number;
}

export interface RunReport {
  schema: "cprime-coro/benchmarks@1";
  date: string;
  machine: MachineInfo;
  options: RunOptionsSummary;
  summary: RunSummary;
  files: FileResult[];
}
