import { Interrupt, Runtime, sleep } from "cprime-coro";

// SimPy's machine shop: a repairman interrupts a machine; the machine catches it, is repaired, and goes on.
export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 1 });

  const machine = rt.spawn(function* machine() {
    let parts = 0;
    while (parts < 3) {
      try {
        yield* sleep(10); // make one part
        parts++;
        out.push(`part ${parts} at ${rt.now().toFixed(0)} ms`);
      } catch (e) {
        if (!(e instanceof Interrupt)) throw e;
        out.push(`broken at ${rt.now().toFixed(0)} ms (${String(e.cause)})`);
        yield* sleep(5); // repair; the part in progress is lost
      }
    }
    return parts;
  });

  rt.spawn(function* breakdown() {
    yield* sleep(14);
    machine.interrupt("overheated");
  });

  rt.run();
  out.push(`made ${machine.result} parts by ${rt.now().toFixed(0)} ms`);
  return out;
}
// expect: part 1 at 10 ms | broken at 14 ms (overheated) | part 2 at 29 ms | part 3 at 39 ms | made 3 parts by 39 ms
