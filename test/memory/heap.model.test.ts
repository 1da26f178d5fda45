/**
 * Model-based test of the TLSF heap: the model is a map of live allocations
 * (payload → bytes and a fill byte). After every command: checkHeap passes,
 * no two live allocations overlap, every allocation still holds its fill
 * (nothing wrote over it, growth moved nothing), and the byte counts add up.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AllocatorError } from "../../src/errors.js";
import { HEAP_CONTROL_BYTES, Heap, checkHeap } from "../../src/memory/index.js";
import { HEAP_BLOCK_HEADER_BYTES } from "../../src/memory/layout.js";
import { runs } from "../support/fc.js";

interface Allocation {
  bytes: number;
  fill: number;
}

interface Model {
  live: Map<number, Allocation>;
  freed: number[];
  nextFill: number;
}

interface Real {
  buffer: SharedArrayBuffer;
  heap: Heap;
}

type HeapCommand = fc.Command<Model, Real>;

const START = 2048;

function verify(model: Model, real: Real): void {
  checkHeap(real.buffer, 0);
  const bytes = new Uint8Array(real.buffer);
  const sorted = [...model.live.entries()].sort((a, b) => a[0] - b[0]);
  for (let index = 0; index < sorted.length; index++) {
    const [addr, { bytes: size, fill }] = sorted[index];
    if (index + 1 < sorted.length) expect(addr + size + HEAP_BLOCK_HEADER_BYTES).toBeLessThanOrEqual(sorted[index + 1][0]);
    expect(bytes[addr]).toBe(fill);
    expect(bytes[addr + size - 1]).toBe(fill);
  }
  const stats = real.heap.stats();
  expect(stats.usedBytes + stats.freeBytes + HEAP_BLOCK_HEADER_BYTES).toBe(stats.endByteOffset - stats.startByteOffset);
  expect(stats.largestFreeBytes).toBeLessThanOrEqual(stats.freeBytes);
}

class AllocCommand implements HeapCommand {
  constructor(readonly bytes: number) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const addr = real.heap.alloc(this.bytes);
    expect(addr).not.toBe(0); // the limit is far above what a run can ask for
    expect(addr % 16).toBe(0);
    expect(model.live.has(addr)).toBe(false);
    const fill = (model.nextFill++ % 255) + 1;
    new Uint8Array(real.buffer, addr, this.bytes).fill(fill);
    model.live.set(addr, { bytes: this.bytes, fill });
    verify(model, real);
  }
  toString = () => `alloc(${this.bytes})`;
}

class FreeCommand implements HeapCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.live.size > 0;
  run(model: Model, real: Real): void {
    const addr = [...model.live.keys()][this.pick % model.live.size];
    real.heap.free(addr);
    model.live.delete(addr);
    model.freed.push(addr);
    verify(model, real);
  }
  toString = () => `free(#${this.pick})`;
}

/** Freeing an address that is not a live payload is refused and changes nothing. */
class BadFreeCommand implements HeapCommand {
  constructor(readonly offset: number) {}
  check = (model: Readonly<Model>) => model.live.size > 0 || model.freed.length > 0;
  run(model: Model, real: Real): void {
    const candidates = [...model.freed.filter((addr) => !model.live.has(addr)), ...[...model.live.keys()].map((addr) => addr + 16 * (1 + (this.offset % 4)))];
    const addr = candidates[this.offset % candidates.length];
    if (model.live.has(addr)) return;
    const before = real.heap.stats();
    expect(() => real.heap.free(addr)).toThrow(AllocatorError);
    expect(real.heap.stats()).toEqual(before);
    verify(model, real);
  }
  toString = () => `badFree(${this.offset})`;
}

const sizes = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 512 }) },
  { weight: 3, arbitrary: fc.integer({ min: 513, max: 20_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 20_001, max: 300_000 }) },
);

const commands = [
  sizes.map((bytes) => new AllocCommand(bytes)),
  fc.nat().map((pick) => new FreeCommand(pick)),
  fc.nat().map((pick) => new FreeCommand(pick)),
  fc.nat().map((offset) => new BadFreeCommand(offset)),
];

describe("Heap against a map model", () => {
  it("keeps every invariant and every allocation intact through any sequence (checkHeap each step)", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 120, size: "max" }), (cmds) => {
        const setup = () => {
          const buffer = new SharedArrayBuffer(1 << 16, { maxByteLength: 1 << 26 });
          new Uint8Array(buffer).fill(0xee); // garbage under the heap: nothing may rely on zeroed memory
          return { model: { live: new Map(), freed: [], nextFill: 0 }, real: { buffer, heap: Heap.init(buffer, 0, START) } };
        };
        fc.modelRun(setup, cmds);
      }),
      { numRuns: runs(150) },
    );
  });

  it("uses a control block that fits before the heap", () => {
    expect(HEAP_CONTROL_BYTES).toBeLessThanOrEqual(START);
  });
});
