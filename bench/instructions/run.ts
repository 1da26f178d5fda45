/**
 * Instruction counts per operation: `npm run bench:instructions [-- options]`.
 *
 * Every case of ./cases.ts runs once per subject (cprime-coro, the plain-JS
 * floor, an async-function peer) and size, each in a fresh
 * `valgrind --tool=callgrind node --single-threaded --predictable-gc-schedule
 * --random-seed=1` process. A process runs the case's warm-up, then n
 * operations; the figure is (I(n2) − I(n1)) / (n2 − n1), which cancels
 * start-up, module loading, JIT tier-up and the warm-up. Garbage collection
 * stays in: it is part of what an operation costs. What the JIT compilers
 * execute does not: I is the process's count less the inclusive count of
 * their compile jobs (COMPILER_JOBS, read with `callgrind_annotate
 * --inclusive=yes`), because a recompilation — a deopt late in the run, a
 * function first hot between n1 and n2 — falls between the two points or
 * not by accident of the workload, and moved a per-sleep figure by 1 000
 * instructions between two builds whose code differed by one loop. The
 * report gives the excluded compile instructions per operation beside each
 * figure.
 *
 * Why instructions: on a 2-core machine shared with other work, wall time
 * drifts by tens of percent; an instruction count of a single-threaded,
 * seeded, predictable-GC node repeats to within a few instructions per
 * operation (`--repeat 2` measures every point twice and reports the largest
 * difference), so a 2 % change is visible.
 *
 * The child is bench/instructions/child.ts bundled by esbuild with
 * "cprime-coro" left external, pointing at the built dist/index.js (the
 * driver runs tsup first unless --no-build): the package as users get it.
 *
 * Options:
 *   --filter a,b     only cases whose name contains a or b; =a: only the case named a
 *   --subjects x,y   only these subjects (cprime-coro, floor, async-fn, proto-handles)
 *   --repeat k       measure every point k times (default 1); the doc reports the spread
 *   --repeat-only a  repeat only the cases whose name contains a (the rest once)
 *   --jobs j         processes at once (default 2; counts do not depend on it)
 *   --no-build       use dist/ as it is
 *   --no-write       do not write docs/instructions.{md,json}
 *   --annotate dir   keep the callgrind files and write callgrind_annotate output of every point to dir
 *   --merge          keep what was not measured now (per case and subject) from the report's existing instructions.json
 *   --merge-from f   the same from another instructions.json (repeatable; earlier sources win)
 *   --report dir     where instructions.{md,json} are written (default docs/)
 *   --render-only    measure nothing: merge the sources and write the report
 *   --node-flag f    an extra node flag for every child (e.g. --perf-basic-prof); repeatable
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleChild } from "../lib/bundle-child.js";
import type { InstructionCase } from "./cases.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const NODE_FLAGS = ["--single-threaded", "--predictable-gc-schedule", "--random-seed=1"];
const SUBJECTS = ["cprime-coro", "floor", "async-fn", "proto-handles"] as const;
type SubjectName = (typeof SUBJECTS)[number];

interface Options {
  filter: string[];
  subjects: SubjectName[];
  repeat: number;
  repeatOnly: string[];
  jobs: number;
  build: boolean;
  write: boolean;
  annotate: string | null;
  merge: boolean;
  mergeFrom: string[];
  reportDir: string;
  renderOnly: boolean;
  nodeFlags: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    filter: [],
    subjects: [...SUBJECTS],
    repeat: 1,
    repeatOnly: [],
    jobs: 2,
    build: true,
    write: true,
    annotate: null,
    merge: false,
    mergeFrom: [],
    reportDir: path.join(ROOT, "docs"),
    renderOnly: false,
    nodeFlags: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--filter") o.filter.push(...value().split(","));
    else if (a === "--subjects") {
      const list = value().split(",");
      for (const s of list)
        if (!(SUBJECTS as readonly string[]).includes(s)) throw new Error(`unknown subject ${JSON.stringify(s)}; one of ${SUBJECTS.join(", ")}`);
      o.subjects = list as SubjectName[];
    } else if (a === "--repeat") o.repeat = positive(a, value());
    else if (a === "--repeat-only") o.repeatOnly.push(...value().split(","));
    else if (a === "--jobs") o.jobs = positive(a, value());
    else if (a === "--no-build") o.build = false;
    else if (a === "--no-write") o.write = false;
    else if (a === "--annotate") o.annotate = path.resolve(value());
    else if (a === "--merge") o.merge = true;
    else if (a === "--merge-from") o.mergeFrom.push(path.resolve(value()));
    else if (a === "--report") o.reportDir = path.resolve(value());
    else if (a === "--render-only") o.renderOnly = true;
    else if (a === "--node-flag") o.nodeFlags.push(value());
    else throw new Error(`unknown option ${JSON.stringify(a)} (see the header of bench/instructions/run.ts)`);
  }
  return o;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, received ${JSON.stringify(v)}`);
  return n;
}

interface Point {
  caseName: string;
  subject: SubjectName;
  n: number;
  rep: number;
  /** The process's count less `compiler`. */
  instructions: number | null;
  /** What the JIT compilers' jobs executed (COMPILER_JOBS, inclusive). */
  compiler: number | null;
  seconds: number;
  error?: string;
}

