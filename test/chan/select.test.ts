/**
 * select: Go's selectgo semantics (src/runtime/select.go) and the select
 * cases of chan_test.go — TestSelfSelect, TestSelectFairness,
 * TestSelectDuplicateChannel, TestNonblock*Race, TestPseudoRandomSend — with
 * virtual time for `after` and the runtime's seed for every random choice.
 */
import { describe, expect, test } from "vitest";
import {
  Channel,
  ChannelClosedError,
  DeadlockError,
  Runtime,
  after,
  checkChannel,
  recv,
  select,
  send,
  sleep,
  yieldNow,
  type SelectCase,
  type SelectResult,
} from "../../src/index.js";
import { CAPACITIES, exactClockRuntime, expectQuiet, fill, settle, tally, thrownBy } from "./helpers.js";

/** Runs `n` selects over two always-ready buffered channels (refilled after each pick); returns the picks. */
function readyPicks(seed: number, n: number): number[] {
  const rt = new Runtime({ seed });
  const a = new Channel<number>(1);
  const b = new Channel<number>(1);
  const never1 = new Channel<number>(0);
  const never2 = new Channel<number>(0);
  fill(a, [1]);
  fill(b, [2]);
  const picks: number[] = [];
  rt.spawn(function* () {
    const cases = [recv(never1), recv(never2), recv(a), recv(b)]; // Go's TestSelectFairness shape
    for (let i = 0; i < n; i++) {
      const r = yield* select(cases);
      picks.push(r.value as number);
      yield* (r.value === 1 ? a : b).send(r.value as number);
    }
  });
  rt.run();
  return picks;
}

describe("select: choosing among ready cases", () => {
  for (const cap of CAPACITIES) {
    test(`select completes exactly one of several ready recv cases (capacity ${cap})`, () => {
      const rt = new Runtime();
      const a = new Channel<string>(cap);
      const b = new Channel<string>(cap);
      for (let i = 0; i < 50; i++) {
        // Unbuffered channels are ready when a sender waits; buffered ones when a value is buffered.
        for (const [ch, v] of [
          [a, "a"],
          [b, "b"],
        ] as const) {
          rt.spawn(function* () {
            yield* ch.send(v);
          });
        }
        settle(rt);
        let r: SelectResult | undefined;
        rt.spawn(function* () {
          r = yield* select([recv(a), recv(b)]);
        });
        settle(rt);
        expect(r!.ok).toBe(true);
        expect(r!.value).toBe(r!.index === 0 ? "a" : "b");
        const [winner, loser] = r!.index === 0 ? [a, b] : [b, a];
        // The winner's value is gone; the loser's still waits (with its sender, or in the buffer).
        const pending = (ch: Channel<string>): number => (cap === 0 ? ch.sendq.size : ch.length);
        expect([pending(winner), pending(loser)]).toEqual([0, 1]);
        expect(loser.tryRecv()).toEqual({ ok: true, value: r!.index === 0 ? "b" : "a" });
        expect(settle(rt)).toBeNull();
        expectQuiet(a, b);
      }
    });

    test(`select completes exactly one of several ready send cases (capacity ${cap})`, () => {
      const rt = new Runtime();
      const a = new Channel<number>(cap);
      const b = new Channel<number>(cap);
      const received: string[] = [];
      if (cap === 0) {
        for (const [ch, name] of [
          [a, "a"],
          [b, "b"],
        ] as const) {
          rt.spawn(function* () {
            received.push(`${name}:${(yield* ch.recv()).value}`);
          });
        }
        settle(rt);
      }
      let r: SelectResult | undefined;
      rt.spawn(function* () {
        r = yield* select([send(a, 10), send(b, 20)]);
      });
      settle(rt);
      expect(r).toEqual({ index: r!.index, ok: true, value: undefined });
      if (cap === 0) {
        expect(received).toEqual([r!.index === 0 ? "a:10" : "b:20"]);
        expect((r!.index === 0 ? b : a).recvq.size).toBe(1);
      } else {
        expect([a.length, b.length]).toEqual(r!.index === 0 ? [1, 0] : [0, 1]);
      }
    });
  }

  test("select is fair: with two always-ready channels, each is chosen 50% ± 2% of 10 000 picks", () => {
    for (const seed of [1, 2, 12345]) {
      const counts = tally(readyPicks(seed, 10_000));
      expect(counts.get(1)! + counts.get(2)!).toBe(10_000);
      expect(Math.abs(counts.get(1)! - 5000), `seed ${seed}: ${counts.get(1)} vs ${counts.get(2)}`).toBeLessThanOrEqual(200);
    }
  });

  test("select is fair among send cases too (TestPseudoRandomSend)", () => {
    for (const cap of [0, 1000]) {
      const rt = new Runtime({ seed: 7 });
      const ch = new Channel<number>(cap);
      const got: number[] = [];
      rt.spawn(function* () {
        for (let i = 0; i < 1000; i++) {
          yield* yieldNow();
          got.push((yield* ch.recv()).value as number);
        }
      });
      rt.spawn(function* () {
        for (let i = 0; i < 1000; i++) yield* select([send(ch, 1), send(ch, 0)]);
      });
      rt.run();
      const ones = got.filter((v) => v === 1).length;
      expect(ones, `capacity ${cap}`).toBeGreaterThan(400);
      expect(ones, `capacity ${cap}`).toBeLessThan(600);
    }
  });

  test("the same seed gives the same sequence of choices; a different seed a different one", () => {
    const first = readyPicks(42, 200);
    expect(readyPicks(42, 200)).toEqual(first);
    expect(readyPicks(43, 200)).not.toEqual(first);
  });

  test("a blocked select's cases wait in the random poll order: the first partner does not always meet the first case", () => {
    // TestSelectDuplicateChannel's shape: two cases on one channel. Which index the sender
    // meets is decided by the order the cases were queued in.
    const picks = (seed: number): number[] => {
      const rt = new Runtime({ seed });
      const c = new Channel<number>(0);
      const out: number[] = [];
      rt.spawn(function* () {
        for (let i = 0; i < 1000; i++) out.push((yield* select([recv(c), recv(c)])).index);
      });
      rt.spawn(function* () {
        for (let i = 0; i < 1000; i++) {
          yield* yieldNow(); // let the select block first
          yield* c.send(i);
        }
      });
      rt.run();
      expectQuiet(c);
      return out;
    };
    const first = picks(3);
    const zeros = first.filter((i) => i === 0).length;
    expect(zeros).toBeGreaterThan(400);
    expect(zeros).toBeLessThan(600);
    expect(picks(3)).toEqual(first);
  });
});

