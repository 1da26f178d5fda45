/**
 * Channel semantics, ported from Go's src/runtime/chan_test.go (TestChan) and
 * looped over the same kind of capacities: empty and full behaviour, close,
 * FIFO order, len/cap — plus what Go leaves to the language: bad input, the
 * cost model, deadlock reports and the scheduler's hold on waited-on channels.
 */
import { describe, expect, test } from "vitest";
import { Channel, ChannelClosedError, DeadlockError, Runtime, checkChannel, recv, select, send, sleep, yieldNow } from "../../src/index.js";
import { CAPACITIES, ZERO_COST, drainNow, exactClockRuntime, expectQuiet, fill, settle, thrownBy, waitingTaskIds } from "./helpers.js";

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

for (const cap of CAPACITIES) {
  describe(`Channel(capacity ${cap})`, () => {
    test("Channel.recv() blocks on an empty channel; tryRecv and a select with default do not", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      let recv1 = false;
      let recv2 = false;
      rt.spawn(function* () {
        yield* ch.recv();
        recv1 = true;
      });
      rt.spawn(function* () {
        yield* ch.recv();
        recv2 = true;
      });
      expect(settle(rt)).toBeInstanceOf(DeadlockError);
      expect([recv1, recv2]).toEqual([false, false]);
      expect(ch.recvq.size).toBe(2);
      expect(ch.tryRecv()).toBeUndefined();
      let polled: unknown;
      rt.spawn(function* () {
        polled = yield* select([recv(ch)], { default: true });
      });
      expect(settle(rt)).toBeInstanceOf(DeadlockError);
      expect(polled).toEqual({ index: -1, ok: false, value: undefined });

      expect(ch.trySend(0)).toBe(true);
      expect(ch.trySend(0)).toBe(true);
      expect(settle(rt)).toBeNull();
      expect([recv1, recv2]).toEqual([true, true]);
      expectQuiet(ch);
    });

    test("Channel.send() blocks when the buffer is full; trySend and a select with default do not", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      fill(ch, range(cap));
      let sent = false;
      rt.spawn(function* () {
        yield* ch.send(cap);
        sent = true;
      });
      expect(settle(rt)).toBeInstanceOf(DeadlockError);
      expect(sent).toBe(false);
      expect(ch.sendq.size).toBe(1);
      expect(ch.trySend(-1)).toBe(false);
      let polled: unknown;
      rt.spawn(function* () {
        polled = yield* select([send(ch, -2)], { default: true });
      });
      settle(rt);
      expect(polled).toEqual({ index: -1, ok: false, value: undefined });
      expect(ch.length).toBe(cap);

      // One receive makes room (or, unbuffered, meets the sender): the blocked send completes.
      expect(ch.tryRecv()).toEqual({ ok: true, value: 0 });
      expect(settle(rt)).toBeNull();
      expect(sent).toBe(true);
      expect(drainNow(ch).map((r) => r.value)).toEqual(range(cap, 1));
      expectQuiet(ch);
    });

    test("Channel.recv() drains a closed channel in FIFO order, then returns { ok: false } every time", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      fill(ch, range(cap));
      ch.close();
      const got: unknown[] = [];
      rt.spawn(function* () {
        for (let i = 0; i < cap + 2; i++) got.push(yield* ch.recv());
      });
      rt.run();
      expect(got).toEqual([...range(cap).map((value) => ({ ok: true, value })), { ok: false, value: undefined }, { ok: false, value: undefined }]);
      expect(ch.tryRecv()).toEqual({ ok: false, value: undefined });
      expect(ch.length).toBe(0);
      checkChannel(ch);
    });

    test("Channel.close() wakes every blocked receiver with { ok: false }", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const got: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        rt.spawn(function* () {
          got.push(yield* ch.recv());
        });
      }
      settle(rt);
      expect(ch.recvq.size).toBe(5);
      ch.close();
      expect(ch.recvq.size).toBe(0);
      checkChannel(ch);
      expect(settle(rt)).toBeNull();
      expect(got).toEqual(Array(5).fill({ ok: false, value: undefined }));
    });

    test("Channel.close() fails every sender blocked on it with ChannelClosedError; their values are never delivered", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      fill(ch, range(cap));
      const errors: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        rt.spawn(function* () {
          try {
            yield* ch.send(100 + i);
          } catch (e) {
            errors.push(e);
          }
        });
      }
      settle(rt);
      expect(ch.sendq.size).toBe(3);
      ch.close();
      expect(ch.sendq.size).toBe(0);
      checkChannel(ch);
      expect(settle(rt)).toBeNull();
      expect(errors).toHaveLength(3);
      for (const e of errors) {
        expect(e).toBeInstanceOf(ChannelClosedError);
        expect((e as Error).message).toContain(ch.describe());
      }
      // Receivers still drain what was buffered before the close, and nothing else.
      expect(drainNow(ch)).toEqual([...range(cap).map((value) => ({ ok: true, value })), { ok: false, value: undefined }]);
    });

    test("values arrive uncorrupted and in FIFO order (100 sends, one receiver)", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const got: number[] = [];
      rt.spawn(function* () {
        for (let i = 0; i < 100; i++) yield* ch.send(i);
      });
      rt.spawn(function* () {
        for (let i = 0; i < 100; i++) {
          const r = yield* ch.recv();
          expect(r.ok).toBe(true);
          got.push(r.value as number);
        }
      });
      rt.run();
      expect(got).toEqual(range(100));
      expectQuiet(ch);
    });

    test("4 senders × 1000 values to 4 receivers: every value is received exactly 4 times", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const P = 4;
      const L = 1000;
      const counts = new Map<number, number>();
      for (let p = 0; p < P; p++) {
        rt.spawn(function* () {
          for (let i = 0; i < L; i++) yield* ch.send(i);
        });
        rt.spawn(function* () {
          for (let i = 0; i < L; i++) {
            const r = yield* ch.recv();
            counts.set(r.value as number, (counts.get(r.value as number) ?? 0) + 1);
          }
        });
      }
      rt.run();
      expect(counts.size).toBe(L);
      for (const [, n] of counts) expect(n).toBe(P);
      expectQuiet(ch);
    });

    test("undefined and null are ordinary values: they are buffered, counted and received with ok: true", () => {
      const rt = new Runtime();
      const ch = new Channel<undefined | null>(cap);
      const got: unknown[] = [];
      rt.spawn(function* () {
        for (const v of [undefined, null, undefined]) yield* ch.send(v);
        ch.close();
      });
      rt.spawn(function* () {
        for (let r = yield* ch.recv(); r.ok; r = yield* ch.recv()) {
          got.push(r.value);
          checkChannel(ch);
        }
      });
      rt.run();
      expect(got).toEqual([undefined, null, undefined]);
      expect(got).toHaveLength(3);
    });

    test("length counts buffered values and capacity is what was asked for", () => {
      const ch = new Channel<number>(cap);
      expect([ch.length, ch.capacity]).toEqual([0, cap]);
      fill(ch, range(cap));
      expect([ch.length, ch.capacity]).toEqual([cap, cap]);
      ch.close();
      expect([ch.length, ch.capacity, ch.closed]).toEqual([cap, cap, true]);
      ch.tryRecv();
      expect(ch.length).toBe(Math.max(0, cap - 1));
    });

    test("blocked receivers are served first come, first served", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const got: string[] = [];
      const receivers = ["r1", "r2", "r3"].map((name) =>
        rt.spawn(function* () {
          got.push(`${name}=${(yield* ch.recv()).value}`);
        }),
      );
      settle(rt);
      expect(waitingTaskIds(ch.recvq)).toEqual(receivers.map((t) => t.id));
      rt.spawn(function* () {
        for (let i = 1; i <= 3; i++) yield* ch.send(i);
      });
      rt.run();
      expect(got).toEqual(["r1=1", "r2=2", "r3=3"]);
    });

    test("blocked senders are served first come, first served, after the values already buffered", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      fill(ch, range(cap));
      const senders = [100, 101, 102].map((v) =>
        rt.spawn(function* () {
          yield* ch.send(v);
        }),
      );
      settle(rt);
      expect(waitingTaskIds(ch.sendq)).toEqual(senders.map((t) => t.id));
      const got: number[] = [];
      rt.spawn(function* () {
        for (let i = 0; i < cap + 3; i++) {
          got.push((yield* ch.recv()).value as number);
          checkChannel(ch);
        }
      });
      rt.run();
      expect(got).toEqual([...range(cap), 100, 101, 102]);
      expectQuiet(ch);
    });

    test("each sender's values arrive in the order it sent them, whatever the interleaving", () => {
      const rt = new Runtime();
      const ch = new Channel<[number, number]>(cap);
      const senders = 3;
      const perSender = 50;
      const got: [number, number][] = [];
      for (let s = 0; s < senders; s++) {
        rt.spawn(function* () {
          for (let i = 0; i < perSender; i++) {
            yield* ch.send([s, i]);
            if ((i + s) % 3 === 0) yield* yieldNow();
          }
        });
      }
      rt.spawn(function* () {
        for (let n = 0; n < senders * perSender; n++) {
          got.push((yield* ch.recv()).value as [number, number]);
          if (n % 7 === 0) yield* sleep(1);
        }
      });
      rt.run();
      for (let s = 0; s < senders; s++) expect(got.filter(([from]) => from === s).map(([, i]) => i)).toEqual(range(perSender));
    });

    test("Channel.send() on a closed channel throws ChannelClosedError naming the channel, and delivers nothing", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap, { name: "results" });
      ch.close();
      let err: unknown;
      rt.spawn(function* () {
        try {
          yield* ch.send(1);
        } catch (e) {
          err = e;
        }
      });
      rt.run();
      expect(err).toBeInstanceOf(ChannelClosedError);
      expect((err as Error).message).toBe(`send on closed ${ch.describe()}`);
      expect(ch.length).toBe(0);
    });

    test("Channel.trySend() on a closed channel throws ChannelClosedError; tryRecv() drains, then gives { ok: false }", () => {
      const ch = new Channel<number>(cap);
      fill(ch, range(cap));
      ch.close();
      expect(thrownBy(() => ch.trySend(9))).toBeInstanceOf(ChannelClosedError);
      expect(ch.length).toBe(cap);
      expect(drainNow(ch)).toEqual([...range(cap).map((value) => ({ ok: true, value })), { ok: false, value: undefined }]);
    });

    test("Channel.close() of a closed channel throws ChannelClosedError and changes nothing", () => {
      const ch = new Channel<number>(cap);
      fill(ch, range(cap));
      ch.close();
      const e = thrownBy(() => ch.close());
      expect(e).toBeInstanceOf(ChannelClosedError);
      expect((e as Error).message).toBe(`close of closed ${ch.describe()}`);
      expect([ch.closed, ch.length]).toEqual([true, cap]);
      checkChannel(ch);
    });

    test("the scheduler holds the channel while it has waiters and lets go when the last one leaves", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      for (let i = 0; i < 2; i++) {
        rt.spawn(function* () {
          yield* ch.recv();
        });
      }
      expect(rt.holds(ch)).toBe(false); // spawned, not yet waiting
      settle(rt);
      expect(rt.holds(ch)).toBe(true);
      expect(ch.trySend(1)).toBe(true);
      settle(rt);
      expect(rt.holds(ch)).toBe(true); // one receiver still waits
      expect(ch.trySend(2)).toBe(true);
      expect(rt.holds(ch)).toBe(false);
      expect(settle(rt)).toBeNull();

      // Senders on a full buffer, released by close.
      fill(ch, range(cap));
      rt.spawn(function* () {
        try {
          yield* ch.send(9);
        } catch {
          // closed below
        }
      });
      settle(rt);
      expect(rt.holds(ch)).toBe(true);
      ch.close();
      expect(rt.holds(ch)).toBe(false);
      expect(settle(rt)).toBeNull();
    });

    test("send and recv charge channelOp once each, blocked or not; an op that completes at once does not switch context", () => {
      const cost = { ...ZERO_COST, channelOp: 1009, selectCase: 37 };
      const rt = new Runtime({ cost });
      const ch = new Channel<number>(cap);
      rt.spawn(function* () {
        yield* ch.send(1); // blocks when cap is 0
      });
      rt.spawn(function* () {
        yield* ch.recv();
      });
      const before = rt.stats().busyCycles;
      rt.run();
      expect(rt.stats().busyCycles - before).toBe(2 * 1009);

      const rt2 = new Runtime({ cost: { channelOp: 1009, selectCase: 37 } });
      const deltas: number[] = [];
      const ch2 = new Channel<number>(cap); // a channel belongs to one runtime
      rt2.spawn(function* () {
        if (cap === 0) return;
        const s0 = rt2.stats();
        yield* ch2.send(5);
        const s1 = rt2.stats();
        yield* ch2.recv();
        const s2 = rt2.stats();
        deltas.push(s1.busyCycles - s0.busyCycles, s2.busyCycles - s1.busyCycles, s2.contextSwitches - s0.contextSwitches);
      });
      rt2.run();
      if (cap > 0) expect(deltas).toEqual([1009, 1009, 0]);
    });
  });
}

