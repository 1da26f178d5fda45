/**
 * Properties of random trees of scopes with failures, cancellations, limits
 * and timeouts, checked by checkScopes() after every step of virtual time and
 * at the end: nothing left live, every finally block ran exactly once (and
 * only in children that started), no limit ever exceeded, and each scope's
 * outcome is the one the rules allow (first failure; else its timeout, its
 * cancellation, or the body's result).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CancelledError, Runtime, TimeoutError, scope, sleep, withTimeout, type Operation } from "../../src/index.js";
import { schedulerOf } from "../../src/runtime/runtime.js";
import { checkScopes } from "../../src/scope/validate.js";
import { runs } from "../support/fc.js";

interface ChildSpec {
  ms: number;
  end: "ok" | "fail" | "nested";
  nested?: ScopeSpec;
}
interface ScopeSpec {
  limit?: number;
  timeout?: number;
  body: { ms: number; end: "return" | "throw" | "cancel" };
  children: ChildSpec[];
}

const scopeSpec: fc.Memo<ScopeSpec> = fc.memo((depth) =>
  fc.record(
    {
      limit: fc.integer({ min: 1, max: 3 }),
      timeout: fc.integer({ min: 0, max: 40 }),
      body: fc.record({ ms: fc.integer({ min: 0, max: 30 }), end: fc.constantFrom("return", "throw", "cancel") }),
      children: fc.array(
        depth > 1
          ? fc.oneof(
              fc.record({ ms: fc.integer({ min: 0, max: 30 }), end: fc.constantFrom("ok", "fail") }),
              fc.record({ ms: fc.integer({ min: 0, max: 10 }), end: fc.constant("nested"), nested: scopeSpec(depth - 1) }),
            )
          : fc.record({ ms: fc.integer({ min: 0, max: 30 }), end: fc.constantFrom("ok", "fail") }),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: ["body", "children"] },
  ),
);

class Tagged extends Error {}

/** Runs a spec, recording what the rules need to check it. */
function build() {
  let nextId = 0;
  const finallies = new Map<string, number>();
  const started = new Set<string>();
  const failures = new Map<number, unknown[]>(); // scope id → failures in the order the scope got them
  const outcomes: { id: number; spec: ScopeSpec; outcome: unknown; kind: "returned" | "threw" }[] = [];
  let overLimit = 0;
  const fin = (k: string) => finallies.set(k, (finallies.get(k) ?? 0) + 1);

  function run(spec: ScopeSpec): Operation<string> {
    const id = nextId++;
    failures.set(id, []);
    let active = 0;
    const inner = scope<string>(
      function* (s) {
        started.add(`body${id}`);
        try {
          spec.children.forEach((c, i) => {
            const key = `child${id}.${i}`;
            s.spawn(function* () {
              started.add(key);
              active++;
              if (spec.limit !== undefined && active > spec.limit) overLimit++;
              try {
                yield* sleep(c.ms);
                if (c.end === "fail") throw new Tagged(key);
                if (c.end === "nested") yield* run(c.nested!);
              } catch (e) {
                failures.get(id)!.push(e);
                throw e;
              } finally {
                active--;
                fin(key);
              }
            });
          });
          yield* sleep(spec.body.ms);
          if (spec.body.end === "throw") {
            const e = new Tagged(`body${id}`);
            failures.get(id)!.push(e);
            throw e;
          }
          if (spec.body.end === "cancel") {
            s.cancel("body cancels");
            yield* sleep(1000); // aborted here
          }
          return `v${id}`;
        } finally {
          fin(`body${id}`);
        }
      },
      { limit: spec.limit },
    );
    const op = spec.timeout === undefined ? inner : withTimeout(spec.timeout, inner);
    return (function* () {
      try {
        const r = yield* op;
        outcomes.push({ id, spec, outcome: r, kind: "returned" });
        return r;
      } catch (e) {
        outcomes.push({ id, spec, outcome: e, kind: "threw" });
        throw e;
      }
    })();
  }
  return { run, finallies, started, failures, outcomes, overLimit: () => overLimit };
}

describe("random trees of scopes", () => {
  test("no task left live, every finally once, limits kept, outcomes by the rules; checkScopes holds at every step", () => {
    fc.assert(
      fc.property(scopeSpec(3), fc.option(fc.integer({ min: 0, max: 50 })), (spec, cancelAt) => {
        const rt = new Runtime();
        const b = build();
        const root = rt.spawn(function* root() {
          try {
            yield* b.run(spec);
          } catch {
            // recorded as the scope's outcome
          }
        });
        if (cancelAt !== null) {
          rt.spawn(function* canceller() {
            yield* sleep(cancelAt);
            root.cancel();
          });
        }
        const sched = schedulerOf(rt);
        for (let t = 0; t <= 200 && rt.stats().live > 0; t += 1) {
          rt.run({ until: t });
          checkScopes(sched);
        }
        rt.run();
        expect(rt.stats().live).toBe(0);
        expect(b.overLimit()).toBe(0);
        for (const [k, n] of b.finallies) {
          expect(n, k).toBe(1);
          expect(b.started.has(k), k).toBe(true);
        }
        for (const k of b.started) expect(b.finallies.get(k), k).toBe(1);
        for (const o of b.outcomes) {
          const f = b.failures.get(o.id)!;
          if (f.length > 0) {
            expect(o.kind).toBe("threw");
            expect(o.outcome).toBe(f[0]);
          } else if (o.kind === "returned") {
            expect(o.spec.body.end).toBe("return");
            expect(o.outcome).toBe(`v${o.id}`);
          } else if (o.outcome instanceof TimeoutError) {
            expect(o.spec.timeout).toBeDefined();
          } else {
            expect(o.outcome).toBeInstanceOf(CancelledError);
            expect(o.spec.body.end).toBe("cancel");
            expect((o.outcome as Error).cause).toBe("body cancels");
          }
        }
      }),
      { numRuns: runs(300) },
    );
  });
});
