/**
 * The scheduler's operations, and the module-level entry points that use the
 * default runtime.
 *
 * `yieldNow()` is a stateless singleton: the per-suspension state lives on the
 * task, so a round-robin switch allocates nothing.
 */
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { running } from "../coro/context.js";
import type { CoroDef, CoroFn } from "../coro/coro.js";
import { currentTaskOrThrow, Runtime, type RuntimeOptions } from "./runtime.js";
import { TaskImpl, type Task, takeResumeValue } from "./task.js";

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
    t.rt.requeue(t);
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
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID; // the resume (RESUME): see coro/operation.ts
    const t = currentTaskOrThrow("sleep()");
    t.rt.sleepFor(t, this.ms);
    return SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}

/** Checks a virtual delay: finite and ≥ 0. */
export function checkDelay(what: string, ms: unknown): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${what}: the delay must be a finite number of milliseconds ≥ 0, received ${String(ms)}`);
  }
  return ms;
}

/** Sleeps `ms` virtual milliseconds: the clock jumps when nothing else can run. */
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
    t.rt.waitForPromise(t, this.promise);
    return SUSPENDED as IteratorResult<unknown, T>;
  }
  throw(e: unknown): IteratorResult<unknown, T> {
    throw e;
  }
}

/** Parks this coroutine on a real promise; `rt.runAsync()` drives it. A rejection is thrown here. */
export function waitFor<T>(p: PromiseLike<T>): Operation<T> {
  if (p === null || (typeof p !== "object" && typeof p !== "function") || typeof (p as PromiseLike<T>).then !== "function") {
    throw new TypeError(`waitFor(p): p must be a promise (a thenable), received ${String(p)}`);
  }
  return new WaitForOp(p);
}

let defaultRt: Runtime | null = null;

/** The runtime that module-level `spawn()` and `run()` use outside coroutines. */
export function defaultRuntime(): Runtime {
  return (defaultRt ??= new Runtime({ name: "default" }));
}

/** Replaces the default runtime (tests, or to change its options). Returns the new one. */
export function resetDefaultRuntime(options?: RuntimeOptions): Runtime {
  defaultRt = new Runtime({ name: "default", ...options });
  return defaultRt;
}

/** The runtime of the running coroutine, else the default runtime. */
export function currentRuntime(): Runtime {
  const c = running.current;
  return c !== null ? (c as TaskImpl).rt : defaultRuntime();
}

/** Spawns on the running coroutine's runtime (or the default runtime outside coroutines). */
export function spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R> {
  return currentRuntime().spawn(fn, ...args);
}

/** Runs the default runtime until quiescent (see Runtime.run). */
export function run(): void {
  defaultRuntime().run();
}

/** Runs the default runtime, waiting for promises too (see Runtime.runAsync). */
export function runAsync(): Promise<void> {
  return defaultRuntime().runAsync();
}
