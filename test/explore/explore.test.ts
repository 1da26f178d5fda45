import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Runtime, sleep, yieldNow } from "cprime-coro";
import { explore, exploreOrThrow, NondeterminismError, replay } from "cprime-coro/test";
import { decodeToken, encodeToken } from "../../src/explore/token.js";
import { runs } from "../support/fc.js";

/**
 * Check-then-act across a yield: two withdrawals of 60 from 100 both pass the
 * check when interleaved. In FIFO order the first finishes before the second
 * (which starts with a yield) checks, so a plain run passes.
 */
function overdraft(rt: Runtime) {
  let balance = 100;
  rt.spawn(function* withdraw() {
    if (balance >= 60) {
      yield* yieldNow();
      balance -= 60;
    }
  });
  rt.spawn(function* withdrawLater() {
    yield* yieldNow();
    if (balance >= 60) {
      yield* yieldNow();
      balance -= 60;
    }
  });
  return () => {
    if (balance < 0) throw new Error(`balance went negative: ${balance}`);
  };
}

/** The same, fixed: the check and the update happen in one step. */
function overdraftFixed(rt: Runtime) {
  let balance = 100;
  const withdraw = function* withdraw() {
    if (balance >= 60) balance -= 60;
    yield* sleep(0);
  };
  rt.spawn(withdraw);
  rt.spawn(withdraw);
  return () => {
    if (balance < 0) throw new Error(`balance went negative: ${balance}`);
  };
}

/** A receiver that returns early leaves the second sender blocked forever. */
function earlyReturn(rt: Runtime) {
  const results = new Channel<number>(0, { name: "results" });
  rt.spawn(function* worker() {
    yield* results.send(1);
  });
  rt.spawn(function* worker() {
    yield* results.send(2);
  });
  rt.spawn(function* first() {
    const r = yield* results.recv();
    if (r.value === 2) return; // early return: the other result is never taken
    yield* results.recv();
  });
}

