import { describe, expect, test } from "vitest";
import { SIZE_CLASSES, SIZE_CLASS_BYTES } from "../../src/index.js";
import {
  LARGE_CLASS_INDEX,
  POOL_CLASSES,
  POOL_CLASS_COUNT,
  POOL_SLOT_BYTES,
  classForBytes,
  isSizeClass,
  largerSizeClass,
  nextSizeClass,
  sizeClassIndex,
} from "../../src/memory/size-classes.js";

describe("the size-class table", () => {
  test("index is rank: micro 0, small 1, medium 2, large 3; the pool classes come first", () => {
    expect(SIZE_CLASSES.map(sizeClassIndex)).toEqual([0, 1, 2, 3]);
    expect(POOL_CLASSES).toEqual(SIZE_CLASSES.slice(0, POOL_CLASS_COUNT));
    expect(SIZE_CLASSES[LARGE_CLASS_INDEX]).toBe("large");
    expect(POOL_SLOT_BYTES).toEqual(POOL_CLASSES.map((name) => SIZE_CLASS_BYTES[name]));
  });

  test("anything that is not a class has index -1", () => {
    for (const bad of ["huge", "Micro", "", null, undefined, 0, {}, Symbol("micro")]) {
      expect(sizeClassIndex(bad)).toBe(-1);
      expect(isSizeClass(bad)).toBe(false);
    }
  });

  test("classForBytes is the smallest class whose slot holds the bytes", () => {
    expect([1, 256, 257, 2048, 2049, 16384, 16385, 1e9].map(classForBytes)).toEqual(["micro", "micro", "small", "small", "medium", "medium", "large", "large"]);
  });

  test("nextSizeClass goes one up and stops at large; largerSizeClass picks by rank", () => {
    expect(SIZE_CLASSES.map(nextSizeClass)).toEqual(["small", "medium", "large", "large"]);
    for (const a of SIZE_CLASSES)
      for (const b of SIZE_CLASSES) expect(largerSizeClass(a, b)).toBe(SIZE_CLASSES[Math.max(sizeClassIndex(a), sizeClassIndex(b))]);
  });
});