describe("select: a losing case leaves no trace", () => {
  for (const cap of CAPACITIES) {
    test(`a select woken by one partner leaves no waiter, timer or value behind (capacity ${cap})`, () => {
      const rt = exactClockRuntime();
      const a = new Channel<number>(cap);
      const b = new Channel<number>(cap);
      const c = new Channel<number>(cap);
      fill(
        c,
        Array.from({ length: cap }, (_, i) => i),
      ); // full: the send case on c cannot complete
      let r: SelectResult | undefined;
      rt.spawn(function* () {
        r = yield* select([recv(b), send(c, 99), recv(a), after(1000)]);
      });
      let whileBlocked: unknown[] = [];
      rt.spawn(function* () {
        yield* sleep(10);
        whileBlocked = [a.recvq.size, b.recvq.size, c.sendq.size, rt.heldResources()];
        yield* a.send(5);
      });
      expect(settle(rt)).toBeNull();
      expect(whileBlocked).toEqual([1, 1, 1, [a, b, c].map((x) => x.describe()).sort()]);
      expect(r).toEqual({ index: 2, ok: true, value: 5 });
      expectQuiet(a, b, c);
      expect(rt.heldResources().length).toBe(0);
      expect(rt.now()).toBe(10); // the timeout was disarmed: the clock never jumped to it
      expect(c.length).toBe(cap); // 99 was never sent
      if (cap > 0) expect(c.tryRecv()).toEqual({ ok: true, value: 0 });
      else expect(c.tryRecv()).toBeUndefined();
      expect(b.trySend(1)).toBe(cap > 0); // nobody waits on b any more
    });
  }

  test("TestSelectDuplicateChannel: a select queued twice on one channel leaves it cleanly", () => {
    const rt = new Runtime();
    const c = new Channel<number>(0);
    const d = new Channel<number>(0);
    const e = new Channel<number>(0);
    let bGot: unknown;
    rt.spawn(function* a() {
      yield* select([recv(c), recv(c), recv(d)]);
      yield* e.send(9);
    });
    settle(rt);
    const b = rt.spawn(function* b() {
      bGot = yield* c.recv();
    });
    settle(rt);
    expect(c.recvq.size).toBe(3);
    rt.spawn(function* main() {
      yield* d.send(7); // wakes A, which leaves c's queue twice
      checkChannel(c);
      expect(c.recvq.size).toBe(1);
      yield* e.recv();
      yield* c.send(8); // must reach B
    });
    rt.run();
    expect(bGot).toEqual({ ok: true, value: 8 });
    expect(b.state).toBe("done");
    expectQuiet(c, d, e);
  });
});

