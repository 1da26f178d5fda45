/**
 * The scheduler: spawns coroutines on simulated stacks and drives them. It is
 * the core under the public `Runtime` facade (src/runtime/), and knows
 * nothing of channels, sync primitives or the observe layer: operations park
 * and wake tasks through wait records (wait.ts), observers watch through one
 * hook (observer.ts).
 *
 * The loop is a trampoline: resuming a task runs it to its next suspension
 * and returns here; wake-ups only push onto the run queue. However many tasks
 * wake each other, the JavaScript stack never grows (a million ready tasks
 * overflow nothing).
 *
 * Time is a discrete-event simulation. `cycles` advances by the cost model's
 * charge for every context switch, stack allocation, migration and channel
 * operation; when nothing is runnable and timers are pending, the clock jumps
 * to the earliest deadline (tokio's paused-time auto-advance). `now()` is
 * virtual milliseconds derived from cycles, so `sleep(86_400_000)` costs no
 * wall time.
 *
 * Failures never hide. A task that fails with nobody joining it and no owner
 * (scope) is *unobserved*; the loop stops at the next point where virtual
 * time would advance (or everything is idle) if it is still unobserved then
 * — a spawn-then-join in the same instant still delivers the failure to the
 * joiner — and `run()` cancels what is left and throws it.
 *
 * Invariants (besides task.ts's):
 * - `live` holds exactly the scheduled tasks not yet finished, each at its `liveIndex`;
 * - `cycles = busyCycles + idle cycles skipped by clock jumps`;
 * - `promiseWaits` counts BLOCKED tasks whose wait is a `waitFor` promise;
 * - `unobserved` holds failed tasks whose error nobody has received yet;
 * - while `driving`, `run()`/`runAsync()` refuse to start again;
 * - `wakeExternal` is non-null only while `runAsync()` awaits the event loop;
 *   whatever makes work from outside the loop then (a wake, a spawn, a
 *   cancel) calls it, so runAsync never sleeps on ready work;
 * - `halted` is true only between the end of `run(main)`'s main task and the
 *   return of the drive loop that ran it; `untilCycles` is Infinity except
 *   while `run({ until })` drives.
 *
 * Signals (interrupts, a scope's body abort) are delivered like cancellation
 * but do not end the task: at its current suspension point when it is
 * blocked (it leaves its wait first), else at its next one. A signal is the
 * error its operation throws, or RETURN_SIGNAL, which returns the generator
 * (finally blocks run) so that a scope can unwind its body.
 */
import { bug, CancelledError, DeadlockError, Interrupt, LeftoverError } from "../errors.js";
import { describeValue } from "../describe.js";
import { AddressSpace, DEFAULT_LARGE_STACK_BYTES, type SizeClass, type StackRef, type MemoryStats } from "../memory/index.js";
import { allocAffinityStack, allocOwnedSlot, allocOwnedStack } from "../memory/address-space.js";
import { LARGE_CLASS_INDEX, POOL_SLOT_BYTES, SIZE_CLASS_BY_INDEX, largerSizeClass, sizeClassIndex } from "../memory/size-classes.js";
import { CacheSim, type CacheConfig } from "../memory/cache-sim.js";
import { CHANNEL_PATTERNS, CoroDefImpl, isGeneratorFunction, type ChannelPattern, type CoroDef, type CoroFn } from "../coro/coro.js";
import { mixedCopiesMessage, otherCopyRunning, running } from "../coro/context.js";
import { recordCallChain } from "../coro/call.js";
import { DONE_VOID, RESUME, SUSPEND, SUSPENDED, type Operation } from "../coro/operation.js";
import { F_CLASS_MASK, SLOT_HEADER_BYTES, baseClassFor } from "../coro/stack.js";
import { viewsOf, type BufferViews } from "../coro/views.js";
import { deadlineAfter, NO_CYCLES } from "./clock.js";
import { type CostModel } from "./cost-model.js";
import { CoroutineHandle, type Coroutine } from "./coroutine.js";
import type { Chooser } from "./chooser.js";
import type { RuntimeObserver } from "./observer.js";
import { Random } from "./random.js";
import { LevelQueue, RunQueue, type ReadyQueue } from "./run-queue.js";
import { provenance, Resource } from "./resource.js";
import { TimerHeap } from "./timers.js";
import type { WaitRecord } from "./wait.js";
import { JoinWait, PromiseWait, SLEEP_WAIT } from "./waits.js";
import {
  BLOCKED,
  CANCEL_DELIVERED,
  CANCEL_NONE,
  CANCEL_REQUESTED,
  CANCELLED,
  DONE,
  F_CANCEL,
  F_CANCEL_REQUESTED,
  F_RESUME_ERROR,
  F_SCHEDULED,
  F_SIGNAL,
  F_STATE,
  F_WOKEN,
  FAILED,
  READY,
  RETURN_SIGNAL,
  RUNNING,
  SlotHeader,
  TaskExt,
  TaskImpl,
  type TaskOwner,
  takeResumeValue,
  touch,
  touchedBy,
} from "./task.js";

/**
 * The task's flag bits, as literals for the hot paths (sched/task.ts and
 * coro/stack.ts define them; `checkFlagLiterals` below pins the two together).
 */
const enum Flag {
  State = 7,
  Ready = 0,
  Running = 1,
  Blocked = 2,
  Scheduled = 1 << 3,
  Woken = 1 << 4,
  Cancel = 3 << 5,
  CancelRequested = 1 << 5,
  ResumeError = 1 << 10,
  Signal = 1 << 13,
  ClassShift = 11,
  ClassBits = 3,
}

/** The literals above are the named constants of task.ts and stack.ts; checked once at load. */
function checkFlagLiterals(): void {
  const pairs: [number, number, string][] = [
    [Flag.State, F_STATE, "F_STATE"],
    [Flag.Ready, READY, "READY"],
    [Flag.Running, RUNNING, "RUNNING"],
    [Flag.Blocked, BLOCKED, "BLOCKED"],
    [Flag.Scheduled, F_SCHEDULED, "F_SCHEDULED"],
    [Flag.Woken, F_WOKEN, "F_WOKEN"],
    [Flag.Cancel, F_CANCEL, "F_CANCEL"],
    [Flag.CancelRequested, F_CANCEL_REQUESTED, "F_CANCEL_REQUESTED"],
    [Flag.ResumeError, F_RESUME_ERROR, "F_RESUME_ERROR"],
    [Flag.Signal, F_SIGNAL, "F_SIGNAL"],
    [Flag.ClassBits << Flag.ClassShift, F_CLASS_MASK, "F_CLASS_MASK"],
  ];
  for (const [literal, named, name] of pairs) if (literal !== named) bug(`scheduler flag literal ${literal} is not ${name} (${named})`);
}
checkFlagLiterals();

/** What the scheduler is built from: the facade has validated every field. */
export interface SchedulerConfig {
  readonly memory: AddressSpace;
  readonly name: string;
  readonly cost: CostModel;
  readonly clockHz: number;
  readonly seed: number;
  readonly overflow: "grow" | "error";
  /** Classes raised by a saved profile, by definition name; null when none was given. */
  readonly classOverrides: ReadonlyMap<string, SizeClass> | null;
  /** Affinity pools (`pools: { affinity }`): the class of each channel pattern's pools; absent or null when off. */
  readonly affinity?: Readonly<Record<ChannelPattern, SizeClass>> | null;
  /** The cache model's geometry and miss costs; absent or null when off. */
  readonly cache?: Readonly<CacheConfig> | null;
  /** Patterns learned by a saved profile, by definition name (affinity pools on). */
  readonly patternOverrides?: ReadonlyMap<string, ChannelPattern> | null;
}

/** What spawnWith may set on a task (checked by the facade). */
export interface SpawnOptions {
  readonly name?: string;
  readonly priority?: number;
  /** Absolute virtual ms. */
  readonly deadline?: number;
  readonly channelPattern?: ChannelPattern;
}

/** A coroutine that finished after its deadline (virtual ms). */
export interface MissedDeadline {
  readonly id: number;
  readonly name: string;
  readonly deadline: number;
  readonly finishedAt: number;
  readonly state: "done" | "failed" | "cancelled";
}

/** What a preempted task is resumed with: its operation starts again (see preemptHere). */
/** lastGeneratorFn when there is none: no argument of spawn() can be it (null and undefined could). */
const NO_FUNCTION: unique symbol = Symbol("no generator function yet");

const RESTART: unique symbol = Symbol("restart the operation");

