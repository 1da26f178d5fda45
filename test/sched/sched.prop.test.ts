import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { Channel, Runtime, after, bytes, call, coro, recv, select, send, sleep, yieldNow, type Task, type CoroDef } from "../../src/index.js";
import { runs } from "../support/fc.js";

/** A random coroutine program: what each coroutine does, step by step. */
type Action =
  | { kind: "yield" }
  | { kind: "sleep"; ms: number }
  | { kind: "throw" }
  | { kind: "call"; localBytes: number; body: Action[] }
  | { kind: "spawn"; body: Action[]; join: boolean }
  | { kind: "cancelLast" };

const action: fc.Arbitrary<Action> = fc.letrec<{ action: Action; body: Action[] }>((tie) => ({
  action: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant({ kind: "yield" as const }),
    fc.record({ kind: fc.constant("sleep" as const), ms: fc.integer({ min: 0, max: 50 }) }),
    fc.constant({ kind: "throw" as const }),
    fc.constant({ kind: "cancelLast" as const }),
    fc.record({ kind: fc.constant("call" as const), localBytes: fc.integer({ min: 0, max: 3000 }), body: tie("body") }),
    fc.record({ kind: fc.constant("spawn" as const), body: tie("body"), join: fc.boolean() }),
  ),
  body: fc.array(tie("action"), { maxLength: 4 }),
})).action;

const program = fc.array(action, { minLength: 1, maxLength: 6 });

class Boom extends Error {}

function interpret(rt: Runtime, actions: Action[]): Generator<unknown, void, unknown> {
  return (function* body() {
    const children: Task<void>[] = [];
    for (const a of actions) {
      switch (a.kind) {
        case "yield":
          yield* yieldNow();
          break;
        case "sleep":
          yield* sleep(a.ms);
          break;
        case "throw":
          throw new Boom("thrown by the program");
        case "cancelLast":
          children.at(-1)?.cancel();
          break;
        case "call": {
          const def: CoroDef<[], void> = coro({ name: "callee", locals: a.localBytes > 0 ? { buf: bytes(a.localBytes) } : {} }, function* () {
            yield* interpret(rt, a.body);
          });
          try {
            yield* call(def);
          } catch (e) {
            if (!(e instanceof Boom)) throw e;
          }
          break;
        }
        case "spawn": {
          const child = rt.spawn(function* child() {
            yield* interpret(rt, a.body);
          });
          children.push(child);
          if (a.join) {
            try {
              yield* child.join();
            } catch {
              // failed or cancelled: observed here
            }
          }
          break;
        }
      }
    }
  })();
}

describe("random trees of spawn/call/yield/throw/cancel", () => {
  test("leave no stack in use and checkMemory() clean", () => {
    fc.assert(
      fc.property(program, fc.integer(), (actions, seed) => {
        const rt = new Runtime({ seed });
        rt.spawn(function* root() {
          yield* interpret(rt, actions);
        });
        try {
          rt.run();
        } catch (e) {
          // Unjoined failures surface here, as Boom or an AggregateError of them.
          const errs = e instanceof AggregateError ? e.errors : [e];
          for (const x of errs) expect(x).toBeInstanceOf(Boom);
        }
        const s = rt.stats();
        expect(s.live).toBe(0);
        expect(s.spawned).toBe(s.completed + s.failed + s.cancelled);
        expect(s.memory.micro.used + s.memory.small.used + s.memory.medium.used + s.memory.large.count).toBe(0);
        rt.memory.checkMemory();
      }),
      { numRuns: runs(200) },
    );
  });
});

describe("determinism", () => {
  /** A program whose schedule depends on select's random choices; returns its event log. */
  function contested(seed: number): string[] {
    const rt = new Runtime({ seed });
    const log: string[] = [];
    const a = new Channel<number>(1, { name: "a" });
    const b = new Channel<number>(1, { name: "b" });
    const out = new Channel<string>(3, { name: "out" });
    for (let p = 0; p < 3; p++) {
      rt.spawn(function* producer() {
        for (let i = 0; i < 20; i++) {
          const r = yield* select([send(a, i), send(b, -i), after(p + 1)]);
          log.push(`p${p}:${r.index}@${rt.cycles}`);
        }
      });
    }
    rt.spawn(function* consumer() {
      for (let i = 0; i < 40; i++) {
        const r = yield* select([recv(a), recv(b), after(3)]);
        log.push(`c:${r.index}:${String(r.value)}@${rt.cycles}`);
        if (i % 7 === 0) yield* out.send(`tick${i}`);
        if (out.length === out.capacity) out.tryRecv();
      }
    });
    rt.run();
    return log;
  }

  test("the same seed gives the same event sequence", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(contested(seed)).toEqual(contested(seed));
      }),
      { numRuns: runs(20) },
    );
  });

  test("different seeds give different schedules", () => {
    const logs = new Set([1, 2, 3, 4, 5].map((s) => contested(s).join("|")));
    expect(logs.size).toBeGreaterThan(1);
  });
});
