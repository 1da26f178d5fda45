/**
 * scope(): structured concurrency — golang.org/x/sync errgroup's tests
 * (errgroup_test.go) ported where they mean something here, and Trio
 * nursery / Kotlin coroutineScope semantics.
 */
import { describe, expect, test } from "vitest";
import { CancelledError, Channel, Runtime, ScopeError, recv, scope, select, sleep, yieldNow, type Scope, type Task } from "../../src/index.js";

const errDoom = new Error("group_test: doomed");

describe("scope() as errgroup", () => {
  // TestZeroGroup: Wait returns the first non-nil error, for every prefix of the calls.
  const cases: (Error | null)[][] = [[], [null], [errDoom], [errDoom, null], [errDoom, null, new Error("errgroup_test: 2")]];
  test.each(cases.map((errs) => [errs.map((e) => (e === null ? "nil" : e.message)).join(", "), errs] as const))(
    "the scope throws the first failure (%s)",
    (_, errs) => {
      const rt = new Runtime();
      const outcome = rt.run(function* () {
        try {
          yield* scope(function* (s) {
            for (const e of errs) {
              s.spawn(function* () {
                if (e !== null) throw e;
              });
            }
          });
          return "ok";
        } catch (e) {
          return e;
        }
      });
      expect(outcome).toBe(errs.find((e) => e !== null) ?? "ok");
    },
  );

  // TestWithContext / TestCancelCause: after Wait the context is done; its cause is the first error.
  test.each([[[]], [[null]], [[errDoom]], [[errDoom, null]]] as (Error | null)[][][])(
    "the context is done once the scope has ended, its err's cause the first failure (%j)",
    (errs) => {
      const rt = new Runtime();
      let ctxErr: unknown;
      let doneClosed = false;
      rt.run(function* () {
        let ctx: Scope["context"] | undefined;
        try {
          yield* scope(function* (s) {
            ctx = s.context;
            for (const e of errs)
              s.spawn(function* () {
                if (e !== null) throw e;
              });
          });
        } catch {
          // the failure, checked below through the context
        }
        const r = yield* select([recv(ctx!.done())], { default: true });
        doneClosed = r.index === 0;
        ctxErr = ctx!.err();
      });
      expect(doneClosed).toBe(true);
      expect(ctxErr).toBeInstanceOf(CancelledError);
      const want = errs.find((e) => e !== null);
      if (want !== undefined) expect((ctxErr as Error).cause).toBe(want);
    },
  );

  // TestGoLimit: never more than `limit` children active at once.
  test("limit bounds the children running at once; the rest are queued and start as slots free", () => {
    const rt = new Runtime();
    const limit = 10;
    let active = 0;
    let peak = 0;
    let ran = 0;
    const states: string[] = [];
    rt.run(function* () {
      yield* scope(
        function* (s) {
          const tasks: Task<void>[] = [];
          for (let i = 0; i <= 1 << 10; i++) {
            tasks.push(
              s.spawn(function* () {
                active++;
                peak = Math.max(peak, active);
                yield* sleep(0.001);
                active--;
                ran++;
              }),
            );
          }
          states.push(tasks[0].state, tasks[limit].state);
        },
        { limit },
      );
    });
    expect(peak).toBe(limit);
    expect(ran).toBe(1025);
    expect(states).toEqual(["ready", "blocked"]);
  });

  test("a queued child is described as waiting for a slot, and cancelling it runs none of its code", () => {
    const rt = new Runtime();
    const log: string[] = [];
    rt.run(function* () {
      yield* scope(
        function* (s) {
          s.spawn(function* () {
            yield* sleep(10);
          });
          const queued = s.spawn(function* second() {
            log.push("second ran");
          });
          yield* yieldNow();
          log.push(rt.dump().coroutines.find((c) => c.id === queued.id)!.waiting!.on);
          queued.cancel();
          yield* yieldNow();
          log.push(queued.state);
        },
        { limit: 1, name: "pool" },
      );
    });
    expect(log).toEqual(['queued by scope "pool" (limit 1, 1 running): starts when a slot frees', "cancelled"]);
  });
});

