import { Channel, Runtime, forEach, sleep } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 2 });
  const dropped: number[] = [];
  // Latest readings only: a full buffer evicts its oldest value instead of blocking the sender.
  const readings = new Channel<number>(2, {
    name: "readings",
    overflow: "dropOldest",
    onUndelivered: (v) => dropped.push(v), // every value that will reach no receiver, exactly once
  });

  rt.spawn(function* sensor() {
    for (let i = 1; i <= 6; i++) {
      yield* readings.send(i); // never blocks
      yield* sleep(1);
    }
    readings.close();
  });

  rt.spawn(function* display() {
    yield* sleep(4.5); // busy: readings 1..5 arrive meanwhile
    yield* forEach(readings, (v) => {
      out.push(`show ${v}`);
    });
  });

  rt.run();
  out.push(`dropped ${dropped.join(",")}`);
  return out;
}
// expect: show 4 | show 5 | show 6 | dropped 1,2,3
