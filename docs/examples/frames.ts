import { Runtime, bytes, call, coro, yieldNow } from "cprime-coro";

// A leaf that keeps its locals in its stack slot: their addresses stay valid across suspension.
const checksum = coro({ name: "checksum", locals: { i: "i32", sum: "u32", buf: bytes(8) } }, function* (f, seed: number) {
  for (f.i = 0; f.i < 8; f.i++) f.buf[f.i] = (seed * (f.i + 1)) & 0xff;
  const before = f.$addr("sum");
  for (f.i = 0; f.i < 8; f.i++) {
    f.sum = (f.sum + f.buf[f.i]) >>> 0;
    yield* yieldNow(); // suspend: other coroutines run, nothing moves
  }
  return { sum: f.sum, moved: f.$addr("sum") !== before };
});

const handler = coro({ name: "handler", locals: { id: "i32" }, calls: [checksum] }, function* (f, id: number) {
  f.id = id;
  const r = yield* call(checksum, id); // runs on this coroutine's stack
  return `handler ${f.id}: sum ${r.sum}, moved ${r.moved}`;
});

export function main(): string[] {
  const rt = new Runtime();
  const m = handler.metadata;
  const out = [`handler: frame ${m.frameBytes} B, max stack ${m.maxStackBytes} B, depth ${m.callDepth}, class ${m.sizeClass}`];
  const tasks = [rt.spawn(handler, 1), rt.spawn(handler, 2)];
  rt.run();
  for (const t of tasks) out.push(`${String(t.result)} (high water ${t.stack.highWater} B of ${t.stack.bytes})`);
  return out;
}
// expect: handler: frame 24 B, max stack 56 B, depth 2, class micro | handler 1: sum 36, moved false (high water 56 B of 256) | handler 2: sum 72, moved false (high water 56 B of 256)
