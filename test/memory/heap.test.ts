import { describe, expect, it, vi } from "vitest";
import { AllocatorError } from "../../src/errors.js";
import { HEAP_CONTROL_BYTES, Heap, checkHeap } from "../../src/memory/index.js";
import { BLOCK_LARGE, BLOCK_OTHER, BLOCK_POOL, HEAP_BLOCK_HEADER_BYTES, QUICK_DEPTH } from "../../src/memory/layout.js";

const START = HEAP_CONTROL_BYTES + 16 - (HEAP_CONTROL_BYTES % 16);

function makeHeap(bytes = 1 << 16, maxBytes = 1 << 22): { buffer: SharedArrayBuffer; heap: Heap } {
  const buffer = new SharedArrayBuffer(bytes, { maxByteLength: maxBytes });
  return { buffer, heap: Heap.init(buffer, 0, START) };
}

function snapshot(heap: Heap): unknown {
  return { stats: heap.stats(), blocks: heap.blocks() };
}

describe("Heap.init()", () => {
  it("starts as one free block and the sentinel", () => {
    const { buffer, heap } = makeHeap();
    const stats = heap.stats();
    expect(stats.usedBytes).toBe(0);
    expect(stats.freeBytes).toBe((1 << 16) - START - HEAP_BLOCK_HEADER_BYTES);
    expect(stats.largestFreeBytes).toBe(stats.freeBytes);
    expect(stats.limitBytes).toBe(1 << 22);
    expect(heap.blocks()).toEqual([
      { addr: START, bytes: stats.freeBytes, payloadAddr: START + 16, payloadBytes: stats.freeBytes - 16, free: true, holds: "free", tag: 0 },
    ]);
    checkHeap(buffer, 0);
  });

  it.each([
    ["a misaligned start", 0, 40, RangeError],
    ["a start inside the control block", 0, 64, RangeError],
    ["a misaligned control block", 4, 4096, RangeError],
  ])("refuses %s", (_what, control, start, error) => {
    const buffer = new SharedArrayBuffer(1 << 16);
    expect(() => Heap.init(buffer, control, start)).toThrow(error);
  });

  it("refuses a buffer that is not shared, and a buffer too small for the sentinel", () => {
    expect(() => Heap.init(new ArrayBuffer(1 << 16) as unknown as SharedArrayBuffer, 0, START)).toThrow(TypeError);
    expect(() => Heap.init(new SharedArrayBuffer(START + 8), 0, START)).toThrow(RangeError);
  });
});

