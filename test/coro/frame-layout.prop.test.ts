/**
 * Property: a frame never reaches outside its own bytes. Over random local
 * layouts, every local lies inside its frame after the header, naturally
 * aligned and disjoint from the others; over random push/pop/write programs
 * on a stack (tiny pools, so frames chain segments of every class), every
 * frame lies inside one of its stack's segments, frames never overlap, and
 * writing every local of a frame (bytes locals in full) changes no byte of
 * the buffer outside that frame's locals.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { AddressSpace, bytes, coro, type LocalType, type SizeClass, type StackRef } from "../../src/index.js";
import { allocOwnedStack } from "../../src/memory/address-space.js";
import { viewsOf, type BufferViews } from "../../src/memory/views.js";
import { CoroDefImpl } from "../../src/coro/coro.js";
import { CoroStack } from "../../src/coro/stack.js";
import { FRAME_HEADER_BYTES, layoutLocals, type FrameBase } from "../../src/coro/frame.js";
import { runs } from "../support/fc.js";

const SCALARS = ["i8", "u8", "bool", "i16", "u16", "i32", "u32", "f32", "f64", "i64", "u64"] as const;
const ALIGN: Record<string, number> = { i8: 1, u8: 1, bool: 1, i16: 2, u16: 2, i32: 4, u32: 4, f32: 4, f64: 8, i64: 8, u64: 8 };

const localType: fc.Arbitrary<LocalType> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SCALARS) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => bytes(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((n) => bytes(n)) },
);
const localSet: fc.Arbitrary<Record<string, LocalType>> = fc
  .array(localType, { maxLength: 12 })
  .map((types) => Object.fromEntries(types.map((type, i) => [`l${i}`, type])));

/** A stack with no scheduler: the owner hooks do nothing. */
class BareStack extends CoroStack {
  readonly name = "bare";
  readonly overflow = "grow" as const;
  constructor(
    base: StackRef,
    readonly id: number,
    readonly space: AddressSpace,
    readonly views: BufferViews,
  ) {
    super(...CoroStack.baseArgs(base));
  }
  onMigrate(): void {}
  onSegment(): void {}
  readonly watchesSegments = false;
  onSlotFree(): void {}
}

/** Writes every local of `frame` with values that set every bit it may (bytes locals in full). */
function writeAll(frame: FrameBase, def: CoroDefImpl): void {
  const f = frame as unknown as Record<string, unknown>;
  for (const slot of def.layout.locals) {
    if (slot.type === "bytes") f[slot.name] = new Array(slot.bytes).fill(0xff);
    else if (slot.type === "i64" || slot.type === "u64") f[slot.name] = slot.type === "i64" ? -1n : 2n ** 64n - 1n;
    else if (slot.type === "bool") f[slot.name] = true;
    else if (slot.type === "f32" || slot.type === "f64") f[slot.name] = NaN;
    else f[slot.name] = -1;
  }
}

describe("frame layout", () => {
  test("every local lies in [header, frameBytes), naturally aligned, disjoint; frameBytes is a multiple of 8 and tight", () => {
    fc.assert(
      fc.property(localSet, (locals) => {
        const layout = layoutLocals(locals, "random");
        expect(layout.frameBytes % 8).toBe(0);
        const ranges: [number, number][] = [];
        for (const slot of layout.locals) {
          expect(slot.offset).toBeGreaterThanOrEqual(FRAME_HEADER_BYTES);
          expect(slot.offset + slot.bytes).toBeLessThanOrEqual(layout.frameBytes);
          expect(Number.isSafeInteger(slot.offset) && slot.bytes > 0).toBe(true);
          if (slot.type !== "bytes") expect(slot.offset % ALIGN[slot.type]).toBe(0);
          for (const [start, end] of ranges) expect(slot.offset >= end || slot.offset + slot.bytes <= start).toBe(true);
          ranges.push([slot.offset, slot.offset + slot.bytes]);
        }
        const end = Math.max(FRAME_HEADER_BYTES, ...ranges.map(([, e]) => e));
        expect(layout.frameBytes - end).toBeLessThan(8);
      }),
      { numRuns: runs(300) },
    );
  });

  type Op = { kind: "push"; def: number } | { kind: "pop" } | { kind: "write"; depth: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("push" as const), def: fc.nat(5) }) },
    { weight: 2, arbitrary: fc.constant({ kind: "pop" as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("write" as const), depth: fc.nat(10) }) },
  );

  test("frames lie inside their stack's segments and writes to a frame's locals change nothing outside them", () => {
    fc.assert(
      fc.property(
        fc.array(localSet, { minLength: 6, maxLength: 6 }),
        fc.constantFrom<SizeClass>("micro", "small", "medium", "large"),
        fc.array(op, { minLength: 1, maxLength: 40 }),
        (localSets, baseClass, ops) => {
          const space = new AddressSpace({ pools: { micro: 2, small: 1, medium: 1 }, bytes: 1 });
          const views = viewsOf(space.buffer);
          const before = space.stats();
          const defs = localSets.map((locals, i) => coro({ name: `d${i}`, locals }, function* () {}) as unknown as CoroDefImpl);
          const stack = new BareStack(allocOwnedStack(space, baseClass, baseClass === "large" ? 4096 : undefined), 7, space, views);
          const frames: { frame: FrameBase; def: CoroDefImpl }[] = [];
          for (const o of ops) {
            if (o.kind === "push") {
              const def = defs[o.def];
              frames.push({ frame: stack.push(def), def });
            } else if (o.kind === "pop") {
              if (frames.length > 0) stack.pop(frames.pop()!.frame);
            } else if (frames.length > 0) {
              const { frame, def } = frames[o.depth % frames.length];
              const snapshot = new Uint8Array(space.buffer.slice(0));
              writeAll(frame, def);
              const after = new Uint8Array(space.buffer);
              const localsStart = frame.$$addr + FRAME_HEADER_BYTES;
              const localsEnd = frame.$$addr + def.layout.frameBytes;
              expect(Buffer.compare(snapshot.subarray(0, localsStart), after.subarray(0, localsStart))).toBe(0);
              expect(Buffer.compare(snapshot.subarray(localsEnd), after.subarray(localsEnd, snapshot.length))).toBe(0);
            }
            // Every frame inside one segment; no two frames overlap.
            const segments = stack.segments;
            const spans: [number, number][] = [];
            for (const { frame, def } of frames) {
              const start = frame.$$addr;
              const end = start + def.layout.frameBytes;
              expect(segments.some((seg) => start >= seg.addr && end <= seg.addr + seg.bytes)).toBe(true);
              for (const [s, e] of spans) expect(start >= e || end <= s).toBe(true);
              spans.push([start, end]);
            }
          }
          stack.destroy();
          for (const { frame } of frames) expect(frame.$$dead).toBe(true);
          space.checkMemory();
          const after = space.stats();
          for (const c of ["micro", "small", "medium"] as const) expect(after[c].used).toBe(before[c].used);
          expect(after.large).toEqual(before.large);
        },
      ),
      { numRuns: runs(100) },
    );
  });
});