/** Why the loop stopped. */
const enum Idle {
  /** Nothing runnable, no timers due or pending (blocked tasks or promise waits may remain). */
  Quiescent,
  /** runAsync only: the clock would jump while promises are pending; let the event loop run first. */
  BeforeJump,
  /** An unobserved failure is due to be reported. */
  Failed,
  /** run(main): the main task has ended. */
  Halted,
  /** run({ until }): the next timer lies past `until`; the clock stands at `until`. */
  Until,
}

/** What `run(main)` does with the coroutines still live when main returns (RuntimeOptions.leftover). */
export type LeftoverPolicy = "cancel" | "report" | "error";

/** A coroutine still live when run(main)'s main returned: what it was doing then. */
export interface Leftover {
  id: number;
  name: string;
  /** `recv on Channel#1 "jobs" (capacity 0)`, `sleep until 5 ms`, `ready`. */
  doing: string;
}

/** Counters of the run, for stats(). */
export interface SchedulerCounters {
  spawned: number;
  completed: number;
  failed: number;
  cancelled: number;
  live: number;
  contextSwitches: number;
  cycles: number;
  busyCycles: number;
  migrations: number;
  memory: MemoryStats;
  /** The cache model's counters (model output), when it is on. */
  cache?: { accesses: number; l1Misses: number; l2Misses: number; missCycles: number };
}

export class Scheduler {
  readonly memory: AddressSpace;
  readonly name: string;
  readonly cost: CostModel;
  readonly clockHz: number;
  readonly overflowPolicy: "grow" | "error";
  readonly seed: number;
  /** Every random choice the runtime makes (select's poll order) comes from here. */
  readonly random: Random;
  readonly timers = new TimerHeap();
  promiseWaits = 0;
  /** Observers (trace, profiler); null keeps the hot loop to one check. */
  observer: RuntimeObserver | null = null;
  /**
   * Decides the next task, select case, timer order, preemptions and delays
   * instead of FIFO and the seeded generator (sched/chooser.ts): the schedule
   * explorer's hook. Null keeps each decision point to one check.
   */
  chooser: Chooser | null = null;
  /** The iterator every `yield* sleep(ms)` of this runtime holds while it sleeps (SleepIterator below). */
  readonly sleepIterator = new SleepIterator();
  /** Called when the clock is about to jump to a timer (everything runnable has run): the leak watch. */
  beforeClockJump: (() => void) | null = null;
  /** The wait-for cycles among blocked tasks, for the DeadlockError of a full deadlock (set by the facade: observe/ finds them). */
  deadlockCycles: (() => readonly string[]) | null = null;
  /** The public object this scheduler serves (the Runtime facade); opaque here. */
  readonly owner: object;
  /** Views over the address space's buffer (tasks read them through here). */
  readonly views: BufferViews;
  /** Cycles per context switch by class index (micro, small, medium, large). */
  readonly switchCosts: readonly number[];
  /** Cycles to allocate a stack by class index (micro, small, medium, large): `cost.alloc` as a table. */
  readonly allocCosts: readonly number[];
  /** Cycles to free a stack slot by class index (micro, small, medium, large): `cost.free` as a table. */
  readonly freeCosts: readonly number[];
  /** `cost.channelOp`, one load closer for the channel operations' hot paths. */
  readonly channelOpCycles: number;
  /** `cost.selectCase`, likewise. */
  readonly selectCaseCycles: number;
  /** `cost.guardCheck` when the address space is guarded; -1 when it is not (the switch path tests only this). */
  readonly guardCycles: number;
  /** Ids for channels (and other resources) first used here: per runtime, so two runs of one program print the same. */
  nextResourceId = 1;
  /**
   * The failed task that last touched a resource: a deadlock on that resource
   * was caused by the failure (DeadlockError's `cause`). Weak: a resource
   * nobody holds any more needs no explanation.
   */
  readonly failedToucher = new WeakMap<object, TaskImpl>();

  /** A plain FIFO until a priority or a deadline appears, then a LevelQueue (see useLevels). */
  private queue: ReadyQueue<TaskImpl> = new RunQueue<TaskImpl>();
  /** Affinity pools: the class per channel pattern; null when off. */
  readonly affinity: Readonly<Record<ChannelPattern, SizeClass>> | null;
  private readonly patternOverrides: ReadonlyMap<string, ChannelPattern> | null;
  /** The cache model (`cache` option); null when off, and then nothing below touches it. */
  readonly cache: CacheSim | null;
  /** Coroutines that finished after their deadline, in finishing order. */
  readonly missedDeadlines: MissedDeadline[] = [];
  private readonly live: TaskImpl[] = [];
  private unobserved: TaskImpl[] = [];
  private lowLevelLive = 0;
  /** The clock; double fields from their initialisers, 0 from the constructor on (clock.ts: NO_CYCLES). */
  private _cycles = NO_CYCLES;
  /** Cycles the clock jumped while nothing ran (busy = _cycles − _idleCycles: a charge is one add). */
  private _idleCycles = NO_CYCLES;
  private nextTaskId = 1;
  /**
   * One-entry caches of spawn's checks, for spawn loops that pass one function and one shared object: the
   * generator function spawned last, and the last object argument that was no resource (whether an object is
   * a resource is fixed when it is made: brands). Cleared when a run goes idle, so they hold nothing for long.
   */
  private lastGeneratorFn: unknown = NO_FUNCTION;
  private lastPlainArg: object | null = null;
  private driving = false;
  private wakeExternal: (() => void) | null = null;
  private readonly classOverrides: ReadonlyMap<string, SizeClass> | null;
  // Counters as plain fields: the hot loop bumps them on every switch.
  private spawnedCount = 0;
  private completedCount = 0;
  private failedCount = 0;
  private cancelledCount = 0;
  private switchCount = 0;
  private migrationCount = 0;
  /** Passes of runAsync's loop through the event loop (tests check it does not spin). */
  eventLoopTurns = 0;
  /** (first task id, outside-resource epoch) pairs: see epochOf. */
  private readonly epochBreaks: number[] = [];
  private lastEpoch = 0;
  /** Cleaning up after a failure: run what is ready (finally blocks) but let no virtual time pass. */
  private stopping = false;
  /** run(main): main has ended, the drive loop returns after this step (see the module doc). */
  private halted = false;
  /** run({ until }): the clock does not jump past this many cycles. */
  private untilCycles = Infinity;

  constructor(config: SchedulerConfig, owner: object) {
    this._cycles = 0;
    this._idleCycles = 0;
    this.owner = owner;
    this.memory = config.memory;
    this.name = config.name;
    this.cost = config.cost;
    this.clockHz = config.clockHz;
    this.overflowPolicy = config.overflow;
    this.seed = config.seed;
    this.random = new Random(config.seed);
    this.classOverrides = config.classOverrides;
    this.affinity = config.affinity ?? null;
    this.cache = config.cache === undefined || config.cache === null ? null : new CacheSim(config.cache);
    this.patternOverrides = config.patternOverrides ?? null;
    this.views = viewsOf(this.memory.buffer);
    const cs = this.cost.contextSwitch;
    this.switchCosts = [cs.micro, cs.small, cs.medium, cs.large];
    const free = this.cost.free;
    this.freeCosts = SIZE_CLASS_BY_INDEX.map((c) => free[c]);
    const alloc = this.cost.alloc;
    this.allocCosts = SIZE_CLASS_BY_INDEX.map((c) => alloc[c]);
    this.channelOpCycles = this.cost.channelOp;
    this.selectCaseCycles = this.cost.selectCase;
    this.guardCycles = this.memory.guarded ? this.cost.guardCheck : -1;
  }

  /** Simulated cycles elapsed: the clock (model output, not measured time). */
  get cycles(): number {
    return this._cycles;
  }

  /** Virtual milliseconds: cycles / clockHz × 1000. */
  now(): number {
    return (this._cycles / this.clockHz) * 1000;
  }

  cyclesToMs(cycles: number): number {
    return (cycles / this.clockHz) * 1000;
  }

  /** The id the next task will get (resources note it as their birth: sched/resource.ts). */
  get nextTaskIdPeek(): number {
    return this.nextTaskId;
  }

