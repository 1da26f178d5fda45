/**
 * Random programs (fast-check) over Cond and Once, with the validators run
 * at every step of every coroutine.
 *
 * Cond: coroutines run random scripts of critical sections, waits, signals,
 * broadcasts and sleeps; a canceller cancels random coroutines. A model list
 * follows the Cond's queue (a wait appends, a signal takes the head, a
 * broadcast takes all, a cancellation removes): after every action the real
 * queue is the model's, in order; a wait always returns holding the lock; a
 * cancelled wait's finally never holds it; the mutex has at most one holder.
 *
 * Once: callers with random functions (plain, blocking, throwing) and random
 * cancellations: the function runs exactly once, every caller that returns
 * normally returns after it ended, and checkOnce holds throughout.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Cond, Mutex, Once, sleep, yieldNow, type Task } from "../../src/index.js";
import { checkCond, checkMutex, checkOnce } from "../../src/sync/validate.js";
import { runs } from "../support/fc.js";
import { exactClockRuntime, settle } from "./helpers.js";

type Action = "cs" | "wait" | "signal" | "broadcast" | "sleep";

const script = fc.array(fc.constantFrom<Action>("cs", "wait", "wait", "signal", "broadcast", "sleep"), { minLength: 1, maxLength: 6 });

describe("Cond in random programs", () => {
  test("the queue follows its model; a wait returns holding the lock; a cancelled wait does not hold it", () => {
    fc.assert(
      fc.property(fc.array(script, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(20), fc.nat(8)), { maxLength: 4 }), (scripts, cancels) => {
        const rt = exactClockRuntime();
        const mu = new Mutex({ name: "L" });
        const cond = new Cond(mu, { name: "c" });
        const model: number[] = []; // task ids in the Cond's queue, oldest first
        const check = () => {
          checkMutex(mu);
          checkCond(cond);
          expect([...cond.queue].map((t) => t.id)).toEqual(model);
        };
        const tasks: Task<void>[] = [];
        for (const s of scripts) {
          const t = rt.spawn(function* actor() {
            for (const a of s) {
              switch (a) {
                case "cs":
                  yield* mu.lock();
                  try {
                    expect(mu.holder).toBe(t);
                    yield* yieldNow(); // a cancellation lands here, holding the lock: the finally releases it
                  } finally {
                    mu.unlock();
                  }
                  break;
                case "wait": {
                  yield* mu.lock();
                  let held = true;
                  try {
                    held = false;
                    model.push(t.id);
                    const w = cond.wait();
                    yield* w;
                    held = true;
                    expect(mu.holder).toBe(t);
                  } finally {
                    if (!held)
                      expect(mu.holder).not.toBe(t); // cancelled: never holding it here
                    else mu.unlock();
                  }
                  break;
                }
                case "signal":
                  cond.signal();
                  model.shift();
                  break;
                case "broadcast":
                  cond.broadcast();
                  model.length = 0;
                  break;
                case "sleep":
                  yield* sleep(1);
                  break;
              }
              check();
            }
          });
          tasks.push(t);
        }
        rt.spawn(function* canceller() {
          for (const [at, which] of cancels) {
            yield* sleep(at);
            const victim = tasks[which % tasks.length];
            const i = model.indexOf(victim.id);
            victim.cancel();
            if (i >= 0 && victim.state === "ready") model.splice(i, 1); // it was waiting for a signal
            check();
          }
        });
        settle(rt); // waiters nobody signals stay blocked
        check();
        rt.shutdown();
        expect(mu.locked).toBe(false);
      }),
      { numRuns: runs(80) },
    );
  });
});

type OnceFnKind = "plain" | "blocking" | "throwing";

describe("Once in random programs", () => {
  test("the function runs exactly once; every normal return comes after it ended; cancellation never leaves it half-done", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom<OnceFnKind>("plain", "blocking", "throwing"), fc.nat(3)), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(6), fc.nat(8)), { maxLength: 3 }),
        (callers, cancels) => {
          const rt = exactClockRuntime();
          const once = new Once({ name: "o" });
          let started = 0;
          let ended = false;
          const tasks: Task<void>[] = [];
          for (const [kind, delay] of callers) {
            tasks.push(
              rt.spawn(function* caller() {
                yield* sleep(delay);
                checkOnce(once);
                try {
                  yield* once.do(
                    kind === "plain"
                      ? () => {
                          started++;
                          ended = true;
                        }
                      : function* () {
                          started++;
                          try {
                            yield* sleep(2);
                            if (kind === "throwing") throw new Error("boom");
                          } finally {
                            ended = true;
                          }
                        },
                  );
                } catch (e) {
                  expect((e as Error).message).toBe("boom");
                }
                expect(ended).toBe(true);
                expect(once.done).toBe(true);
                checkOnce(once);
              }),
            );
          }
          rt.spawn(function* canceller() {
            for (const [at, which] of cancels) {
              yield* sleep(at);
              tasks[which % tasks.length].cancel();
              checkOnce(once);
            }
          });
          expect(settle(rt)).toBeNull();
          expect(started).toBeLessThanOrEqual(1);
          if (started === 1) expect(once.done).toBe(true);
          checkOnce(once);
        },
      ),
      { numRuns: runs(100) },
    );
  });
});