describe("Channel: unbuffered rendezvous", () => {
  test("Channel.send() on an unbuffered channel completes only when a receiver takes the value", () => {
    const rt = exactClockRuntime();
    const ch = new Channel<string>(0);
    let sentAt = -1;
    const sender = rt.spawn(function* () {
      yield* ch.send("hello");
      sentAt = rt.now();
    });
    expect(settle(rt)).toBeInstanceOf(DeadlockError);
    expect(sender.state).toBe("blocked");
    expect(ch.length).toBe(0); // nothing is buffered: the value waits with its sender
    let got: unknown;
    rt.spawn(function* () {
      yield* sleep(10);
      got = yield* ch.recv();
    });
    rt.run();
    expect(got).toEqual({ ok: true, value: "hello" });
    expect(sentAt).toBe(10);
  });

  test("Channel.recv() on an unbuffered channel takes the value straight from a blocked sender", () => {
    const rt = new Runtime();
    const ch = new Channel<number>();
    expect(ch.capacity).toBe(0);
    rt.spawn(function* () {
      yield* ch.send(42);
    });
    settle(rt);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 42 });
    expect(settle(rt)).toBeNull();
    expect(ch.tryRecv()).toBeUndefined();
  });

  test("Channel.trySend() on an unbuffered channel succeeds only when a receiver is waiting", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(0);
    expect(ch.trySend(1)).toBe(false);
    let got: unknown;
    rt.spawn(function* () {
      got = yield* ch.recv();
    });
    settle(rt);
    expect(ch.trySend(2)).toBe(true);
    rt.run();
    expect(got).toEqual({ ok: true, value: 2 });
  });
});

