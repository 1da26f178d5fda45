/**
 * Priorities and deadlines: strict levels, FIFO within a level, EDF among a
 * level's coroutines with deadlines, woken higher-priority coroutines run at
 * the next switch, and a report of missed deadlines in virtual time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Channel, checkMemory, coro, Runtime, sleep, spawnWith, yieldNow, resetDefaultRuntime, run } from "../../src/index.js";
import { runs } from "../support/fc.js";

describe("priorities", () => {
  it("a higher priority runs first; within a level, coroutines run in spawn order (FIFO)", () => {
    const rt = new Runtime();
    const order: string[] = [];
    const mark = function* (label: string) {
      order.push(label);
    };
    rt.spawn(mark, "a0");
    rt.spawnWith({ priority: 2 }, mark, "c2");
    rt.spawnWith({ priority: 1 }, mark, "b1");
    rt.spawn(mark, "a0'");
    rt.spawnWith({ priority: 2 }, mark, "c2'");
    rt.run();
    expect(order).toEqual(["c2", "c2'", "b1", "a0", "a0'"]);
  });

  it("task.priority is the definition's coro({ priority }) unless spawnWith gives one; 0 by default", () => {
    const rt = new Runtime();
    const urgent = coro({ name: "urgent", priority: 5 }, function* () {});
    expect(rt.spawn(urgent).priority).toBe(5);
    expect(rt.spawnWith({ priority: -1 }, urgent).priority).toBe(-1);
    expect(rt.spawn(function* () {}).priority).toBe(0);
    expect(rt.spawnWith({ name: "renamed" }, urgent).name).toBe("renamed");
    rt.run();
  });

  it("a coroutine woken at a higher priority than the running one runs at the next switch, before ready ones of lower priority", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(1);
    const order: string[] = [];
    rt.spawnWith({ priority: 10 }, function* () {
      order.push("high waits");
      yield* ch.recv();
      order.push("high woken");
    });
    rt.spawnWith({ priority: 1 }, function* () {
      order.push("low sends");
      ch.trySend(1); // wakes high; low goes on to its next switch
      order.push("low continues");
      yield* yieldNow();
      order.push("low again");
    });
    rt.spawn(function* () {
      order.push("level 0 ready all along");
    });
    rt.run();
    // high was woken while low ran; low's next switch goes to high, ahead of the level-0 coroutine ready since the start
    expect(order).toEqual(["high waits", "low sends", "low continues", "high woken", "low again", "level 0 ready all along"]);
  });

  it("module-level spawnWith spawns on the default runtime", () => {
    resetDefaultRuntime();
    const order: number[] = [];
    spawnWith({ priority: 1 }, function* () {
      order.push(1);
    });
    spawnWith({ priority: 3 }, function* () {
      order.push(3);
    });
    run();
    expect(order).toEqual([3, 1]);
  });

  it("misuse is a typed error naming the value, and nothing is spawned", () => {
    const rt = new Runtime();
    const body = function* () {};
    expect(() => rt.spawnWith({ priority: 1.5 }, body)).toThrow(RangeError);
    expect(() => rt.spawnWith({ priority: 1.5 }, body)).toThrow(/priority must be an integer .* received 1\.5/);
    expect(() => rt.spawnWith({ priority: "high" } as never, body)).toThrow(TypeError);
    expect(() => rt.spawnWith({ prio: 1 } as never, body)).toThrow(/unknown option "prio"/);
    expect(() => rt.spawnWith({ channelPattern: "both" } as never, body)).toThrow(
      /channelPattern must be one of "sendOnly", "recvOnly", "sendRecv", "select", received "both"/,
    );
    expect(() => rt.spawnWith({ deadline: -1 }, body)).toThrow(RangeError);
    expect(() => rt.spawnWith(null as never, body)).toThrow(TypeError);
    expect(() => coro({ priority: NaN }, function* () {})).toThrow(/priority must be an integer/);
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    expect(() => rt.spawnWith(hostile, body)).toThrow(/spawnWith\(options, fn\): options .*trap/);
    expect(rt.stats().spawned).toBe(0);
    checkMemory(rt.memory);
  });

  it("a dump shows a coroutine's priority (the effective one) when it is not 0", () => {
    const rt = new Runtime();
    const ch = new Channel<number>();
    rt.spawnWith({ name: "waiter", priority: 3 }, function* () {
      yield* ch.recv();
    });
    rt.spawn(function* () {
      yield* ch.recv();
    });
    expect(() => rt.run()).toThrow(/deadlock/);
    const [a, b] = rt.dump().coroutines;
    expect(a.priority).toBe(3);
    expect(b.priority).toBeUndefined();
    rt.shutdown();
  });

  /**
   * Model: tasks with a priority each run `rounds` times, yielding between;
   * the model scheduler picks the highest-priority ready task, earliest
   * enqueued first, and re-enqueues it after each round.
   */
  it("property: the run order is the model's (strict levels, FIFO within a level), and the same seed gives the same run", () => {
    const task = fc.record({ priority: fc.integer({ min: -2, max: 2 }), rounds: fc.integer({ min: 1, max: 4 }) });
    fc.assert(
      fc.property(fc.array(task, { minLength: 1, maxLength: 12 }), (tasks) => {
        const real = (): number[] => {
          const rt = new Runtime({ seed: 7 });
          const order: number[] = [];
          tasks.forEach((t, id) => {
            const body = function* () {
              for (let r = 0; r < t.rounds; r++) {
                order.push(id);
                yield* yieldNow();
              }
            };
            if (t.priority === 0 && id % 2 === 0) rt.spawn(body);
            else rt.spawnWith({ priority: t.priority }, body);
          });
          rt.run();
          checkMemory(rt.memory);
          return order;
        };
        const model: number[] = [];
        const ready: { id: number; seq: number }[] = tasks.map((_, id) => ({ id, seq: id }));
        const left = tasks.map((t) => t.rounds);
        let seq = tasks.length;
        while (ready.length > 0) {
          ready.sort((a, b) => tasks[b.id].priority - tasks[a.id].priority || a.seq - b.seq);
          const { id } = ready.shift()!;
          if (left[id] > 0) {
            model.push(id);
            left[id]--;
            ready.push({ id, seq: seq++ }); // after its yield (or its return, which records nothing)
          }
        }
        const first = real();
        expect(first).toEqual(model);
        expect(real()).toEqual(first);
      }),
      { numRuns: runs(60) },
    );
  });
});

