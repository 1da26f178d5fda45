/**
 * The scale benchmark: `npm run bench:scale [-- options]`.
 *
 * For N = 10³ … 10⁷: park/wake and timers on cprime-coro, the floor (the
 * least a `yield*` runtime can do, bench/scale/floor.ts: what the engine and
 * the machine cost per coroutine at each N; "floor+slot" adds a 256 B slot
 * per coroutine in a SharedArrayBuffer), async functions and Go
 * (GOMAXPROCS=1, when `go` is on PATH), and a simulated day of 10⁶ sleeping
 * coroutines on cprime-coro and the floor. Every point is a fresh process
 * (bench/scale/child.ts bundled with esbuild, "cprime-coro" = the built
 * dist/, run with `node --expose-gc --max-old-space-size=20000`; the Go peer
 * is bench/scale/go/main.go). Writes docs/scale.{md,json,svg}.
 *
 * The time per coroutine is CPU time (user + system of the process, which
 * includes V8's GC helper threads): on a machine shared with other work wall
 * time moves with the load, CPU time much less; wall time is reported beside
 * it. A point that fails or exceeds --timeout-s is reported with the reason,
 * and larger N of that series are not attempted; so is a point whose memory,
 * extrapolated from the series' previous point (bytes per coroutine × N ×
 * 1.5 for the collector's headroom), exceeds 80 % of MemAvailable (other
 * work shares the machine: an out-of-memory kill would hit it too).
 * docs/scale.json is rewritten after every point, so an interrupted run keeps
 * what it measured; `--keep` reuses the points of an earlier scale.json for
 * the series not measured now.
 *
 * Options: --max-n 10000000, --filter park-wake,timers,day, --subjects
 * cprime-coro,floor,floor+slot,async-fn,go, --timeout-s 400, --no-build, --no-write, --keep.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleChild } from "../lib/bundle-child.js";
import type { ScaleResult } from "./child.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const NODE_FLAGS = ["--expose-gc", "--max-old-space-size=20000"];
const SIZES = [1e3, 1e4, 1e5, 1e6, 1e7];
const DAY_N = 1e6;

const WORKLOADS = ["park-wake", "timers", "day"] as const;
const SUBJECTS = ["cprime-coro", "floor", "floor+slot", "async-fn", "go"] as const;
type Workload = (typeof WORKLOADS)[number];
type Subject = (typeof SUBJECTS)[number];

interface Point {
  workload: Workload;
  subject: Subject;
  n: number;
  result: ScaleResult | null;
  error: string | null;
  seconds: number;
}

interface Options {
  maxN: number;
  filter: Workload[];
  subjects: Subject[];
  timeoutS: number;
  build: boolean;
  write: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    maxN: 1e7,
    filter: [...WORKLOADS],
    subjects: [...SUBJECTS],
    timeoutS: 400,
    build: true,
    write: true,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === "--max-n") o.maxN = Number(v());
    else if (a === "--filter") o.filter = v().split(",") as Workload[];
    else if (a === "--subjects") o.subjects = v().split(",") as Subject[];
    else if (a === "--timeout-s") o.timeoutS = Number(v());
    else if (a === "--no-build") o.build = false;
    else if (a === "--no-write") o.write = false;
    else if (a === "--keep") o.keep = true;
    else throw new Error(`unknown option ${JSON.stringify(a)} (see the header of bench/scale/run.ts)`);
  }
  return o;
}

/** Builds the Go peer once into the temp directory, keyed by main.go's hash and the Go version; null without go. */
function goBinary(): { binary: string; version: string } | null {
  let version: string;
  try {
    version = execFileSync("go", ["version"], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
  const main = path.join(HERE, "go/main.go");
  const hash = createHash("sha256").update(readFileSync(main)).update(version).digest("hex").slice(0, 16);
  const dir = path.join(os.tmpdir(), "cprime-coro-go-scale");
  const binary = path.join(dir, `scale-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${binary}.${process.pid}.tmp`;
    const env = { ...process.env, GOCACHE: process.env.GOCACHE ?? path.join(os.tmpdir(), "cprime-coro-gocache") };
    execFileSync("go", ["build", "-o", partial, main], { env, stdio: "inherit" });
    renameSync(partial, binary);
  }
  return { binary, version };
}

function runPoint(
  cmd: string,
  args: string[],
  timeoutS: number,
  env: NodeJS.ProcessEnv,
): Promise<{ result: ScaleResult | null; error: string | null; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill("SIGKILL");
    }, timeoutS * 1000);
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (timedOut) resolve({ result: null, error: `did not finish within ${timeoutS} s`, seconds });
      else if (code !== 0 || line === undefined) {
        const why = /heap out of memory|Allocation failed/i.test(stderr)
          ? "JavaScript heap out of memory"
          : /OutOfMemoryError/.test(stderr)
            ? (/OutOfMemoryError[^\n]*/.exec(stderr)?.[0] ?? "OutOfMemoryError")
            : `exit ${code ?? signal}: ${stderr.trim().split("\n").slice(0, 3).join(" ").slice(0, 300)}`;
        resolve({ result: null, error: why, seconds });
      } else resolve({ result: JSON.parse(line.slice(7)) as ScaleResult, error: null, seconds });
    });
  });
}

