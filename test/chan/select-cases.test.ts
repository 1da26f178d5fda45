/**
 * The select cases beyond channel operations: nil channels (`recv(null)`,
 * `send(null, v)`), `join(task)`, `settled(p)`, and every case used alone
 * with `yield*`.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  CancelledError,
  Channel,
  DeadlockError,
  Runtime,
  after,
  join,
  recv,
  select,
  send,
  settled,
  sleep,
  type SelectCase,
  type Task,
} from "../../src/index.js";
import { runs } from "../support/fc.js";
import { exactClockRuntime, settle, thrownBy } from "./helpers.js";

describe("nil channels", () => {
  test("a case on null is never ready; the idiom disables it", () => {
    const rt = exactClockRuntime();
    const a = new Channel<number>(1);
    const out: number[] = [];
    rt.spawn(function* () {
      a.trySend(1);
      let enabled: Channel<number> | null = a;
      for (let i = 0; i < 3; i++) {
        const r = yield* select([recv(enabled), send(null, 5)], { default: true });
        out.push(r.index);
        if (r.index === 0) enabled = null; // Go: set the channel to nil once it is drained
      }
    });
    rt.run();
    expect(out).toEqual([0, -1, -1]);
  });

  test("a select with only nil cases blocks forever and is reported", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* stuck() {
      yield* select([recv(null), send(null, 1)]);
    });
    const err = settle(rt);
    expect(err).toBeInstanceOf(DeadlockError);
    expect(err!.message).toMatch(/#1 stuck: select on \[recv nil channel, send nil channel\]/);
  });

  test("a plain yield* recv(null) blocks forever and is reported as 'recv on nil channel'", () => {
    const rt = exactClockRuntime();
    rt.spawn(function* reader() {
      yield* recv(null);
    });
    rt.spawn(function* writer() {
      yield* send(null, 1);
    });
    const err = settle(rt);
    expect(err!.message).toMatch(/#1 reader: recv on nil channel/);
    expect(err!.message).toMatch(/#2 writer: send on nil channel/);
    const reports = rt.deadlocks();
    expect(reports.map((r) => r.coroutines.map((c) => c.waitsOn)).flat()).toEqual(["recv on nil channel", "send on nil channel"]);
  });

  test("a task blocked on a nil channel can be cancelled", () => {
    const rt = exactClockRuntime();
    const t = rt.spawn(function* () {
      yield* recv(null);
    });
    rt.spawn(function* () {
      yield* sleep(1);
      t.cancel();
    });
    rt.run();
    expect(t.state).toBe("cancelled");
  });

  test("property: a nil case is never chosen, whatever else is ready", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.integer(), (nils, seed) => {
        const rt = new Runtime({ seed });
        const chans = nils.map(() => new Channel<number>(1));
        let chosen = -2;
        rt.spawn(function* () {
          for (const c of chans) c.trySend(1);
          const cases: SelectCase[] = nils.map((isNil, i) => (isNil ? (i % 2 === 0 ? recv(null) : send(null, 0)) : recv(chans[i])));
          chosen = (yield* select(cases, { default: true })).index;
        });
        rt.run();
        if (nils.every((n) => n)) expect(chosen).toBe(-1);
        else expect(nils[chosen]).toBe(false);
      }),
      { numRuns: runs(200) },
    );
  });
});

describe("join(task)", () => {
  test("ready when the task ends, with its result", () => {
    const rt = exactClockRuntime();
    const worker = rt.spawn(function* () {
      yield* sleep(10);
      return "done";
    });
    let got: unknown;
    rt.spawn(function* () {
      const r = yield* select([join(worker), after(50)]);
      got = r;
    });
    rt.run();
    expect(got).toEqual({ index: 0, ok: true, value: "done" });
    expect(rt.now()).toBe(10);
  });

  test("a failed task gives { ok: false, error }: the failure is observed, run() does not rethrow it", () => {
    const rt = exactClockRuntime();
    const boom = new Error("boom");
    const worker = rt.spawn(function* () {
      yield* sleep(1);
      throw boom;
    });
    let got: unknown;
    rt.spawn(function* () {
      got = yield* select([join(worker), recv(null)]);
    });
    rt.run();
    expect(got).toEqual({ index: 0, ok: false, value: undefined, error: boom });
  });

  test("an already ended task is ready at once; a cancelled one gives CancelledError", () => {
    const rt = exactClockRuntime();
    const quick = rt.spawn(function* () {
      return 7;
    });
    const doomed = rt.spawn(function* () {
      yield* sleep(100);
    });
    const got: unknown[] = [];
    rt.spawn(function* () {
      yield* sleep(1);
      got.push(yield* select([join(quick)], { default: true }));
      doomed.cancel();
      const r = yield* join(doomed); // a case alone, with yield*
      got.push(r.ok, r.ok ? undefined : r.error);
    });
    rt.run();
    expect(got[0]).toEqual({ index: 0, ok: true, value: 7 });
    expect(got[1]).toBe(false);
    expect(got[2]).toBeInstanceOf(CancelledError);
  });

  test("a losing join case leaves no watcher: a later failure is still reported by run()", () => {
    const rt = exactClockRuntime();
    const worker = rt.spawn(function* () {
      yield* sleep(10);
      throw new Error("unjoined");
    });
    rt.spawn(function* () {
      yield* select([join(worker), after(1)]);
    });
    expect(() => rt.run()).toThrow("unjoined");
  });

  test("misuse: join(not a task), join(self), another runtime's task", () => {
    const rt = exactClockRuntime();
    const other = new Runtime();
    const foreign = other.spawn(function* () {});
    const errors: unknown[] = [];
    rt.spawn(function* me() {
      errors.push(thrownBy(() => join({} as never)));
      try {
        yield* select([join(foreign)]);
      } catch (e) {
        errors.push(e);
      }
    });
    rt.run();
    other.run();
    expect(String(errors[0])).toMatch(/TypeError: join\(task\): task must be a Task returned by spawn\(\), received an object/);
    expect(String(errors[1])).toMatch(/TypeError: .*belongs to another runtime/);
  });

  test("join of itself in a select is a TypeError", () => {
    const rt = exactClockRuntime();
    let err: unknown;
    const t: Task<void> = rt.spawn(function* (): Generator<unknown, void, unknown> {
      try {
        yield* select([join(t), after(1)]);
      } catch (e) {
        err = e;
      }
    });
    rt.run();
    expect(String(err)).toMatch(/TypeError: join\(task\): task #1 .* cannot wait for its own end/);
  });
});

describe("settled(p)", () => {
  test("ready when the promise settles; runAsync drives it", async () => {
    const rt = exactClockRuntime();
    let resolve!: (v: string) => void;
    const p = new Promise<string>((r) => (resolve = r));
    const got: unknown[] = [];
    rt.spawn(function* () {
      got.push(yield* select([settled(p), recv(null)]));
      got.push(yield* select([settled(p)], { default: true })); // the same promise: settled at once now
    });
    setTimeout(() => resolve("hello"), 1);
    await rt.runAsync();
    expect(got).toEqual([
      { index: 0, ok: true, value: "hello" },
      { index: 0, ok: true, value: "hello" },
    ]);
  });

  test("a rejection gives { ok: false, error } and is handled", async () => {
    const rt = exactClockRuntime();
    const err = new Error("no");
    const p = Promise.reject(err);
    let got: unknown;
    rt.spawn(function* () {
      got = yield* settled(p);
    });
    await rt.runAsync();
    expect(got).toEqual({ ok: false, value: undefined, error: err });
  });

  test("run() refuses to finish while a select waits on a promise; a timeout case still wins", async () => {
    const rt = exactClockRuntime();
    const never = new Promise<void>(() => {});
    rt.spawn(function* () {
      yield* select([settled(never), recv(null)]);
    });
    expect(() => rt.run()).toThrow(/waiting on promises/);
    const rt2 = exactClockRuntime();
    let r: unknown;
    rt2.spawn(function* () {
      r = yield* select([settled(never), after(5)]);
    });
    await rt2.runAsync();
    expect(r).toEqual({ index: 1, ok: true, value: undefined });
  });

  test("settled(not a promise) is a TypeError naming the value", () => {
    expect(String(thrownBy(() => settled(42 as never)))).toMatch(/TypeError: settled\(p\): p must be a promise \(a thenable\), received 42/);
  });
});

describe("every case is an operation", () => {
  test("yield* recv(ch), send(ch, v), after(ms) wait on that case alone", () => {
    const rt = exactClockRuntime();
    const ch = new Channel<number>();
    const got: unknown[] = [];
    rt.spawn(function* () {
      yield* send(ch, 4);
      got.push(yield* after(3), rt.now());
    });
    rt.spawn(function* () {
      got.push(yield* recv(ch));
    });
    rt.run();
    expect(got).toEqual([{ ok: true, value: 4 }, { ok: true, value: undefined }, 3]);
  });
});