  /**
   * The outside-resource count (sched/resource.ts `provenance.outside`) when
   * task `id` was created: tasks created after a resource may hold it in a closure.
   */
  epochOf(id: number): number {
    const b = this.epochBreaks;
    // Pairs (first task id, epoch), ascending: the last pair at or below `id`.
    let lo = 0;
    let hi = b.length / 2 - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b[2 * mid] <= id) {
        found = b[2 * mid + 1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Context switches so far (the leak watch amortises its checks over them). */
  get contextSwitches(): number {
    return this.switchCount;
  }

  get isDriving(): boolean {
    return this.driving;
  }

  counters(): SchedulerCounters {
    return {
      spawned: this.spawnedCount,
      completed: this.completedCount,
      failed: this.failedCount,
      cancelled: this.cancelledCount,
      live: this.live.length,
      contextSwitches: this.switchCount,
      cycles: this._cycles,
      busyCycles: this._cycles - this._idleCycles,
      migrations: this.migrationCount,
      memory: this.memory.stats(),
      ...(this.cache === null
        ? {}
        : { cache: { accesses: this.cache.accesses, l1Misses: this.cache.l1Misses, l2Misses: this.cache.l2Misses, missCycles: this.cache.missCycles } }),
    };
  }

  /** The clock jumps to `cycles` with nothing running (idle, not busy). */
  private idleTo(cycles: number): void {
    this._idleCycles += cycles - this._cycles;
    this._cycles = cycles;
  }

  /** Charge modelled work. */
  charge(cycles: number): void {
    this._cycles += cycles;
  }

  // ── spawning ────────────────────────────────────────────────────────────

  /** Spawns `fn(...args)` as a coroutine on its own stack; it runs when the scheduler runs. */
  spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, args: A, options?: SpawnOptions): TaskImpl<R> {
    return this.spawnOwned(fn, args, null, null, options);
  }

  /**
   * spawn() for an owner (a scope, run(main)) that answers for the task's
   * ending: `owner.childEnded` is called once it has finished, and its
   * failure is the owner's to report. With `parkOn`, the task starts BLOCKED
   * on that wait record instead of ready (a scope's limit queues it; the
   * owner wakes it when it may start).
   */
  spawnOwned<A extends unknown[], R>(
    fn: CoroFn<A, R> | CoroDef<A, R>,
    args: A,
    owner: TaskOwner | null,
    parkOn: WaitRecord | null,
    options?: SpawnOptions,
  ): TaskImpl<R> {
    // Channels handed over at spawn count as touched (the leak detector's reachability);
    // one of another runtime is refused before anything is allocated.
    let handed: Resource[] | null = null;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a !== null && typeof a === "object" && a !== this.lastPlainArg) {
        const r = resourceOf(a);
        if (r === null) this.lastPlainArg = a;
        else {
          if (r.sched !== null && r.sched !== this) throw r.foreignError(this, `spawn() argument ${i}`);
          (handed ??= []).push(r);
        }
      }
    }
    const t = this.createTask<A, R>(fn, args, "spawn", options);
    t.flags |= F_SCHEDULED;
    if (options !== undefined) this.applySpawnOptions(t as TaskImpl, options);
    if (handed !== null) for (const r of handed) touch(t as TaskImpl, r); // binds each to this runtime
    t.liveIndex = this.live.length;
    this.live.push(t as TaskImpl);
    this.spawnedCount++;
    if (owner !== null) (t as TaskImpl).owner = owner;
    if (parkOn === null) this.queue.push(t as TaskImpl);
    else this.park(t as TaskImpl, parkOn);
    if (this.observer !== null) {
      this.observer.onSpawn(t as TaskImpl);
      if (parkOn !== null) this.observer.onBlock(t as TaskImpl);
    }
    if (this.wakeExternal !== null) this.notifyExternal();
    return t;
  }

  /**
   * A low-level coroutine you resume by hand (the seed's CoroLifecycle): no
   * scheduler, plain `yield v` values come back from `resume()`.
   */
  create<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, args: A): Coroutine<R> {
    const t = this.createTask<A, R>(fn, args, "create");
    this.lowLevelLive++;
    return new CoroutineHandle<R>(t, () => {
      this.lowLevelLive--;
    });
  }

  /** The size class a definition gets here: a profile may raise it above its metadata. */
  classFor(def: CoroDefImpl): SizeClass {
    const metaClass = def.metadata.sizeClass;
    if (this.classOverrides === null) return metaClass;
    const learned = this.classOverrides.get(def.name);
    return learned !== undefined ? largerSizeClass(metaClass, learned) : metaClass;
  }

  /** spawnWith's options (and the definition's priority when none is given). */
  private applySpawnOptions(t: TaskImpl, options: SpawnOptions): void {
    const ext = t.extOf() as TaskExt;
    if (options.name !== undefined) ext.nameOverride = options.name;
    const priority = options.priority ?? (t.def === null ? 0 : t.def.priority);
    if (options.deadline !== undefined) ext.deadlineCycles = Math.round((options.deadline / 1000) * this.clockHz);
    if (priority !== 0 || options.deadline !== undefined) {
      ext.priority = priority;
      this.useLevels();
    }
  }

  /** Empties spawn's one-entry caches (the run ended; the exact leak detector must see only the program's references). */
  forgetSpawnCaches(): void {
    this.lastGeneratorFn = NO_FUNCTION;
    this.lastPlainArg = null;
  }

  /** Switches the ready queue to strict levels with EDF (once; the queued tasks keep their order: all are at level 0). */
  private useLevels(): void {
    if (this.queue instanceof LevelQueue) return;
    const levels = new LevelQueue<TaskImpl>();
    for (let t = this.queue.shift(); t !== undefined; t = this.queue.shift()) levels.push(t);
    this.queue = levels;
  }

  /**
   * A READY task's effective priority changed (priority inheritance): move it
   * to its new level. A blocked or running task needs nothing: it is queued
   * at its effective priority when it next becomes ready.
   */
  reprioritise(t: TaskImpl): void {
    this.useLevels();
    if ((t.flags & Flag.State) === Flag.Ready && this.queue.remove(t)) this.queue.push(t);
  }

  /** Lends `priority` to `t` (a waiter's, on a lock `t` holds), or takes the loan back with -Infinity. */
  lendPriority(t: TaskImpl, priority: number): void {
    const ext = t.extOf() as TaskExt;
    if (ext.inherited === priority) return;
    ext.inherited = priority;
    this.reprioritise(t);
  }

  private createTask<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, args: A, verb: string, options?: SpawnOptions): TaskImpl<R> {
    let def: CoroDefImpl<A, R> | null = null;
    let sizeClass: SizeClass;
    let bytes: number | undefined;
    let pattern: ChannelPattern | undefined;
    if (fn === this.lastGeneratorFn) {
      sizeClass = "micro"; // the function spawned last, known to be a generator function: no checks again
    } else if (CoroDefImpl.isDef(fn)) {
      def = fn as CoroDefImpl<A, R>;
      sizeClass = this.classFor(def as CoroDefImpl);
      // A guarded slot holds its guard too: the class must fit the stack, the slot header and the guard.
      if (this.guardCycles >= 0 && sizeClass !== "large")
        sizeClass = largerSizeClass(sizeClass, baseClassFor(def.metadata.maxStackBytes ?? def.layout.frameBytes, this.memory.guardBytes));
      if (sizeClass === "large") {
        const m = def.metadata.maxStackBytes;
        bytes = Math.max(DEFAULT_LARGE_STACK_BYTES, m === null ? 0 : (m + SLOT_HEADER_BYTES + 15) & ~15);
      }
    } else if (isGeneratorFunction(fn)) {
      sizeClass = "micro";
      this.lastGeneratorFn = fn;
    } else {
      throw new TypeError(`${verb}() needs a generator function (function*) or a coro() definition, received ${describeCallee(fn)}`);
    }
    if (this.affinity !== null) {
      pattern = options?.channelPattern ?? def?.channelPattern ?? (def === null ? undefined : this.patternOverrides?.get(def.name));
      if (pattern !== undefined && sizeClass !== "large") sizeClass = largerSizeClass(sizeClass, this.affinity[pattern]);
      if (sizeClass === "large") pattern = undefined; // large stacks are heap blocks: no pools to reserve
      if (sizeClass === "large" && bytes === undefined) bytes = DEFAULT_LARGE_STACK_BYTES;
    }
    // owned: the public freeStack refuses it. OutOfMemoryError: nothing changed yet.
    // A plain pool slot is taken by address (no ref object: the common spawn); large and affinity stacks keep their ref.
    const cls = sizeClassIndex(sizeClass);
    let ref: StackRef | null = null;
    let addr: number;
    let slotBytes: number;
    if (pattern === undefined && cls !== LARGE_CLASS_INDEX) {
      addr = allocOwnedSlot(this.memory, cls);
      slotBytes = POOL_SLOT_BYTES[cls] - this.memory.guardBytes;
    } else {
      ref =
        pattern === undefined
          ? allocOwnedStack(this.memory, sizeClass, bytes)
          : allocAffinityStack(this.memory, sizeClass, CHANNEL_PATTERNS.indexOf(pattern) + 1);
      addr = ref.addr;
      slotBytes = ref.bytes;
    }
    const parent = running.current;
    const parentId = parent instanceof TaskImpl && parent.sched === this ? parent.id : 0;
    const t = new TaskImpl<R>(this, this.nextTaskId, parentId, def ?? fn, cls, addr, slotBytes, cls === LARGE_CLASS_INDEX ? ref : null);
    if (pattern !== undefined) (t.extOf() as TaskExt).pattern = pattern;
    if (def !== null && def.priority !== 0) {
      (t.extOf() as TaskExt).priority = def.priority;
      this.useLevels();
    }
    const stack = t; // the task is its stack (see coro/stack.ts)
    try {
      if (def === null) {
        stack.pushHeaderOnly();
        // Calling a generator function binds its parameters: a destructuring that throws, throws here.
        t.gen = callWith(fn as CoroFn<A, R>, args);
      } else {
        // StackOverflowError of the first frame under overflow "error", or a throwing parameter binding.
        const frame = stack.push(def as CoroDefImpl);
        t.gen = def.body(frame as never, ...args);
      }
    } catch (err) {
      stack.destroy(); // leave nothing behind: the slot goes back, the task never existed
      throw err;
    }
    if (provenance.outside !== this.lastEpoch) {
      this.lastEpoch = provenance.outside;
      this.epochBreaks.push(t.id, this.lastEpoch);
    }
    this.nextTaskId++;
    this.charge(this.allocCosts[cls]);
    if (this.observer !== null) this.observer.onAlloc(t, ref ?? t.base);
    return t;
  }

  // ── driving ─────────────────────────────────────────────────────────────

  /**
   * Runs until quiescent: nothing runnable, no timers, nobody blocked.
   * Stops early on an unobserved failure (see the module doc). Throws the
   * failure (AggregateError for several), then a DeadlockError, or an error
   * if tasks still wait on promises (use runAsync).
   */
  run(): void {
    this.enter("run");
    let idle: Idle;
    try {
      idle = this.drive(false);
      if (idle === Idle.Failed) this.cleanUpAfterFailure();
    } finally {
      this.driving = false;
    }
    this.finish(false);
  }

  /** Like run(), but also waits for promises that coroutines wait on (waitFor). */
  async runAsync(): Promise<void> {
    this.enter("runAsync");
    try {
      const idle = await this.driveAsync(false);
      if (idle === Idle.Failed) this.cleanUpAfterFailure();
    } finally {
      this.driving = false;
    }
    this.finish(true);
  }

  // ── run(main) and run({ until }) ────────────────────────────────────────

  /**
   * run(main): spawns `main` and drives until it ends — not until quiescent,
   * as a Go program ends when main returns. Returns its result or throws its
   * error; what is still live then is cancelled (finally blocks run, in that
   * instant) and, per `leftover`, reported (`report(lines)`) or turned into a
   * LeftoverError. An unobserved failure elsewhere, a deadlock or a promise
   * wait before main ends are thrown as run() throws them.
   */
  runMain<R>(fn: CoroFn<[], R> | CoroDef<[], R>, leftover: LeftoverPolicy, report: (left: Leftover[]) => void): R {
    this.enter("run");
    try {
      const main = this.spawnOwned(fn, [], new MainOwner(this), null);
      return this.endMain(main, this.drive(false), leftover, report, false);
    } finally {
      this.driving = false;
      this.halted = false;
    }
  }

  /** run(main) for runAsync: promises that coroutines wait on are awaited too. */
  async runMainAsync<R>(fn: CoroFn<[], R> | CoroDef<[], R>, leftover: LeftoverPolicy, report: (left: Leftover[]) => void): Promise<R> {
    this.enter("runAsync");
    try {
      const main = this.spawnOwned(fn, [], new MainOwner(this), null);
      return this.endMain(main, await this.driveAsync(false), leftover, report, true);
    } finally {
      this.driving = false;
      this.halted = false;
    }
  }

  /** Called by run(main)'s owner when main has ended: the drive loop returns after this step. */
  mainEnded(): void {
    if (!this.stopping) this.halted = true;
  }

  private endMain<R>(main: TaskImpl<R>, idle: Idle, leftover: LeftoverPolicy, report: (left: Leftover[]) => void, async: boolean): R {
    if (idle === Idle.Failed) this.cleanUpAfterFailure();
    if (idle !== Idle.Halted) {
      this.finish(async); // throws: the failures, a promise wait, or the deadlock that keeps main from ending
      bug(`run(main) stopped before main ended (${main.state})`);
    }
    this.halted = false;
    const left = [...this.live].sort((a, b) => a.id - b.id);
    const info: Leftover[] = left.map((t) => ({ id: t.id, name: t.name, doing: t.st === BLOCKED ? (t.waitOn?.describe(t) ?? "blocked") : t.state }));
    const lines = info.map((l) => `#${l.id} ${l.name}: ${l.doing}`);
    if (left.length > 0) this.cleanUpAfterFailure(); // cancel what is left, as a Go program's end stops its goroutines
    if (main.st === FAILED) throw main.error;
    const failures = this.unobserved;
    if (failures.length > 0) {
      this.unobserved = [];
      for (const f of failures) f.observed = true;
      throw failureError(failures);
    }
    if (main.st === CANCELLED) throw cancelledError(main);
    if (lines.length > 0) {
      if (leftover === "error") throw new LeftoverError(lines);
      if (leftover === "report") report(info);
    }
    return main.result as R;
  }

  /**
   * run({ until }): drives until virtual time `untilMs` (inclusive: timers
   * due then fire) and stops with the clock there and everything else still
   * parked — no deadlock report, since code outside may still wake them; the
   * next run() resumes. An unobserved failure stops it as it stops run().
   */
  runUntil(untilCycles: number): void {
    this.enter("run");
    try {
      this.untilCycles = untilCycles;
      const idle = this.drive(false);
      if (idle === Idle.Failed) this.cleanUpAfterFailure();
      else if (this._cycles < untilCycles) this.idleTo(untilCycles); // idle cycles, like a jump
    } finally {
      this.untilCycles = Infinity;
      this.driving = false;
    }
    this.throwFailures();
  }

  /** run({ until }) for runAsync: settled promises are delivered before each clock jump. */
  async runUntilAsync(untilCycles: number): Promise<void> {
    this.enter("runAsync");
    try {
      this.untilCycles = untilCycles;
      const idle = await this.driveAsync(true);
      if (idle === Idle.Failed) this.cleanUpAfterFailure();
      else if (this._cycles < untilCycles) this.idleTo(untilCycles);
    } finally {
      this.untilCycles = Infinity;
      this.driving = false;
    }
    this.throwFailures();
  }

  private throwFailures(): void {
    const failures = this.unobserved;
    if (failures.length === 0) return;
    this.unobserved = [];
    for (const f of failures) f.observed = true;
    throw failureError(failures);
  }

  /**
   * runAsync's loop: drive, letting the event loop run before each clock jump
   * while promises are pending, and sleeping on it when only promises are
   * left — unless `stopWhenQuiescent` (run({ until })): then it lets the
   * event loop run once, and stops if that brought no work.
   */
  private async driveAsync(stopWhenQuiescent: boolean): Promise<Idle> {
    try {
      let mayJump = false;
      let lastSwitches = -1;
      for (;;) {
        const idle = this.drive(!mayJump);
        mayJump = false;
        if (idle === Idle.Failed || idle === Idle.Halted || idle === Idle.Until) return idle;
        if (idle === Idle.Quiescent && this.promiseWaits === 0) return idle;
        if (idle === Idle.Quiescent && stopWhenQuiescent) {
          if (this.switchCount === lastSwitches) return idle; // a turn of the event loop settled nothing
          lastSwitches = this.switchCount;
        }
        this.eventLoopTurns++;
        if (idle === Idle.BeforeJump || stopWhenQuiescent) {
          // Let promises that have settled deliver before virtual time moves on; then jump.
          await new Promise<void>((resolve) => {
            this.wakeExternal = resolve;
            setImmediate(resolve);
          });
          mayJump = true;
        } else {
          // Only promises are left: sleep until one settles (or outside code makes work). No CPU is spent.
          await new Promise<void>((resolve) => {
            this.wakeExternal = resolve;
          });
        }
        this.wakeExternal = null;
      }
    } finally {
      this.wakeExternal = null;
    }
  }

  private enter(verb: string): void {
    if (this.driving) {
      const c = running.current;
      const inside = c instanceof TaskImpl && c.sched === this;
      throw new Error(
        inside
          ? `${verb}() was called from inside coroutine ${String(c)} of the same runtime; a coroutine cannot drive its own scheduler (use yield* with an operation instead)`
          : `${verb}() was called while this runtime is already running`,
      );
    }
    this.driving = true;
  }

  /**
   * The trampoline. Returns when nothing is left to do now (Quiescent), when
   * an unobserved failure is due (Failed), or — only when `yieldBeforeJump` —
   * when it would jump the clock while promises are pending (BeforeJump).
   */
  private drive(yieldBeforeJump: boolean): Idle {
    const timers = this.timers;
    for (;;) {
      if (timers.size !== 0 && timers.peekDeadline() <= this._cycles) this.fireDueTimers();
      const queue = this.queue; // read each turn: a spawn with a priority may switch it to levels
      const t = this.chooser === null ? queue.shift() : this.chosenNext();
      if (t !== undefined) {
        this.step(t);
        if (this.halted) return Idle.Halted;
        continue;
      }
      // Idle: virtual time is about to advance, or everything has stopped.
      if (this.unobserved.length !== 0 && !this.stopping) return Idle.Failed;
      if (timers.size === 0 || this.stopping) {
        queue.trim();
        return Idle.Quiescent;
      }
      if (yieldBeforeJump && this.promiseWaits > 0) return Idle.BeforeJump;
      if (this.beforeClockJump !== null) this.beforeClockJump();
      // Nothing runnable: jump the clock to the next deadline (idle cycles, not busy).
      const next = timers.peekDeadline();
      if (next > this.untilCycles) return Idle.Until;
      if (next > this._cycles) this.idleTo(next);
    }
  }

  private fireDueTimers(): void {
    const timers = this.timers;
    if (this.chooser !== null) return this.fireDueTimersChosen(this.chooser);
    while (timers.size !== 0 && timers.peekDeadline() <= this._cycles) timers.pop()!.fire();
  }

  /** The chooser's pick among the ready tasks (sched/chooser.ts); undefined when none is ready. */
  private chosenNext(): TaskImpl | undefined {
    // With priorities in use the chooser picks among what the levels allow next (the top level's FIFO entries).
    const q = this.queue;
    const ready = q instanceof LevelQueue ? q.eligible() : (q as RunQueue<TaskImpl>);
    const k = this.chooser!.pickTask(ready); // asked also with nothing ready: the chooser sees every step end
    if (q.size === 0) return undefined;
    if (!(k >= 0 && k < ready.size)) bug(`chooser picked task ${k} of ${ready.size} ready`);
    return q instanceof LevelQueue ? q.takeEligible(k) : (q as RunQueue<TaskImpl>).takeAt(k);
  }

  /** Due timers, the chooser ordering those due at the same instant (an index in the order they were set). */
  private fireDueTimersChosen(chooser: Chooser): void {
    const timers = this.timers;
    while (timers.size !== 0 && timers.peekDeadline() <= this._cycles) timers.popChosen(chooser).fire();
  }

  /**
   * A preemption point before an operation of the running task `t` (only
   * with a chooser with `preemptAtOps`): true when the chooser switches `t`
   * out. The task is then READY at the back of the queue, and its operation
   * starts afresh when it next runs (the caller returns SUSPENDED at once,
   * before doing anything).
   */
  preemptHere(t: TaskImpl): boolean {
    const c = this.chooser!;
    const q = this.queue;
    if (!c.preemptAtOps || !c.preempt(t, q instanceof LevelQueue ? q.eligible() : (q as RunQueue<TaskImpl>))) return false;
    t.resume = RESTART;
    t.flags = (t.flags & ~Flag.State) | Flag.ResumeError; // READY; the "error" is the restart token
    this.queue.push(t);
    return true;
  }

  /** Resumes `t` once: to its next suspension, its return or its failure. */
  private step(t: TaskImpl): void {
    // The flags are read once and written once: state, woken, cancellation and
    // "resume is an error" are all bits of them (see task.ts), named by the
    // file-local const enum Flag, which compiles to literals (V8 11 loads an
    // imported constant, a module binding, on every use instead of folding it).
    const f = t.flags;
    if ((f & Flag.State) !== Flag.Ready) bug(`task ${t} in the run queue in state ${t.state}`);
    t.flags = (f & ~(Flag.State | Flag.Woken | Flag.ResumeError)) | Flag.Running;
    const prev = running.current;
    running.current = t;
    const cost = this.switchCosts[(f >>> Flag.ClassShift) & Flag.ClassBits];
    this._cycles += cost;
    this.switchCount++;
    if (this.cache !== null) this.touchSwitch(t);
    if (this.observer !== null) this.observer.onSwitch(t);
    const gen = t.gen;
    // Guarded spaces: a guard the task damaged during its last run is reported now, thrown into it (at its next switch).
    const guardError = this.guardCycles < 0 ? null : this.checkGuards(t, "at its next switch");
    let r: IteratorResult<unknown, unknown>;
    try {
      if (guardError !== null) {
        t.resume = undefined;
        r = gen.throw(guardError);
      } else if ((f & Flag.Cancel) === Flag.CancelRequested && (f & Flag.Woken) === 0) {
        t.cancelState = CANCEL_DELIVERED;
        r = gen.return(undefined as never);
      } else if ((f & Flag.ResumeError) !== 0) {
        const e = t.resume;
        t.resume = undefined;
        // A scope's abort signal returns the generator (finally blocks run); a preempted operation (preemptHere)
        // starts afresh: `undefined` is an operation's first call.
        r = e === RETURN_SIGNAL ? gen.return(undefined as never) : e === RESTART ? gen.next(undefined) : gen.throw(e);
      } else {
        r = gen.next(RESUME);
      }
      while (r.done !== true && r.value !== SUSPEND) {
        // A bare `yield v`: only operations may be yielded under the scheduler.
        r = gen.throw(new TypeError(bareYieldMessage(t, r.value)));
      }
    } catch (err) {
      running.current = prev;
      if ((t.flags & Flag.State) !== Flag.Running) this.undoStrayWait(t);
      this.fail(t, err);
      return;
    }
    running.current = prev;
    if (r.done === true) {
      if ((t.flags & Flag.State) !== Flag.Running) {
        // An operation parked or re-queued the task, but the coroutine went on and returned:
        // the operation was iterated by hand instead of with yield*.
        this.undoStrayWait(t);
        this.fail(t, new TypeError(handIteratedMessage(t)));
        return;
      }
      if (this.guardCycles >= 0) {
        const late = this.checkGuards(t, "when it returned");
        if (late !== null) return this.fail(t, late);
      }
      if (t.cancelState === CANCEL_DELIVERED) this.finishCancelled(t);
      else this.complete(t, r.value);
      return;
    }
    // Suspended: the operation has parked the task (BLOCKED) or re-queued it (READY).
    const st = t.flags & Flag.State;
    if (st === Flag.Blocked) {
      if ((t.flags & (Flag.CancelRequested | Flag.Signal)) !== 0) this.atSuspension(t);
      else if (this.observer !== null) this.observer.onBlock(t);
    } else if (st === Flag.Ready) {
      if ((t.flags & Flag.Signal) !== 0) this.atSuspension(t); // yieldNow with a signal waiting
    } else {
      // SUSPEND reached the scheduler without an operation having parked the task.
      this.fail(t, new TypeError(handIteratedMessage(t)));
    }
  }

  /**
   * The task has just suspended with its own cancellation requested (it
   * cancelled itself while running) or signals waiting: deliver the first
   * now, at this suspension point.
   */
  private atSuspension(t: TaskImpl): void {
    if (t.st === BLOCKED) {
      if ((t.flags & Flag.Cancel) === Flag.CancelRequested) {
        this.unpark(t); // it cancelled itself while running: deliver at this suspension
        t.st = READY;
        this.queue.push(t);
        return;
      }
      if (this.observer !== null) this.observer.onBlock(t);
      if (t.waitOn!.deferSignals === true) return;
    }
    this.deliverSignal(t, this.takeSignal(t));
  }

  /** The first waiting signal of `t`, removed (F_SIGNAL cleared with the last). */
  private takeSignal(t: TaskImpl): unknown {
    const ext = t.ext as TaskExt;
    const signals = ext.signals!;
    const sig = signals.shift();
    if (signals.length === 0) {
      ext.signals = null;
      t.flags &= ~Flag.Signal;
    }
    return sig;
  }

  /** Delivers `sig` to a BLOCKED or READY (not woken) task: its operation throws it (or, for RETURN_SIGNAL, returns). */
  private deliverSignal(t: TaskImpl, sig: unknown): void {
    if (t.st === BLOCKED) {
      this.unpark(t);
      t.st = READY;
      this.queue.push(t);
    }
    t.resume = sig;
    t.flags |= Flag.ResumeError;
    if (this.wakeExternal !== null) this.notifyExternal();
  }

  /**
   * Sends `sig` to `t` (see the module doc): now when it is blocked on a
   * wait that lets signals through and has none waiting, else at its next
   * suspension point; `first` puts it before the signals already waiting
   * (a body abort overtakes interrupts), once. False, and nothing changes,
   * when the task has ended or its cancellation was requested.
   */
  signal(t: TaskImpl, sig: unknown, first = false): boolean {
    if (t.st >= DONE || t.cancelState !== CANCEL_NONE) return false;
    if (t.st === BLOCKED && (t.flags & Flag.Signal) === 0 && t.waitOn!.deferSignals !== true) {
      this.deliverSignal(t, sig);
      return true;
    }
    const ext = t.extOf() as TaskExt;
    const signals = (ext.signals ??= []);
    if (first) {
      if (signals[0] !== sig) signals.unshift(sig);
    } else signals.push(sig);
    t.flags |= Flag.Signal;
    return true;
  }

  /** Removes a RETURN_SIGNAL still waiting for `t`'s next suspension (the scope that asked for it no longer needs it). */
  dropReturnSignal(t: TaskImpl): void {
    if ((t.flags & Flag.Signal) === 0) return;
    const ext = t.ext as TaskExt;
    const signals = ext.signals!;
    const i = signals.indexOf(RETURN_SIGNAL);
    if (i < 0) return;
    signals.splice(i, 1);
    if (signals.length === 0) {
      ext.signals = null;
      t.flags &= ~Flag.Signal;
    }
  }

  /**
   * The running task suspends and is resumed at once with `gen.return()`:
   * how a scope that finished inside a `next()` continues a return that
   * reached it earlier (the frames above it took that return as a yield).
   * The caller then returns SUSPENDED.
   */
  requeueWithReturn(t: TaskImpl): void {
    this.dropReturnSignal(t);
    t.resume = RETURN_SIGNAL;
    t.flags = (t.flags & ~Flag.State) | Flag.ResumeError; // READY
    this.queue.push(t);
  }

  /** task.interrupt(reason): an Interrupt signal (see signal()). */
  interruptTask(t: TaskImpl, reason: unknown): boolean {
    if (t.st >= DONE || t.cancelState !== CANCEL_NONE) return false;
    const desc = reason === undefined ? "" : `: ${safeErrorLine(reason)}`;
    return this.signal(t, new Interrupt(`task #${t.id} ${t.name} was interrupted${desc}`, { cause: reason }));
  }

  /**
   * Cache model: a switch to `t` restores its context from the top of its
   * stack and resumes in its innermost frame: touch that frame's lines (a
   * plain generator's 16-byte header-only frame).
   */
  private touchSwitch(t: TaskImpl): void {
    const top = t.top;
    this.charge(this.cache!.touch(t.sp, top === null ? 16 : top.$$layout.frameBytes));
  }

  /** Cache model (CacheHook): a frame pushed at `addr` is written (its header, its zeroed locals). */
  touchFrame(addr: number, bytes: number): void {
    this.charge(this.cache!.touch(addr, bytes));
  }

  /** Verifies `t`'s guard regions, charging `cost.guardCheck` per segment; the violation, if any (restored). */
  private checkGuards(t: TaskImpl, when: string): Error | null {
    this.charge(this.guardCycles * t.segmentCount);
    return t.guardViolation(when);
  }

  /** A task that ended while parked or queued by a hand-iterated operation: take it off again. */
  private undoStrayWait(t: TaskImpl): void {
    const st = t.flags & 7;
    if (st === BLOCKED) this.unpark(t);
    else if (st === READY) this.queue.remove(t);
    t.st = RUNNING;
  }

  // ── parking and waking (the operations' side) ───────────────────────────

  /** Parks the running task `t` on `wait`. The caller then returns SUSPENDED. */
  park(t: TaskImpl, wait: WaitRecord): void {
    t.flags = (t.flags & ~Flag.State) | Flag.Blocked;
    t.waitOn = wait;
    this.views.f64[(t.baseI32 + SlotHeader.WaitSince) >>> 3] = this._cycles; // baseI32: see CoroStack
  }

  /** Makes a BLOCKED task ready with `value` as its operation's result. */
  wake(t: TaskImpl, value: unknown): void {
    const f = t.flags;
    if ((f & Flag.State) !== Flag.Blocked) bug(`wake of task ${t} in state ${t.state}`);
    t.waitOn = null;
    t.resume = value;
    t.flags = (f & ~(Flag.State | Flag.ResumeError)) | Flag.Woken; // READY
    this.queue.push(t);
    // Cache model: a waker hands its value over into the woken one's frame (a channel partner, a timer).
    if (this.cache !== null) this.charge(this.cache.touch(t.sp, 16));
    if (this.observer !== null) this.observer.onWake(t);
  }

  /** Makes a BLOCKED task ready; its operation throws `error`. */
  wakeWithError(t: TaskImpl, error: unknown): void {
    const f = t.flags;
    if ((f & Flag.State) !== Flag.Blocked) bug(`wake of task ${t} in state ${t.state}`);
    t.waitOn = null;
    t.resume = error;
    t.flags = (f & ~Flag.State) | Flag.ResumeError | Flag.Woken; // READY
    this.queue.push(t);
    if (this.observer !== null) this.observer.onWake(t);
  }

  /** Re-queues the running task at the back (yieldNow). */
  requeue(t: TaskImpl): void {
    t.flags &= ~Flag.State; // READY
    this.queue.push(t);
  }

  /**
   * Code outside the loop made work (a settled promise, a spawn, a cancel, a
   * channel operation outside coroutines): wake a runAsync() that sleeps on
   * the event loop. Wakes from inside the loop need not call it.
   */
  notifyIfAwaiting(): void {
    if (this.wakeExternal !== null) this.notifyExternal();
  }

  private notifyExternal(): void {
    const w = this.wakeExternal;
    if (w !== null) {
      this.wakeExternal = null;
      w();
    }
  }

  private unpark(t: TaskImpl): void {
    const w = t.waitOn;
    t.waitOn = null;
    t.resume = undefined; // a value it offered on a send goes nowhere: the send did not happen
    t.flags &= ~F_RESUME_ERROR;
    if (w !== null) w.cancel(t);
  }

  // ── operations implemented by the scheduler ─────────────────────────────

  /** sleep(ms) for the running task. RangeError (nothing parked) past the clock's exact range. */
  sleepFor(t: TaskImpl, ms: number): void {
    const deadline = deadlineAfter("sleep(ms)", this._cycles, this.chooser === null ? ms : this.chooser.jitter(t, ms), this.clockHz);
    this.timers.add(t, deadline); // the task is its own timer: TaskImpl.fire
    this.park(t, SLEEP_WAIT);
  }

  /**
   * waitFor(p) for the running task. The thenable is adopted with
   * Promise.resolve, so a `then` that throws (or calls back twice, or never)
   * settles the wait as a promise would — a throw fails the wait with that
   * error — and never reaches the scheduler's own state.
   */
  waitForPromise(t: TaskImpl, p: PromiseLike<unknown>): void {
    const w = new PromiseWait(this, t);
    const adopted = Promise.resolve(p);
    this.park(t, w);
    this.promiseWaits++;
    adopted.then(
      (v) => w.settle(true, v),
      (e) => w.settle(false, e),
    );
  }

  joinOperation<R>(target: TaskImpl<R>): Operation<R> {
    return new JoinOp<R>(target);
  }

  /** join for the running task `t`: completes now or parks. */
  joinStart<R>(t: TaskImpl, target: TaskImpl<R>): IteratorResult<unknown, R> {
    switch (target.st) {
      case DONE:
        return { done: true, value: target.result as R };
      case FAILED:
        this.observe(target);
        throw target.error;
      case CANCELLED:
        throw cancelledError(target);
    }
    if (target === t) throw new Error(`task ${t} cannot join itself: it would wait forever`);
    (target.joiners ??= []).push(t);
    this.park(t, new JoinWait(t, target));
    return SUSPENDED as IteratorResult<unknown, R>;
  }

  // ── cancellation and endings ────────────────────────────────────────────

  cancelTask(t: TaskImpl): void {
    if (t.st >= DONE || t.cancelState !== CANCEL_NONE) return;
    t.cancelState = CANCEL_REQUESTED;
    if ((t.flags & Flag.Signal) !== 0) {
      (t.ext as TaskExt).signals = null; // cancellation overrides interrupts and aborts still waiting
      t.flags &= ~Flag.Signal;
    }
    if (t.st === BLOCKED) {
      this.unpark(t);
      t.st = READY;
      this.queue.push(t);
      if (this.wakeExternal !== null) this.notifyExternal();
    }
    // READY: delivered when it is next resumed — unless a waker already completed its
    // operation (t.woken), then at the suspension after it has seen the result, so no
    // value handed over by a partner is lost. RUNNING: at its next suspension (see step).
  }

  private complete(t: TaskImpl, value: unknown): void {
    t.settle(DONE, value);
    this.completedCount++;
    this.release(t);
    const joiners = t.joiners;
    if (joiners !== null) {
      t.joiners = null;
      for (const j of joiners) this.wake(j, value);
    }
    this.tellOwner(t);
  }

  private fail(t: TaskImpl, err: unknown): void {
    recordCallChain(err, t.cstack);
    // Remember which resources the failure leaves hanging (a deadlock on them names it as the cause).
    for (const r of touchedBy(t)) this.failedToucher.set(r, t);
    t.settle(FAILED, err);
    this.failedCount++;
    this.release(t);
    const joiners = t.joiners;
    if (joiners !== null && joiners.length > 0) {
      t.joiners = null;
      t.observed = true;
      for (const j of joiners) this.wakeWithError(j, err);
    } else if (t.owner !== null) {
      t.observed = true; // the owner (a scope) takes the failure
    } else {
      this.unobserved.push(t);
    }
    this.tellOwner(t);
  }

  private finishCancelled(t: TaskImpl): void {
    t.settle(CANCELLED, undefined);
    this.cancelledCount++;
    this.release(t);
    const joiners = t.joiners;
    if (joiners !== null) {
      t.joiners = null;
      for (const j of joiners) this.wakeWithError(j, cancelledError(t));
    }
    this.tellOwner(t);
  }

  private tellOwner(t: TaskImpl): void {
    const owner = t.owner;
    if (owner !== null) owner.childEnded(t);
    const watchers = t.endWatchers;
    if (watchers !== null) {
      t.endWatchers = null;
      for (const w of watchers) w.taskEnded(t);
    }
  }

  /** Frees the task's stack and drops it from the live list. */
  private release(t: TaskImpl): void {
    t.waitOn = null;
    if (t.ext !== null && (t.ext as TaskExt).deadlineCycles !== Infinity) this.noteDeadline(t);
    if (this.observer !== null) this.observer.onEnd(t);
    t.cstack.destroy();
    const i = t.liveIndex;
    if (i >= 0) {
      const last = this.live.pop()!;
      if (last !== t) {
        this.live[i] = last;
        last.liveIndex = i;
      }
      t.liveIndex = -1;
    }
  }

  /** A task with a deadline ends: record it if it ended late. */
  private noteDeadline(t: TaskImpl): void {
    const deadline = (t.ext as TaskExt).deadlineCycles;
    if (this._cycles <= deadline) return;
    const st = t.st;
    this.missedDeadlines.push({
      id: t.id,
      name: t.name,
      deadline: this.cyclesToMs(deadline),
      finishedAt: this.now(),
      state: st === DONE ? "done" : st === FAILED ? "failed" : "cancelled",
    });
  }

  /** A failure reached somebody (a joiner, a select's join case): run() need not report it. */
  observe(t: TaskImpl): void {
    if (t.observed) return;
    t.observed = true;
    const i = this.unobserved.indexOf(t);
    if (i >= 0) this.unobserved.splice(i, 1);
  }

  /**
   * An unobserved failure stops the run, as an unrecovered panic stops a Go
   * program: every other task is cancelled (its finally blocks run, its stack
   * is freed), then finish() throws the failure.
   */
  private cleanUpAfterFailure(): void {
    for (const t of [...this.live]) this.cancelTask(t);
    // Drive the finally blocks, in this instant only; new failures among them join the report.
    this.stopping = true;
    try {
      this.drive(false);
    } finally {
      this.stopping = false;
    }
    // Whatever a finally block left blocked is ended without running more of its code.
    for (const t of [...this.live]) this.forceEnd(t);
  }

  /** Ends a task at once, without resuming it (cleanup after a failure, after its cancellation was delivered). */
  private forceEnd(t: TaskImpl): void {
    for (let s = t.hostedScope; s !== null; s = s.outer) s.abandon(); // its scopes never reach their end: no timer may outlive them
    if (t.st === BLOCKED) this.unpark(t);
    else if (t.st === READY) this.queue.remove(t);
    this.finishCancelled(t);
  }

  /** After the loop: report failures first, then promise waits, then deadlock. */
  private finish(async: boolean): void {
    this.forgetSpawnCaches(); // the run is over: the caches hold nothing past it
    const failures = this.unobserved;
    if (failures.length > 0) {
      this.unobserved = [];
      for (const f of failures) f.observed = true;
      throw failureError(failures);
    }
    if (this.promiseWaits > 0 && !async) {
      throw new Error(
        `run() stopped with ${this.promiseWaits} coroutine${this.promiseWaits === 1 ? "" : "s"} waiting on promises (waitFor); ` +
          `drive this runtime with await rt.runAsync() instead`,
      );
    }
    if (this.live.length > 0) {
      const blocked = this.live.filter((t) => t.st === BLOCKED).sort((a, b) => a.id - b.id);
      if (blocked.length > 0) {
        const lines = blocked.map((t) => `#${t.id} ${t.name}: ${t.waitOn?.describe(t) ?? "blocked"}`);
        throw new DeadlockError(lines, false, this.failureBehind(blocked), this.deadlockCycles === null ? [] : this.deadlockCycles());
      }
    }
  }

  /**
   * The failure that caused a deadlock of `blocked`, if any: a failed task
   * that had touched what one of them waits on (a producer that died).
   */
  failureBehind(blocked: readonly TaskImpl[]): { task: string; error: unknown } | undefined {
    for (const t of blocked) {
      const w = t.waitOn;
      if (w === null) continue;
      for (const r of w.resources(t)) {
        const dead = r instanceof TaskImpl ? (r.st === FAILED ? r : undefined) : this.failedToucher.get(r);
        if (dead !== undefined) return { task: `#${dead.id} ${dead.name}`, error: dead.error };
      }
    }
    return undefined;
  }

  chargeMigration(t: TaskImpl, from: SizeClass, to: SizeClass, bytes: number): void {
    this.migrationCount++;
    this.charge(this.cost.migrate);
    if (this.observer !== null) this.observer.onMigrate(t, from, to, bytes);
  }

  chargeSegment(t: TaskImpl, kind: "alloc" | "free", ref: StackRef): void {
    if (kind === "alloc") {
      this.charge(this.cost.alloc[ref.sizeClass]);
      if (this.observer !== null) this.observer.onAlloc(t, ref);
    } else {
      this.charge(this.cost.free[ref.sizeClass]);
      if (this.observer !== null) this.observer.onFree(t, ref);
    }
  }

  // ── introspection ───────────────────────────────────────────────────────

  /** The live list itself (observers). */
  liveTasks(): readonly TaskImpl[] {
    return this.live;
  }

  readyTasks(): IterableIterator<TaskImpl> {
    return this.queue[Symbol.iterator]();
  }

  /**
   * The exact leak detector's hook (explore/leaks.ts): takes a parked task
   * off the live list for a garbage collection, without ending it; readmit
   * puts back one that survived. A task set aside that ends meanwhile is
   * simply not readmitted (release skips a task off the list).
   */
  setAside(t: TaskImpl): void {
    const i = t.liveIndex;
    if (i < 0) return;
    const last = this.live.pop()!;
    if (last !== t) {
      this.live[i] = last;
      last.liveIndex = i;
    }
    t.liveIndex = -1;
  }

  readmit(t: TaskImpl): void {
    if (t.liveIndex >= 0) return;
    t.liveIndex = this.live.length;
    this.live.push(t);
  }

  /** Every resource some blocked task waits on (the scheduler keeps them alive). */
  heldResources(): Set<object> {
    const held = new Set<object>();
    for (const t of this.live) if (t.waitOn !== null) for (const r of t.waitOn.resources(t)) held.add(r);
    return held;
  }

  /** Cancels every unfinished task and runs their finally blocks; frees every stack. */
  shutdown(): void {
    const c = running.current;
    if (this.driving && c instanceof TaskImpl && c.sched === this) {
      throw new Error(
        `shutdown() was called from inside coroutine ${String(c)} of the same runtime; shutdown cancels every coroutine and must be called from outside them (to end one coroutine, return from it or cancel its task)`,
      );
    }
    for (const t of [...this.live]) this.cancelTask(t);
    this.run();
  }
}

