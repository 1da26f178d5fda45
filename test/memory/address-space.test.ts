import { describe, expect, it } from "vitest";
import { AllocatorError, OutOfMemoryError } from "../../src/errors.js";
import {
  AddressSpace,
  DEFAULT_LARGE_STACK_BYTES,
  HEADER_BYTES,
  SIZE_CLASSES,
  SIZE_CLASS_BYTES,
  checkMemory,
  type MemoryStats,
  type SizeClass,
  type StackRef,
} from "../../src/memory/index.js";
import {
  BLK_SIZE_I32,
  BP_SUMMARY_I32,
  CACHE_BATCH,
  CACHE_CAPACITY,
  HC_FL_BITMAP_I32,
  HDR_CLASS_STATS_I32,
  HEAP_BLOCK_HEADER_BYTES,
  HEAP_CONTROL_BYTE_OFFSET,
  MAX_THREADS,
  POOL_BASE_BYTE_OFFSET_I32,
  TR_ENTRIES_I32,
  poolRecordI32,
  summaryWordsFor,
  threadTableI32,
} from "../../src/memory/layout.js";

const SMALL_POOLS = { micro: 64, small: 8, medium: 2 };
const POOL_CLASS_NAMES = ["micro", "small", "medium"] as const;

function smallSpace(maxBytes?: number): AddressSpace {
  return new AddressSpace({ pools: SMALL_POOLS, maxBytes });
}

/** Everything an operation that fails must leave as it was. */
function observable(space: AddressSpace): unknown {
  return { stats: space.stats(), layout: space.layout() };
}

describe("AddressSpace construction", () => {
  it("defaults: 10 000 micro, 1 000 small, 100 medium slots; 1 GiB limit; a size rounded to 64 KiB", () => {
    const space = new AddressSpace();
    const stats = space.stats();
    expect([stats.micro.capacity, stats.small.capacity, stats.medium.capacity]).toEqual([10_000, 1_000, 100]);
    expect(stats.bufferBytes % 65536).toBe(0);
    expect(space.buffer.maxByteLength).toBe(1 << 30);
    expect(stats.heap.freeBytes).toBeGreaterThanOrEqual(1 << 20);
    space.checkMemory();
  });

  it("honours pools, bytes and maxBytes", () => {
    const space = new AddressSpace({ pools: { micro: 3, small: 0, medium: 1 }, bytes: 1 << 20, maxBytes: 1 << 24 });
    expect(space.buffer.byteLength).toBe(1 << 20);
    expect(space.buffer.maxByteLength).toBe(1 << 24);
    expect(space.stats().micro.capacity).toBe(3);
    expect(space.stats().small.capacity).toBe(0);
    checkMemory(space);
  });

  it("a bytes option smaller than the pools need still fits the pools", () => {
    const space = new AddressSpace({ bytes: 4096, pools: SMALL_POOLS });
    expect(space.buffer.byteLength).toBeGreaterThan(HEADER_BYTES);
    space.checkMemory();
  });

  it.each([
    ["bytes: -1", { bytes: -1 }, RangeError, /bytes .* received -1/],
    ["bytes: 1.5", { bytes: 1.5 }, RangeError, /received 1.5/],
    ["maxBytes past 4 GiB", { maxBytes: 2 ** 32 }, RangeError, /maxBytes .* received 4294967296/],
    ["bytes over maxBytes", { bytes: 1 << 24, maxBytes: 1 << 23 }, RangeError, /bytes 16777216 exceeds maxBytes 8388608/],
    ["pools that do not fit maxBytes", { maxBytes: 1 << 20 }, RangeError, /need \d+ bytes, more than maxBytes 1048576/],
    ["a negative pool count", { pools: { micro: -1 } }, RangeError, /pools.micro .* received -1/],
    ["an unknown pool class", { pools: { huge: 1 } as never }, RangeError, /unknown pool class "huge"/],
    ["a pools value that is not an object", { pools: 5 as never }, TypeError, /pools must be an object/],
    ["a buffer that is not shared", { buffer: new ArrayBuffer(8) as never }, TypeError, /SharedArrayBuffer/],
    ["a shared buffer without an address space", { buffer: new SharedArrayBuffer(HEADER_BYTES) }, TypeError, /not a cprime-coro address space/],
  ])("refuses %s", (_what, options, error, message) => {
    expect(() => new AddressSpace(options)).toThrow(error);
    expect(() => new AddressSpace(options)).toThrow(message);
  });
});