describe("Heap.alloc() and free()", () => {
  it("hands out 16-byte aligned payloads of the rounded size and takes them back", () => {
    const { buffer, heap } = makeHeap();
    const a = heap.alloc(1);
    const b = heap.alloc(100, BLOCK_LARGE, 7);
    expect(a % 16).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 16);
    const blockB = heap.blocks().find((block) => block.payloadAddr === b)!;
    expect(blockB).toMatchObject({ payloadBytes: 112, holds: "large", tag: 7, free: false });
    expect(heap.holds(b, BLOCK_LARGE, 7)).toBe(true);
    expect(heap.holds(b, BLOCK_LARGE, 8)).toBe(false);
    expect(heap.holds(b, BLOCK_POOL, 7)).toBe(false);
    heap.free(a);
    heap.free(b);
    expect(heap.holds(b, BLOCK_LARGE, 7)).toBe(false);
    expect(heap.blocks().length).toBe(1);
    checkHeap(buffer, 0);
  });

  it("merges a freed block with both free neighbours", () => {
    const { buffer, heap } = makeHeap();
    const [a, b, c, d] = [heap.alloc(64), heap.alloc(64), heap.alloc(64), heap.alloc(64)];
    heap.free(a);
    heap.free(c);
    expect(heap.blocks().filter((block) => block.free).length).toBe(3); // a, c, tail
    heap.free(b); // joins a, b, c
    expect(heap.blocks().map((block) => block.free)).toEqual([true, false, true]);
    heap.free(d);
    expect(heap.blocks().length).toBe(1);
    checkHeap(buffer, 0);
  });

  it("grows the buffer when nothing fits, and nothing moves", () => {
    const { buffer, heap } = makeHeap();
    const first = heap.alloc(1000);
    new Uint8Array(buffer, first, 1000).fill(0xab);
    const big = heap.alloc(200_000);
    expect(buffer.byteLength).toBeGreaterThanOrEqual(START + 201_000);
    expect(big).not.toBe(0);
    expect(new Uint8Array(buffer, first, 1000).every((byte) => byte === 0xab)).toBe(true);
    expect(heap.blocks()[0].payloadAddr).toBe(first);
    checkHeap(buffer, 0);
  });

  it("returns 0 and changes nothing when the limit does not allow the block", () => {
    const { buffer, heap } = makeHeap(1 << 16, 1 << 17);
    const before = snapshot(heap);
    expect(heap.alloc(1 << 17)).toBe(0);
    expect(snapshot(heap)).toEqual(before);
    expect(buffer.byteLength).toBe(1 << 16);
    expect(heap.growthHeadroomBytes()).toBe(1 << 16);
  });

  it.each([0, -16, 1.5, Number.NaN, 2 ** 32])("alloc(%s) is a RangeError", (bytes) => {
    const { heap } = makeHeap();
    expect(() => heap.alloc(bytes)).toThrow(RangeError);
    expect(() => heap.alloc(bytes)).toThrow(String(bytes));
  });

  const badFrees: Array<[string, (live: number) => number, RegExp]> = [
    ["outside the heap", () => 8, /is not in the heap/],
    ["past the end", () => 1 << 20, /is not in the heap/],
    ["misaligned", (live) => live + 8, /not 16-byte aligned/],
    ["inside a block", (live) => live + 32, /not the payload of an allocated block/],
    ["a freed block", (live) => live + 144, /not the payload of an allocated block/],
  ];
  it.each(badFrees)("free() of an address %s is an AllocatorError and changes nothing", (_what, makeAddr, message) => {
    const { heap } = makeHeap();
    const live = heap.alloc(128);
    heap.free(heap.alloc(64));
    const before = snapshot(heap);
    expect(() => heap.free(makeAddr(live))).toThrow(AllocatorError);
    expect(() => heap.free(makeAddr(live))).toThrow(message);
    expect(snapshot(heap)).toEqual(before);
  });

  it("refuses a double free", () => {
    const { heap } = makeHeap();
    const addr = heap.alloc(64, BLOCK_OTHER);
    heap.free(addr);
    expect(() => heap.free(addr)).toThrow(/double free/);
  });

  it("records the request exactly when the block keeps an unsplittable tail", () => {
    const { heap } = makeHeap();
    const a = heap.alloc(64);
    heap.alloc(64);
    heap.free(a); // an 80-byte block, on the quick list of its size
    heap.trim(); // now an 80-byte hole in the TLSF lists
    const b = heap.alloc(48); // 64-byte block needed: 16 bytes left, too few to split off
    expect(b).toBe(a);
    expect(heap.payloadBytesOf(b)).toBe(48);
    expect(heap.blocks()[0]).toMatchObject({ bytes: 80, payloadBytes: 48 });
  });
});