describe("explore()", () => {
  for (const strategy of ["random", "pct", "exhaustive"] as const) {
    test(`${strategy} finds a check-then-act race the default order misses`, () => {
      const r = explore(overdraft, { strategy, runs: 500, seed: 3 });
      expect(r.ok).toBe(false);
      expect(r.failure!.kind).toBe("error");
      expect(String(r.failure!.error)).toMatch(/balance went negative/);
    });
    test(`${strategy} never flags the fixed version`, () => {
      const r = explore(overdraftFixed, { strategy, runs: 300 });
      expect(r.ok).toBe(true);
    });
  }

  test("the default schedule alone passes the racy program (run 1 is the default order)", () => {
    expect(explore(overdraft, { runs: 1 }).ok).toBe(true);
  });

  test("a deadlock reached only under another order is found, kind deadlock, with the blocked coroutine named", () => {
    const r = explore(earlyReturn, { strategy: "exhaustive" });
    expect(r.ok).toBe(false);
    expect(r.failure!.kind).toBe("deadlock");
    expect(r.failure!.error).toBeInstanceOf(DeadlockError);
    expect(r.failure!.narrative).toMatch(/#\d worker: uses Channel#1 "results"/);
  });

  test("exhaustive reports how many schedules it ran and that it covered the space", () => {
    const r = explore(overdraftFixed, { strategy: "exhaustive" });
    expect(r.ok).toBe(true);
    expect(r.exhausted).toBe(true);
    expect(r.runs).toBeGreaterThan(1);
  });

  test("a step budget that is exceeded is a failure of kind budget", () => {
    const spin = (rt: Runtime) => {
      rt.spawn(function* spinner() {
        for (;;) yield* yieldNow();
      });
    };
    const r = explore(spin, { runs: 3, maxSteps: 50 });
    expect(r.failure?.kind).toBe("budget");
    const u = explore(
      (rt) => {
        rt.spawn(function* sleeper() {
          for (;;) yield* sleep(10);
        });
      },
      { runs: 1, until: 100 },
    );
    expect(u.failure?.kind).toBe("budget");
  });

  test("detectLeaks turns a coroutine that can never wake while others run into a leak", () => {
    const leaky = (rt: Runtime) => {
      rt.spawn(function* busy() {
        for (let i = 0; i < 3; i++) yield* sleep(5);
      });
      const ch = new Channel<number>(0, { name: "orphan" }); // made after busy: busy cannot hold it
      rt.spawn(function* stuck(c: Channel<number>) {
        yield* c.recv();
      }, ch);
    };
    const r = explore(leaky, { runs: 2, detectLeaks: true });
    expect(r.failure?.kind).toBe("leak");
  });

  test("options are checked and name the bad value", () => {
    expect(() => explore(overdraft, { strategy: "bfs" as never })).toThrow(/strategy must be .*received "bfs"/);
    expect(() => explore(overdraft, { runs: 0 })).toThrow(RangeError);
    expect(() => explore(overdraft, { jitter: -1 })).toThrow(/jitter/);
    expect(() => explore(overdraft, { speed: 1 } as never)).toThrow(/unknown option "speed"/);
    expect(() => explore(42 as never)).toThrow(/program must be a function/);
  });
});

describe("replay()", () => {
  test("reproduces the failing run step for step, and the shrunk token fails the same way", () => {
    const r = explore(overdraft, { runs: 500, seed: 5 });
    const f = r.failure!;
    for (const token of [f.token, f.shrunkToken]) {
      const a = replay(overdraft, token);
      const b = replay(overdraft, token);
      expect(a.ok).toBe(false);
      expect(String(a.error)).toMatch(/balance went negative/);
      expect(a.narrative).toBe(b.narrative);
      expect(a.steps).toBe(decodeToken(token).steps);
    }
    expect(replay(overdraft, f.shrunkToken).narrative).toBe(f.narrative);
  });

  test("a shrunk schedule has no more deviations than the one found", () => {
    const f = explore(overdraft, { runs: 500, seed: 11 }).failure!;
    const dev = (t: string) => decodeToken(t).choices.filter((c) => c !== 0).length;
    expect(dev(f.shrunkToken)).toBeLessThanOrEqual(dev(f.token));
    expect(f.deviations).toBe(dev(f.shrunkToken));
  });

  test("a program that is not deterministic given its schedule is reported as nondeterminism, at a step", () => {
    let calls = 0;
    const flaky = (rt: Runtime) => {
      calls++;
      const n = calls % 2 === 0 ? 3 : 2; // differs from run to run: state outside the runtime
      for (let i = 0; i < n; i++)
        rt.spawn(function* w() {
          yield* yieldNow();
        });
    };
    const token = explore(flaky, { runs: 1 }).ok ? replayToken(flaky) : "";
    const r = replay(flaky, token);
    expect(r.ok).toBe(false);
    expect(r.error).toBeInstanceOf(NondeterminismError);
    expect(String(r.error)).toMatch(/step \d+/);
  });

  test("a mistyped token is refused, not replayed as another schedule", () => {
    const f = explore(overdraft, { runs: 500, seed: 5 }).failure!;
    const bad = f.token.replace(/\.([0-9a-z]+)$/, (_, c: string) => `.${c === "0" ? "1" : "0"}`);
    expect(() => replay(overdraft, bad)).toThrow(/fails its check/);
    expect(() => replay(overdraft, "hello")).toThrow(/not a replay token/);
  });
});

/** A token of the default schedule, with what its run recorded. */
function replayToken(program: (rt: Runtime) => void): string {
  const r = explore(program, { runs: 1 });
  expect(r.ok).toBe(true);
  return encodeToken({
    seed: 1,
    preemptAtOps: false,
    jitter: 0,
    maxSteps: 100_000,
    until: undefined,
    detectLeaks: false,
    choices: [],
    steps: 4,
    hash: 12345,
    kind: "ok",
  });
}

describe("replay tokens", () => {
  test("round-trip every field", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
          preemptAtOps: fc.boolean(),
          jitter: fc.integer({ min: 0, max: 50_000 }).map((us) => us / 1000),
          maxSteps: fc.integer({ min: 1, max: 1e9 }),
          until: fc.option(
            fc.integer({ min: 0, max: 1e9 }).map((us) => us / 1000),
            { nil: undefined },
          ),
          detectLeaks: fc.boolean(),
          choices: fc.array(fc.oneof(fc.constant(0), fc.nat(40)), { maxLength: 60 }),
          steps: fc.nat(1e6),
          hash: fc.nat(0xffffffff),
          kind: fc.constantFrom("ok" as const, "error" as const, "deadlock" as const, "leak" as const, "budget" as const),
        }),
        (s) => {
          const t = encodeToken(s);
          expect(t).toMatch(/^cc1\.[A-Za-z0-9-]+\.[0-9a-z_~-]+\.[0-9a-z]+$/);
          const back = decodeToken(t);
          let end = s.choices.length;
          while (end > 0 && s.choices[end - 1] === 0) end--;
          expect(back).toEqual({ ...s, choices: s.choices.slice(0, end) });
        },
      ),
      { numRuns: runs(200) },
    );
  });

  test("exploreOrThrow's message holds the narrative and the token", () => {
    let message = "";
    try {
      exploreOrThrow(overdraft, { runs: 500, seed: 5 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/found an error after \d+ schedules: Error: balance went negative/);
    expect(message).toMatch(/replay\(program, "cc1\./);
    expect(message).toMatch(/\n {2}step 1: #\d withdraw/);
  });
});
