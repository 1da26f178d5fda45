import { DeadlockError, Mutex, Runtime, sleep, type DeadlockReport } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const found: DeadlockReport[] = [];
  // The leak detector reports what can never wake while the clock still moves.
  const rt = new Runtime({ detectLeaks: (reports) => found.push(...reports) });
  rt.spawn(function* heartbeat() {
    for (let i = 0; i < 3; i++) yield* sleep(10); // keeps the program running meanwhile
  });

  rt.spawn(function* app() {
    const a = new Mutex({ name: "a" });
    const b = new Mutex({ name: "b" });
    // Two coroutines take the same two locks in opposite orders: Go's classic deadlock.
    rt.spawn(function* left() {
      yield* a.lock();
      yield* sleep(1);
      yield* b.lock();
    });
    rt.spawn(function* right() {
      yield* b.lock();
      yield* sleep(1);
      yield* a.lock();
    });
  });

  try {
    rt.run();
  } catch (e) {
    if (!(e instanceof DeadlockError)) throw e;
    out.push(`run(): ${e.blocked.length} coroutines blocked`);
  }
  for (const r of found) out.push(r.kind, ...r.coroutines.map((c) => `#${c.id} ${c.name}: ${c.waitsOn}`), r.cycle ?? "");
  return out;
}
// expect: run(): 2 coroutines blocked | cycle | #3 left: lock Mutex#2 "b" (held by #4 right) | #4 right: lock Mutex#1 "a" (held by #3 left) | cycle: #3 left → Mutex#2 "b" held by #4 right → Mutex#1 "a" held by #3 left
