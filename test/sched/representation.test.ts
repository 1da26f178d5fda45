/**
 * No field of the library changes representation when virtual time passes
 * 2³¹ cycles (0.72 virtual s at 3 GHz; see NO_CYCLES in src/sched/clock.ts),
 * nor when stacks and frames come to lie above byte address 2³¹ (see
 * toI32Address in src/memory/layout.ts).
 *
 * A child node runs fixtures/long-run-workload.ts (≈ 3.3 virtual s, every
 * kind of object that records a cycle count) under `--trace-generalization`,
 * which prints a line per field whose representation V8 widens; the test
 * fails on any small-integer → double widening in src/. Sparkplug is off
 * because V8 11's generalisation tracer cannot print a baseline frame, and
 * the child is single-threaded so that no compiler thread's output lands in
 * the middle of a tracer line.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const WORKLOAD = fileURLToPath(new URL("./fixtures/long-run-workload.ts", import.meta.url));
const HIGH_ADDRESSES = fileURLToPath(new URL("./fixtures/high-address-workload.ts", import.meta.url));
/** `[generalizing]waitSince:s{Any;mutable}->d{Any;mutable} (+3 maps) [~park+24 at file:///…/src/sched/scheduler.ts:1]` */
const SMI_TO_DOUBLE = /^\[generalizing\]([^:]+):s\{[^}]*\}->d\{.*\bat file:\/\/\S*\/src\/(\S+?):\d+\]$/;

/** Runs a fixture under the generalisation tracer; its stdout lines, and every small-integer → double widening in src/ as "field (file)". */
function traced(fixture: string): { lines: string[]; widened: string[] } {
  const child = spawnSync(process.execPath, ["--import", "tsx", "--trace-generalization", "--no-sparkplug", "--single-threaded", fixture], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  expect(child.error, String(child.error)).toBeUndefined();
  expect(child.status, child.stderr).toBe(0);
  const lines = child.stdout.split("\n");
  // The tracer really traced.
  expect(lines.some((l) => l.startsWith("[generalizing]"))).toBe(true);
  const widened = new Set<string>();
  for (const line of lines) {
    const m = SMI_TO_DOUBLE.exec(line);
    if (m !== null) widened.add(`${m[1]} (${m[2]})`);
  }
  return { lines, widened: [...widened].sort() };
}

describe("field representations over a long virtual run", () => {
  it("no small-integer field of the library widens to a double after 2^31 cycles", () => {
    const { lines, widened } = traced(WORKLOAD);
    expect(lines.some((l) => l.startsWith("crossed at round"))).toBe(true); // the run really left the small-integer range
    expect(widened).toEqual([]);
  }, 90_000);

  it("no stack or frame field widens to a double when stacks lie above byte address 2^31", () => {
    const { lines, widened } = traced(HIGH_ADDRESSES);
    expect(lines.some((l) => l.startsWith("crossed at "))).toBe(true); // a frame really sat above 2^31
    expect(lines).toContain("done: 1600");
    // A StackRef (allocStack's result, a plain object) does widen `addr`: the caller holds it, and the runtime
    // keeps one only for a large stack (64 KiB or more, so at most 65 535 of them in a 4 GiB space), not per coroutine.
    expect(widened.filter((w) => w !== "addr (memory/address-space.ts)")).toEqual([]);
  }, 90_000);
});
