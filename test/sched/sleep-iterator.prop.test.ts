/**
 * The iterator `yield* sleep(ms)` holds while it sleeps is one long-lived
 * object per runtime (sched/ops.ts `SleepIterator`), so a sleep leaves
 * nothing behind to be promoted. These tests hold it to what a fresh
 * iterator per sleep gave: every sleep keeps its own delay however its
 * iterator is taken, deferred, reused or abandoned, and driving a started
 * one again is a typed error that leaves the coroutine able to go on.
 *
 * The property is model-based: each program runs twice, once with every
 * sleep a plain `yield* sleep(d)` (the reference) and once with the steps'
 * iterator moves, and the virtual times each coroutine reads after each of
 * its sleeps must be equal, and within the cycle model's charges of the sum
 * of its delays; after each run the carrier is free and checkMemory() holds.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Runtime, sleep, type Operation } from "../../src/index.js";
import { schedulerOf } from "../../src/runtime/runtime.js";
import { runs } from "../support/fc.js";

/** `yield*` on an iterator already taken: delegation drives it, as yield* sleep(ms) would. */
function delegate(it: Iterator<unknown, void, unknown>): Operation<void> {
  return { [Symbol.iterator]: () => it };
}

type Step =
  /** yield* sleep(d) */
  | { kind: "plain"; d: number }
  /** take sleep(a)'s and sleep(b)'s iterators, then drive b's before a's */
  | { kind: "swapped"; a: number; b: number }
  /** one operation waited on twice: `const s = sleep(d); yield* s; yield* s` */
  | { kind: "twice"; d: number }
  /** take an iterator and drop it, then yield* sleep(d) */
  | { kind: "abandoned"; d: number };

/** The delays a step sleeps, in the order it sleeps them. */
function delays(s: Step): number[] {
  switch (s.kind) {
    case "plain":
    case "abandoned":
      return [s.d];
    case "swapped":
      return [s.b, s.a];
    case "twice":
      return [s.d, s.d];
  }
}

const delay = fc.integer({ min: 0, max: 40 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("plain" as const), d: delay }),
  fc.record({ kind: fc.constant("swapped" as const), a: delay, b: delay }),
  fc.record({ kind: fc.constant("twice" as const), d: delay }),
  fc.record({ kind: fc.constant("abandoned" as const), d: delay }),
);
const program = fc.array(fc.array(step, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 });

function* moves(rt: Runtime, s: Step, times: number[]): Generator<unknown, void, unknown> {
  switch (s.kind) {
    case "plain":
      yield* sleep(s.d);
      times.push(rt.now());
      return;
    case "swapped": {
      const a = sleep(s.a)[Symbol.iterator]();
      const b = sleep(s.b)[Symbol.iterator]();
      yield* delegate(b);
      times.push(rt.now());
      yield* delegate(a);
      times.push(rt.now());
      return;
    }
    case "twice": {
      const op = sleep(s.d);
      yield* op;
      times.push(rt.now());
      yield* op;
      times.push(rt.now());
      return;
    }
    case "abandoned":
      sleep(1000)[Symbol.iterator]();
      yield* sleep(s.d);
      times.push(rt.now());
      return;
  }
}

/** Runs the program (its iterator moves, or all plain sleeps) and returns the times each coroutine read. */
function runProgram(prog: Step[][], plain: boolean): number[][] {
  const rt = new Runtime({ seed: 3 });
  const times = prog.map(() => [] as number[]);
  prog.forEach((steps, i) => {
    rt.spawn(function* () {
      for (const s of steps) {
        if (plain) {
          for (const d of delays(s)) {
            yield* sleep(d);
            times[i].push(rt.now());
          }
        } else yield* moves(rt, s, times[i]);
      }
    });
  });
  rt.run();
  const carrier = schedulerOf(rt).sleepIterator;
  if (!prog.some((steps) => steps.some((s) => s.kind === "abandoned"))) expect(carrier.ms).toBe(-1);
  rt.memory.checkMemory();
  return times;
}

describe("the runtime's sleep iterator", () => {
  test("every sleep keeps its own delay however its iterator is taken (model: the same program with plain sleeps)", () => {
    fc.assert(
      fc.property(program, (prog) => {
        const got = runProgram(prog, false);
        const want = runProgram(prog, true);
        expect(got).toEqual(want);
        prog.forEach((steps, i) => {
          let sum = 0;
          const ds = steps.flatMap(delays);
          ds.forEach((d, k) => {
            sum += d;
            // Each sleep starts a few modelled cycles after the last woke: far below 0.01 ms per step.
            expect(got[i][k]).toBeGreaterThanOrEqual(sum);
            expect(got[i][k] - sum).toBeLessThan(0.01 * (k + 1));
          });
        });
      }),
      { numRuns: runs(150) },
    );
  });

  test("sequential sleeps of a runtime hold one iterator; a second take before the first starts gets its own", () => {
    const rt = new Runtime();
    const seen: unknown[] = [];
    rt.spawn(function* () {
      const first = sleep(1)[Symbol.iterator]();
      const second = sleep(2)[Symbol.iterator]();
      seen.push(first, second);
      yield* delegate(first);
      const third = sleep(3)[Symbol.iterator]();
      seen.push(third);
      yield* delegate(third);
      yield* delegate(second);
    });
    rt.run();
    expect(seen[0]).toBe(schedulerOf(rt).sleepIterator);
    expect(seen[1]).not.toBe(seen[0]); // taken while the carrier was: the op itself
    expect(seen[2]).toBe(seen[0]); // free again once the first sleep started
    expect(rt.now()).toBeCloseTo(6, 2);
  });

  test("outside a coroutine a take gets the operation itself, and the runtime's carrier stays free", () => {
    const rt = new Runtime();
    const op = sleep(5);
    expect(op[Symbol.iterator]()).toBe(op);
    rt.spawn(function* () {
      yield* op; // taken now, inside: the carrier
    });
    rt.run();
    expect(rt.now()).toBeCloseTo(5, 2);
    expect(schedulerOf(rt).sleepIterator.ms).toBe(-1);
  });

  test("driving a started sleep's iterator again is a TypeError naming the misuse; the coroutine goes on and sleeps", () => {
    const rt = new Runtime();
    let caught: unknown = null;
    let after = -1;
    rt.spawn(function* () {
      const it = sleep(4)[Symbol.iterator]();
      yield* delegate(it);
      try {
        yield* delegate(it);
      } catch (e) {
        caught = e;
      }
      yield* sleep(2);
      after = rt.now();
    });
    rt.run();
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as TypeError).message).toMatch(/sleep\(\): this sleep has already started/);
    expect(after).toBeCloseTo(6, 2);
  });

  test("a take outside every coroutine then driven by hand is refused and keeps its delay for a coroutine", () => {
    const rt = new Runtime();
    let it: Iterator<unknown, void, unknown> | null = null;
    rt.spawn(function* () {
      it = sleep(7)[Symbol.iterator]();
    });
    rt.run();
    expect(() => it!.next()).toThrow(/sleep\(\) must be used inside a coroutine/);
    rt.spawn(function* () {
      yield* delegate(it!);
    });
    const start = rt.now();
    rt.run();
    expect(rt.now() - start).toBeCloseTo(7, 2);
  });
});
