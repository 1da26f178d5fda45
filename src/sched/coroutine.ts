/**
 * Low-level coroutines (the seed's CoroLifecycle): resumed by hand, no
 * scheduler. The body runs on its own simulated stack and may `call()`
 * definitions; plain `yield v` values come back from `resume()`. Scheduler
 * operations (sleep, channels) are refused inside: there is nobody to wake it.
 *
 * Invariant: once `isComplete`, the stack is freed and resume() refuses.
 */
import { UseAfterFreeError } from "../errors.js";
import { running } from "../coro/context.js";
import { CANCELLED, DONE, FAILED, RUNNING, READY, type StackInfo, type TaskImpl } from "./task.js";

export type ResumeResult<R> = { kind: "yield"; value: unknown } | { kind: "complete"; value: R } | { kind: "error"; error: unknown };

export interface Coroutine<R> {
  /** Runs to the next plain `yield v` or the end. The value is what that `yield` evaluates to (ignored on the first resume). */
  resume(value?: unknown): ResumeResult<R>;
  readonly isComplete: boolean;
  readonly stack: StackInfo;
  /** Runs finally blocks and frees the stack. Idempotent. */
  destroy(): void;
}

export class CoroutineHandle<R> implements Coroutine<R> {
  private started = false;

  constructor(
    private readonly task: TaskImpl<R>,
    private readonly onEnd: () => void,
  ) {}

  get isComplete(): boolean {
    return this.task.st >= DONE;
  }

  get stack(): StackInfo {
    return this.task.stack;
  }

  get id(): number {
    return this.task.id;
  }

  resume(value?: unknown): ResumeResult<R> {
    const t = this.task;
    if (t.st >= DONE) {
      throw new UseAfterFreeError(`resume() of coroutine #${t.id} ${t.name}, which is ${t.state}: its stack is freed`);
    }
    if (t.st === RUNNING) throw new Error(`coroutine #${t.id} ${t.name} resumed itself`);
    const prev = running.current;
    running.current = t;
    t.st = RUNNING;
    t.sched.charge(t.switchCost);
    let r: IteratorResult<unknown, R>;
    try {
      r = this.started ? t.gen.next(value) : t.gen.next();
      this.started = true;
    } catch (error) {
      running.current = prev;
      t.settle(FAILED, error);
      this.end();
      return { kind: "error", error };
    }
    running.current = prev;
    if (r.done === true) {
      t.settle(DONE, r.value);
      this.end();
      return { kind: "complete", value: r.value };
    }
    t.st = READY;
    return { kind: "yield", value: r.value };
  }

  destroy(): void {
    const t = this.task;
    if (t.st >= DONE) return;
    const prev = running.current;
    running.current = t;
    try {
      // A finally block that yields is stopped again at that yield.
      for (let i = 0; i < 1000 && t.gen.return(undefined as never).done !== true; i++);
    } catch {
      // destroy() is teardown: an error from a finally block has nowhere to go.
    } finally {
      running.current = prev;
    }
    t.settle(CANCELLED, undefined);
    this.end();
  }

  private end(): void {
    this.task.cstack.destroy();
    this.onEnd();
  }
}
