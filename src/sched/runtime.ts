/**
 * The runtime: spawns coroutines on simulated stacks and drives them.
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
 * Invariants (besides task.ts's):
 * - `live` holds exactly the tasks not yet finished, each at its `liveIndex`;
 * - `cycles = busyCycles + idle cycles skipped by clock jumps`;
 * - `promiseWaits` counts BLOCKED tasks whose wait is a `waitFor` promise;
 * - `unobserved` holds failed tasks whose error nobody has received yet;
 * - while `driving`, `run()`/`runAsync()` refuse to start again.
 */
import { bug, CancelledError, DeadlockError } from "../errors.js";
import { AddressSpace, DEFAULT_LARGE_STACK_BYTES, type SizeClass, type StackRef, type MemoryStats } from "../memory/index.js";
import { CoroDefImpl, isGeneratorFunction, type CoroDef, type CoroFn } from "../coro/coro.js";
import { running } from "../coro/context.js";
import { recordCallChain } from "../coro/call.js";
import { DONE_VOID, RESUME, SUSPEND, SUSPENDED, type Operation } from "../coro/operation.js";
import { resolveCostModel, type CostModel } from "./cost-model.js";
import { Random } from "./random.js";
import { RunQueue } from "./run-queue.js";
import { Timer, TimerHeap } from "./timers.js";
import type { WaitRecord } from "./wait.js";
import {
  BLOCKED,
  CANCEL_DELIVERED,
  CANCEL_NONE,
  CANCEL_REQUESTED,
  CANCELLED,
  DONE,
  F_RESUME_ERROR,
  F_SCHEDULED,
  FAILED,
  READY,
  TaskImpl,
  takeResumeValue,
  touch,
  type Task,
} from "./task.js";
import { viewsOf, type BufferViews } from "../coro/views.js";
import { CoroutineHandle, type Coroutine } from "./coroutine.js";
import type { RuntimeObserver } from "./observer.js";
import { classOverridesOf, type ProfileData } from "./profile-data.js";
import { addObserver } from "./observer.js";
// The observe layer's entry points. The Runtime is the library's facade, so it
// reaches up to them; observe/ imports only types from here (no value cycle),
// and reaches the hot loop only through the observer hook.
import { Tracer, type TraceJson } from "../observe/trace.js";
import { Profiler, type Profile } from "../observe/profiler.js";
import { dumpRuntime, type CoroDump } from "../observe/dump.js";
import { findDeadlocks, LeakWatch, type DeadlockReport } from "../observe/deadlocks.js";

export interface RuntimeOptions {
  /** Initial size of the SharedArrayBuffer address space, in bytes. */
  memoryBytes?: number;
  /** Growable buffer limit; addresses never move when it grows. */
  maxMemoryBytes?: number;
  /** Pre-allocated slots per class; defaults micro 10 000, small 1 000, medium 100. */
  pools?: { micro?: number; small?: number; medium?: number };
  /** Cycle costs; defaults are the seed's figures. */
  cost?: Partial<CostModel>;
  /** Cycles per simulated second, default 3e9. */
  clockHz?: number;
  /** Seeds every random choice (select fairness): same seed, same run. Default 1. */
  seed?: number;
  /** Stack overflow policy, default "grow". */
  overflow?: "grow" | "error";
  /** Attach to an existing address space (worker threads); its owner must have been created with `shared: true`. */
  buffer?: SharedArrayBuffer;
  /** Create the address space so other threads may attach to it (allocators then use Atomics and locks). Default false. */
  shared?: boolean;
  /** Record events for exportTrace(). */
  trace?: boolean;
  /** A saved rt.profile(): size classes learned from an earlier run. */
  profile?: ProfileData;
  /** Record per-definition stack use for rt.profile() (default false). */
  profiling?: boolean;
  /**
   * Look for partial deadlocks (coroutines that can never wake while others
   * still run) whenever the clock jumps to a timer and when run() ends.
   * true: run() throws a DeadlockError listing them at the end; a function:
   * called with each new report instead. Default: off (rt.deadlocks() works regardless).
   */
  detectLeaks?: boolean | ((reports: DeadlockReport[]) => void);
  /** Name for reports (dumps, traces). */
  name?: string;
}