describe("Channel: a ring larger than its first allocation", () => {
  test("a channel with capacity 100 000 stays FIFO while its ring grows and wraps", () => {
    const ch = new Channel<number>(100_000);
    let next = 0;
    const received: number[] = [];
    const sendMany = (n: number): boolean => {
      let all = true;
      for (let i = 0; i < n; i++) all = ch.trySend(next++) && all;
      return all;
    };
    const recvMany = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const r = ch.tryRecv();
        received.push(r?.ok === true ? r.value : -1);
      }
    };
    expect(sendMany(40_000)).toBe(true);
    recvMany(30_000);
    expect(sendMany(90_000)).toBe(true);
    expect(ch.length).toBe(100_000);
    expect(ch.trySend(-1)).toBe(false);
    checkChannel(ch);
    recvMany(100_000);
    expect(ch.tryRecv()).toBeUndefined();
    expect(received).toEqual(range(next));
  });
});

describe("Channel: bad input", () => {
  test.each([
    [-1, "-1"],
    [1.5, "1.5"],
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-0.5, "-0.5"],
  ])("new Channel(%s) throws a RangeError that names the value", (bad, shown) => {
    const e = thrownBy(() => new Channel<number>(bad as number));
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toContain(`received ${shown}`);
  });

  test.each([
    ["3", '"3"'],
    [null, "null"],
    [3n, "3n"],
  ])("new Channel(%s) throws a TypeError that names the value", (bad, shown) => {
    const e = thrownBy(() => new Channel<number>(bad as unknown as number));
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toContain(`received ${shown}`);
  });

  test("channel ids are per runtime, in order of first use, and describe() names id, name and capacity", () => {
    expect(new Channel<number>(0, { name: "jobs" }).describe()).toBe(`Channel "jobs" (capacity 0)`); // no runtime has used it yet
    for (const rt of [new Runtime(), new Runtime()]) {
      const x = new Channel<number>(0, { name: "jobs" });
      const y = new Channel<number>(3);
      rt.spawn(function* () {
        y.trySend(1);
        x.trySend(1);
      });
      rt.run();
      expect([y.id, x.id]).toEqual([1, 2]); // the same ids in each runtime: nothing process-wide leaks in
      expect(x.describe()).toBe(`Channel#2 "jobs" (capacity 0)`);
      expect(String(y)).toBe(`Channel#1 (capacity 3)`);
    }
  });
});

