/**
 * Addresses as the objects that exist per coroutine store them (toI32Address,
 * memory/layout.ts): a small integer for every address of a 4 GiB space, the
 * address given back exactly, and index arithmetic that ends in `>>>` equal
 * on the stored and the real value (the hot paths rely on that: the slot
 * header's index in Scheduler.park, pushHeaderOnly's stack pointer).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_ADDRESS_SPACE_BYTES, fromI32Address, toI32Address } from "../../src/memory/layout.js";

const addresses = fc.oneof(
  fc.integer({ min: 0, max: MAX_ADDRESS_SPACE_BYTES }),
  fc.integer({ min: 2 ** 31 - 64, max: 2 ** 31 + 64 }), // either side of the small-integer limit
  fc.integer({ min: MAX_ADDRESS_SPACE_BYTES - 64, max: MAX_ADDRESS_SPACE_BYTES }),
);

describe("address storage", () => {
  it("stores every address as a signed 32-bit integer and gives it back exactly", () => {
    fc.assert(
      fc.property(addresses, (addr) => {
        const stored = toI32Address(addr);
        expect(stored).toBeGreaterThanOrEqual(-(2 ** 31));
        expect(stored).toBeLessThan(2 ** 31);
        expect(Number.isInteger(stored)).toBe(true);
        expect(fromI32Address(stored)).toBe(addr);
      }),
      { numRuns: 2000 },
    );
  });

  it("index arithmetic ending in >>> is the same on the stored value", () => {
    fc.assert(
      fc.property(addresses, fc.integer({ min: -256, max: 256 }), fc.integer({ min: 0, max: 3 }), (addr, offset, shift) => {
        fc.pre(addr + offset >= 0 && addr + offset <= MAX_ADDRESS_SPACE_BYTES);
        expect((toI32Address(addr) + offset) >>> shift).toBe((addr + offset) >>> shift);
        expect(fromI32Address((toI32Address(addr) + offset) | 0)).toBe(addr + offset);
      }),
      { numRuns: 2000 },
    );
  });
});
