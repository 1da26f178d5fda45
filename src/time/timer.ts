/**
 * Timers and tickers with Go 1.23's semantics, on virtual time.
 *
 * A timer's channel `c` is synchronous, as Go 1.23 made it: there is no
 * buffer, so nothing stale can sit in one. Its value is computed when it is
 * received: a receive (or a select's poll) at virtual time `now` gets a value
 * iff the timer is active and its deadline `when` ≤ now; the value is `when`
 * in milliseconds (the instant it fired, as Go's value is the time it was
 * due). Then a timer is spent; a ticker moves `when` to its first tick after
 * `now`, dropping the ticks nobody took (so at most one tick is ever pending,
 * as in Go).
 *
 * Lazy by design: a timer is in the scheduler's heap only while somebody
 * waits on its channel (a parked receive or a select case), at its deadline.
 * A timer nobody waits on costs nothing and keeps nothing alive: no heap
 * entry, so `run()` never waits for it, and a ticker nobody reads never
 * makes `run()` spin. This is Go 1.23's "unreferenced timers are
 * collectable", made deterministic.
 *
 * Invariants:
 * - `when` is a deadline in cycles of the timer's runtime, or UNARMED (stopped,
 *   or spent after its one value was received);
 * - `entry` is in the heap iff `when ≥ 0` and (somebody listens, or it is an
 *   afterFunc timer), and then at deadline `when` (`sync()` restores it after
 *   every change);
 * - a value is delivered only at `when ≤ now`, to one receiver;
 * - after stop() or reset() returns, no value computed from the old settings
 *   can be received (there is nowhere it could be kept).
 *
 * stop() and reset() report whether the timer was active — "its value not
 *   yet received", which is what Go 1.23's Stop returns for a timer whose
 *   deadline passed unreceived too.
 */
import { running } from "../coro/context.js";
import { CoroDefImpl, isGeneratorFunction, type CoroDef, type CoroFn } from "../coro/coro.js";
import { describeValue } from "../describe.js";
import { bug } from "../errors.js";
import type { RecvResult } from "../chan/channel.js";
import type { RecvPort } from "../chan/ports.js";
import { EventSource, recvSourceOf, SourceOp, SourcePort, type SourceResult } from "../chan/source.js";
import { checkDelay, deadlineAfter, msToCycles, NO_CYCLES, UNARMED } from "../sched/clock.js";
import { currentScheduler } from "../sched/current.js";
import { Resource } from "../sched/resource.js";
import { formatMs, resourceResolvers, type Scheduler } from "../sched/scheduler.js";
import { TaskImpl, touch } from "../sched/task.js";
import { Timer as HeapTimer } from "../sched/timers.js";

/** The core behind a Timer or Ticker (assigned in the classes' static blocks), for the spawn-argument resolver. */
let coreOfTimer: (t: Timer) => TimerCore;
let coreOfTicker: (t: Ticker) => TimerCore;

const enum Kind {
  Timer,
  Ticker,
  Func,
}

/** Why an inactive timer is inactive, for reports. */
const enum Rest {
  Active,
  Stopped,
  Spent,
}

/** Options of timer(), ticker(), timeAfter() and afterFunc(). */
export interface TimerOptions {
  /** Shown in dumps and deadlock reports: `Timer#2 "heartbeat"`. */
  name?: string;
}

/** A timer as introspection sees it (reports, a task's touched resources): it cannot stop or reset the timer. */
class TimerRef extends Resource {
  readonly kind = "timer";
  readonly #core: TimerCore;
  constructor(core: TimerCore, sched: Scheduler) {
    super();
    if (this.sched === null) this.attach(sched); // made outside coroutines: it belongs to the default runtime at once
    this.#core = core;
  }
  describe(): string {
    return this.#core.describe();
  }
}

/** The heap entry of a timer: there only while the timer must fire by itself (see the module doc). */
class TimerEntry extends HeapTimer {
  constructor(private readonly core: TimerCore) {
    super();
  }
  fire(): void {
    this.core.fired();
  }
}

