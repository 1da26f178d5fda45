/**
 * Timers and tickers: Go 1.23's semantics on virtual time. Ports the parts of
 * Go's src/time/sleep_test.go and tick_test.go that mean something here
 * (TestAfterQueuing, TestAfterStop, testReset, TestAfterFunc, TestAfterTick,
 * TestOverflowSleep, TestTicker, TestTickerStopWithDirectInitialization,
 * TestTickerResetLtZero), plus what Go 1.23 changed: synchronous channels,
 * no stale value after stop/reset, unreferenced timers cost nothing.
 *
 * The clock is exact: `exactClockRuntime()` charges nothing and runs at
 * 1000 Hz, so one cycle is one virtual millisecond.
 */
import { describe, expect, test } from "vitest";
import { schedulerOf } from "../../src/runtime/runtime.js";
import {
  Channel,
  DeadlockError,
  Runtime,
  afterFunc,
  recv,
  resetDefaultRuntime,
  select,
  sleep,
  spawn,
  ticker,
  timeAfter,
  timer,
  type RecvResult,
} from "../../src/index.js";
import { exactClockRuntime, settle, thrownBy } from "../chan/helpers.js";

describe("timer(ms)", () => {
  test("its channel delivers the virtual time it fired, once", () => {
    const rt = exactClockRuntime();
    const got: RecvResult<number>[] = [];
    rt.spawn(function* () {
      const t = timer(10);
      got.push(yield* t.c.recv());
      expect(rt.now()).toBe(10);
      expect(t.c.tryRecv()).toBeUndefined(); // spent: never again
    });
    rt.run();
    expect(got).toEqual([{ ok: true, value: 10 }]);
  });

  test("timers fire in deadline order, each at its deadline (Go's TestAfterQueuing)", () => {
    const rt = exactClockRuntime();
    const slots = [5, 3, 6, 6, 6, 1, 1, 2, 7, 9, 4, 8, 0];
    const delta = 20;
    const results = new Channel<{ slot: number; at: number }>(slots.length);
    for (const slot of slots) {
      rt.spawn(function* awaitSlot() {
        const at = timeAfter(slot * delta);
        const r = yield* at.recv();
        yield* results.send({ slot, at: r.value! });
      });
    }
    const order: { slot: number; at: number }[] = [];
    rt.spawn(function* () {
      for (let i = 0; i < slots.length; i++) order.push((yield* results.recv()).value!);
    });
    rt.run();
    expect(order.map((o) => o.slot)).toEqual([...slots].sort((a, b) => a - b));
    for (const o of order) expect(o.at).toBe(o.slot * delta);
  });

  test("stop() before it fires returns true and nothing is ever received (Go's TestAfterStop)", () => {
    const rt = exactClockRuntime();
    let ran = false;
    const log: unknown[] = [];
    rt.spawn(function* () {
      afterFunc(100, function* () {});
      const t0 = timer(50);
      const c1 = new Channel<boolean>(1);
      const t1 = afterFunc(150, function* () {
        ran = true;
        yield* c1.send(true);
      });
      const c2 = timeAfter(200);
      log.push(t0.stop(), t1.stop());
      yield* c2.recv();
      const r = yield* select([recv(t0.c), recv(c1)], { default: true });
      log.push(r.index, t1.stop());
    });
    rt.run();
    expect(log).toEqual([true, true, -1, false]);
    expect(ran).toBe(false);
  });

  test("reset() reports whether the timer was active and moves its deadline (Go's testReset)", () => {
    const rt = exactClockRuntime();
    const d = 25;
    const log: unknown[] = [];
    rt.spawn(function* () {
      const t0 = timer(2 * d);
      yield* sleep(d);
      log.push(t0.reset(3 * d)); // true: unfired
      yield* sleep(2 * d);
      log.push((yield* select([recv(t0.c)], { default: true })).index); // -1: not early
      yield* sleep(2 * d);
      const r = yield* select([recv(t0.c)], { default: true });
      log.push(r.index, r.value); // 0, fired at 25 + 75 = 100
      log.push(t0.reset(50)); // false: it had fired and was received
    });
    rt.run();
    expect(log).toEqual([true, -1, 0, 100, false]);
  });

  test("a receive after stop() or reset() never sees a value of the old settings (Go 1.23)", () => {
    const rt = exactClockRuntime();
    const log: unknown[] = [];
    rt.spawn(function* () {
      const t = timer(10);
      yield* sleep(20); // expired, nobody received: Go 1.23 still counts it as active
      log.push(t.stop(), t.c.tryRecv());
      const u = timer(10);
      yield* sleep(20);
      log.push(u.reset(10)); // true: its value had not been received
      log.push(u.c.tryRecv()); // the old deadline's value is gone
      log.push((yield* u.c.recv()).value); // the new deadline's: reset at 40, + 10
    });
    rt.run();
    expect(log).toEqual([true, undefined, true, undefined, 50]);
  });

  test("reset() while a receiver waits moves the wake-up, earlier or later (Go's TestTimerModifiedEarlier)", () => {
    const rt = exactClockRuntime();
    const got: number[] = [];
    const { early, late } = (() => {
      let made: { early: ReturnType<typeof timer>; late: ReturnType<typeof timer> } | null = null;
      rt.spawn(function* () {
        made = { early: timer(100), late: timer(10) }; // made inside: they belong to rt
      });
      rt.run();
      return made!;
    })();
    rt.spawn(function* () {
      got.push((yield* early.c.recv()).value!, rt.now());
    });
    rt.spawn(function* () {
      got.push((yield* late.c.recv()).value!, rt.now());
    });
    rt.spawn(function* () {
      yield* sleep(5);
      expect(early.reset(10)).toBe(true); // now 15
      expect(late.reset(100)).toBe(true); // now 105
    });
    rt.run();
    expect(got).toEqual([15, 15, 105, 105]);
  });

  test("a zero or negative delay fires at once; a huge one is refused (Go's TestOverflowSleep)", () => {
    const rt = exactClockRuntime();
    const log: unknown[] = [];
    rt.spawn(function* () {
      log.push((yield* select([recv(timeAfter(-5)), recv(timeAfter(1000))])).index);
      log.push(rt.now());
      log.push(thrownBy(() => timer(2 ** 60)));
    });
    rt.run();
    expect(log[0]).toBe(0);
    expect(log[1]).toBe(0);
    expect(log[2]).toBeInstanceOf(RangeError);
    expect(String((log[2] as Error).message)).toMatch(/timer\(ms\): a delay of 1152921504606847000 ms is too long for the virtual clock/);
  });

  test("a timer nobody waits on keeps nothing alive: run() returns at once", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      timer(1000);
      ticker(5);
      timeAfter(10);
    });
    rt.run();
    expect(rt.now()).toBe(0);
    expect(schedulerOf(rt).timers.size).toBe(0);
  });

  test("a timer is in the scheduler's heap only while somebody waits on it", () => {
    const rt = exactClockRuntime();
    const c = new Channel<number>();
    const t = rt.spawn(function* () {
      const tm = timer(100);
      const r = yield* select([recv(c), recv(tm.c)]);
      expect(schedulerOf(rt).timers.size).toBe(0); // the loser left the heap
      return r.index;
    });
    rt.spawn(function* () {
      yield* sleep(5);
      expect(schedulerOf(rt).timers.size).toBe(1);
      yield* c.send(1);
    });
    rt.run();
    expect(t.result).toBe(0);
    expect(rt.now()).toBe(5);
  });

  test("a cancelled receiver takes its timer out of the heap", () => {
    const rt = exactClockRuntime();
    const t = rt.spawn(function* () {
      yield* timer(100).c.recv();
    });
    rt.spawn(function* () {
      yield* sleep(1);
      t.cancel();
    });
    rt.run();
    expect(t.state).toBe("cancelled");
    expect(rt.now()).toBe(1);
    expect(schedulerOf(rt).timers.size).toBe(0);
  });

  test("timeAfter: one deadline shared by any number of selects; its value is delivered once", () => {
    const rt = exactClockRuntime();
    const work = new Channel<number>();
    const seen: string[] = [];
    rt.spawn(function* () {
      const deadline = timeAfter(25);
      for (let i = 0; i < 6; i++) {
        const r = yield* select([recv(work), recv(deadline)], { default: i >= 4 });
        seen.push(r.index === 0 ? `work ${r.value}` : r.index === 1 ? `deadline ${r.value}` : "default");
      }
    });
    rt.spawn(function* () {
      for (let i = 0; i < 3; i++) {
        yield* sleep(10);
        yield* work.send(i);
      }
    });
    rt.run();
    expect(seen).toEqual(["work 0", "work 1", "deadline 25", "work 2", "default", "default"]);
  });

  test("created outside coroutines, a timer belongs to the default runtime; another runtime's coroutine is refused", () => {
    const def = resetDefaultRuntime({ cost: { channelOp: 0 }, clockHz: 1000 });
    const t = timer(10, { name: "outside" });
    const other = new Runtime({ name: "other" });
    let err: unknown;
    other.spawn(function* () {
      try {
        yield* t.c.recv();
      } catch (e) {
        err = e;
      }
    });
    other.run();
    expect(err).toBeInstanceOf(TypeError);
    expect(String(err)).toMatch(/Timer#\d+ "outside" .*belongs to runtime "default".*runtime "other"/);
    let got: unknown;
    spawn(function* () {
      got = (yield* t.c.recv()).value;
    });
    def.run();
    expect(got).toBeGreaterThanOrEqual(10);
    resetDefaultRuntime();
  });

  test("misuse: a typed error naming the value; the timer is unchanged", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      expect(thrownBy(() => timer(NaN))).toBeInstanceOf(RangeError);
      expect(String(thrownBy(() => timer("5" as unknown as number)))).toMatch(/received "5"/);
      expect(thrownBy(() => timer(1, { name: 3 as unknown as string }))).toBeInstanceOf(TypeError);
      const t = timer(10);
      expect(String(thrownBy(() => t.reset(Infinity)))).toMatch(/RangeError.*Infinity/);
      expect(thrownBy(() => t.reset(2 ** 60))).toBeInstanceOf(RangeError);
      expect(String(t)).toMatch(/fires at 10 ms/);
      expect(String(thrownBy(() => afterFunc(1, (() => {}) as never)))).toMatch(/TypeError: afterFunc.*generator function/);
      yield* t.c.recv();
      expect(rt.now()).toBe(10);
    });
    rt.run();
  });
});

