/**
 * What the demo prints: the introduction (size classes as the metadata has
 * them), the progress line, and the summary box. Pure formatting: strings in,
 * strings out, except ProgressLine, which writes to a stream.
 *
 * Wording rule: modelled figures say "virtual" or "model cycles (simulated)";
 * only wall time is measured, and it says so.
 */
import { basename, sep } from "node:path";
import { SIZE_CLASS_BYTES, type SizeClass } from "../src/index.js";
import { CLASSES } from "./census.js";
import type { DemoResult } from "./demo.js";
import type { ServerConfig } from "./server.js";
import { DEFINITIONS, type PassResult, type Progress } from "./simulate.js";

// ── numbers ─────────────────────────────────────────────────────────────────

export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** "1 request", "10,000 requests". */
export function count(n: number, noun: string): string {
  return `${int(n)} ${noun}${n === 1 ? "" : "s"}`;
}

function ms(x: number, digits = 1): string {
  return `${x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })} ms`;
}

function bytesText(n: number): string {
  if (n < 1024) return `${int(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function seconds(wallMs: number): string {
  return wallMs < 1000 ? `${wallMs.toFixed(0)} ms` : `${(wallMs / 1000).toFixed(2)} s`;
}

// ── introduction ────────────────────────────────────────────────────────────

export function formatIntro(requests: number, seed: number, config: ServerConfig, passes: number): string {
  const lines = [
    "cprime-coro demo: a web server simulated on stackful coroutines",
    "",
    `  ${count(requests, "request")} (seed ${seed}) arrive as a Poisson stream with a flash crowd in the middle.`,
    "  Each gets its own micro handler coroutine, which asks small lookup services and large",
    `  body parsers over channels with reply channels, and gives up at a ${config.deadlineMs} ms deadline`,
    "  (select against after). Time is virtual and cycles come from the cost model: both are",
    `  simulated; only wall time is measured. ${passes === 2 ? "Two passes: the second applies the first one's profile." : "One pass."}`,
    "",
    "  Size classes from each definition's metadata (what the compiler's analysis gives):",
    "",
  ];
  const rows = [["definition", "role", "frame", "max stack", "class", "why"]];
  for (const { def, role, note } of DEFINITIONS) {
    const m = def.metadata;
    const why = m.recursion ? "recursive calls: unbounded" : m.callDepth > 1 ? `declared calls, ${m.callDepth} frames deep` : "no declared calls";
    rows.push([
      def.name,
      role,
      `${m.frameBytes} B`,
      m.maxStackBytes === null ? "unbounded" : `${int(m.maxStackBytes)} B`,
      m.sizeClass,
      note === undefined ? why : `${why} *`,
    ]);
  }
  lines.push(...table(rows, [false, false, true, true, false, false]).map((l) => `    ${l}`));
  for (const { note } of DEFINITIONS) if (note !== undefined) lines.push(`    * ${note}`);
  return lines.join("\n");
}

/** Plain aligned columns (`right[i]` right-aligns column i). */
function table(rows: string[][], right: boolean[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

// ── progress ────────────────────────────────────────────────────────────────

/**
 * The progress line. Each pass opens with a header line; then, on a
 * terminal, one line redraws itself in place (`\r`), at most every
 * `minIntervalMs` of wall time and cut to the terminal's width so it never
 * wraps; elsewhere (a pipe, a CI log) a plain line prints at every fifth of
 * the requests.
 */
export class ProgressLine {
  private lastDrawMs = -Infinity;
  private nextFifth = 1;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly minIntervalMs = 80,
  ) {}

  passStarted(pass: number, label: string): void {
    this.lastDrawMs = -Infinity;
    this.nextFifth = 1;
    this.out.write(`  pass ${pass}, ${label}\n`);
  }

  update(p: Progress): void {
    if (this.out.isTTY === true) {
      const now = performance.now();
      if (!p.done && now - this.lastDrawMs < this.minIntervalMs) return;
      this.lastDrawMs = now;
      const width = this.out.columns > 0 ? this.out.columns - 1 : Infinity;
      this.out.write(`\r${[...this.text(p)].slice(0, width).join("")}\x1b[K${p.done ? "\n" : ""}`);
      return;
    }
    const fifth = p.requests === 0 ? 5 : Math.floor((5 * p.answered) / p.requests);
    if (fifth < this.nextFifth) return;
    this.nextFifth = fifth + 1;
    this.out.write(`${this.text(p)}\n`);
  }

  private text(p: Progress): string {
    const share = p.requests === 0 ? 1 : p.answered / p.requests;
    const filled = Math.round(share * BAR_WIDTH);
    const bar = "█".repeat(filled) + "░".repeat(BAR_WIDTH - filled);
    const width = int(p.requests).length;
    return (
      `    ${bar} ${int(p.answered).padStart(width)}/${int(p.requests)} answered  ${ms(p.nowMs).padStart(10)} virtual` +
      `  live ${int(p.live).padStart(5)}  shed ${int(p.shed)}  failed ${int(p.failed)}`
    );
  }
}

const BAR_WIDTH = 16;

// ── the summary ─────────────────────────────────────────────────────────────

type Row = string[] | { section: string };

export function formatSummary(result: DemoResult): string {
  const passes = result.passes.map((p) => p.result);
  const f = passes.map((p) => p.figures);
  const rows: Row[] = [];

  rows.push({ section: "requests" });
  rows.push(["served (200)", ...f.map((x) => int(x.served))]);
  rows.push([
    "shed at the deadline (503)",
    ...f.map((x) => `${int(x.shed.total)} (parser ${int(x.shed.waitingForParser)}, lookup ${int(x.shed.waitingForLookup)})`),
  ]);
  rows.push([
    "failed (400 bad body, 404 no key)",
    ...f.map((x) => `${int(x.failed.total)} (400: ${int(x.failed.malformedBody)}, 404: ${int(x.failed.unknownKey)})`),
  ]);
  rows.push([
    "latency p50/p90/p99/max (virtual)",
    ...f.map((x) =>
      x.latencyMs === null ? "none served" : `${[x.latencyMs.p50, x.latencyMs.p90, x.latencyMs.p99, x.latencyMs.max].map((v) => v.toFixed(1)).join(" / ")} ms`,
    ),
  ]);

  rows.push({ section: "coroutines: spawned / peak live" });
  for (const c of CLASSES) rows.push([`${c.padEnd(6)} ${classSlot(c)}`, ...f.map((x) => `${int(x.classes[c].spawned)} / ${int(x.classes[c].peakLive)}`)]);
  for (const name of movedDefinitions(passes)) {
    rows.push([
      `class of ${name}`,
      ...f.map((x, i) => {
        const d = x.definitions.find((e) => e.name === name);
        return d === undefined ? "not spawned" : `${d.sizeClass} (${i === 0 && result.options.profileIn === null ? "metadata" : "profile"})`;
      }),
    ]);
  }
  rows.push(["stack migrations", ...f.map((x) => `${int(x.migrations)}${x.migrations > 0 ? " chained segments" : ""}`)]);

  rows.push({ section: "stack memory vs the design" });
  rows.push([
    "per micro coroutine (design: 256 B)",
    ...f.map((x) => `${x.memory.microSlotBytes} + ${(x.memory.microBytesPerCoroutine - x.memory.microSlotBytes).toFixed(2)} B bookkeeping`),
  ]);
  rows.push(["micro per 256 KB (design: 1,000)", ...f.map((x) => `${int(x.memory.microPer256KB)} (slots alone: ${int(256_000 / x.memory.microSlotBytes)})`)]);
  rows.push(["deepest micro stack", ...f.map((x) => `${x.memory.microHighWater} B of its ${x.memory.microSlotBytes} B slot`)]);
  rows.push([
    "peak in use: micro / small / large",
    ...f.map((x) => `${[x.memory.peakStackBytes.micro, x.memory.peakStackBytes.small, x.memory.peakStackBytes.large].map(kib).join(" / ")} KiB`),
  ]);
  rows.push(["address space (SharedArrayBuffer)", ...f.map((x) => bytesText(x.memory.bufferBytes))]);
  rows.push(["stacks in use after the run", ...f.map((x) => int(CLASSES.reduce((n, c) => n + x.memory.inUseAfter[c], 0)))]);

  rows.push({ section: "time and work" });
  rows.push(["virtual time (simulated)", ...f.map((x) => ms(x.virtualMs))]);
  rows.push(["model cycles of work (simulated)", ...f.map((x) => int(x.busyCycles))]);
  if (f.some((x) => x.migrations > 0)) rows.push(["  of which migrations", ...f.map((x, i) => int(x.migrations * passes[i].runtime.cost.migrate))]);
  rows.push(["context switches", ...f.map((x) => int(x.contextSwitches))]);
  rows.push(["wall time of run() (measured)", ...passes.map((p) => `${seconds(p.wallMs)}${p.traced ? ", tracing on" : ""}`)]);
  rows.push(["deadlock", ...f.map((x) => (x.deadlock === null ? "none" : "YES, see below"))]);
  if (f.some((x) => x.coroutineFailures > 0)) rows.push(["coroutines that failed", ...f.map((x) => int(x.coroutineFailures))]);

  const header = ["", ...result.passes.map((p, i) => `pass ${i + 1}: ${p.label}`)];
  const title = `cprime-coro demo: simulated web server, ${count(result.options.requests, "request")}, seed ${result.options.seed}`;
  const out = [box(title, header, rows)];
  if (passes.length === 2) {
    const moved = movedDefinitions(passes);
    const m = f.map((x) => int(x.migrations)).join(" → ");
    out.push(
      moved.length > 0
        ? `  Pass 2 applied pass 1's profile, which raised ${moved.join(", ")}: migrations ${m}.`
        : `  Pass 2 applied pass 1's profile; no class changed: migrations ${m}.`,
    );
  }
  for (const [i, x] of f.entries()) if (x.deadlock !== null) out.push(`  Pass ${i + 1} deadlocked:\n    ${x.deadlock.split("\n").join("\n    ")}`);
  return out.join("\n");
}

