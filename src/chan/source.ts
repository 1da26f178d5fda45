/**
 * Event sources: what a select case (or a plain `yield*`) can wait on besides
 * a channel operation — a timer's channel (src/time/), a task's end
 * (`join(task)`), a promise (`settled(p)`).
 *
 * A source is polled (pass 1 of select: "is a result there now?") and
 * listened to (pass 2: "tell me when there is one"). A listener is either one
 * case of a parked select (`SourceWaiter`, Go's sudog again) or a task parked
 * on the source alone (`SourceWait`, which is also that task's wait record).
 *
 * Invariants:
 * - a listener is linked in at most one source's queue, and only while its
 *   task is BLOCKED on it (a select case that lost, or a cancelled wait,
 *   unlinks at once);
 * - a source delivers a result to a listener only after unlinking it, and
 *   calls `listenersChanged()` after every change of its queue, so a timer
 *   sits in the scheduler's heap only while somebody waits (src/time/timer.ts);
 * - `poll` consumes what it returns: one timer value reaches one receiver.
 */
import { bug } from "../errors.js";
import { SUSPENDED, type Operation } from "../coro/operation.js";
import type { Scheduler } from "../sched/scheduler.js";
import { currentTaskOrThrow } from "../sched/scheduler.js";
import { takeResumeValue, type TaskImpl } from "../sched/task.js";
import type { WaitRecord } from "../sched/wait.js";

/** What a source gives a listener: `{ ok, value }`, and `error` for a failed task or a rejected promise. */
export interface SourceResult {
  readonly ok: boolean;
  readonly value: unknown;
  readonly error?: unknown;
}

/** A waiter on a source: delivered to at most once, after the source has unlinked it. */
export abstract class Listener {
  // Declared and set by the constructor: V8 11 inlines a subclass's `super()`
  // only into a base class without instance field initialisers (see CoroStack's fields).
  declare readonly task: TaskImpl;
  declare sprev: Listener | null;
  declare snext: Listener | null;
  declare source: EventSource | null;
  constructor(task: TaskImpl) {
    this.task = task;
    this.sprev = null;
    this.snext = null;
    this.source = null;
  }
  abstract deliver(result: SourceResult): void;
  /** Leaves its source if still linked (a losing or cancelled case). */
  detach(): void {
    const s = this.source;
    if (s !== null) s.unlisten(this);
  }
}

export abstract class EventSource {
  // The listener queue, declared and set by the constructor (see Listener's fields):
  // every timer, ticker and timeAfter is a subclass (TimerCore), made once per call.
  declare private listenHead: Listener | null;
  declare private listenTail: Listener | null;
  declare private listenSize: number;

  constructor() {
    this.listenHead = null;
    this.listenTail = null;
    this.listenSize = 0;
  }

  /** The public kind of the select cases built on it. */
  abstract readonly caseKind: "recv" | "join" | "settled";

  /** Binds to `t`'s runtime or refuses it (TypeError naming both), and records the touch. Before any poll. */
  abstract bind(t: TaskImpl): void;
  /** A result if one is there now, consumed; undefined if a listener would have to wait. */
  abstract poll(t: TaskImpl | null): SourceResult | undefined;
  /** What a task waiting here waits on, for people: `recv on Timer#2 (fires at 10 ms)`. */
  abstract describeWait(): string;
  /** The objects waited on, for deadlock and leak analysis. */
  abstract resources(): readonly object[];
  /** True when it will deliver with nobody's help (an armed timer, a pending promise). */
  abstract get endsByItself(): boolean;
  /** The queue changed (size given): a timer arms or disarms itself here. */
  protected listenersChanged(_size: number, _listener: Listener, _joined: boolean): void {}

  get listenerCount(): number {
    return this.listenSize;
  }

  listen(l: Listener): void {
    if (l.source !== null) bug("a listener linked twice");
    l.source = this;
    l.snext = null;
    l.sprev = this.listenTail;
    if (this.listenTail === null) this.listenHead = l;
    else this.listenTail.snext = l;
    this.listenTail = l;
    this.listenSize++;
    this.listenersChanged(this.listenSize, l, true);
  }

  unlisten(l: Listener): void {
    if (l.source !== this) bug("unlisten of a listener linked elsewhere");
    const prev = l.sprev;
    const next = l.snext;
    if (prev === null) this.listenHead = next;
    else prev.snext = next;
    if (next === null) this.listenTail = prev;
    else next.sprev = prev;
    l.sprev = l.snext = null;
    l.source = null;
    this.listenSize--;
    this.listenersChanged(this.listenSize, l, false);
  }

  /** The oldest listener, unlinked; null when nobody listens. */
  protected takeListener(): Listener | null {
    const l = this.listenHead;
    if (l !== null) this.unlisten(l);
    return l;
  }

  /** Every listener gets `result` (a task's end, a promise's settlement), oldest first. */
  protected deliverToAll(result: SourceResult): void {
    for (let l = this.takeListener(); l !== null; l = this.takeListener()) l.deliver(result);
  }

  /** The schedulers of the tasks listening (a promise may be waited on from several runtimes). */
  protected *listenerSchedulers(): IterableIterator<Scheduler> {
    for (let l = this.listenHead; l !== null; l = l.snext) yield l.task.sched;
  }
}

let sourceOfPort: (p: object) => EventSource | undefined = () => undefined;

/**
 * A receive port whose values come from an event source, not a channel (a
 * timer's `c`). The source sits in a private field: the port hands out
 * nothing but recv and tryRecv; select finds the source through
 * `recvSourceOf`, which only this layer exports.
 */
export abstract class SourcePort {
  readonly #source: EventSource;
  static {
    sourceOfPort = (p) => (#source in p ? (p as SourcePort).#source : undefined);
  }
  constructor(source: EventSource) {
    this.#source = source;
  }
}

/** The event source behind a SourcePort, or undefined if `p` is none. */
export function recvSourceOf(p: object): EventSource | undefined {
  return sourceOfPort(p);
}

/** A task parked on one source alone (`yield* timer.c.recv()`, `yield* join(task)`): listener and wait record in one. */
export class SourceWait extends Listener implements WaitRecord {
  constructor(
    task: TaskImpl,
    readonly on: EventSource,
    readonly kind: string,
  ) {
    super(task);
  }
  deliver(result: SourceResult): void {
    this.task.sched.wake(this.task, result);
  }
  describe(): string {
    return this.on.describeWait();
  }
  cancel(): void {
    this.detach();
  }
  resources(): readonly object[] {
    return this.on.resources();
  }
  get endsByItself(): boolean {
    return this.on.endsByItself;
  }
}

/**
 * The operation "wait on this source alone": completes at once when a result
 * is there, else parks the task until one is delivered. The result is the
 * source's own (`RecvResult` for a timer, `Outcome` for a task or a promise).
 */
export class SourceOp<R> implements Operation<R>, Iterator<unknown, R, unknown> {
  constructor(
    private readonly source: EventSource,
    private readonly what: string,
  ) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, R> {
    if (x !== undefined) return takeResumeValue<R>();
    const t = currentTaskOrThrow(this.what);
    const s = this.source;
    s.bind(t);
    const r = s.poll(t);
    if (r !== undefined) return { done: true, value: r as R };
    const w = new SourceWait(t, s, s.caseKind);
    s.listen(w);
    t.sched.park(t, w);
    return SUSPENDED as IteratorResult<unknown, R>;
  }
  throw(e: unknown): IteratorResult<unknown, R> {
    throw e;
  }
}