export interface RuntimeStats {
  spawned: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Tasks not yet finished. */
  live: number;
  contextSwitches: number;
  /** The clock: busy cycles plus idle cycles skipped by timer jumps (model output). */
  cycles: number;
  /** Cycles charged by the cost model for work (model output). */
  busyCycles: number;
  migrations: number;
  memory: MemoryStats;
}

/** A timer that wakes a sleeping task. */
class SleepTimer extends Timer implements WaitRecord {
  readonly kind = "sleep";
  readonly endsByItself = true;
  constructor(
    private readonly rt: Runtime,
    readonly task: TaskImpl,
  ) {
    super();
  }
  fire(): void {
    this.rt.wake(this.task, undefined);
  }
  describe(): string {
    return `sleep until ${formatMs(this.rt.cyclesToMs(this.deadline))}`;
  }
  cancel(): void {
    this.rt.timers.remove(this);
  }
  resources(): readonly object[] {
    return [];
  }
}

/** A task waiting for another task to finish. */
class JoinWait implements WaitRecord {
  readonly kind = "join";
  readonly endsByItself = false;
  constructor(
    readonly waiter: TaskImpl,
    readonly target: TaskImpl,
  ) {}
  describe(): string {
    return `join #${this.target.id} ${this.target.name}`;
  }
  cancel(): void {
    const j = this.target.joiners;
    if (j !== null) {
      const i = j.indexOf(this.waiter);
      if (i >= 0) j.splice(i, 1);
    }
  }
  resources(): readonly object[] {
    return [this.target];
  }
}

/** A task parked on a real promise (runAsync). */
class PromiseWait implements WaitRecord {
  readonly kind = "promise";
  readonly endsByItself = true;
  constructor(
    private readonly rt: Runtime,
    readonly task: TaskImpl,
  ) {}
  settle(ok: boolean, value: unknown): void {
    if (this.task.waitOn !== this) return; // cancelled meanwhile
    this.rt.promiseWaits--;
    if (ok) this.rt.wake(this.task, value);
    else this.rt.wakeWithError(this.task, value);
    this.rt.notifyExternal();
  }
  describe(): string {
    return "waitFor(promise)";
  }
  cancel(): void {
    this.rt.promiseWaits--;
  }
  resources(): readonly object[] {
    return [];
  }
}

let nextRuntimeId = 1;

export class Runtime {
  readonly memory: AddressSpace;
  readonly name: string;
  readonly cost: CostModel;
  readonly clockHz: number;
  readonly overflowPolicy: "grow" | "error";
  readonly seed: number;
  /** @internal */ readonly random: Random;
  /** @internal */ readonly timers = new TimerHeap();
  /** @internal */ promiseWaits = 0;
  /** @internal observers (trace, profiler); null keeps the hot loop to one check. */
  observer: RuntimeObserver | null = null;
  /** @internal views over the address space's buffer (tasks read them through here). */
  readonly views: BufferViews;
  /** @internal cycles per context switch by class index (micro, small, medium, large). */
  readonly switchCosts: readonly number[];
  /** @internal `cost.channelOp`, one load closer for the channel operations' hot paths. */
  readonly channelOpCycles: number;
  /** @internal `cost.selectCase`, likewise. */
  readonly selectCaseCycles: number;

  private readonly queue = new RunQueue<TaskImpl>();
  private readonly live: TaskImpl[] = [];
  private unobserved: TaskImpl[] = [];
  private lowLevelLive = 0;
  private _cycles = 0;
  private _busyCycles = 0;
  private nextTaskId = 1;
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

