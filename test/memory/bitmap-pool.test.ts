import { describe, expect, it } from "vitest";
import { AllocatorError } from "../../src/errors.js";
import { BitmapPool, checkBitmapPool } from "../../src/memory/index.js";
import { bitmapPoolMetaBytes } from "../../src/memory/layout.js";

function makePool(slots: number, slotSize = 64, base = 0): { buffer: SharedArrayBuffer; pool: BitmapPool } {
  const buffer = new SharedArrayBuffer(base + BitmapPool.bytesNeeded(slotSize, slots));
  return { buffer, pool: new BitmapPool(buffer, base, slotSize, slots) };
}

function drain(pool: BitmapPool): number[] {
  const addrs: number[] = [];
  for (let addr = pool.alloc(); addr !== null; addr = pool.alloc()) addrs.push(addr);
  return addrs;
}

describe("BitmapPool construction", () => {
  it("BitmapPool.bytesNeeded() is the metadata plus the slots", () => {
    expect(BitmapPool.bytesNeeded(64, 100)).toBe(bitmapPoolMetaBytes(100) + 6400);
    expect(BitmapPool.bytesNeeded(8, 1)).toBe(bitmapPoolMetaBytes(1) + 8);
  });

  it("exposes base, slotSize, capacity and a full freeCount", () => {
    const { pool } = makePool(100, 64, 16);
    expect(pool.base).toBe(16);
    expect(pool.slotSize).toBe(64);
    expect(pool.capacity).toBe(100);
    expect(pool.freeCount).toBe(100);
  });

  it.each([
    ["base not a multiple of 8", 4, 64, 10, /base .* received 4/],
    ["negative base", -8, 64, 10, /base .* received -8/],
    ["slotSize not a multiple of 8", 0, 12, 10, /slotSize .* received 12/],
    ["slotSize zero", 0, 0, 10, /slotSize .* received 0/],
    ["zero slots", 0, 64, 0, /slots .* received 0/],
    ["fractional slots", 0, 64, 1.5, /slots .* received 1.5/],
  ])("refuses %s with a RangeError naming the value", (_what, base, slotSize, slots, message) => {
    const buffer = new SharedArrayBuffer(1 << 16);
    expect(() => new BitmapPool(buffer, base, slotSize, slots)).toThrow(RangeError);
    expect(() => new BitmapPool(buffer, base, slotSize, slots)).toThrow(message);
  });

  it("refuses a pool that does not fit the buffer", () => {
    expect(() => new BitmapPool(new SharedArrayBuffer(1024), 0, 64, 100)).toThrow(/need bytes up to \d+, the buffer has 1024/);
  });

  it("refuses a buffer that is not a SharedArrayBuffer", () => {
    expect(() => new BitmapPool(new ArrayBuffer(1024) as unknown as SharedArrayBuffer, 0, 8, 4)).toThrow(TypeError);
  });

  it("bytesNeeded() refuses bad sizes too", () => {
    expect(() => BitmapPool.bytesNeeded(7, 10)).toThrow(RangeError);
    expect(() => BitmapPool.bytesNeeded(8, -1)).toThrow(RangeError);
  });
});

describe("BitmapPool.alloc()", () => {
  // Capacities around word (32) and summary (1024 slots) boundaries.
  it.each([1, 2, 31, 32, 33, 100, 1023, 1024, 1025, 5000])("hands out each of %i slots exactly once, then null", (slots) => {
    const { buffer, pool } = makePool(slots, 8);
    const addrs = drain(pool);
    expect(addrs.length).toBe(slots);
    expect(new Set(addrs).size).toBe(slots);
    for (const addr of addrs) {
      expect((addr - pool.slotsByteOffset) % 8).toBe(0);
      expect(addr).toBeGreaterThanOrEqual(pool.slotsByteOffset);
      expect(addr).toBeLessThan(pool.slotsByteOffset + slots * 8);
    }
    expect(pool.freeCount).toBe(0);
    expect(pool.alloc()).toBeNull();
    expect(pool.hasRoom()).toBe(false);
    checkBitmapPool(buffer, 0);
  });

  it("is next-fit: it goes on from the last allocation before reusing a freed slot", () => {
    const { pool } = makePool(100);
    const addrs = Array.from({ length: 40 }, () => pool.alloc()!);
    pool.free(addrs[5]);
    expect(pool.alloc()).toBe(pool.slotAddress(40));
    const rest = drain(pool);
    expect(rest).toContain(addrs[5]);
  });

  it("slots start 16-byte aligned when the base is", () => {
    const { pool } = makePool(3, 24, 32);
    expect(pool.slotsByteOffset % 16).toBe(0);
    expect(pool.alloc()! % 8).toBe(0);
  });
});