/** The owner of run(main)'s main task: its failure is run()'s to throw, and its end stops the loop. */
class MainOwner implements TaskOwner {
  readonly label = "run(main)";
  readonly hostId = 0;
  constructor(private readonly sched: Scheduler) {}
  childEnded(): void {
    this.sched.mainEnded();
  }
}

/** join(): completes at once when the task has finished, else parks. */
class JoinOp<R> implements Operation<R>, Iterator<unknown, R, unknown> {
  constructor(private readonly target: TaskImpl<R>) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, R> {
    if (x !== undefined) {
      return takeResumeValue<R>();
    }
    const t = currentTaskOrThrow("join()");
    if (this.target.sched !== t.sched) throw new TypeError(`task ${t} cannot join task ${this.target}: it belongs to another runtime`);
    return t.sched.joinStart(t, this.target);
  }
  throw(e: unknown): IteratorResult<unknown, R> {
    // A failed target's error reaches the joiner: it is observed now.
    throw e;
  }
}

/** What run() throws for unobserved failures: the error itself, or an AggregateError listing each. */
/** `fn(...args)` without the spread call for the common arities (a spawn's hot path). */
function callWith<A extends unknown[], R>(fn: CoroFn<A, R>, args: A): Generator<unknown, R, unknown> {
  const f = fn as (...a: unknown[]) => Generator<unknown, R, unknown>;
  switch (args.length) {
    case 0:
      return f();
    case 1:
      return f(args[0]);
    case 2:
      return f(args[0], args[1]);
    case 3:
      return f(args[0], args[1], args[2]);
    default:
      return f(...args);
  }
}

