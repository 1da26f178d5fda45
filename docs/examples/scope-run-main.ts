import { Channel, LeftoverError, Runtime, sleep } from "cprime-coro";

// A program ends when main returns, as in Go; run({ until }) pauses a simulation and run() resumes it.
export function main(): string[] {
  const out: string[] = [];

  const rt = new Runtime({ seed: 1 });
  const answer = rt.run(function* main() {
    rt.spawn(function* heartbeat() {
      try {
        for (;;) yield* sleep(10);
      } finally {
        out.push(`heartbeat stopped at ${rt.now().toFixed(0)} ms`); // cancelled when main returns
      }
    });
    yield* sleep(25);
    return 42;
  });
  out.push(`main returned ${answer}`);

  const strict = new Runtime({ seed: 1, leftover: "error" });
  try {
    strict.run(function* main() {
      strict.spawn(function* forgotten() {
        yield* new Channel<number>(0, { name: "never" }).recv();
      });
      yield* sleep(1);
    });
  } catch (e) {
    out.push(e instanceof LeftoverError ? `leftover: ${e.leftover.join("; ")}` : String(e));
  }

  const sim = new Runtime({ seed: 1 });
  sim.spawn(function* clock() {
    for (let i = 0; i < 5; i++) yield* sleep(10);
  });
  sim.run({ until: 22 });
  out.push(`paused at ${sim.now()} ms with ${sim.stats().live} live`);
  sim.run();
  out.push(`resumed and finished at ${sim.now().toFixed(0)} ms`);
  return out;
}
// expect: heartbeat stopped at 25 ms | main returned 42 | leftover: #2 forgotten: recv on Channel#1 "never" (capacity 0) | paused at 22 ms with 1 live | resumed and finished at 50 ms
