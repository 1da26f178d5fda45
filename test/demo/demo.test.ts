import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Runtime, type ProfileData, type SizeClass } from "../../src/index.js";
import { HELP, UsageError, parseArgs } from "../../demo/args.js";
import { DEFAULT_OPTIONS, runDemo, type DemoOptions, type DemoResult } from "../../demo/demo.js";
import { formatSummary } from "../../demo/report.js";

// The demo's simulation, run small: 300 requests, two passes, files in a temporary folder.
// Virtual time only: nothing here looks at wall time.
const REQUESTS = 300;
const SEED = 7;
const CLASSES: SizeClass[] = ["micro", "small", "medium", "large"];

let dir: string;
let result: DemoResult;
const small = (options: Partial<DemoOptions>): DemoResult => runDemo({ ...DEFAULT_OPTIONS, requests: REQUESTS, seed: SEED, outDir: null, ...options });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cprime-coro-demo-"));
  result = small({ outDir: dir });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("demo: the web-server simulation", () => {
  test("runs two passes by default: without a profile, then with pass 1's", () => {
    expect(result.passes.map((p) => p.label)).toEqual(["no profile", "pass 1's profile"]);
  });

  test("accounts for every request: served + shed + failed == requests, in each pass", () => {
    for (const { result: pass } of result.passes) {
      const f = pass.figures;
      expect(f.requests).toBe(REQUESTS);
      expect(f.served + f.shed.total + f.failed.total).toBe(REQUESTS);
      expect(f.shed.total).toBe(f.shed.waitingForParser + f.shed.waitingForLookup);
      expect(f.failed.total).toBe(f.failed.malformedBody + f.failed.unknownKey);
      expect(f.served).toBeGreaterThan(0);
      expect(f.latencyMs!.p50).toBeLessThanOrEqual(f.latencyMs!.p99);
    }
  });

  test("a normal run has no deadlock and no failed coroutine", () => {
    for (const { result: pass } of result.passes) {
      expect(pass.figures.deadlock).toBeNull();
      expect(pass.figures.coroutineFailures).toBe(0);
    }
  });

  test("leaves no stack in use, and the address space passes checkMemory()", () => {
    for (const { result: pass } of result.passes) {
      const m = pass.runtime.stats().memory;
      expect([m.micro.used, m.small.used, m.medium.used, m.large.count]).toEqual([0, 0, 0, 0]);
      expect(pass.figures.memory.inUseAfter).toEqual({ micro: 0, small: 0, medium: 0, large: 0 });
      expect(() => pass.runtime.memory.checkMemory()).not.toThrow();
      for (const c of CLASSES) expect(pass.figures.classes[c].live, c).toBe(0);
    }
  });

  test("spawns coroutines of the micro, small and large classes, many micro ones alive at once", () => {
    for (const { result: pass } of result.passes) {
      const c = pass.figures.classes;
      expect(c.micro.spawned).toBeGreaterThanOrEqual(REQUESTS); // a handler per request
      expect(c.small.spawned).toBeGreaterThan(0);
      expect(c.large.spawned).toBeGreaterThan(0);
      expect(c.micro.peakLive).toBeGreaterThan(10);
    }
  });

  test("the micro figures come from the pool: 256-byte slots, a few bytes of bookkeeping each", () => {
    const m = result.passes[0].result.figures.memory;
    expect(m.microSlotBytes).toBe(256);
    expect(m.microBytesPerCoroutine).toBeGreaterThan(256);
    expect(m.microBytesPerCoroutine).toBeLessThan(264);
    expect(m.microPer256KB).toBe(Math.floor(256_000 / m.microBytesPerCoroutine));
    expect(m.microHighWater).toBeGreaterThan(0);
    expect(m.microHighWater).toBeLessThanOrEqual(256);
  });

  test("pass 1 migrates the under-declared audit; pass 2, given pass 1's profile, spawns it small and never migrates", () => {
    const [first, second] = result.passes.map((p) => p.result.figures);
    expect(first.migrations).toBeGreaterThan(0);
    expect(second.migrations).toBe(0);
    const audit = (f: typeof first) => f.definitions.find((d) => d.name === "audit")!;
    expect(audit(first)).toMatchObject({ sizeClass: "micro", migrations: first.migrations });
    expect(audit(second)).toMatchObject({ sizeClass: "small", migrations: 0 });
  });

  test("the same seed gives the same figures (every virtual-time number identical)", () => {
    const again = small({ outDir: null });
    expect(again.passes.map((p) => p.result.figures)).toEqual(result.passes.map((p) => p.result.figures));
    const other = small({ outDir: null, seed: SEED + 1, secondPass: false });
    expect(other.passes[0].result.figures.virtualMs).not.toBe(result.passes[0].result.figures.virtualMs);
  });

  test("a saved profile given to pass 1 (--profile-in) removes its migrations", () => {
    const saved = JSON.parse(readFileSync(join(dir, "profile.json"), "utf8")) as ProfileData;
    const run = small({ profileIn: saved, secondPass: false });
    expect(run.passes).toHaveLength(1);
    expect(run.passes[0].label).toBe("saved profile");
    expect(run.passes[0].result.figures.migrations).toBe(0);
  });

  test("writes heapmap.svg, trace.json, profile.json and dump.txt, none empty", () => {
    const names = result.files.map((f) => f.path);
    for (const name of ["heapmap.svg", "trace.json", "profile.json", "dump.txt", "heapmap-pass2.svg"]) expect(names).toContain(join(dir, name));
    for (const f of result.files) expect(f.bytes, f.path).toBeGreaterThan(0);

    expect(readFileSync(join(dir, "heapmap.svg"), "utf8").trimStart().startsWith("<svg")).toBe(true);

    const trace = JSON.parse(readFileSync(join(dir, "trace.json"), "utf8")) as { traceEvents: { ph: string }[] };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    expect(trace.traceEvents.some((e) => e.ph !== "M")).toBe(true);

    expect(readFileSync(join(dir, "dump.txt"), "utf8")).toMatch(/coroutine #\d+ handler/);
  });

  test("profile.json round-trips: it parses back to pass 1's profile and a Runtime accepts it", () => {
    const text = readFileSync(join(dir, "profile.json"), "utf8");
    const saved = JSON.parse(text) as ProfileData;
    expect(saved).toEqual(JSON.parse(JSON.stringify(result.passes[0].result.runtime.profile())));
    expect(saved).toEqual(result.profile);
    expect(JSON.parse(JSON.stringify(saved))).toEqual(saved);
    expect(saved.definitions.find((d) => d.name === "audit")).toMatchObject({ recommendedClass: "small" });
    expect(() => new Runtime({ profile: saved })).not.toThrow();
  });

  test("the summary labels simulated and measured figures as such", () => {
    const text = formatSummary(result);
    expect(text).toContain("model cycles of work (simulated)");
    expect(text).toContain("virtual time (simulated)");
    expect(text).toContain("wall time of run() (measured)");
    expect(text).toMatch(/migrations [\d,]+ → 0/);
  });
});

describe("demo: command line", () => {
  test("no arguments: the embedded defaults", () => {
    expect(parseArgs([])).toEqual({ requests: 10_000, seed: 1, outDir: "out/demo", profileIn: null, secondPass: true, help: false });
  });

  test("reads every flag, as --flag value or --flag=value", () => {
    expect(parseArgs(["--requests", "50", "--seed=3", "--out", "x", "--profile-in", "p.json", "--no-second-pass"])).toEqual({
      requests: 50,
      seed: 3,
      outDir: "x",
      profileIn: "p.json",
      secondPass: false,
      help: false,
    });
    expect(parseArgs(["--help"]).help).toBe(true);
    for (const flag of ["--requests", "--seed", "--out", "--profile-in", "--no-second-pass", "--help"]) expect(HELP).toContain(flag);
  });

  test("rejects bad input with a message that names it", () => {
    expect(() => parseArgs(["--requests", "0"])).toThrow(UsageError);
    expect(() => parseArgs(["--requests", "ten"])).toThrow(/--requests must be an integer ≥ 1, received "ten"/);
    expect(() => parseArgs(["--seed"])).toThrow(/--seed needs a value/);
    expect(() => parseArgs(["--fast"])).toThrow(/unknown option "--fast"/);
  });
});