describe("AddressSpace.allocStack()", () => {
  it.each(POOL_CLASS_NAMES)("a %s stack is a slot of the class size, 16-byte aligned, inside the buffer", (sizeClass) => {
    const space = smallSpace();
    const ref = space.allocStack(sizeClass);
    expect(ref.sizeClass).toBe(sizeClass);
    expect(ref.bytes).toBe(SIZE_CLASS_BYTES[sizeClass]);
    expect(ref.addr % 16).toBe(0);
    expect(ref.addr + ref.bytes).toBeLessThanOrEqual(space.buffer.byteLength);
    expect(space.isLive(ref)).toBe(true);
    expect(space.stats()[sizeClass]).toEqual({ capacity: SMALL_POOLS[sizeClass], used: 1, free: SMALL_POOLS[sizeClass] - 1, highWater: 1 });
    space.checkMemory();
  });

  it("a pool class accepts bytes up to its slot size", () => {
    const space = smallSpace();
    expect(space.allocStack("micro", 256).bytes).toBe(256);
    expect(space.allocStack("small", 1).bytes).toBe(2048);
  });

  it("a large stack is 64 KiB by default, else the bytes asked rounded up to 16", () => {
    const space = smallSpace();
    const byDefault = space.allocStack("large");
    expect(byDefault.bytes).toBe(DEFAULT_LARGE_STACK_BYTES);
    const odd = space.allocStack("large", 100);
    expect(odd.bytes).toBe(112);
    expect(odd.addr % 16).toBe(0);
    expect(space.stats().large).toEqual({ count: 2, usedBytes: 65536 + 112 });
    space.checkMemory();
  });

  it("large generations are never reused, so a block at a reused address has a new one", () => {
    const space = smallSpace();
    const first = space.allocStack("large", 1000);
    space.freeStack(first);
    const second = space.allocStack("large", 1000);
    expect(second.addr).toBe(first.addr);
    expect(second.generation).not.toBe(first.generation);
    expect(space.isLive(first)).toBe(false);
    expect(() => space.freeStack(first)).toThrow(AllocatorError);
  });

  it.each([
    ["huge", undefined, RangeError, /"huge"/],
    ["", undefined, RangeError, /unknown size class ""/],
    [42, undefined, TypeError, /received 42/],
    [undefined, undefined, TypeError, /received undefined/],
    ["micro", 257, RangeError, /257 bytes do not fit a micro stack \(256 bytes\)/],
    ["medium", 16385, RangeError, /16385 bytes/],
    ["micro", 0, RangeError, /positive integer, received 0/],
    ["small", 1.5, RangeError, /received 1.5/],
    ["small", Number.NaN, RangeError, /received NaN/],
    ["large", -64, RangeError, /received -64/],
    ["large", 2 ** 32, RangeError, /received 4294967296/],
    ["large", "64" as never, RangeError, /received "64"/],
  ])("allocStack(%s, %s) is refused with a typed error naming the value, changing nothing", (sizeClass, bytes, error, message) => {
    const space = smallSpace();
    const before = observable(space);
    expect(() => space.allocStack(sizeClass as SizeClass, bytes)).toThrow(error);
    expect(() => space.allocStack(sizeClass as SizeClass, bytes)).toThrow(message);
    expect(observable(space)).toEqual(before);
  });
});