describe("BitmapPool.free()", () => {
  it("returns a slot: freeCount goes up and isAllocated() turns false", () => {
    const { buffer, pool } = makePool(10);
    const addr = pool.alloc()!;
    expect(pool.isAllocated(addr)).toBe(true);
    pool.free(addr);
    expect(pool.isAllocated(addr)).toBe(false);
    expect(pool.freeCount).toBe(10);
    checkBitmapPool(buffer, 0);
  });

  it("un-fills a full pool (summary follows)", () => {
    const { buffer, pool } = makePool(64);
    const addrs = drain(pool);
    pool.free(addrs[40]);
    checkBitmapPool(buffer, 0);
    expect(pool.alloc()).toBe(addrs[40]);
  });

  const refusals: Array<[string, (pool: BitmapPool, live: number) => number, RegExp]> = [
    [
      "a double free",
      (pool) => {
        const addr = pool.alloc()!;
        pool.free(addr);
        return addr;
      },
      /not allocated \(double free\?\)/,
    ],
    ["an address below the pool", (pool) => pool.base - 8, /is not in the pool/],
    ["an address past the pool", (pool) => pool.slotsByteOffset + pool.capacity * pool.slotSize, /is not in the pool/],
    ["a misaligned address", (_pool, live) => live + 8, /is not the start of a slot/],
    ["a fractional address", (_pool, live) => live + 0.5, /is not the start of a slot/],
    ["NaN", () => Number.NaN, /NaN is not in the pool/],
  ];
  it.each(refusals)("refuses %s with AllocatorError and changes nothing", (_what, makeAddr, message) => {
    const { buffer, pool } = makePool(40);
    const live = pool.alloc()!;
    const addr = makeAddr(pool, live);
    const before = new Uint8Array(buffer).slice();
    expect(() => pool.free(addr)).toThrow(AllocatorError);
    expect(() => pool.free(addr)).toThrow(message);
    expect(new Uint8Array(buffer)).toEqual(before);
    expect(pool.isAllocated(live)).toBe(true);
  });

  it("isAllocated() is false for foreign and misaligned addresses", () => {
    const { pool } = makePool(4);
    const addr = pool.alloc()!;
    expect(pool.isAllocated(addr + 1)).toBe(false);
    expect(pool.isAllocated(-1)).toBe(false);
    expect(pool.isAllocated(1e9)).toBe(false);
  });
});

describe("BitmapPool.attach()", () => {
  it("sees the same pool without re-initialising it", () => {
    const { buffer, pool } = makePool(50, 32, 8);
    const taken = [pool.alloc()!, pool.alloc()!];
    const other = BitmapPool.attach(buffer, 8, 32, 50);
    expect(other.freeCount).toBe(48);
    expect(other.isAllocated(taken[0])).toBe(true);
    other.free(taken[1]);
    expect(pool.isAllocated(taken[1])).toBe(false);
    const rest = drain(other);
    expect(rest.length).toBe(49);
    expect(pool.alloc()).toBeNull();
  });

  it("refuses a region that holds no pool, or a pool of another shape", () => {
    const { buffer } = makePool(50, 32);
    expect(() => BitmapPool.attach(new SharedArrayBuffer(4096), 0, 32, 50)).toThrow(AllocatorError);
    expect(() => BitmapPool.attach(buffer, 0, 16, 50)).toThrow(/no pool of 50 slots of 16 bytes at byte offset 0/);
    expect(() => BitmapPool.attach(buffer, 0, 32, 49)).toThrow(AllocatorError);
  });
});

describe("BitmapPool.usedSlotRuns()", () => {
  it("lists allocated slots as [first, count] runs", () => {
    const { pool } = makePool(10);
    const addrs = Array.from({ length: 6 }, () => pool.alloc()!);
    pool.free(addrs[2]);
    pool.free(addrs[3]);
    expect(pool.usedSlotRuns()).toEqual([
      [0, 2],
      [4, 2],
    ]);
  });
});