describe("scope() as a nursery", () => {
  test("returns the body's result once the body and every child have ended", () => {
    const rt = new Runtime();
    const r = rt.run(function* () {
      const v = yield* scope(function* (s) {
        const a = s.spawn(function* () {
          yield* sleep(10);
          return 1;
        });
        s.spawn(function* () {
          yield* sleep(30);
        });
        return (yield* a.join()) + 1;
      });
      return [v, rt.now()];
    });
    expect(r[0]).toBe(2);
    expect(r[1]).toBeGreaterThanOrEqual(30);
  });

  test("a child's failure cancels its siblings and the body (children's finally blocks first) and is rethrown", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const boom = new Error("boom");
    rt.run(function* () {
      try {
        yield* scope(function* (s) {
          s.spawn(function* sibling() {
            try {
              yield* sleep(100);
            } finally {
              log.push(`sibling finally at ${rt.now().toFixed(0)}`);
            }
          });
          s.spawn(function* failing() {
            yield* sleep(5);
            throw boom;
          });
          try {
            yield* sleep(1000);
            log.push("body went on");
          } catch {
            log.push("body caught the cancellation"); // must not happen: it is uncatchable
          } finally {
            log.push("body finally");
          }
        });
      } catch (e) {
        log.push(e === boom ? "rethrown" : `other: ${String(e)}`);
      }
    });
    expect(log).toEqual(["sibling finally at 5", "body finally", "rethrown"]);
    expect(rt.stats().live).toBe(0);
  });

  test("later failures are attached to the first as its suppressed array", () => {
    const rt = new Runtime();
    const first = new Error("first");
    const second = new Error("second");
    const caught = rt.run(function* () {
      try {
        yield* scope(function* (s) {
          s.spawn(function* () {
            try {
              yield* sleep(10);
            } finally {
              // eslint-disable-next-line no-unsafe-finally
              throw second; // fails while being cancelled
            }
          });
          s.spawn(function* () {
            yield* sleep(1);
            throw first;
          });
        });
      } catch (e) {
        return e as Error & { suppressed?: unknown[] };
      }
      return null;
    });
    expect(caught).toBe(first);
    expect(caught!.suppressed).toEqual([second]);
  });

  test("the body throwing cancels the children and the scope rethrows its error", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const err = new Error("body failed");
    rt.run(function* () {
      try {
        yield* scope(function* (s) {
          s.spawn(function* () {
            try {
              yield* sleep(50);
            } finally {
              log.push("child finally");
            }
          });
          yield* sleep(1);
          throw err;
        });
      } catch (e) {
        log.push(e === err ? "rethrown" : "other");
      }
    });
    expect(log).toEqual(["child finally", "rethrown"]);
  });

  test("s.cancel() from a child stops the rest; a body that had returned keeps its result (first answer wins)", () => {
    const rt = new Runtime();
    let answer = "";
    const r = rt.run(function* () {
      return yield* scope(function* (s) {
        for (const [name, ms] of [
          ["slow", 30],
          ["fast", 10],
          ["slower", 50],
        ] as const) {
          s.spawn(function* () {
            yield* sleep(ms);
            answer ||= name;
            s.cancel("found");
          });
        }
        return "searching";
      });
    });
    expect(r).toBe("searching");
    expect(answer).toBe("fast");
    expect(rt.now()).toBeLessThan(11);
  });

  test("s.cancel() while the body runs aborts it and the scope throws CancelledError with the reason as cause", () => {
    const rt = new Runtime();
    const caught = rt.run(function* () {
      try {
        yield* scope(function* (s) {
          s.spawn(function* () {
            yield* sleep(5);
            s.cancel("enough");
          });
          yield* sleep(100);
          return "finished";
        });
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(caught).toBeInstanceOf(CancelledError);
    expect((caught as Error).cause).toBe("enough");
    expect(rt.now()).toBeLessThan(6);
  });

  test("cancelling the task that runs the scope cancels the children first, then unwinds the body, then the task", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const host = rt.spawn(function* host() {
      try {
        yield* scope(function* (s) {
          for (const n of [1, 2])
            s.spawn(function* () {
              try {
                yield* sleep(100);
              } finally {
                yield* sleep(1); // finally blocks may use operations
                log.push(`child ${n} finally`);
              }
            });
          try {
            yield* sleep(100);
          } finally {
            log.push("body finally");
          }
        });
        log.push("after the scope"); // never: the task is cancelled
      } finally {
        log.push("host finally");
      }
    });
    rt.spawn(function* () {
      yield* sleep(10);
      host.cancel();
    });
    rt.run();
    expect(log).toEqual(["child 1 finally", "child 2 finally", "body finally", "host finally"]);
    expect(host.state).toBe("cancelled");
    expect(rt.stats().live).toBe(0);
  });

  test("a host cancelled while a child fails ends failed with that failure, so it is never lost", () => {
    const rt = new Runtime();
    const late = new Error("failed while being cancelled");
    const host = rt.spawn(function* host() {
      yield* scope(function* (s) {
        s.spawn(function* () {
          try {
            yield* sleep(100);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw late;
          }
        });
        yield* sleep(100);
      });
    });
    rt.spawn(function* () {
      yield* sleep(1);
      host.cancel();
      try {
        yield* host.join();
      } catch (e) {
        expect(e).toBe(late);
      }
    });
    rt.run();
    expect(host.state).toBe("failed");
    expect(host.error).toBe(late);
  });

  test("children's failures are the scope's: run() does not report them on its own", () => {
    const rt = new Runtime();
    const r = rt.run(function* () {
      try {
        yield* scope(function* (s) {
          s.spawn(function* () {
            throw new Error("owned");
          });
          yield* sleep(10);
        });
      } catch (e) {
        return (e as Error).message;
      }
      return "none";
    });
    expect(r).toBe("owned");
  });

  test("nested scopes: an inner failure reaches the outer body as an error; the outer goes on if it catches it", () => {
    const rt = new Runtime();
    const r = rt.run(function* () {
      return yield* scope(function* (outer) {
        const sibling = outer.spawn(function* () {
          yield* sleep(20);
          return "sibling done";
        });
        let inner = "";
        try {
          yield* scope(function* (s) {
            s.spawn(function* () {
              yield* sleep(1);
              throw new Error("inner");
            });
            yield* sleep(100);
          });
        } catch (e) {
          inner = (e as Error).message;
        }
        return `${inner} / ${yield* sibling.join()}`;
      });
    });
    expect(r).toBe("inner / sibling done");
  });

  test("an outer cancellation unwinds a nested scope on the same coroutine (its children too) and the outer throws", () => {
    const rt = new Runtime();
    const log: string[] = [];
    const caught = rt.run(function* () {
      try {
        yield* scope(function* (outer) {
          outer.spawn(function* () {
            yield* sleep(5);
            throw new Error("outer child");
          });
          yield* scope(function* (inner) {
            inner.spawn(function* () {
              try {
                yield* sleep(100);
              } finally {
                log.push("inner child finally");
              }
            });
            try {
              yield* sleep(100);
            } finally {
              log.push("inner body finally");
            }
          });
          log.push("outer body went on"); // never
        });
      } catch (e) {
        return (e as Error).message;
      }
      return "none";
    });
    expect(caught).toBe("outer child");
    expect(log).toEqual(["inner child finally", "inner body finally"]);
  });

  test("a child's own scope inherits the parent's context and is cancelled with it", () => {
    const rt = new Runtime();
    const log: string[] = [];
    rt.run(function* () {
      try {
        yield* scope(function* (s) {
          s.spawn(function* () {
            yield* scope(function* (nested) {
              const r = yield* select([recv(nested.context.done()), recv(new Channel<number>())]);
              log.push(`nested done: ${r.index === 0}, same err: ${nested.context.err() === s.context.err()}`);
            });
          });
          yield* sleep(3);
          s.cancel("stop");
          log.push("cancelled"); // the body goes on until its next suspension point
          yield* sleep(1);
          log.push("never");
        });
      } catch (e) {
        log.push(`${(e as Error).name}: ${String((e as Error).cause)}`);
      }
    });
    expect(log).toEqual(["cancelled", "CancelledError: stop"]);
  });
});

