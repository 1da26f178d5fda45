/**
 * Frames: a definition's declared locals laid out in its coroutine's stack slot.
 *
 * Layout of one frame (byte offsets from the frame's base address, `$base`):
 *
 *   +0   u32  definition id      (0 for a plain generator's header-only frame)
 *   +4   u32  caller frame base  (0 for a coroutine's first frame)
 *   +8   u32  frame bytes
 *   +12  u32  owner coroutine id (low 32 bits)
 *   +16  locals, in declaration order, each naturally aligned (f64 on 8 bytes)
 *   ...  padding to a multiple of 8
 *
 * The header is the simulated "return address": it lets a dump walk a stack
 * from the buffer alone. Invariants:
 * - a frame's bytes are [base, base + frameBytes) and lie inside one segment
 *   of its coroutine's stack; no accessor reads or writes outside them;
 * - a local's value lives only in the buffer: the frame object holds nothing
 *   but the base address, so a raw typed-array view sees what the frame sees;
 * - once the frame is popped or its coroutine ends, every access throws
 *   `UseAfterFreeError` (the slot may already belong to another coroutine).
 */
import { UseAfterFreeError } from "../errors.js";
import { describeValue, readGuarded } from "../memory/describe.js";
import { fromI32Address, toI32Address } from "../memory/layout.js";
import type { BufferViews } from "./views.js";

/** A fixed-size byte-array local, declared with `bytes(n)`. */
export interface Bytes {
  readonly kind: "bytes";
  readonly length: number;
}

/** The scalar local types and `bytes(n)`. */
export type ScalarType = "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "f32" | "f64" | "i64" | "u64" | "bool";
export type LocalType = ScalarType | Bytes;

/** The largest `bytes(n)` local: a frame must fit a medium stack or a large one. */
export const MAX_BYTES_LOCAL = 1 << 20;

/** The largest frame (header and locals): the default address-space limit, 1 GiB; a bigger one could never be spawned. */
export const MAX_FRAME_BYTES = 1 << 30;

/** Why `n` is not a `bytes(n)` length (a positive safe integer up to MAX_BYTES_LOCAL), or "" if it is one. */
function badBytesLength(n: unknown): string {
  if (typeof n !== "number") return "is not a number";
  if (!Number.isSafeInteger(n) || n < 1) return "is not a positive safe integer";
  return n > MAX_BYTES_LOCAL ? `is more than ${MAX_BYTES_LOCAL}` : "";
}

/** Declares a fixed byte-array local of `n` bytes (read as a `Uint8Array` view over the slot). */
export function bytes(n: number): Bytes {
  const why = badBytesLength(n);
  if (why !== "") {
    const message = `bytes(n): n must be a positive safe integer of at most ${MAX_BYTES_LOCAL}, received ${describeValue(n)}`;
    throw typeof n === "number" ? new RangeError(message) : new TypeError(message);
  }
  return Object.freeze({ kind: "bytes" as const, length: n });
}

/** The JavaScript type a local reads as. */
export type LocalValue<T extends LocalType> = T extends "i64" | "u64" ? bigint : T extends "bool" ? boolean : T extends Bytes ? Uint8Array : number;

/** A frame as the body sees it: one property per local, plus its addresses. */
export type Frame<L extends Record<string, LocalType> = Record<string, never>> = {
  -readonly [K in keyof L]: LocalValue<L[K]>;
} & {
  /** The frame's byte address in the address space. */
  readonly $base: number;
  /** The byte address of a local; valid (the stack never moves) until the coroutine ends. */
  $addr(name: keyof L & string): number;
  /**
   * A plain `Uint8Array` over a bytes(n) local's bytes, for APIs that need a
   * real typed array (`TextEncoder.encodeInto`, `TextDecoder.decode`,
   * `crypto.getRandomValues`). Unchecked, like any raw view of the buffer:
   * valid until the frame is popped or its coroutine ends, and not after.
   * `frame.name` is the checked view.
   */
  $bytes(name: BytesLocalName<L>): Uint8Array;
};

/** The names of a local set's bytes(n) locals. */
export type BytesLocalName<L> = { [K in keyof L]: L[K] extends Bytes ? K : never }[keyof L] & string;

