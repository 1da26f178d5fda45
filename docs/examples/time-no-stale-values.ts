import { Channel, Runtime, recv, select, sleep, timeAfter, timer } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 1 });
  const results = new Channel<number>(8, { name: "results" });

  rt.spawn(function* () {
    // Go 1.23: a timer's channel is synchronous. A value nobody received is not kept anywhere,
    // so after stop() or reset() no receive can see a value of the old settings.
    const t = timer(10);
    yield* sleep(20); // the deadline passed, nobody received
    out.push(`stop: ${t.stop()}`); // true: its value had not been received
    out.push(`after stop: ${t.c.tryRecv() === undefined ? "nothing" : "a stale value"}`);

    // time.After: one deadline for a whole loop of selects.
    const deadline = timeAfter(35);
    for (let i = 0; ; i++) {
      const r = yield* select([recv(results), recv(deadline)]);
      if (r.index === 1) {
        out.push(`deadline at ${Math.round(r.value ?? 0)} ms after ${i} results`);
        break;
      }
    }
  });

  rt.spawn(function* producer() {
    for (let i = 0; i < 8; i++) {
      yield* sleep(10);
      yield* results.send(i);
    }
  });

  rt.run();
  return out;
}
// expect: stop: true | after stop: nothing | deadline at 55 ms after 5 results
