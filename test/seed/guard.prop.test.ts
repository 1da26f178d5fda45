/**
 * Guard regions (`guard: true`), the memory layer's side: a guard region is
 * never handed out, every guard holds its pattern whatever is written into
 * the stacks, and checkMemory() finds a damaged one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressSpace, checkMemory, type SizeClass, type StackRef } from "../../src/index.js";
import { allocAffinityStack, freeOwnedStack, guardDamage } from "../../src/memory/address-space.js";
import { GUARD_BYTES } from "../../src/memory/layout.js";
import { runs } from "../support/fc.js";

/** Every guard region of the space: the last GUARD_BYTES of each slot of every pool and of every large block. */
function guardRegions(space: AddressSpace): Array<[number, number]> {
  const layout = space.layout();
  const out: Array<[number, number]> = [];
  for (const pool of layout.pools) {
    for (let slot = 0; slot < pool.slots; slot++) {
      const end = pool.slotsAddr + (slot + 1) * pool.slotSize;
      out.push([end - GUARD_BYTES, end]);
    }
  }
  for (const block of layout.blocks) {
    if (block.holds === "large") out.push([block.payloadAddr + block.payloadBytes - GUARD_BYTES, block.payloadAddr + block.payloadBytes]);
  }
  return out;
}

const op = fc.oneof(
  fc.record({
    kind: fc.constant("alloc" as const),
    sizeClass: fc.constantFrom<SizeClass>("micro", "small", "medium", "large"),
    tag: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
);

describe("guard regions in the address space", () => {
  it("a guard region is never handed out: stacks filled to their last byte leave every guard intact, and checkMemory passes after every step", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const space = new AddressSpace({ guard: true, pools: { micro: 64, small: 8, medium: 2 } });
        const live: StackRef[] = [];
        for (const o of ops) {
          if (o.kind === "alloc") {
            const ref =
              o.tag !== 0 && o.sizeClass !== "large"
                ? allocAffinityStack(space, o.sizeClass, o.tag)
                : space.allocStack(o.sizeClass, o.sizeClass === "large" ? 1000 : undefined);
            new Uint8Array(space.buffer, ref.addr, ref.bytes).fill(0xaa); // the whole stack, as a runaway frame would
            live.push(ref);
          } else if (live.length > 0) {
            const [ref] = live.splice(o.pick % live.length, 1);
            if (space.layout().pools.some((p) => p.affinity !== 0 && ref.addr >= p.slotsAddr && ref.addr < p.slotsAddr + p.slots * p.slotSize))
              freeOwnedStack(space, ref);
            else space.freeStack(ref);
          }
          checkMemory(space);
          const guards = guardRegions(space);
          for (const ref of live) {
            expect(guardDamage(space, ref)).toBe(-1);
            for (const [start, end] of guards) expect(ref.addr + ref.bytes <= start || ref.addr >= end).toBe(true);
          }
        }
      }),
      { numRuns: runs(40) },
    );
  });

  it("a stack's bytes stop before its guard: a micro ref of a guarded space is 240 bytes, and allocStack(micro, 241) is refused", () => {
    const space = new AddressSpace({ guard: true, pools: { micro: 4, small: 1, medium: 1 } });
    expect(space.guarded).toBe(true);
    expect(space.allocStack("micro").bytes).toBe(256 - GUARD_BYTES);
    expect(() => space.allocStack("micro", 241)).toThrow(/241 bytes do not fit a micro stack \(240 bytes: the 256-byte slot less its 16-byte guard\)/);
    expect(space.allocStack("large", 100).bytes).toBe(112);
    checkMemory(space);
  });

  it("checkMemory() names the stack and the byte of a damaged guard, whether the stack is handed out or free", () => {
    const space = new AddressSpace({ guard: true, pools: { micro: 4, small: 1, medium: 1 } });
    const ref = space.allocStack("micro");
    new Uint8Array(space.buffer)[ref.addr + ref.bytes + 3] = 0;
    expect(guardDamage(space, ref)).toBe(3);
    expect(() => checkMemory(space)).toThrow(/guard of micro stack 0 at \d+ \(\[\d+, \d+\)\) is damaged at byte \+0/);
    new Uint8Array(space.buffer)[ref.addr + ref.bytes + 3] = 0xfd;
    space.freeStack(ref);
    checkMemory(space);
    new Uint8Array(space.buffer)[ref.addr + ref.bytes + 15] = 1; // a free slot's guard too
    expect(() => checkMemory(space)).toThrow(/damaged at byte \+12/);
  });

  it("an unguarded space has no guards: refs cover whole slots and guardDamage is always -1", () => {
    const space = new AddressSpace({ pools: { micro: 4, small: 1, medium: 1 } });
    const ref = space.allocStack("micro");
    expect(space.guarded).toBe(false);
    expect(ref.bytes).toBe(256);
    expect(guardDamage(space, ref)).toBe(-1);
    expect(space.layout().guardBytes).toBe(0);
  });
});