function failureError(failures: readonly TaskImpl[]): unknown {
  if (failures.length === 1) return failures[0].error;
  const lines = failures.map((f) => `#${f.id} ${f.name}: ${errorLine(f.error)}`);
  return new AggregateError(
    failures.map((f) => f.error),
    `${failures.length} coroutines failed and nobody joined them:\n  ${lines.join("\n  ")}`,
  );
}

/** errorLine() that never throws: a hostile value (a Proxy, a throwing getter) is only described. */
function safeErrorLine(e: unknown): string {
  try {
    return errorLine(e);
  } catch {
    return describeValue(e);
  }
}

/** `Error: boom` for an error, the value described otherwise. */
export function errorLine(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `threw ${describeValue(e)}`;
}

/**
 * The resource an argument stands for, if any: channels register a resolver
 * (a channel is itself; a port resolves to its channel) so the scheduler can
 * see them without importing the channel layer.
 */
export const resourceResolvers: ((a: object) => Resource | null)[] = [];

/** The resource `a` stands for (a channel for itself or its ports), or null. */
export function resourceOf(a: object): Resource | null {
  try {
    // Plain data (object literals, arrays) is the common spawn argument and never a resource: every resource
    // stands behind an instance of one of our classes. One prototype read instead of every resolver's brand checks.
    const proto: unknown = Object.getPrototypeOf(a);
    if (proto === Object.prototype || proto === Array.prototype || proto === null) return null;
    for (const r of resourceResolvers) {
      const x = r(a);
      if (x !== null) return x;
    }
  } catch {
    // A Proxy whose traps throw (instanceof runs getPrototypeOf) stands for no resource of ours.
  }
  return null;
}

