import { Channel, Runtime, recv, select, sleep, ticker, timer } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 3 });
  const events = new Channel<string>(0, { name: "events" });

  rt.spawn(function* source() {
    yield* sleep(30);
    yield* events.send("a");
    yield* sleep(40);
    yield* events.send("b");
  });

  rt.spawn(function* watcher() {
    const beat = ticker(50); // a heartbeat every 50 ms
    const idle = timer(100); // fires after 100 ms without an event: reset on each one
    for (;;) {
      const r = yield* select([recv(events), recv(beat.c), recv(idle.c)]);
      if (r.index === 0) {
        out.push(`${r.value} at ${Math.round(rt.now())}`);
        idle.reset(100);
      } else if (r.index === 1) {
        out.push(`beat ${Math.round(r.value ?? 0)}`); // r.value: the tick's virtual time
      } else {
        out.push(`idle at ${Math.round(r.value ?? 0)}`);
        beat.stop();
        return;
      }
    }
  });

  rt.run(); // the stopped ticker and the spent timer keep nothing alive: run() returns
  return out;
}
// expect: a at 30 | beat 50 | b at 70 | beat 100 | beat 150 | idle at 170