describe("ticker(ms)", () => {
  test("ticks every period with the tick's time (Go's TestTicker)", () => {
    const rt = exactClockRuntime();
    const ticks: number[] = [];
    rt.spawn(function* () {
      const tk = ticker(10);
      for (let i = 0; i < 5; i++) ticks.push((yield* tk.c.recv()).value!);
      tk.stop();
    });
    rt.run();
    expect(ticks).toEqual([10, 20, 30, 40, 50]);
  });

  test("a slow receiver gets the first missed tick, then the next one after now: ticks are dropped", () => {
    const rt = exactClockRuntime();
    const ticks: number[] = [];
    rt.spawn(function* () {
      const tk = ticker(10);
      yield* sleep(35); // ticks at 10, 20, 30 were due: one is pending
      ticks.push((yield* tk.c.recv()).value!);
      ticks.push((yield* tk.c.recv()).value!, rt.now());
      tk.stop();
    });
    rt.run();
    expect(ticks).toEqual([10, 40, 40]);
  });

  test("reset(ms) restarts it with the new period; stop() ends the ticks", () => {
    const rt = exactClockRuntime();
    const ticks: number[] = [];
    rt.spawn(function* () {
      const tk = ticker(10);
      ticks.push((yield* tk.c.recv()).value!);
      tk.reset(3);
      ticks.push((yield* tk.c.recv()).value!, (yield* tk.c.recv()).value!);
      tk.stop();
      yield* sleep(100);
      ticks.push(tk.c.tryRecv() === undefined ? -1 : 0);
    });
    rt.run();
    expect(ticks).toEqual([10, 13, 16, -1]);
  });

  test("a ticker nobody receives from does not keep run() going", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      const tk = ticker(1);
      yield* tk.c.recv();
      yield* sleep(50);
    });
    rt.run();
    expect(rt.now()).toBe(51);
  });

  test("a period must be positive (Go's TestTickerResetLtZero): RangeError, ticker unchanged", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      expect(String(thrownBy(() => ticker(0)))).toMatch(/RangeError: ticker\(ms\): a ticker period must be positive, received 0/);
      expect(thrownBy(() => ticker(-1))).toBeInstanceOf(RangeError);
      const tk = ticker(5);
      expect(String(thrownBy(() => tk.reset(-2)))).toMatch(/received -2/);
      expect((yield* tk.c.recv()).value).toBe(5);
      tk.stop();
    });
    rt.run();
  });
});

