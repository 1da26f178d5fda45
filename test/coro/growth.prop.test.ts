/**
 * Property: in random programs of spawns, calls, returns, writes, ends and
 * allocations that grow the address space in the middle of them, every live
 * frame's locals read back what was last written (through the frame and
 * through a raw view of the buffer), every frame lies inside the buffer,
 * ended frames refuse access, and checkMemory() holds after every step.
 *
 * Coroutines are low-level (`rt.create`), resumed by the test with commands,
 * so the model is a plain list of frame stacks.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Runtime, UseAfterFreeError, bytes, call, coro, type CoroDef, type Coroutine, type Frame, type StackRef } from "../../src/index.js";
import { runs } from "../support/fc.js";

type Locals = { a: "i32"; d: "f64"; e: "i64"; t: ReturnType<typeof bytes> };
type F = Frame<Locals>;
type Command = { op: "write"; value: number } | { op: "call"; callee: number; value: number } | { op: "return" };

/** bytes(n) sizes: 8 fits micro, 300 small, 3000 medium, 20 000 only a large stack (so calls chain segments). */
const TAIL_BYTES = [8, 300, 3000, 20_000];

function write(f: F, value: number): void {
  f.a = value | 0;
  f.d = value / 7;
  f.e = BigInt(value) * -3n;
  const t = f.t;
  for (let i = 0; i < t.length; i++) t[i] = (value + i) & 255;
}

/** What is wrong with `f`'s locals given the last value written, or "" (through accessors and a raw DataView). */
function mismatch(f: F, value: number, buffer: SharedArrayBuffer): string {
  const raw = new DataView(buffer);
  const t = f.t;
  const n = t.length;
  const got = [f.a, f.d, f.e, t[0], t[n - 1], raw.getInt32(f.$addr("a"), true), raw.getFloat64(f.$addr("d"), true), raw.getBigInt64(f.$addr("e"), true)];
  const want = [value | 0, value / 7, BigInt(value) * -3n, value & 255, (value + n - 1) & 255, value | 0, value / 7, BigInt(value) * -3n];
  const at = f.$addr("t");
  for (const i of [0, 1, n >>> 1, n - 1]) if (raw.getUint8(at + i) !== ((value + i) & 255)) return `t[${i}] raw`;
  return got.every((g, i) => g === want[i]) ? "" : `got ${got.map(String)} want ${want.map(String)}`;
}

// One definition per tail size; each body runs commands until told to return, calling any definition.
const defs: CoroDef<[number], void>[] = [];
for (const n of TAIL_BYTES) {
  defs.push(
    coro({ name: `frame${n}`, locals: { a: "i32", d: "f64", e: "i64", t: bytes(n) } }, function* (f, value: number): Generator<unknown, void, unknown> {
      write(f as F, value);
      for (;;) {
        const cmd = (yield f) as Command;
        if (cmd.op === "return") return;
        if (cmd.op === "write") write(f as F, cmd.value);
        else yield* call(defs[cmd.callee], cmd.value);
      }
    }),
  );
}

type Step =
  | { kind: "spawn"; def: number; value: number }
  | { kind: "write"; who: number; value: number }
  | { kind: "call"; who: number; callee: number; value: number }
  | { kind: "return"; who: number }
  | { kind: "destroy"; who: number }
  | { kind: "grow"; bytes: number }
  | { kind: "shrink"; which: number };

const value = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const who = fc.nat(31);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("spawn" as const), def: fc.nat(TAIL_BYTES.length - 1), value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("write" as const), who, value }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("call" as const), who, callee: fc.nat(TAIL_BYTES.length - 1), value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("return" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("destroy" as const), who }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("grow" as const), bytes: fc.integer({ min: 16, max: 1 << 21 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("shrink" as const), which: fc.nat(31) }) },
);

interface Live {
  co: Coroutine<void>;
  /** Frames from the first out to the innermost, each with the last value written. */
  frames: { frame: F; value: number }[];
}

