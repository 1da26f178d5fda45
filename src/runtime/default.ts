/**
 * The default runtime and the module-level entry points that use it:
 * `spawn(fn)` and `run()` without a `new Runtime()`.
 *
 * Inside a running coroutine, `spawn` and `currentRuntime()` use that
 * coroutine's runtime instead, so library code written against the
 * module-level functions works under any runtime.
 */
import { running } from "../coro/context.js";
import type { CoroDef, CoroFn } from "../coro/coro.js";
import { setDefaultSchedulerProvider } from "../sched/current.js";
import { TaskImpl, type Task } from "../sched/task.js";
import type { RuntimeOptions } from "./options.js";
import { Runtime, schedulerOf, type SpawnWithOptions } from "./runtime.js";

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
  return c instanceof TaskImpl ? (c.sched.owner as Runtime) : defaultRuntime();
}

/** Spawns on the running coroutine's runtime (or the default runtime outside coroutines). */
export function spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R> {
  return currentRuntime().spawn(fn, ...args);
}

/** spawnWith on the running coroutine's runtime (or the default runtime outside coroutines): see Runtime.spawnWith. */
export function spawnWith<A extends unknown[], R>(options: SpawnWithOptions, fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R> {
  return currentRuntime().spawnWith(options, fn, ...args);
}

/** Runs the default runtime until quiescent (see Runtime.run). */
export function run(): void;
/** Spawns `main` on the default runtime and runs until it returns (see Runtime.run(main)). */
export function run<R>(main: CoroFn<[], R> | CoroDef<[], R>): R;
/** Runs the default runtime until virtual time `until` (see Runtime.run({ until })). */
export function run(options: { until: number }): void;
export function run<R>(arg?: CoroFn<[], R> | CoroDef<[], R> | { until: number }): R | void {
  const rt = defaultRuntime();
  return arg === undefined ? rt.run() : rt.run(arg as CoroFn<[], R>);
}

/** Runs the default runtime, waiting for promises too (see Runtime.runAsync). */
export function runAsync(): Promise<void>;
export function runAsync<R>(main: CoroFn<[], R> | CoroDef<[], R>): Promise<R>;
export function runAsync(options: { until: number }): Promise<void>;
export function runAsync<R>(arg?: CoroFn<[], R> | CoroDef<[], R> | { until: number }): Promise<R | void> {
  const rt = defaultRuntime();
  return arg === undefined ? rt.runAsync() : rt.runAsync(arg as CoroFn<[], R>);
}

setDefaultSchedulerProvider(() => schedulerOf(defaultRuntime()));
