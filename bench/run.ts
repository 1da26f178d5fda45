/**
 * The benchmark runner: `npm run bench [-- --filter x --quick --time ms --out dir]`.
 *
 * Discovers every `bench/*.bench.ts`, imports its default `BenchFile` (see
 * bench/types.ts for the contract), measures every selected case, one at a
 * time, each in a fresh child process, and writes docs/benchmarks.{md,json,svg}.
 *
 * Why a process per case: V8's optimised code and inline caches are shared by
 * everything a process runs, so a case measured after others inherits their
 * type feedback (a runtime that has run with tracing on keeps polymorphic
 * call sites, say) and can run 1.5–2× slower than alone. A fresh process
 * gives every case, ours and the peers', the same clean start. `--in-process`
 * restores the single-process mode (faster, for quick looks).
 *
 * Why rounds: on a shared machine the load drifts over seconds, so two cases
 * measured a minute apart can differ by 1.5× for reasons of neither. Every
 * case is measured `--rounds` times (default 3), interleaved with the
 * others, and keeps its fastest round.
 *
 * Rules the runner keeps:
 * - Subjects, baselines and peers are measured in the same run on the same
 *   machine; a ratio is never computed against a number from another run.
 * - Wall time and modelled cycles are reported side by side and never mixed:
 *   `modelCycles()` only ever fills the column labelled as model output.
 * - Targets are reported (met/missed), never asserted: a missed target does
 *   not fail the run. A case that throws, or a file that fails to load, does
 *   (exit code 1), after the report has been written.
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchCase, BenchFile } from "./types.js";
import { parseArgs, USAGE, UsageError, type RunnerOptions } from "./lib/args.js";
import * as f from "./lib/format.js";
import { machineInfo } from "./lib/machine.js";
import { measureMeasured, measureTimed } from "./lib/measure.js";
import { renderMarkdown } from "./lib/render-md.js";
import { renderSvg } from "./lib/render-svg.js";
import { renderFileText, renderSummaryText } from "./lib/render-text.js";
import type { CaseResult, FileResult, RunReport, RunSummary } from "./lib/results.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface LoadedFile {
  abs: string;
  file: string;
  bench: BenchFile | null;
  loadError: string | null;
}

function displayPath(abs: string): string {
  const rel = path.relative(REPO_ROOT, abs);
  return rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel.split(path.sep).join("/");
}

function discover(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".bench.ts"))
    .sort()
    .map((name) => path.join(dir, name));
}

function validateBenchFile(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "the default export is not a BenchFile object (is there an `export default`?)";
  const b = value as Partial<BenchFile>;
  if (typeof b.title !== "string") return "the default export has no string `title`";
  if (!Array.isArray(b.cases)) return "the default export has no `cases` array";
  for (const [i, c] of b.cases.entries()) {
    if (typeof c?.name !== "string" || c.name === "") return `cases[${i}] has no name`;
    if (c.kind === "measure" ? typeof c.measure !== "function" : typeof (c as { fn?: unknown }).fn !== "function") {
      return `case ${c.name}: ${c.kind === "measure" ? "measure" : "fn"} is not a function`;
    }
  }
  return null;
}

async function load(abs: string): Promise<LoadedFile> {
  const file = displayPath(abs);
  try {
    const mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
    const problem = validateBenchFile(mod.default);
    if (problem) return { abs, file, bench: null, loadError: problem };
    return { abs, file, bench: mod.default as BenchFile, loadError: null };
  } catch (e) {
    return { abs, file, bench: null, loadError: e instanceof Error ? (e.stack ?? e.message).split("\n").slice(0, 3).join(" ") : String(e) };
  }
}

/** Cases whose name matches a filter, plus (transitively) the baselines they name. */
function select(files: LoadedFile[], filter: string[]): { selected: Set<string>; asBaseline: Set<string> } {
  const all = new Map<string, BenchCase>();
  for (const lf of files) for (const c of lf.bench?.cases ?? []) all.set(c.name, c);
  const needles = filter.map((x) => x.toLowerCase());
  const selected = new Set<string>();
  for (const name of all.keys()) {
    if (needles.length === 0 || needles.some((n) => name.toLowerCase().includes(n))) selected.add(name);
  }
  const asBaseline = new Set<string>();
  const queue = [...selected];
  while (queue.length > 0) {
    const c = all.get(queue.pop() as string);
    for (const base of [c?.baseline, c !== undefined && "floor" in c ? c.floor : undefined]) {
      if (base !== undefined && all.has(base) && !selected.has(base)) {
        selected.add(base);
        asBaseline.add(base);
        queue.push(base);
      }
    }
  }
  return { selected, asBaseline };
}

/**
 * The median over rounds of this case's value ÷ its baseline's in the same
 * round: the two ran seconds apart, so the machine's drift between rounds
 * cancels out (a ratio of two best rounds could pair a lucky round with an
 * unlucky one). Null with fewer than two complete rounds.
 */
