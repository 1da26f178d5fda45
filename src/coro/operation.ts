/**
 * Operations: the only values a scheduled coroutine may yield.
 *
 * An `Operation<T>` is an iterable used with `yield*`, so its result is typed:
 * `const r = yield* ch.recv()`. The protocol between an operation's iterator
 * and the scheduler is deliberately tiny, so that an operation that can finish
 * at once (a buffered recv, a join of a finished task) never suspends at all:
 *
 * - The first `next()` an operation's iterator receives comes from `yield*`
 *   and carries `undefined`. The operation either completes on the spot
 *   (`{ done: true, value }`) or parks the current task (it is then on some
 *   wait queue, timer or the run queue) and returns `SUSPENDED`.
 * - The scheduler resumes a parked task with `gen.next(RESUME)`; `yield*`
 *   forwards it to the innermost operation, which returns the result the waker
 *   left in `task.resume`. RESUME is never undefined, so operations tell the
 *   two calls apart with `x !== undefined`: V8 compiles that to one pointer
 *   comparison, while `x === RESUME` on a value that is sometimes undefined
 *   and sometimes a symbol falls back to its generic StrictEqual. A failure is delivered with `gen.throw(err)`,
 *   which the operation passes through (`throw(e) { throw e }`), so the error
 *   surfaces at the `yield*` in the coroutine's own code.
 * - Cancellation calls `gen.return()`; operations need no `return` method.
 *
 * Because the per-suspension state lives on the task, many operations are
 * stateless singletons (yieldNow, a channel's recv) and cost no allocation.
 */

/** A blocking operation, used inside a coroutine with `yield*`. */
export interface Operation<T> {
  [Symbol.iterator](): Iterator<unknown, T, unknown>;
}

/** The one value operations yield to the scheduler: "I have parked the task". */
export const SUSPEND: unique symbol = Symbol("cprime-coro.suspend");

/** What the scheduler passes to `next()` when it resumes a parked task. */
export const RESUME: unique symbol = Symbol("cprime-coro.resume");

/** Shared iterator result: the operation parked the current task. */
export const SUSPENDED: IteratorYieldResult<typeof SUSPEND> = { done: false, value: SUSPEND };

/** Shared iterator result for operations that complete with `undefined`. */
export const DONE_VOID: IteratorReturnResult<undefined> = { done: true, value: undefined };
