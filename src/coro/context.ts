/**
 * Which coroutine is executing right now.
 *
 * JavaScript runs one coroutine at a time per thread, so "the current
 * coroutine" is a single slot. The scheduler (and the low-level `Coroutine`
 * handle) set it around every resume and restore the previous value after, so
 * nested runtimes work. `call()` reads it to find the stack to push on; the
 * scheduler's operations read it to find the task to park.
 *
 * One slot per copy of the library. A process can load two copies (the ESM
 * and the CommonJS build, say); their coroutines, channels and tasks are
 * different classes and cannot mix. Each copy registers its slot on
 * `globalThis`, so an operation that finds its own slot empty can tell "not
 * inside a coroutine" from "inside a coroutine of the other copy" and say so
 * (see `otherCopyRunning`). The hot path reads only its own slot.
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

interface CopyRecord {
  readonly slot: { current: unknown };
  readonly format: string;
}

const REGISTRY = Symbol.for("cprime-coro.running-slots");
const FORMAT: string = typeof require === "function" && typeof module === "object" ? "CommonJS" : "ESM";

const registry: CopyRecord[] = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= []) as CopyRecord[];
registry.push({ slot: running, format: FORMAT });

/**
 * Called when this copy's slot is empty: the module format of another copy of
 * cprime-coro whose coroutine is running now, or null.
 */
export function otherCopyRunning(): { theirs: string; ours: string } | null {
  for (const r of registry) if (r.slot !== running && r.slot.current !== null) return { theirs: r.format, ours: FORMAT };
  return null;
}

/** The message for an operation of this copy used inside a coroutine of another copy. */
export function mixedCopiesMessage(what: string, other: { theirs: string; ours: string }): string {
  const same = other.theirs === other.ours;
  return (
    `${what} belongs to ${same ? "one copy" : `the ${other.ours} build`} of cprime-coro, but the coroutine running now belongs to ` +
    `${same ? "another copy" : `the ${other.theirs} build`}; the two cannot share channels, tasks or operations: ` +
    `load the package one way only (import or require, not both) so that one copy is in the process`
  );
}
