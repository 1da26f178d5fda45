import { describe, expect, test } from "vitest";
import { Runtime, StackOverflowError, UseAfterFreeError, bytes, call, coro, sleep, yieldNow, type Frame } from "../../src/index.js";

describe("coro() definitions", () => {
  test("locals are laid out in declaration order, naturally aligned, after a 16-byte header", () => {
    const def = coro({ name: "layout", locals: { a: "u8", b: "f64", c: "i16", d: "bool", e: bytes(3), f: "i32" } }, function* () {});
    // a@16, b@24 (8-aligned), c@32, d@34, e@35..37, f@40 → 44 → 48
    expect(def.metadata.frameBytes).toBe(48);
    const rt = new Runtime();
    const offsets: Record<string, number> = {};
    const probe = coro({ name: "probe", locals: { a: "u8", b: "f64", c: "i16", d: "bool", e: bytes(3), f: "i32" } }, function* (fr) {
      for (const k of ["a", "b", "c", "d", "e", "f"] as const) offsets[k] = fr.$addr(k) - fr.$base;
    });
    rt.spawn(probe);
    rt.run();
    expect(offsets).toEqual({ a: 16, b: 24, c: 32, d: 34, e: 35, f: 40 });
  });

  test("locals live in the SharedArrayBuffer: raw views see what the frame sees (little-endian)", () => {
    const rt = new Runtime();
    let seen: number[] = [];
    const def = coro({ name: "raw", locals: { x: "f64", n: "i32", big: "i64", u: "u64", flag: "bool", buf: bytes(4) } }, function* (f) {
      f.x = 1.5;
      f.n = -7;
      f.big = -5n;
      f.u = 2n ** 63n;
      f.flag = true;
      f.buf.set([1, 2, 3]); // the view writes straight into the slot
      const buffer = rt.memory.buffer;
      const dv = new DataView(buffer);
      seen = [
        dv.getFloat64(f.$addr("x"), true),
        dv.getInt32(f.$addr("n"), true),
        Number(dv.getBigInt64(f.$addr("big"), true)),
        dv.getUint8(f.$addr("flag")),
        ...new Uint8Array(buffer, f.$addr("buf"), 4),
      ];
      expect(f.u).toBe(2n ** 63n);
      expect(f.buf).toBeInstanceOf(Uint8Array);
      expect(f.flag).toBe(true);
    });
    rt.spawn(def);
    rt.run();
    expect(seen).toEqual([1.5, -7, -5, 1, 1, 2, 3, 0]);
  });

  test("locals keep their values and addresses across suspension", () => {
    const rt = new Runtime();
    const addrs: number[] = [];
    const def = coro({ name: "keep", locals: { count: "i32" } }, function* (f) {
      for (f.count = 0; f.count < 5; f.count++) {
        addrs.push(f.$addr("count"));
        yield* yieldNow();
      }
      return f.count;
    });
    const others = coro({ name: "noise", locals: { junk: "f64" } }, function* (f) {
      for (let i = 0; i < 5; i++) {
        f.junk = Math.random();
        yield* yieldNow();
      }
    });
    rt.spawn(others);
    const t = rt.spawn(def);
    rt.spawn(others);
    rt.run();
    expect(t.result).toBe(5);
    expect(new Set(addrs).size).toBe(1);
  });

  test("typed from the spec: f64 is number, i64 bigint, bytes a Uint8Array", () => {
    const def = coro({ name: "typed", locals: { x: "f64", n: "i64", b: bytes(2) } }, function* (f: Frame<{ x: "f64"; n: "i64"; b: ReturnType<typeof bytes> }>) {
      const x: number = f.x;
      const n: bigint = f.n;
      const b: Uint8Array = f.b;
      return [x, n, b.length] as const;
    });
    const rt = new Runtime();
    const t = rt.spawn(def);
    rt.run();
    expect(t.result).toEqual([0, 0n, 2]);
  });

  test("wrong value types are refused with a TypeError naming the local", () => {
    const rt = new Runtime();
    const errs: string[] = [];
    const def = coro({ name: "strict", locals: { n: "i64", x: "f64", b: bytes(2) } }, function* (f) {
      for (const act of [() => ((f as unknown as { n: number }).n = 3), () => ((f as unknown as { x: string }).x = "1"), () => (f.b = [1, 2, 3] as never)]) {
        try {
          act();
        } catch (e) {
          errs.push((e as Error).message);
        }
      }
    });
    rt.spawn(def);
    rt.run();
    expect(errs).toEqual([
      'local "n" is i64; it takes a bigint, received 3',
      'local "x" is f64; it takes a number, received "1"',
      'local "b" is bytes(2); cannot store an object (Array)',
    ]);
  });

  test("bad definitions are refused with the bad value named", () => {
    expect(() => coro({ name: "bad", locals: { x: "i128" as never } }, function* () {})).toThrow(/local "x" has unknown type "i128"/);
    expect(() => coro({ name: "bad", locals: { $x: "i32" } }, function* () {})).toThrow(/reserved/);
    expect(() => coro({ name: "bad" }, (() => {}) as never)).toThrow(/must be a generator function/);
    expect(() => coro({ name: "bad", size: "huge" as never }, function* () {})).toThrow(/size must be one of micro, small, medium, large, received "huge"/);
    expect(() => bytes(0)).toThrow(/received 0/);
    expect(() => bytes(1.5)).toThrow(RangeError);
  });

  test("a frame touched after its coroutine ended throws UseAfterFreeError", () => {
    const rt = new Runtime();
    let leaked: Frame<{ n: "i32" }> | null = null;
    const def = coro({ name: "leaky", locals: { n: "i32" } }, function* (f) {
      f.n = 1;
      leaked = f;
    });
    rt.spawn(def);
    rt.run();
    expect(() => leaked!.n).toThrow(UseAfterFreeError);
    expect(() => (leaked!.n = 2)).toThrow(/frame of "leaky" in coroutine #1 leaky used after it was freed/);
    expect(() => leaked!.$base).toThrow(UseAfterFreeError);
    expect(() => leaked!.$addr("n")).toThrow(UseAfterFreeError);
  });

  test("$addr of an unknown local is a TypeError", () => {
    const rt = new Runtime();
    let msg = "";
    rt.spawn(
      coro({ name: "q", locals: { a: "i32" } }, function* (f) {
        try {
          f.$addr("zz" as never);
        } catch (e) {
          msg = (e as Error).message;
        }
      }),
    );
    rt.run();
    expect(msg).toBe('frame of "q" has no local "zz" (locals: a)');
  });
});

describe("call()", () => {
  const leaf = coro({ name: "leaf", locals: { v: "f64" } }, function* (f, x: number) {
    f.v = x;
    yield* sleep(1);
    return f.v * 2;
  });
  const mid = coro({ name: "mid", locals: { a: "i32" }, calls: [leaf] }, function* (f, x: number) {
    f.a = 1;
    return (yield* call(leaf, x)) + f.a;
  });

  test("runs the callee on the same stack, below the caller's frame, and pops it on return", () => {
    const rt = new Runtime();
    let inner = 0;
    let outer = 0;
    const probe = coro({ name: "probe", locals: { z: "i32" }, calls: [] }, function* (f) {
      inner = f.$base;
      return 0;
    });
    const top = coro({ name: "top", locals: { y: "i32" }, calls: [probe] }, function* (f) {
      outer = f.$base;
      yield* call(probe);
      return f.y;
    });
    const t = rt.spawn(top);
    rt.run();
    expect(t.state).toBe("done");
    expect(inner).toBe(outer - probe.metadata.frameBytes); // frames grow downward
    expect(t.stack.highWater).toBe(top.metadata.frameBytes + probe.metadata.frameBytes);
  });

  test("returns the callee's value and keeps the high-water mark", () => {
    const rt = new Runtime();
    const t = rt.spawn(mid, 20);
    rt.run();
    expect(t.result).toBe(41);
    expect(t.stack.highWater).toBe(mid.metadata.frameBytes + leaf.metadata.frameBytes);
    expect(t.stack.highWater).toBe(mid.metadata.maxStackBytes);
  });

  test("pops the frame when the callee throws; the error carries the call chain", () => {
    const rt = new Runtime();
    const thrower = coro({ name: "thrower" }, function* () {
      yield* yieldNow();
      throw new Error("deep");
    });
    const outer = coro({ name: "outer", calls: [thrower] }, function* () {
      yield* call(thrower);
    });
    const t = rt.spawn(outer);
    expect(() => rt.run()).toThrow("deep");
    const chain = (t.error as Record<symbol, unknown>)[Symbol.for("cprime-coro.callChain")];
    expect(chain).toEqual(["thrower", "outer"]);
  });

  test("call of a non-definition is a TypeError", () => {
    expect(() => call(function* () {} as never)).toThrow(/must be a coro\(\) definition/);
  });
});

describe("metadata", () => {
  test("a leaf: depth 1, bounded, class from its frame", () => {
    const leaf = coro({ name: "m-leaf", locals: { a: "f64" } }, function* () {});
    expect(leaf.metadata).toEqual({ frameBytes: 24, maxStackBytes: 24, bounded: true, callDepth: 1, recursion: false, sizeClass: "micro" });
  });

  test("the deepest declared chain decides maxStackBytes and the class", () => {
    const big = coro({ name: "m-big", locals: { buf: bytes(1000) } }, function* () {});
    const small = coro({ name: "m-small" }, function* () {});
    const root = coro({ name: "m-root", calls: [small, big] }, function* () {});
    expect(root.metadata.maxStackBytes).toBe(16 + 1016);
    expect(root.metadata.callDepth).toBe(2);
    expect(root.metadata.sizeClass).toBe("small");
  });

  test("recursion (also mutual, through a thunk) is unbounded and large", () => {
    const a: ReturnType<typeof coro> = coro({ name: "m-a", calls: () => [b] }, function* () {});
    const b: ReturnType<typeof coro> = coro({ name: "m-b", calls: () => [a] }, function* () {});
    const user = coro({ name: "m-user", calls: [a] }, function* () {});
    for (const d of [a, b, user]) {
      expect(d.metadata).toMatchObject({ maxStackBytes: null, bounded: false, callDepth: Infinity, recursion: true, sizeClass: "large" });
    }
    const self: ReturnType<typeof coro> = coro({ name: "m-self", calls: (): ReturnType<typeof coro>[] => [self] }, function* () {});
    expect(self.metadata.recursion).toBe(true);
  });

  test("a size hint overrides the computed class", () => {
    const d = coro({ name: "m-hint", size: "medium" }, function* () {});
    expect(d.metadata.sizeClass).toBe("medium");
    const rt = new Runtime();
    const t = rt.spawn(d);
    expect(t.stack.sizeClass).toBe("medium");
    rt.run();
  });

  test("a bad calls list is reported when the metadata is computed", () => {
    const d = coro({ name: "m-badcalls", calls: () => [42 as never] }, function* () {});
    expect(() => d.metadata).toThrow(/calls contains 42, which is not a coro\(\) definition/);
  });
});

describe("stack overflow", () => {
  const fat = coro({ name: "fat", locals: { buf: bytes(300) } }, function* () {
    return 1;
  });
  const caller = coro({ name: "caller", size: "micro" }, function* () {
    return yield* call(fat);
  });

  test('overflow: "grow" chains a segment of the next class, moves nothing, counts and costs a migration', () => {
    const rt = new Runtime();
    let baseBefore = 0;
    let baseAfter = 0;
    const outer = coro({ name: "outer-grow", locals: { x: "i32" }, size: "micro" }, function* (f) {
      baseBefore = f.$base;
      yield* call(fat);
      baseAfter = f.$base;
    });
    const t = rt.spawn(outer);
    const cyclesBefore = rt.stats().busyCycles;
    rt.run();
    expect(baseAfter).toBe(baseBefore);
    expect(t.stack.segments).toBe(2);
    expect(t.stack.sizeClass).toBe("micro");
    expect(rt.stats().migrations).toBe(1);
    expect(rt.stats().busyCycles - cyclesBefore).toBeGreaterThan(5000);
    expect(rt.stats().memory.small.used).toBe(0);
  });

  test("a call loop at the boundary migrates once (the segment stays cached)", () => {
    const rt = new Runtime();
    const loop = coro({ name: "loop", size: "micro" }, function* () {
      for (let i = 0; i < 10_000; i++) yield* call(fat);
    });
    const t = rt.spawn(loop);
    rt.run();
    expect(t.state).toBe("done");
    expect(rt.stats().migrations).toBe(1);
  });

  test('overflow: "error" throws StackOverflowError naming the coroutine, frame size and space left', () => {
    const rt = new Runtime({ overflow: "error" });
    let err: unknown;
    const t = rt.spawn(
      coro({ name: "guarded", size: "micro", calls: [] }, function* () {
        try {
          yield* call(fat);
        } catch (e) {
          err = e;
        }
      }),
    );
    rt.run();
    expect(t.state).toBe("done");
    expect(err).toBeInstanceOf(StackOverflowError);
    expect((err as Error).message).toMatch(/coroutine #1 guarded: frame of "fat" needs 320 bytes, 224 bytes are left in its 256-byte micro stack/);
    expect(rt.stats().migrations).toBe(0);
  });

  test('spawning a definition whose first frame does not fit under "error" leaves nothing allocated', () => {
    const rt = new Runtime({ overflow: "error" });
    const tooBig = coro({ name: "too-big", locals: { b: bytes(400) }, size: "micro" }, function* () {});
    expect(() => rt.spawn(tooBig)).toThrow(StackOverflowError);
    expect(rt.stats().memory.micro.used).toBe(0);
    expect(rt.stats().spawned).toBe(0);
    void caller;
  });
});

describe("frame initialisation", () => {
  test("locals start at zero even when the slot held another coroutine's frame", () => {
    const rt = new Runtime({ pools: { micro: 1, small: 1, medium: 1 } }); // one micro slot: reused
    const dirty = coro({ name: "dirty", locals: { a: "f64", b: "i32" } }, function* (f) {
      f.a = 3.5;
      f.b = -1;
    });
    const fresh = coro({ name: "fresh", locals: { a: "f64", b: "i32" } }, function* (f) {
      return [f.a, f.b];
    });
    rt.spawn(dirty);
    rt.run();
    const t = rt.spawn(fresh);
    rt.run();
    expect(t.result).toEqual([0, 0]);
  });
});
