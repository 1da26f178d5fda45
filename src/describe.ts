/**
 * How error messages name a value a caller passed: short, exact, and safe —
 * describing a hostile value (a Proxy whose traps throw, an object whose
 * `toString` throws, a symbol) never throws itself.
 */

/** `-1`, `"yes"`, `12n (a BigInt)`, `null`, `an object (Foo)`, `function bar`, `Symbol(x)`. */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n (a BigInt)`;
    case "symbol":
      return v.toString();
    case "function":
      return `function ${safeName(v) || "(anonymous)"}`;
    case "undefined":
      return "undefined";
    case "boolean":
      return String(v);
    default:
      if (v === null) return "null";
      return `an object (${safeConstructorName(v as object)})`;
  }
}

function safeName(fn: unknown): string {
  try {
    const n = (fn as { name?: unknown }).name;
    return typeof n === "string" ? n : "";
  } catch {
    return "";
  }
}

function safeConstructorName(o: object): string {
  try {
    if (Array.isArray(o)) return "Array";
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto === null) return "null prototype";
    const ctor = (proto as { constructor?: unknown }).constructor;
    const n = typeof ctor === "function" ? safeName(ctor) : "";
    return n === "" ? "Object" : n;
  } catch {
    return "a Proxy or an object that refuses inspection";
  }
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

/** `x instanceof C`, false (never a throw) for a Proxy whose getPrototypeOf trap throws. */
export function isInstanceOf<T>(x: unknown, C: abstract new (...args: never[]) => T): x is T {
  try {
    return x instanceof C;
  } catch {
    return false;
  }
}
