/**
 * `describeValue`: how a misuse message names the bad value it received.
 *
 * It never throws and never runs user code that could: a Proxy whose traps
 * throw, an object whose `toString` or `constructor` getter throws, a
 * revoked Proxy, a BigInt or a Symbol (which template literals refuse) all
 * get a description. Numbers keep their sign (`-0`), strings are quoted and
 * cut at 60 characters, objects are named by their constructor and length.
 * Every layer's misuse errors use it (layers above import it from here).
 * Also the argument checks that must not run user code either.
 */

/** Longest string quoted whole in a message. */
const MAX_STRING_CHARS = 60;

export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "string":
      return value.length > MAX_STRING_CHARS ? `${JSON.stringify(value.slice(0, MAX_STRING_CHARS))}… (${value.length} characters)` : JSON.stringify(value);
    case "symbol":
      return value.toString();
    case "undefined":
      return "undefined";
    case "boolean":
      return String(value);
    case "function":
      return `function ${functionName(value)}`;
    default:
      return value === null ? "null" : describeObject(value as object);
  }
}

function functionName(fn: unknown): string {
  try {
    const name = (fn as { name?: unknown }).name;
    return typeof name === "string" && name !== "" ? name : "(anonymous)";
  } catch {
    return "(anonymous)";
  }
}

function describeObject(object: object): string {
  try {
    if (Array.isArray(object)) return `an array of length ${object.length}`;
    const ctor = (object as { constructor?: unknown }).constructor;
    const name = typeof ctor === "function" ? functionName(ctor) : "";
    const length = (object as { length?: unknown }).length;
    const kind = name === "" || name === "(anonymous)" || name === "Object" ? "an object" : `a ${name}`;
    return typeof length === "number" ? `${kind} of length ${length}` : kind;
  } catch {
    // A Proxy whose traps throw, a revoked Proxy, a throwing getter: say so rather than rethrow.
    return "an object whose properties cannot be read (a Proxy with throwing traps?)";
  }
}

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

/** The message of an error a user's object threw while we read it (never throws itself). */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error);
  } catch {
    return "an error that cannot be read";
  }
}

/**
 * Runs `read` (which reads a user's object: property gets, iteration) and
 * turns anything it throws — a Proxy trap, a throwing getter — into a
 * TypeError that says what could not be read, with the original as `cause`.
 */
export function readGuarded<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new TypeError(`${what} cannot be read: reading it threw ${describeError(error)}`, { cause: error });
  }
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
