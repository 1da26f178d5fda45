/**
 * The run queue against a plain array: FIFO across growth, removal and the
 * trim that gives back a burst's memory.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { RunQueue } from "../../src/sched/run-queue.js";

type Op = { kind: "push"; n: number } | { kind: "shift"; n: number } | { kind: "remove"; at: number } | { kind: "trim" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("push" as const), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant("shift" as const), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("trim" as const) }),
);

describe("RunQueue", () => {
  test("behaves as a FIFO array through growth, removal and trim", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = new RunQueue<number>(16);
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === "push") {
            for (let i = 0; i < o.n; i++) {
              q.push(next);
              model.push(next++);
            }
          } else if (o.kind === "shift") for (let i = 0; i < o.n; i++) expect(q.shift()).toBe(model.shift());
          else if (o.kind === "remove") {
            const victim = model.length === 0 ? -1 : model[o.at % model.length];
            expect(q.remove(victim)).toBe(model.length > 0);
            if (model.length > 0) model.splice(o.at % model.length, 1);
          } else q.trim();
          expect(q.size).toBe(model.length);
          expect([...q]).toEqual(model);
        }
      }),
    );
  });

  test("trim gives an emptied queue its initial capacity back, and leaves a non-empty one alone", () => {
    const q = new RunQueue<number>(16);
    const capacity = () => (q as unknown as { items: unknown[] }).items.length;
    for (let i = 0; i < 5000; i++) q.push(i);
    expect(capacity()).toBeGreaterThanOrEqual(5000);
    q.trim();
    expect(capacity()).toBeGreaterThanOrEqual(5000); // not empty: nothing given back
    for (let i = 0; i < 5000; i++) q.shift();
    q.trim();
    expect(capacity()).toBe(16);
    q.push(7);
    expect(q.shift()).toBe(7);
  });
});
