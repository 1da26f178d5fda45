/**
 * Tasks: scheduled coroutines.
 *
 * State machine (numbers inside, strings outside):
 *
 *   ready ──resume──▶ running ──operation parks──▶ blocked ──wake──▶ ready
 *     ▲                  │  └──yieldNow──────────────────────────────▶ ready
 *     │                  ├──returns──▶ done
 *     │                  ├──throws───▶ failed
 *     └──cancel()────────┴──returns after cancel() was delivered──▶ cancelled
 *
 * Invariants:
 * - a task is in the run queue iff its state is READY;
 * - a BLOCKED task has exactly one wait record (`waitOn`), and nothing else
 *   holds it in a queue; a READY or RUNNING task has none;
 * - a finished task (done, failed, cancelled) has freed its stack, is in no
 *   queue, and never changes again;
 * - `resumeValue` / `resumeError` are set only by the waker, read and cleared
 *   by the operation on resume.
 */
import type { CoroDefImpl } from "../coro/coro.js";
import type { Running } from "../coro/context.js";
import { CoroStack } from "../coro/stack.js";
import { running } from "../coro/context.js";
import type { Operation } from "../coro/operation.js";
import type { AddressSpace, SizeClass, StackRef } from "../memory/index.js";
import type { WaitRecord } from "./wait.js";
import type { Runtime } from "./runtime.js";

export const READY = 0;
export const RUNNING = 1;
export const BLOCKED = 2;
export const DONE = 3;
export const FAILED = 4;
export const CANCELLED = 5;

export type TaskState = "ready" | "running" | "blocked" | "done" | "failed" | "cancelled";
const STATE_NAMES: readonly TaskState[] = ["ready", "running", "blocked", "done", "failed", "cancelled"];

/** Where a task's stack is and how much of it was used. */
export interface StackInfo {
  readonly sizeClass: SizeClass;
  /** Byte address of the first segment. */
  readonly addr: number;
  /** Bytes of every segment the stack owns (the first segment's slot plus chained ones). */
  readonly bytes: number;
  /** The most bytes of frames that were on the stack at once. */
  readonly highWater: number;
  readonly segments: number;
}

/** A scheduled coroutine. */
export interface Task<R = unknown> {
  readonly id: number;
  readonly name: string;
  readonly state: TaskState;
  readonly result: R | undefined;
  readonly error: unknown;
  readonly stack: StackInfo;
  /** Waits for the task and returns its result; rethrows its error; CancelledError if it was cancelled. */
  join(): Operation<R>;
  /** Cancels the task at its current suspension point: finally blocks run, its stack is freed, joiners get CancelledError. */
  cancel(): void;
}

/** No error is pending (a distinct value, since `undefined` can be thrown). */
export const NO_ERROR: unique symbol = Symbol("no error");

/** Cancellation progress. */
export const CANCEL_NONE = 0;
export const CANCEL_REQUESTED = 1;
export const CANCEL_DELIVERED = 2;

export class TaskImpl<R = unknown> extends CoroStack implements Task<R>, Running {
  st: number = READY;
  /** False for low-level coroutines from rt.create(): scheduler operations refuse them. */
  scheduled = false;
  gen!: Generator<unknown, R, unknown>;
  /** Cycles charged per resume (the class's context-switch cost), cached at spawn. */
  switchCost = 0;
  resumeValue: unknown = undefined;
  resumeError: unknown = NO_ERROR;
  cancelState = CANCEL_NONE;
  /**
   * A waker completed this task's operation (a value, an error, a timer) and
   * the task has not resumed since. A cancel() arriving now must not lose
   * that result: it is delivered after the task has seen it, at its next
   * suspension point.
   */
  woken = false;
  waitOn: WaitRecord | null = null;
  /** Cycle count when the current wait began. */
  waitSince = 0;
  joiners: TaskImpl[] | null = null;
  /** A failure was delivered to somebody (a joiner), so run() need not report it. */
  observed = false;
  /** Index in the runtime's live list; -1 once finished. */
  liveIndex = -1;
  result: R | undefined = undefined;
  error: unknown = undefined;
  /**
   * Resources (channels) this task has operated on or was spawned with, for
   * the deadlock and leak detector. The two most recent sit in `touchA` /
   * `touchB` so that a task ping-ponging on two channels records nothing
   * new per operation (two comparisons on the hot path).
   */
  touchA: object | null = null;
  touchB: object | null = null;
  touched: Set<object> | null = null;
  /**
   * A channel layer waiter this task may reuse for its next plain send/recv
   * (Go's per-P sudog cache, per task here): a blocking operation allocates
   * nothing in the steady state. Opaque to the scheduler.
   */
  spareWaiter: object | null = null;

  constructor(
    readonly rt: Runtime,
    readonly id: number,
    readonly def: CoroDefImpl | null,
    /** The spawned generator function when there is no definition (its name is read lazily). */
    private readonly fn: { readonly name: string } | null,
    /** The stack slot it was spawned with. */
    base: StackRef,
  ) {
    super(rt.memory.buffer, base);
  }

  get space(): AddressSpace {
    return this.rt.memory;
  }

  /** Read when needed, not stored: a parked task should weigh as little as possible. */
  get name(): string {
    return this.def !== null ? this.def.name : this.fn?.name || "coroutine";
  }

  get state(): TaskState {
    return STATE_NAMES[this.st];
  }

  get overflow(): "grow" | "error" {
    return this.rt.overflowPolicy;
  }

  get stack(): StackInfo {
    const base = this.base;
    return { sizeClass: base.sizeClass, addr: base.addr, bytes: this.reservedBytes, highWater: this.highWater, segments: this.segmentCount };
  }

  join(): Operation<R> {
    return this.rt.joinOperation(this);
  }

  cancel(): void {
    this.rt.cancelTask(this);
  }

  onMigrate(from: SizeClass, to: SizeClass, bytes: number): void {
    this.rt.chargeMigration(this, from, to, bytes);
  }

  onSegment(kind: "alloc" | "free", ref: StackRef): void {
    this.rt.chargeSegment(this, kind, ref);
  }

  override toString(): string {
    return `#${this.id} ${this.name}`;
  }
}

/**
 * The second move of the operation protocol (coro/operation.ts): the
 * scheduler resumed the running task with RESUME; hand back, and clear, the
 * result its waker left on it.
 */
export function takeResumeValue<T>(): IteratorReturnResult<T> {
  const t = running.current as TaskImpl; // resumed by the scheduler: it is the task
  const v = t.resumeValue as T;
  t.resumeValue = undefined;
  return { done: true, value: v };
}

/** Records that `t` operated on `resource` (see TaskImpl.touched). */
export function touch(t: TaskImpl, resource: object): void {
  if (t.touchA !== resource && t.touchB !== resource) touchSlow(t, resource);
}

function touchSlow(t: TaskImpl, resource: object): void {
  // Only a third distinct resource needs the set: most tasks touch one or two.
  const evicted = t.touchB;
  if (evicted !== null) (t.touched ??= new Set()).add(evicted);
  t.touchB = t.touchA;
  t.touchA = resource;
}

/** Every resource `t` has touched. */
export function touchedBy(t: TaskImpl): object[] {
  const out = t.touched === null ? [] : [...t.touched];
  if (t.touchA !== null && !out.includes(t.touchA)) out.push(t.touchA);
  if (t.touchB !== null && !out.includes(t.touchB)) out.push(t.touchB);
  return out;
}