/**
 * The compile jobs of V8 11's three compilers, one entry point each (their
 * inclusive counts do not contain one another): TurboFan's optimizing job,
 * Sparkplug's code generation, Ignition's bytecode job. A line of
 * `callgrind_annotate --inclusive=yes` names the function, then its argument
 * list; a recursive entry (`'2`) is already inside the outer one.
 */
const COMPILER_JOBS = [
  "v8::internal::compiler::PipelineCompilationJob::ExecuteJobImpl(",
  "v8::internal::baseline::BaselineCompiler::GenerateCode(",
  "v8::internal::interpreter::InterpreterCompilationJob::ExecuteJobImpl(",
];

/** The inclusive instructions of COMPILER_JOBS in a callgrind output; null if callgrind_annotate fails. */
function compilerInstructions(callgrindOut: string): number | null {
  const ann = spawnSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", callgrindOut], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (ann.status !== 0) return null;
  let sum = 0;
  for (const line of ann.stdout.split("\n")) {
    const m = /^\s*([\d,]+) .*?:(\S.*)$/.exec(line);
    if (m === null) continue;
    const fn = m[2];
    if (/\)'\d+ \[/.test(fn)) continue;
    if (COMPILER_JOBS.some((job) => fn.startsWith(job))) sum += Number(m[1].replace(/,/g, ""));
  }
  return sum;
}

function runPoint(child: string, p: Point, dir: string, o: Options): Promise<Point> {
  const out = path.join(dir, `${p.caseName}.${p.subject}.${p.n}.${p.rep}.callgrind`);
  const args = ["--tool=callgrind", `--callgrind-out-file=${out}`, "node", ...NODE_FLAGS, ...o.nodeFlags, child, p.caseName, p.subject, String(p.n)];
  const started = performance.now();
  return new Promise((resolve) => {
    const proc = spawn("valgrind", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("close", (code) => {
      p.seconds = (performance.now() - started) / 1000;
      const m = /Collected : (\d+)/.exec(stderr);
      if (code !== 0 || m === null) {
        p.error = `exit ${code}: ${(
          stderr
            .split("\n")
            .filter((l) => !l.startsWith("=="))
            .join(" ") + stdout
        ).slice(0, 400)}`;
      } else {
        p.compiler = compilerInstructions(out);
        if (p.compiler === null) p.error = "callgrind_annotate failed on the output";
        else p.instructions = Number(m[1]) - p.compiler;
      }
      if (o.annotate !== null && p.error === undefined) {
        const ann = spawnSync("callgrind_annotate", ["--inclusive=no", "--threshold=99.9", out], { encoding: "utf8", maxBuffer: 256 << 20 });
        writeFileSync(path.join(o.annotate, `${path.basename(out)}.txt`), ann.stdout);
      } else rmSync(out, { force: true });
      resolve(p);
    });
  });
}

/**
 * From this many pending timers on, the two points of a timer case differ by
 * one or two rounds of N sleeps, and whether a full mark-compact falls
 * between them decides the figure: the report marks those figures † and
 * gives them no ratio.
 */
const GC_PLACEMENT_PENDING = 100_000;

const gcPlaced = (row: Row): boolean => (CASES_BY_NAME.get(row.case)?.pending ?? 0) >= GC_PLACEMENT_PENDING;

/** The cases by name, once cases.js is loaded (after the build: it imports "cprime-coro"). */
let CASES_BY_NAME = new Map<string, InstructionCase>();

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US").replace(/,/g, " ");

function fmtPerOp(x: number | null): string {
  if (x === null) return "—";
  return x >= 100 ? fmtInt(x) : x.toFixed(1);
}

function machine(): { node: string; v8: string; valgrind: string; cpu: string; cores: number; memoryGiB: number; os: string } {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const cpu = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  const valgrind = spawnSync("valgrind", ["--version"], { encoding: "utf8" }).stdout.trim();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (pretty) osName = `${pretty} (${osName})`;
  } catch {
    // no os-release
  }
  return { node: process.version, v8: process.versions.v8, valgrind, cpu, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: osName };
}

