/**
 * Property: nothing public corrupts the allocator. Random misuses of the
 * public AddressSpace, Heap and BitmapPool calls — frees of owned, forged,
 * stale, misaligned and foreign refs, bad size classes and sizes, heap
 * allocations of unknown kinds and tags, frees of random heap addresses,
 * pool indices, words and masks outside the pool or not allocated — each
 * throw a typed error (or, for the calls documented to, return false), never
 * an internal error, and leave checkMemory()/checkHeap()/checkBitmapPool()
 * clean and every stat unchanged.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CoroError } from "../../src/errors.js";
import { AddressSpace, BitmapPool, Heap, checkBitmapPool, checkHeap, type SizeClass, type StackRef } from "../../src/memory/index.js";
import { allocOwnedStack } from "../../src/memory/address-space.js";
import { runs } from "../support/fc.js";

type Misuse =
  | { on: "space"; kind: "owned" | "stale" | "generation" | "offset" | "foreign" | "class"; pick: number; n: number; sizeClass: string }
  | { on: "space"; kind: "alloc"; sizeClass: string; bytes: unknown }
  | { on: "heap"; kind: "alloc"; bytes: unknown; blockKind: unknown; tag: unknown }
  | { on: "heap"; kind: "free"; addr: number }
  | { on: "pool"; kind: "freeIndex"; slot: number }
  | { on: "pool"; kind: "releaseBatch"; word: number; mask: number }
  | { on: "pool"; kind: "free"; addr: number }
  | { on: "pool"; kind: "claimBatch"; maxSlots: number };

const weirdNumber = fc.oneof(fc.integer({ min: -(2 ** 33), max: 2 ** 33 }), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, 2 ** 53, -1));
const anyValue = fc.oneof(weirdNumber, fc.constantFrom("x", "", null, undefined, {}, 1n, true));
const className = fc.constantFrom("micro", "small", "medium", "large", "huge", "", "Micro");

const misuse: fc.Arbitrary<Misuse> = fc.oneof(
  fc.record({
    on: fc.constant("space" as const),
    kind: fc.constantFrom("owned" as const, "stale" as const, "generation" as const, "offset" as const, "foreign" as const, "class" as const),
    pick: fc.nat(),
    n: weirdNumber,
    sizeClass: className,
  }),
  fc.record({ on: fc.constant("space" as const), kind: fc.constant("alloc" as const), sizeClass: className, bytes: anyValue }),
  fc.record({ on: fc.constant("heap" as const), kind: fc.constant("alloc" as const), bytes: anyValue, blockKind: anyValue, tag: anyValue }),
  fc.record({ on: fc.constant("heap" as const), kind: fc.constant("free" as const), addr: weirdNumber }),
  fc.record({ on: fc.constant("pool" as const), kind: fc.constant("freeIndex" as const), slot: weirdNumber }),
  fc.record({ on: fc.constant("pool" as const), kind: fc.constant("releaseBatch" as const), word: fc.integer({ min: -2, max: 4 }), mask: weirdNumber }),
  fc.record({ on: fc.constant("pool" as const), kind: fc.constant("free" as const), addr: weirdNumber }),
  fc.record({
    on: fc.constant("pool" as const),
    kind: fc.constant("claimBatch" as const),
    maxSlots: fc.oneof(fc.integer({ min: -3, max: 0 }), fc.integer({ min: 33, max: 99 }), fc.constantFrom(NaN, 0.5, Infinity)),
  }),
);

/** What each structure looks like from outside: must not move under a misuse. */
function snapshot(space: AddressSpace, heap: Heap, pool: BitmapPool): string {
  return JSON.stringify([space.stats(), heap.stats(), pool.freeCount, [...Array(pool.capacity).keys()].filter((slot) => pool.isSlotAllocated(slot))]);
}

