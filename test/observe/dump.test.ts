import { describe, expect, test } from "vitest";
import { Channel, Runtime, bytes, call, coro, sleep, yieldNow } from "../../src/index.js";

describe("rt.dump()", () => {
  test("lists every live coroutine with its wait, frames (innermost first) and decoded locals", () => {
    const rt = new Runtime();
    const jobs = new Channel<number>(0, { name: "jobs" });
    const parse = coro({ name: "parse", locals: { depth: "i32", ratio: "f64", big: "i64", ok: "bool", tag: bytes(2) } }, function* (f, d: number) {
      f.depth = d;
      f.ratio = 0.5;
      f.big = -(2n ** 40n);
      f.ok = true;
      f.tag.set([0xca, 0xfe]);
      const r = yield* jobs.recv();
      return r.ok ? r.value : -1;
    });
    const handler = coro({ name: "handler", locals: { id: "u32" }, calls: [parse] }, function* (f, id: number) {
      f.id = id;
      return yield* call(parse, 3);
    });
    rt.spawn(handler, 7);
    rt.spawn(function* sleeper() {
      yield* sleep(1000);
    });
    rt.spawn(function* spinner() {
      for (let i = 0; i < 3; i++) yield* yieldNow();
      const d = rt.dump();
      captured = d;
    });
    let captured: ReturnType<Runtime["dump"]> | null = null;
    rt.spawn(function* closer() {
      yield* sleep(5);
      jobs.close();
    });
    rt.run();
    const d = captured!;
    expect(d.coroutines.map((c) => [c.id, c.name, c.state])).toEqual([
      [1, "handler", "blocked"],
      [2, "sleeper", "blocked"],
      [3, "spinner", "running"],
      [4, "closer", "blocked"],
    ]);
    const h = d.coroutines[0];
    expect(h.waiting).toMatchObject({ kind: "recv", on: `recv on Channel#${jobs.id} "jobs" (capacity 0)` });
    expect(h.frames.map((f) => f.name)).toEqual(["parse", "handler"]);
    expect(h.frames[0].locals).toEqual({ depth: 3, ratio: 0.5, big: "-1099511627776", ok: true, tag: "0xcafe" });
    expect(h.frames[1].locals).toEqual({ id: 7 });
    expect(h.frames[0].addr).toBe(h.frames[1].addr - parse.metadata.frameBytes);
    expect(h.stack).toMatchObject({
      sizeClass: "micro",
      bytes: 256,
      highWater: handler.metadata.maxStackBytes,
      segments: [{ sizeClass: "micro", bytes: 256 }],
    });
    expect(d.coroutines[1].frames).toEqual([{ name: "sleeper", addr: d.coroutines[1].stack.addr + 256 - 16, bytes: 16, locals: {} }]);
    expect(d.coroutines[1].waiting?.on).toBe("sleep until 1000 ms");
    // Plain JSON: a round trip keeps everything.
    expect(JSON.parse(JSON.stringify(d))).toEqual({ ...d });
    const text = String(d);
    expect(text).toContain("coroutine #1 handler [blocked, 0 ms]: recv on Channel#");
    expect(text).toMatch(/parse\s+@0x[0-9a-f]{8} \(48 B\)\s+depth=3 ratio=0.5 big=-1099511627776 ok=true tag=0xcafe/);
    expect(text).toContain("coroutine #2 sleeper [blocked, 0 ms]: sleep until 1000 ms");
  });

  test("shows how long a coroutine has waited, and chained segments", () => {
    const rt = new Runtime();
    const big = coro({ name: "big", locals: { b: bytes(1000) } }, function* () {
      yield* sleep(50);
    });
    const small = coro({ name: "small", size: "micro", calls: [] }, function* () {
      yield* call(big);
    });
    rt.spawn(small);
    let text = "";
    rt.spawn(function* () {
      yield* sleep(20);
      text = String(rt.dump());
    });
    rt.run();
    expect(text).toMatch(/coroutine #1 small \[blocked, 20(\.\d+)? ms\]: sleep until 50(\.\d+)? ms/);
    expect(text).toMatch(/b=0x0{64}… \(1000 B\)/);
    expect(text).toMatch(/2 segments \(small @0x/);
  });
});