describe("scope() misuse", () => {
  test("spawn into a scope that has ended is a ScopeError", () => {
    const rt = new Runtime();
    let leaked: Scope | undefined;
    rt.run(function* () {
      yield* scope(function* (s) {
        leaked = s;
      });
    });
    expect(() => leaked!.spawn(function* late() {})).toThrow(ScopeError);
    expect(() => leaked!.spawn(function* late() {})).toThrow(/scope has ended: spawn\(late\)/);
    expect(rt.stats().live).toBe(0);
  });

  test("bad arguments are typed errors that name the value", () => {
    expect(() => scope(42 as never)).toThrow(TypeError);
    expect(() => scope(function* () {}, { limit: 0 })).toThrow(RangeError);
    expect(() => scope(function* () {}, { limit: 0 })).toThrow(/received 0/);
    expect(() => scope(function* () {}, { limit: 1.5 })).toThrow(RangeError);
    expect(() => scope(function* () {}, { limit: "2" as never })).toThrow(TypeError);
    expect(() => scope(function* () {}, { name: 3 as never })).toThrow(TypeError);
    expect(() => scope(function* () {}, { lmit: 3 } as never)).toThrow(/unknown option "lmit"/);
  });

  test("scope() outside a coroutine says so", () => {
    const op = scope(function* () {});
    expect(() => op[Symbol.iterator]().next()).toThrow(/must be used inside a coroutine/);
  });

  test("a body that is not a generator function fails the scope with a TypeError", () => {
    const rt = new Runtime();
    const r = rt.run(function* () {
      try {
        yield* scope((() => 5) as never);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(r).toBeInstanceOf(TypeError);
  });
});
