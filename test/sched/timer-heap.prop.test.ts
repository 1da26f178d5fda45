/**
 * The timer heap (sched/timers.ts) against a model: a list of (deadline, seq)
 * pairs kept sorted. Random adds (many equal deadlines, so ties matter),
 * removals of queued and unqueued timers, pops and chooser pops; after every
 * step a validator checks the heap's invariants — each entry's heapIndex is
 * its position, a parent is not later than its children — and that the heap
 * and the model agree on the earliest entry.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Timer, TimerHeap, heapParent } from "../../src/sched/timers.js";
import { runs } from "../support/fc.js";

class T extends Timer {
  constructor(readonly name: number) {
    super();
  }
  fire(): void {}
}

type Step = { op: "add"; deadline: number } | { op: "remove"; pick: number } | { op: "pop" } | { op: "popChosen"; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("add" as const),
      deadline: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 1000 }), fc.double({ min: 2 ** 31, max: 2 ** 40, noNaN: true })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("pop" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("popChosen" as const), pick: fc.nat() }) },
);

function validate(heap: TimerHeap, model: { t: T; deadline: number; seq: number }[]): void {
  const entries = [...heap] as T[];
  expect(entries.length).toBe(model.length);
  const bySeq = new Map(model.map((m) => [m.t, m]));
  entries.forEach((t, i) => {
    expect(t.heapIndex).toBe(i);
    expect(heap.deadlineOf(t)).toBe(bySeq.get(t)!.deadline);
    if (i > 0) {
      const p = bySeq.get(entries[heapParent(i)])!;
      const c = bySeq.get(t)!;
      expect(p.deadline < c.deadline || (p.deadline === c.deadline && p.seq < c.seq)).toBe(true);
    }
  });
  if (model.length > 0) {
    expect(heap.peek()).toBe(model[0].t);
    expect(heap.peekDeadline()).toBe(model[0].deadline);
  }
}

describe("TimerHeap against a sorted-list model", () => {
  test("adds, removals, pops and chooser pops keep the order (deadline, then the order set) and every heapIndex", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const heap = new TimerHeap();
        let model: { t: T; deadline: number; seq: number }[] = [];
        const all: T[] = [];
        let seq = 0;
        for (const s of steps) {
          if (s.op === "add") {
            const t = new T(all.length);
            all.push(t);
            heap.add(t, s.deadline);
            model.push({ t, deadline: s.deadline, seq: seq++ });
            model.sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
          } else if (s.op === "remove") {
            if (all.length === 0) continue;
            // Even picks remove a queued timer (from anywhere in the heap), odd ones any timer ever made.
            const t = s.pick % 2 === 0 && model.length > 0 ? model[(s.pick >> 1) % model.length].t : all[s.pick % all.length];
            const queued = model.some((m) => m.t === t);
            expect(heap.remove(t)).toBe(queued);
            model = model.filter((m) => m.t !== t);
            expect(t.heapIndex).toBe(-1);
          } else if (s.op === "pop") {
            const got = heap.pop();
            expect(got).toBe(model.shift()?.t);
            if (got !== undefined) expect(got.heapIndex).toBe(-1);
          } else if (model.length > 0) {
            const due = model.filter((m) => m.deadline === model[0].deadline);
            const got = heap.popChosen({ pickTimer: (n) => (expect(n).toBe(due.length), s.pick % n) });
            expect(got).toBe(due[s.pick % due.length].t);
            model = model.filter((m) => m.t !== got); // the others keep their place in the order
          }
          validate(heap, model);
        }
      }),
      { numRuns: runs(1000) },
    );
  });

  test("a removal from the middle whose replacement must move up, not down (the case random sequences rarely build)", () => {
    const heap = new TimerHeap();
    const timers = [1, 10, 2, 11, 12, 3].map((d, i) => {
      const t = new T(i);
      heap.add(t, d);
      return t;
    });
    heap.remove(timers[3]); // 11, under 10: the last entry (3) takes its place and must rise above 10
    validate(
      heap,
      [0, 1, 2, 4, 5].map((i) => ({ t: timers[i], deadline: heap.deadlineOf(timers[i]), seq: i })).sort((a, b) => a.deadline - b.deadline),
    );
    expect([...heap].map((t) => heap.deadlineOf(t))).toEqual([1, 3, 2, 10, 12]);
    expect(heap.deadlineOf(timers[3])).toBeNaN();
  });
});
