/**
 * Timer benchmarks (issue 10): a timer reset loop, a ticker, and Go's
 * `case <-time.After(d)` idiom in a select, beside the plain-JS floor (an
 * indexed binary heap doing the same deadline changes, no runtime around it)
 * and Go (GOMAXPROCS=1) where a Go program can do the same work on real time
 * without waiting for it.
 *
 * Wall time is measured; the `modelCycles` column is the cost model's output
 * (busy cycles per op from `rt.stats()`), never presented as time.
 */
import type { BenchFile, TimedCase } from "./types.js";
import { Channel, recv, select, timeAfter, ticker, timer, type Runtime } from "cprime-coro";
import { goPeerCase } from "./peers/go/go-peer.js";
import { runtimeCase } from "./peers/runtime-case.js";

// The sizes mirror bench/peers/go/main.go; change both together.
const RESETS_PER_CALL = 1000;
const TICKS_PER_CALL = 1000;
const AFTER_SELECTS_PER_CALL = 1000;
const HOUR_MS = 3_600_000;

// ── the floor: an indexed binary min-heap of deadlines ──────────────────────

/** A heap entry (a timer a runtime keeps in its heap at every moment). */
class FloorTimer {
  deadline = 0;
  index = -1;
}

/** The least any runtime that keeps its timers in a heap pays per deadline change: remove + push, or pop + push. */
class FloorHeap {
  private readonly h: FloorTimer[] = [];
  push(t: FloorTimer, deadline: number): void {
    t.deadline = deadline;
    t.index = this.h.length;
    this.h.push(t);
    this.up(t.index);
  }
  remove(t: FloorTimer): void {
    const h = this.h;
    const i = t.index;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
    t.index = -1;
  }
  pop(): FloorTimer {
    const top = this.h[0];
    this.remove(top);
    return top;
  }
  private up(i: number): void {
    const h = this.h;
    const t = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].deadline <= t.deadline) break;
      h[i] = h[p];
      h[i].index = i;
      i = p;
    }
    h[i] = t;
    t.index = i;
  }
  private down(i: number): void {
    const h = this.h;
    const t = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && h[l + 1].deadline < h[l].deadline ? l + 1 : l;
      if (h[c].deadline >= t.deadline) break;
      h[i] = h[c];
      h[i].index = i;
      i = c;
    }
    h[i] = t;
    t.index = i;
  }
}

/** Background timers, so the floor's heap is not trivially small (our lazy heap holds none of them). */
const FLOOR_BACKGROUND = 64;

function floorHeap(): FloorHeap {
  const heap = new FloorHeap();
  for (let i = 0; i < FLOOR_BACKGROUND; i++) heap.push(new FloorTimer(), HOUR_MS + i);
  return heap;
}

const FLOOR_NOTE = `plain JS: an indexed binary heap (with ${FLOOR_BACKGROUND} other timers in it) doing the deadline changes a heap-based runtime does, no runtime, no channels`;

// ── time/timer-reset ────────────────────────────────────────────────────────

function* resetLoop(n: number): Generator<unknown, boolean, unknown> {
  const t = timer(HOUR_MS);
  let active = true;
  for (let i = 0; i < n; i++) active = t.reset(HOUR_MS) && active;
  t.stop();
  return active;
}

const resetCase = (): TimedCase => {
  const workload = (rt: Runtime) => rt.spawn(resetLoop, RESETS_PER_CALL);
  return runtimeCase({
    name: "time/timer-reset",
    opsPerCall: RESETS_PER_CALL,
    baseline: "time/timer-reset/go",
    floor: "time/timer-reset/floor",
    note: `timer(1 h) then ${RESETS_PER_CALL} × reset(1 h) in one coroutine (Go's BenchmarkReset); nobody waits, so the timer never enters the heap`,
    workload(rt) {
      workload(rt);
      rt.run();
    },
    check(rt) {
      const t = workload(rt);
      rt.run();
      if (t.result !== true) throw new Error("time/timer-reset: a reset of an unfired timer reported it inactive");
    },
  });
};

function floorResetCase(): TimedCase {
  const heap = floorHeap();
  const t = new FloorTimer();
  return {
    name: "time/timer-reset/floor",
    role: "baseline",
    baseline: "time/timer-reset",
    opsPerCall: RESETS_PER_CALL,
    note: `${FLOOR_NOTE}: push, then remove + push per reset`,
    fn() {
      heap.push(t, HOUR_MS);
      for (let i = 0; i < RESETS_PER_CALL; i++) {
        heap.remove(t);
        heap.push(t, HOUR_MS + i);
      }
      heap.remove(t);
    },
  };
}

// ── time/ticker ─────────────────────────────────────────────────────────────

