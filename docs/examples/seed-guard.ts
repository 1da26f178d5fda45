import { bytes, checkMemory, coro, GuardError, Runtime, yieldNow } from "cprime-coro";

// guard: true ends every stack in a 16-byte guard region that is never handed out.
export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ guard: true });

  // A raw typed-array write through $addr that runs 4 bytes past the frame (and the stack):
  const runaway = coro({ name: "runaway", locals: { buf: bytes(16) } }, function* (f) {
    new Uint8Array(rt.memory.buffer, f.$addr("buf"), 20).fill(7);
    yield* yieldNow(); // found at the next switch, thrown into the coroutine here
  });
  // An index past a bytes() view that would land in the guard is refused at the access:
  const indexer = coro({ name: "indexer", locals: { buf: bytes(16) } }, function* (f) {
    (f.buf as unknown as Record<number, number>)[16] = 1;
  });

  const a = rt.spawn(runaway);
  const b = rt.spawn(indexer);
  try {
    rt.run();
  } catch {
    // both failures are reported by run(); look at each task
  }
  for (const t of [a, b])
    out.push(`${t.name}: ${t.error instanceof GuardError ? (t.error.message.match(/offset \d+ from the base of frame "\w+"/)?.[0] ?? "") : "no error"}`);
  out.push(`stack bytes ${rt.spawn(function* () {}).stack.bytes} of a 256-byte micro slot`);
  rt.run();
  checkMemory(rt.memory); // every guard intact again: restored after the report
  out.push("memory checks clean");
  return out;
}
// expect: runaway: offset 32 from the base of frame "runaway" | indexer: offset 32 from the base of frame "indexer" | stack bytes 240 of a 256-byte micro slot | memory checks clean
