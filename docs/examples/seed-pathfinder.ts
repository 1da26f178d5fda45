import { Mutex, Runtime, sleep, yieldNow } from "cprime-coro";

// Mars Pathfinder (1997): a low-priority task holds the bus mutex, a high-priority
// task waits for it, and medium-priority CPU-bound work keeps the low one from
// running, so the high one misses its deadline. Priority inheritance lends the
// high task's priority to the mutex holder until it unlocks.
function pathfinder(priorityInheritance: boolean): string {
  // clockHz 100 000: 1 virtual ms = 100 cycles, two context switches.
  const rt = new Runtime({ priorityInheritance, clockHz: 100_000 });
  const bus = new Mutex({ name: "bus" });
  const done: string[] = [];
  rt.spawnWith({ name: "meteo (low)", priority: 1 }, function* () {
    yield* bus.lock();
    for (let i = 0; i < 10; i++) yield* yieldNow(); // work inside the critical section
    bus.unlock();
    done.push("low");
  });
  rt.spawnWith({ name: "bus manager (high)", priority: 10, deadline: 20 }, function* () {
    yield* sleep(1); // wakes after low took the lock
    yield* bus.lock();
    bus.unlock();
    done.push("high");
  });
  rt.spawnWith({ name: "comms (medium)", priority: 5 }, function* () {
    yield* sleep(1);
    for (let i = 0; i < 1000; i++) yield* yieldNow(); // CPU-bound: 500 virtual ms
    done.push("medium");
  });
  rt.run();
  const missed = rt.missedDeadlines().map((m) => `${m.name} missed ${m.deadline} ms (done at ${Math.round(m.finishedAt)} ms)`);
  return `${priorityInheritance ? "with" : "without"} inheritance: ${done.join(", ")}; ${missed.length === 0 ? "no deadline missed" : missed.join("; ")}`;
}

export function main(): string[] {
  return [pathfinder(false), pathfinder(true)];
}
// expect: without inheritance: medium, low, high; bus manager (high) missed 20 ms (done at 510 ms) | with inheritance: low, high, medium; no deadline missed