/** The state of one timer, ticker or afterFunc timer; the event source behind its channel. */
class TimerCore extends EventSource {
  readonly caseKind = "recv";
  readonly sched: Scheduler;
  readonly ref: TimerRef;
  /** Made the first time the timer must be in the heap: most `timeAfter`s of a select never are. */
  entry: TimerEntry | null = null;
  when = UNARMED;
  /** Ticker period in cycles (NO_CYCLES for timers), and in ms for reports. */
  period = NO_CYCLES;
  periodMs = 0;
  rest = Rest.Active;
  /** The receive operation of `c` (stateless: one per timer, made at its first use). */
  #recvOp: SourceOp<RecvResult<number>> | null = null;

  constructor(
    readonly kind: Kind,
    readonly name: string | undefined,
    readonly fn: CoroFn<[], void> | CoroDef<[], void> | null,
  ) {
    super();
    this.sched = currentScheduler();
    this.ref = new TimerRef(this, this.sched);
  }

  get recvOp(): SourceOp<RecvResult<number>> {
    return (this.#recvOp ??= new SourceOp<RecvResult<number>>(this, this.kind === Kind.Ticker ? "Ticker.c.recv()" : "Timer.c.recv()"));
  }

  /** Sets the deadline `ms` from now (RangeError, nothing changed, past the clock's range). */
  start(what: string, ms: number): void {
    const when = deadlineAfter(what, this.sched.cycles, ms, this.sched.clockHz);
    this.when = when;
    this.rest = Rest.Active;
    this.sync();
  }

  stop(): boolean {
    const active = this.when >= 0;
    this.when = UNARMED;
    this.rest = Rest.Stopped;
    this.sync();
    return active;
  }

  /**
   * A receive is not recorded as a touch (stop and reset are): a loop making a
   * timer per select would grow its task's record by one timer per turn.
   */
  bind(t: TaskImpl): void {
    if (t.sched !== this.sched) throw this.ref.foreignError(t.sched, `coroutine ${String(t)}`);
    t.sched.charge(t.sched.channelOpCycles);
  }

  poll(): SourceResult | undefined {
    if (this.when < 0 || this.when > this.sched.cycles || this.kind === Kind.Func) return undefined;
    return { ok: true, value: this.take() };
  }

  /** The value due at `when`; then spent (timer) or moved past now (ticker). */
  private take(): number {
    const when = this.when;
    const value = this.sched.cyclesToMs(when);
    if (this.period > 0) {
      const now = this.sched.cycles;
      this.when = when + this.period * (1 + Math.floor((now - when) / this.period));
    } else {
      this.when = UNARMED;
      this.rest = Rest.Spent;
    }
    this.sync();
    return value;
  }

  /** The heap entry fired: the clock reached `when`. */
  fired(): void {
    if (this.kind === Kind.Func) {
      this.when = UNARMED;
      this.rest = Rest.Spent;
      this.sched.spawn(this.fn!, []);
      return;
    }
    // Somebody listens (else the entry would not have been in the heap): the oldest gets the value.
    // Unlinked first, so a lone listener's entry is not re-armed only to be taken out again.
    const l = this.takeListener();
    if (l === null) bug(`${this.describe()} fired with nobody listening`);
    const value = this.take();
    l.deliver({ ok: true, value });
  }

  /** Puts the heap entry where the invariant wants it. */
  sync(): void {
    const want = this.when >= 0 && (this.kind === Kind.Func || this.listenerCount > 0);
    let e = this.entry;
    const timers = this.sched.timers;
    if (e !== null && e.heapIndex >= 0) {
      if (want && timers.deadlineOf(e) === this.when) return;
      timers.remove(e);
    }
    if (want) timers.add((e ??= this.entry = new TimerEntry(this)), this.when);
  }

  protected override listenersChanged(): void {
    this.sync();
  }

  label(): string {
    const id = this.ref === undefined ? 0 : this.ref.id;
    const kind = this.kind === Kind.Ticker ? "Ticker" : "Timer";
    return `${kind}${id === 0 ? "" : `#${id}`}${this.name === undefined ? "" : ` ${JSON.stringify(this.name)}`}`;
  }

  /** `Timer#2 "t" (fires at 10 ms)`, `Ticker#3 (every 5 ms, next at 15 ms)`, `Timer#4 (stopped)` */
  describe(): string {
    let state: string;
    if (this.when >= 0) {
      const at = formatMs(this.sched.cyclesToMs(this.when));
      state = this.kind === Kind.Ticker ? `every ${formatMs(this.periodMs)}, next at ${at}` : `${this.kind === Kind.Func ? "runs" : "fires"} at ${at}`;
    } else state = this.rest === Rest.Stopped ? "stopped" : this.kind === Kind.Func ? "ran" : "fired and received";
    return `${this.label()} (${this.kind === Kind.Func ? "afterFunc, " : ""}${state})`;
  }

  describeWait(): string {
    if (this.kind === Kind.Func) return `recv on ${this.describe()}: the channel of an afterFunc timer never delivers (Go's is nil)`;
    return `recv on ${this.describe()}`;
  }

  resources(): readonly object[] {
    return [this.ref];
  }

  /** An armed timer delivers by itself (somebody waits, or this is not asked). */
  get endsByItself(): boolean {
    return this.when >= 0 && this.kind !== Kind.Func;
  }
}

/** Records a stop()/reset() by a coroutine (the leak detector's record); refuses another runtime's. */
function touchFromCaller(core: TimerCore): void {
  const c = running.current;
  if (c instanceof TaskImpl && c.scheduled) touch(c, core.ref);
}

/** The receive-only channel of a timer (a RecvPort usable in select with `recv(timer.c)`). */
class TimerPort extends SourcePort implements RecvPort<number> {
  readonly #core: TimerCore;
  constructor(core: TimerCore) {
    super(core);
    this.#core = core;
  }
  recv(): SourceOp<RecvResult<number>> {
    return this.#core.recvOp;
  }
  tryRecv(): RecvResult<number> | undefined {
    const c = running.current;
    if (c instanceof TaskImpl && c.scheduled) this.#core.bind(c);
    return this.#core.poll() as RecvResult<number> | undefined;
  }
  override toString(): string {
    return `RecvPort(${this.#core.describe()})`;
  }
}
Object.freeze(TimerPort.prototype);

function makePort(core: TimerCore): RecvPort<number> {
  return Object.freeze(new TimerPort(core));
}

function checkOptions(what: string, options: unknown): string | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") throw new TypeError(`${what}: options must be an object, received ${describeValue(options)}`);
  const name: unknown = (options as TimerOptions).name;
  if (name !== undefined && typeof name !== "string") throw new TypeError(`${what}: name must be a string, received ${describeValue(name)}`);
  return name;
}

