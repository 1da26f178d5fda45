/**
 * Locals survive the address space growing (issue 9, first section): a frame
 * pushed into memory the buffer gained after the views were made must be
 * written into the buffer, not dropped by a stale fixed-length view.
 */
import { describe, expect, test } from "vitest";
import { AddressSpace, Runtime, bytes, call, coro, yieldNow } from "../../src/index.js";

/** A runtime whose pools are tiny, so the first few spawns carve pools and grow the buffer. */
function smallRuntime(): Runtime {
  return new Runtime({ pools: { micro: 4, small: 1, medium: 1 }, memoryBytes: 1 });
}

describe("locals written after the address space grows", () => {
  test("many coro() tasks set an i32 local, yield, and read it back (the issue's repro, small)", () => {
    const rt = smallRuntime();
    const startBytes = rt.memory.buffer.byteLength;
    const keep = coro({ name: "keep", locals: { n: "i32" } }, function* (f, value: number) {
      f.n = value;
      yield* yieldNow();
      return f.n;
    });
    const tasks = Array.from({ length: 6000 }, (_, i) => rt.spawn(keep, i + 1));
    expect(rt.memory.buffer.byteLength).toBeGreaterThan(startBytes); // the spawns grew the buffer
    rt.run();
    const lost = tasks.filter((t, i) => t.result !== i + 1).map((t) => t.id);
    expect(lost).toEqual([]);
  });

  test("a plain generator's header-only frame is written after a growth (the dump reads it back)", () => {
    const rt = smallRuntime();
    const tasks = Array.from({ length: 5000 }, () =>
      rt.spawn(function* parked() {
        yield* yieldNow();
      }),
    );
    // The header of the last task's frame: [def id 0, caller 0, 16 bytes, owner id].
    const last = tasks[tasks.length - 1];
    const header = new Uint32Array(rt.memory.buffer, last.stack.addr + last.stack.bytes - 16, 4);
    expect([...header]).toEqual([0, 0, 16, last.id]);
    rt.run();
  });

  test("every local type, a bytes() local and a callee frame survive growth between their writes", () => {
    const rt = smallRuntime();
    const leaf = coro({ name: "leaf", locals: { big: "u64", tag: bytes(5) } }, function* (f, value: number) {
      f.big = BigInt(value) << 20n;
      f.tag.set([value & 255, 1, 2, 3, 4]);
      yield* yieldNow();
      return [f.big === BigInt(value) << 20n, f.tag[0] === (value & 255) && f.tag[4] === 4];
    });
    const root = coro({ name: "root", locals: { a: "i8", b: "u16", c: "f32", d: "f64", e: "i64", g: "bool" }, calls: [leaf] }, function* (f, value: number) {
      f.a = -(value % 100);
      f.b = value;
      f.c = 0.5;
      f.d = value / 3;
      f.e = -BigInt(value);
      f.g = true;
      const inner = yield* call(leaf, value);
      return [f.a === -(value % 100), f.b === value, f.c === 0.5, f.d === value / 3, f.e === -BigInt(value), f.g, ...inner];
    });
    const tasks = Array.from({ length: 3000 }, (_, i) => rt.spawn(root, i + 1));
    rt.run();
    const wrong = tasks.filter((t) => !(t.result as boolean[]).every(Boolean)).map((t) => t.id);
    expect(wrong).toEqual([]);
    rt.memory.checkMemory();
  });

  test("a pool carved by another AddressSpace object on the same buffer is inside this thread's views", () => {
    // Two objects on one shared buffer, as two threads would be (here in one thread, so one views object).
    const rt = new Runtime({ pools: { micro: 2, small: 0, medium: 0 }, memoryBytes: 1, shared: true });
    const other = new AddressSpace({ buffer: rt.memory.buffer });
    const refs = Array.from({ length: 3000 }, () => other.allocStack("micro")); // carves and grows through `other`
    const keep = coro({ name: "keep", locals: { n: "i32" } }, function* (f, value: number) {
      f.n = value;
      yield* yieldNow();
      return f.n;
    });
    const tasks = Array.from({ length: 3000 }, (_, i) => rt.spawn(keep, i + 7));
    rt.run();
    expect(tasks.filter((t, i) => t.result !== i + 7).map((t) => t.id)).toEqual([]);
    for (const ref of refs) other.freeStack(ref);
    other.detach();
    rt.memory.checkMemory();
  });
});