describe("AddressSpace.freeStack()", () => {
  it.each(SIZE_CLASSES)("returns a %s stack: isLive turns false, used goes down, highWater stays", (sizeClass) => {
    const space = smallSpace();
    const ref = space.allocStack(sizeClass);
    space.freeStack(ref);
    expect(space.isLive(ref)).toBe(false);
    const stats = space.stats();
    if (sizeClass === "large") expect(stats.large).toEqual({ count: 0, usedBytes: 0 });
    else expect(stats[sizeClass]).toMatchObject({ used: 0, highWater: 1 });
    space.checkMemory();
  });

  it("bumps the slot's generation on free and again on hand-out: a handed-out slot's generation is odd", () => {
    const space = new AddressSpace({ pools: { micro: 1, small: 0, medium: 0 } });
    const first = space.allocStack("micro");
    expect(first.generation % 2).toBe(1);
    space.freeStack(first);
    const second = space.allocStack("micro");
    expect(second.addr).toBe(first.addr);
    expect(second.generation).toBe(first.generation + 4); // the incarnation moves on by one per free (bits 2 and up)
    expect(space.isLive(first)).toBe(false);
    expect(space.isLive(second)).toBe(true);
  });

  const refusals: Array<[string, (space: AddressSpace) => StackRef, RegExp]> = [
    [
      "a double free",
      (space) => {
        const ref = space.allocStack("micro");
        space.freeStack(ref);
        return ref;
      },
      /not allocated \(double free\?\)/,
    ],
    [
      "a stale ref whose slot was handed out again",
      (space) => {
        const ref = space.allocStack("small");
        space.freeStack(ref);
        const again = space.allocStack("small");
        expect(again.addr).toBe(ref.addr);
        return ref;
      },
      /stale StackRef .* generation 1, the slot is at generation 5/,
    ],
    ["a ref from another address space", () => ({ addr: 1 << 28, bytes: 256, sizeClass: "micro", generation: 0 }), /not in any micro pool .*foreign/],
    ["a misaligned address", (space) => ({ ...space.allocStack("micro"), addr: space.allocStack("micro").addr + 16 }), /not the start of a micro slot/],
    ["a ref of the wrong class", (space) => ({ ...space.allocStack("micro"), sizeClass: "small" }), /not in any small pool/],
    ["a forged generation", (space) => ({ ...space.allocStack("medium"), generation: 99 }), /stale StackRef .* generation 99/],
    [
      "a freed ref forged to its cached slot's generation",
      (space) => {
        const ref = space.allocStack("micro");
        space.freeStack(ref);
        return { ...ref, generation: ref.generation + 1 };
      },
      /not allocated \(double free\?\)/,
    ],
    [
      "a never handed-out slot",
      (space) => ({ ...space.allocStack("micro"), addr: space.layout().pools[0].slotsAddr + 256 * 63, generation: 0 }),
      /not allocated/,
    ],
    [
      "a large double free",
      (space) => {
        const ref = space.allocStack("large");
        space.freeStack(ref);
        return ref;
      },
      /no live large stack at byte offset \d+ with generation 1/,
    ],
    ["a large ref inside a block", (space) => ({ ...space.allocStack("large"), addr: space.allocStack("large").addr + 64 }), /no live large stack/],
  ];
  it.each(refusals)("refuses %s with AllocatorError, changing nothing", (_what, makeRef, message) => {
    const space = smallSpace();
    const ref = makeRef(space);
    const before = observable(space);
    expect(() => space.freeStack(ref)).toThrow(AllocatorError);
    expect(() => space.freeStack(ref)).toThrow(message);
    expect(observable(space)).toEqual(before);
    space.checkMemory();
  });

  it("refuses what is not a StackRef with a TypeError or RangeError", () => {
    const space = smallSpace();
    expect(() => space.freeStack(null as never)).toThrow(TypeError);
    expect(() => space.freeStack(7 as never)).toThrow(/received 7/);
    expect(() => space.freeStack({ addr: 0, bytes: 0, sizeClass: "huge" as never, generation: 0 })).toThrow(/"huge"/);
  });

  it("isLive() is false for anything that is not a live ref, and never throws", () => {
    const space = smallSpace();
    expect(space.isLive(null as never)).toBe(false);
    expect(space.isLive({ addr: 0, bytes: 0, sizeClass: "huge" as never, generation: 0 })).toBe(false);
    expect(space.isLive({ addr: 3, bytes: 256, sizeClass: "micro", generation: 0 })).toBe(false);
    expect(space.isLive({ addr: 123456, bytes: 0, sizeClass: "large", generation: 0 })).toBe(false);
  });
});