describe("select: self-select", () => {
  for (const cap of [...CAPACITIES, 10]) {
    test(`TestSelfSelect: a select with send and recv on one channel never matches itself (capacity ${cap})`, () => {
      const rt = new Runtime();
      const c = new Channel<number>(cap);
      const selfReceives: string[] = [];
      for (let p = 0; p < 2; p++) {
        rt.spawn(function* () {
          for (let i = 0; i < 1000; i++) {
            const cases = p === 0 || i % 2 === 0 ? [send(c, p), recv(c)] : [recv(c), send(c, p)];
            const r = yield* select(cases);
            const recvIndex = cases.findIndex((k) => k.kind === "recv");
            if (cap === 0 && r.index === recvIndex && r.value === p) selfReceives.push(`${p}@${i}`);
            checkChannel(c);
          }
        });
      }
      rt.run(); // a self-match would leave the other coroutine without a partner: DeadlockError
      expect(selfReceives).toEqual([]);
      checkChannel(c);
    });
  }

  test.each([
    ["trySend", (c: Channel<number>) => c.trySend(2), { index: 1, ok: true, value: 2 }],
    ["tryRecv", (c: Channel<number>) => c.tryRecv(), { index: 0, ok: true, value: undefined }],
    ["close", (c: Channel<number>) => c.close(), { index: 1, ok: false, value: undefined }],
  ] as const)("a self-select blocked on both queues of an unbuffered channel is woken by %s through one case; the other leaves", (_, wake, expected) => {
    const rt = new Runtime();
    const c = new Channel<number>(0);
    let r: SelectResult | undefined;
    rt.spawn(function* () {
      r = yield* select([send(c, 1), recv(c)]);
    });
    settle(rt);
    expect([c.sendq.size, c.recvq.size]).toEqual([1, 1]);
    checkChannel(c); // Go's exception: one select on both sides of one channel
    wake(c);
    expectQuiet(c);
    expect(settle(rt)).toBeNull();
    expect(r).toEqual(expected);
  });
});

describe("select: non-blocking races (TestNonblockRecvRace, TestNonblockSelectRace)", () => {
  test("a select with default on a channel that is ready never takes the default", () => {
    const rt = new Runtime();
    let defaults = 0;
    rt.spawn(function* () {
      for (let i = 0; i < 200; i++) {
        const c = new Channel<number>(1);
        yield* c.send(1);
        rt.spawn(function* () {
          if ((yield* select([recv(c)], { default: true })).index === -1) defaults++;
        });
        c.close();
        yield* c.recv();
        if (i % 2 === 0) yield* yieldNow();
      }
    });
    rt.run();
    expect(defaults).toBe(0);
  });

  test("a select with default over two channels, one of which is always ready, never takes the default", () => {
    for (const closeSecond of [false, true]) {
      const rt = new Runtime();
      let defaults = 0;
      rt.spawn(function* () {
        for (let i = 0; i < 200; i++) {
          const c1 = new Channel<number>(1);
          const c2 = new Channel<number>(closeSecond ? 0 : 1);
          yield* c1.send(1);
          rt.spawn(function* () {
            if ((yield* select([recv(c1), recv(c2)], { default: true })).index === -1) defaults++;
          });
          if (closeSecond) c2.close();
          else yield* c2.send(1);
          if (i % 3 === 0) yield* yieldNow();
          yield* select([recv(c1)], { default: true });
          yield* yieldNow();
        }
      });
      rt.run();
      expect(defaults, `closeSecond=${closeSecond}`).toBe(0);
    }
  });
});

