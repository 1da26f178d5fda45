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
 * - a BLOCKED task has exactly one wait record (`waitOn`); it is linked in a
 *   channel's wait queue (`qprev`/`qnext`) iff that queue is its record; a
 *   READY or RUNNING task has no record and no links;
 * - a finished task (done, failed, cancelled) has freed its stack, is in no
 *   queue, and never changes again;
 * - while READY after a wake, `resume` (with `F_RESUME_ERROR`) is what the
 *   waker handed over, read and cleared by the operation on resume; while
 *   BLOCKED in a channel's send queue it is the value offered; once finished
 *   it is the result (DONE) or the error (FAILED);
 * - `F_SIGNAL` is set iff `ext.signals` holds signals (interrupts, a scope's
 *   body abort) waiting for the task's next suspension point; a task whose
 *   cancellation was requested holds none.
 */
import { CoroDefImpl, type ChannelPattern } from "../coro/coro.js";
import type { Running } from "../coro/context.js";
import { classIndexOf, CoroStack, SLOT_HEADER_BYTES, StackExt, type CacheHook } from "../coro/stack.js";
import { NO_CYCLES } from "./clock.js";
import type { HeapTimer } from "./timers.js";
import { running } from "../coro/context.js";
import type { Operation } from "../coro/operation.js";
import type { BufferViews } from "../coro/views.js";
import type { AddressSpace, SizeClass, StackRef } from "../memory/index.js";
import type { QueueLink, WaitRecord } from "./wait.js";
import type { Resource } from "./resource.js";
import type { Scheduler } from "./scheduler.js";
import { bug } from "../errors.js";

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
  /** The channel-pattern pool its first segment was carved from (affinity pools on), else undefined. */
  readonly pattern?: ChannelPattern;
}

/** A scheduled coroutine. */
export interface Task<R = unknown> {
  readonly id: number;
  readonly name: string;
  readonly state: TaskState;
  readonly result: R | undefined;
  readonly error: unknown;
  readonly stack: StackInfo;
  /** Its scheduling priority (default 0): higher runs first, FIFO within a level. */
  readonly priority: number;
  /** Its deadline in virtual ms (spawnWith({ deadline })), if any: EDF among the ready tasks of its level. */
  readonly deadline: number | undefined;
  /** Waits for the task and returns its result; rethrows its error; CancelledError if it was cancelled. */
  join(): Operation<R>;
  /** Cancels the task at its current suspension point: finally blocks run, its stack is freed, joiners get CancelledError. */
  cancel(): void;
  /**
   * Throws a catchable `Interrupt` (with `reason` as its `cause`) into the
   * task at its current suspension point; it leaves whatever it waits on and
   * may go on afterwards (SimPy's interrupts). A ready or running task gets
   * it at its next suspension point, a child still queued by its scope's
   * limit once it has started. Returns false, doing nothing, when the task
   * has ended or is being cancelled.
   */
  interrupt(reason?: unknown): boolean;
}

/**
 * The task's scalars in the first bytes of its base slot (coro/stack.ts
 * SLOT_HEADER_BYTES), as byte offsets from the slot's address: what only
 * reports read, so a parked coroutine carries them in memory it already has
 * instead of as object fields (a double field would be a 16-byte box besides).
 */
export const enum SlotHeader {
  /** f64: the cycle count when the current wait began. */
  WaitSince = 0,
  /** u32: the spawner's task id. */
  ParentId = 8,
  End = 12,
}
if ((SlotHeader.End as number) > SLOT_HEADER_BYTES) bug(`task.ts: the slot header needs ${SlotHeader.End} bytes, coro/stack.ts reserves ${SLOT_HEADER_BYTES}`);

/** Cancellation progress. */
export const CANCEL_NONE = 0;
export const CANCEL_REQUESTED = 1;
export const CANCEL_DELIVERED = 2;

// The task's bits of `flags` (the stack owns bits 8, 9, 11 and 12: coro/stack.ts).
/** Bits 0–2: the state (READY … CANCELLED). */
export const F_STATE = 7;
/** Driven by a scheduler (operations may park it); clear for low-level coroutines from rt.create(). */
export const F_SCHEDULED = 1 << 3;
/**
 * A waker completed this task's operation (a value, an error, a timer) and
 * the task has not resumed since. A cancel() arriving now must not lose that
 * result: it is delivered after the task has seen it, at its next suspension.
 */
