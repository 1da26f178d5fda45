/**
 * Hostile values at every memory and frame export (issue 9): NaN, ±Infinity,
 * −0, 2**53, BigInts, strings, null, undefined, symbols, functions, plain,
 * frozen and array objects, Proxies whose traps all throw and revoked
 * Proxies, given in place of each argument (and of each option or field) of
 * an otherwise valid call. Each call either does its job (the value is one
 * it accepts) or throws a TypeError, a RangeError or one of src/errors.ts's
 * classes whose message names the bad value — never an internal error, never
 * an error of the value's own making (a trap's) — and afterwards
 * checkMemory() is clean and the address space's stats are unchanged.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CoroError } from "../../src/errors.js";
import {
  AddressSpace,
  BitmapPool,
  Heap,
  Runtime,
  bytes,
  call,
  checkAddressSpaceBuffer,
  checkBitmapPool,
  checkHeap,
  checkMemory,
  coro,
  type Coroutine,
  type StackRef,
} from "../../src/index.js";
import { runs } from "../support/fc.js";

function throwingProxy(): object {
  const trap = (): never => {
    throw new Error("hostile trap");
  };
  return new Proxy(
    {},
    {
      get: trap,
      set: trap,
      has: trap,
      ownKeys: trap,
      getOwnPropertyDescriptor: trap,
      getPrototypeOf: trap,
      defineProperty: trap,
      deleteProperty: trap,
      apply: trap,
    },
  );
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** The hostile values, made fresh for every use (a Proxy is only hostile once in a while otherwise). */
const HOSTILE: ReadonlyArray<[string, () => unknown]> = [
  ["NaN", () => NaN],
  ["Infinity", () => Infinity],
  ["-Infinity", () => -Infinity],
  ["-0", () => -0],
  ["2**53", () => 2 ** 53],
  ["-1", () => -1],
  ["0.5", () => 0.5],
  ["10n", () => 10n],
  ["-1n", () => -1n],
  ['"7"', () => "7"],
  ['""', () => ""],
  ["null", () => null],
  ["undefined", () => undefined],
  ["true", () => true],
  ["Symbol()", () => Symbol("hostile")],
  ["a function", () => function hostile() {}],
  ["{}", () => ({})],
  ["[]", () => []],
  ["frozen {}", () => Object.freeze({})],
  ["frozen [1, 2]", () => Object.freeze([1, 2])],
  ["a throwing Proxy", throwingProxy],
  ["a revoked Proxy", revokedProxy],
];

/** Whether `message` names `value`: its literal for a primitive, what kind of object it is otherwise. */
function names(message: string, value: unknown): boolean {
  switch (typeof value) {
    case "number":
      return message.includes(Object.is(value, -0) ? "-0" : String(value));
    case "bigint":
      return message.includes(`${value}n`);
    case "string":
      return message.includes(JSON.stringify(value));
    case "symbol":
      return message.includes(value.toString());
    case "function":
      return message.includes("function");
    case "undefined":
    case "boolean":
      return message.includes(String(value));
    default:
      if (value === null) return message.includes("null");
      // An object is named by its kind; an array may be named by its bad element instead ("calls contains 1").
      if (/object|array|cannot be read/.test(message)) return true;
      try {
        return Array.isArray(value) && value.some((element) => names(message, element));
      } catch {
        return false; // a revoked Proxy
      }
  }
}

interface World {
  rt: Runtime;
  space: AddressSpace;
  ref: StackRef;
  largeRef: StackRef;
  pool: BitmapPool;
  poolBuffer: SharedArrayBuffer;
  heap: Heap;
  heapBuffer: SharedArrayBuffer;
  frame: Record<string, unknown> & { $addr(name: unknown): number; $bytes(name: unknown): Uint8Array };
  co: Coroutine<void>;
}

/** A call with `v` in one place; a call that may succeed and allocate frees what it got. */
type Target = [string, (w: World, v: unknown) => unknown];