function memAvailableGiB(): number {
  const kb = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1];
  return kb === undefined ? os.freemem() / 2 ** 30 : Number(kb) / 2 ** 20;
}

const us = (ms: number, n: number) => (ms * 1000) / n;
const fmt = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(digits));
const fmtN = (n: number) => `10^${Math.round(Math.log10(n))}`;
const supN = (n: number) => `10${"⁰¹²³⁴⁵⁶⁷⁸⁹"[Math.round(Math.log10(n))]}`;

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const started = performance.now();
  if (o.build) {
    console.log("building dist/ (tsup) …");
    if (spawnSync("npx", ["tsup", "--silent"], { cwd: ROOT, stdio: "inherit" }).status !== 0) throw new Error("tsup failed");
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "cprime-scale-"));
  const child = await bundleChild(path.join(HERE, "child.ts"), dir, ROOT);
  const go = o.subjects.includes("go") ? goBinary() : null;
  if (o.subjects.includes("go") && go === null) console.log("go is not on PATH: the Go series are skipped");

  const series: { workload: Workload; subject: Subject; sizes: number[] }[] = [];
  for (const w of o.filter) {
    for (const s of o.subjects) {
      if (w === "day" && (s === "async-fn" || s === "go")) continue; // only a virtual clock can run 24 h of sleeps
      if (s === "go" && go === null) continue;
      series.push({ workload: w, subject: s, sizes: w === "day" ? [DAY_N].filter((n) => n <= o.maxN) : SIZES.filter((n) => n <= o.maxN) });
    }
  }
  const total = series.reduce((k, s) => k + s.sizes.length, 0);
  const machine = {
    node: process.version,
    v8: process.versions.v8,
    go: go?.version ?? null,
    cpu: /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  console.log(
    `${total} points; node ${machine.node}${go ? `, ${go.version}` : ""}; ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage.join(" ")}`,
  );

  const points: Point[] = [];
  const kept: Point[] = [];
  const jsonFile = path.join(ROOT, "docs/scale.json");
  if (o.keep && existsSync(jsonFile)) {
    const old = JSON.parse(readFileSync(jsonFile, "utf8")) as { points: Point[] };
    for (const p of old.points) if (!series.some((s) => s.workload === p.workload && s.subject === p.subject)) kept.push(p);
  }
  const write = () => {
    if (!o.write) return;
    const all = [...kept, ...points].sort(
      (a, b) => WORKLOADS.indexOf(a.workload) - WORKLOADS.indexOf(b.workload) || SUBJECTS.indexOf(a.subject) - SUBJECTS.indexOf(b.subject) || a.n - b.n,
    );
    const report = {
      schema: "cprime-coro/scale@1",
      date: new Date().toISOString(),
      machine,
      nodeFlags: NODE_FLAGS,
      seconds: (performance.now() - started) / 1000,
      points: all,
    };
    writeFileSync(jsonFile, JSON.stringify(report, null, 2) + "\n");
    writeFileSync(path.join(ROOT, "docs/scale.svg"), renderSvg(all));
    writeFileSync(path.join(ROOT, "docs/scale.md"), renderMarkdown(report));
  };
  let k = 0;
  for (const s of series) {
    let failedAt: number | null = null;
    let lastBytes: number | null = null;
    for (const n of s.sizes) {
      k++;
      const p: Point = { workload: s.workload, subject: s.subject, n, result: null, error: null, seconds: 0 };
      const needGiB = lastBytes === null ? 0 : (lastBytes * n * 1.5) / 2 ** 30;
      const availableGiB = memAvailableGiB();
      if (failedAt !== null) p.error = `not attempted: N = ${fmtN(failedAt)} did not finish`;
      else if (needGiB > 0.8 * availableGiB) {
        p.error = `not attempted: needs ≈ ${needGiB.toFixed(1)} GiB (${lastBytes!.toFixed(0)} B × N × 1.5), ${availableGiB.toFixed(1)} GiB available on this shared machine`;
        failedAt = n;
      } else {
        const r =
          s.subject === "go"
            ? await runPoint(go!.binary, ["-workload", s.workload, "-n", String(n)], o.timeoutS, { ...process.env, GOMAXPROCS: "1" })
            : await runPoint(process.execPath, [...NODE_FLAGS, child, s.workload, s.subject, String(n)], o.timeoutS, process.env);
        Object.assign(p, r);
        if (p.error !== null) failedAt = n;
        else lastBytes = Math.max(lastBytes ?? 0, p.result!.bytesPerCoroutine); // the largest seen: a point can under-read (timers fired before the probe)
      }
      points.push(p);
      write();
      const r = p.result;
      const what = `${s.workload} ${s.subject} N=${fmtN(n)}`.padEnd(30);
      console.log(
        `[${String(k).padStart(2)}/${total}] ${what} ` +
          (r
            ? `${fmt(us(r.cpuMs, n))} µs CPU/coroutine, ${fmt(us(r.wallMs, n))} µs wall, ${fmt(r.bytesPerCoroutine, 0)} B/coroutine, GC ${fmt(100 * r.gcShare, 0)}%  (${p.seconds.toFixed(0)} s)`
            : `— ${p.error}`),
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });

  console.log("\n" + summaryText(points));
  if (o.write) {
    write(); // the kept points too
    console.log(`wrote docs/scale.md, docs/scale.json, docs/scale.svg${kept.length > 0 ? ` (${kept.length} points kept from the earlier run)` : ""}`);
  }
  return points.some((p) => p.error !== null && !p.error.startsWith("not attempted")) ? 1 : 0;
}

/** How much the per-coroutine CPU time (or, with `userOnly`, its user part) grows from N = from to N = to; null if either is missing. */
function growth(points: Point[], w: Workload, s: Subject, from: number, to: number, userOnly = false): number | null {
  const a = points.find((p) => p.workload === w && p.subject === s && p.n === from)?.result;
  const b = points.find((p) => p.workload === w && p.subject === s && p.n === to)?.result;
  if (!a || !b) return null;
  if (!userOnly) return b.cpuMs / to / (a.cpuMs / from);
  return a.sysMs === undefined || b.sysMs === undefined ? null : (b.cpuMs - b.sysMs) / to / ((a.cpuMs - a.sysMs) / from);
}

function summaryText(points: Point[]): string {
  const lines = ["µs CPU per coroutine (bytes per parked coroutine, GC share of wall)"];
  for (const key of uniqueSeries(points)) {
    const cells = points
      .filter((p) => p.workload === key.workload && p.subject === key.subject)
      .map(
        (p) =>
          `${fmtN(p.n)}: ${p.result ? `${fmt(us(p.result.cpuMs, p.n))} (${fmt(p.result.bytesPerCoroutine, 0)} B, ${fmt(100 * p.result.gcShare, 0)}%)` : "—"}`,
      );
    const g = growth(points, key.workload, key.subject, 1e5, 1e7);
    const u = growth(points, key.workload, key.subject, 1e5, 1e7, true);
    lines.push(
      `${`${key.workload} ${key.subject}`.padEnd(22)} ${cells.join("  ")}${g === null ? "" : `  growth 10^5→10^7 ${g.toFixed(2)}×`}${u === null ? "" : ` (user ${u.toFixed(2)}×)`}`,
    );
  }
  return lines.join("\n");
}

function uniqueSeries(points: Point[]): { workload: Workload; subject: Subject }[] {
  const seen = new Map<string, { workload: Workload; subject: Subject }>();
  for (const p of points) seen.set(`${p.workload}/${p.subject}`, { workload: p.workload, subject: p.subject });
  return [...seen.values()];
}

interface Report {
  date: string;
  machine: { node: string; v8: string; go: string | null; cpu: string; cores: number; memoryGiB: number; loadAverage: number[] };
  nodeFlags: string[];
  seconds: number;
  points: Point[];
}

function renderMarkdown(r: Report): string {
  const m = r.machine;
  const out = [
    "# Scale: 10³ … 10⁷ coroutines",
    "",
    "Generated by `npm run bench:scale` (bench/scale/run.ts) — do not edit by hand. Each point is a fresh process: " +
      `\`node ${r.nodeFlags.join(" ")}\` running bench/scale/child.ts against the built dist/, or the Go peer bench/scale/go/main.go ` +
      "at GOMAXPROCS=1. Time per coroutine is the process's CPU time (user + system, V8's GC threads included) ÷ N, because wall " +
      "time on this shared machine moves with other work; wall time is beside it. Bytes per parked coroutine: Δ(heapUsed + external) " +
      "after two gc() calls with all N parked, plus a 260 B micro stack slot (256 B + generation word + bitmap bit) per coroutine for " +
      "cprime-coro (256 B for floor+slot; a SharedArrayBuffer is not in process.memoryUsage()); for Go Δ(HeapInuse + StackInuse). GC share: the sum of " +
      'PerformanceObserver "gc" durations ÷ wall time of the measured window (the probe\'s forced GCs excluded); for Go, GCCPUFraction.',
    "",
    `- Machine: ${m.cpu}, ${m.cores} logical cores, ${m.memoryGiB} GiB; Node ${m.node} (V8 ${m.v8})${m.go ? `; ${m.go}` : ""}; load average at start ${m.loadAverage.join(" ")}`,
    `- Date: ${r.date}; ${r.seconds.toFixed(0)} s`,
    "- Subjects: **cprime-coro**; **floor** — the least a `yield*` runtime can do (bench/scale/floor.ts: ring-buffer queues, the task its own " +
      "timer in a binary heap, no cycle model, stacks, cancellation, detection or validation), the ruler for what the engine and the machine " +
      "cost per coroutine at each N; **floor+slot** — the floor plus a 256 B slot per coroutine in one growable SharedArrayBuffer, its header " +
      "written at spawn and at each park (what a stack slot per coroutine costs at scale: bytes and a second memory region); " +
      "**async-fn** — async functions; **Go** — goroutines.",
    "- Workloads: **park-wake** — N coroutines block in recv on one unbuffered channel, a driver wakes each with a send, all finish " +
      "(async-fn: N async functions awaiting their own pending promise, resolved in order; Go: N goroutines in `<-ch`). **timers** — " +
      "N coroutines sleep distinct deadlines 1 … N virtual ms, armed in a permuted order (async-fn and Go: real timers, deadlines " +
      "spread over 1 s after a base long enough to arm them all, so their time column is CPU time of a process that mostly waits). " +
      "**day** — 10⁶ coroutines each sleep uniform random intervals in [0, 4 h) until 24 virtual hours have passed; memory is read at 12 h.",
    "",
    "![per-coroutine CPU time against N, log-log](scale.svg)",
    "",
    "| workload | subject | N | µs CPU / coroutine | of which system | µs wall / coroutine | ops / coroutine | bytes / parked coroutine | of which heap | GC share | note |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const p of r.points) {
    const x = p.result;
    out.push(
      x
        ? `| ${p.workload} | ${p.subject} | ${supN(p.n)} | ${fmt(us(x.cpuMs, p.n))} | ${x.sysMs === undefined ? "—" : fmt(us(x.sysMs, p.n))} | ${fmt(us(x.wallMs, p.n))} | ${fmt(x.opsPerCoroutine, 1)} | ${fmt(x.bytesPerCoroutine, 0)} | ${fmt(x.heapBytesPerCoroutine, 0)} | ${x.gcShare === null || !Number.isFinite(x.gcShare) ? "—" : `${(100 * x.gcShare).toFixed(0)} %`} | ${x.note ?? ""} |`
        : `| ${p.workload} | ${p.subject} | ${supN(p.n)} | — | — | — | — | — | — | — | ${p.error} |`,
    );
  }
  out.push(
    "",
    "Growth of CPU time per coroutine from 10⁵ to 10⁷ (the #12 goal is ≤ 1.3×; the floor's growth is what the engine and the machine " +
      "give any `yield*` runtime), and of its user part alone (system time is mostly first-touch page faults, whose cost depends on the host):",
    "",
  );
  const x = (g: number | null) => (g === null ? "—" : `${g.toFixed(2)}×`);
  for (const key of uniqueSeries(r.points)) {
    if (key.workload === "day") continue;
    const g = growth(r.points, key.workload, key.subject, 1e5, 1e7);
    const g6 = growth(r.points, key.workload, key.subject, 1e5, 1e6);
    const u = growth(r.points, key.workload, key.subject, 1e5, 1e7, true);
    out.push(
      `- ${key.workload}, ${key.subject}: 10⁵→10⁶ ${x(g6)}, 10⁵→10⁷ ${g === null ? "— (10⁷ not measured)" : x(g)}${u === null ? "" : ` (user time ${x(u)})`}`,
    );
  }
  out.push("");
  return out.join("\n");
}

const COLOURS: Record<Subject, string> = { "cprime-coro": "#2563eb", floor: "#6b7280", "floor+slot": "#a855f7", "async-fn": "#ea580c", go: "#059669" };
const DASH: Record<Workload, string> = { "park-wake": "", timers: "6 4", day: "2 3" };

function esc(t: string): string {
  return t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Log-log: µs CPU per coroutine against N, one line per (workload, subject). */
function renderSvg(points: Point[]): string {
  const W = 760;
  const H = 440;
  const L = 70;
  const R = 220;
  const T = 40;
  const B = 50;
  const ok = points.filter((p) => p.result !== null);
  const ys = ok.map((p) => us(p.result!.cpuMs, p.n)).filter((y) => y > 0);
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...ys, 1)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...ys, 10)));
  const xLo = 1e3;
  const xHi = 1e7;
  const px = (n: number) => L + ((Math.log10(n) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * (W - L - R);
  const py = (y: number) => T + (1 - (Math.log10(y) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * (H - T - B);
  const s: string[] = [];
  s.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, Helvetica, Arial, sans-serif" font-size="12">`,
  );
  s.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  s.push(`<text x="${L}" y="22" font-size="14" font-weight="600">CPU time per coroutine vs N (log-log); flat = O(1) per coroutine</text>`);
  for (let e = Math.log10(xLo); e <= Math.log10(xHi); e++) {
    const x = px(10 ** e);
    s.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#e5e7eb"/>`);
    s.push(`<text x="${x}" y="${H - B + 18}" text-anchor="middle">10${"⁰¹²³⁴⁵⁶⁷⁸⁹"[e]}</text>`);
  }
  for (let e = Math.log10(yLo); e <= Math.log10(yHi) + 1e-9; e++) {
    const y = py(10 ** e);
    s.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#e5e7eb"/>`);
    s.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)} µs</text>`);
  }
  s.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">N (coroutines)</text>`);
  let legendY = T + 6;
  for (const key of uniqueSeries(points)) {
    const mine = ok.filter((p) => p.workload === key.workload && p.subject === key.subject).sort((a, b) => a.n - b.n);
    if (mine.length === 0) continue;
    const colour = COLOURS[key.subject];
    const coords = mine.map((p) => `${px(p.n).toFixed(1)},${py(us(p.result!.cpuMs, p.n)).toFixed(1)}`);
    if (coords.length > 1)
      s.push(`<polyline points="${coords.join(" ")}" fill="none" stroke="${colour}" stroke-width="2" stroke-dasharray="${DASH[key.workload]}"/>`);
    for (const c of coords) {
      const [x, y] = c.split(",");
      s.push(`<circle cx="${x}" cy="${y}" r="3" fill="${colour}"/>`);
    }
    s.push(
      `<line x1="${W - R + 14}" y1="${legendY}" x2="${W - R + 44}" y2="${legendY}" stroke="${colour}" stroke-width="2" stroke-dasharray="${DASH[key.workload]}"/>`,
    );
    s.push(`<text x="${W - R + 50}" y="${legendY + 4}">${esc(`${key.workload}, ${key.subject}`)}</text>`);
    legendY += 18;
  }
  s.push("</svg>");
  return s.join("\n") + "\n";
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
