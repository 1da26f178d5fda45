/** Number formatting shared by the terminal, Markdown and SVG renderings. */

import type { CaseResult, Unit } from "./results.js";

/** Three significant digits, no exponent, thousands separated: 93.1, 1,234, 0.0123. */
export function sig3(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const abs = Math.abs(x);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(abs)));
  return x.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function integer(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

/** A duration given in ns, in the unit that keeps it readable: 93.1 ns, 1.24 µs, 3.50 ms, 1.20 s. */
export function duration(ns: number): string {
  const abs = Math.abs(ns);
  if (abs < 1e3) return `${sig3(ns)} ns`;
  if (abs < 1e6) return `${sig3(ns / 1e3)} µs`;
  if (abs < 1e9) return `${sig3(ns / 1e6)} ms`;
  return `${sig3(ns / 1e9)} s`;
}

export function byteSize(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${sig3(bytes)} B`;
  if (abs < 1024 ** 2) return `${sig3(bytes / 1024)} KiB`;
  if (abs < 1024 ** 3) return `${sig3(bytes / 1024 ** 2)} MiB`;
  return `${sig3(bytes / 1024 ** 3)} GiB`;
}

/** A value in its unit: `93.1 ns/op`, `312 B`. */
export function valueWithUnit(value: number, unit: Unit): string {
  return unit === "ns/op" ? `${duration(value)}/op` : byteSize(value);
}

export function percent(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  return `${x < 10 ? x.toFixed(1) : x.toFixed(0)}%`;
}

/** The headline cell: the median (or measured value), or why there is none. */
export function headline(c: CaseResult): string {
  if (c.status === "error") return `error: ${c.reason ?? "unknown"}`;
  if (c.status === "skipped") return `skipped: ${c.reason ?? "no reason given"}`;
  return c.value === null ? "—" : valueWithUnit(c.value, c.unit);
}

/** Spread as `±MAD% (p75 x, p99 y)`: the median absolute deviation relative to the median, then percentiles. */
export function spread(c: CaseResult): string {
  if (c.status !== "ok" || c.spread === null || c.value === null) return "—";
  const s = c.spread;
  const fmt = (v: number) => (c.unit === "ns/op" ? duration(v) : byteSize(v));
  const madPct = c.value === 0 ? 0 : (100 * s.mad) / c.value;
  return `±${percent(madPct)} (p75 ${fmt(s.p75)}, p99 ${fmt(s.p99)})`;
}

export function samples(c: CaseResult): string {
  if (c.samples === null) return "—";
  if (c.callsPerSample !== null && c.callsPerSample > 1) return `${integer(c.samples)} × ${integer(c.callsPerSample)} calls`;
  return integer(c.samples);
}

export function ratio(c: CaseResult): string {
  if (c.baseline === null) return "—";
  if (c.baseline.ratio === null) return `n/a vs ${c.baseline.name}${c.baseline.reason ? ` (${c.baseline.reason})` : ""}`;
  const r = c.baseline.ratio;
  const digits = r >= 100 ? 0 : r >= 10 ? 1 : 2;
  return `${r.toFixed(digits)}× of ${c.baseline.name}`;
}

export function target(c: CaseResult): string {
  return c.target === null ? "—" : c.target.text;
}

export function verdict(c: CaseResult): string {
  if (c.target === null) return "—";
  const v = c.target.verdict ?? "not measured";
  const floor = c.floor?.value;
  if (v === "missed" && floor !== undefined && floor !== null && floor > c.target.value) return "missed: below the floor";
  return v;
}

/** The floor case's value for a case that names one. */
export function floor(c: CaseResult): string {
  if (c.floor === undefined || c.floor === null || c.floor.value === null) return "—";
  return headline({ ...c, value: c.floor.value, status: "ok" });
}

export function modelCycles(c: CaseResult): string {
  return c.modelCyclesPerOp === null ? "—" : sig3(c.modelCyclesPerOp);
}

export const MODEL_CYCLES_HEADER = "model cycles/op (simulated, not measured)";