describe("Channel: deadlock reports", () => {
  test("a deadlock names each blocked coroutine, its operation and its channel", () => {
    const rt = new Runtime();
    const jobs = new Channel<number>(0, { name: "jobs" });
    const results = new Channel<number>(2);
    rt.spawn(function* producer() {
      yield* jobs.send(1);
    });
    rt.spawn(function* worker() {
      yield* jobs.recv();
    });
    const consumer = rt.spawn(function* consumer() {
      yield* jobs.recv();
    });
    fill(results, [1, 2]);
    const reporter = rt.spawn(function* reporter() {
      yield* results.send(3);
    });
    const err = settle(rt);
    expect(err).toBeInstanceOf(DeadlockError);
    expect(consumer.id).toBe(3);
    const consumerLine = `#3 consumer: recv on Channel#${jobs.id} "jobs" (capacity 0)`;
    const reporterLine = `#${reporter.id} reporter: send on Channel#${results.id} (capacity 2)`;
    expect(err!.blocked).toEqual([consumerLine, reporterLine]);
    expect(err!.message).toContain(consumerLine);
    expect(err!.message).toContain(reporterLine);
  });

  test("a deadlocked select names every channel it waits on and the direction of each case", () => {
    const rt = new Runtime();
    const a = new Channel<number>(0, { name: "a" });
    const b = new Channel<number>(1, { name: "b" });
    fill(b, [0]);
    const t = rt.spawn(function* chooser() {
      yield* select([recv(a), send(b, 1)]);
    });
    const err = settle(rt);
    expect(err!.blocked).toHaveLength(1);
    const line = err!.blocked[0];
    expect(line.startsWith(`#${t.id} chooser: select`)).toBe(true);
    expect(line).toContain(`recv ${a.describe()}`);
    expect(line).toContain(`send ${b.describe()}`);
  });

  test("run() after a deadlock leaves the blocked coroutines blocked; a later partner completes them", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(0);
    let got: unknown;
    const r = rt.spawn(function* () {
      got = yield* ch.recv();
    });
    expect(settle(rt)).toBeInstanceOf(DeadlockError);
    expect(settle(rt)).toBeInstanceOf(DeadlockError);
    expect(r.state).toBe("blocked");
    rt.spawn(function* () {
      yield* ch.send(7);
    });
    expect(settle(rt)).toBeNull();
    expect(got).toEqual({ ok: true, value: 7 });
    expect(r.state).toBe("done");
  });
});

