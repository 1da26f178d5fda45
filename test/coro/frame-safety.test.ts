/**
 * A frame never reaches outside its own bytes (issue 9): bytes(n) lengths are
 * checked at definition time, and a bytes() view kept past its frame's end
 * is refused on use like every other accessor.
 */
import { describe, expect, test } from "vitest";
import { Runtime, UseAfterFreeError, bytes, call, coro, yieldNow, type Frame } from "../../src/index.js";

describe("bytes(n) lengths", () => {
  test.each([
    [-1, RangeError, /received -1$/],
    [0, RangeError, /received 0$/],
    [-0, RangeError, /received -0$/],
    [1.5, RangeError, /received 1.5$/],
    [NaN, RangeError, /received NaN$/],
    [Infinity, RangeError, /received Infinity$/],
    [2 ** 53, RangeError, /received 9007199254740992$/],
    [(1 << 20) + 1, RangeError, /received 1048577$/],
    ["8", TypeError, /received "8"$/],
    [8n, TypeError, /received 8n \(a BigInt\)$/],
    [null, TypeError, /received null$/],
    [undefined, TypeError, /received undefined$/],
  ])("bytes(%s) is refused with a %o naming the value", (n, type, message) => {
    expect(() => bytes(n as number)).toThrow(type);
    expect(() => bytes(n as number)).toThrow(message);
  });

  test.each([NaN, -1, 0, 2.5, 2 ** 53, 1e9, "4", undefined])(
    "a forged bytes local of length %s is refused at definition time, naming the local and the value",
    (length) => {
      const forged = { kind: "bytes", length } as unknown as ReturnType<typeof bytes>;
      expect(() => coro({ name: "forged", locals: { ok: "i32", buf: forged } }, function* () {})).toThrow(
        /coro "forged": local "buf" is bytes\(n\) whose length/,
      );
      expect(() => coro({ name: "forged", locals: { buf: forged } }, function* () {})).toThrow(
        length === undefined ? /received undefined/ : new RegExp(`received ${typeof length === "string" ? `"${length}"` : String(length)}`),
      );
    },
  );

  test("a frame whose locals would exceed 1 GiB is refused at definition time", () => {
    const locals: Record<string, ReturnType<typeof bytes>> = {};
    for (let i = 0; i < 1100; i++) locals[`b${i}`] = bytes(1 << 20);
    expect(() => coro({ name: "huge", locals }, function* () {})).toThrow(/coro "huge": its locals need more than 1073741824 bytes/);
  });

  test("a Proxy as the locals object, or as one local's type, whose traps throw is a TypeError naming what could not be read", () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    expect(() => coro({ name: "p", locals: hostile as never }, function* () {})).toThrow(TypeError);
    expect(() => coro({ name: "p", locals: hostile as never }, function* () {})).toThrow(/coro "p": locals cannot be read: reading it threw Error: trap/);
    const type = new Proxy(
      {},
      {
        get() {
          throw new Error("get trap");
        },
      },
    );
    expect(() => coro({ name: "p", locals: { x: type as never } }, function* () {})).toThrow(/locals cannot be read: reading it threw Error: get trap/);
  });
});