/**
 * The iterator `yield* sleep(ms)` holds while the coroutine sleeps: one per
 * runtime, long-lived, so nothing allocated for a sleep outlives its start. A
 * SleepOp held across the wait survives the scavenges that run meanwhile and
 * is promoted, one old-space object per sleep, for the mark-compacts to trace
 * and free (at 10⁶ sleeping coroutines that was half the scavenge time of the
 * sleeping phase). It carries a delay only from the take to its first
 * `next()`, which starts the sleep: after that nothing of it is per-sleep
 * (the resume and a thrown cancellation need no state), so every sleeping
 * coroutine of the runtime may hold it at once. While it is taken and not
 * started, a take gets the op itself, so an iterator taken now and driven
 * later keeps its own delay.
 */
export class SleepIterator implements Iterator<unknown, void, unknown> {
  /** The taken delay (delays are ≥ 0); −1 while free. */
  ms = -1;
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID; // the resume (RESUME)
    // First the checks every operation makes (inside a running coroutine, not iterated by hand): refused,
    // the carrier stays taken and keeps its delay.
    const t = currentTaskOrThrow("sleep()");
    const ms = this.ms;
    if (ms < 0) throw new TypeError(REDRIVEN);
    this.ms = -1;
    t.sched.sleepFor(t, ms);
    return SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
}