/** Runs `steps`; returns how many times the buffer grew. */
function runProgram(steps: Step[]): number {
  // Tiny pools and buffer: the first spawns of each class carve pools, and every carve or large stack may grow the buffer.
  const rt = new Runtime({ pools: { micro: 2, small: 1, medium: 1 }, memoryBytes: 1 });
  const live: Live[] = [];
  const dead: F[] = [];
  const extra: StackRef[] = [];
  const statsBefore = rt.memory.stats();
  let grewTimes = 0;
  let lastBytes = rt.memory.buffer.byteLength;
  const top = (l: Live): { frame: F; value: number } => l.frames[l.frames.length - 1];
  const resume = (l: Live, cmd: Command): F | null => {
    const r = l.co.resume(cmd);
    if (r.kind === "error") throw r.error;
    return r.kind === "yield" ? (r.value as F) : null;
  };
  const end = (index: number): void => {
    for (const { frame } of live[index].frames) dead.push(frame);
    live.splice(index, 1);
  };
  for (const s of steps) {
    switch (s.kind) {
      case "spawn": {
        const co = rt.create(defs[s.def], s.value);
        const r = co.resume();
        if (r.kind !== "yield") throw new Error(`spawn: ${r.kind}`);
        live.push({ co, frames: [{ frame: r.value as F, value: s.value }] });
        break;
      }
      case "write": {
        if (live.length === 0) break;
        const l = live[s.who % live.length];
        resume(l, { op: "write", value: s.value });
        top(l).value = s.value;
        break;
      }
      case "call": {
        if (live.length === 0) break;
        const l = live[s.who % live.length];
        if (l.frames.length >= 6) break;
        const frame = resume(l, { op: "call", callee: s.callee, value: s.value })!;
        l.frames.push({ frame, value: s.value });
        break;
      }
      case "return": {
        if (live.length === 0) break;
        const index = s.who % live.length;
        const l = live[index];
        const returned = resume(l, { op: "return" });
        if (l.frames.length === 1) {
          expect(returned).toBeNull();
          end(index);
        } else {
          dead.push(l.frames.pop()!.frame);
          expect(returned).toBe(top(l).frame);
        }
        break;
      }
      case "destroy": {
        if (live.length === 0) break;
        const index = s.who % live.length;
        live[index].co.destroy();
        end(index);
        break;
      }
      case "grow":
        extra.push(rt.memory.allocStack("large", s.bytes));
        break;
      case "shrink":
        if (extra.length > 0) rt.memory.freeStack(extra.splice(s.which % extra.length, 1)[0]);
        break;
    }
    const buffer = rt.memory.buffer;
    if (buffer.byteLength !== lastBytes) grewTimes++;
    lastBytes = buffer.byteLength;
    for (const l of live) {
      for (const { frame, value: v } of l.frames) {
        expect(frame.$base + (frame.t.length + 40)).toBeLessThanOrEqual(buffer.byteLength);
        expect(mismatch(frame, v, buffer)).toBe("");
      }
    }
    for (const frame of dead.slice(-4)) expect(() => frame.a).toThrow(UseAfterFreeError);
    rt.memory.checkMemory();
  }
  for (const l of live) l.co.destroy();
  for (const ref of extra) rt.memory.freeStack(ref);
  const after = rt.memory.stats();
  for (const c of ["micro", "small", "medium"] as const) expect(after[c].used).toBe(statsBefore[c].used);
  expect(after.large).toEqual(statsBefore.large);
  rt.memory.checkMemory();
  return grewTimes;
}

describe("locals survive growth of the address space in random programs", () => {
  test("spawns, calls, returns, writes, ends and large allocations: every live local reads back, checkMemory holds", () => {
    let programs = 0;
    let grew = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        programs++;
        if (runProgram(steps) > 0) grew++;
      }),
      { numRuns: runs(150) },
    );
    expect(grew).toBeGreaterThan(programs / 2); // the property is about growth: most programs must grow the buffer
  });

  test("a longer program that grows the buffer many times", () => {
    const steps: Step[] = [];
    for (let i = 0; i < 120; i++) {
      steps.push({ kind: "spawn", def: i % TAIL_BYTES.length, value: i * 7919 });
      if (i % 3 === 0) steps.push({ kind: "call", who: i, callee: (i + 1) % TAIL_BYTES.length, value: -i });
      if (i % 5 === 0) steps.push({ kind: "grow", bytes: 65536 + i });
      if (i % 7 === 0) steps.push({ kind: "return", who: i * 3 });
    }
    expect(runProgram(steps)).toBeGreaterThan(5);
  });
});
