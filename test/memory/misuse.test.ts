/**
 * Nothing public corrupts the allocator (issue 9): owned stacks refuse the
 * public free, the heap refuses unknown block kinds, a BitmapPool refuses
 * indices outside itself, and the validators refuse what they do not check.
 */
import { describe, expect, it } from "vitest";
import { AllocatorError } from "../../src/errors.js";
import {
  AddressSpace,
  BitmapPool,
  HEAP_CONTROL_BYTES,
  Heap,
  checkAddressSpaceBuffer,
  checkBitmapPool,
  checkHeap,
  checkMemory,
  type StackRef,
} from "../../src/memory/index.js";
import { allocOwnedStack, freeOwnedStack } from "../../src/memory/address-space.js";
import { BLOCK_FREE, BLOCK_QUICK, BLOCK_SENTINEL, HEAP_CONTROL_BYTE_OFFSET } from "../../src/memory/layout.js";

const SMALL_POOLS = { micro: 4, small: 2, medium: 1 };

describe("owned stacks", () => {
  it.each(["micro", "small", "medium", "large"] as const)(
    "freeStack refuses an owned %s stack, naming it, and changes nothing; its owner frees it",
    (sizeClass) => {
      const space = new AddressSpace({ pools: SMALL_POOLS });
      const ref = allocOwnedStack(space, sizeClass);
      const stats = space.stats();
      expect(() => space.freeStack(ref)).toThrow(AllocatorError);
      expect(() => space.freeStack({ ...ref })).toThrow(new RegExp(`the ${sizeClass} stack at byte offset ${ref.addr} is owned`));
      expect(space.isLive(ref)).toBe(true);
      expect(space.stats()).toEqual(stats);
      space.checkMemory();
      freeOwnedStack(space, ref);
      expect(space.isLive(ref)).toBe(false);
      expect(() => freeOwnedStack(space, ref)).toThrow(AllocatorError); // the owner's path refuses a double free too
      space.checkMemory();
    },
  );

  it("a slot freed by its owner and handed out again is a plain stack: the old owned ref is stale", () => {
    const space = new AddressSpace({ pools: { micro: 1, small: 0, medium: 0 } });
    const owned = allocOwnedStack(space, "micro");
    freeOwnedStack(space, owned);
    const plain = space.allocStack("micro");
    expect(plain.addr).toBe(owned.addr);
    expect(() => space.freeStack(owned)).toThrow(/stale StackRef/);
    space.freeStack(plain);
    space.checkMemory();
  });

  it("a coroutine's stack segments are owned: a copy of a chained segment's ref cannot be freed under the running coroutine", async () => {
    const { Runtime, call, coro, yieldNow, bytes } = await import("../../src/index.js");
    const rt = new Runtime({ pools: SMALL_POOLS });
    let error: unknown = null;
    const big = coro({ name: "big", locals: { buf: bytes(1000) } }, function* () {
      yield* yieldNow();
    });
    const root = coro({ name: "root", calls: [] }, function* () {
      yield* call(big);
    });
    const t = rt.spawn(root);
    rt.spawn(function* thief() {
      // root is parked in big's frame, on the small segment it chained
      const segment = rt.dump().coroutines.find((c) => c.id === t.id)!.stack.segments[1];
      const small = rt.memory.refAt(segment.sizeClass as "small", segment.addr)!;
      try {
        rt.memory.freeStack(small);
      } catch (caught) {
        error = caught;
      }
    });
    rt.run();
    expect(error).toBeInstanceOf(AllocatorError);
    expect((error as Error).message).toMatch(/small stack at byte offset \d+ is owned/);
    rt.memory.checkMemory();
    expect(rt.stats().memory.small.used).toBe(0);
  });

  it("checkMemory names a slot marked owned but not handed out", () => {
    const space = new AddressSpace({ pools: { micro: 1, small: 0, medium: 0 } });
    const layout = space.layout();
    new Uint32Array(space.buffer, layout.pools[0].addr, 1)[0] = 2; // the owned bit on a free slot
    expect(() => space.checkMemory()).toThrow(/slot 0 is marked owned \(generation 2\) but not handed out/);
  });
});

describe("Heap.alloc() block kinds and tags", () => {
  function makeHeap(): Heap {
    return Heap.init(new SharedArrayBuffer(1 << 16), 0, 2048);
  }
  it.each([
    ["FREE", BLOCK_FREE],
    ["QUICK", BLOCK_QUICK],
    ["SENTINEL", BLOCK_SENTINEL],
    ["0", 0],
    ["99", 99],
    ["LARGE with a flag bit", 2 | (1 << 16)],
    ["-1", -1],
    ["NaN", NaN],
    ['"2"', "2"],
  ])("refuses kind %s with a RangeError naming it, changing nothing", (_what, kind) => {
    const heap = makeHeap();
    const stats = heap.stats();
    expect(() => heap.alloc(64, kind as never)).toThrow(RangeError);
    expect(() => heap.alloc(64, kind as never)).toThrow(/Heap.alloc: kind must be one of/);
    expect(heap.stats()).toEqual(stats);
    checkHeap(heap.buffer, 0);
  });

  it.each([-1, 1.5, 2 ** 32, NaN, "x"])("refuses tag %s with a RangeError naming it", (tag) => {
    const heap = makeHeap();
    expect(() => heap.alloc(64, undefined, tag as never)).toThrow(/Heap.alloc: tag must be an integer from 0 to 2\^32 - 1, received/);
    checkHeap(heap.buffer, 0);
  });
});

