import { Channel, Runtime, sleep } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 1 });
  const jobs = new Channel<number>(2, { name: "jobs" });

  rt.spawn(function* producer() {
    for (let i = 1; i <= 4; i++) {
      yield* jobs.send(i); // blocks while the buffer holds 2
      out.push(`sent ${i}`);
    }
    jobs.close();
  });

  rt.spawn(function* consumer() {
    for (let r = yield* jobs.recv(); r.ok; r = yield* jobs.recv()) {
      yield* sleep(10); // 10 virtual ms per job: no wall time passes
      out.push(`got ${r.value} at ${rt.now().toFixed(0)} ms`);
    }
  });

  rt.run();
  return out;
}
// expect: sent 1 | sent 2 | sent 3 | got 1 at 10 ms | sent 4 | got 2 at 20 ms | got 3 at 30 ms | got 4 at 40 ms
