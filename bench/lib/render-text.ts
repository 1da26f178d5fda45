/** The terminal rendering: a table per file and a summary at a glance. */

import * as f from "./format.js";
import { machineLine } from "./machine.js";
import type { CaseResult, FileResult, RunReport } from "./results.js";

const COLUMNS: Array<[string, (c: CaseResult) => string]> = [
  ["case", (c) => c.name + (c.includedAsBaseline ? " (baseline)" : "")],
  ["role", (c) => c.role],
  ["median", f.headline],
  ["spread", f.spread],
  ["samples", f.samples],
  ["ratio", f.ratio],
  ["target", f.target],
  ["verdict", f.verdict],
  [f.MODEL_CYCLES_HEADER, f.modelCycles],
];

/** Plain fixed-width table; no colour so logs stay readable. */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell + " ".repeat(widths[i] - [...cell].length))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}

export function renderFileText(file: FileResult): string {
  const head = `== ${file.title}  (${file.file})`;
  if (file.loadError !== null) return `${head}\n   could not load: ${file.loadError}`;
  if (file.cases.length === 0) return `${head}\n   no cases selected`;
  const rows = [COLUMNS.map(([h]) => h), ...file.cases.map((c) => COLUMNS.map(([, cell]) => cell(c)))];
  const notes = file.cases.filter((c) => c.note).map((c) => `   note ${c.name}: ${c.note}`);
  return [head, textTable(rows), ...notes].join("\n");
}

export function renderSummaryText(report: RunReport): string {
  const s = report.summary;
  const t = s.targets;
  const lines = [
    "== Summary",
    `cases: ${s.cases} (${s.ok} measured, ${s.skipped} skipped, ${s.errored} errored)` + (s.filesFailed ? `; ${s.filesFailed} file(s) failed to load` : ""),
    `targets: ${t.met} met, ${t.missed} missed` +
      (t.belowFloor ? ` (${t.belowFloor} below the floor of any yield* runtime)` : "") +
      (t.notMeasured ? `, ${t.notMeasured} not measured` : "") +
      ` (of ${t.total})`,
    `machine: ${machineLine(report.machine)}`,
    `measured: ${report.machine.subject}`,
    `time: ${s.wallSeconds.toFixed(1)} s; ${report.options.timeMs} ms per timed case` +
      (report.options.quick ? " (quick)" : "") +
      (report.options.filter.length ? `; filter: ${report.options.filter.join(", ")}` : "") +
      (report.machine.gcExposed ? "" : "; global.gc not exposed (run node with --expose-gc)"),
    "model cycles are the simulator's output, not measured time.",
  ];
  return lines.join("\n");
}
