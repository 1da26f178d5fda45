import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { Channel, Runtime, bytes, call, coro, sleep, yieldNow, type RuntimeOptions } from "../../src/index.js";
import type { TraceEvent, TraceJson } from "../../src/observe/trace.js";
import { runs } from "../support/fc.js";

/** A producer sends two values over an unbuffered channel, sleeping 1 ms after each, then closes it. */
function producerConsumer(options: RuntimeOptions = {}): Runtime {
  const rt = new Runtime({ trace: true, name: "traced", ...options });
  const ch = new Channel<number>(0, { name: "jobs" });
  rt.spawn(function* producer() {
    for (let i = 0; i < 2; i++) {
      yield* ch.send(i);
      yield* sleep(1);
    }
    ch.close();
  });
  rt.spawn(function* consumer() {
    for (;;) {
      const r = yield* ch.recv();
      if (!r.ok) return;
    }
  });
  rt.run();
  return rt;
}

/** What an event is, for sequences: run slices, flow starts (→) and ends (←), instants by name. */
function kindOf(e: TraceEvent): string {
  if (e.ph === "X") return "run";
  if (e.ph === "s") return "flow→";
  if (e.ph === "f") return "→flow";
  return e.name;
}

function track(trace: TraceJson, tid: number): TraceEvent[] {
  return trace.traceEvents.filter((e) => e.ph !== "M" && e.tid === tid);
}

/** The instant events called `name` on a track (flow events are named "wake" too). */
function instants(trace: TraceJson, tid: number, name: string): TraceEvent[] {
  return track(trace, tid).filter((e) => e.ph === "i" && e.name === name);
}

/** Every invariant the Trace Event format and our trace promise; returns the broken ones (plain checks: traces are long). */
function traceProblems(trace: TraceJson): string[] {
  const problems: string[] = [];
  const events = trace.traceEvents;
  const say = (what: string, e: TraceEvent): void => {
    if (problems.length < 10) problems.push(`${what}: ${JSON.stringify(e)}`);
  };
  // Required fields for each phase.
  for (const e of events) {
    if (typeof e.name !== "string" || typeof e.cat !== "string") say("name and cat must be strings", e);
    if (!["X", "i", "s", "f", "M"].includes(e.ph)) say("unknown ph", e);
    if (!Number.isFinite(e.ts)) say("ts must be a finite number", e);
    if (e.pid !== 1 || !Number.isInteger(e.tid)) say("pid 1 and an integer tid", e);
    if (e.ph === "X" && !(e.dur! >= 0)) say("an X event needs dur >= 0", e);
    if (e.ph === "i" && e.s !== "t") say("an instant needs s: t", e);
    if ((e.ph === "s" || e.ph === "f") && (!Number.isInteger(e.id) || e.bp !== "e")) say("a flow event needs an id and bp: e", e);
    if (e.ph !== "M" && typeof e.args?.cycles !== "number") say("args.cycles", e);
  }
  // Metadata first, then timestamps never go back.
  const firstData = events.findIndex((e) => e.ph !== "M");
  const data = firstData < 0 ? [] : events.slice(firstData);
  for (let i = 0; i < data.length; i++) {
    if (data[i].ph === "M") say("metadata after data", data[i]);
    if (i > 0 && data[i].ts < data[i - 1].ts) say("ts went back", data[i]);
  }
  // Run slices never overlap, on a track or anywhere (one task runs at a time): exact in cycles.
  const slices = data.filter((e) => e.ph === "X");
  for (let i = 1; i < slices.length; i++) {
    const prev = slices[i - 1].args as { cycles: number; durCycles: number };
    if (prev.cycles + prev.durCycles > (slices[i].args as { cycles: number }).cycles) say("slices overlap (cycles)", slices[i]);
    if (slices[i - 1].ts + slices[i - 1].dur! > slices[i].ts + 1e-6) say("slices overlap (µs)", slices[i]);
  }
  // Each flow starts once and ends once, never before it starts, on another track.
  const starts = new Map<number, TraceEvent>();
  const ends = new Map<number, TraceEvent>();
  for (const e of data) {
    const seen = e.ph === "s" ? starts : e.ph === "f" ? ends : null;
    if (seen === null) continue;
    if (seen.has(e.id!)) say("flow id used twice", e);
    seen.set(e.id!, e);
  }
  for (const [id, s] of starts) {
    const f = ends.get(id);
    if (f === undefined) say("flow without an end", s);
    else if (f.ts < s.ts || f.tid === s.tid) say("flow ends before it starts or on its own track", f);
  }
  for (const [id, f] of ends) if (!starts.has(id)) say("flow without a start", f);
  // Every track that has events is named.
  const named = new Set(events.filter((e) => e.name === "thread_name").map((e) => e.tid));
  for (const e of data) if (!named.has(e.tid)) say("unnamed track", e);
  return problems;
}