export const FRAME_HEADER_BYTES = 16;
const SCALAR_BYTES: Record<ScalarType, number> = {
  i8: 1,
  u8: 1,
  bool: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  f32: 4,
  f64: 8,
  i64: 8,
  u64: 8,
};

/** Where one local lives in its frame. */
export interface LocalSlot {
  readonly name: string;
  readonly type: ScalarType | "bytes";
  readonly offset: number; // bytes from the frame base
  readonly bytes: number;
  /** For a bytes(n) local: its index among the frame's bytes locals (where its checked view is cached); -1 otherwise. */
  readonly bytesIndex: number;
}

export interface FrameLayout {
  readonly locals: readonly LocalSlot[];
  readonly byName: ReadonlyMap<string, LocalSlot>;
  /** Header plus locals, rounded up to 8. */
  readonly frameBytes: number;
}

/**
 * Lays out `locals` in declaration order with natural alignment; validates
 * names and types. Every local's bytes lie in [FRAME_HEADER_BYTES,
 * frameBytes), naturally aligned, none overlapping; frameBytes is a multiple
 * of 8 of at most MAX_FRAME_BYTES. The arithmetic is plain (no 32-bit
 * bitwise operators), so no size can wrap an offset around.
 */
export function layoutLocals(locals: Record<string, LocalType> | undefined, defName: string): FrameLayout {
  const slots: LocalSlot[] = [];
  const byName = new Map<string, LocalSlot>();
  let offset = FRAME_HEADER_BYTES;
  let bytesLocals = 0;
  if (locals !== undefined) {
    if (locals === null || typeof locals !== "object" || readGuarded(`coro "${defName}": locals`, () => Array.isArray(locals))) {
      throw new TypeError(`coro "${defName}": locals must be an object of name → type, received ${describeValue(locals)}`);
    }
    // One read of every entry (a getter runs once; a Proxy trap that throws is a TypeError here, not later).
    const entries = readGuarded(`coro "${defName}": locals`, () =>
      Object.keys(locals).map((name) => [name, readLocalType((locals as Record<string, unknown>)[name])] as const),
    );
    for (const [name, t] of entries) {
      if (name.startsWith("$")) {
        throw new TypeError(`coro "${defName}": local "${name}" is reserved (names starting with "$" belong to the frame)`);
      }
      let size: number;
      let align: number;
      let type: ScalarType | "bytes";
      if (typeof t === "string" && Object.hasOwn(SCALAR_BYTES, t)) {
        type = t as ScalarType;
        size = align = SCALAR_BYTES[type];
      } else if (t !== null && typeof t === "object" && (t as ReadBytes).kind === "bytes") {
        const length = (t as ReadBytes).length;
        const why = badBytesLength(length);
        if (why !== "") {
          const message = `coro "${defName}": local "${name}" is bytes(n) whose length ${why}: it must be a positive safe integer of at most ${MAX_BYTES_LOCAL}, received ${describeValue(length)}`;
          throw typeof length === "number" ? new RangeError(message) : new TypeError(message);
        }
        type = "bytes";
        size = length as number;
        align = 1;
      } else {
        throw new TypeError(
          `coro "${defName}": local "${name}" has unknown type ${describeValue(t === null || typeof t !== "object" ? t : (t as ReadBytes).value)}; ` +
            `use one of ${Object.keys(SCALAR_BYTES).join(", ")} or bytes(n)`,
        );
      }
      offset = Math.ceil(offset / align) * align;
      const slot: LocalSlot = { name, type, offset, bytes: size, bytesIndex: type === "bytes" ? bytesLocals++ : -1 };
      slots.push(slot);
      byName.set(name, slot);
      offset += size;
      if (offset > MAX_FRAME_BYTES) {
        throw new RangeError(
          `coro "${defName}": its locals need more than ${MAX_FRAME_BYTES} bytes (at local "${name}", ${offset} bytes): no stack could hold the frame`,
        );
      }
    }
  }
  return { locals: slots, byName, frameBytes: Math.ceil(offset / 8) * 8 };
}

