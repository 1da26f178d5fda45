/**
 * Schedule exploration: schedules per second for a 4-coroutine, 40-operation
 * program (two producers, two consumers, ten values each on one buffered
 * channel), against the same program run plainly on a fresh runtime each
 * time (the floor: what a run costs without a chooser).
 */
import type { BenchFile, TimedCase } from "./types.js";
import { AddressSpace, Channel, Runtime } from "cprime-coro";
import { explore } from "cprime-coro/test";

function* producer(ch: Channel<number>) {
  for (let i = 0; i < 10; i++) yield* ch.send(i);
}
function* consumer(ch: Channel<number>) {
  for (let i = 0; i < 10; i++) yield* ch.recv();
}
function pipeline(rt: Runtime): void {
  const ch = new Channel<number>(1, { name: "pipe" });
  rt.spawn(producer, ch);
  rt.spawn(producer, ch);
  rt.spawn(consumer, ch);
  rt.spawn(consumer, ch);
}

const RUNS = 200;
const space = new AddressSpace({ pools: { micro: 512, small: 16, medium: 4 } });
const target = { ns: 50_000, text: "≥ 20 000 schedules/s on one core (≤ 50 µs per schedule)" };

const exploreCase = (name: string, options: Parameters<typeof explore>[1]): TimedCase => ({
  name,
  role: "subject",
  opsPerCall: RUNS,
  baseline: "explore/plain-run/pipeline",
  floor: "explore/plain-run/pipeline",
  target,
  fn: () => {
    const r = explore(pipeline, { runs: RUNS, ...options });
    if (!r.ok) throw new Error("the pipeline program failed");
  },
  note: `${RUNS} schedules per call, each a fresh Runtime on a reused address space`,
});

const file: BenchFile = {
  title: "Exploring schedules",
  notes: [
    "One op is one schedule: a fresh Runtime, the program set up, run under the strategy's decisions, and torn down. " +
      "The floor is the same program run plainly (no chooser) on a fresh runtime over a reused address space.",
  ],
  cases: [
    {
      name: "explore/plain-run/pipeline",
      role: "baseline",
      opsPerCall: RUNS,
      fn: () => {
        for (let i = 0; i < RUNS; i++) {
          const rt = new Runtime({ memory: space });
          pipeline(rt);
          rt.run();
        }
      },
      note: "the floor: no chooser, no books",
    },
    exploreCase("explore/random/pipeline", {}),
    exploreCase("explore/random+preempt/pipeline", { preemptAtOps: true }),
    exploreCase("explore/pct/pipeline", { strategy: "pct", preemptAtOps: true }),
  ],
};

export default file;
