/**
 * Shared helpers for the sync tests.
 *
 * The model harness drives a Runtime the way test/chan/channel.model.test.ts
 * does: each "blocking" command spawns a coroutine that performs one
 * operation on the primitive and records how it ended; plain calls (unlock,
 * done, release) act from outside any coroutine between runs; Cancel cancels
 * one coroutine; Advance runs to quiescence (a DeadlockError only means
 * coroutines are left blocked, which the model predicts exactly).
 *
 * The model follows a whole run because each coroutine does one operation in
 * its first step, and a woken coroutine only records its result: the only
 * steps with effects are the first steps of the spawned coroutines, in spawn
 * order.
 */
import { expect } from "vitest";
import { DeadlockError, Runtime, SyncError, type Operation, type RuntimeOptions, type Task, type CostModel } from "../../src/index.js";

const ZEROS = { micro: 0, small: 0, medium: 0, large: 0 };

/** Every figure zero: only timer jumps move the clock (1 cycle = 1 ms with clockHz 1000). */
export const ZERO_COST: Partial<CostModel> = { contextSwitch: ZEROS, alloc: ZEROS, free: ZEROS, migrate: 0, channelOp: 0, selectCase: 0 };

export function exactClockRuntime(options: RuntimeOptions = {}): Runtime {
  return new Runtime({ cost: ZERO_COST, clockHz: 1000, pools: { micro: 256, small: 4, medium: 2 }, ...options });
}

/** Runs to quiescence; returns the DeadlockError if coroutines were left blocked, else null. */
export function settle(rt: Runtime): DeadlockError | null {
  try {
    rt.run();
    return null;
  } catch (e) {
    if (e instanceof DeadlockError) return e;
    throw e;
  }
}

/** The error a synchronous call throws (fails the test if it does not throw). */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to throw");
}

/** Expects `f` to throw a SyncError whose message contains each of `parts`. */
export function expectSyncError(f: () => unknown, ...parts: string[]): SyncError {
  const e = thrownBy(f);
  expect(e).toBeInstanceOf(SyncError);
  for (const p of parts) expect((e as Error).message).toContain(p);
  return e as SyncError;
}

/** pending: spawned, not started · blocked · woken: result decided, not yet resumed · cancelling: cancel() called, not yet run. */
export type Status = "pending" | "blocked" | "woken" | "cancelling" | "done" | "cancelled";

const REAL_STATE: Record<Status, Task["state"]> = {
  pending: "ready",
  blocked: "blocked",
  woken: "ready",
  cancelling: "ready",
  done: "done",
  cancelled: "cancelled",
};

/**
 * A model of one primitive under the harness. `start` is a task's first step
 * (its operation): it completes ("done") or blocks ("blocked"); whatever it
 * or a plain call releases, the model passes to `harness.wake`.
 */
export interface PrimitiveModel<Op> {
  start(id: number, op: Op): "done" | "blocked";
  /** A blocked task was cancelled: it leaves the model's queues (and may let others through). */
  cancelBlocked(id: number): void;
}

/** Tasks and their statuses, the real and the modelled side by side. */
export class Harness<Op> {
  readonly rt = exactClockRuntime();
  readonly status = new Map<number, Status>();
  readonly tasks = new Map<number, Task>();
  readonly ops = new Map<number, Op>();
  /** How each real coroutine's operation ended ("ok" or the error's text). */
  readonly outcomes = new Map<number, string>();
  private pending: number[] = [];
  model!: PrimitiveModel<Op>;

  /** Spawns a coroutine performing `op()` once; returns its id. */
  spawn(op: Op, perform: () => Operation<unknown>): number {
    const outcomes = this.outcomes;
    const task = this.rt.spawn(function* actor() {
      let o = "ok";
      try {
        yield* perform();
      } catch (e) {
        o = String(e);
      }
      outcomes.set(task.id, o);
    });
    this.tasks.set(task.id, task);
    this.ops.set(task.id, op);
    this.status.set(task.id, "pending");
    this.pending.push(task.id);
    return task.id;
  }

  /** The model's side of a wake: the task's operation completed. */
  wake(id: number): void {
    expect(this.status.get(id), `task #${id} woken by the model`).toBe("blocked");
    this.status.set(id, "woken");
  }

  cancel(id: number): void {
    this.tasks.get(id)!.cancel();
    const st = this.status.get(id)!;
    if (st === "pending") this.status.set(id, "cancelling");
    else if (st === "blocked") {
      this.status.set(id, "cancelling");
      this.model.cancelBlocked(id);
    }
    // woken: the result is kept and, with no further suspension, it finishes normally.
  }

  /** Runs the runtime and the model to quiescence; checks deadlock-ness and outcomes. */
  advance(): void {
    const err = settle(this.rt);
    for (const id of this.pending) {
      if (this.status.get(id) !== "pending") continue;
      this.status.set(id, this.model.start(id, this.ops.get(id)!));
    }
    this.pending = [];
    for (const [id, st] of this.status) {
      if (st === "woken") this.status.set(id, "done");
      else if (st === "cancelling") this.status.set(id, "cancelled");
    }
    const blocked = [...this.status.values()].filter((s) => s === "blocked").length;
    expect(err === null ? 0 : err.blocked.length, "blocked coroutines after run()").toBe(blocked);
    for (const [id, st] of this.status) if (st === "done") expect(this.outcomes.get(id), `outcome of #${id}`).toBe("ok");
  }

  /** Every task's real state is the model's. */
  checkStates(): void {
    for (const [id, st] of this.status) expect(this.tasks.get(id)!.state, `state of #${id} (${st})`).toBe(REAL_STATE[st]);
  }

  /** Ids of the tasks in a queue, front first. */
  static ids(q: Iterable<{ id: number }>): number[] {
    return [...q].map((t) => t.id);
  }
}