/** An object local type as `readLocalType` read it. */
interface ReadBytes {
  kind: unknown;
  length: unknown;
  value: unknown;
}

/** A local's declared type as read once: a string as it is, a bytes(n)-like object as its kind and length. */
function readLocalType(t: unknown): unknown {
  if (t === null || typeof t !== "object") return t;
  const { kind, length } = t as { kind?: unknown; length?: unknown };
  const read: ReadBytes = { kind, length, value: t };
  return read;
}

/** Identifies a frame's owner for error messages. */
export interface FrameOwner {
  readonly id: number;
  readonly name: string;
  /** Guarded spaces: the GuardError for a write at `addr` that lands in a guard region, else null (coro/stack.ts). */
  guardHit?(addr: number, frame: FrameBase, what: string): Error | null;
}

/**
 * The JavaScript side of a frame. Definitions with locals get a subclass whose
 * prototype has one accessor per local (built once per definition).
 * Fields are `$$`-prefixed and non-enumerable in spirit: users see locals,
 * `$base` and `$addr` only (see the `Frame` type).
 */
export class FrameBase {
  // Every field is `declare`d and set by the constructor (see CoroStack's
  // fields): V8 11 inlines the `super()` of a definition's frame class only
  // into a base class without instance field initialisers.
  declare readonly $$views: BufferViews;
  declare readonly $$layout: FrameLayout;
  declare readonly $$defName: string;
  declare readonly $$owner: FrameOwner;
  /** `$$addr` and `$$prevSp` as stored: see `toI32Address` (memory/layout.ts). */
  declare private $$addrI32: number;
  declare private $$prevSpI32: number;
  declare $$dead: boolean;
  /** The caller's frame on the same stack. */
  declare $$prev: FrameBase | null;
  declare $$enteredSegment: boolean;
  /** Checked views of the frame's bytes(n) locals, by LocalSlot.bytesIndex (made on first use; see checkedBytes). */
  declare $$bytesViews: Uint8Array[] | undefined;
  constructor(views: BufferViews, layout: FrameLayout, defName: string, owner: FrameOwner, addr: number, prev: FrameBase | null, prevSp: number) {
    this.$$views = views;
    this.$$layout = layout;
    this.$$defName = defName;
    this.$$owner = owner;
    this.$$addrI32 = toI32Address(addr);
    this.$$prevSpI32 = toI32Address(prevSp);
    this.$$dead = false;
    this.$$prev = prev;
    this.$$enteredSegment = false;
  }

  /** Byte address of the frame. */
  get $$addr(): number {
    return fromI32Address(this.$$addrI32);
  }

  /** The stack pointer before this frame was pushed (`$$enteredSegment`: whether pushing it entered a new segment). */
  get $$prevSp(): number {
    return fromI32Address(this.$$prevSpI32);
  }

  get $base(): number {
    if (this.$$dead) throw this.$$useAfterFree("$base");
    return this.$$addr;
  }

  $addr(name: string): number {
    if (this.$$dead) throw this.$$useAfterFree(`$addr(${describeValue(name)})`);
    const slot = this.$$layout.byName.get(name);
    if (slot === undefined) {
      throw new TypeError(
        `frame of "${this.$$defName}" has no local ${describeValue(name)} (locals: ${[...this.$$layout.byName.keys()].join(", ") || "none"})`,
      );
    }
    return this.$$addr + slot.offset;
  }

  $bytes(name: string): Uint8Array {
    if (this.$$dead) throw this.$$useAfterFree(`$bytes(${describeValue(name)})`);
    const slot = this.$$layout.byName.get(name);
    if (slot === undefined || slot.type !== "bytes") {
      const names = this.$$layout.locals.filter((local) => local.type === "bytes").map((local) => local.name);
      throw new TypeError(`frame of "${this.$$defName}" has no bytes(n) local ${describeValue(name)} (bytes locals: ${names.join(", ") || "none"})`);
    }
    return new Uint8Array(this.$$views.buffer, this.$$addr + slot.offset, slot.bytes);
  }