const freeIfRef = (w: World, r: unknown): void => {
  if (r !== null && typeof r === "object" && "generation" in r) w.space.freeStack(r as StackRef);
};
const freeIfBlock = (w: World, addr: number): void => {
  if (addr !== 0) w.heap.free(addr);
};
const body = function* (): Generator<unknown, void, unknown> {};
const LOCAL_TYPES = ["i8", "u8", "i16", "u16", "i32", "u32", "f32", "f64", "i64", "u64", "bool"] as const;

const TARGETS: Target[] = [
  // AddressSpace construction
  ["new AddressSpace(v)", (_w, v) => new AddressSpace(v as never)],
  ...(["bytes", "maxBytes", "pools", "shared", "buffer"] as const).map((key): Target => [
    `new AddressSpace({ ${key}: v })`,
    (_w, v) => new AddressSpace({ pools: { micro: 1, small: 0, medium: 0 }, [key]: v }),
  ]),
  ...(["micro", "small", "medium"] as const).map((key): Target => [
    `new AddressSpace({ pools: { ${key}: v } })`,
    (_w, v) => new AddressSpace({ pools: { micro: 1, small: 0, medium: 0, [key]: v } }),
  ]),
  // AddressSpace methods
  ["allocStack(v)", (w, v) => freeIfRef(w, w.space.allocStack(v as never))],
  ['allocStack("micro", v)', (w, v) => freeIfRef(w, w.space.allocStack("micro", v as never))],
  ['allocStack("large", v)', (w, v) => freeIfRef(w, w.space.allocStack("large", v as never))],
  ["freeStack(v)", (w, v) => w.space.freeStack(v as never)],
  ...(["addr", "generation", "sizeClass"] as const).flatMap((field): Target[] => [
    [`freeStack({ ...micro ref, ${field}: v })`, (w, v) => w.space.freeStack({ ...w.ref, [field]: v })],
    [`freeStack({ ...large ref, ${field}: v })`, (w, v) => w.space.freeStack({ ...w.largeRef, [field]: v })],
  ]),
  ["isLive(v)", (w, v) => expect(w.space.isLive(v as never)).toBe(false)],
  ["refAt(v, addr)", (w, v) => w.space.refAt(v as never, w.ref.addr)],
  ['refAt("micro", v)', (w, v) => w.space.refAt("micro", v as never)],
  ["toSVG(v)", (w, v) => w.space.toSVG(v as never)],
  ...(["width", "title", "highlight"] as const).map((key): Target => [`toSVG({ ${key}: v })`, (w, v) => w.space.toSVG({ [key]: v })]),
  ["toSVG({ highlight: [v] })", (w, v) => w.space.toSVG({ highlight: [v] as never })],
  // BitmapPool
  ["new BitmapPool(v, 0, 64, 10)", (_w, v) => new BitmapPool(v as never, 0, 64, 10)],
  ["new BitmapPool(buffer, v, 64, 10)", (_w, v) => new BitmapPool(new SharedArrayBuffer(4096), v as never, 64, 10)],
  ["new BitmapPool(buffer, 0, v, 10)", (_w, v) => new BitmapPool(new SharedArrayBuffer(4096), 0, v as never, 10)],
  ["new BitmapPool(buffer, 0, 64, v)", (_w, v) => new BitmapPool(new SharedArrayBuffer(4096), 0, 64, v as never)],
  ["BitmapPool.bytesNeeded(v, 10)", (_w, v) => BitmapPool.bytesNeeded(v as never, 10)],
  ["BitmapPool.bytesNeeded(64, v)", (_w, v) => BitmapPool.bytesNeeded(64, v as never)],
  ["BitmapPool.attach(v, 0, 64, 40)", (_w, v) => BitmapPool.attach(v as never, 0, 64, 40)],
  ["BitmapPool.attach(buffer, v, 64, 40)", (w, v) => BitmapPool.attach(w.poolBuffer, v as never, 64, 40)],
  ["pool.free(v)", (w, v) => w.pool.free(v as never)],
  ["pool.isAllocated(v)", (w, v) => expect(typeof w.pool.isAllocated(v as never)).toBe("boolean")],
  ["pool.claimBatch(v)", (w, v) => w.pool.claimBatch(v as never)],
  ["pool.releaseBatch(v, 1)", (w, v) => w.pool.releaseBatch(v as never, 1)],
  ["pool.releaseBatch(1, v)", (w, v) => w.pool.releaseBatch(1, v as never)],
  ["pool.freeIndex(v)", (w, v) => w.pool.freeIndex(v as never)],
  ["pool.isSlotAllocated(v)", (w, v) => expect(typeof w.pool.isSlotAllocated(v as never)).toBe("boolean")],
  // Heap
  ["Heap.init(v, 0, 2048)", (_w, v) => Heap.init(v as never, 0, 2048)],
  ["Heap.init(buffer, v, 2048)", (_w, v) => Heap.init(new SharedArrayBuffer(1 << 16), v as never, 2048)],
  ["Heap.init(buffer, 0, v)", (_w, v) => Heap.init(new SharedArrayBuffer(1 << 16), 0, v as never)],
  ["Heap.init(buffer, 0, 2048, v)", (_w, v) => Heap.init(new SharedArrayBuffer(1 << 16), 0, 2048, v as never)],
  ["Heap.init(buffer, 0, 2048, undefined, v)", (_w, v) => Heap.init(new SharedArrayBuffer(1 << 16), 0, 2048, undefined, v as never)],
  ["Heap.attach(v, 0)", (_w, v) => Heap.attach(v as never, 0)],
  ["Heap.attach(buffer, v)", (w, v) => Heap.attach(w.heapBuffer, v as never)],
  ["heap.alloc(v)", (w, v) => freeIfBlock(w, w.heap.alloc(v as never))],
  ["heap.alloc(64, v)", (w, v) => freeIfBlock(w, w.heap.alloc(64, v as never))],
  ["heap.alloc(64, BLOCK_OTHER, v)", (w, v) => freeIfBlock(w, w.heap.alloc(64, 4, v as never))],
  ["heap.free(v)", (w, v) => w.heap.free(v as never)],
  ["heap.holds(v, BLOCK_OTHER, 0)", (w, v) => expect(typeof w.heap.holds(v as never, 4, 0)).toBe("boolean")],
  // Validators
  ["checkMemory(v)", (_w, v) => checkMemory(v as never)],
  ["checkAddressSpaceBuffer(v)", (_w, v) => checkAddressSpaceBuffer(v as never)],
  ["checkHeap(v, 0)", (_w, v) => checkHeap(v as never, 0)],
  ["checkHeap(buffer, v)", (w, v) => checkHeap(w.heapBuffer, v as never)],
  ["checkBitmapPool(v, 0)", (_w, v) => checkBitmapPool(v as never, 0)],
  ["checkBitmapPool(buffer, v)", (w, v) => checkBitmapPool(w.poolBuffer, v as never)],
  // Definitions and frames
  ["bytes(v)", (_w, v) => bytes(v as never)],
  ["coro(v, body)", (_w, v) => coro(v as never, body)],
  ["coro({}, v)", (_w, v) => coro({}, v as never)],
  ...(["name", "locals", "size"] as const).map((key): Target => [`coro({ ${key}: v }, body)`, (_w, v) => coro({ [key]: v }, body)]),
  ["coro({ calls: v }, body).metadata", (_w, v) => coro({ calls: v as never }, body).metadata],
  ["coro({ calls: [v] }, body).metadata", (_w, v) => coro({ calls: [v] as never }, body).metadata],
  ["coro({ locals: { x: v } }, body)", (_w, v) => coro({ locals: { x: v as never } }, body)],
  ["call(v)", (_w, v) => call(v as never)],
  ["frame.$addr(v)", (w, v) => w.frame.$addr(v)],
  ["frame.$bytes(v)", (w, v) => w.frame.$bytes(v)],
  ["frame.buf = v", (w, v) => (w.frame.buf = v)],
  ...LOCAL_TYPES.map((type): Target => [`frame.${type} = v`, (w, v) => (w.frame[type] = v)]),
];

