/**
 * The scheduler's own operations: sleep, yieldNow, waitFor.
 *
 * `yieldNow()` is a stateless singleton: the per-suspension state lives on the
 * task, so a round-robin switch allocates nothing. `sleep(ms)` allocates its
 * operation, but `yield*` holds the runtime's one sleep iterator while the
 * coroutine sleeps (SleepIterator in scheduler.ts), so the operation dies young.
 */
import { describeValue } from "../describe.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { checkDelay } from "./clock.js";
import { running } from "../coro/context.js";
import { currentTaskOrThrow } from "./scheduler.js";
import { takeResumeValue, type TaskImpl } from "./task.js";

const YIELD_NOW: Operation<void> & Iterator<unknown, void, unknown> & { readonly done: typeof DONE_VOID; readonly suspended: typeof SUSPENDED } = {
  // The shared results ride on the object: `this.done` is a register-relative
  // load, an imported constant a module-binding load with a hole check (V8 11).
  done: DONE_VOID,
  suspended: SUSPENDED,
  [Symbol.iterator]() {
    return this;
  },
  next(x?: unknown): IteratorResult<unknown, void> {
    // Only the scheduler's resume passes a value (RESUME); yield*'s first call passes undefined.
    if (x !== undefined) return this.done;
    const t = currentTaskOrThrow("yieldNow()");
    t.sched.requeue(t);
    return this.suspended;
  },
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  },
};

/** Moves this coroutine to the back of the run queue. */
export function yieldNow(): Operation<void> {
  return YIELD_NOW;
}

class SleepOp implements Operation<void>, Iterator<unknown, void, unknown> {
  constructor(private readonly ms: number) {}
  /** The running runtime's long-lived iterator when it is free, else this op itself (see SleepIterator in scheduler.ts). */
  [Symbol.iterator](): Iterator<unknown, void, unknown> {
    const t = running.current as TaskImpl | null;
    if (t === null || !t.scheduled) return this;
    const carrier = t.sched.sleepIterator;
    if (carrier.ms >= 0) return this; // taken and not yet started: a second take gets its own
    carrier.ms = this.ms;
    return carrier;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID; // the resume (RESUME): see coro/operation.ts
    const t = currentTaskOrThrow("sleep()");
    t.sched.sleepFor(t, this.ms);
    return SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}

/**
 * Sleeps `ms` virtual milliseconds: the clock jumps when nothing else can run.
 * A negative delay counts as zero (as Go's time.Sleep); NaN or ±Infinity is a
 * RangeError, and so is a delay past the virtual clock's exact range (sched/clock.ts).
 */
export function sleep(ms: number): Operation<void> {
  return new SleepOp(checkDelay("sleep(ms)", ms));
}

class WaitForOp<T> implements Operation<T>, Iterator<unknown, T, unknown> {
  constructor(private readonly promise: PromiseLike<T>) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, T> {
    if (x !== undefined) {
      return takeResumeValue<T>();
    }
    const t = currentTaskOrThrow("waitFor()");
    t.sched.waitForPromise(t, this.promise);
    return SUSPENDED as IteratorResult<unknown, T>;
  }
  throw(e: unknown): IteratorResult<unknown, T> {
    throw e;
  }
}

/**
 * Parks this coroutine on a real promise (any thenable); `rt.runAsync()`
 * drives it. A rejection — or a `then` that throws — is thrown here.
 */
export function waitFor<T>(p: PromiseLike<T>): Operation<T> {
  let then: unknown;
  try {
    then = p === null || (typeof p !== "object" && typeof p !== "function") ? undefined : (p as PromiseLike<T>).then;
  } catch (err) {
    throw new TypeError(`waitFor(p): reading p.then threw (${err instanceof Error ? err.message : describeValue(err)}); p must be a promise (a thenable)`);
  }
  if (typeof then !== "function") throw new TypeError(`waitFor(p): p must be a promise (a thenable), received ${describeValue(p)}`);
  return new WaitForOp(p);
}
