/**
 * Which coroutine is executing right now.
 *
 * JavaScript runs one coroutine at a time per thread, so "the current
 * coroutine" is a single slot. The scheduler (and the low-level `Coroutine`
 * handle) set it around every resume and restore the previous value after, so
 * nested runtimes work. `call()` reads it to find the stack to push on; the
 * scheduler's operations read it to find the task to park.
 */
import type { CoroStack } from "./stack.js";

/** What the coro layer needs of whatever is running: its stack. */
export interface Running {
  readonly cstack: CoroStack;
  /** True for tasks driven by a scheduler (operations may park them); false for low-level coroutines. */
  readonly scheduled: boolean;
}

/** The single "current coroutine" slot. `null` outside every coroutine. */
export const running: { current: Running | null } = { current: null };
