/**
 * The size classes of stacks: the one table every layer reads.
 *
 * ```
 *  index (= rank)  class    slot bytes   where its stacks come from
 *  0               micro    256          fixed slots in micro pools
 *  1               small    2 048        fixed slots in small pools
 *  2               medium   16 384       fixed slots in medium pools
 *  3               large    any          heap blocks (64 KiB by default)
 * ```
 *
 * Invariants:
 * - A class's index is its rank: a larger index holds larger stacks, so
 *   "larger class" is "larger index" and the next class up is index + 1
 *   (large is the last and its own next).
 * - The pool classes are the first POOL_CLASS_COUNT indices; their slot
 *   bytes are powers of two, strictly increasing.
 * - The index is what the buffer's header and pool records store, what a
 *   stack's flag bits hold and what the cost model's per-class arrays are
 *   indexed by; names appear only in the API and in messages.
 *
 * Nothing else in the library spells the class list, its order or the slot
 * sizes: import them from here (through memory/index.ts outside memory/).
 */
import { bug } from "../errors.js";

/** Stack size classes: three pool classes of fixed slot size, and `large` from the heap. */
export type SizeClass = "micro" | "small" | "medium" | "large";

/** The pool classes, whose stacks are fixed-size slots. */
export type PoolSizeClass = "micro" | "small" | "medium";

/**
 * Every class, by index (= rank). Not frozen: hot paths index it, and V8
 * indexes a frozen array slower; the public SIZE_CLASSES is a frozen copy.
 */
export const SIZE_CLASS_BY_INDEX: readonly SizeClass[] = ["micro", "small", "medium", "large"];

/** Every class, by index (= rank): the public, frozen list. */
export const SIZE_CLASSES: readonly SizeClass[] = Object.freeze(SIZE_CLASS_BY_INDEX.slice());

/** The pool classes, by index: the index is what the header and pool records store. */
export const POOL_CLASSES: readonly PoolSizeClass[] = Object.freeze(["micro", "small", "medium"] as const);
export const POOL_CLASS_COUNT = 3;
export const MICRO_CLASS_INDEX = 0;
export const SMALL_CLASS_INDEX = 1;
export const MEDIUM_CLASS_INDEX = 2;
export const LARGE_CLASS_INDEX = 3;

/** Slot size of each pool class, in bytes. */
export const SIZE_CLASS_BYTES: { readonly micro: 256; readonly small: 2048; readonly medium: 16384 } = Object.freeze({
  micro: 256,
  small: 2048,
  medium: 16384,
} as const);

/** Slot bytes by class index (SIZE_CLASS_BYTES, indexable; not frozen, for the hot paths that index it). */
export const POOL_SLOT_BYTES: readonly number[] = POOL_CLASSES.map((name) => SIZE_CLASS_BYTES[name]);

/** The class's index (= rank): 0 micro … 3 large; -1 for anything that is not a class. No lookup: literal comparisons. */
export function sizeClassIndex(value: unknown): number {
  return value === "micro" ? 0 : value === "small" ? 1 : value === "medium" ? 2 : value === "large" ? 3 : -1;
}

export function isSizeClass(value: unknown): value is SizeClass {
  return sizeClassIndex(value) >= 0;
}

/** The smallest class whose slot holds `bytes`; "large" above the medium slot. */
export function classForBytes(bytes: number): SizeClass {
  for (let classIndex = 0; classIndex < POOL_CLASS_COUNT; classIndex++) if (bytes <= POOL_SLOT_BYTES[classIndex]) return POOL_CLASSES[classIndex];
  return "large";
}

/** The class one up ("large" stays "large"). */
export function nextSizeClass(sizeClass: SizeClass): SizeClass {
  return SIZE_CLASS_BY_INDEX[Math.min(sizeClassIndex(sizeClass) + 1, LARGE_CLASS_INDEX)];
}

/** The larger of two classes (by rank). */
export function largerSizeClass(a: SizeClass, b: SizeClass): SizeClass {
  return sizeClassIndex(b) > sizeClassIndex(a) ? b : a;
}

/** `"micro", "small", "medium", "large"`: the list as messages print it. */
export function sizeClassList(): string {
  return SIZE_CLASSES.map((name) => `"${name}"`).join(", ");
}

// The table is read by index in hot paths elsewhere (flags, cost arrays): refuse to load if it disagrees with itself.
for (let classIndex = 0; classIndex < SIZE_CLASSES.length; classIndex++) {
  if (sizeClassIndex(SIZE_CLASSES[classIndex]) !== classIndex) bug(`size-classes.ts: ${SIZE_CLASSES[classIndex]} is not at index ${classIndex}`);
}
for (let classIndex = 1; classIndex < POOL_CLASS_COUNT; classIndex++) {
  const bytes = POOL_SLOT_BYTES[classIndex];
  if (bytes <= POOL_SLOT_BYTES[classIndex - 1] || (bytes & (bytes - 1)) !== 0) bug("size-classes.ts: pool slot bytes must be increasing powers of two");
}