describe("Channel: cost model", () => {
  test("every channel operation inside a coroutine charges exactly channelOp cycles", () => {
    const rt = new Runtime({ cost: { channelOp: 1009, selectCase: 37 } });
    const ch = new Channel<number>(2);
    const deltas: Record<string, number> = {};
    rt.spawn(function* () {
      const measure = (name: string, f: () => void): void => {
        const before = rt.stats().busyCycles;
        f();
        deltas[name] = rt.stats().busyCycles - before;
      };
      measure("trySend", () => ch.trySend(1));
      measure("tryRecv", () => ch.tryRecv());
      measure("tryRecv empty", () => ch.tryRecv());
      measure("close", () => ch.close());
      yield* yieldNow();
    });
    rt.run();
    expect(deltas).toEqual({ trySend: 1009, tryRecv: 1009, "tryRecv empty": 1009, close: 1009 });
  });

  test("operations called from outside any coroutine charge nothing", () => {
    const rt = new Runtime({ cost: { channelOp: 1009 } });
    const ch = new Channel<number>(1);
    const before = rt.stats().busyCycles;
    ch.trySend(1);
    ch.tryRecv();
    ch.close();
    expect(rt.stats().busyCycles).toBe(before);
  });

  test("select charges selectCase per case, and no channelOp on top", () => {
    const rt = new Runtime({ cost: { ...ZERO_COST, channelOp: 1009, selectCase: 37 } });
    const a = new Channel<number>(1);
    const b = new Channel<number>(1);
    const c = new Channel<number>(0);
    fill(a, [1]);
    const deltas: number[] = [];
    rt.spawn(function* () {
      let before = rt.stats().busyCycles;
      yield* select([recv(a), recv(c), send(b, 2)]); // ready at once: one of the two ready cases
      deltas.push(rt.stats().busyCycles - before);
      before = rt.stats().busyCycles;
      yield* select([recv(c), send(c, 1)], { default: true }); // nothing ready: default
      deltas.push(rt.stats().busyCycles - before);
    });
    rt.run();
    expect(deltas).toEqual([3 * 37, 2 * 37]);
  });

  test("a blocked select is charged once for its cases; its partner pays one channelOp", () => {
    const rt = new Runtime({ cost: { ...ZERO_COST, channelOp: 1009, selectCase: 37 } });
    const a = new Channel<number>(0);
    const b = new Channel<number>(0);
    rt.spawn(function* () {
      yield* select([recv(a), recv(b), send(a, 5), recv(b)]);
    });
    settle(rt);
    rt.spawn(function* () {
      yield* b.send(1);
    });
    const before = rt.stats().busyCycles;
    rt.run();
    expect(rt.stats().busyCycles - before).toBe(1009);
    expect(rt.stats().busyCycles).toBe(4 * 37 + 1009);
  });
});