describe("deadlines (EDF)", () => {
  it("among ready coroutines of one level the earliest deadline runs first; those without a deadline come after", () => {
    const rt = new Runtime();
    const order: string[] = [];
    const mark = function* (label: string) {
      order.push(label);
    };
    rt.spawn(mark, "none");
    rt.spawnWith({ deadline: 30 }, mark, "30");
    rt.spawnWith({ deadline: 10 }, mark, "10");
    rt.spawnWith({ deadline: 20 }, mark, "20");
    rt.spawnWith({ deadline: 10 }, mark, "10'");
    rt.spawnWith({ priority: 1, deadline: 99 }, mark, "p1");
    rt.run();
    expect(order).toEqual(["p1", "10", "10'", "20", "30", "none"]);
    expect(rt.missedDeadlines()).toEqual([]);
  });

  it("a coroutine that ends after its deadline is reported with its deadline and the virtual time it finished", () => {
    const rt = new Runtime();
    const late = rt.spawnWith({ name: "late", deadline: 2 }, function* () {
      yield* sleep(5);
    });
    rt.spawnWith({ name: "early", deadline: 10 }, function* () {
      yield* sleep(1);
    });
    rt.run();
    const missed = rt.missedDeadlines();
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ id: late.id, name: "late", deadline: 2, state: "done" });
    expect(missed[0].finishedAt).toBeGreaterThanOrEqual(5);
    expect(late.deadline).toBe(2);
  });
});
