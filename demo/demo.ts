/**
 * The demo as a function: one or two passes of the web-server simulation and
 * the files they leave. main.ts is only the command line around it; tests
 * call `runDemo` directly.
 *
 * Pass 1 runs with profiling on (and, if given, a saved profile applied);
 * pass 2 runs the same workload with pass 1's profile applied, read back from
 * its JSON as a user would. A definition that migrated in pass 1 is spawned in
 * the class the profile recommends in pass 2, so pass 2 has no migrations.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProfileData } from "../src/index.js";
import type { ServerConfig } from "./server.js";
import { simulatePass, type PassResult, type Progress } from "./simulate.js";
import { flashCrowd, makeWorkload } from "./workload.js";

/** The trace window opens this long before the flash crowd. */
const TRACE_LEAD_MS = 5;

export interface DemoOptions {
  requests: number;
  seed: number;
  /** Where to write heapmap.svg, trace.json, profile.json and dump.txt; null writes nothing. */
  outDir: string | null;
  /** A saved profile applied to pass 1. */
  profileIn: ProfileData | null;
  secondPass: boolean;
  /** trace.json keeps at most this many events, from just before the flash crowd; the rest are counted, not written. */
  traceEventCap: number;
  config?: Partial<ServerConfig>;
  onPassStart?: (pass: number, label: string) => void;
  onProgress?: (p: Progress) => void;
}

export const DEFAULT_OPTIONS: DemoOptions = {
  requests: 10_000,
  seed: 1,
  outDir: "out/demo",
  profileIn: null,
  secondPass: true,
  traceEventCap: 100_000,
};

export interface OutputFile {
  path: string;
  what: string;
  bytes: number;
}

export interface DemoResult {
  options: DemoOptions;
  passes: { label: string; result: PassResult }[];
  /** Pass 1's profile (what pass 2 applied), or null if the runtime could not produce one. */
  profile: ProfileData | null;
  files: OutputFile[];
  /** Things a reader must know about the files (a capped trace, a map that could not be drawn). */
  notes: string[];
}

export function runDemo(options: DemoOptions): DemoResult {
  const requests = makeWorkload(options.seed, options.requests);
  const notes: string[] = [];
  const files: OutputFile[] = [];
  const passes: DemoResult["passes"] = [];
  const writing = options.outDir !== null;
  if (writing) mkdirSync(options.outDir!, { recursive: true });
  const write = (name: string, what: string, text: string) => {
    const path = join(options.outDir!, name);
    writeFileSync(path, text);
    files.push({ path, what, bytes: Buffer.byteLength(text) });
  };

  const label1 = options.profileIn === null ? "no profile" : "saved profile";
  options.onPassStart?.(1, label1);
  const first = simulatePass({
    pass: 1,
    requests,
    seed: options.seed,
    profile: options.profileIn ?? undefined,
    profiling: true,
    trace: writing,
    snapshot: writing,
    onProgress: options.onProgress,
    config: options.config,
  });
  passes.push({ label: label1, result: first });

  // The profile goes through JSON, as a saved profile would.
  let profileJson: string | null = null;
  try {
    profileJson = JSON.stringify(first.runtime.profile(), null, 2);
  } catch (err) {
    notes.push(`profile.json not written: rt.profile() failed: ${message(err)}`);
  }
  const profile = profileJson === null ? null : (JSON.parse(profileJson) as ProfileData);

  if (writing) {
    if (profileJson !== null) write("profile.json", "pass 1's profile; apply it with --profile-in", profileJson + "\n");
    writeSnapshot(first, "heapmap.svg", "dump.txt", write, notes);
    const crowd = flashCrowd(requests);
    writeTrace(first, crowd === null ? 0 : Math.max(0, crowd.fromMs - TRACE_LEAD_MS), options.traceEventCap, write, notes);
  }

  if (options.secondPass) {
    const label2 = "pass 1's profile";
    options.onPassStart?.(2, label2);
    const second = simulatePass({
      pass: 2,
      requests,
      seed: options.seed,
      profile: profile ?? undefined,
      snapshot: writing,
      onProgress: options.onProgress,
      config: options.config,
    });
    passes.push({ label: label2, result: second });
    if (writing) writeSnapshot(second, "heapmap-pass2.svg", null, write, notes);
  }
  return { options, passes, profile, files, notes };
}

type Write = (name: string, what: string, text: string) => void;

/** The heap map (and dump) taken at the pass's busiest monitor tick. */
function writeSnapshot(pass: PassResult, svgName: string, dumpName: string | null, write: Write, notes: string[]): void {
  const s = pass.snapshot;
  if (s === null) return;
  const when = `pass ${pass.pass}'s busiest tick (${s.atMs.toFixed(1)} ms virtual, ${s.live.toLocaleString("en-US")} live)`;
  if (s.svg !== null) write(svgName, `address space at ${when}`, s.svg);
  else notes.push(`${svgName} not written: rt.heapMapSVG() failed: ${s.svgError}`);
  const deepest = s.deepest === null ? "" : ` (deepest: #${s.deepest.id} ${s.deepest.name}, ${s.deepest.frames} frame${s.deepest.frames === 1 ? "" : "s"})`;
  if (dumpName !== null) write(dumpName, `goroutine dump, same moment${deepest}`, s.dump + "\n");
}

/**
 * trace.json: a whole 10 000-request trace runs to hundreds of thousands of
 * events, more than a trace viewer opens comfortably, so it keeps a window:
 * from just before the flash crowd, at most `cap` events, and the metadata
 * of the coroutines in it. The file list says which window.
 */
function writeTrace(pass: PassResult, fromMs: number, cap: number, write: Write, notes: string[]): void {
  let trace: { traceEvents: TraceEvent[]; otherData?: object };
  try {
    trace = pass.runtime.exportTrace() as unknown as typeof trace;
  } catch (err) {
    notes.push(`trace.json not written: rt.exportTrace() failed: ${message(err)}`);
    return;
  }
  // The tracer appends in clock order, so the window is a run of the array.
  const timed = trace.traceEvents.filter((e) => e.ph !== "M");
  const first = Math.max(
    0,
    timed.findIndex((e) => e.ts >= fromMs * 1000),
  );
  const kept = timed.slice(first, first + cap);
  const tids = new Set(kept.map((e) => e.tid));
  const meta = trace.traceEvents.filter((e) => e.ph === "M" && (e.tid === 0 || tids.has(e.tid)));
  const count = `${kept.length.toLocaleString("en-US")} of ${timed.length.toLocaleString("en-US")} events`;
  let window: string;
  if (kept.length === timed.length) window = `the whole run: ${count}`;
  else window = `${(kept[0].ts / 1000).toFixed(1)}–${(kept[kept.length - 1].ts / 1000).toFixed(1)} ms virtual: ${count}`;
  if (kept.length === 0) notes.push("trace.json holds no events: the runtime recorded none");
  const json = JSON.stringify({ ...trace, traceEvents: [...meta, ...kept], otherData: { ...trace.otherData, window } });
  write("trace.json", `pass 1's trace, ${window}`, json);
}

/** The fields of a Chrome trace event that the window needs. */
interface TraceEvent {
  ph: string;
  ts: number;
  tid: number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