function checkTrace(trace: TraceJson): void {
  expect(traceProblems(trace)).toEqual([]);
}

describe("Tracer: a producer and a consumer over a channel, with sleeps", () => {
  test("each coroutine's track shows its life in order", () => {
    const trace = producerConsumer().exportTrace();
    expect(track(trace, 1).map(kindOf)).toEqual([
      "alloc",
      "spawn",
      "run",
      "block", //                 send: nobody receives yet
      "wake",
      "run",
      "→flow",
      "block", // the consumer took the value; then sleep(1)
      "wake",
      "run",
      "flow→",
      "block", // the timer; send hands over to the parked consumer; sleep(1)
      "wake",
      "run",
      "flow→",
      "end", //  the timer; close() wakes the consumer; return
      "free",
    ]);
    expect(track(trace, 2).map(kindOf)).toEqual([
      "alloc",
      "spawn",
      "run",
      "flow→",
      "block", //        recv takes from the parked producer; recv again
      "wake",
      "run",
      "→flow",
      "block", // got the second value; recv again
      "wake",
      "run",
      "→flow",
      "end", //  closed: { ok: false }; return
      "free",
    ]);
  });

  test("metadata names the runtime and every coroutine", () => {
    const trace = producerConsumer().exportTrace();
    const meta = trace.traceEvents.filter((e) => e.ph === "M");
    expect(meta.find((e) => e.name === "process_name")).toMatchObject({ pid: 1, args: { name: "traced" } });
    expect(meta.filter((e) => e.name === "thread_name").map((e) => [e.tid, e.args!.name])).toEqual([
      [1, "#1 producer"],
      [2, "#2 consumer"],
    ]);
    expect(trace.displayTimeUnit).toBe("ns");
    expect(trace.otherData).toMatchObject({ runtime: "traced", clockHz: 3e9 });
  });

  test("instants say what a task waits on, who woke it and how it ended", () => {
    const trace = producerConsumer().exportTrace();
    const blocks = instants(trace, 1, "block").map((e) => e.args!.on as string);
    expect(blocks[0]).toMatch(/^send on Channel#\d+ "jobs" \(capacity 0\)$/);
    expect(blocks[1]).toBe("sleep until 1 ms");
    const wakes = instants(trace, 1, "wake");
    expect(wakes.map((e) => e.args!.by)).toEqual(["#2 consumer", null, null]); // the consumer, then two timers
    expect(wakes[1].ts).toBeGreaterThanOrEqual(1000); // 1 virtual ms = 1000 µs
    expect(instants(trace, 2, "end")[0].args).toMatchObject({ state: "done", highWater: 16 });
    expect(instants(trace, 1, "alloc")[0].args).toMatchObject({ sizeClass: "micro", bytes: 256 });
  });

  test("timestamps are the virtual clock in µs, and args carry the cycles", () => {
    const rt = producerConsumer();
    const trace = rt.exportTrace();
    for (const e of trace.traceEvents) {
      if (e.ph === "M") continue;
      expect(e.ts).toBe(((e.args!.cycles as number) / rt.clockHz) * 1e6);
    }
    const last = trace.traceEvents[trace.traceEvents.length - 1];
    expect(last.args!.cycles).toBe(rt.cycles); // the last stack free is the last thing charged
    expect(trace.otherData.cycles).toBe(rt.cycles);
  });

  test("one run slice per context switch", () => {
    const rt = producerConsumer();
    const slices = rt.exportTrace().traceEvents.filter((e) => e.ph === "X");
    expect(slices.length).toBe(rt.stats().contextSwitches);
  });

  test("the trace keeps the format's invariants and survives JSON", () => {
    const trace = producerConsumer().exportTrace();
    checkTrace(trace);
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });

  test("tracing changes nothing the simulation computes", () => {
    const traced = producerConsumer().stats();
    const plain = producerConsumer({ trace: false }).stats();
    expect(traced).toEqual(plain);
  });
});

describe("Tracer: other events", () => {
  test("a yieldNow slice ends where the next switch's charge begins", () => {
    const rt = new Runtime({ trace: true });
    for (const name of ["a", "b"]) {
      rt.spawn(
        {
          [name]: function* () {
            yield* yieldNow();
          },
        }[name],
      );
    }
    rt.run();
    const trace = rt.exportTrace();
    checkTrace(trace);
    const slices = trace.traceEvents.filter((e) => e.ph === "X").map((e) => e.args as { cycles: number; durCycles: number });
    const gaps = slices.slice(1).map((s, i) => s.cycles - (slices[i].cycles + slices[i].durCycles));
    expect(slices.map((s) => s.durCycles)).toEqual([0, 0, 0, 0]); // yieldNow and return charge nothing
    const { contextSwitch, free } = rt.cost;
    // a yields, b yields: each gap is the next switch; a returns: its stack is freed before b's switch.
    expect(gaps).toEqual([contextSwitch.micro, contextSwitch.micro, free.micro + contextSwitch.micro]);
  });

  test("a finished task's joiners get an arrow from its end", () => {
    const rt = new Runtime({ trace: true });
    const worker = rt.spawn(function* worker() {
      yield* sleep(1);
      return 7;
    });
    rt.spawn(function* boss() {
      return yield* worker.join();
    });
    rt.run();
    const trace = rt.exportTrace();
    checkTrace(trace);
    const flows = trace.traceEvents.filter((e) => e.ph === "s" || e.ph === "f");
    expect(flows.map((e) => [e.ph, e.tid])).toEqual([
      ["s", 1],
      ["f", 2],
    ]);
    expect(track(trace, 1).map(kindOf).slice(-3)).toEqual(["end", "flow→", "free"]);
    expect(instants(trace, 2, "wake")[0].args!.by).toBe("#1 worker");
  });

  test("a stack overflow shows as a migrate with the chained segment's alloc and free", () => {
    const big = coro({ name: "big", locals: { buf: bytes(1000) } }, function* (f) {
      f.buf[0] = 1;
    });
    const caller = coro({ name: "caller" }, function* () {
      yield* call(big); // not declared in calls: the metadata says micro
    });
    const rt = new Runtime({ trace: true });
    rt.spawn(caller);
    rt.run();
    const trace = rt.exportTrace();
    checkTrace(trace);
    const t = track(trace, 1);
    expect(t.map(kindOf)).toEqual(["alloc", "spawn", "run", "alloc", "migrate", "end", "free", "free"]);
    expect(t[3].args).toMatchObject({ sizeClass: "small", bytes: 2048 });
    expect(t[4].args).toMatchObject({ from: "micro", to: "small", frameBytes: 1016 });
    expect(t[4].cat).toBe("memory");
  });

  test("failed and cancelled coroutines end with their state", () => {
    const rt = new Runtime({ trace: true });
    const ch = new Channel<number>();
    const victim = rt.spawn(function* victim() {
      yield* ch.recv();
    });
    const failing = rt.spawn(function* failing() {
      yield* yieldNow();
      throw new Error("boom");
    });
    rt.spawn(function* canceller() {
      victim.cancel();
      try {
        yield* failing.join();
      } catch {
        // observed
      }
    });
    rt.run();
    const trace = rt.exportTrace();
    checkTrace(trace);
    const ends = trace.traceEvents.filter((e) => e.name === "end").map((e) => [e.tid, e.args!.state]);
    expect(ends).toEqual(
      expect.arrayContaining([
        [1, "cancelled"],
        [2, "failed"],
        [3, "done"],
      ]),
    );
  });

  test("an export taken while a coroutine runs closes its slice at now, and recording goes on", () => {
    const rt = new Runtime({ trace: true });
    let inside: TraceJson | null = null;
    rt.spawn(function* looker() {
      yield* sleep(1);
      inside = rt.exportTrace();
      yield* sleep(1);
    });
    rt.run();
    const during = inside as unknown as TraceJson;
    checkTrace(during);
    const open = during.traceEvents.filter((e) => e.ph === "X").at(-1)!;
    expect(open.args!.durCycles).toBe(during.otherData.cycles - (open.args!.cycles as number));
    const after = rt.exportTrace();
    checkTrace(after);
    expect(after.traceEvents.length).toBeGreaterThan(during.traceEvents.length);
  });

  test("a flow whose task has not run yet is left out of an export", () => {
    const rt = new Runtime({ trace: true });
    const ch = new Channel<number>(0);
    rt.spawn(function* waiter() {
      yield* ch.recv();
    });
    rt.spawn(function* closer() {
      ch.close(); // wakes the waiter, which is queued behind the exporter
    });
    let mid: TraceJson | null = null;
    rt.spawn(function* exporter() {
      mid = rt.exportTrace();
    });
    rt.run();
    const during = mid as unknown as TraceJson;
    checkTrace(during);
    expect(during.traceEvents.some((e) => e.ph === "s")).toBe(false);
    expect(instants(during, 1, "wake")[0].args!.by).toBe("#2 closer");
    const after = rt.exportTrace();
    checkTrace(after);
    expect(after.traceEvents.filter((e) => e.ph === "s").map((e) => e.tid)).toEqual([2]);
  });

  test("a wake from outside every coroutine has no waker and no arrow", () => {
    const rt = new Runtime({ trace: true });
    const ch = new Channel<number>(0);
    rt.spawn(function* waiter() {
      yield* ch.recv();
    });
    expect(() => rt.run()).toThrow(/recv/);
    ch.close(); // nobody is running
    rt.run();
    const trace = rt.exportTrace();
    checkTrace(trace);
    expect(instants(trace, 1, "wake")[0].args!.by).toBeNull();
    expect(trace.traceEvents.some((e) => e.ph === "s" || e.ph === "f")).toBe(false);
  });

  test("exportTrace() without { trace: true } says how to enable it", () => {
    expect(() => new Runtime().exportTrace()).toThrow(/exportTrace\(\) needs a runtime created with \{ trace: true \}/);
  });

  test("an empty runtime exports only its metadata", () => {
    const trace = new Runtime({ trace: true, name: "idle" }).exportTrace();
    expect(trace.traceEvents).toEqual([{ name: "process_name", cat: "__metadata", ph: "M", ts: 0, pid: 1, tid: 0, args: { name: "idle" } }]);
  });
});

describe("Tracer: long traces", () => {
  test("a ping-pong of 2000 messages spans many storage chunks; every slice ends where its task parks", () => {
    const rt = new Runtime({ trace: true });
    const ping = new Channel<number>(0);
    const pong = new Channel<number>(0);
    const N = 2000;
    rt.spawn(function* pinger() {
      for (let i = 0; i < N; i++) {
        yield* ping.send(i);
        yield* pong.recv();
      }
    });
    rt.spawn(function* ponger() {
      for (let i = 0; i < N; i++) {
        const r = yield* ping.recv();
        yield* pong.send(r.value!);
      }
    });
    rt.run();
    const trace = rt.exportTrace();
    checkTrace(trace);
    expect(trace.traceEvents.filter((e) => e.ph === "X").length).toBe(rt.stats().contextSwitches);
    expect(trace.traceEvents.filter((e) => e.ph === "s").length).toBeGreaterThanOrEqual(2 * N - 1);
    // At least 3 numbers an event: 10 000 events are past the first four chunks (4096 + 3 × 8192 numbers).
    expect(trace.traceEvents.length).toBeGreaterThan(10_000);
    const wrongEnds: string[] = [];
    for (const tid of [1, 2]) {
      let open: TraceEvent | null = null;
      for (const e of track(trace, tid)) {
        if (e.ph === "X") open = e;
        else if (e.ph === "i" && (e.name === "block" || e.name === "end") && open !== null) {
          if (e.args!.cycles !== (open.args!.cycles as number) + (open.args!.durCycles as number)) wrongEnds.push(JSON.stringify(open));
          open = null;
        }
      }
    }
    expect(wrongEnds).toEqual([]);
  });
});

describe("Tracer: properties", () => {
  test("the trace checker catches broken traces", () => {
    const good = producerConsumer().exportTrace();
    const broken = (change: (events: TraceEvent[]) => void): string[] => {
      const copy = JSON.parse(JSON.stringify(good)) as TraceJson;
      change(copy.traceEvents);
      return traceProblems(copy);
    };
    expect(traceProblems(good)).toEqual([]);
    expect(broken((ev) => ev.reverse())).not.toEqual([]); // metadata last, time backwards
    expect(
      broken((ev) =>
        ev.splice(
          ev.findIndex((e) => e.ph === "f"),
          1,
        ),
      ),
    ).not.toEqual([]); // a flow without an end
    expect(broken((ev) => (ev.find((e) => e.ph === "X")!.dur = 1e9))).not.toEqual([]); // overlapping slices
    expect(broken((ev) => delete ev.find((e) => e.ph === "i")!.s)).not.toEqual([]); // an instant without scope
  });

  test("random channel programs give well-formed traces that mirror the run", () => {
    const program = fc.record({
      capacity: fc.constantFrom(0, 1, 2, 7),
      producers: fc.integer({ min: 1, max: 4 }),
      consumers: fc.integer({ min: 1, max: 4 }),
      items: fc.integer({ min: 0, max: 12 }),
      sleepEvery: fc.integer({ min: 1, max: 5 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(program, ({ capacity, producers, consumers, items, sleepEvery, seed }) => {
        const rt = new Runtime({ trace: true, seed });
        const ch = new Channel<number>(capacity);
        const done = new Channel<void>(producers);
        for (let p = 0; p < producers; p++) {
          rt.spawn(function* producer() {
            for (let i = 0; i < items; i++) {
              yield* ch.send(i);
              if (i % sleepEvery === 0) yield* sleep(i % 3);
              else yield* yieldNow();
            }
            yield* done.send(undefined);
          });
        }
        rt.spawn(function* closer() {
          for (let p = 0; p < producers; p++) yield* done.recv();
          ch.close();
        });
        for (let c = 0; c < consumers; c++) {
          rt.spawn(function* consumer() {
            while ((yield* ch.recv()).ok) if (c % 2 === 0) yield* yieldNow();
          });
        }
        rt.run();
        const trace = rt.exportTrace();
        checkTrace(trace);
        const stats = rt.stats();
        expect(trace.traceEvents.filter((e) => e.ph === "X").length).toBe(stats.contextSwitches);
        expect(trace.traceEvents.filter((e) => e.name === "end").length).toBe(stats.completed);
        expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
      }),
      { numRuns: runs(60) },
    );
  });
});