const REDRIVEN = "sleep(): this sleep has already started; its iterator was driven again by hand (use yield* sleep(ms), which starts it once)";

/**
 * The running scheduled task, for an operation starting now; a TypeError that
 * says what went wrong otherwise: outside every coroutine, in a low-level
 * coroutine, inside a coroutine of another copy of the library, or an
 * operation iterated by hand (its coroutine is not running it with yield*).
 */
export function currentTaskOrThrow(what: string): TaskImpl {
  const c = running.current;
  // Scheduled and RUNNING: flag bits, not instanceof: this runs on every operation.
  if (c !== null && ((c as TaskImpl).flags & (Flag.Scheduled | Flag.State)) === (Flag.Scheduled | Flag.Running)) return c as TaskImpl;
  throw new TypeError(notRunnableMessage(what, c as TaskImpl | null));
}

function notRunnableMessage(what: string, c: TaskImpl | null): string {
  if (c === null) {
    const other = otherCopyRunning();
    if (other !== null) return mixedCopiesMessage(what, other);
    return `${what} must be used inside a coroutine, with yield* (iterating it by hand or calling it outside a coroutine does nothing)`;
  }
  if (!c.scheduled) return `${what} needs the scheduler; a low-level coroutine from rt.create() can only yield plain values and call()`;
  return (
    `${what} was started while coroutine ${String(c)} is ${c.state}, not running it: an operation was iterated by hand ` +
    `(for…of, or .next() on its iterator); use it with yield* so the scheduler suspends and resumes the coroutine`
  );
}