/**
 * Values a frame setter accepts: number locals take any number (stored as a
 * typed array stores it), 64-bit ones any bigint, bool anything (truthiness),
 * a bytes(4) local an array of at most 4 numbers.
 */
function accepts(target: string, value: unknown): boolean {
  const local = /^frame\.(\w+) = v$/.exec(target)?.[1];
  if (local === undefined) return false;
  if (local === "buf") return Array.isArray(value) && value.length <= 4 && value.every((element) => typeof element === "number");
  if (local === "bool") return true; // any value is truthy or not
  return local === "i64" || local === "u64" ? typeof value === "bigint" : typeof value === "number";
}

function makeWorld(): World {
  const rt = new Runtime({ pools: { micro: 8, small: 2, medium: 1 } });
  const space = rt.memory;
  const poolBuffer = new SharedArrayBuffer(BitmapPool.bytesNeeded(64, 40));
  const pool = new BitmapPool(poolBuffer, 0, 64, 40);
  for (let i = 0; i < 10; i++) pool.alloc();
  const heapBuffer = new SharedArrayBuffer(1 << 16, { maxByteLength: 1 << 20 });
  const heap = Heap.init(heapBuffer, 0, 2048, undefined, { shared: true });
  heap.alloc(100);
  const locals = Object.fromEntries([...LOCAL_TYPES.map((type) => [type, type]), ["buf", bytes(4)]]);
  const holder = coro({ name: "holder", locals }, function* (f) {
    yield f;
  });
  const co = rt.create(holder);
  const r = co.resume();
  return {
    rt,
    space,
    ref: space.allocStack("micro"),
    largeRef: space.allocStack("large", 4096),
    pool,
    poolBuffer,
    heap,
    heapBuffer,
    frame: (r as { value: World["frame"] }).value,
    co,
  };
}

