/**
 * Channels beyond Go: Kotlin's overflow policies, onUndelivered, and
 * ranging with forEach.
 */
import fc from "fast-check";
import { describe, expect, expectTypeOf, test } from "vitest";
import { Channel, ChannelClosedError, Runtime, checkChannel, forEach, recv, select, send, sleep, ticker, yieldNow } from "../../src/index.js";
import { runs } from "../support/fc.js";
import { exactClockRuntime, thrownBy } from "./helpers.js";

describe("overflow policies", () => {
  test("dropOldest: a send on a full buffer evicts the oldest value and never blocks", () => {
    const lost: number[] = [];
    const ch = new Channel<number>(2, { overflow: "dropOldest", onUndelivered: (v) => lost.push(v) });
    for (const v of [1, 2, 3, 4]) expect(ch.trySend(v)).toBe(true);
    expect([ch.tryRecv(), ch.tryRecv(), ch.tryRecv()]).toEqual([{ ok: true, value: 3 }, { ok: true, value: 4 }, undefined]);
    expect(lost).toEqual([1, 2]);
    expect(ch.overflow).toBe("dropOldest");
  });

  test("dropNewest: a send on a full buffer discards the value sent", () => {
    const lost: number[] = [];
    const ch = new Channel<number>(2, { overflow: "dropNewest", onUndelivered: (v) => lost.push(v) });
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      for (const v of [1, 2, 3, 4]) yield* ch.send(v); // never blocks
    });
    rt.run();
    expect([ch.tryRecv(), ch.tryRecv(), ch.tryRecv()]).toEqual([{ ok: true, value: 1 }, { ok: true, value: 2 }, undefined]);
    expect(lost).toEqual([3, 4]);
  });

  test("a select send case on a drop channel is always ready", () => {
    const rt = exactClockRuntime();
    const ch = new Channel<number>(1, { overflow: "dropOldest" });
    const idx: number[] = [];
    rt.spawn(function* () {
      for (let i = 0; i < 3; i++) idx.push((yield* select([send(ch, i)], { default: true })).index);
    });
    rt.run();
    expect(idx).toEqual([0, 0, 0]);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 2 });
  });

  test("a waiting receiver still gets the value directly (nothing is dropped)", () => {
    const rt = exactClockRuntime();
    const lost: number[] = [];
    const ch = new Channel<number>(1, { overflow: "dropNewest", onUndelivered: (v) => lost.push(v) });
    let got: unknown;
    rt.spawn(function* () {
      got = yield* ch.recv();
    });
    rt.spawn(function* () {
      yield* sleep(1);
      ch.trySend(9);
    });
    rt.run();
    expect(got).toEqual({ ok: true, value: 9 });
    expect(lost).toEqual([]);
  });

  test("misuse: a drop policy needs capacity ≥ 1; unknown policies and non-function callbacks are refused, naming the value", () => {
    expect(String(thrownBy(() => new Channel(0, { overflow: "dropOldest" })))).toMatch(/RangeError: .*"dropOldest" needs a capacity of at least 1.*received 0/);
    expect(String(thrownBy(() => new Channel(1, { overflow: "dropAll" as never })))).toMatch(/RangeError: .*received "dropAll"/);
    expect(thrownBy(() => new Channel(1, { overflow: 3 as never }))).toBeInstanceOf(TypeError);
    expect(String(thrownBy(() => new Channel(1, { onUndelivered: 5 as never })))).toMatch(/TypeError: Channel onUndelivered must be a function, received 5/);
  });

  test("property: dropOldest keeps the newest `capacity` values, dropNewest the oldest", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom("dropOldest" as const, "dropNewest" as const),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1)), { maxLength: 60 }),
        (capacity, overflow, ops) => {
          const lost: number[] = [];
          const ch = new Channel<number>(capacity, { overflow, onUndelivered: (v) => lost.push(v) });
          const model: number[] = [];
          const modelLost: number[] = [];
          for (const op of ops) {
            if (op >= 0) {
              expect(ch.trySend(op)).toBe(true);
              if (model.length < capacity) model.push(op);
              else if (overflow === "dropOldest") {
                modelLost.push(model.shift()!);
                model.push(op);
              } else modelLost.push(op);
            } else {
              const r = ch.tryRecv();
              const m = model.shift();
              expect(r).toEqual(m === undefined ? undefined : { ok: true, value: m });
            }
            checkChannel(ch);
            expect(ch.length).toBe(model.length);
            expect(lost).toEqual(modelLost);
          }
        },
      ),
      { numRuns: runs(200) },
    );
  });
});