interface Row {
  case: string;
  op: string;
  description: string;
  n1: number;
  n2: number;
  warmup: number;
  target: number | null;
  floorName: string;
  perOp: Partial<Record<SubjectName, number | null>>;
  /** Largest |difference| between repeats of one point, in instructions per op. */
  spreadPerOp: Partial<Record<SubjectName, number | null>>;
  /** The JIT compilers' instructions per op, left out of perOp (absent in reports from before they were). */
  compilerPerOp?: Partial<Record<SubjectName, number | null>>;
  /** Counts without the compilers, and the compilers' (`compiler`, absent in reports from before they were counted). */
  raw: Partial<Record<SubjectName, { n1: number[]; n2: number[]; compiler?: { n1: number[]; n2: number[] } }>>;
  notes: Partial<Record<SubjectName, string>>;
  missing: Partial<Record<SubjectName, string>>;
  ratio: number | null;
  asyncRatio: number | null;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const started = performance.now();
  if (o.renderOnly) o.build = false;
  if (o.build) {
    console.log("building dist/ (tsup) …");
    const b = spawnSync("npx", ["tsup", "--silent"], { cwd: ROOT, stdio: "inherit" });
    if (b.status !== 0) throw new Error("tsup failed");
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "cprime-instr-"));
  if (o.annotate !== null) mkdirSync(o.annotate, { recursive: true });
  const child = await bundleChild(path.join(HERE, "child.ts"), dir, ROOT);
  // The cases' metadata comes from the module the child runs (imported after the build: it imports "cprime-coro").
  const { CASES } = await import("./cases.js");
  CASES_BY_NAME = new Map(CASES.map((c) => [c.name, c]));

  const cases = o.renderOnly
    ? []
    : CASES.filter((c) => o.filter.length === 0 || o.filter.some((f) => (f.startsWith("=") ? c.name === f.slice(1) : c.name.includes(f))));
  if (cases.length === 0 && !o.renderOnly) throw new Error(`no case matches ${o.filter.join(", ")}; cases: ${CASES.map((c) => c.name).join(", ")}`);
  const points: Point[] = [];
  for (const c of cases) {
    for (const s of o.subjects) {
      if (c.subjects[s] === undefined) continue;
      const repeat = o.repeatOnly.length === 0 || o.repeatOnly.some((f) => c.name.includes(f)) ? o.repeat : 1;
      for (let rep = 0; rep < repeat; rep++)
        for (const n of [c.n1, c.n2]) points.push({ caseName: c.name, subject: s, n, rep, instructions: null, compiler: null, seconds: 0 });
    }
  }
  const m = machine();
  console.log(`${points.length} callgrind runs (${cases.length} case(s), repeat ${o.repeat}, ${o.jobs} at a time); node ${m.node}, ${m.valgrind}, ${m.cpu}`);

  let next = 0;
  let done = 0;
  const width = String(points.length).length;
  async function worker(): Promise<void> {
    while (next < points.length) {
      const p = points[next++];
      await runPoint(child, p, dir, o);
      done++;
      const what = `${p.caseName} ${p.subject} n=${p.n}${o.repeat > 1 ? ` #${p.rep + 1}` : ""}`;
      console.log(
        `[${String(done).padStart(width)}/${points.length}] ${what.padEnd(36)} ${p.error ? `ERROR ${p.error}` : `${fmtInt(p.instructions!).padStart(15)} Ir`}  (${p.seconds.toFixed(1)} s)`,
      );
    }
  }
  await Promise.all(Array.from({ length: Math.min(o.jobs, points.length) }, worker));
  rmSync(dir, { recursive: true, force: true });

  const rows: Row[] = cases.map((c) => {
    const row: Row = {
      case: c.name,
      op: c.op,
      description: c.description,
      n1: c.n1,
      n2: c.n2,
      warmup: c.warmup,
      target: c.target ?? null,
      floorName: c.floorName ?? "floor",
      perOp: {},
      spreadPerOp: {},
      compilerPerOp: {},
      raw: {},
      notes: {},
      missing: { ...c.missing },
      ratio: null,
      asyncRatio: null,
    };
    for (const s of o.subjects) {
      const subject = c.subjects[s];
      if (subject === undefined) continue;
      row.notes[s] = subject.note;
      const mine = points.filter((p) => p.caseName === c.name && p.subject === s);
      const at = (n: number) => mine.filter((p) => p.n === n);
      const a = at(c.n1);
      const b = at(c.n2);
      if ([...a, ...b].some((p) => p.instructions === null || p.compiler === null)) {
        row.perOp[s] = null;
        continue;
      }
      const a1 = a.map((p) => p.instructions!);
      const b1 = b.map((p) => p.instructions!);
      const ca = a.map((p) => p.compiler!);
      const cb = b.map((p) => p.compiler!);
      row.raw[s] = { n1: a1, n2: b1, compiler: { n1: ca, n2: cb } };
      const d = c.n2 - c.n1;
      const perOps = a1.map((x, i) => (b1[i] - x) / d);
      row.perOp[s] = perOps[0];
      row.compilerPerOp![s] = (cb[0] - ca[0]) / d;
      row.spreadPerOp[s] = perOps.length > 1 ? Math.max(...perOps) - Math.min(...perOps) : null;
    }
    ratios(row);
    return row;
  });

  let mergedFrom: string[] | null = null;
  const failed = points.filter((p) => p.error !== undefined);
  const seconds = (performance.now() - started) / 1000;
  console.log("");
  console.log(renderText(rows));
  console.log(`\n${points.length - failed.length}/${points.length} runs ok in ${seconds.toFixed(0)} s`);
  const sources = [...(o.merge ? [path.join(o.reportDir, "instructions.json")] : []), ...o.mergeFrom];
  if (o.renderOnly && sources.length === 0) throw new Error("--render-only needs --merge or --merge-from");
  const mergedCommands: string[] = [];
  let totalSeconds = seconds;
  let repeat = o.repeat;
  for (const file of sources) {
    // Per case and subject: what is not measured yet is taken from the source.
    if (!existsSync(file)) continue;
    const old = JSON.parse(readFileSync(file, "utf8")) as {
      rows: Row[];
      command?: string;
      mergedFrom?: string[] | string | null;
      seconds?: number;
      repeat?: number;
    };
    mergedCommands.push(old.command ?? file, ...(Array.isArray(old.mergedFrom) ? old.mergedFrom : []));
    totalSeconds += old.seconds ?? 0;
    repeat = Math.max(repeat, old.repeat ?? 1);
    for (const was of old.rows) {
      const now = rows.find((r) => r.case === was.case);
      if (now === undefined) {
        const kept = { ...was, floorName: was.floorName ?? "floor" };
        ratios(kept); // by this driver's rules (a kept report's ratios may predate them)
        rows.push(kept);
        continue;
      }
      for (const s of SUBJECTS) {
        if (now.perOp[s] !== undefined || was.perOp[s] === undefined) continue;
        now.perOp[s] = was.perOp[s];
        now.spreadPerOp[s] = was.spreadPerOp[s];
        if (was.compilerPerOp?.[s] !== undefined) (now.compilerPerOp ??= {})[s] = was.compilerPerOp[s];
        if (was.raw[s] !== undefined) now.raw[s] = was.raw[s];
        if (was.notes[s] !== undefined) now.notes[s] = was.notes[s];
      }
      ratios(now);
    }
  }
  const order = CASES.map((c) => c.name);
  rows.sort((a, b) => order.indexOf(a.case) - order.indexOf(b.case));
  if (mergedCommands.length > 0) mergedFrom = [...new Set(mergedCommands)];
  if (o.write) {
    const command = `npm run bench:instructions${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
    const report = {
      schema: "cprime-coro/instructions@1",
      date: new Date().toISOString(),
      machine: m,
      nodeFlags: NODE_FLAGS,
      command,
      mergedFrom,
      repeat,
      seconds: totalSeconds,
      rows,
    };
    mkdirSync(o.reportDir, { recursive: true });
    writeFileSync(path.join(o.reportDir, "instructions.json"), JSON.stringify(report, null, 2) + "\n");
    writeFileSync(path.join(o.reportDir, "instructions.md"), renderMarkdown(report));
    console.log(`wrote ${path.join(o.reportDir, "instructions.md")}, instructions.json`);
  }
  return failed.length > 0 ? 1 : 0;
}

function ratios(row: Row): void {
  if (gcPlaced(row)) {
    row.ratio = null;
    row.asyncRatio = null;
    return;
  }
  const ours = row.perOp["cprime-coro"];
  const floor = row.perOp.floor;
  const asy = row.perOp["async-fn"];
  row.ratio = ours != null && floor != null && floor > 0 ? ours / floor : null;
  row.asyncRatio = ours != null && asy != null && asy > 0 ? ours / asy : null;
}

function renderText(rows: Row[]): string {
  const head = ["case", "op", "cprime-coro", "(JIT, left out)", "floor", "× floor", "target", "async-fn", "× async", "proto-handles"];
  const body = rows.map((r) => [
    r.case,
    r.op,
    fmtPerOp(r.perOp["cprime-coro"] ?? null),
    fmtPerOp(r.compilerPerOp?.["cprime-coro"] ?? null),
    fmtPerOp(r.perOp.floor ?? null),
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
    r.target === null ? "" : `≤ ${r.target.toFixed(1)}×${r.ratio === null ? "" : r.ratio <= r.target ? " met" : " missed"}`,
    fmtPerOp(r.perOp["async-fn"] ?? null),
    r.asyncRatio === null ? "—" : `${r.asyncRatio.toFixed(2)}×`,
    fmtPerOp(r.perOp["proto-handles"] ?? null),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return ["instructions per operation, (I(n2) − I(n1)) / (n2 − n1), the JIT compilers' jobs left out", line(head), ...body.map(line)].join("\n");
}

interface Report {
  date: string;
  mergedFrom: string[] | null;
  machine: ReturnType<typeof machine>;
  nodeFlags: string[];
  command: string;
  repeat: number;
  seconds: number;
  rows: Row[];
}

function renderMarkdown(r: Report): string {
  const m = r.machine;
  const out: string[] = [];
  out.push("# Instructions per operation");
  out.push("");
  out.push(
    "Generated by `bench/instructions/run.ts` — do not edit by hand. Every figure is instructions executed per operation, counted by " +
      "callgrind, as (I(n2) − I(n1)) / (n2 − n1): each point is a fresh process that runs the case's warm-up and then n operations, so " +
      "start-up, module loading, JIT tier-up and the warm-up cancel, and garbage collection stays in. I leaves out what the JIT " +
      "compilers' jobs execute (TurboFan, Sparkplug, Ignition; callgrind's inclusive count of each job's entry point): whether a " +
      "recompilation falls between the two points is an accident of the workload, not a cost of the operation. The column " +
      "*JIT, left out* gives those compile instructions per operation for cprime-coro (— for a figure from before they were counted). " +
      "The floor is the same workload on " +
      "a plain-JS minimal `yield*` runtime with the same semantics (bench/peers/minimal-channel.ts, bench/instructions/floor.ts); " +
      "the async-fn peer is async functions over promises where that means the same operation. proto-handles is " +
      "bench/instructions/proto/handles.ts: the floor's semantics rebuilt on #12's handles-not-pointers technique (tasks by " +
      "integer id, Int32Array run and wait queues, results built at resume), measuring what the technique alone buys.",
  );
  out.push("");
  out.push(
    `- Command: \`${r.command}\` (${r.seconds.toFixed(0)} s of measuring in all)${r.mergedFrom ? ", merging the runs below (same flags; each figure is from the latest run that measured its case and subject, the machine below is the latest run's)" : ""}`,
  );
  for (const c of r.mergedFrom ?? []) out.push(`  - \`${c}\``);
  out.push(`- Each point: \`valgrind --tool=callgrind node ${r.nodeFlags.join(" ")} <bundled child> <case> <subject> <n>\``);
  out.push(`- Machine: ${m.cpu} (${m.cores} logical cores, ${m.memoryGiB} GiB), ${m.os}; Node ${m.node} (V8 ${m.v8}); ${m.valgrind}`);
  out.push(`- Date: ${r.date}`);
  out.push(`- Subject: dist/index.js, the built package`);
  const spreads = r.rows.flatMap((row) => Object.values(row.spreadPerOp).filter((x): x is number => typeof x === "number"));
  if (r.repeat > 1 && spreads.length > 0) {
    const repeated = r.rows.filter((row) => Object.values(row.spreadPerOp).some((x) => typeof x === "number")).map((row) => row.case);
    let rawDiff = 0;
    for (const row of r.rows) {
      for (const raw of Object.values(row.raw)) {
        for (const xs of raw === undefined ? [] : [raw.n1, raw.n2]) if (xs.length > 1) rawDiff = Math.max(rawDiff, Math.max(...xs) - Math.min(...xs));
      }
    }
    out.push(
      `- Repeatability: every point of ${repeated.join(", ")} was measured ${r.repeat} times. Counts are not bit-identical between ` +
        `runs on this VM: one point's raw count moved by up to ${fmtInt(rawDiff)} instructions (of ≈ 600–1 000 million, mostly ` +
        `start-up), so the largest difference between repeats is ${Math.max(...spreads).toFixed(2)} instructions per operation — ` +
        "small beside every difference this report discusses.",
    );
  }
  out.push("");
  out.push("| case | one op | cprime-coro | *JIT, left out* | floor | cprime ÷ floor | #12 target | async-fn | cprime ÷ async | proto-handles |");
  out.push("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
  for (const row of r.rows) {
    const verdict = row.target === null ? "" : `≤ ${row.target.toFixed(1)}× ${row.ratio === null ? "" : row.ratio <= row.target ? "**met**" : "**missed**"}`;
    const mark = gcPlaced(row) ? "†" : "";
    out.push(
      `| ${row.case} | ${row.op} | ${fmtPerOp(row.perOp["cprime-coro"] ?? null)}${mark} | *${fmtPerOp(row.compilerPerOp?.["cprime-coro"] ?? null)}* | ${fmtPerOp(row.perOp.floor ?? null)}${mark}${row.floorName === "floor" ? "" : ` (${row.floorName})`} | ` +
        `${row.ratio === null ? "—" : `${row.ratio.toFixed(2)}×`} | ${verdict} | ${fmtPerOp(row.perOp["async-fn"] ?? null)} | ` +
        `${row.asyncRatio === null ? "—" : `${row.asyncRatio.toFixed(2)}×`} | ${fmtPerOp(row.perOp["proto-handles"] ?? null)} |`,
    );
  }
  if (r.rows.some(gcPlaced))
    out.push(
      "",
      `† ${fmtInt(GC_PLACEMENT_PENDING)} timers pending or more: where the collector's full mark-compacts fall decides the figure (it can come out negative); not a measurement of a sleep, so no ratio. See Timers at N pending.`,
    );
  out.push(...renderPendingSeries(r.rows));
  out.push("");
  out.push("## Cases");
  out.push("");
  for (const row of r.rows) {
    out.push(`- **${row.case}** (n1 = ${row.n1}, n2 = ${row.n2}, warm-up ${row.warmup}): ${row.description}.`);
    for (const s of SUBJECTS) {
      if (row.notes[s] !== undefined) {
        const raw = row.raw[s];
        out.push(
          `  - ${s === "floor" && row.floorName !== "floor" ? row.floorName : s}: ${row.notes[s]}${raw ? ` — I(n1) = ${raw.n1.map(fmtInt).join(", ")}; I(n2) = ${raw.n2.map(fmtInt).join(", ")}` : ""}` +
            (raw?.compiler ? ` (JIT compile jobs, left out: ${raw.compiler.n1.map(fmtInt).join(", ")}; ${raw.compiler.n2.map(fmtInt).join(", ")})` : ""),
        );
      } else if (row.missing[s] !== undefined) out.push(`  - ${s}: not measured — ${row.missing[s]}`);
    }
  }
  out.push("");
  return out.join("\n");
}