function pairedRatio(r: CaseResult, base: CaseResult): number | null {
  const a = r.roundValues;
  const b = base.roundValues;
  if (a === undefined || b === undefined || a.length !== b.length || a.length < 2) return null;
  const ratios: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== null && y !== null && y > 0) ratios.push(x / y);
  }
  if (ratios.length < 2) return null;
  ratios.sort((p, q) => p - q);
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
}

function computeRatios(results: CaseResult[], known: Set<string>): void {
  const byName = new Map(results.map((r) => [r.name, r]));
  for (const r of results) {
    if (r.floor) {
      const fl = byName.get(r.floor.name);
      r.floor.value = fl !== undefined && fl.status === "ok" && fl.unit === r.unit ? fl.value : null;
    }
    if (r.baseline === null) continue;
    const base = byName.get(r.baseline.name);
    let reason: string | undefined;
    if (!known.has(r.baseline.name)) reason = "no such case";
    else if (base === undefined) reason = "baseline not run";
    else if (r.status !== "ok" || r.value === null) reason = `this case ${r.status === "ok" ? "has no value" : r.status}`;
    else if (base.status !== "ok" || base.value === null) reason = `baseline ${base.status === "ok" ? "has no value" : base.status}`;
    else if (base.unit !== r.unit) reason = `units differ: ${r.unit} vs ${base.unit}`;
    else if (base.value === 0) reason = "baseline is 0";
    if (reason !== undefined || base === undefined || base.value === null || r.value === null) {
      r.baseline.ratio = null;
      r.baseline.reason = reason;
    } else {
      r.baseline.ratio = pairedRatio(r, base) ?? r.value / base.value;
    }
  }
}

function summarise(files: FileResult[], wallSeconds: number): RunSummary {
  const cases = files.flatMap((file) => file.cases);
  const withTarget = cases.filter((c) => c.target !== null);
  return {
    cases: cases.length,
    ok: cases.filter((c) => c.status === "ok").length,
    skipped: cases.filter((c) => c.status === "skipped").length,
    errored: cases.filter((c) => c.status === "error").length,
    filesFailed: files.filter((file) => file.loadError !== null).length,
    targets: {
      total: withTarget.length,
      met: withTarget.filter((c) => c.target?.verdict === "met").length,
      missed: withTarget.filter((c) => c.target?.verdict === "missed").length,
      notMeasured: withTarget.filter((c) => c.target?.verdict === null).length,
      belowFloor: withTarget.filter((c) => f.verdict(c) === "missed: below the floor").length,
    },
    wallSeconds,
  };
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") gc();
}

/** Is `a` a better round than `b`: measured where b was not, else a lower time (a time or size: lower is better for every unit here). */
function better(a: CaseResult, b: CaseResult): boolean {
  if (a.status !== "ok" || a.value === null) return false;
  if (b.status !== "ok" || b.value === null) return true;
  return a.value < b.value;
}

async function measureCase(c: BenchCase, options: RunnerOptions): Promise<CaseResult> {
  collectGarbage();
  return c.kind === "measure" ? await measureMeasured(c) : await measureTimed(c, options);
}

const RESULT_MARK = "@@bench-result@@ ";

/** Runs this script again for one case; the child prints its CaseResult after RESULT_MARK. */
function measureInChild(file: string, caseName: string, options: RunnerOptions): CaseResult {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), "--child", file, "--case", caseName, "--time", String(options.timeMs)];
  if (options.quick) args.push("--quick");
  const child = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"] });
  const line = child.stdout.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (child.status === 0 && line !== undefined) return JSON.parse(line.slice(RESULT_MARK.length)) as CaseResult;
  throw new Error(`the child process measuring ${caseName} exited with ${child.status ?? child.signal}: ${child.stdout.slice(-500)}`);
}

