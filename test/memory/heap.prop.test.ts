import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { heapBlockBytesFor, tlsfListIndex, tlsfListLowerBound } from "../../src/memory/heap.js";
import { TLSF_FL_COUNT, TLSF_SL_COUNT } from "../../src/memory/layout.js";

const blockSizes = fc.integer({ min: 2, max: 0x0fff_ffff }).map((granules) => granules * 16);

describe("TLSF size mapping", () => {
  it("a block lies between its list's lower bound and the next list's", () => {
    fc.assert(
      fc.property(blockSizes, (bytes) => {
        const listIndex = tlsfListIndex(bytes);
        expect(listIndex).toBeGreaterThanOrEqual(0);
        expect(listIndex).toBeLessThan(TLSF_FL_COUNT * TLSF_SL_COUNT);
        expect(tlsfListLowerBound(listIndex)).toBeLessThanOrEqual(bytes);
        expect(tlsfListLowerBound(listIndex + 1)).toBeGreaterThan(bytes);
      }),
    );
  });

  it("lower bounds increase with the list index", () => {
    for (let listIndex = 2; listIndex < TLSF_FL_COUNT * TLSF_SL_COUNT; listIndex++) {
      expect(tlsfListLowerBound(listIndex)).toBeGreaterThan(tlsfListLowerBound(listIndex - 1));
    }
  });

  it("a request's block holds the payload rounded to 16, plus the header, at least 32 bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (payloadBytes) => {
        const blockBytes = heapBlockBytesFor(payloadBytes);
        expect(blockBytes % 16).toBe(0);
        expect(blockBytes).toBeGreaterThanOrEqual(Math.max(32, payloadBytes + 16));
        expect(blockBytes).toBeLessThan(Math.max(32, payloadBytes + 32));
      }),
    );
  });

  it("handles sizes above 2 GiB with unsigned arithmetic", () => {
    const bytes = 0xffff_fff0;
    const listIndex = tlsfListIndex(bytes);
    expect(listIndex).toBe(TLSF_FL_COUNT * TLSF_SL_COUNT - 1);
    expect(tlsfListLowerBound(listIndex)).toBeLessThanOrEqual(bytes);
  });
});