  constructor(options: RuntimeOptions = {}) {
    if (options === null || typeof options !== "object") throw new TypeError(`Runtime options must be an object, received ${String(options)}`);
    const hz = options.clockHz ?? 3e9;
    if (typeof hz !== "number" || !Number.isFinite(hz) || hz <= 0) throw new RangeError(`clockHz must be a positive finite number, received ${String(hz)}`);
    const overflow = options.overflow ?? "grow";
    if (overflow !== "grow" && overflow !== "error") throw new TypeError(`overflow must be "grow" or "error", received ${JSON.stringify(overflow)}`);
    const seed = options.seed ?? 1;
    this.random = new Random(seed);
    this.seed = seed;
    this.cost = resolveCostModel(options.cost);
    this.clockHz = hz;
    this.overflowPolicy = overflow;
    this.classOverrides = options.profile === undefined ? null : classOverridesOf(options.profile);
    this.memory = new AddressSpace({
      bytes: options.memoryBytes,
      maxBytes: options.maxMemoryBytes,
      pools: options.pools,
      buffer: options.buffer,
      shared: options.shared,
    });
    this.views = viewsOf(this.memory.buffer);
    const cs = this.cost.contextSwitch;
    this.switchCosts = [cs.micro, cs.small, cs.medium, cs.large];
    this.channelOpCycles = this.cost.channelOp;
    this.selectCaseCycles = this.cost.selectCase;
    this.name = options.name ?? `runtime-${nextRuntimeId++}`;
    if (options.trace === true) {
      this.tracer = new Tracer(this);
      addObserver(this, this.tracer);
    }
    if (options.profiling === true) {
      this.profiler = new Profiler(this);
      addObserver(this, this.profiler);
    }
    const leaks = options.detectLeaks;
    if (leaks !== undefined && leaks !== false) {
      if (leaks !== true && typeof leaks !== "function") throw new TypeError(`detectLeaks must be a boolean or a function, received ${String(leaks)}`);
      this.leakWatch = new LeakWatch(this, leaks === true ? null : leaks);
    }
  }

  // ── observability (the observe layer; see docs/DESIGN.md "Observability") ─

  private readonly tracer: Tracer | null = null;
  private readonly profiler: Profiler | null = null;
  private readonly leakWatch: LeakWatch | null = null;

  /** A goroutine dump of every live coroutine: String(dump) reads as text; the dump is plain JSON. */
  dump(): CoroDump {
    return dumpRuntime(this);
  }

  /** Blocked coroutines that can never wake, found while others may still run (a heuristic: see the docs). */
  deadlocks(): DeadlockReport[] {
    return findDeadlocks(this);
  }

  /** The recorded events as Chrome Trace Event JSON (Perfetto, chrome://tracing). Needs { trace: true }. */
  exportTrace(): TraceJson {
    if (this.tracer === null) throw new Error("exportTrace() needs a runtime created with { trace: true }");
    return this.tracer.export();
  }

  /** Per definition: predicted class and bytes against observed high-water, migrations. Needs { profiling: true }. */
  profile(): Profile {
    if (this.profiler === null) throw new Error("profile() needs a runtime created with { profiling: true }");
    return this.profiler.profile();
  }

  /** The address space drawn to scale, with chained stack segments highlighted. */
  heapMapSVG(options: { width?: number; title?: string } = {}): string {
    const highlight: { addr: number; bytes: number; label: string }[] = [];
    for (const t of this.live) {
      const segs = t.cstack.segments;
      for (let i = 1; i < segs.length; i++) highlight.push({ addr: segs[i].addr, bytes: segs[i].bytes, label: `#${t.id} ${t.name} segment ${i + 1}` });
    }
    return this.memory.toSVG({ ...options, highlight });
  }

  /** Simulated cycles elapsed: the clock (model output, not measured time). */
  get cycles(): number {
    return this._cycles;
  }

  /** Virtual milliseconds: cycles / clockHz × 1000. */
  now(): number {
    return (this._cycles / this.clockHz) * 1000;
  }

  /** @internal */
  cyclesToMs(cycles: number): number {
    return (cycles / this.clockHz) * 1000;
  }

  stats(): RuntimeStats {
    return {
      spawned: this.spawnedCount,
      completed: this.completedCount,
      failed: this.failedCount,
      cancelled: this.cancelledCount,
      live: this.live.length,
      contextSwitches: this.switchCount,
      cycles: this._cycles,
      busyCycles: this._busyCycles,
      migrations: this.migrationCount,
      memory: this.memory.stats(),
    };
  }

  /** @internal Charge modelled work. */
  charge(cycles: number): void {
    this._cycles += cycles;
    this._busyCycles += cycles;
  }

  // ── spawning ────────────────────────────────────────────────────────────