function* tickLoop(n: number): Generator<unknown, number, unknown> {
  const tk = ticker(1);
  let last = 0;
  for (let i = 0; i < n; i++) last = (yield* tk.c.recv()).value ?? -1;
  tk.stop();
  return last;
}

const tickerCase = (): TimedCase => {
  const workload = (rt: Runtime) => rt.spawn(tickLoop, TICKS_PER_CALL);
  return runtimeCase({
    name: "time/ticker",
    opsPerCall: TICKS_PER_CALL,
    floor: "time/ticker/floor",
    note: `${TICKS_PER_CALL} ticks of ticker(1 ms) received by one coroutine: per tick a park, a heap entry, a clock jump, a wake (virtual time: no waiting; Go has no virtual clock, so no Go peer)`,
    workload(rt) {
      workload(rt);
      rt.run();
    },
    check(rt) {
      const start = rt.now();
      const t = workload(rt);
      rt.run();
      const ticks = Math.round(rt.now() - start); // one tick per virtual ms
      if (ticks < TICKS_PER_CALL || typeof t.result !== "number") throw new Error(`time/ticker: ${ticks} ms passed for ${TICKS_PER_CALL} ticks`);
    },
  });
};

function floorTickerCase(): TimedCase {
  const heap = floorHeap();
  const t = new FloorTimer();
  return {
    name: "time/ticker/floor",
    role: "baseline",
    baseline: "time/ticker",
    opsPerCall: TICKS_PER_CALL,
    note: `${FLOOR_NOTE}: pop + push per tick`,
    fn() {
      heap.push(t, 0);
      for (let i = 0; i < TICKS_PER_CALL; i++) heap.push(heap.pop(), i + 1);
      heap.remove(t);
    },
  };
}

// ── time/after-in-select ────────────────────────────────────────────────────

function* afterSelects(work: Channel<number>, n: number): Generator<unknown, number, unknown> {
  let got = 0;
  for (let i = 0; i < n; i++) {
    const r = yield* select([recv(work), recv(timeAfter(10))]);
    if (r.index === 0 && r.ok) {
      got++;
      work.trySend(r.value);
    }
  }
  return got;
}

const afterCase = (): TimedCase => {
  const work = new Channel<number>(1, { name: "work" });
  work.trySend(1);
  const workload = (rt: Runtime) => rt.spawn(afterSelects, work, AFTER_SELECTS_PER_CALL);
  return runtimeCase({
    name: "time/after-in-select",
    opsPerCall: AFTER_SELECTS_PER_CALL,
    baseline: "time/after-in-select/go",
    floor: "time/after-in-select/floor",
    note: "select([recv(work), recv(timeAfter(10))]) with work always ready (Go's `case <-time.After(d)` idiom): a timer made per select, never armed",
    workload(rt) {
      workload(rt);
      rt.run();
    },
    check(rt) {
      const t = workload(rt);
      rt.run();
      if (t.result !== AFTER_SELECTS_PER_CALL) throw new Error(`time/after-in-select: the ready case won ${String(t.result)} of ${AFTER_SELECTS_PER_CALL}`);
    },
  });
};

function floorAfterCase(): TimedCase {
  const heap = floorHeap();
  return {
    name: "time/after-in-select/floor",
    role: "baseline",
    baseline: "time/after-in-select",
    opsPerCall: AFTER_SELECTS_PER_CALL,
    note: `${FLOOR_NOTE}: a timer object, push and remove per select (an eager runtime arms time.After's timer at once)`,
    fn() {
      for (let i = 0; i < AFTER_SELECTS_PER_CALL; i++) {
        const t = new FloorTimer();
        heap.push(t, i + 10);
        heap.remove(t);
      }
    },
  };
}

const file: BenchFile = {
  title: "Timers",
  notes: [
    "Timers are lazy (docs/DESIGN.md, Timers): a timer enters the scheduler's heap only while somebody waits on its channel. " +
      "The floor is what a heap-based runtime pays for the same deadline changes; ours can lie below it when nobody waits.",
    "Go's figures are for real-time timers (GOMAXPROCS=1): its reset loop and time.After select do the same CPU work; a ticker would wait real time, so it has no Go peer.",
  ],
  cases: [
    resetCase(),
    floorResetCase(),
    goPeerCase("time/timer-reset/go", "Go: NewTimer(time.Hour), then 1000 × Reset(time.Hour) (BenchmarkReset)"),
    tickerCase(),
    floorTickerCase(),
    afterCase(),
    floorAfterCase(),
    goPeerCase("time/after-in-select/go", "Go: select { case v := <-work: work <- v; case <-time.After(10 * time.Millisecond): }, work always ready"),
  ],
};

export default file;
