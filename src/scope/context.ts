/**
 * Context: Go's context.Context for code that passes cancellation down
 * explicitly. Every scope has one (`s.context`); it is cancelled when the
 * scope is (a failure, `s.cancel()`, a deadline, its host's cancellation)
 * and when the scope ends (errgroup's Wait cancels its context too), and it
 * inherits its parent's: a nested scope's context, or that of a child's own
 * scopes, is cancelled with the parent's and has the earlier deadline.
 *
 * - `done()` is the receive port of a real channel that is closed on
 *   cancellation, so `recv(ctx.done())` works in any select;
 * - `err()` is undefined until then, then a CancelledError (a TimeoutError
 *   for a deadline) whose `cause` says why;
 * - `deadline` is in virtual milliseconds (rt.now()), or undefined.
 */
import { Channel } from "../chan/channel.js";
import type { RecvPort } from "../chan/ports.js";
import type { ScopeImpl } from "./scope.js";

export interface Context {
  /** A receive port that is closed when the context is cancelled: `recv(ctx.done())` in a select. */
  done(): RecvPort<never>;
  /** undefined while not cancelled; then a CancelledError, or a TimeoutError when a deadline passed. */
  err(): unknown;
  /** The earliest deadline of this context and its parents, in virtual milliseconds; undefined when none. */
  readonly deadline: number | undefined;
  /** Cancels the scope this context belongs to (as `s.cancel(reason)`). */
  cancel(reason?: unknown): void;
}

export class ContextImpl implements Context {
  readonly #scope: ScopeImpl;
  constructor(scope: ScopeImpl) {
    this.#scope = scope;
  }
  done(): RecvPort<never> {
    return this.#scope.doneChannel().receiver();
  }
  err(): unknown {
    return this.#scope.contextErr();
  }
  get deadline(): number | undefined {
    return this.#scope.deadlineMs;
  }
  cancel(reason?: unknown): void {
    this.#scope.cancel(reason);
  }
  toString(): string {
    return `Context(${this.#scope.label})`;
  }
}

/** The channel behind a context's done(): unbuffered, never sent on, closed on cancellation. */
export function makeDoneChannel(label: string): Channel<never> {
  return new Channel<never>(0, { name: `${label} done` });
}