describe("AddressSpace.refAt()", () => {
  it.each(POOL_CLASS_NAMES)("rebuilds the ref of a handed-out %s slot, and nothing once it is freed", (sizeClass) => {
    const space = smallSpace();
    const ref = space.allocStack(sizeClass);
    expect(space.refAt(sizeClass, ref.addr)).toEqual(ref);
    space.freeStack(space.refAt(sizeClass, ref.addr)!); // an owner that kept only the address frees through it
    expect(space.refAt(sizeClass, ref.addr)).toBeNull();
    expect(space.isLive(ref)).toBe(false);
    space.checkMemory();
  });

  it("is null for an address that is no slot start, another class's slot, or a large stack", () => {
    const space = smallSpace();
    const micro = space.allocStack("micro");
    const large = space.allocStack("large");
    expect(space.refAt("micro", micro.addr + 16)).toBeNull();
    expect(space.refAt("small", micro.addr)).toBeNull();
    expect(space.refAt("micro", 0)).toBeNull();
    expect(space.refAt("large", large.addr)).toBeNull();
  });

  it("isLive refuses a forged ref whatever its generation, even -1", () => {
    const space = smallSpace();
    const micro = space.allocStack("micro");
    expect(space.isLive({ ...micro, addr: micro.addr + 16 })).toBe(false);
    expect(space.isLive({ ...micro, addr: micro.addr + 16, generation: -1 })).toBe(false);
    expect(space.isLive(micro)).toBe(true);
  });
});