describe("select: default, after and closed channels", () => {
  test("with { default: true } and nothing ready, select returns { index: -1, ok: false, value: undefined } at once", () => {
    const rt = new Runtime();
    const a = new Channel<number>(0);
    const b = new Channel<number>(1);
    fill(b, [1]);
    let r: SelectResult | undefined;
    let switches = -1;
    rt.spawn(function* () {
      const before = rt.stats().contextSwitches;
      r = yield* select([recv(a), send(b, 2), send(a, 3)], { default: true });
      switches = rt.stats().contextSwitches - before;
    });
    rt.run();
    expect(r).toEqual({ index: -1, ok: false, value: undefined });
    expect(switches).toBe(0);
    expectQuiet(a, b);
    expect(b.length).toBe(1);
  });

  test("select([], { default: true }) returns the default; select([]) without it throws a TypeError and changes nothing", () => {
    const rt = new Runtime();
    let r: SelectResult | undefined;
    let err: unknown;
    let charged = -1;
    rt.spawn(function* () {
      r = yield* select([], { default: true });
      const before = rt.stats().busyCycles;
      try {
        yield* select([]);
      } catch (e) {
        err = e;
      }
      charged = rt.stats().busyCycles - before;
    });
    rt.run();
    expect(r).toEqual({ index: -1, ok: false, value: undefined });
    expect(err).toBeInstanceOf(TypeError);
    expect(charged).toBe(0);
  });

  test("a select case that is not built with recv(), send() or after() is a TypeError", () => {
    const c = new Channel<number>(0);
    expect(thrownBy(() => select([recv(c), { kind: "recv", channel: c } as unknown as SelectCase]))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => select("nope" as unknown as SelectCase[]))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => recv({} as Channel<number>))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => send(undefined as unknown as Channel<number>, 1))).toBeInstanceOf(TypeError);
  });

  test.each([NaN, Infinity, -Infinity, 1e300])("after(%s) throws a RangeError naming the value and arms nothing", (ms) => {
    const rt = exactClockRuntime();
    let err: unknown;
    rt.spawn(function* () {
      try {
        yield* select([after(ms)]);
      } catch (e) {
        err = e;
      }
    });
    rt.run();
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toContain(String(ms));
    expect(rt.now()).toBe(0);
  });

  test("after(ms) fires at exactly that virtual time when nothing else is ready", () => {
    const rt = exactClockRuntime();
    const c = new Channel<number>(0);
    const log: [number, number][] = [];
    rt.spawn(function* () {
      yield* sleep(3);
      const r = yield* select([recv(c), after(250)]);
      log.push([r.index, rt.now()]);
      const r2 = yield* select([after(40), after(7), recv(c), after(7.5)]);
      log.push([r2.index, rt.now()]);
    });
    rt.run();
    expect(log).toEqual([
      [1, 253],
      [1, 260],
    ]);
    expectQuiet(c);
  });

  test("after(ms) fires at that virtual time with the default clock too (no wall time passes)", () => {
    const rt = new Runtime();
    let at = -1;
    rt.spawn(function* () {
      const t0 = rt.now();
      yield* select([after(86_400_000)]);
      at = rt.now() - t0;
    });
    rt.run();
    expect(at).toBeGreaterThanOrEqual(86_400_000);
    expect(at).toBeLessThan(86_400_000 + 0.001);
  });

  test("a partner arriving before the timeout wins, at its own virtual time", () => {
    const rt = exactClockRuntime();
    const c = new Channel<number>(0);
    let r: SelectResult | undefined;
    let at = -1;
    rt.spawn(function* () {
      r = yield* select([after(100), recv(c)]);
      at = rt.now();
    });
    rt.spawn(function* () {
      yield* sleep(60);
      yield* c.send(4);
    });
    rt.run();
    expect(r).toEqual({ index: 1, ok: true, value: 4 });
    expect(at).toBe(60);
    expect(rt.now()).toBe(60);
  });

  for (const cap of CAPACITIES) {
    test(`a recv case on a closed channel is ready: buffered values first, then ok: false (capacity ${cap})`, () => {
      const rt = new Runtime();
      const c = new Channel<number>(cap);
      const never = new Channel<number>(0);
      fill(
        c,
        Array.from({ length: cap }, (_, i) => i),
      );
      c.close();
      const got: unknown[] = [];
      rt.spawn(function* () {
        for (let i = 0; i < cap + 2; i++) {
          const r = yield* select([recv(never), recv(c)]);
          got.push({ index: r.index, ok: r.ok, value: r.value });
        }
      });
      rt.run();
      expect(got).toEqual([
        ...Array.from({ length: cap }, (_, i) => ({ index: 1, ok: true, value: i })),
        { index: 1, ok: false, value: undefined },
        { index: 1, ok: false, value: undefined },
      ]);
      expectQuiet(never);
    });

    test(`a send case on a closed channel throws ChannelClosedError only when it is the case chosen (capacity ${cap})`, () => {
      const rt = new Runtime({ seed: 5 });
      const closed = new Channel<number>(cap);
      closed.close();
      const ready = new Channel<number>(1);
      const outcomes: string[] = [];
      rt.spawn(function* () {
        for (let i = 0; i < 200; i++) {
          yield* ready.send(i);
          try {
            const r = yield* select([send(closed, i), recv(ready)]);
            outcomes.push(`case ${r.index}`);
          } catch (e) {
            expect(e).toBeInstanceOf(ChannelClosedError);
            outcomes.push("closed");
            yield* ready.recv(); // the recv case did not run: its value is still there
          }
        }
        // With nothing else ready the closed send case is always the one chosen.
        for (let i = 0; i < 20; i++) {
          try {
            yield* select([recv(new Channel<number>(0)), send(closed, i)], { default: true });
            outcomes.push("no throw");
          } catch {
            outcomes.push("closed");
          }
        }
      });
      rt.run();
      const counts = tally(outcomes.slice(0, 200));
      expect(counts.get("closed")).toBeGreaterThan(50);
      expect(counts.get("case 1")).toBeGreaterThan(50);
      expect(counts.get("case 0")).toBeUndefined();
      expect(outcomes.slice(200)).toEqual(Array(20).fill("closed"));
      expect(ready.length).toBe(0);
    });

    test(`a select blocked on a send case throws ChannelClosedError when that channel is closed (capacity ${cap})`, () => {
      const rt = new Runtime();
      const c = new Channel<number>(cap);
      const other = new Channel<number>(0);
      fill(
        c,
        Array.from({ length: cap }, (_, i) => i),
      );
      let err: unknown;
      rt.spawn(function* () {
        try {
          yield* select([recv(other), send(c, 99)]);
        } catch (e) {
          err = e;
        }
      });
      settle(rt);
      c.close();
      expectQuiet(c, other);
      expect(settle(rt)).toBeNull();
      expect(err).toBeInstanceOf(ChannelClosedError);
      expect((err as Error).message).toContain(c.describe());
      expect(other.trySend(1)).toBe(false); // the recv case left other's queue
    });

    test(`a select blocked on a recv case returns ok: false when that channel is closed (capacity ${cap})`, () => {
      const rt = new Runtime();
      const c = new Channel<number>(cap);
      const other = new Channel<number>(0);
      let r: SelectResult | undefined;
      rt.spawn(function* () {
        r = yield* select([send(other, 1), recv(c)]);
      });
      settle(rt);
      c.close();
      expect(settle(rt)).toBeNull();
      expect(r).toEqual({ index: 1, ok: false, value: undefined });
      expectQuiet(c, other);
    });
  }

  test("a select that only waits on timers is not a deadlock; one that waits on nothing that can fire is", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      yield* select([after(5)]);
    });
    expect(settle(rt)).toBeNull();
    expect(rt.now()).toBe(5);
    rt.spawn(function* () {
      yield* select([recv(new Channel<number>(0))]);
    });
    expect(settle(rt)).toBeInstanceOf(DeadlockError);
  });
});
