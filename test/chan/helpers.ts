/**
 * Shared helpers for the channel and select tests.
 *
 * - `CAPACITIES` is the loop Go's chan_test.go runs every case over: the
 *   unbuffered rendezvous, the smallest buffer, a buffer that wraps quickly,
 *   and an odd size that never lines up with the test's batch sizes.
 * - `settle(rt)` is how tests drive a runtime that is expected to leave
 *   coroutines blocked: `run()` throws DeadlockError in that case, and the
 *   blocked coroutines stay blocked (and can be woken by a later spawn and
 *   another `settle`). Any other error is a real failure and is rethrown.
 * - `ZERO_COST` makes the clock move only when it jumps to a timer, so with
 *   `clockHz: 1000` one cycle is one virtual millisecond and times are exact.
 */
import { expect } from "vitest";
import { nodeTask, type QueueNode } from "../../src/chan/wait-queue.js";
import {
  Channel,
  ChannelClosedError,
  DeadlockError,
  Runtime,
  checkChannel,
  type CostModel,
  type Operation,
  type RecvResult,
  type RuntimeOptions,
} from "../../src/index.js";

export const CAPACITIES = [0, 1, 2, 7] as const;

const ZEROS = { micro: 0, small: 0, medium: 0, large: 0 };

/** Every figure zero: only timer jumps move the clock. */
export const ZERO_COST: Partial<CostModel> = {
  contextSwitch: ZEROS,
  alloc: ZEROS,
  free: ZEROS,
  migrate: 0,
  channelOp: 0,
  selectCase: 0,
};

/** A runtime whose clock is virtual milliseconds moved only by timers (1 cycle = 1 ms). */
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

/** Fills a buffered channel from outside any coroutine; every trySend must succeed. */
export function fill(ch: Channel<number>, values: readonly number[]): void {
  for (const v of values) expect(ch.trySend(v)).toBe(true);
}

/** Takes everything a channel has right now (from outside any coroutine). */
export function drainNow<T>(ch: Channel<T>): RecvResult<T>[] {
  const out: RecvResult<T>[] = [];
  for (let r = ch.tryRecv(); r !== undefined; r = ch.tryRecv()) {
    out.push(r);
    if (!r.ok) break;
  }
  return out;
}

/** The ids of the tasks waiting in a queue, front first. */
export function waitingTaskIds(q: Iterable<QueueNode>): number[] {
  return [...q].map((w) => nodeTask(w).id);
}

/** No waiters on either side, invariants hold. */
export function expectQuiet(...channels: Channel<unknown>[]): void {
  for (const ch of channels) {
    expect(ch.sendq.size, `${ch.describe()} sendq`).toBe(0);
    expect(ch.recvq.size, `${ch.describe()} recvq`).toBe(0);
    checkChannel(ch);
  }
}

/** What a coroutine's operation ended with, recorded by `attempt`. */
export type Outcome = { kind: "ok"; value: unknown } | { kind: "error"; error: "closed" | string };

/** Performs the operation `op()` builds and records how it ended: ChannelClosedError becomes "closed", anything else its text. */
export function* attempt<T>(op: () => Operation<T>, record: (o: Outcome) => void): Generator<unknown, void, unknown> {
  let outcome: Outcome;
  try {
    outcome = { kind: "ok", value: yield* op() };
  } catch (e) {
    outcome = { kind: "error", error: e instanceof ChannelClosedError ? "closed" : String(e) };
  }
  record(outcome);
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

/** Counts how often each value occurs. */
export function tally<T>(values: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}