  $$useAfterFree(what: string): UseAfterFreeError {
    return new UseAfterFreeError(
      `frame of "${this.$$defName}" in coroutine #${this.$$owner.id} ${this.$$owner.name} used after it was freed (${what}): ` +
        `the frame was popped or its coroutine ended, and its stack slot may belong to another coroutine now`,
    );
  }

  /** Reads every local from the buffer (for dumps). 64-bit integers as decimal strings, bytes as "0x…" hex. */
  $$decode(): Record<string, number | boolean | string> {
    const out: Record<string, number | boolean | string> = {};
    for (const slot of this.$$layout.locals) out[slot.name] = decodeLocal(this.$$views, this.$$addr + slot.offset, slot);
    return out;
  }
}

/** Reads one local at `byteOffset` for a dump: plain JSON values only. */
export function decodeLocal(v: BufferViews, byteOffset: number, slot: LocalSlot): number | boolean | string {
  const a = byteOffset >>> 0;
  switch (slot.type) {
    case "i8":
      return v.i8[a];
    case "u8":
      return v.u8[a];
    case "bool":
      return v.u8[a] !== 0;
    case "i16":
      return v.i16[a >>> 1];
    case "u16":
      return v.u16[a >>> 1];
    case "i32":
      return v.i32[a >>> 2];
    case "u32":
      return v.u32[a >>> 2];
    case "f32":
      return v.f32[a >>> 2];
    case "f64":
      return v.f64[a >>> 3];
    case "i64":
      return v.i64[a >>> 3].toString();
    case "u64":
      return v.u64[a >>> 3].toString();
    case "bytes": {
      let hex = "0x";
      for (let i = 0; i < slot.bytes; i++) hex += v.u8[a + i].toString(16).padStart(2, "0");
      return hex;
    }
  }
}

/** Builds the frame class of a definition: one prototype accessor per local. */
export function frameClassFor(layout: FrameLayout): typeof FrameBase {
  if (layout.locals.length === 0) return FrameBase;
  class DefFrame extends FrameBase {}
  for (const slot of layout.locals) {
    Object.defineProperty(DefFrame.prototype, slot.name, { ...accessor(slot), enumerable: true, configurable: false });
  }
  return DefFrame;
}

type Accessor = { get(this: FrameBase): unknown; set(this: FrameBase, value: never): void };

// One closure pair per local per definition (not per frame). Every accessor
// checks liveness first: a dead frame's slot may be reused by another coroutine.
function accessor(slot: LocalSlot): Accessor {
  const off = slot.offset;
  const name = slot.name;
  switch (slot.type) {
    case "i8":
      return scalar("i8", off, name);
    case "u8":
      return scalar("u8", off, name);
    case "i16":
      return scalar("i16", off, name);
    case "u16":
      return scalar("u16", off, name);
    case "i32":
      return scalar("i32", off, name);
    case "u32":
      return scalar("u32", off, name);
    case "f32":
      return scalar("f32", off, name);
    case "f64":
      return scalar("f64", off, name);
    case "i64":
      return scalar("i64", off, name);
    case "u64":
      return scalar("u64", off, name);
    case "bool":
      return {
        get(this: FrameBase) {
          if (this.$$dead) throw this.$$useAfterFree(name);
          return this.$$views.u8[this.$$addr + off] !== 0;
        },
        set(this: FrameBase, value: boolean) {
          if (this.$$dead) throw this.$$useAfterFree(name);
          this.$$views.u8[this.$$addr + off] = value ? 1 : 0;
        },
      };
    case "bytes": {
      const n = slot.bytes;
      const index = slot.bytesIndex;
      return {
        get(this: FrameBase) {
          if (this.$$dead) throw this.$$useAfterFree(name);
          // One checked view per local per frame, made on first use.
          const views = (this.$$bytesViews ??= []);
          return (views[index] ??= checkedBytes(this, name, new Uint8Array(this.$$views.buffer, this.$$addr + off, n)));
        },
        set(this: FrameBase, value: ArrayLike<number>) {
          if (this.$$dead) throw this.$$useAfterFree(name);
          // Read the source once, before writing anything (a Proxy or getter that throws changes nothing).
          const source = readGuarded(`the value stored in local "${name}"`, () => {
            if (value === null || typeof value !== "object" || typeof value.length !== "number" || !(value.length <= n)) return null;
            return Array.from(value as ArrayLike<unknown>);
          });
          if (source === null) throw new RangeError(`local "${name}" is bytes(${n}); cannot store ${describeValue(value)}`);
          const bad = source.findIndex((element) => typeof element !== "number");
          if (bad >= 0) throw new TypeError(`local "${name}" is bytes(${n}); it takes numbers, element ${bad} is ${describeValue(source[bad])}`);
          const u8 = this.$$views.u8;
          const at = this.$$addr + off;
          for (let i = 0; i < source.length; i++) u8[at + i] = source[i] as number;
          for (let i = source.length; i < n; i++) u8[at + i] = 0;
        },
      };
    }
  }
}

