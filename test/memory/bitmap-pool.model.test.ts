/**
 * Model-based test of BitmapPool: the model is a set of allocated slot
 * indices. After every command the pool must agree with it and pass
 * checkBitmapPool (the per-pool part of checkMemory).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AllocatorError } from "../../src/errors.js";
import { BitmapPool, checkBitmapPool } from "../../src/memory/index.js";
import { runs } from "../support/fc.js";

interface Model {
  capacity: number;
  allocated: Set<number>;
}

interface Real {
  buffer: SharedArrayBuffer;
  pool: BitmapPool;
}

type PoolCommand = fc.Command<Model, Real>;

function verify(model: Model, real: Real): void {
  checkBitmapPool(real.buffer, real.pool.base);
  expect(real.pool.freeCount).toBe(model.capacity - model.allocated.size);
}

class AllocCommand implements PoolCommand {
  check = () => true;
  run(model: Model, real: Real): void {
    const addr = real.pool.alloc();
    if (model.allocated.size === model.capacity) {
      expect(addr).toBeNull();
    } else {
      expect(addr).not.toBeNull();
      const slot = real.pool.slotIndexOf(addr!);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(model.allocated.has(slot)).toBe(false);
      model.allocated.add(slot);
    }
    verify(model, real);
  }
  toString = () => "alloc";
}

class FreeCommand implements PoolCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.allocated.size > 0;
  run(model: Model, real: Real): void {
    const slot = [...model.allocated][this.pick % model.allocated.size];
    real.pool.free(real.pool.slotAddress(slot));
    model.allocated.delete(slot);
    verify(model, real);
  }
  toString = () => `free(#${this.pick})`;
}

/** A free the pool must refuse: a free slot, a misaligned address, or one outside the pool. */
class BadFreeCommand implements PoolCommand {
  constructor(
    readonly kind: "double" | "misaligned" | "foreign",
    readonly pick: number,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const pool = real.pool;
    let addr: number;
    if (this.kind === "double") {
      const freeSlot = this.pick % model.capacity;
      if (model.allocated.has(freeSlot)) return;
      addr = pool.slotAddress(freeSlot);
    } else if (this.kind === "misaligned") {
      addr = pool.slotAddress(this.pick % model.capacity) + 1 + (this.pick % (pool.slotSize - 1));
    } else {
      addr = pool.slotsByteOffset + pool.capacity * pool.slotSize + this.pick * 8;
    }
    expect(() => pool.free(addr)).toThrow(AllocatorError);
    verify(model, real);
  }
  toString = () => `badFree(${this.kind}, ${this.pick})`;
}

const commands = [
  fc.constant(new AllocCommand()),
  fc.constant(new AllocCommand()),
  fc.nat().map((pick) => new FreeCommand(pick)),
  fc.tuple(fc.constantFrom("double" as const, "misaligned" as const, "foreign" as const), fc.nat(10_000)).map(([kind, pick]) => new BadFreeCommand(kind, pick)),
];

describe("BitmapPool against a set model", () => {
  it("agrees with the model after every alloc and free (checkBitmapPool each step)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.commands(commands, { maxCommands: 150, size: "max" }), (capacity, cmds) => {
        const buffer = new SharedArrayBuffer(8 + BitmapPool.bytesNeeded(16, capacity));
        const setup = () => ({ model: { capacity, allocated: new Set<number>() }, real: { buffer, pool: new BitmapPool(buffer, 8, 16, capacity) } });
        fc.modelRun(setup, cmds);
      }),
      { numRuns: runs(150) },
    );
  });
});
