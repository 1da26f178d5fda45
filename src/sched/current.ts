/**
 * "The scheduler of the running coroutine, else the default runtime's": for
 * objects that belong to a runtime but may be made outside any coroutine
 * (timers, say). The default runtime is a facade-level thing, so the facade
 * registers how to get its scheduler here; this layer never imports it.
 */
import { running } from "../coro/context.js";
import { bug } from "../errors.js";
import type { Scheduler } from "./scheduler.js";
import { TaskImpl } from "./task.js";

let provideDefault: (() => Scheduler) | null = null;

/** Called once by the facade (src/runtime/default.ts). */
export function setDefaultSchedulerProvider(p: () => Scheduler): void {
  provideDefault = p;
}

/** The running scheduled task's scheduler, else the default runtime's. */
export function currentScheduler(): Scheduler {
  const c = running.current;
  if (c instanceof TaskImpl) return c.sched;
  if (provideDefault === null) bug("no default runtime provider registered");
  return provideDefault();
}