describe("BitmapPool indices outside the pool", () => {
  function makePool(slots: number): { buffer: SharedArrayBuffer; pool: BitmapPool } {
    const buffer = new SharedArrayBuffer(BitmapPool.bytesNeeded(64, slots));
    return { buffer, pool: new BitmapPool(buffer, 0, 64, slots) };
  }

  it.each([-1, 40, 1e9, 1.5, NaN])("freeIndex(%s) is a RangeError naming the index, and the padding bits stay set", (slot) => {
    const { buffer, pool } = makePool(40); // 24 padding bits in the second bitmap word
    expect(() => pool.freeIndex(slot)).toThrow(RangeError);
    expect(() => pool.freeIndex(slot)).toThrow(/slot must be an integer from 0 to 39, received/);
    expect(pool.freeCount).toBe(40);
    checkBitmapPool(buffer, 0);
  });

  it.each([
    ["a word past the bitmap", 2, 1],
    ["a negative word", -1, 1],
    ["padding bits of the last word", 1, 1 << 8],
    ["a zero mask", 0, 0],
    ["a fractional mask", 0, 1.5],
  ])("releaseBatch refuses %s with a RangeError", (_what, wordIndex, mask) => {
    const { buffer, pool } = makePool(40);
    pool.claimBatch(32);
    expect(() => pool.releaseBatch(wordIndex, mask)).toThrow(RangeError);
    expect(pool.freeCount).toBe(8);
    checkBitmapPool(buffer, 0);
  });

  it("releaseBatch of a mask with a slot that is not allocated returns false and changes nothing", () => {
    const { buffer, pool } = makePool(40);
    pool.claimBatch(3); // slots 0, 1, 2
    expect(pool.releaseBatch(0, 0b1111)).toBe(false); // slot 3 was never allocated
    expect([0, 1, 2, 3].map((slot) => pool.isSlotAllocated(slot))).toEqual([true, true, true, false]);
    expect(pool.releaseBatch(0, 0b111)).toBe(true);
    expect(pool.freeCount).toBe(40);
    checkBitmapPool(buffer, 0);
  });

  it.each([0, 33, 0.5, NaN])("claimBatch(%s) is a RangeError (a zero batch used to retry forever)", (maxSlots) => {
    const { pool } = makePool(40);
    expect(() => pool.claimBatch(maxSlots)).toThrow(/maxSlots must be an integer from 1 to 32/);
    expect(pool.freeCount).toBe(40);
  });
});

describe("validators given something they do not check", () => {
  const space = new AddressSpace({ pools: SMALL_POOLS });
  const notAnything = new SharedArrayBuffer(1 << 16);

  it.each([
    ["checkMemory(null)", () => checkMemory(null as never), /checkMemory: expected an AddressSpace \(rt.memory\), received null/],
    ["checkMemory({ buffer })", () => checkMemory({ buffer: space.buffer } as never), /checkMemory: expected an AddressSpace .*received an object/],
    ["checkMemory(a Proxy of a space)", () => checkMemory(new Proxy(space, {})), /checkMemory: expected an AddressSpace/],
    [
      "checkAddressSpaceBuffer(an ArrayBuffer)",
      () => checkAddressSpaceBuffer(new ArrayBuffer(8) as never),
      /buffer must be a SharedArrayBuffer, received an object \(ArrayBuffer\)/,
    ],
    ["checkAddressSpaceBuffer(a blank buffer)", () => checkAddressSpaceBuffer(notAnything), /not a cprime-coro address space/],
    ["checkHeap(a blank buffer, 0)", () => checkHeap(notAnything, 0), /checkHeap: there is no heap control block at byte offset 0/],
    ["checkHeap(space.buffer, the header)", () => checkHeap(space.buffer, 0), /no heap control block at byte offset 0/],
    ["checkHeap(buffer, 3)", () => checkHeap(space.buffer, 3), /controlByteOffset must be a multiple of 8 .*received 3/],
    ["checkHeap(buffer, past the end)", () => checkHeap(notAnything, 1 << 16), /controlByteOffset .*received 65536/],
    ["checkHeap(buffer, '128')", () => checkHeap(space.buffer, "128" as never), /received "128"/],
    ["checkBitmapPool(a blank buffer, 0)", () => checkBitmapPool(notAnything, 0), /checkBitmapPool: there is no BitmapPool at byte offset 0/],
    ["checkBitmapPool(buffer, -8)", () => checkBitmapPool(notAnything, -8), /base must be a multiple of 8 .*received -8/],
    ["checkBitmapPool(undefined, 0)", () => checkBitmapPool(undefined as never, 0), /buffer must be a SharedArrayBuffer, received undefined/],
  ])("%s is a TypeError or RangeError naming it, never an internal error", (_what, call, message) => {
    let error: unknown = null;
    try {
      call();
    } catch (caught) {
      error = caught;
    }
    expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/internal error/);
  });

  it("a real structure still passes, and a real break is still an internal error", () => {
    checkMemory(space);
    checkHeap(space.buffer, HEAP_CONTROL_BYTE_OFFSET);
    expect(HEAP_CONTROL_BYTES).toBeGreaterThan(0);
    const refs: StackRef[] = [space.allocStack("micro")];
    const layout = space.layout();
    const bitmapWord = new Int32Array(space.buffer, layout.pools[0].base + 16, 1);
    const saved = bitmapWord[0];
    bitmapWord[0] = 0; // a handed-out slot's bit cleared behind the allocator's back
    expect(() => checkMemory(space)).toThrow(/internal error \(please report\)/);
    bitmapWord[0] = saved;
    for (const ref of refs) space.freeStack(ref);
    checkMemory(space);
  });
});
