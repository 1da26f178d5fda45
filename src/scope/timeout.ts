/**
 * withTimeout / withDeadline: run an operation as a sub-scope with a virtual
 * deadline. When the deadline passes first, the operation's whole subtree is
 * cancelled (its finally blocks run) and the call throws a TimeoutError (a
 * CancelledError); when the operation finishes first, the timer is removed,
 * so nothing is left to keep run() going.
 *
 * - Nested deadlines: the earliest wins. An inner timeout with a later
 *   deadline is cut short by the outer one, which throws; an inner one with
 *   an earlier deadline throws its own TimeoutError, which reaches the outer
 *   as the operation's error.
 * - A deadline already past when the operation starts (a negative delay
 *   counts as zero, as Go's) times out at once: the operation never starts.
 * - Contexts of scopes inside see the deadline (`ctx.deadline`) and, when it
 *   passes, `ctx.err()` is the TimeoutError.
 */
import { TimeoutError } from "../errors.js";
import { describeValue } from "../describe.js";
import type { Operation } from "../coro/operation.js";
import { checkDelay, deadlineAfter, msToCycles } from "../sched/clock.js";
import { formatMs } from "../sched/waits.js";
import { ScopeOperation, type DeadlineSpec } from "./scope.js";

const NO_OPTIONS = { limit: Infinity, name: undefined };

/** Runs `op`; if it has not finished `ms` virtual milliseconds after it starts, cancels it and throws TimeoutError. */
export function withTimeout<T>(ms: number, op: Operation<T>): Operation<T> {
  const delay = checkDelay("withTimeout(ms, op)", ms);
  checkOperation("withTimeout(ms, op)", op);
  const spec: DeadlineSpec = {
    at(now, hz) {
      return deadlineAfter("withTimeout(ms, op)", now, delay, hz);
    },
    error(nowMs) {
      return new TimeoutError(`withTimeout(${formatMs(delay)}): the operation did not finish in time (timed out at ${formatMs(nowMs)})`);
    },
  };
  return new ScopeOperation<T>({ kind: "op", op: op as Operation<unknown> }, { ...NO_OPTIONS, name: `withTimeout(${formatMs(delay)})` }, spec);
}

/** Runs `op`; if it has not finished at virtual time `t` (ms, as rt.now()), cancels it and throws TimeoutError. */
export function withDeadline<T>(t: number, op: Operation<T>): Operation<T> {
  if (typeof t !== "number") throw new TypeError(`withDeadline(t, op): t must be a virtual time in milliseconds, received ${describeValue(t)}`);
  if (!Number.isFinite(t)) throw new RangeError(`withDeadline(t, op): t must be a finite virtual time in milliseconds, received ${String(t)}`);
  checkOperation("withDeadline(t, op)", op);
  const spec: DeadlineSpec = {
    at(now, hz) {
      const at = Math.max(now, msToCycles(Math.max(0, t), hz));
      if (at > Number.MAX_SAFE_INTEGER) return deadlineAfter("withDeadline(t, op)", 0, t, hz); // throws the clock's RangeError
      return at;
    },
    error(nowMs) {
      return new TimeoutError(`withDeadline(${formatMs(t)}): the deadline passed before the operation finished (at ${formatMs(nowMs)})`);
    },
  };
  return new ScopeOperation<T>({ kind: "op", op: op as Operation<unknown> }, { ...NO_OPTIONS, name: `withDeadline(${formatMs(t)})` }, spec);
}

function checkOperation(what: string, op: unknown): void {
  let iter: unknown;
  try {
    iter = op !== null && (typeof op === "object" || typeof op === "function") ? (op as { [Symbol.iterator]?: unknown })[Symbol.iterator] : undefined;
  } catch {
    iter = undefined;
  }
  if (typeof iter !== "function") {
    throw new TypeError(`${what}: op must be an operation (what you would use with yield*, e.g. ch.recv() or scope(…)), received ${describeValue(op)}`);
  }
}
