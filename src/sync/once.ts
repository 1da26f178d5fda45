/**
 * Once: Go's sync.Once — `yield* once.do(fn)` runs `fn` the first time only.
 *
 * - `fn` is a plain function or a generator function; a generator's body
 *   runs inside the caller's coroutine, with `yield*`, so it may block.
 * - Callers that arrive while the first one is still running `fn` block
 *   until it has finished (Go's Do holds a mutex around f), then return.
 * - Go counts a panic as returning: if `fn` throws — or its coroutine is
 *   cancelled while running it — the Once is done all the same, the error
 *   goes to the first caller only, and the blocked callers return normally.
 * - Go deadlocks when `fn` calls `do` on the same Once; here that call is a
 *   SyncError (it would wait for itself forever).
 *
 * Invariants (checkOnce): `runner` is set only while not `isDone`; a
 * non-empty queue implies a runner; the runner is not in the queue.
 */
import { SyncError } from "../errors.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { describeValue } from "../describe.js";
import { currentTaskOrThrow } from "../sched/scheduler.js";
import type { TaskImpl } from "../sched/task.js";
import { label, startOp, SyncPrimitive, taskLabel, type SyncOptions } from "./primitive.js";
import { TaskQueue } from "./queue.js";

/** What `Once.do` accepts: a plain function, or a generator function whose body may block. */
export type OnceFn = () => Generator<unknown, void, unknown> | void;

/**
 * Runs a function once, however many coroutines ask.
 *
 * @example
 * const init = new Once({ name: "config" });
 * yield* init.do(function* () { config = yield* load(); }); // concurrent callers wait for the first
 */
export class Once extends SyncPrimitive {
  /** @internal */ isDone = false;
  /** @internal the task running fn now */
  runner: TaskImpl | null = null;
  /** @internal callers waiting for the runner */
  readonly queue: TaskQueue = new TaskQueue(this, "once");

  constructor(options?: SyncOptions) {
    super("Once", "once", options);
  }

  /** True once `fn` has run (returned, thrown or been cancelled). */
  get done(): boolean {
    return this.isDone;
  }

  /** Runs `fn` if no call has yet; blocks while another coroutine is running it. */
  do(fn: OnceFn): Operation<void> {
    if (typeof fn !== "function") throw new TypeError(`Once.do(fn) needs a function or a generator function, received ${describeValue(fn)}`);
    const tag = Object.prototype.toString.call(fn);
    if (tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]") {
      throw new TypeError(
        `Once.do(fn) cannot wait for an async function (${describeValue(fn)}): pass a generator function and use yield* waitFor(promise) inside it`,
      );
    }
    return this.isDone ? DONE_OP : onceDo(this, fn);
  }

  describe(): string {
    return label("Once", this);
  }

  /** @internal */
  override holders(): readonly TaskImpl[] | null {
    return this.runner === null ? null : [this.runner];
  }

  /** @internal fn has ended, one way or another: done, and every waiter goes */
  finish(): void {
    this.isDone = true;
    this.runner = null;
    for (let t = this.queue.dequeue(); t !== null; t = this.queue.dequeue()) t.sched.wake(t, undefined);
  }

  /** @internal */
  describeWait(): string {
    return `once ${this.describe()} (${this.runner === null ? "finishing" : `running in ${taskLabel(this.runner)}`})`;
  }

  /** @internal */
  waiterCancelled(): void {}
}

/** The first caller runs fn; later ones wait for it (parked on the Once's queue). */
function* onceDo(once: Once, fn: OnceFn): Generator<unknown, void, unknown> {
  const t = currentTaskOrThrow("Once.do()");
  startOp(t, once);
  if (once.isDone) return;
  if (once.runner !== null) {
    if (once.runner === t) throw new SyncError(`sync: Once.do called from its own function on ${once.describe()}: it would wait for itself forever`);
    yield* new OnceWaitOp(once, t);
    return;
  }
  once.runner = t;
  try {
    const r = fn();
    if (r !== undefined && r !== null && typeof (r as Generator).next === "function") yield* r as Generator<unknown, void, unknown>;
  } finally {
    once.finish(); // Go: a panic counts as returning
  }
}

/** Parks a later caller until the runner finishes. */
class OnceWaitOp implements Operation<void>, Iterator<unknown, void, unknown> {
  readonly #once: Once;
  readonly #t: TaskImpl;
  constructor(once: Once, t: TaskImpl) {
    this.#once = once;
    this.#t = t;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID;
    const q = this.#once.queue;
    q.enqueue(this.#t);
    this.#t.sched.park(this.#t, q);
    return SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}

/** do() on a finished Once: nothing to run, nothing to wait for. */
const DONE_OP: Operation<void> & Iterator<unknown, void, unknown> = {
  [Symbol.iterator]() {
    return this;
  },
  next: () => DONE_VOID,
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  },
};
