import { describe, expect, test } from "vitest";
import { Channel, Runtime, yieldNow } from "cprime-coro";
import { explore } from "cprime-coro/test";
import { Random } from "../../src/sched/random.js";
import { runOnce, type RunSettings } from "../../src/explore/run.js";
import { PctDecider, RandomDecider, ReplayDecider } from "../../src/explore/strategies.js";

const settings: RunSettings = { seed: 1, preemptAtOps: false, jitter: 0, maxSteps: 10_000, until: undefined, detectLeaks: false, runtime: undefined };

/**
 * A bug of depth 2: b sees a's intermediate state only when b's check runs
 * after a's first write and before its second (two ordering constraints).
 */
function depth2(rt: Runtime) {
  let flag = 0;
  rt.spawn(function* a() {
    yield* yieldNow();
    flag = 1;
    yield* yieldNow();
    flag = 0;
  });
  rt.spawn(function* b() {
    yield* yieldNow();
    if (flag === 1) throw new Error("b saw a's intermediate state");
  });
  rt.spawn(function* c() {
    yield* yieldNow();
    yield* yieldNow();
  });
}

/** A bug of depth 1: it shows when c runs before a (one ordering constraint). */
function depth1(rt: Runtime) {
  let started = false;
  rt.spawn(function* a() {
    started = true;
    yield* yieldNow();
  });
  rt.spawn(function* b() {
    yield* yieldNow();
  });
  rt.spawn(function* c() {
    if (!started) throw new Error("c ran before a");
  });
}

function failureRate(program: (rt: Runtime) => void, d: number, runs: number): { rate: number; n: number; k: number } {
  const probe = runOnce(program, settings, new ReplayDecider([], false));
  const n = probe.ctl.sched.nextTaskIdPeek - 1;
  const k = probe.ctl.steps;
  let failures = 0;
  for (let i = 0; i < runs; i++) {
    const r = runOnce(program, settings, new PctDecider(new Random(1000 + i), n, k, d));
    if (r.kind !== null) failures++;
  }
  return { rate: failures / runs, n, k };
}

describe("pct", () => {
  test("finds a depth-1 bug with at least its guaranteed probability 1/n per run", () => {
    const { rate, n } = failureRate(depth1, 1, 600);
    expect(rate).toBeGreaterThanOrEqual(1 / n);
  });

  test("finds a depth-2 bug with at least its guaranteed probability 1/(n·k) per run", () => {
    const { rate, n, k } = failureRate(depth2, 2, 1500);
    expect(k).toBeGreaterThan(3);
    expect(rate).toBeGreaterThanOrEqual(1 / (n * k));
  });

  test("with depth 1 never changes priorities: a depth-2 bug is out of its reach", () => {
    const { rate } = failureRate(depth2, 1, 300);
    expect(rate).toBe(0);
  });
});

describe("random", () => {
  test("choices are uniform among the ready coroutines", () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 900; i++) {
      const firsts: number[] = [];
      runOnce(
        (rt) => {
          for (let k = 0; k < 3; k++)
            rt.spawn(function* w() {
              firsts.push(k);
            });
        },
        settings,
        new RandomDecider(new Random(i)),
      );
      counts[firsts[0]]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(240);
  });
});

/** Two coroutines yielding `m` times each: their steps touch nothing, so every interleaving is distinct. */
function yielders(m: number) {
  return (rt: Runtime) => {
    for (const name of ["a", "b"])
      rt.spawn(
        {
          [name]: function* () {
            for (let i = 0; i < m; i++) yield* yieldNow();
          },
        }[name],
      );
  };
}

/** Three coroutines, each sending on a channel of its own: their steps commute. */
function independentSenders(rt: Runtime) {
  for (const name of ["a", "b", "c"]) {
    const ch = new Channel<number>(4, { name });
    rt.spawn(function* sender(out: Channel<number>) {
      yield* out.send(1);
      yield* yieldNow();
      yield* out.send(2);
    }, ch);
  }
}

describe("exhaustive", () => {
  test("runs every interleaving exactly once: C(2m+2, m+1) for two coroutines of m+1 steps", () => {
    expect(explore(yielders(1), { strategy: "exhaustive" })).toMatchObject({ ok: true, exhausted: true, runs: 6 });
    expect(explore(yielders(2), { strategy: "exhaustive" })).toMatchObject({ ok: true, exhausted: true, runs: 20 });
  });

  test("partial-order reduction runs commuting steps in one order only", () => {
    const full = explore(independentSenders, { strategy: "exhaustive", por: false });
    const reduced = explore(independentSenders, { strategy: "exhaustive" });
    expect(full).toMatchObject({ ok: true, exhausted: true, runs: 90 }); // 6!/(2!·2!·2!)
    expect(reduced).toMatchObject({ ok: true, exhausted: true, runs: 1 }); // one trace: every step commutes with the others'
    expect(reduced.pruned).toBeGreaterThan(0);
  });

  test("a lost update across a buffered send needs a preemption: found within bound 1, not bound 0", () => {
    const lostUpdate = (rt: Runtime) => {
      let count = 0;
      for (const name of ["a", "b"]) {
        const log = new Channel<number>(1, { name });
        rt.spawn(function* incr(out: Channel<number>) {
          const seen = count;
          yield* out.send(seen); // completes at once: only a preemption point can switch here
          count = seen + 1;
        }, log);
      }
      return () => {
        if (count !== 2) throw new Error(`lost update: count is ${count}`);
      };
    };
    expect(explore(lostUpdate, { strategy: "exhaustive" })).toMatchObject({ ok: true, exhausted: true });
    // Bound 0 covers its space (every schedule without a preemption) and says the bound cut the rest.
    expect(explore(lostUpdate, { strategy: "exhaustive", preemptAtOps: true, preemptionBound: 0 })).toMatchObject({
      ok: true,
      exhausted: true,
      boundCut: true,
    });
    const r = explore(lostUpdate, { strategy: "exhaustive", preemptAtOps: true, preemptionBound: 1 });
    expect(r.failure?.kind).toBe("error");
    expect(r.failure?.narrative).toMatch(/is preempted before its next operation/);
  });
});