describe("afterFunc(ms, fn)", () => {
  test("fn runs in a coroutine of its own at the deadline (Go's TestAfterFunc chain)", () => {
    const rt = exactClockRuntime();
    let i = 10;
    const done = new Channel<boolean>();
    function* f(): Generator<unknown, void, unknown> {
      i--;
      if (i >= 0) {
        afterFunc(1, f);
        yield* sleep(1000);
      } else yield* done.send(true);
    }
    rt.spawn(function* () {
      afterFunc(0, f);
      yield* done.recv();
    });
    rt.run();
    expect(i).toBe(-1);
    expect(rt.stats().spawned).toBe(12);
  });

  test("reset() after it ran schedules it again; its channel never delivers (Go's is nil)", () => {
    const rt = exactClockRuntime();
    const runs: number[] = [];
    const main = rt.spawn(function* () {
      const t = afterFunc(5, function* () {
        runs.push(rt.now());
      });
      yield* sleep(10);
      expect(t.reset(5)).toBe(false);
      yield* sleep(10);
      expect(t.stop()).toBe(false);
      yield* t.c.recv();
    });
    const err = settle(rt);
    expect(runs).toEqual([5, 15]);
    expect(main.state).toBe("blocked");
    expect(err?.message).toMatch(/never delivers/);
  });
});