  /** Spawns `fn(...args)` as a coroutine on its own stack; it runs when the runtime runs. */
  spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R> {
    const t = this.createTask<A, R>(fn, args, "spawn");
    t.flags |= F_SCHEDULED;
    // Channels handed over at spawn count as touched (the leak detector's reachability).
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a !== null && typeof a === "object") {
        const r = resourceOf(a);
        if (r !== null) touch(t as TaskImpl, r);
      }
    }
    t.liveIndex = this.live.length;
    this.live.push(t as TaskImpl);
    this.spawnedCount++;
    this.queue.push(t as TaskImpl);
    if (this.observer !== null) this.observer.onSpawn(t as TaskImpl);
    return t;
  }

  /**
   * A low-level coroutine you resume by hand (the seed's CoroLifecycle): no
   * scheduler, plain `yield v` values come back from `resume()`.
   */
  create<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Coroutine<R> {
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
    return learned !== undefined && CLASS_RANK[learned] > CLASS_RANK[metaClass] ? learned : metaClass;
  }

  private createTask<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, args: A, verb: string): TaskImpl<R> {
    let def: CoroDefImpl<A, R> | null = null;
    let sizeClass: SizeClass;
    let bytes: number | undefined;
    if (fn instanceof CoroDefImpl) {
      def = fn as CoroDefImpl<A, R>;
      sizeClass = this.classFor(def as CoroDefImpl);
      if (sizeClass === "large") {
        const m = def.metadata.maxStackBytes;
        bytes = Math.max(DEFAULT_LARGE_STACK_BYTES, m === null ? 0 : (m + 15) & ~15);
      }
    } else if (isGeneratorFunction(fn)) {
      sizeClass = "micro";
    } else {
      throw new TypeError(`${verb}() needs a generator function (function*) or a coro() definition, received ${describeCallee(fn)}`);
    }
    const ref = this.memory.allocStack(sizeClass, bytes); // OutOfMemoryError: nothing changed yet
    const t = new TaskImpl<R>(this, this.nextTaskId, def ?? fn, ref);
    const stack = t; // the task is its stack (see coro/stack.ts)
    if (def === null) {
      stack.pushHeaderOnly();
      t.gen = (fn as CoroFn<A, R>)(...args);
    } else {
      let frame;
      try {
        frame = stack.push(def as CoroDefImpl);
      } catch (err) {
        stack.destroy(); // StackOverflowError of the first frame under overflow "error": leave nothing behind
        throw err;
      }
      t.gen = def.body(frame as never, ...args);
    }
    this.nextTaskId++;
    this.charge(this.cost.alloc[sizeClass]);
    if (this.observer !== null) this.observer.onAlloc(t, ref);
    return t;
  }

  // ── driving ─────────────────────────────────────────────────────────────

  /**
   * Runs until quiescent: nothing runnable, no timers, nobody blocked.
   * Throws an unobserved failure (AggregateError for several), then a
   * DeadlockError, or an error if tasks still wait on promises (use runAsync).
   */
  run(): void {
    this.enter("run");
    try {
      this.drive(false);
    } finally {
      this.driving = false;
    }
    this.finish(false);
  }

  /** Like run(), but also waits for promises that coroutines wait on (waitFor). */
  async runAsync(): Promise<void> {
    this.enter("runAsync");
    try {
      for (;;) {
        const idle = this.drive(true);
        if (idle === "quiescent" && this.promiseWaits === 0) break;
        // Let settled promises deliver before virtual time moves on (or wait for one).
        await new Promise<void>((resolve) => {
          this.wakeExternal = resolve;
          if (idle === "timers") setImmediate(resolve);
        });
        this.wakeExternal = null;
      }
    } finally {
      this.driving = false;
      this.wakeExternal = null;
    }
    this.finish(true);
  }

  private enter(verb: string): void {
    if (this.driving) {
      const inside = running.current instanceof TaskImpl && (running.current as TaskImpl).rt === this;
      throw new Error(
        inside
          ? `${verb}() was called from inside coroutine ${String(running.current)} of the same runtime; a coroutine cannot drive its own scheduler (use yield* with an operation instead)`
          : `${verb}() was called while this runtime is already running`,
      );
    }
    this.driving = true;
  }

  /**
   * The trampoline. Returns "quiescent" when nothing is left to do now, or
   * (only when `yieldBeforeJump`) "timers" when it would jump the clock while
   * promises are pending.
   */
  private drive(yieldBeforeJump: boolean): "quiescent" | "timers" {
    const queue = this.queue;
    const timers = this.timers;
    for (;;) {
      if (timers.size !== 0 && timers.peekDeadline() <= this._cycles) this.fireDueTimers();
      const t = queue.shift();
      if (t !== undefined) {
        this.step(t);
        continue;
      }
      if (timers.size === 0) {
        queue.trim();
        return "quiescent";
      }
      if (yieldBeforeJump && this.promiseWaits > 0) return "timers";
      if (this.leakWatch !== null) this.leakWatch.atClockJump(this.switchCount);
      // Nothing runnable: jump the clock to the next deadline (idle cycles, not busy).
      const next = timers.peekDeadline();
      if (next > this._cycles) this._cycles = next;
    }
  }

  private fireDueTimers(): void {
    const timers = this.timers;
    while (timers.size !== 0 && timers.peekDeadline() <= this._cycles) timers.pop()!.fire();
  }

  /** Resumes `t` once: to its next suspension, its return or its failure. */
  private step(t: TaskImpl): void {
    // The flags are read once and written once: state, woken, cancellation and
    // "resume is an error" are all bits of them (see task.ts). Their values are
    // written as literals on this path: V8 11 loads an imported constant (a
    // module binding) on every use instead of folding it.
    const f = t.flags;
    if ((f & 7) !== 0 /* state READY */) bug(`task ${t} in the run queue in state ${t.state}`);
    t.flags = (f & ~(7 | 16 | 1024)) | 1; /* state RUNNING; F_WOKEN and F_RESUME_ERROR cleared */
    const prev = running.current;
    running.current = t;
    const cost = this.switchCosts[(f >>> 11) & 3]; /* classIndexOf(f) */
    this._cycles += cost;
    this._busyCycles += cost;
    this.switchCount++;
    if (this.observer !== null) this.observer.onSwitch(t);
    const gen = t.gen;
    let r: IteratorResult<unknown, unknown>;
    try {
      if ((f & 96) === 32 /* F_CANCEL_REQUESTED */ && (f & 16) === 0 /* not F_WOKEN */) {
        t.cancelState = CANCEL_DELIVERED;
        r = gen.return(undefined as never);
      } else if ((f & 1024) !== 0 /* F_RESUME_ERROR */) {
        const e = t.resume;
        t.resume = undefined;
        r = gen.throw(e);
      } else {
        r = gen.next(RESUME);
      }
      while (r.done !== true && r.value !== SUSPEND) {
        // A bare `yield v`: only operations may be yielded under the scheduler.
        r = gen.throw(new TypeError(bareYieldMessage(t, r.value)));
      }
    } catch (err) {
      running.current = prev;
      this.fail(t, err);
      return;
    }
    running.current = prev;
    if (r.done === true) {
      if (t.cancelState === CANCEL_DELIVERED) this.finishCancelled(t);
      else this.complete(t, r.value);
      return;
    }
    // Suspended: the operation has parked the task (BLOCKED) or re-queued it (READY).
    const st = t.flags & 7;
    if (st === 2 /* BLOCKED */) {
      if ((t.flags & 96) === 32 /* F_CANCEL_REQUESTED */) {
        this.unpark(t); // it cancelled itself while running: deliver at this suspension
        t.st = READY;
        this.queue.push(t);
      } else if (this.observer !== null) this.observer.onBlock(t);
    } else if (st !== 0 /* READY */) bug(`task ${t} suspended in state ${t.state}`);
  }

  // ── parking and waking (the operations' side) ───────────────────────────

  /** Parks the running task `t` on `wait`. The caller then returns SUSPENDED. */
  park(t: TaskImpl, wait: WaitRecord): void {
    t.flags = (t.flags & ~7) | 2; // state BLOCKED (literals on hot paths: see step)
    t.waitOn = wait;
    t.waitSince = this._cycles;
  }

  /** Makes a BLOCKED task ready with `value` as its operation's result. */
  wake(t: TaskImpl, value: unknown): void {
    const f = t.flags;
    if ((f & 7) !== 2 /* BLOCKED */) bug(`wake of task ${t} in state ${t.state}`);
    t.waitOn = null;
    t.resume = value;
    t.flags = (f & ~(7 | 1024)) | 16; // READY, F_WOKEN, not F_RESUME_ERROR
    this.queue.push(t);
    if (this.observer !== null) this.observer.onWake(t);
  }

  /** Makes a BLOCKED task ready; its operation throws `error`. */
  wakeWithError(t: TaskImpl, error: unknown): void {
    const f = t.flags;
    if ((f & 7) !== 2 /* BLOCKED */) bug(`wake of task ${t} in state ${t.state}`);
    t.waitOn = null;
    t.resume = error;
    t.flags = (f & ~7) | 1024 | 16; // READY, F_RESUME_ERROR, F_WOKEN
    this.queue.push(t);
    if (this.observer !== null) this.observer.onWake(t);
  }

  /** Re-queues the running task at the back (yieldNow). */
  requeue(t: TaskImpl): void {
    t.flags &= ~7; // state READY
    this.queue.push(t);
  }

  /** @internal */
  notifyExternal(): void {
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

  /** @internal sleep(ms) for the running task. */
  sleepFor(t: TaskImpl, ms: number): void {
    const timer = new SleepTimer(this, t);
    this.timers.add(timer, this._cycles + msToCycles(ms, this.clockHz));
    this.park(t, timer);
  }

  /** @internal waitFor(p) for the running task. */
  waitForPromise(t: TaskImpl, p: PromiseLike<unknown>): void {
    const w = new PromiseWait(this, t);
    this.park(t, w);
    this.promiseWaits++;
    p.then(
      (v) => w.settle(true, v),
      (e) => w.settle(false, e),
    );
  }

  /** @internal */
  joinOperation<R>(target: TaskImpl<R>): Operation<R> {
    return new JoinOp<R>(target);
  }

  /** @internal join for the running task `t`: completes now or parks. */
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

  /** @internal */
  cancelTask(t: TaskImpl): void {
    if (t.st >= DONE || t.cancelState !== CANCEL_NONE) return;
    t.cancelState = CANCEL_REQUESTED;
    if (t.st === BLOCKED) {
      this.unpark(t);
      t.st = READY;
      this.queue.push(t);
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
  }

  private fail(t: TaskImpl, err: unknown): void {
    recordCallChain(err, t.cstack);
    t.settle(FAILED, err);
    this.failedCount++;
    this.release(t);
    const joiners = t.joiners;
    if (joiners !== null && joiners.length > 0) {
      t.joiners = null;
      t.observed = true;
      for (const j of joiners) this.wakeWithError(j, err);
    } else {
      this.unobserved.push(t);
    }
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
  }

  /** Frees the task's stack and drops it from the live list. */
  private release(t: TaskImpl): void {
    t.waitOn = null;
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

  /** A failure reached somebody: run() need not report it. */
  private observe(t: TaskImpl): void {
    if (t.observed) return;
    t.observed = true;
    const i = this.unobserved.indexOf(t);
    if (i >= 0) this.unobserved.splice(i, 1);
  }

  /** After the loop: report failures first, then promise waits, then deadlock. */
  private finish(async: boolean): void {
    const failures = this.unobserved;
    if (failures.length > 0) {
      this.unobserved = [];
      for (const f of failures) f.observed = true;
      if (failures.length === 1) throw failures[0].error;
      throw new AggregateError(
        failures.map((f) => f.error),
        `${failures.length} coroutines failed and nobody joined them: ${failures.map((f) => `#${f.id} ${f.name}`).join(", ")}`,
      );
    }
    if (this.promiseWaits > 0 && !async) {
      throw new Error(
        `run() stopped with ${this.promiseWaits} coroutine${this.promiseWaits === 1 ? "" : "s"} waiting on promises (waitFor); ` +
          `drive this runtime with await rt.runAsync() instead`,
      );
    }
    if (this.live.length > 0) {
      const lines = this.live
        .filter((t) => t.st === BLOCKED)
        .sort((a, b) => a.id - b.id)
        .map((t) => `#${t.id} ${t.name}: ${t.waitOn?.describe(t) ?? "blocked"}`);
      if (lines.length > 0) throw new DeadlockError(lines);
    }
  }

  /** @internal */
  chargeMigration(t: TaskImpl, from: SizeClass, to: SizeClass, bytes: number): void {
    this.migrationCount++;
    this.charge(this.cost.migrate);
    if (this.observer !== null) this.observer.onMigrate(t, from, to, bytes);
  }

  /** @internal */
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

  /** Every task not yet finished, by id. */
  tasks(): readonly Task[] {
    return [...this.live].sort((a, b) => a.id - b.id);
  }

  /** @internal the live list itself (observers). */
  liveTasks(): readonly TaskImpl[] {
    return this.live;
  }

  /** @internal */
  readyTasks(): IterableIterator<TaskImpl> {
    return this.queue[Symbol.iterator]();
  }

  /**
   * The objects the scheduler keeps alive because tasks wait on them (the
   * seed's use-after-free guard): each blocked task's wait record holds its
   * channels, and the runtime holds the task until it finishes.
   */
  heldResources(): Set<object> {
    const held = new Set<object>();
    for (const t of this.live) if (t.waitOn !== null) for (const r of t.waitOn.resources(t)) held.add(r);
    return held;
  }

  /** Cancels every unfinished task and runs their finally blocks; frees every stack. */
  shutdown(): void {
    for (const t of [...this.live]) t.cancel();
    this.run();
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
    if (this.target.rt !== t.rt) throw new Error(`task ${t} cannot join task ${this.target}: it belongs to another runtime`);
    return t.rt.joinStart(t, this.target);
  }
  throw(e: unknown): IteratorResult<unknown, R> {
    // A failed target's error reaches the joiner: it is observed now.
    throw e;
  }
}

/**
 * The resource an argument stands for, if any: channels register a resolver
 * (a channel is itself; a port resolves to its channel) so the scheduler can
 * see them without importing the channel layer.
 */
export const resourceResolvers: ((a: object) => object | null)[] = [];

function resourceOf(a: object): object | null {
  for (const r of resourceResolvers) {
    const x = r(a);
    if (x !== null) return x;
  }
  return null;
}

const CLASS_RANK: Record<SizeClass, number> = { micro: 0, small: 1, medium: 2, large: 3 };

/** The running scheduled task; operations use it to park themselves. */
export function currentTaskOrThrow(what: string): TaskImpl {
  const c = running.current;
  if (c !== null && ((c as TaskImpl).flags & 8) !== 0) return c as TaskImpl; // F_SCHEDULED: a flag bit, not instanceof, and a literal (see step): this runs on every operation
  throw new TypeError(
    c === null
      ? `${what} must be used inside a coroutine, with yield*`
      : `${what} needs the scheduler; a low-level coroutine from rt.create() can only yield plain values and call()`,
  );
}

export function msToCycles(ms: number, hz: number): number {
  return Math.ceil((ms * hz) / 1000);
}

function cancelledError(t: TaskImpl): CancelledError {
  return new CancelledError(`task #${t.id} ${t.name} was cancelled`);
}

function bareYieldMessage(t: TaskImpl, value: unknown): string {
  return (
    `coroutine #${t.id} ${t.name} yielded ${describeValue(value)} to the scheduler; under the scheduler only operations may be yielded: ` +
    `use yield* with an operation (yield* sleep(ms), yield* ch.recv()), or rt.create() to yield plain values`
  );
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return `function ${v.name || "(anonymous)"}`;
  if (v !== null && typeof v === "object") return `an object (${v.constructor?.name ?? "Object"}) — did you forget the * in yield*?`;
  return String(v);
}

function describeCallee(fn: unknown): string {
  if (typeof fn === "function") {
    const kind =
      Object.prototype.toString.call(fn) === "[object AsyncFunction]"
        ? "async function"
        : Object.prototype.toString.call(fn) === "[object AsyncGeneratorFunction]"
          ? "async generator function"
          : "plain function";
    return `${kind} ${fn.name || "(anonymous)"}`;
  }
  return describeValue(fn);
}

export function formatMs(ms: number): string {
  return `${Number(ms.toFixed(3))} ms`;
}

export { DONE_VOID, SUSPENDED };
