import { Channel, Runtime, yieldNow } from "cprime-coro";
import { explore, replay } from "cprime-coro/test";

// A job queue with a "last worker closes" rule, written with a check-then-act across a yield.
function jobQueue(fixed: boolean) {
  return (rt: Runtime) => {
    const results = new Channel<number>(4, { name: "results" });
    let finished = 0;
    for (const [name, delay] of [
      ["worker1", 0],
      ["worker2", 2],
    ] as const) {
      rt.spawn(
        {
          [name]: function* () {
            for (let k = 0; k < delay; k++) yield* yieldNow();
            yield* results.send(1);
            if (fixed)
              finished++; // read and write in one step
            else {
              const seen = finished;
              yield* yieldNow(); // another worker may run here…
              finished = seen + 1; // …and its update is lost
            }
            if (finished === 2) results.close();
          },
        }[name],
      );
    }
    rt.spawn(function* collector() {
      for (let r = yield* results.recv(); r.ok; r = yield* results.recv());
    });
  };
}

export function main(): string[] {
  const out: string[] = [];
  const found = explore(jobQueue(false), { strategy: "exhaustive" });
  const f = found.failure!;
  out.push(`${f.kind} after ${f.run} schedules, shrunk to ${f.deviations} deviations`);
  out.push(f.narrative.split("\n")[0]);
  out.push(`replayed: ${replay(jobQueue(false), f.shrunkToken).kind ?? "clean"}`);
  const fixed = explore(jobQueue(true), { strategy: "exhaustive" });
  out.push(`fixed: ${fixed.ok ? "clean" : "failing"}, ${fixed.runs} schedules, exhausted: ${fixed.exhausted}`);
  return out;
}
// expect: deadlock after 5 schedules, shrunk to 2 deviations | step 1: #1 worker1: uses Channel#1 "results" (capacity 4); yields | replayed: deadlock | fixed: clean, 33 schedules, exhausted: true