describe("onUndelivered", () => {
  test("a send on a closed channel: the value is undelivered and the send throws", () => {
    const lost: string[] = [];
    const ch = new Channel<string>(1, { onUndelivered: (v) => lost.push(v) });
    ch.close();
    expect(thrownBy(() => ch.trySend("a"))).toBeInstanceOf(ChannelClosedError);
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      for (const op of [() => ch.send("b"), () => select([send(ch, "c")])]) {
        try {
          yield* op();
        } catch (e) {
          expect(e).toBeInstanceOf(ChannelClosedError);
        }
      }
    });
    rt.run();
    expect(lost).toEqual(["a", "b", "c"]);
  });

  test("senders blocked when the channel closes: each value is undelivered once; buffered values are not (close drains)", () => {
    const lost: number[] = [];
    const ch = new Channel<number>(1, { onUndelivered: (v) => lost.push(v) });
    const rt = exactClockRuntime();
    for (const v of [1, 2, 3]) {
      rt.spawn(function* () {
        try {
          if (v === 3) yield* select([send(ch, v), recv(null)]);
          else yield* ch.send(v);
        } catch (e) {
          expect(e).toBeInstanceOf(ChannelClosedError);
        }
      });
    }
    rt.spawn(function* () {
      yield* sleep(1);
      ch.close();
    });
    rt.run();
    expect(lost).toEqual([2, 3]); // 1 sits in the buffer and can still be received
    expect(ch.tryRecv()).toEqual({ ok: true, value: 1 });
  });

  test("a plain send cancelled while it waits: its value is undelivered, in the cancelled coroutine", () => {
    const lost: number[] = [];
    const ch = new Channel<number>(0, { onUndelivered: (v) => lost.push(v) });
    const rt = exactClockRuntime();
    const sender = rt.spawn(function* () {
      yield* ch.send(7);
    });
    const selecting = rt.spawn(function* () {
      yield* select([send(ch, 8), recv(null)]); // a select's cases are never committed: not reported
    });
    rt.spawn(function* () {
      yield* sleep(1);
      sender.cancel();
      selecting.cancel();
    });
    rt.run();
    expect(sender.state).toBe("cancelled");
    expect(lost).toEqual([7]);
  });

  test("a throwing callback fails the cancelled sender with that error", () => {
    const rt = exactClockRuntime();
    const ch = new Channel<number>(0, {
      onUndelivered: () => {
        throw new Error("cleanup failed");
      },
    });
    const sender = rt.spawn(function* () {
      yield* ch.send(1);
    });
    rt.spawn(function* () {
      yield* yieldNow();
      sender.cancel();
    });
    expect(() => rt.run()).toThrow("cleanup failed");
    expect(sender.state).toBe("failed");
  });

  test("property: every value sent is received, undelivered or still buffered, exactly once", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom("suspend" as const, "dropOldest" as const, "dropNewest" as const),
        fc.array(fc.constantFrom("send", "select", "recv", "cancel", "close", "pause"), { maxLength: 30 }),
        fc.integer(),
        (cap, overflow, plan, seed) => {
          const capacity = overflow === "suspend" ? cap : Math.max(1, cap);
          const lost: number[] = [];
          const ch = new Channel<number>(capacity, { overflow, onUndelivered: (v) => lost.push(v) });
          const rt = new Runtime({ seed });
          const received: number[] = [];
          const tasks: { cancel(): void }[] = [];
          let next = 0;
          const committed: number[] = []; // a plain send commits when it starts; a select only to the case it completes
          rt.spawn(function* driver() {
            for (const step of plan) {
              if (step === "send" || step === "select") {
                const v = next++;
                tasks.push(
                  rt.spawn(function* () {
                    if (step === "send") committed.push(v);
                    try {
                      if (step === "send") yield* ch.send(v);
                      else yield* select([send(ch, v)]);
                      if (step === "select") committed.push(v);
                    } catch (e) {
                      if (!(e instanceof ChannelClosedError)) throw e;
                      if (step === "select") committed.push(v);
                    }
                  }),
                );
              } else if (step === "recv") {
                tasks.push(
                  rt.spawn(function* () {
                    const r = yield* ch.recv();
                    if (r.ok) received.push(r.value);
                  }),
                );
              } else if (step === "cancel") tasks.shift()?.cancel();
              else if (step === "close") {
                if (!ch.closed) ch.close();
              } else yield* sleep(1);
              checkChannel(ch);
            }
            if (!ch.closed) ch.close();
          });
          rt.run();
          const buffered: number[] = [];
          for (let r = ch.tryRecv(); r !== undefined && r.ok; r = ch.tryRecv()) buffered.push(r.value);
          const byValue = (a: number, b: number) => a - b;
          expect([...received, ...lost, ...buffered].sort(byValue)).toEqual(committed.sort(byValue));
        },
      ),
      { numRuns: runs(150) },
    );
  });
});

describe("forEach(ch, body)", () => {
  test("gets every value in order until the channel is closed and drained, typed", () => {
    const rt = exactClockRuntime();
    const ch = new Channel<number>(2);
    const got: number[] = [];
    rt.spawn(function* () {
      for (let i = 1; i <= 4; i++) yield* ch.send(i);
      ch.close();
    });
    rt.spawn(function* () {
      yield* forEach(ch, function* (v) {
        expectTypeOf(v).toEqualTypeOf<number>();
        yield* sleep(1);
        got.push(v);
      });
      got.push(-1);
    });
    rt.run();
    expect(got).toEqual([1, 2, 3, 4, -1]);
  });

  test("returning false stops it; a plain function body works; a ticker's port ranges too", () => {
    const rt = exactClockRuntime();
    const ticks: number[] = [];
    rt.spawn(function* () {
      const tk = ticker(10);
      yield* forEach(tk.c, (t) => {
        ticks.push(t);
        return ticks.length < 3;
      });
      tk.stop();
    });
    rt.run();
    expect(ticks).toEqual([10, 20, 30]);
  });

  test("misuse: a TypeError naming the value", () => {
    expect(String(thrownBy(() => forEach(42 as never, () => {})))).toMatch(/TypeError: forEach\(ch, body\): ch must be a Channel or a RecvPort, received 42/);
    expect(String(thrownBy(() => forEach(new Channel<number>(), null as never)))).toMatch(/body must be a function, received null/);
  });
});