/** Go's Timer: one value on `c` at the deadline (Go 1.23: synchronous channel, no stale values). */
export class Timer {
  /** Receives the virtual time (ms) the timer fired; blocks forever once stopped or received. */
  readonly c: RecvPort<number>;
  readonly #core: TimerCore;
  static {
    coreOfTimer = (t) => t.#core;
  }

  /** @internal use timer(), timeAfter() or afterFunc() */
  constructor(core: unknown) {
    if (!(core instanceof TimerCore)) throw new TypeError("new Timer() is not public: use timer(ms), timeAfter(ms) or afterFunc(ms, fn)");
    this.#core = core;
    this.c = makePort(core);
  }

  /**
   * Stops the timer. True if that stopped it (it was active: its value not yet
   * received, or its function not yet started); false if it had fired or was
   * already stopped. No receive after stop() sees a value.
   */
  stop(): boolean {
    touchFromCaller(this.#core);
    return this.#core.stop();
  }

  /**
   * Re-arms the timer `ms` from now (a negative delay counts as zero). True
   * if it was active. No receive after reset() sees a value of the old deadline.
   */
  reset(ms: number): boolean {
    const core = this.#core;
    const d = checkDelay("Timer.reset(ms)", ms);
    touchFromCaller(core);
    const active = core.when >= 0;
    core.start("Timer.reset(ms)", d);
    return active;
  }

  toString(): string {
    return this.#core.describe();
  }
}

/** Go's Ticker: a value on `c` every period; ticks a slow receiver misses are dropped (at most one pending). */
export class Ticker {
  /** Receives the virtual time (ms) of each tick. */
  readonly c: RecvPort<number>;
  readonly #core: TimerCore;
  static {
    coreOfTicker = (t) => t.#core;
  }