function observe(w: World): string {
  return JSON.stringify([w.space.stats(), w.heap.stats(), w.pool.freeCount]);
}

/** Calls `target` with `value` and checks the outcome; returns a description of what went wrong, or "". */
function check(w: World, [label, run]: Target, valueLabel: string, value: unknown): string {
  const before = observe(w);
  let error: unknown = null;
  try {
    run(w, value);
  } catch (caught) {
    error = caught;
  }
  const where = `${label} with v = ${valueLabel}`;
  if (error !== null) {
    if (!(error instanceof TypeError || error instanceof RangeError || error instanceof CoroError)) return `${where}: threw ${String(error)}`;
    if (/internal error/.test(error.message)) return `${where}: ${error.message}`;
    if (/hostile trap/.test(error.message) && !/cannot be read/.test(error.message)) return `${where}: the trap's error escaped: ${error.message}`;
    if (!names(error.message, value)) return `${where}: message does not name the value: ${error.message}`;
  } else if (/^frame\.\w+ = v$/.test(label) && !accepts(label, value)) {
    return `${where}: accepted`;
  }
  w.space.checkMemory();
  checkHeap(w.heapBuffer, 0);
  checkBitmapPool(w.poolBuffer, 0);
  // A misuse changes nothing. (A call that did its job — undefined for an optional argument — may move a high-water mark.)
  if (error !== null && observe(w) !== before) return `${where}: changed the stats`;
  return "";
}

describe("hostile values at the memory and frame exports", () => {
  test("every export × every hostile value: a typed error naming it, or the job done; memory clean, stats unchanged", () => {
    const w = makeWorld();
    const problems: string[] = [];
    for (const target of TARGETS) {
      for (const [valueLabel, make] of HOSTILE) {
        const problem = check(w, target, valueLabel, make());
        if (problem !== "") problems.push(problem);
      }
    }
    expect(problems).toEqual([]);
    w.co.destroy();
    w.space.freeStack(w.ref);
    w.space.freeStack(w.largeRef);
    checkMemory(w.space);
  });

  test("random sequences of hostile calls on one world leave it as it was", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(TARGETS.length - 1), fc.nat(HOSTILE.length - 1)), { minLength: 1, maxLength: 25 }), (calls) => {
        const w = makeWorld();
        for (const [t, h] of calls) expect(check(w, TARGETS[t], HOSTILE[h][0], HOSTILE[h][1]())).toBe("");
        w.co.destroy();
        w.space.checkMemory();
      }),
      { numRuns: runs(40) },
    );
  });
});
