import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Runtime, sleep, waitFor, yieldNow } from "cprime-coro";
import { findLeaks } from "cprime-coro/test";

/** Spawns a consumer on a channel only its own generator holds: nobody can ever send on it. */
function spawnOrphan(rt: Runtime): void {
  const orphan = new Channel<number>(0, { name: "orphan" });
  rt.spawn(function* orphaned() {
    yield* orphan.recv();
  });
}

/** A task that keeps the runtime "running" (runAsync waits on its promise) until `release` is called. */
function holdOpen(rt: Runtime): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  rt.spawn(function* holder() {
    yield* waitFor(gate);
  });
  return release;
}

describe("findLeaks() (exact, through the garbage collector)", () => {
  test("reports a coroutine parked on a channel nothing else can reach, with what it waits on and who spawned it, and frees its stack", async () => {
    const rt = new Runtime();
    const release = holdOpen(rt);
    spawnOrphan(rt);
    const running = rt.runAsync();
    await new Promise((r) => setImmediate(r));
    const before = rt.memory.stats().micro.used;
    const leaks = await findLeaks(rt);
    expect(leaks).toEqual([
      {
        id: 2,
        name: "orphaned",
        waitsOn: 'recv on Channel#1 "orphan" (capacity 0)',
        resources: ['Channel#1 "orphan" (capacity 0)'],
        spawnedBy: "outside coroutines",
        sinceMs: expect.any(Number),
        stackBytes: 256,
      },
    ]);
    expect(rt.memory.stats().micro.used).toBe(before - 1);
    expect(rt.stats().live).toBe(1); // the holder only
    release();
    await running; // no deadlock left to report: the leaked coroutine is gone
  });

  test("no false positive: a consumer whose producer is sleeping is reachable through the producer", async () => {
    const rt = new Runtime();
    const release = holdOpen(rt);
    const got: number[] = [];
    (() => {
      const ch = new Channel<number>(0, { name: "later" });
      rt.spawn(function* consumer() {
        got.push((yield* ch.recv()).value!);
      });
      rt.spawn(function* producer() {
        yield* sleep(1000);
        yield* ch.send(7);
      });
    })();
    const running = rt.runAsync();
    await new Promise((r) => setImmediate(r));
    expect(await findLeaks(rt)).toEqual([]);
    release();
    await running;
    expect(got).toEqual([7]); // everything was put back: the run went on as if nothing happened
  });

  test("a channel still held by the caller keeps its waiter: it may still send", async () => {
    const rt = new Runtime();
    const kept = new Channel<number>(0, { name: "kept" });
    rt.spawn(function* waiter() {
      yield* kept.recv();
    });
    expect(() => rt.run()).toThrow(DeadlockError);
    expect(await findLeaks(rt)).toEqual([]);
    expect(rt.stats().live).toBe(1);
    rt.shutdown();
  });

  test("two coroutines waiting on each other, out of everyone's reach, are both reported", async () => {
    const rt = new Runtime();
    (() => {
      const a = new Channel<number>(0, { name: "a" });
      const b = new Channel<number>(0, { name: "b" });
      rt.spawn(function* left() {
        yield* a.recv();
        yield* b.send(1);
      });
      rt.spawn(function* right() {
        yield* b.recv();
        yield* a.send(1);
      });
    })();
    expect(() => rt.run()).toThrow(DeadlockError);
    const leaks = await findLeaks(rt);
    expect(leaks.map((l) => l.name)).toEqual(["left", "right"]);
    expect(rt.stats().live).toBe(0);
    expect(rt.memory.stats().micro.used).toBe(0);
    rt.run(); // nothing left: quiescent
  });

  test("names the spawning coroutine", async () => {
    const rt = new Runtime();
    rt.spawn(function* main() {
      const hidden = new Channel<number>(0, { name: "hidden" });
      rt.spawn(function* child() {
        yield* hidden.send(1);
      });
      yield* yieldNow();
    });
    expect(() => rt.run()).toThrow(DeadlockError);
    const [leak] = await findLeaks(rt);
    expect(leak).toMatchObject({ name: "child", spawnedBy: "#1" }); // main has ended since
  });

  test("refuses what is not a runtime", async () => {
    await expect(findLeaks({} as never)).rejects.toThrow(/rt must be a Runtime/);
  });
});