describe("a bytes() view outliving its frame", () => {
  test("a view kept past the coroutine's end throws UseAfterFreeError on every use, and the slot's next owner is untouched", () => {
    const rt = new Runtime({ pools: { micro: 1, small: 0, medium: 0 } });
    let kept: Uint8Array | null = null;
    const first = coro({ name: "first", locals: { buf: bytes(8) } }, function* (f) {
      f.buf[0] = 1;
      kept = f.buf;
    });
    rt.spawn(first);
    rt.run();
    // The one micro slot now belongs to another coroutine, whose frame sits where `first`'s did.
    let seen: number[] = [];
    const second = coro({ name: "second", locals: { buf: bytes(8) } }, function* (f) {
      f.buf.set([9, 9, 9, 9, 9, 9, 9, 9]);
      try {
        kept![0] = 42;
      } catch (error) {
        expect(error).toBeInstanceOf(UseAfterFreeError);
      }
      seen = [...f.buf];
    });
    rt.spawn(second);
    rt.run();
    expect(seen).toEqual([9, 9, 9, 9, 9, 9, 9, 9]);
    const view = kept!;
    expect(() => view[0]).toThrow(UseAfterFreeError);
    expect(() => (view[0] = 1)).toThrow(/frame of "first" in coroutine #1 first used after it was freed \(buf\)/);
    expect(() => view.length).toThrow(UseAfterFreeError);
    expect(() => view.fill(0)).toThrow(UseAfterFreeError);
    expect(() => [...view]).toThrow(UseAfterFreeError);
    expect(() => Object.keys(view)).toThrow(UseAfterFreeError);
    expect(view).toBeInstanceOf(Uint8Array); // what it is stays answerable; its bytes do not
  });

  test("a method bound while alive, or a subarray, is refused after the end too", () => {
    const rt = new Runtime();
    let fill: ((value: number) => Uint8Array) | null = null;
    let sub: Uint8Array | null = null;
    const def = coro({ name: "binder", locals: { buf: bytes(8) } }, function* (f) {
      fill = f.buf.fill;
      sub = f.buf.subarray(2, 4);
      expect(fill.call(null, 7)).toBe(f.buf); // a method returning the view returns the checked view
      expect([...sub]).toEqual([7, 7]);
      sub[0] = 3;
      expect(f.buf[2]).toBe(3);
    });
    rt.spawn(def);
    rt.run();
    expect(() => fill!(1)).toThrow(UseAfterFreeError);
    expect(() => sub![0]).toThrow(UseAfterFreeError);
  });

  test("a callee's view is refused once the callee returns (its frame is popped), while the caller runs on", () => {
    const rt = new Runtime();
    const leaf = coro({ name: "leaf", locals: { scratch: bytes(4) } }, function* (f) {
      f.scratch.set([1, 2, 3, 4]);
      return f.scratch;
    });
    let error: unknown = null;
    const root = coro({ name: "root", locals: { n: "i32" }, calls: [leaf] }, function* (f) {
      const view = yield* call(leaf);
      f.n = 5;
      try {
        view[0] = 0;
      } catch (caught) {
        error = caught;
      }
      yield* yieldNow();
    });
    rt.spawn(root);
    rt.run();
    expect(error).toBeInstanceOf(UseAfterFreeError);
  });

  test("the checked view reads and writes the slot: raw views of the buffer see the same bytes; $bytes() is a plain Uint8Array over them", () => {
    const rt = new Runtime();
    let raw: number[] = [];
    let plain = false;
    const def = coro({ name: "same", locals: { n: "u8", buf: bytes(4) } }, function* (f: Frame<{ n: "u8"; buf: ReturnType<typeof bytes> }>) {
      f.buf.set([5, 6, 7, 8]);
      f.buf[1] = 60;
      raw = [...new Uint8Array(rt.memory.buffer, f.$addr("buf"), 4)];
      const direct = f.$bytes("buf");
      plain = ArrayBuffer.isView(direct) && direct.length === 4 && direct[1] === 60;
      new TextEncoder().encodeInto("ab", f.$bytes("buf"));
      expect([...f.buf]).toEqual([97, 98, 7, 8]);
      expect(f.buf).toBe(f.buf); // one checked view per local per frame
    });
    rt.spawn(def);
    rt.run();
    expect(raw).toEqual([5, 60, 7, 8]);
    expect(plain).toBe(true);
  });

  test("$bytes() of a name that is no bytes(n) local is a TypeError naming it", () => {
    const rt = new Runtime();
    const messages: string[] = [];
    rt.spawn(
      coro({ name: "q", locals: { n: "i32", buf: bytes(2) } }, function* (f) {
        for (const name of ["n", "zz", Symbol("s")]) {
          try {
            f.$bytes(name as never);
          } catch (error) {
            messages.push((error as Error).message);
          }
        }
      }),
    );
    rt.run();
    expect(messages).toEqual([
      'frame of "q" has no bytes(n) local "n" (bytes locals: buf)',
      'frame of "q" has no bytes(n) local "zz" (bytes locals: buf)',
      'frame of "q" has no bytes(n) local Symbol(s) (bytes locals: buf)',
    ]);
  });
});