/**
 * The view a bytes(n) local reads as: a Proxy over a Uint8Array on the slot,
 * so that every use — index, length, method — checks first that the frame is
 * alive, as every other accessor does (UseAfterFreeError after its pop or its
 * coroutine's end: the slot may be someone else's by then). It is
 * `instanceof Uint8Array` and its methods work on the slot; a method that
 * would return the bare view (`fill`, `subarray`, …) returns a checked one.
 * APIs that need a real ArrayBufferView take a raw view instead:
 * `new Uint8Array(rt.memory.buffer, f.$addr("buf"), n)` (unchecked, like any
 * raw view of the buffer).
 */
function checkedBytes(frame: FrameBase, name: string, view: Uint8Array): Uint8Array {
  const handler = new CheckedBytesHandler(frame, name);
  const proxy = new Proxy(view, handler);
  handler.proxy = proxy;
  return proxy;
}

class CheckedBytesHandler implements ProxyHandler<Uint8Array> {
  proxy: Uint8Array | null = null;
  private methods: Map<PropertyKey, (...args: unknown[]) => unknown> | null = null;
  constructor(
    private readonly frame: FrameBase,
    private readonly name: string,
  ) {}

  private check(): void {
    if (this.frame.$$dead) throw this.frame.$$useAfterFree(this.name);
  }

  get(target: Uint8Array, key: PropertyKey): unknown {
    this.check();
    const value: unknown = Reflect.get(target, key, target);
    return typeof value === "function" && key !== "constructor" ? this.method(target, key, value as (...args: unknown[]) => unknown) : value;
  }

  set(target: Uint8Array, key: PropertyKey, value: unknown): boolean {
    this.check();
    // An index past the view writes nothing (typed-array semantics), but in a guarded space one that
    // would land in a guard region is the overrun the guard exists to catch: say so at the access.
    if (typeof key === "string" && key.length < 16 && /^\d+$/.test(key) && Number(key) >= target.length) this.guardCheck(target, Number(key));
    return Reflect.set(target, key, value, target);
  }

  private guardCheck(target: Uint8Array, index: number): void {
    const owner = this.frame.$$owner;
    const error = owner.guardHit === undefined ? null : owner.guardHit(target.byteOffset + index, this.frame, `${this.name}[${index}]`);
    if (error !== null) throw error;
  }

  has(target: Uint8Array, key: PropertyKey): boolean {
    this.check();
    return Reflect.has(target, key);
  }

  ownKeys(target: Uint8Array): ArrayLike<string | symbol> {
    this.check();
    return Reflect.ownKeys(target);
  }

  getOwnPropertyDescriptor(target: Uint8Array, key: PropertyKey): PropertyDescriptor | undefined {
    this.check();
    return Reflect.getOwnPropertyDescriptor(target, key);
  }

  defineProperty(target: Uint8Array, key: PropertyKey, descriptor: PropertyDescriptor): boolean {
    this.check();
    return Reflect.defineProperty(target, key, descriptor);
  }

  deleteProperty(target: Uint8Array, key: PropertyKey): boolean {
    this.check();
    return Reflect.deleteProperty(target, key);
  }