export const F_WOKEN = 1 << 4;
/** Bits 5–6: cancellation progress (CANCEL_NONE … CANCEL_DELIVERED). */
const F_CANCEL_SHIFT = 5;
export const F_CANCEL = 3 << F_CANCEL_SHIFT;
export const F_CANCEL_REQUESTED = CANCEL_REQUESTED << F_CANCEL_SHIFT;
/** A failure was delivered to somebody (a joiner), so run() need not report it. */
const F_OBSERVED = 1 << 7;
/** `resume` holds an error the operation must throw, not a value. */
export const F_RESUME_ERROR = 1 << 10;
/** Signals wait in `ext.signals` for the task's next suspension point (see Scheduler.signal). */
export const F_SIGNAL = 1 << 13;

/**
 * The signal that makes a task's generator *return* at its suspension point
 * instead of throwing: `resume` holds it with `F_RESUME_ERROR` set, and the
 * scheduler calls `gen.return()` for it. Scopes use it to abort their body
 * (uncatchable, finally blocks run) without cancelling the task.
 */
export const RETURN_SIGNAL: object = Object.freeze({ signal: "return" });

/**
 * Who answers for a task's ending besides its joiners: a scope (structured
 * concurrency). `childEnded` is called once, when the task has finished; a
 * failure the owner takes counts as observed (run() does not report it).
 */
export interface TaskOwner {
  childEnded(t: TaskImpl): void;
  /** For dumps: `scope "fetch"`, `run(main)`. */
  readonly label: string;
  /** The task the owner runs in (a scope's host), 0 when none. */
  readonly hostId: number;
}

/** A scope as the task that runs it (its host) sees it: the innermost open one, linked outward. Dumps read it. */
export interface HostedScope {
  readonly label: string;
  /** The scope open around this one on the same task, or null. */
  readonly outer: HostedScope | null;
  /** `2 children, limit 4, cancelled`: the scope's state for people. */
  summary(): string;
  /** The host was ended without running its code (cleanup after a failure): drop the scope's timer and links. */
  abandon(): void;
}

/** Told once when a task ends, after its joiners and owner: a select waiting on `join(task)` (chan/events.ts). */
export interface TaskEndWatcher {
  taskEnded(t: TaskImpl): void;
}

/** The task's cold state (see StackExt): joiners, its owner, and the resources beyond the first it touched. */
export class TaskExt extends StackExt {
  joiners: TaskImpl[] | null = null;
  endWatchers: TaskEndWatcher[] | null = null;
  owner: TaskOwner | null = null;
  /** The innermost scope open on this task (the task is its host). */
  scope: HostedScope | null = null;
  /** Signals waiting for the next suspension point, delivered first to last (F_SIGNAL). */
  signals: unknown[] | null = null;
  touchB: object | null = null;
  touched: Set<object> | null = null;
  // Scheduling (spawnWith, coro({ priority })): cold, so a task that uses none of it carries none of it.
  /** Its own priority (default 0). */
  priority = 0;
  /** The highest priority lent to it (priority inheritance: a waiter on a lock it holds); -Infinity for none. */
  inherited = -Infinity;
  /** Its deadline in cycles (EDF among ready tasks of its level); Infinity for none. */
  deadlineCycles = Infinity;
  /** A name given at spawn (spawnWith({ name })), over the definition's. */
  nameOverride: string | null = null;
  /** The affinity pool its first stack was carved from, when affinity pools are on. */
  pattern: ChannelPattern | undefined = undefined;
}

/**
 * A scheduled coroutine: it is its own stack (CoroStack) and, for a plain
 * send or recv, its own channel waiter (`qprev`/`qnext`).
 *
 * Fifteen fields in all, with the stack's: a parked coroutine is 144 bytes
 * of JavaScript object besides its generator. Small states are bits of
 * `flags`; one field, `resume`, carries whatever the task's current phase
 * needs — the value or error its waker hands over, the value it offers while
 * parked in a channel's send queue, its result or error once finished.
 * Scalars that only reports read live in the slot header (`SlotHeader`):
 * readable while the task is live, its slot's after it ends.
 */
export class TaskImpl<R = unknown> extends CoroStack implements Task<R>, Running, HeapTimer {
  gen!: Generator<unknown, R, unknown>;
  /** See the class doc; `F_RESUME_ERROR` says whether it is an error to throw. */
  resume: unknown = undefined;
  waitOn: WaitRecord | null = null;
  /** Intrusive links of the wait queue a plain send/recv parked this task in (owned by that queue). */
  qprev: QueueLink | null = null;
  qnext: QueueLink | null = null;
  /** Index in the runtime's live list; -1 once finished. */
  liveIndex = -1;
  /** Its place in the timer heap while it sleeps (a sleeping task is its own timer, see `fire`); -1 otherwise. */
  heapIndex = -1;
  /**
   * The resource (channel) this task operated on last, for the deadlock and
   * leak detector; the one before sits in `ext.touchB`, older ones in
   * `ext.touched`. A task ping-ponging on two channels records nothing new
   * per operation.
   */
  touchA: object | null = null;