describe("Heap.attach()", () => {
  it("sees the same heap from a second instance when made with { shared: true }", () => {
    const buffer = new SharedArrayBuffer(1 << 16, { maxByteLength: 1 << 22 });
    const heap = Heap.init(buffer, 0, START, undefined, { shared: true });
    expect(heap.shared).toBe(true);
    const addr = heap.alloc(500, BLOCK_LARGE, 3);
    const other = Heap.attach(buffer, 0);
    expect(other.holds(addr, BLOCK_LARGE, 3)).toBe(true);
    const grown = other.alloc(300_000); // grows the buffer through the other instance
    expect(heap.holds(grown, BLOCK_OTHER, 0)).toBe(true);
    heap.free(grown);
    other.free(addr);
    expect(heap.stats().usedBytes).toBe(0);
    checkHeap(buffer, 0);
  });

  it("refuses a buffer without a heap", () => {
    expect(() => Heap.attach(new SharedArrayBuffer(4096), 0)).toThrow(AllocatorError);
  });

  it("refuses a heap made without { shared: true }, whose owner does not lock it", () => {
    const { buffer, heap } = makeHeap();
    expect(heap.shared).toBe(false);
    expect(() => Heap.attach(buffer, 0)).toThrow(AllocatorError);
    expect(() => Heap.attach(buffer, 0)).toThrow(/not made with \{ shared: true \}/);
  });

  it("an unshared heap takes no lock: alloc and free make no Atomics call", () => {
    const { heap } = makeHeap();
    const compareExchange = vi.spyOn(Atomics, "compareExchange");
    const store = vi.spyOn(Atomics, "store");
    try {
      heap.free(heap.alloc(100));
      expect(compareExchange).not.toHaveBeenCalled();
      expect(store).not.toHaveBeenCalled();
    } finally {
      compareExchange.mockRestore();
      store.mockRestore();
    }
    expect(heap.stats().usedBytes).toBe(0);
  });

  it("lock() is not re-entrant: taking it twice is reported as a bug, not a hang", () => {
    const { heap } = makeHeap();
    heap.lock();
    expect(() => heap.lock()).toThrow(/already holds/);
    heap.unlock();
    expect(() => heap.unlock()).toThrow(/not held/);
  });
});

describe("Heap quick lists", () => {
  it("a freed block waits on the quick list of its size; an alloc of that size gets it back at once", () => {
    const { buffer, heap } = makeHeap();
    const first = heap.alloc(4096);
    heap.alloc(64); // keeps the first block from merging with the tail when trimmed
    heap.free(first);
    checkHeap(buffer, 0);
    expect(heap.holds(first, BLOCK_OTHER, 0)).toBe(false);
    expect(() => heap.free(first)).toThrow(/double free/);
    expect(heap.alloc(4096)).toBe(first);
    checkHeap(buffer, 0);
  });

  it("stats() and blocks() report quick blocks as free space, merged", () => {
    const { buffer, heap } = makeHeap();
    const blocks = [heap.alloc(100), heap.alloc(100), heap.alloc(100)];
    const before = heap.stats();
    for (const addr of blocks) heap.free(addr);
    checkHeap(buffer, 0);
    expect(heap.stats().usedBytes).toBe(0);
    expect(heap.stats().freeBytes).toBe(before.freeBytes + before.usedBytes);
    expect(heap.blocks()).toHaveLength(1);
    checkHeap(buffer, 0);
  });

  it("merges its quick blocks before it would grow the buffer", () => {
    const buffer = new SharedArrayBuffer(1 << 16); // not growable
    const heap = Heap.init(buffer, 0, START);
    const blocks: number[] = [];
    for (let addr = heap.alloc(2000); addr !== 0; addr = heap.alloc(2000)) blocks.push(addr);
    for (const addr of blocks.slice(0, 8)) heap.free(addr); // eight quick blocks side by side
    const big = heap.alloc(7 * 2000); // fits only once they are merged (TLSF's good fit wants some slack)
    expect(big).toBe(blocks[0]);
    checkHeap(buffer, 0);
  });

  it("holds at most QUICK_DEPTH blocks of one size; the rest merge at once", () => {
    const { buffer, heap } = makeHeap(1 << 20);
    const blocks = Array.from({ length: QUICK_DEPTH + 4 }, () => heap.alloc(256));
    blocks.forEach((addr, index) => index % 2 === 0 && heap.free(addr)); // no two neighbours free
    checkHeap(buffer, 0);
    heap.trim();
    checkHeap(buffer, 0);
    expect(heap.blocks().filter((block) => block.free)).toHaveLength(Math.ceil(blocks.length / 2) + 1);
  });
});
