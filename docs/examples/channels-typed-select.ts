import { Channel, Runtime, after, forEach, join, select, send, sleep } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 5 });
  const jobs = new Channel<number>(1, { name: "jobs" });

  const worker = rt.spawn(function* worker() {
    let sum = 0;
    yield* forEach(jobs, function* (job) {
      yield* sleep(5);
      sum += job; // job: number
    });
    return `sum ${sum}`; // forEach returned: jobs was closed and drained
  });

  rt.spawn(function* boss() {
    let next = 1;
    for (;;) {
      const target = next <= 3 ? jobs : null; // null disables the send case, as Go's nil channel does
      const r = yield* select([send(target, next), join(worker), after(100)]);
      // r is a union discriminated by r.index: each branch sees its own case's result, no casts.
      if (r.index === 0) {
        out.push(`sent ${next++}`);
        if (next > 3) jobs.close();
      } else if (r.index === 1) {
        out.push(r.ok ? `worker: ${r.value}` : `worker failed: ${String(r.error)}`);
        return;
      } else {
        out.push("timed out");
        return;
      }
    }
  });

  rt.run();
  return out;
}
// expect: sent 1 | sent 2 | sent 3 | worker: sum 6