  /** The method `key` bound to the view, checking liveness on each call; a returned view is checked too. */
  private method(target: Uint8Array, key: PropertyKey, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
    const methods = (this.methods ??= new Map());
    let bound = methods.get(key);
    if (bound === undefined) {
      bound = (...args: unknown[]): unknown => {
        this.check();
        const result = fn.apply(target, args);
        if (result === target) return this.proxy;
        return result instanceof Uint8Array && result.buffer === target.buffer ? checkedBytes(this.frame, this.name, result) : result;
      };
      methods.set(key, bound);
    }
    return bound;
  }
}

type ScalarView = "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "f32" | "f64" | "i64" | "u64";
type Getter = (this: FrameBase) => number | bigint;
type Setter = (this: FrameBase, v: number | bigint) => void;

// One function literal per type and direction: V8 keeps feedback per literal,
// so every accessor of one type stays monomorphic on its typed array.
const GETTERS: Record<ScalarView, (off: number, name: string) => Getter> = {
  i8: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.i8[this.$$addr + off];
    },
  u8: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.u8[this.$$addr + off];
    },
  i16: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.i16[(this.$$addr + off) >>> 1];
    },
  u16: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.u16[(this.$$addr + off) >>> 1];
    },
  i32: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.i32[(this.$$addr + off) >>> 2];
    },
  u32: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.u32[(this.$$addr + off) >>> 2];
    },
  f32: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.f32[(this.$$addr + off) >>> 2];
    },
  f64: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.f64[(this.$$addr + off) >>> 3];
    },
  i64: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.i64[(this.$$addr + off) >>> 3];
    },
  u64: (off, name) =>
    function () {
      if (this.$$dead) throw this.$$useAfterFree(name);
      return this.$$views.u64[(this.$$addr + off) >>> 3];
    },
};

const SETTERS: Record<ScalarView, (off: number, name: string) => Setter> = {
  i8: (off, name) =>
    function (v) {
      checkNumber(this, name, "i8", v);
      this.$$views.i8[this.$$addr + off] = v as number;
    },
  u8: (off, name) =>
    function (v) {
      checkNumber(this, name, "u8", v);
      this.$$views.u8[this.$$addr + off] = v as number;
    },
  i16: (off, name) =>
    function (v) {
      checkNumber(this, name, "i16", v);
      this.$$views.i16[(this.$$addr + off) >>> 1] = v as number;
    },
  u16: (off, name) =>
    function (v) {
      checkNumber(this, name, "u16", v);
      this.$$views.u16[(this.$$addr + off) >>> 1] = v as number;
    },
  i32: (off, name) =>
    function (v) {
      checkNumber(this, name, "i32", v);
      this.$$views.i32[(this.$$addr + off) >>> 2] = v as number;
    },
  u32: (off, name) =>
    function (v) {
      checkNumber(this, name, "u32", v);
      this.$$views.u32[(this.$$addr + off) >>> 2] = v as number;
    },
  f32: (off, name) =>
    function (v) {
      checkNumber(this, name, "f32", v);
      this.$$views.f32[(this.$$addr + off) >>> 2] = v as number;
    },
  f64: (off, name) =>
    function (v) {
      checkNumber(this, name, "f64", v);
      this.$$views.f64[(this.$$addr + off) >>> 3] = v as number;
    },
  i64: (off, name) =>
    function (v) {
      checkBigint(this, name, "i64", v);
      this.$$views.i64[(this.$$addr + off) >>> 3] = v as bigint;
    },
  u64: (off, name) =>
    function (v) {
      checkBigint(this, name, "u64", v);
      this.$$views.u64[(this.$$addr + off) >>> 3] = v as bigint;
    },
};

function checkNumber(f: FrameBase, name: string, type: string, v: unknown): void {
  if (f.$$dead) throw f.$$useAfterFree(name);
  if (typeof v !== "number") throw new TypeError(`local "${name}" is ${type}; it takes a number, received ${describeValue(v)}`);
}

function checkBigint(f: FrameBase, name: string, type: string, v: unknown): void {
  if (f.$$dead) throw f.$$useAfterFree(name);
  if (typeof v !== "bigint") throw new TypeError(`local "${name}" is ${type}; it takes a bigint, received ${describeValue(v)}`);
}

function scalar(view: ScalarView, off: number, name: string): Accessor {
  return { get: GETTERS[view](off, name), set: SETTERS[view](off, name) as Accessor["set"] };
}