describe("deadlock reports", () => {
  test("a receive on a stopped timer blocks forever and is reported as such", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* waiter() {
      const t = timer(10, { name: "heartbeat" });
      t.stop();
      yield* t.c.recv();
    });
    const err = settle(rt);
    expect(err).toBeInstanceOf(DeadlockError);
    expect(err!.message).toMatch(/#1 waiter: recv on Timer#1 "heartbeat" \(stopped\)/);
  });

  test("the leak detector does not report a task waiting on an armed timer", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* () {
      yield* timer(10).c.recv();
    });
    rt.spawn(function* () {
      yield* sleep(1);
      expect(rt.deadlocks()).toEqual([]);
    });
    rt.run();
  });
});

describe("observability", () => {
  test("dumps and traces name the timer a coroutine waits on; a select lists its timer case", () => {
    const rt = exactClockRuntime({ trace: true });
    const c = new Channel<number>(0, { name: "work" });
    let dumped: ReturnType<Runtime["dump"]> | null = null;
    rt.spawn(function* sleeper() {
      yield* timer(50, { name: "nap" }).c.recv();
    });
    rt.spawn(function* selecting() {
      yield* select([recv(c), recv(ticker(20, { name: "beat" }).c)]);
    });
    rt.spawn(function* observer() {
      yield* sleep(1);
      dumped = rt.dump();
    });
    rt.run();
    const waits = JSON.stringify(dumped);
    expect(waits).toMatch(/recv on Timer#\d+ \\"nap\\" \(fires at 50 ms\)/);
    expect(waits).toMatch(/select on \[recv Channel#\d+ \\"work\\" \(capacity 0\), recv on Ticker#\d+ \\"beat\\" \(every 20 ms, next at 20 ms\)\]/);
    expect(JSON.stringify(rt.exportTrace())).toMatch(/recv on Timer#\d+ \\"nap\\"/);
  });

  test("stop() and reset() from another runtime's coroutine are refused, the timer unchanged", () => {
    const rt = exactClockRuntime({ name: "mine" });
    const other = new Runtime({ name: "theirs" });
    let t: ReturnType<typeof timer> | null = null;
    rt.spawn(function* () {
      t = timer(10);
    });
    rt.run();
    const errors: unknown[] = [];
    other.spawn(function* () {
      errors.push(
        thrownBy(() => t!.stop()),
        thrownBy(() => t!.reset(5)),
      );
    });
    other.run();
    expect(errors.map(String)).toEqual([expect.stringMatching(/TypeError: Timer#1 .*belongs to runtime "mine".*"theirs"/), expect.stringMatching(/TypeError/)]);
    expect(String(t)).toMatch(/fires at 10 ms/);
  });
});