/** The timers-at-N-pending cases as one series: is a sleep O(log N) in instructions? */
function renderPendingSeries(rows: Row[]): string[] {
  const series = rows
    .map((row) => ({ row, pending: CASES_BY_NAME.get(row.case)?.pending }))
    .filter((x): x is { row: Row; pending: number } => x.pending !== undefined)
    .sort((a, b) => a.pending - b.pending);
  if (series.length === 0) return [];
  const out = ["", "## Timers at N pending", ""];
  out.push(
    "One sleep (armed, fired, its coroutine resumed) with N timers pending, N coroutines each sleeping its own scattered interval. " +
      "cprime-coro's 4-ary heap of N timers is ⌈log₄(3N + 1)⌉ levels deep (6 at 10³, 11 at 10⁶), the floor's binary one " +
      "⌈log₂(N + 1)⌉ (10 and 20), so an O(log N) sleep grows by a constant per decade; the counts include the garbage collector's instructions for the N live coroutines. Caution: from 10⁵ on, the two " +
      "points differ by one or two rounds of N sleeps, and whether a full mark-compact of the N coroutines' heap falls between " +
      "them moves the figure by thousands of instructions per sleep: those rows (†) measure where the collector ran, not a sleep " +
      "(docs/performance.md gives repeated runs).",
  );
  out.push("");
  out.push(
    "| pending timers | heap depth (cprime-coro / floor) | cprime-coro | floor | cprime ÷ floor | cprime-coro, change from the N before | floor, change |",
  );
  out.push("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  let prev: { ours: number | null; floor: number | null } | null = null;
  for (const { row, pending } of series) {
    const ours = row.perOp["cprime-coro"] ?? null;
    const floor = row.perOp.floor ?? null;
    const change = (now: number | null, before: number | null | undefined) =>
      now === null || before === null || before === undefined ? "—" : `${now >= before ? "+" : "−"}${fmtInt(Math.abs(now - before))}`;
    const mark = pending >= GC_PLACEMENT_PENDING ? "†" : "";
    out.push(
      `| ${fmtInt(pending)} | ${Math.ceil(Math.log(3 * pending + 1) / Math.log(4))} / ${Math.ceil(Math.log2(pending + 1))} | ${fmtPerOp(ours)}${mark} | ${fmtPerOp(floor)}${mark} | ${row.ratio === null ? "—" : `${row.ratio.toFixed(2)}×`} | ` +
        `${mark ? "—" : change(ours, prev?.ours)} | ${mark ? "—" : change(floor, prev?.floor)} |`,
    );
    prev = { ours, floor };
  }
  return out;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