  constructor(
    readonly sched: Scheduler,
    readonly id: number,
    /** The id of the task that spawned it; 0 when spawned from outside every coroutine (kept in the slot header). */
    parentId: number,
    /** The definition, or the spawned generator function (its name is read lazily). */
    readonly origin: CoroDefImpl | { readonly name: string },
    /** Its first stack segment (see CoroStack's constructor). */
    classIndex: number,
    addr: number,
    bytes: number,
    largeBase: StackRef | null,
  ) {
    super(classIndex, addr, bytes, largeBase);
    const views = sched.views;
    views.f64[(addr + SlotHeader.WaitSince) >>> 3] = NO_CYCLES;
    views.u32[(addr + SlotHeader.ParentId) >>> 2] = parentId;
  }

  /** Cycle count when the current wait began; NO_CYCLES before the first. Read while the task is live (its slot's after). */
  get waitSince(): number {
    return this.sched.views.f64[(this.baseI32 + SlotHeader.WaitSince) >>> 3];
  }

  /** The id of the task that spawned it; 0 when spawned from outside every coroutine. Read while the task is live. */
  get parentId(): number {
    return this.sched.views.u32[(this.baseI32 + SlotHeader.ParentId) >>> 2];
  }

  protected override makeExt(floor: number, usedBytes: number): TaskExt {
    return new TaskExt(floor, usedBytes);
  }

  /** Its sleep's deadline came (the timer heap calls it: a sleeping task is its own timer): wake it. */
  fire(): void {
    this.sched.wake(this, undefined);
  }

  get views(): BufferViews {
    return this.sched.views;
  }

  get space(): AddressSpace {
    return this.sched.memory;
  }

  override get cacheHook(): CacheHook | null {
    return this.sched.cache === null ? null : this.sched;
  }

  get def(): CoroDefImpl | null {
    return CoroDefImpl.isDef(this.origin) ? this.origin : null;
  }

  /** Read when needed, not stored: a parked task should weigh as little as possible. */
  get name(): string {
    const ext = this.ext;
    if (ext !== null && (ext as TaskExt).nameOverride !== null) return (ext as TaskExt).nameOverride!;
    return this.origin.name || "coroutine";
  }

  get priority(): number {
    return this.ext === null ? 0 : (this.ext as TaskExt).priority;
  }

  /** What the ready queue orders by: its priority, or a higher one lent to it (priority inheritance). */
  get effectivePriority(): number {
    const ext = this.ext as TaskExt | null;
    return ext === null ? 0 : Math.max(ext.priority, ext.inherited);
  }

  get deadlineCycles(): number {
    return this.ext === null ? Infinity : (this.ext as TaskExt).deadlineCycles;
  }

  get deadline(): number | undefined {
    const cycles = this.deadlineCycles;
    return cycles === Infinity ? undefined : this.sched.cyclesToMs(cycles);
  }

  get pattern(): ChannelPattern | undefined {
    return this.ext === null ? undefined : (this.ext as TaskExt).pattern;
  }

  get st(): number {
    return this.flags & F_STATE;
  }
  set st(v: number) {
    this.flags = (this.flags & ~F_STATE) | v;
  }

  get scheduled(): boolean {
    return (this.flags & F_SCHEDULED) !== 0;
  }

  get cancelState(): number {
    return (this.flags & F_CANCEL) >>> F_CANCEL_SHIFT;
  }
  set cancelState(v: number) {
    this.flags = (this.flags & ~F_CANCEL) | (v << F_CANCEL_SHIFT);
  }

  get observed(): boolean {
    return (this.flags & F_OBSERVED) !== 0;
  }
  set observed(v: boolean) {
    this.flags = v ? this.flags | F_OBSERVED : this.flags & ~F_OBSERVED;
  }

  get state(): TaskState {
    return STATE_NAMES[this.flags & F_STATE];
  }

  get result(): R | undefined {
    return (this.flags & F_STATE) === DONE ? (this.resume as R) : undefined;
  }

  get error(): unknown {
    return (this.flags & F_STATE) === FAILED ? this.resume : undefined;
  }

