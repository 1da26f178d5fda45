/**
 * LevelQueue against a model: a list sorted by (priority desc, has a
 * deadline first, deadline asc, push order) — strict levels, EDF within a
 * level, FIFO for the rest — under random push, shift and remove.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LevelQueue } from "../../src/sched/run-queue.js";
import { runs } from "../support/fc.js";

interface Item {
  id: number;
  effectivePriority: number;
  deadlineCycles: number;
}

const op = fc.oneof(
  fc.record({
    kind: fc.constant("push" as const),
    priority: fc.integer({ min: -1, max: 2 }),
    deadline: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("shift" as const) }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
);

describe("LevelQueue", () => {
  it("property: shifts come out in the model's order, removes take exactly the item, size and iteration agree with the model", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const q = new LevelQueue<Item>();
        const model: { item: Item; seq: number }[] = [];
        let seq = 0;
        const order = (a: { item: Item; seq: number }, b: { item: Item; seq: number }) =>
          b.item.effectivePriority - a.item.effectivePriority ||
          Number(a.item.deadlineCycles === Infinity) - Number(b.item.deadlineCycles === Infinity) ||
          (a.item.deadlineCycles === Infinity ? 0 : a.item.deadlineCycles - b.item.deadlineCycles) ||
          a.seq - b.seq;
        for (const o of ops) {
          if (o.kind === "push") {
            const item = { id: seq, effectivePriority: o.priority, deadlineCycles: o.deadline ?? Infinity };
            q.push(item);
            model.push({ item, seq: seq++ });
          } else if (o.kind === "shift") {
            model.sort(order);
            expect(q.shift()).toBe(model.shift()?.item);
          } else if (model.length > 0) {
            const [victim] = model.splice(o.pick % model.length, 1);
            expect(q.remove(victim.item)).toBe(true);
            expect(q.remove(victim.item)).toBe(false);
          }
          model.sort(order);
          expect(q.size).toBe(model.length);
          expect([...q].map((i) => i.id)).toEqual(model.map((m) => m.item.id));
        }
      }),
      { numRuns: runs(100) },
    );
  });
});