/** Child mode: measure one case of one file and print the result for the parent. */
async function childMain(options: RunnerOptions, child: { file: string; caseName: string }): Promise<number> {
  const lf = await load(child.file);
  if (lf.bench === null) throw new Error(`${lf.file}: could not load: ${lf.loadError}`);
  const c = lf.bench.cases.find((x) => x.name === child.caseName);
  if (c === undefined) throw new Error(`${lf.file} has no case ${child.caseName}`);
  const r = await measureCase(c, options);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(r)}\n`);
  return 0;
}

function progressLine(index: number, total: number, nameWidth: number, r: CaseResult): string {
  const counter = `[${String(index).padStart(String(total).length)}/${total}]`;
  const parts = [`${counter} ${r.name.padEnd(nameWidth)}`, f.headline(r)];
  if (r.status === "ok" && r.spread && r.value) parts.push(`±${f.percent((100 * r.spread.mad) / r.value)}`);
  if (r.target?.verdict) parts.push(`target ${r.target.verdict}`);
  return parts.join("  ");
}

async function main(options: RunnerOptions): Promise<number> {
  const started = performance.now();
  const benchDir = path.resolve(options.benchDir);
  const paths = discover(benchDir);
  if (paths.length === 0) {
    console.log(`No *.bench.ts files in ${displayPath(benchDir)}; nothing to measure, no report written.`);
    return 0;
  }

  const loaded: LoadedFile[] = [];
  for (const p of paths) loaded.push(await load(p));
  for (const lf of loaded) if (lf.loadError) console.error(`! ${lf.file}: could not load: ${lf.loadError}`);

  // Names are unique across all files: ratios and --filter refer to cases by name.
  const owner = new Map<string, string>();
  const duplicates: string[] = [];
  for (const lf of loaded) {
    for (const c of lf.bench?.cases ?? []) {
      const first = owner.get(c.name);
      if (first !== undefined) duplicates.push(`${c.name} (${first} and ${lf.file})`);
      else owner.set(c.name, lf.file);
    }
  }
  if (duplicates.length > 0) {
    console.error(`Case names must be unique across bench files; duplicated: ${duplicates.join(", ")}`);
    return 1;
  }
  const known = new Set(owner.keys());
  for (const lf of loaded) {
    for (const c of lf.bench?.cases ?? []) {
      if (c.baseline !== undefined && !known.has(c.baseline)) console.error(`! ${c.name}: baseline "${c.baseline}" is not a case in any bench file`);
    }
  }

  const { selected, asBaseline } = select(loaded, options.filter);
  const total = selected.size;
  if (total === 0) {
    console.error(`No case name contains ${options.filter.map((x) => JSON.stringify(x)).join(" or ")}; nothing measured, no report written.`);
    return 1;
  }
  const nameWidth = Math.max(0, ...[...selected].map((n) => n.length));
  console.log(
    `Measuring ${total} case(s) from ${loaded.length} file(s), ${options.timeMs} ms per timed case` +
      `${options.quick ? " (quick)" : ""}${options.filter.length ? `, filter: ${options.filter.join(", ")}` : ""}.`,
  );
  if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
    console.log("(global.gc is not exposed: run node with --expose-gc to collect garbage between cases)");
  }

  // Rounds: every selected case once per round, in file order; a case keeps its
  // fastest round. Interleaving spreads the machine's load drift over all cases.
  const plan = loaded.flatMap((lf) => (lf.bench?.cases ?? []).filter((c) => selected.has(c.name)).map((c) => ({ lf, c })));
  const best = new Map<string, CaseResult>();
  for (let round = 1; round <= options.rounds; round++) {
    if (options.rounds > 1) console.log(`— round ${round} of ${options.rounds}`);
    let index = 0;
    for (const { lf, c } of plan) {
      const r = options.inProcess ? await measureCase(c, options) : measureInChild(lf.abs, c.name, options);
      r.includedAsBaseline = asBaseline.has(c.name);
      const prev = best.get(c.name);
      const rounds = [...(prev?.roundValues ?? []), r.status === "ok" ? r.value : null];
      const kept = prev === undefined || better(r, prev) ? r : prev;
      kept.roundValues = rounds;
      best.set(c.name, kept);
      console.log(progressLine(++index, total, nameWidth, r));
    }
  }
  const files: FileResult[] = loaded.map((lf) => ({
    file: lf.file,
    title: lf.bench?.title ?? path.basename(lf.file),
    notes: lf.bench?.notes ?? [],
    loadError: lf.loadError,
    cases: (lf.bench?.cases ?? []).filter((c) => best.has(c.name)).map((c) => best.get(c.name)!),
  }));

  const allResults = files.flatMap((file) => file.cases);
  computeRatios(allResults, known);

  const report: RunReport = {
    schema: "cprime-coro/benchmarks@1",
    date: new Date().toISOString(),
    machine: machineInfo(),
    options: { timeMs: options.timeMs, rounds: options.rounds, warmupMs: options.warmupMs, quick: options.quick, filter: options.filter },
    summary: summarise(files, (performance.now() - started) / 1000),
    files,
  };

  console.log("");
  for (const file of files) {
    if (file.cases.length === 0 && file.loadError === null) continue;
    console.log(renderFileText(file) + "\n");
  }
  console.log(renderSummaryText(report));

  if (options.write) {
    const outDir = path.resolve(options.outDir);
    mkdirSync(outDir, { recursive: true });
    const written = [
      ["benchmarks.json", JSON.stringify(report, null, 2) + "\n"],
      ["benchmarks.svg", renderSvg(report)],
      ["benchmarks.md", renderMarkdown(report, "benchmarks.svg")],
    ] as const;
    for (const [name, text] of written) writeFileSync(path.join(outDir, name), text);
    console.log(`wrote ${written.map(([name]) => displayPath(path.join(outDir, name))).join(", ")}`);
  }

  return report.summary.errored > 0 || report.summary.filesFailed > 0 ? 1 : 0;
}

let options: RunnerOptions;
try {
  options = parseArgs(process.argv.slice(2), { outDir: path.join(REPO_ROOT, "docs"), benchDir: path.join(REPO_ROOT, "bench") });
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  throw e;
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
// Exit explicitly: a bench case may leave a timer or handle behind, which must not hang the run.
(options.child !== null ? childMain(options, options.child) : main(options)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