describe("AddressSpace growth", () => {
  it("carves a new pool when a class is full; the buffer grows and no stack moves", () => {
    const space = new AddressSpace({ pools: { micro: 10, small: 0, medium: 0 }, bytes: 1 << 16 });
    const bufferBefore = space.buffer.byteLength;
    const refs = Array.from({ length: 10 }, (_, index) => {
      const ref = space.allocStack("micro");
      new Uint8Array(space.buffer, ref.addr, 256).fill(index + 1);
      return ref;
    });
    const carved = space.allocStack("micro");
    expect(space.buffer.byteLength).toBeGreaterThan(bufferBefore);
    expect(space.stats().micro.capacity).toBeGreaterThanOrEqual(10 + 4096);
    refs.forEach((ref, index) => expect(new Uint8Array(space.buffer, ref.addr, 256).every((byte) => byte === index + 1)).toBe(true));
    expect(space.layout().pools.map((pool) => pool.placement)).toEqual(["micro-region", "heap"]);
    space.freeStack(carved);
    space.checkMemory();
  });

  it.each(["small", "medium"] as const)("carves %s pools too, with no pre-allocated pool at all", (sizeClass) => {
    const space = new AddressSpace({ pools: { micro: 0, small: 0, medium: 0 } });
    const ref = space.allocStack(sizeClass);
    expect(space.stats()[sizeClass].capacity).toBeGreaterThan(0);
    space.freeStack(ref);
    space.checkMemory();
  });

  it("carved pools grow with the class, so 200 000 micro stacks need only a few pools", () => {
    const space = new AddressSpace({ pools: { micro: 10_000, small: 0, medium: 0 } });
    const refs: StackRef[] = [];
    for (let index = 0; index < 200_000; index++) refs.push(space.allocStack("micro"));
    const pools = space.layout().pools;
    expect(pools.length).toBeLessThanOrEqual(8);
    expect(space.stats().micro.used).toBe(200_000);
    expect(new Set(refs.map((ref) => ref.addr)).size).toBe(200_000);
    space.checkMemory();
    for (const ref of refs) space.freeStack(ref); // binary search over the pools
    expect(space.stats().micro).toMatchObject({ used: 0, highWater: 200_000 });
    space.checkMemory();
  });

  it("OutOfMemoryError names the class, what was asked and what is left; nothing changes", () => {
    const space = new AddressSpace({ pools: { micro: 16, small: 0, medium: 0 }, maxBytes: 1 << 20 });
    const refs: StackRef[] = [];
    let error: unknown;
    try {
      for (;;) refs.push(space.allocStack("micro"));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    const message = String((error as Error).message);
    expect(message).toMatch(/cannot allocate a micro stack \(256 bytes\)/);
    expect(message).toMatch(new RegExp(`all ${refs.length} micro slots are in use`));
    expect(message).toMatch(/heap has \d+ bytes free \(largest free block \d+ bytes\)/);
    expect(message).toMatch(/maxBytes 1048576 \(0 bytes left to grow\)/);
    const before = observable(space);
    expect(() => space.allocStack("micro")).toThrow(OutOfMemoryError);
    expect(observable(space)).toEqual(before);
    expect(() => space.allocStack("large", 1 << 19)).toThrow(/cannot allocate a large stack of 524288 bytes/);
    expect(observable(space)).toEqual(before);
    space.freeStack(refs[3]);
    expect(space.allocStack("micro").addr).toBe(refs[3].addr);
    space.checkMemory();
  });

  it("addresses above 2 GiB work (unsigned arithmetic)", () => {
    const space = new AddressSpace({ pools: { micro: 0, small: 0, medium: 0 }, maxBytes: 2 ** 32 - 8 });
    const low = space.allocStack("large", 2 ** 31 + 4096);
    const high = space.allocStack("large", 4096);
    expect(high.addr).toBeGreaterThan(2 ** 31);
    const micro = space.allocStack("micro");
    expect(micro.addr).toBeGreaterThan(2 ** 31);
    expect(space.isLive(high)).toBe(true);
    new Uint8Array(space.buffer, high.addr, 16).fill(7);
    space.checkMemory();
    space.freeStack(micro);
    space.freeStack(high);
    space.freeStack(low);
    expect(space.stats().large).toEqual({ count: 0, usedBytes: 0 });
    space.checkMemory();
  });
});

describe("AddressSpace attached through its buffer", () => {
  it("a second AddressSpace sees, frees and carves in a space created with { shared: true }", () => {
    const space = new AddressSpace({ pools: { micro: 4, small: 1, medium: 0 }, shared: true });
    const other = new AddressSpace({ buffer: space.buffer, pools: { micro: 999 } });
    const mine = space.allocStack("micro");
    expect(other.isLive(mine)).toBe(true);
    other.freeStack(mine);
    expect(space.isLive(mine)).toBe(false);
    const refs = Array.from({ length: 6 }, () => other.allocStack("micro")); // carves a pool
    const large = other.allocStack("large");
    for (const ref of refs) space.freeStack(ref); // finds the pool it did not carve
    space.freeStack(large);
    expect(space.stats()).toEqual(other.stats());
    expect(space.stats().micro.used).toBe(0);
    space.checkMemory();
  });

  it("refuses to attach to a space not created with { shared: true }, changing nothing", () => {
    const space = smallSpace();
    const ref = space.allocStack("micro");
    const before = observable(space);
    expect(() => new AddressSpace({ buffer: space.buffer })).toThrow(AllocatorError);
    expect(() => new AddressSpace({ buffer: space.buffer })).toThrow(/not created with \{ shared: true \}.*create the owner with \{ shared: true \}/);
    expect(observable(space)).toEqual(before);
    expect(space.shared).toBe(false);
    space.freeStack(ref);
    space.checkMemory();
  });

  it("refuses a shared option that is not a boolean", () => {
    expect(() => new AddressSpace({ shared: "yes" as never })).toThrow(/shared must be a boolean, received "yes"/);
  });

  it("each attached object registers a thread record; detach() gives its cached slots back and unregisters it", () => {
    const space = new AddressSpace({ pools: SMALL_POOLS, shared: true });
    const other = new AddressSpace({ buffer: space.buffer });
    expect(other.shared).toBe(true);
    expect(space.layout().threads.map((thread) => thread.index)).toEqual([0, 1]);
    const refs = Array.from({ length: 5 }, () => other.allocStack("micro"));
    other.freeStack(refs.pop()!);
    expect(space.layout().threads[1].cached.micro).toBeGreaterThan(0);
    const before = space.stats();
    const classStats = (stats: MemoryStats) => [stats.micro, stats.small, stats.medium, stats.large];
    other.detach();
    other.detach(); // idempotent
    expect(classStats(space.stats())).toEqual(classStats(before));
    expect(space.stats().heap.usedBytes).toBeLessThan(before.heap.usedBytes); // its thread record went back to the heap
    const layout = space.layout();
    expect(layout.threads.map((thread) => thread.index)).toEqual([0]);
    expect(layout.pools[0]).toMatchObject({ used: 4, cached: 0, usedRuns: [[0, 4]] });
    expect(() => other.allocStack("micro")).toThrow(/detached/);
    expect(() => other.allocStack("large")).toThrow(/detached/);
    expect(() => other.freeStack(refs[0])).toThrow(/detached/);
    expect(other.isLive(refs[0])).toBe(true);
    expect(classStats(space.stats())).toEqual(classStats(before));
    for (const ref of refs) space.freeStack(ref);
    space.checkMemory();
  });

  it(`at most ${MAX_THREADS} objects attach at once; detach() frees an entry`, () => {
    const space = new AddressSpace({ pools: SMALL_POOLS, shared: true });
    const attached = Array.from({ length: MAX_THREADS - 1 }, () => new AddressSpace({ buffer: space.buffer }));
    const before = observable(space);
    expect(() => new AddressSpace({ buffer: space.buffer })).toThrow(AllocatorError);
    expect(() => new AddressSpace({ buffer: space.buffer })).toThrow(new RegExp(`${MAX_THREADS} AddressSpace objects are already attached`));
    expect(observable(space)).toEqual(before);
    attached[7].detach();
    const late = new AddressSpace({ buffer: space.buffer });
    expect(late.layout().threads.map((thread) => thread.index)).toContain(8);
    space.checkMemory();
  });
});

describe("AddressSpace.stats() and layout()", () => {
  it("stats: used + free == capacity, highWater tracks the peak", () => {
    const space = smallSpace();
    const refs = Array.from({ length: 5 }, () => space.allocStack("micro"));
    refs.slice(0, 3).forEach((ref) => space.freeStack(ref));
    expect(space.stats().micro).toEqual({ capacity: 64, used: 2, free: 62, highWater: 5 });
    expect(space.stats().bufferBytes).toBe(space.buffer.byteLength);
  });

  it("layout: header, micro region, pools with used runs, and heap blocks that tile the heap", () => {
    const space = smallSpace();
    const micro = [space.allocStack("micro"), space.allocStack("micro"), space.allocStack("micro")];
    space.freeStack(micro[1]);
    const large = space.allocStack("large", 1000);
    const layout = space.layout();
    expect(layout.header).toEqual({ addr: 0, bytes: HEADER_BYTES });
    expect(layout.microRegion.addr).toBe(HEADER_BYTES);
    expect(layout.heap.addr).toBe(layout.microRegion.addr + layout.microRegion.bytes);
    expect(layout.pools.map((pool) => pool.sizeClass)).toEqual(["micro", "small", "medium"]);
    expect(layout.pools[0]).toMatchObject({
      slots: 64,
      slotSize: 256,
      used: 2,
      usedRuns: [
        [0, 1],
        [2, 1],
      ],
      placement: "micro-region",
    });
    let addr = layout.heap.addr;
    for (const block of layout.blocks) {
      expect(block.addr).toBe(addr);
      addr += block.bytes;
    }
    expect(addr + HEAP_BLOCK_HEADER_BYTES).toBe(layout.heap.addr + layout.heap.bytes);
    expect(layout.blocks.filter((block) => block.holds === "pool").map((block) => block.tag)).toEqual([1, 2]);
    expect(layout.blocks.find((block) => block.holds === "large")).toMatchObject({ payloadAddr: large.addr, payloadBytes: 1008, tag: large.generation });
    expect(JSON.parse(JSON.stringify(layout))).toEqual(layout);
  });
});

describe("checkMemory()", () => {
  function corrupt(space: AddressSpace, wordIndex: number, value: number): void {
    new Uint32Array(space.buffer)[wordIndex] = value;
  }

  it("passes on a fresh space and after mixed work", () => {
    const space = smallSpace();
    const refs = SIZE_CLASSES.map((sizeClass) => space.allocStack(sizeClass));
    checkMemory(space);
    refs.forEach((ref) => space.freeStack(ref));
    expect(() => space.checkMemory()).not.toThrow();
  });

  it("names a class counter that disagrees with the bitmaps and caches", () => {
    const space = smallSpace();
    space.allocStack("micro"); // the refill claimed a word of 32 slots: 1 handed out, 31 cached
    corrupt(space, HDR_CLASS_STATS_I32 + 1, 5);
    expect(() => space.checkMemory()).toThrow(/micro: bitmaps have 32 slots set, but used 5 \+ cached 31 = 36/);
  });

  it("names a summary bit that disagrees with its bitmap word", () => {
    const space = smallSpace();
    const base = new Uint32Array(space.buffer)[poolRecordI32(0) + POOL_BASE_BYTE_OFFSET_I32];
    const summaryI32 = (base >>> 2) + BP_SUMMARY_I32;
    corrupt(space, summaryI32, new Uint32Array(space.buffer)[summaryI32] | 1);
    expect(() => space.checkMemory()).toThrow(/summary bit 0 is 1 but bitmap word is not full/);
  });

  it("names a bitmap bit set with no stack counted for it", () => {
    const space = smallSpace();
    const base = new Uint32Array(space.buffer)[poolRecordI32(0) + POOL_BASE_BYTE_OFFSET_I32];
    corrupt(space, (base >>> 2) + BP_SUMMARY_I32 + summaryWordsFor(64), 0b100);
    expect(() => space.checkMemory()).toThrow(/pool 0: 1 bitmap bits set, but 0 slots handed out \(odd generation\) \+ 0 cached/);
  });

  it("names a free-list bitmap that disagrees with the lists", () => {
    const space = smallSpace();
    corrupt(space, (HEAP_CONTROL_BYTE_OFFSET >>> 2) + HC_FL_BITMAP_I32, 1 << 20);
    expect(() => space.checkMemory()).toThrow(/checkMemory: heap first-level bit \d+ is \d, second-level map is/);
  });

  it("names a heap block whose size breaks the chain", () => {
    const space = smallSpace();
    const large = space.allocStack("large", 1000);
    corrupt(space, ((large.addr - HEAP_BLOCK_HEADER_BYTES) >>> 2) + BLK_SIZE_I32, 48);
    expect(() => space.checkMemory()).toThrow(/checkMemory: heap block at \d+: (bad size|PREV_PHYS)/);
  });
});

describe("AddressSpace slot caches", () => {
  it("a refill claims a batch from one bitmap word: the slots count as free and pop lowest first", () => {
    const space = smallSpace();
    const first = space.allocStack("micro");
    const layout = space.layout();
    expect(layout.pools[0]).toMatchObject({ used: 1, cached: CACHE_BATCH[0] - 1, usedRuns: [[0, 1]] });
    expect(layout.threads).toEqual([{ index: 0, addr: expect.any(Number), cached: { micro: CACHE_BATCH[0] - 1, small: 0, medium: 0 } }]);
    expect(space.stats().micro).toEqual({ capacity: 64, used: 1, free: 63, highWater: 1 });
    expect(space.allocStack("micro").addr).toBe(first.addr + 256);
    space.checkMemory();
  });

  it.each(POOL_CLASS_NAMES)("freeStack() keeps a %s slot in the cache (LIFO): the next allocStack() gets it back", (sizeClass) => {
    const space = smallSpace();
    const [a, b] = [space.allocStack(sizeClass), space.allocStack(sizeClass)];
    space.freeStack(a);
    space.freeStack(b);
    expect(space.isLive(a)).toBe(false);
    expect(space.isLive(b)).toBe(false);
    expect(space.stats()[sizeClass]).toMatchObject({ used: 0, highWater: 2 });
    space.checkMemory();
    expect(space.allocStack(sizeClass).addr).toBe(b.addr);
    expect(space.allocStack(sizeClass).addr).toBe(a.addr);
    space.checkMemory();
  });

  it.each(POOL_CLASS_NAMES)("a full %s cache gives its older half back to the bitmaps", (sizeClass) => {
    const classIndex = POOL_CLASS_NAMES.indexOf(sizeClass);
    const space = new AddressSpace({ pools: { micro: 0, small: 0, medium: 0, [sizeClass]: 4 * CACHE_CAPACITY[classIndex] } });
    const refs = Array.from({ length: 3 * CACHE_CAPACITY[classIndex] }, () => space.allocStack(sizeClass));
    for (const ref of refs) space.freeStack(ref);
    const cached = space.layout().threads[0].cached[sizeClass];
    expect(cached).toBeGreaterThanOrEqual(CACHE_CAPACITY[classIndex] / 2);
    expect(cached).toBeLessThanOrEqual(CACHE_CAPACITY[classIndex]);
    expect(space.layout().pools[0]).toMatchObject({ used: 0, cached, usedRuns: [] });
    expect(space.stats()[sizeClass]).toMatchObject({ used: 0, highWater: refs.length });
    space.checkMemory();
    // The slots given back are handed out again: every one of them, exactly once.
    const again = Array.from({ length: 4 * CACHE_CAPACITY[classIndex] }, () => space.allocStack(sizeClass));
    expect(new Set(again.map((ref) => ref.addr)).size).toBe(again.length);
    space.checkMemory();
  });

  it("a slot freed through another attached object lands in that object's cache", () => {
    const space = new AddressSpace({ pools: SMALL_POOLS, shared: true });
    const other = new AddressSpace({ buffer: space.buffer });
    const ref = space.allocStack("small");
    other.freeStack(ref);
    expect(space.isLive(ref)).toBe(false);
    expect(() => space.freeStack(ref)).toThrow(/not allocated \(double free\?\)/);
    // The owner's refill claimed all 8 small slots (a batch is up to 16).
    expect(space.layout().threads.map((thread) => thread.cached.small)).toEqual([SMALL_POOLS.small - 1, 1]);
    expect(other.allocStack("small").addr).toBe(ref.addr);
    space.checkMemory();
  });

  describe("checkMemory() on the caches", () => {
    /** A space with two cached micro slots; returns the i32 index of its first cache entry. */
    function cachedSpace(): { space: AddressSpace; words: Uint32Array; entry: number } {
      const space = new AddressSpace({ pools: { micro: 2, small: 0, medium: 0 } });
      const refs = [space.allocStack("micro"), space.allocStack("micro")];
      refs.forEach((ref) => space.freeStack(ref));
      const recordAddr = space.layout().threads[0].addr;
      return { space, words: new Uint32Array(space.buffer), entry: (recordAddr >>> 2) + TR_ENTRIES_I32[0] };
    }

    it("names a slot cached twice", () => {
      const { space, words, entry } = cachedSpace();
      words[entry + 2] = words[entry];
      words[entry + 3] = words[entry + 1];
      expect(() => space.checkMemory()).toThrow(/micro slot \d+ is cached twice/);
    });

    it("names a cached slot whose generation says it is handed out", () => {
      const { space, words, entry } = cachedSpace();
      words[words[entry + 1]] += 1;
      expect(() => space.checkMemory()).toThrow(/cached micro slot \d+ has an odd generation/);
    });

    it("names a cached slot whose bitmap bit is clear", () => {
      const { space, words } = cachedSpace();
      const base = words[poolRecordI32(0) + POOL_BASE_BYTE_OFFSET_I32];
      words[(base >>> 2) + BP_SUMMARY_I32 + summaryWordsFor(2)] &= ~1; // the slot's bit...
      words[(base >>> 2) + BP_SUMMARY_I32] &= ~1; // ...and the summary bit of its word, which is no longer full
      expect(() => space.checkMemory()).toThrow(/has its bitmap bit clear/);
    });

    it("names a thread-table entry that is not a thread record", () => {
      const { space, words } = cachedSpace();
      words[threadTableI32(0)] += 16;
      expect(() => space.checkMemory()).toThrow(/thread record 0 at \d+: not the payload of a THREAD heap block/);
    });
  });
});
