/**
 * The exported error classes.
 *
 * Every error a user can cause is one of these (or a built-in `TypeError` /
 * `RangeError` for malformed arguments), and its message names the bad value or
 * the object it concerns. A broken internal invariant is not a user error: it
 * is reported by `bug()`, which throws a plain `Error` that says so, loudly.
 */

/** Base of the library's own errors, so `catch (e) { if (e instanceof CoroError) … }` works. */
export class CoroError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A send, or a close, on a channel that is already closed. */
export class ChannelClosedError extends CoroError {}

/** `run()` found coroutines blocked with nothing left that could ever wake them. */
export class DeadlockError extends CoroError {
  /** One line per blocked coroutine: `#3 consumer: recv on Channel#1 "jobs" (capacity 0)`. */
  readonly blocked: readonly string[];
  /** True for a partial deadlock: found while other coroutines could still run (detectLeaks). */
  readonly partial: boolean;
  /**
   * @param failure the failure that caused it, when one did: a coroutine that
   * failed after touching what the blocked ones wait on (a producer that died).
   * Its error becomes `cause`, and the message says so.
   */
  constructor(blocked: readonly string[], partial = false, failure?: { task: string; error: unknown }) {
    const n = blocked.length;
    super(
      (partial
        ? `partial deadlock: ${n} coroutine${n === 1 ? "" : "s"} can never wake while others still run:\n  `
        : `deadlock: ${n} coroutine${n === 1 ? " is" : "s are"} blocked and nothing can wake ${n === 1 ? "it" : "them"}:\n  `) +
        blocked.join("\n  ") +
        (failure === undefined ? "" : `\ncaused by the failure of ${failure.task}, which used what they wait on: ${failureLine(failure.error)}`),
      failure === undefined ? undefined : { cause: failure.error },
    );
    this.blocked = blocked;
    this.partial = partial;
  }
}

/** A `call()` whose frame does not fit on the stack under `overflow: "error"`. */
export class StackOverflowError extends CoroError {}

/** The address space cannot satisfy an allocation even after growing to its limit. */
export class OutOfMemoryError extends CoroError {}

/** A misuse of an allocator: double free, a foreign or misaligned address, a stale reference. */
export class AllocatorError extends CoroError {}

/** A frame (or its stack) was used after its coroutine ended or the frame was popped. */
export class UseAfterFreeError extends CoroError {}

/** Delivered to joiners of a cancelled task. */
export class CancelledError extends CoroError {}

/** A deadline passed: `withTimeout`/`withDeadline` cancelled the operation's work (a kind of cancellation). */
export class TimeoutError extends CancelledError {}

/**
 * Thrown into a coroutine at its suspension point by `task.interrupt(reason)`
 * (SimPy's interrupts): catchable, and the coroutine may go on. The reason is
 * its `cause`.
 */
export class Interrupt extends CoroError {}

/** A misuse of a scope: spawning into one that has ended. */
export class ScopeError extends CoroError {}

/**
 * `run(main)` under `leftover: "error"`: main returned while other coroutines
 * were still live (they have been cancelled). One line per coroutine in `leftover`.
 */
export class LeftoverError extends CoroError {
  readonly leftover: readonly string[];
  constructor(leftover: readonly string[]) {
    const n = leftover.length;
    super(`run(main): main returned with ${n} coroutine${n === 1 ? "" : "s"} still live (leftover: "error"; they were cancelled):\n  ${leftover.join("\n  ")}`);
    this.leftover = leftover;
  }
}

/** A misuse of a sync primitive, as Go's sync panics: unlock of an unlocked mutex, a negative WaitGroup counter. */
export class SyncError extends CoroError {}

/** A frame access (or a raw write) reached a guard region between stacks (`guard: true`). */
export class GuardError extends CoroError {}

function failureLine(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `threw ${typeof e === "string" ? JSON.stringify(e) : String(e)}`;
}

/** An internal invariant is broken: a bug in cprime-coro, never the user's fault. */
export function bug(message: string): never {
  throw new Error(`cprime-coro internal error (please report): ${message}`);
}