function handIteratedMessage(t: TaskImpl): string {
  return (
    `coroutine ${String(t)} started an operation but did not suspend on it: the operation was iterated by hand ` +
    `(for…of, or .next() on its iterator); use it with yield* so the scheduler suspends and resumes the coroutine`
  );
}

/** What a joiner of cancelled task `t` gets. */
export function cancelledError(t: TaskImpl): CancelledError {
  return new CancelledError(`task #${t.id} ${t.name} was cancelled`);
}

function bareYieldMessage(t: TaskImpl, value: unknown): string {
  const hint = value !== null && typeof value === "object" ? " (did you forget the * in yield*?)" : "";
  return (
    `coroutine #${t.id} ${t.name} yielded ${describeValue(value)}${hint} to the scheduler, but only operations may be yielded under the scheduler: ` +
    `use yield* with an operation (yield* sleep(ms), yield* ch.recv()), or rt.create() for a coroutine that yields plain values`
  );
}

function describeCallee(fn: unknown): string {
  if (typeof fn === "function") {
    let tag: string;
    try {
      tag = Object.prototype.toString.call(fn);
    } catch {
      return `${describeValue(fn)} (a Proxy whose traps throw)`;
    }
    const kind =
      tag === "[object AsyncFunction]" ? "async function" : tag === "[object AsyncGeneratorFunction]" ? "async generator function" : "plain function";
    return `${kind} ${describeValue(fn).slice("function ".length)}`;
  }
  return describeValue(fn);
}

export { formatMs } from "./waits.js";
