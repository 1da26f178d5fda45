/**
 * select's typed results, checked by the compiler (`npm run typecheck`
 * compiles this file; each `@ts-expect-error` fails the build if the error
 * it expects goes away) and at run time.
 */
import { describe, expect, expectTypeOf, test } from "vitest";
import {
  Channel,
  after,
  join,
  recv,
  select,
  send,
  settled,
  spawn,
  timer,
  type Outcome,
  type RecvResult,
  type SelectCase,
  type SelectResult,
  type Sent,
  type Task,
} from "../../src/index.js";
import { exactClockRuntime } from "./helpers.js";

describe("select's result is a union discriminated by index", () => {
  test("r.index === i narrows r to case i's result, with no cast", () => {
    const rt = exactClockRuntime();
    const a = new Channel<number>(1);
    const b = new Channel<string>(1);
    const seen: string[] = [];
    rt.spawn(function* () {
      a.trySend(41);
      const r = yield* select([recv(a), send(b, "x"), after(5)]);
      expectTypeOf(r.index).toEqualTypeOf<0 | 1 | 2>();
      if (r.index === 0) {
        expectTypeOf(r).toEqualTypeOf<{ index: 0; ok: true; value: number } | { index: 0; ok: false; value: undefined }>();
        if (r.ok) {
          expectTypeOf(r.value).toEqualTypeOf<number>();
          seen.push(`got ${r.value + 1}`);
        }
      } else if (r.index === 1) {
        expectTypeOf(r.value).toEqualTypeOf<undefined>();
        seen.push("sent");
      } else {
        expectTypeOf(r).toEqualTypeOf<{ index: 2; ok: true; value: undefined }>();
        // @ts-expect-error: case 2 is after(): it has no value to add to
        seen.push(String(r.value + 1));
      }
    });
    rt.run();
    expect(seen.length).toBe(1);
  });

  test("the default adds { index: -1 } only when asked for", () => {
    const rt = exactClockRuntime();
    const a = new Channel<number>();
    rt.spawn(function* () {
      const r = yield* select([recv(a)], { default: true });
      expectTypeOf(r.index).toEqualTypeOf<0 | -1>();
      const s = yield* select([recv(a), after(1)]);
      // @ts-expect-error: without { default: true } there is no index -1
      if (s.index === -1) throw new Error("unreachable");
      expect(r.index).toBe(-1);
    });
    rt.run();
  });

  test("join, settled, timer channels and nil cases have their own result types", () => {
    const a = new Channel<number>();
    const task: Task<string> = spawn(function* () {
      return "s";
    });
    const p = Promise.resolve(true);
    expectTypeOf(recv(a)).toEqualTypeOf<SelectCase<RecvResult<number>>>();
    expectTypeOf(recv(timer(1).c)).toEqualTypeOf<SelectCase<RecvResult<number>>>();
    expectTypeOf(join(task)).toEqualTypeOf<SelectCase<Outcome<string>>>();
    expectTypeOf(settled(p)).toEqualTypeOf<SelectCase<Outcome<boolean>>>();
    expectTypeOf(recv(null)).toEqualTypeOf<SelectCase<never>>();
    expectTypeOf(send(a, 1)).toEqualTypeOf<SelectCase<Sent>>();
    // A disabled case (Go's nil-channel idiom) keeps its channel's type.
    const maybe: Channel<number> | null = null as Channel<number> | null;
    expectTypeOf(recv(maybe)).toEqualTypeOf<SelectCase<RecvResult<number>>>();
    // @ts-expect-error: the value must match the channel's type
    send(a, "one");
    function* body() {
      const r = yield* select([join(task), settled(p), recv(null)]);
      expectTypeOf(r.index).toEqualTypeOf<0 | 1>(); // a nil case can never be chosen
      if (r.index === 0 && r.ok) expectTypeOf(r.value).toEqualTypeOf<string>();
      if (r.index === 1 && !r.ok) expectTypeOf(r.error).toEqualTypeOf<unknown>();
    }
    void body;
  });

  test("cases built as an array (not a tuple) give the wide result, still assignable to SelectResult", () => {
    const chans = [new Channel<number>(1), new Channel<number>(1)];
    function* body() {
      const cases = chans.map((c) => recv(c));
      const r = yield* select(cases);
      expectTypeOf(r.index).toEqualTypeOf<number>();
      if (r.ok) expectTypeOf(r.value).toEqualTypeOf<number>();
      const wide: SelectResult = r;
      void wide;
    }
    void body;
    const untyped: SelectCase[] = [recv(chans[0]), after(1)];
    expect(untyped.length).toBe(2);
  });
});
