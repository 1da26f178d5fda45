/**
 * The memory and frame layers' argument checks that must not run user code:
 * `describeValue` (src/describe.ts, shared by every layer: it never throws,
 * keeps `-0`, quotes strings, names a Proxy whose traps throw), reading a
 * user's object once with trap errors turned into TypeErrors, options
 * snapshots that refuse unknown keys, and a SharedArrayBuffer test by
 * internal slot.
 */

import { describeError, describeValue, readGuarded } from "../describe.js";

export { describeError, describeValue, readGuarded };

const sharedByteLength = Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, "byteLength")!.get!;

/**
 * Whether `value` is a SharedArrayBuffer, by its internal slot: unlike
 * `instanceof` it runs no Proxy trap and is not fooled by a forged prototype.
 */
export function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  try {
    sharedByteLength.call(value);
    return true;
  } catch {
    return false;
  }
}

/** A non-negative integer multiple of `alignBytes` below 2^32: a byte offset a view can start at. */
export function isByteOffset(value: unknown, alignBytes: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 0x1_0000_0000 && value % alignBytes === 0;
}

/**
 * A snapshot of an options object: the values of `keys`, read once (so a
 * getter runs once and a Proxy trap that throws is reported as a TypeError),
 * refusing any other own key with a RangeError that names it. `undefined`
 * means no options.
 */
export function readOptions<K extends string>(what: string, options: unknown, keys: readonly K[], noun = "option"): Partial<Record<K, unknown>> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || readGuarded(what, () => Array.isArray(options))) {
    throw new TypeError(`${what} must be an object, received ${describeValue(options)}`);
  }
  const own = readGuarded(what, () => Object.keys(options));
  for (const key of own) {
    if (!(keys as readonly string[]).includes(key)) {
      throw new RangeError(`${what}: unknown ${noun} ${describeValue(key)}: expected ${keys.map((k) => `"${k}"`).join(", ")}`);
    }
  }
  return readGuarded(what, () => {
    const snapshot: Partial<Record<K, unknown>> = {};
    for (const key of keys) snapshot[key] = (options as Record<K, unknown>)[key];
    return snapshot;
  });
}