describe("nothing public corrupts the allocator", () => {
  test("random misuses throw typed errors and change nothing", () => {
    fc.assert(
      fc.property(fc.array(misuse, { minLength: 1, maxLength: 30 }), (misuses) => {
        const space = new AddressSpace({ pools: { micro: 64, small: 8, medium: 2 } });
        const classes: SizeClass[] = ["micro", "small", "medium", "large"];
        const plain: StackRef[] = classes.map((c) => space.allocStack(c));
        const owned: StackRef[] = classes.map((c) => allocOwnedStack(space, c));
        const stale: StackRef[] = classes.map((c) => {
          const ref = space.allocStack(c);
          space.freeStack(ref);
          return ref;
        });
        const heapBuffer = new SharedArrayBuffer(1 << 16, { maxByteLength: 1 << 18 });
        const heap = Heap.init(heapBuffer, 0, 2048);
        const heapBlocks = [heap.alloc(100), heap.alloc(3000)];
        const poolBuffer = new SharedArrayBuffer(BitmapPool.bytesNeeded(64, 70));
        const pool = new BitmapPool(poolBuffer, 0, 64, 70);
        for (let i = 0; i < 40; i++) pool.alloc();
        const before = snapshot(space, heap, pool);
        const isPlainLive = (ref: StackRef): boolean =>
          plain.some((p) => p.addr === ref.addr && p.generation === ref.generation && p.sizeClass === ref.sizeClass);

        for (const m of misuses) {
          let call: (() => unknown) | null = null;
          if (m.on === "space" && m.kind === "alloc") {
            if (
              classes.includes(m.sizeClass as SizeClass) &&
              (m.bytes === undefined || (typeof m.bytes === "number" && Number.isInteger(m.bytes) && m.bytes > 0))
            )
              continue; // maybe a valid call
            call = () => space.allocStack(m.sizeClass as SizeClass, m.bytes as number);
          } else if (m.on === "space") {
            const base = [...plain, ...owned][m.pick % 8];
            let ref: StackRef;
            if (m.kind === "owned") ref = { ...owned[m.pick % owned.length] };
            else if (m.kind === "stale") ref = { ...stale[m.pick % stale.length] };
            else if (m.kind === "generation") ref = { ...base, generation: m.n };
            else if (m.kind === "offset") ref = { ...base, addr: base.addr + m.n };
            else if (m.kind === "foreign") ref = { ...base, addr: m.n };
            else ref = { ...base, sizeClass: m.sizeClass as SizeClass };
            if (isPlainLive(ref)) continue; // a valid free, not a misuse
            call = () => space.freeStack(ref);
          } else if (m.on === "heap" && m.kind === "alloc") {
            call = () => heap.alloc(m.bytes as number, m.blockKind as never, m.tag as number);
            const validKind = m.blockKind === undefined || m.blockKind === 2 || m.blockKind === 3 || m.blockKind === 4 || m.blockKind === 6;
            const validTag = m.tag === undefined || (typeof m.tag === "number" && Number.isInteger(m.tag) && m.tag >= 0 && m.tag < 2 ** 32);
            if (validKind && validTag && typeof m.bytes === "number" && Number.isInteger(m.bytes) && m.bytes > 0) continue;
          } else if (m.on === "heap") {
            if (heapBlocks.includes(m.addr)) continue;
            call = () => heap.free(m.addr);
          } else if (m.kind === "freeIndex") {
            if (Number.isInteger(m.slot) && m.slot >= 0 && m.slot < pool.capacity && pool.isSlotAllocated(m.slot)) continue;
            call = () => pool.freeIndex(m.slot);
          } else if (m.kind === "releaseBatch") {
            // Slots 0..39 are allocated (lowest first): any mask of word 0, or of word 1's low 8 bits, is a valid release.
            const int32Mask = m.mask !== 0 && m.mask === m.mask >> 0;
            if (int32Mask && (m.word === 0 || (m.word === 1 && (m.mask & ~0xff) === 0))) continue;
            call = () => pool.releaseBatch(m.word, m.mask);
          } else if (m.kind === "free") {
            if (pool.isAllocated(m.addr)) continue;
            call = () => pool.free(m.addr);
          } else {
            call = () => pool.claimBatch(m.maxSlots);
          }
          let outcome: unknown;
          let error: unknown = null;
          try {
            outcome = call();
          } catch (caught) {
            error = caught;
          }
          if (error === null) {
            // Only the boolean calls may answer instead of throwing, and then they answer no.
            expect(m.on === "pool" && (m.kind === "freeIndex" || m.kind === "releaseBatch")).toBe(true);
            expect(outcome).toBe(false);
          } else {
            expect(error instanceof TypeError || error instanceof RangeError || error instanceof CoroError).toBe(true);
            expect((error as Error).message).not.toMatch(/internal error/);
          }
          space.checkMemory();
          checkHeap(heapBuffer, 0);
          checkBitmapPool(poolBuffer, 0);
          expect(snapshot(space, heap, pool)).toBe(before);
        }
      }),
      { numRuns: runs(60) },
    );
  });
});
