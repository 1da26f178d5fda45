/**
 * Timer properties on an exact clock (1 cycle = 1 ms, nothing charged):
 *
 * - timers fire in deadline order, each receiver getting its own deadline;
 * - a model test of one timer under random sleep / stop / reset / tryRecv /
 *   blocking recv: the model is a deadline or nothing, and a receive gets a
 *   value iff the deadline has come, the value being that deadline — so
 *   stop() and reset() never let a stale value through;
 * - a ticker's ticks are the model's (period multiples after the last reset,
 *   the missed ones dropped);
 * - after every step the heap holds the timer iff somebody waits on it.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { schedulerOf } from "../../src/runtime/runtime.js";
import { recv, select, sleep, ticker, timer, type Runtime } from "../../src/index.js";
import { runs } from "../support/fc.js";
import { exactClockRuntime } from "../chan/helpers.js";

function heapSize(rt: Runtime): number {
  return schedulerOf(rt).timers.size;
}

describe("timer properties", () => {
  test("timers fire in deadline order, each receiver at its own deadline", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 200 }), { minLength: 1, maxLength: 30 }), (delays) => {
        const rt = exactClockRuntime();
        const got: { deadline: number; value: number; at: number }[] = [];
        for (const d of delays) {
          rt.spawn(function* () {
            const r = yield* timer(d).c.recv();
            got.push({ deadline: Math.max(0, d), value: r.value!, at: rt.now() });
          });
        }
        rt.run();
        expect(got.map((g) => g.deadline)).toEqual(delays.map((d) => Math.max(0, d)).sort((a, b) => a - b));
        for (const g of got) {
          expect(g.value).toBe(g.deadline);
          expect(g.at).toBe(g.deadline);
        }
        expect(heapSize(rt)).toBe(0);
      }),
      { numRuns: runs(100) },
    );
  });

  type Step = { kind: "sleep"; ms: number } | { kind: "stop" } | { kind: "reset"; ms: number } | { kind: "tryRecv" } | { kind: "recvOrTimeout"; ms: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("sleep" as const), ms: fc.integer({ min: 0, max: 30 }) }),
    fc.constant({ kind: "stop" as const }),
    fc.record({ kind: fc.constant("reset" as const), ms: fc.integer({ min: -3, max: 30 }) }),
    fc.constant({ kind: "tryRecv" as const }),
    fc.record({ kind: fc.constant("recvOrTimeout" as const), ms: fc.integer({ min: 0, max: 30 }) }),
  );

  test("stop() and reset() never deliver a stale value (model test, checked after every step)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.array(step, { maxLength: 25 }), (first, steps) => {
        const rt = exactClockRuntime();
        rt.spawn(function* () {
          const t = timer(first);
          let deadline: number | null = first; // the model: when it fires, or null (stopped or received)
          for (const s of steps) {
            const now = rt.now();
            switch (s.kind) {
              case "sleep":
                yield* sleep(s.ms);
                break;
              case "stop":
                expect(t.stop()).toBe(deadline !== null);
                deadline = null;
                break;
              case "reset":
                expect(t.reset(s.ms)).toBe(deadline !== null);
                deadline = now + Math.max(0, s.ms);
                break;
              case "tryRecv": {
                const r = t.c.tryRecv();
                if (deadline !== null && deadline <= now) {
                  expect(r).toEqual({ ok: true, value: deadline });
                  deadline = null;
                } else expect(r).toBeUndefined();
                break;
              }
              case "recvOrTimeout": {
                const r = yield* select([recv(t.c), recv(timer(s.ms).c)]);
                const fires = deadline !== null ? Math.max(deadline, now) : Infinity;
                if (fires < now + s.ms || (fires === now + s.ms && r.index === 0)) {
                  expect(r).toEqual({ index: 0, ok: true, value: deadline });
                  expect(rt.now()).toBe(fires);
                  deadline = null;
                } else {
                  expect(r.index).toBe(1);
                  expect(rt.now()).toBe(now + s.ms);
                }
                break;
              }
            }
            // Validator: nobody waits between steps, so no timer is in the heap.
            expect(heapSize(rt)).toBe(0);
          }
        });
        rt.run();
      }),
      { numRuns: runs(150) },
    );
  });

  test("a ticker delivers the model's ticks: multiples of the period since the last reset, missed ones dropped", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 25 }), fc.integer({ min: -10, max: -1 })), { maxLength: 20 }),
        (period, plan) => {
          const rt = exactClockRuntime();
          rt.spawn(function* () {
            const tk = ticker(period);
            let p = period;
            let next = period; // the model: the next tick not yet taken
            for (const x of plan) {
              if (x >= 0) {
                yield* sleep(x);
                const now = rt.now();
                const r = yield* tk.c.recv();
                const expected = next;
                expect(r.value).toBe(expected);
                expect(rt.now()).toBe(Math.max(now, expected));
                // After a receive at `at`, the next tick is the first period multiple (from the reset) after it.
                const at = rt.now();
                next = expected + p * (1 + Math.floor((at - expected) / p));
              } else {
                p = -x;
                tk.reset(p);
                next = rt.now() + p;
              }
              expect(heapSize(rt)).toBe(0);
            }
            tk.stop();
          });
          rt.run();
        },
      ),
      { numRuns: runs(150) },
    );
  });

  test("shared timeAfter ports in many selects: each value is received at most once, at or after its deadline, and the heap ends empty", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.record({ start: fc.integer({ min: 0, max: 30 }), picks: fc.array(fc.nat(4), { minLength: 1, maxLength: 3 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer(),
        (deadlines, selectors, seed) => {
          const rt = exactClockRuntime({ seed });
          const ports: ReturnType<typeof timer>["c"][] = [];
          const receivedBy = new Map<number, number[]>();
          rt.spawn(function* () {
            for (const d of deadlines) ports.push(timer(d).c);
            selectors.forEach((sel, who) => {
              rt.spawn(function* () {
                yield* sleep(sel.start);
                const chosen = sel.picks.map((p) => p % deadlines.length);
                const r = yield* select([...chosen.map((i) => recv(ports[i])), recv(timer(50).c)]);
                if (r.index < chosen.length) {
                  const i = chosen[r.index];
                  expect(r.value).toBe(deadlines[i]);
                  expect(rt.now()).toBeGreaterThanOrEqual(deadlines[i]);
                  receivedBy.set(i, [...(receivedBy.get(i) ?? []), who]);
                }
              });
            });
          });
          rt.run();
          for (const [, who] of receivedBy) expect(who.length).toBe(1);
          expect(heapSize(rt)).toBe(0);
        },
      ),
      { numRuns: runs(150) },
    );
  });
});