  /** Ends the task in `state` (DONE, FAILED or CANCELLED) with its result or error. */
  settle(state: number, outcome: unknown): void {
    this.flags = (this.flags & ~(F_STATE | F_RESUME_ERROR | F_WOKEN)) | state;
    this.resume = outcome;
  }

  get joiners(): TaskImpl[] | null {
    return this.ext === null ? null : (this.ext as TaskExt).joiners;
  }
  set joiners(v: TaskImpl[] | null) {
    if (v !== null || this.ext !== null) (this.extOf() as TaskExt).joiners = v;
  }

  get endWatchers(): TaskEndWatcher[] | null {
    return this.ext === null ? null : (this.ext as TaskExt).endWatchers;
  }
  set endWatchers(v: TaskEndWatcher[] | null) {
    if (v !== null || this.ext !== null) (this.extOf() as TaskExt).endWatchers = v;
  }

  get owner(): TaskOwner | null {
    return this.ext === null ? null : (this.ext as TaskExt).owner;
  }
  set owner(v: TaskOwner | null) {
    if (v !== null || this.ext !== null) (this.extOf() as TaskExt).owner = v;
  }

  get hostedScope(): HostedScope | null {
    return this.ext === null ? null : (this.ext as TaskExt).scope;
  }
  set hostedScope(v: HostedScope | null) {
    if (v !== null || this.ext !== null) (this.extOf() as TaskExt).scope = v;
  }

  /** Cycles charged per resume: the class's context-switch cost. */
  get switchCost(): number {
    return this.sched.switchCosts[classIndexOf(this.flags)];
  }

  get overflow(): "grow" | "error" {
    return this.sched.overflowPolicy;
  }

  get stack(): StackInfo {
    const info: StackInfo = {
      sizeClass: this.sizeClass,
      addr: this.baseAddr,
      bytes: this.reservedBytes,
      highWater: this.highWater,
      segments: this.segmentCount,
    };
    const pattern = this.pattern;
    return pattern === undefined ? info : { ...info, pattern };
  }

  join(): Operation<R> {
    return this.sched.joinOperation(this);
  }

  cancel(): void {
    this.sched.cancelTask(this);
  }

  interrupt(reason?: unknown): boolean {
    return this.sched.interruptTask(this, reason);
  }

  onMigrate(from: SizeClass, to: SizeClass, bytes: number): void {
    this.sched.chargeMigration(this, from, to, bytes);
  }

  onSegment(kind: "alloc" | "free", ref: StackRef): void {
    this.sched.chargeSegment(this, kind, ref);
  }

  get watchesSegments(): boolean {
    return this.sched.observer !== null;
  }

  onSlotFree(classIndex: number): void {
    this.sched.charge(this.sched.freeCosts[classIndex]);
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
  const v = t.resume as T;
  t.resume = undefined;
  return { done: true, value: v };
}

/**
 * Records that `t` operated on `resource` (see TaskImpl.touchA), and binds
 * the resource to `t`'s runtime on its first touch there (sched/resource.ts):
 * a resource `t` touched before is already bound to it, so the binding check
 * costs nothing on the common path. TypeError (nothing recorded) when the
 * resource belongs to another runtime.
 */
export function touch(t: TaskImpl, resource: Resource): void {
  if (t.touchA === resource) return;
  // The second resource of a task ping-ponging on two, checked inline too.
  const ext = t.ext;
  if (ext === null || (ext as TaskExt).touchB !== resource) touchSlow(t, resource);
}

function touchSlow(t: TaskImpl, resource: Resource): void {
  if (resource.sched !== t.sched) resource.bindTo(t);
  const ext = t.ext === null ? null : (t.ext as TaskExt);
  const prev = t.touchA;
  t.touchA = resource;
  if (prev === null) return; // the first resource: no ext needed
  // Only a third distinct resource needs the set: most tasks touch one or two.
  const e = ext ?? (t.extOf() as TaskExt);
  if (e.touchB !== null) (e.touched ??= new Set()).add(e.touchB);
  e.touchB = prev;
}

/** Every resource `t` has touched. */
export function touchedBy(t: TaskImpl): object[] {
  const ext = t.ext === null ? null : (t.ext as TaskExt);
  const out = ext === null || ext.touched === null ? [] : [...ext.touched];
  if (t.touchA !== null && !out.includes(t.touchA)) out.push(t.touchA);
  if (ext !== null && ext.touchB !== null && !out.includes(ext.touchB)) out.push(ext.touchB);
  return out;
}