  /** @internal use ticker() */
  constructor(core: unknown) {
    if (!(core instanceof TimerCore)) throw new TypeError("new Ticker() is not public: use ticker(ms)");
    this.#core = core;
    this.c = makePort(core);
  }

  /** Stops the ticker: no more ticks (receivers blocked on `c` stay blocked, as in Go). */
  stop(): void {
    touchFromCaller(this.#core);
    this.#core.stop();
  }

  /** Stops the ticker and restarts it with period `ms` (> 0): the next tick comes `ms` from now. */
  reset(ms: number): void {
    const core = this.#core;
    const p = checkPeriod("Ticker.reset(ms)", ms, core.sched);
    touchFromCaller(core);
    core.start("Ticker.reset(ms)", ms);
    core.period = p;
    core.periodMs = ms;
  }

  toString(): string {
    return this.#core.describe();
  }
}

/** A ticker period: a positive finite number of ms (Go panics on d ≤ 0), at least one cycle. */
function checkPeriod(what: string, ms: unknown, s: Scheduler): number {
  const d = checkDelay(what, ms);
  if ((ms as number) <= 0) throw new RangeError(`${what}: a ticker period must be positive, received ${describeValue(ms)} (Go's NewTicker panics too)`);
  return Math.max(1, msToCycles(d, s.clockHz));
}

/**
 * A timer whose channel `c` receives the virtual time once, `ms` from now (a
 * negative delay counts as zero). Created inside a coroutine it belongs to
 * that coroutine's runtime; outside, to the default runtime.
 */
export function timer(ms: number, options?: TimerOptions): Timer {
  const d = checkDelay("timer(ms)", ms);
  const core = new TimerCore(Kind.Timer, checkOptions("timer(ms, options)", options), null);
  core.start("timer(ms)", d);
  return new Timer(core);
}

/** A ticker: its channel `c` receives the virtual time every `ms` (> 0), the first tick `ms` from now. */
export function ticker(ms: number, options?: TimerOptions): Ticker {
  const name = checkOptions("ticker(ms, options)", options);
  const s = currentScheduler();
  const period = checkPeriod("ticker(ms)", ms, s);
  const core = new TimerCore(Kind.Ticker, name, null);
  core.start("ticker(ms)", ms);
  core.period = period;
  core.periodMs = ms;
  return new Ticker(core);
}

/**
 * Go's `time.After`: a receive port that delivers the virtual time once,
 * `ms` from now. One fixed deadline, usable in any number of selects; once
 * one receive has taken the value, it never delivers again.
 */
export function timeAfter(ms: number, options?: TimerOptions): RecvPort<number> {
  const d = checkDelay("timeAfter(ms)", ms);
  const core = new TimerCore(Kind.Timer, checkOptions("timeAfter(ms, options)", options), null);
  core.start("timeAfter(ms)", d);
  return makePort(core); // no Timer around it: nobody can stop it, as with Go's time.After
}

/**
 * Runs `fn` in a coroutine of its own `ms` from now, on the timer's runtime.
 * stop() before then prevents it (and returns true); reset() schedules it
 * again. The timer's `c` never delivers (Go's is nil).
 */
export function afterFunc(ms: number, fn: CoroFn<[], void> | CoroDef<[], void>, options?: TimerOptions): Timer {
  const d = checkDelay("afterFunc(ms, fn)", ms);
  if (!isGeneratorFunction(fn) && !CoroDefImpl.isDef(fn))
    throw new TypeError(`afterFunc(ms, fn): fn must be a generator function (function*) or a coro() definition, received ${describeValue(fn)}`);
  const core = new TimerCore(Kind.Func, checkOptions("afterFunc(ms, fn, options)", options), fn);
  core.start("afterFunc(ms, fn)", d);
  return new Timer(core);
}

// A timer, a ticker or a timer's port passed to spawn() counts as touched by the new task (leak detection).
resourceResolvers.push((a: object): Resource | null => {
  if (a instanceof Timer) return coreOfTimer(a).ref;
  if (a instanceof Ticker) return coreOfTicker(a).ref;
  const source = recvSourceOf(a);
  return source instanceof TimerCore ? source.ref : null;
});