function kib(n: number): string {
  return int(n / 1024);
}

function classSlot(c: SizeClass): string {
  return c === "large" ? "heap, 64 KiB+" : `${bytesText(SIZE_CLASS_BYTES[c])} slots`;
}

/** Definitions spawned in another class in the last pass than in the first: the profile raised them. */
function movedDefinitions(passes: PassResult[]): string[] {
  if (passes.length < 2) return [];
  const before = new Map(passes[0].figures.definitions.map((d) => [d.name, d.sizeClass]));
  return passes[passes.length - 1].figures.definitions.filter((d) => before.has(d.name) && before.get(d.name) !== d.sizeClass).map((d) => d.name);
}

/** A table in a rounded box: a title, a header row, rows, and section rules. */
export function box(title: string, header: string[], rows: Row[]): string {
  const all = [header, ...rows.map((r) => (Array.isArray(r) ? r : [r.section.toUpperCase(), ...header.slice(1).map(() => "")]))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const inner = widths.reduce((n, w) => n + w + 3, -1);
  const titleWidth = Math.max(inner, title.length + 2);
  if (titleWidth > inner) widths[widths.length - 1] += titleWidth - inner;
  const line = (cells: string[]) => `│ ${cells.map((c, i) => c.padEnd(widths[i])).join(" │ ")} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => "─".repeat(w + 2)).join(m)}${r}`;
  const total = widths.reduce((n, w) => n + w + 3, -1);
  const out = [`╭${"─".repeat(total)}╮`, `│ ${title.padEnd(total - 2)} │`, rule("├", "┬", "┤"), line(header)];
  for (const r of rows) {
    if (Array.isArray(r)) out.push(line(r));
    else {
      out.push(rule("├", "┼", "┤"));
      out.push(line([r.section.toUpperCase(), ...widths.slice(1).map(() => "")]));
    }
  }
  out.push(rule("╰", "┴", "╯"));
  return out.join("\n");
}

/** The files written, and what a reader must know about them. */
export function formatFiles(result: DemoResult): string {
  const lines: string[] = [];
  if (result.files.length > 0) {
    lines.push(`  Files written to ${result.options.outDir}${sep}`);
    const names = result.files.map((file) => basename(file.path));
    const width = Math.max(...names.map((n) => n.length));
    for (const [i, file] of result.files.entries()) lines.push(`    ${names[i].padEnd(width)}  ${bytesText(file.bytes).padStart(8)}  ${file.what}`);
  }
  for (const n of result.notes) lines.push(`  Note: ${n}`);
  return lines.join("\n");
}
