/**
 * Scopes: structured concurrency (Go's errgroup, a Trio nursery, Kotlin's
 * coroutineScope).
 *
 * `yield* scope(function* (s) { … s.spawn(…) … })` runs the body on the
 * calling coroutine (the scope's *host*) and returns the body's result once
 * the body and every child have ended. The first failure — a child's or the
 * body's — cancels everything else in the scope and is rethrown from it.
 *
 * How it works. The scope's operation is a hand-written iterator
 * (`ScopeRun`) that sits in the host's chain of `yield*` delegations between
 * the code that opened the scope and the body's generator, forwarding every
 * `next`/`throw`/`return` the scheduler delivers. Because it sees them all:
 * - it *aborts the body* (a child failed, `s.cancel()`, a deadline) by asking
 *   the scheduler to deliver a RETURN_SIGNAL to the host: the host's
 *   generators return from the current suspension point (uncatchable, finally
 *   blocks run, like cancellation) down to this scope, which turns the
 *   return into its outcome (the failure, or CancelledError/TimeoutError);
 * - when the host itself is cancelled, or an enclosing scope on the same host
 *   aborts, the return passes through: the scope cancels its children, waits
 *   for them (children's finally blocks first), unwinds its body, and passes
 *   the return on;
 * - it parks the host on its own wait record while children are live.
 * A JavaScript `yield*` turns a return whose inner iterator suspends into a
 * plain yield for the frames above, so a scope that finishes a return later
 * asks the scheduler to deliver it again (`requeueWithReturn`).
 *
 * Invariants:
 * - `activeCount ≤ limit`; `childCount` = `activeCount` + `queue.length`
 *   (the children are the live tasks this scope owns: counted, not listed, so
 *   a spawn and an end cost no set operation; cancelling walks the live list);
 *   a queued child is BLOCKED on `slotWait`, has not started, and is in
 *   `queue` in FIFO order; `dropped` holds queued children cancelled before
 *   they started, until they end;
 * - `failures[0]` is the first failure; once there is one, `cancelled`;
 * - a cancelled scope's children are all cancelled (spawns into it too), and
 *   so is every scope below it in the context tree (`kids`);
 * - phase Body ⇒ the body iterator is live; phase Done ⇒ no child is live,
 *   the timer is off the heap and the scope is off its host's chain and its
 *   parent's `kids`;
 * - the host is parked on `wait` only while the scope has live children.
 */
import { CancelledError, ScopeError } from "../errors.js";
import { describeValue } from "../describe.js";
import { running } from "../coro/context.js";
import type { CoroDef, CoroFn } from "../coro/coro.js";
import { SUSPENDED, type Operation } from "../coro/operation.js";
import { formatMs } from "../sched/waits.js";
import { currentTaskOrThrow, type Scheduler } from "../sched/scheduler.js";
import { Timer } from "../sched/timers.js";
import type { WaitRecord } from "../sched/wait.js";
import { CANCEL_NONE, FAILED, RETURN_SIGNAL, TaskImpl, touch, type HostedScope, type Task, type TaskOwner } from "../sched/task.js";
import type { Channel } from "../chan/channel.js";
import { ContextImpl, makeDoneChannel, type Context } from "./context.js";

/** What a scope's body receives: spawn children, cancel the scope, read its context. */
export interface Scope {
  /** Spawns a child of the scope (like Runtime.spawn); beyond the limit it is queued and starts when a slot frees. */
  spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R>;
  /** Cancels the scope: its children, and its body if still running (see the guide for the outcome). */
  cancel(reason?: unknown): void;
  /** The scope's context: `done()` closes when it is cancelled; children and nested scopes inherit it. */
  readonly context: Context;
}

export interface ScopeOptions {
  /** At most this many children run at once (errgroup's SetLimit); more are queued. A positive integer. */
  limit?: number;
  /** For dumps and messages. */
  name?: string;
}

const enum Phase {
  Body,
  Waiting,
  Done,
}

const enum BodyEnd {
  None,
  Value,
  Threw,
  /** Unwound by a return: an abort, the host's cancellation, an enclosing scope's abort. */
  Returned,
}

/** The scope's state. Created when its operation starts on the host. */
export class ScopeImpl implements TaskOwner, HostedScope {
  readonly sched: Scheduler;
  readonly host: TaskImpl;
  readonly name: string | undefined;
  readonly limit: number;
  /** The context parent: the scope open around this one on the host, else the scope that owns the host. */
  readonly parent: ScopeImpl | null;
  /** The scope open around this one on the same host (restored when this one ends). */
  readonly outer: ScopeImpl | null;
  /** Scopes whose context parent this is (cancellation reaches them). */
  readonly kids = new Set<ScopeImpl>();
  /** Live children (started or queued). */
  childCount = 0;
  /** Children started (counted against the limit). */
  activeCount = 0;
  /** Queued children cancelled before they started, not yet ended (they never counted against the limit). */
  dropped: Set<TaskImpl> | null = null;
  readonly queue: TaskImpl[] = [];
  readonly failures: unknown[] = [];
  readonly wait: ScopeWait;
  readonly slotWait: SlotWait;
  readonly context: ContextImpl;
  phase = Phase.Body;
  bodyEnd = BodyEnd.None;
  bodyValue: unknown = undefined;
  cancelled = false;
  /** Why it was cancelled (CancelledError or TimeoutError); undefined while not (and, after a clean end, until contextErr() asks). */
  err: unknown = undefined;
  /** This scope asked for its body to be aborted (it owns the return that unwinds it). */
  aborting = false;
  /** A return has reached this scope from above and has not yet been passed on or consumed. */
  inReturn = false;
  /** This scope forwarded a return into its body (so the body's end is an unwinding, not a result). */
  returnForwarded = false;
  /** Effective deadline in cycles (the earliest of its own and its parent's), or Infinity. */
  deadline: number;
  timer: DeadlineTimer | null = null;
  doneCh: Channel<never> | null = null;
  /** The API object handed to the body. */
  readonly api: Scope;

  constructor(host: TaskImpl, options: CheckedScopeOptions, ownDeadline: number) {
    this.sched = host.sched;
    this.host = host;
    this.name = options.name;
    this.limit = options.limit;
    const outer = host.hostedScope;
    this.outer = outer instanceof ScopeImpl ? outer : null;
    const owner = host.owner;
    this.parent = this.outer ?? (owner instanceof ScopeImpl ? owner : null);
    this.deadline = Math.min(ownDeadline, this.parent === null ? Infinity : this.parent.deadline);
    this.wait = new ScopeWait(this);
    this.slotWait = new SlotWait(this);
    this.context = new ContextImpl(this);
    this.api = new ScopeApi(this);
    host.hostedScope = this;
    if (this.parent !== null) {
      this.parent.kids.add(this);
      if (this.parent.cancelled) {
        this.cancelled = true; // a context made from a cancelled one starts cancelled (Go)
        this.err = this.parent.err;
      }
    }
  }

  get label(): string {
    return this.name === undefined ? "scope" : `scope ${JSON.stringify(this.name)}`;
  }

  get hostId(): number {
    return this.host.id;
  }

  /** ctx.err(): why the context was cancelled; after a clean end, a CancelledError saying the scope has ended. */
  contextErr(): unknown {
    if (this.err === undefined && this.phase === Phase.Done) this.err = new CancelledError(`${this.label} has ended`);
    return this.err;
  }

  get deadlineMs(): number | undefined {
    return this.deadline === Infinity ? undefined : this.sched.cyclesToMs(this.deadline);
  }

  summary(): string {
    const n = this.childCount;
    const parts = [`${n} child${n === 1 ? "" : "ren"}`];
    if (this.queue.length > 0) parts.push(`${this.queue.length} queued`);
    if (this.limit !== Infinity) parts.push(`limit ${this.limit}`);
    if (this.deadline !== Infinity) parts.push(`deadline ${formatMs(this.sched.cyclesToMs(this.deadline))}`);
    if (this.cancelled) parts.push("cancelled");
    return parts.join(", ");
  }

  // ── children ────────────────────────────────────────────────────────────

  spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, args: A): Task<R> {
    if (this.phase === Phase.Done) {
      throw new ScopeError(`${this.label} has ended: spawn(${describeFn(fn)}) into a scope that is still open (inside its body or one of its children)`);
    }
    const c = running.current;
    if (c instanceof TaskImpl && c.scheduled && c.sched !== this.sched) {
      throw new TypeError(
        `coroutine ${String(c)} of runtime ${JSON.stringify(c.sched.name)} cannot spawn into ${this.label} of runtime ${JSON.stringify(this.sched.name)}`,
      );
    }
    const queued = this.activeCount >= this.limit;
    const t = this.sched.spawnOwned(fn, args, this, queued ? this.slotWait : null);
    this.childCount++;
    if (queued) this.queue.push(t as TaskImpl);
    else this.activeCount++;
    if (this.cancelled) t.cancel(); // Trio: a task started in a cancelled scope is cancelled at once
    return t;
  }

  /** TaskOwner: a child has finished. */
  childEnded(t: TaskImpl): void {
    this.childCount--;
    const wasActive = this.dropped === null || !this.dropped.delete(t);
    if (wasActive) this.activeCount--;
    if (t.st === FAILED) this.fail(t.error); // first: a failure cancels the queued children rather than starting one
    if (wasActive) this.admit();
    if (this.childCount === 0) this.wakeHost();
  }

  /** The live children, from the runtime's live list (cancellation, reports: not a hot path). */
  childList(): TaskImpl[] {
    const out: TaskImpl[] = [];
    for (const t of this.sched.liveTasks()) if (t.ext !== null && t.owner === this) out.push(t);
    return out.sort((a, b) => a.id - b.id);
  }

  /** The children that have started. */
  activeList(): TaskImpl[] {
    return this.childList().filter((t) => !this.queue.includes(t) && (this.dropped === null || !this.dropped.has(t)));
  }

  /** Starts queued children while there is room under the limit. */
  private admit(): void {
    while (this.queue.length > 0 && this.activeCount < this.limit) {
      const next = this.queue.shift()!;
      this.activeCount++;
      this.sched.wake(next, undefined);
    }
  }

  private wakeHost(): void {
    const h = this.host;
    if (h.waitOn === this.wait && h.state === "blocked") this.sched.wake(h, undefined);
  }

  /** A queued child is being cancelled before it started: it leaves the queue. */
  unqueue(t: TaskImpl): void {
    const i = this.queue.indexOf(t);
    if (i >= 0) {
      this.queue.splice(i, 1);
      (this.dropped ??= new Set()).add(t);
    }
  }

  // ── failure and cancellation ────────────────────────────────────────────

  /** A failure in the scope (a child's, the body's): the first cancels everything else. */
  fail(e: unknown): void {
    this.failures.push(e);
    if (this.failures.length === 1) this.cancelWith(new CancelledError(`${this.label} was cancelled by a failure: ${errorText(e)}`, { cause: e }), true);
  }

  /** s.cancel(reason) / ctx.cancel(reason). */
  cancel(reason: unknown): void {
    if (this.phase === Phase.Done) return;
    const why = reason === undefined ? "" : `: ${errorText(reason)}`;
    this.cancelWith(new CancelledError(`${this.label} was cancelled${why}`, { cause: reason }), true);
  }

  /** The deadline has passed. */
  timeout(err: CancelledError): void {
    this.timer = null;
    this.cancelWith(err, true);
  }

  /**
   * Cancels the scope with `err` (ctx.err()): closes done(), cancels every
   * child and every scope below (which do not abort bodies of their own: their
   * hosts are this scope's children, or this scope's host, unwound already),
   * and with `abortBody` aborts this scope's body if it is still running.
   */
  cancelWith(err: unknown, abortBody: boolean): void {
    if (this.cancelled) {
      if (abortBody && !this.aborting) this.abort();
      return;
    }
    this.cancelled = true;
    this.err = err;
    if (this.doneCh !== null && !this.doneCh.closed) this.doneCh.close();
    if (this.childCount > 0) for (const c of this.childList()) c.cancel();
    for (const k of [...this.kids]) k.cancelWith(err, false);
    if (abortBody) this.abort();
  }

  /** Asks for the body to be unwound by a return (see the module doc), unless one is on its way already. */
  private abort(): void {
    if (this.phase !== Phase.Body) return;
    this.aborting = true;
    if (this.inReturn || this.host.cancelState !== CANCEL_NONE) return;
    for (let o = this.outer; o !== null; o = o.outer) if (o.inReturn) return;
    this.sched.signal(this.host, RETURN_SIGNAL, true);
  }

  /** The enclosing scope on the same host that is aborting its body, if any: a return unwinding this one is its. */
  enclosingAborting(): ScopeImpl | null {
    for (let o = this.outer; o !== null; o = o.outer) if (o.aborting && o.phase === Phase.Body) return o;
    return null;
  }

  /** The done() channel, made on first use (closed at once when the scope is already cancelled). */
  doneChannel(): Channel<never> {
    if (this.doneCh === null) {
      this.doneCh = makeDoneChannel(this.label);
      // The host can close it (by cancelling the scope): the leak detector must count it among who holds it.
      touch(this.host, this.doneCh.ref);
      if (this.cancelled) this.doneCh.close();
    }
    return this.doneCh;
  }

  /** HostedScope: the host was ended without running its code; nothing of the scope may outlive it. */
  abandon(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    if (this.timer !== null) {
      this.sched.timers.remove(this.timer);
      this.timer = null;
    }
    if (this.parent !== null) this.parent.kids.delete(this);
  }

  /** The scope has ended: off the host's chain, off its parent, timer removed, its context cancelled (errgroup's Wait). */
  close(): void {
    this.phase = Phase.Done;
    if (this.timer !== null) {
      this.sched.timers.remove(this.timer);
      this.timer = null;
    }
    if (this.host.hostedScope === this) this.host.hostedScope = this.outer;
    if (this.parent !== null) this.parent.kids.delete(this);
    if (!this.cancelled) {
      this.cancelled = true; // err() makes its CancelledError when first asked: an Error's stack trace costs microseconds
      if (this.doneCh !== null && !this.doneCh.closed) this.doneCh.close();
    }
  }
}

/** The object the body gets: the public face of a ScopeImpl. */
class ScopeApi implements Scope {
  readonly #s: ScopeImpl;
  constructor(s: ScopeImpl) {
    this.#s = s;
  }
  spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R> {
    return this.#s.spawn(fn, args);
  }
  cancel(reason?: unknown): void {
    this.#s.cancel(reason);
  }
  get context(): Context {
    return this.#s.context;
  }
  toString(): string {
    return `Scope(${this.#s.label})`;
  }
}

/** The host waiting for the scope's children. */
class ScopeWait implements WaitRecord {
  readonly kind = "scope";
  constructor(readonly scope: ScopeImpl) {}
  get endsByItself(): boolean {
    return this.scope.timer !== null;
  }
  describe(): string {
    const s = this.scope;
    const n = s.childCount;
    return `wait for ${n} child${n === 1 ? "" : "ren"} of ${s.label}${s.cancelled ? " (cancelled)" : ""}`;
  }
  cancel(): void {
    // The host leaves the wait (a signal, its cancellation): ScopeRun sees the next call and re-evaluates.
  }
  resources(): readonly object[] {
    return this.scope.childList();
  }
}

/** A child queued by the scope's limit, not started yet. */
class SlotWait implements WaitRecord {
  readonly kind = "scope-slot";
  readonly endsByItself = false;
  readonly deferSignals = true;
  constructor(readonly scope: ScopeImpl) {}
  describe(): string {
    const s = this.scope;
    return `queued by ${s.label} (limit ${s.limit}, ${s.activeCount} running): starts when a slot frees`;
  }
  cancel(t: TaskImpl): void {
    this.scope.unqueue(t);
  }
  resources(): readonly object[] {
    return this.scope.activeList();
  }
}

class DeadlineTimer extends Timer {
  constructor(
    private readonly scope: ScopeImpl,
    private readonly err: () => CancelledError,
  ) {
    super();
  }
  fire(): void {
    this.scope.timeout(this.err());
  }
}

// ── the operation ──────────────────────────────────────────────────────────

export interface CheckedScopeOptions {
  limit: number;
  name: string | undefined;
}

/** How a scope's body starts: a function called with the Scope, or an operation's iterator (withTimeout). */
export type BodyStart = { kind: "fn"; fn: (s: Scope) => Iterator<unknown, unknown, unknown> } | { kind: "op"; op: Operation<unknown> };

/** Deadline of a timed scope, decided when it starts: cycles, and the error its timeout throws. */
export interface DeadlineSpec {
  /** The deadline in cycles for an operation starting at `now` (cycles) on a clock of `hz`. */
  at(now: number, hz: number): number;
  /** The error its timeout throws, at virtual time `nowMs`. */
  error(nowMs: number): CancelledError;
}

export class ScopeOperation<R> implements Operation<R> {
  constructor(
    private readonly body: BodyStart,
    private readonly options: CheckedScopeOptions,
    private readonly deadline: DeadlineSpec | null,
  ) {}
  [Symbol.iterator](): Iterator<unknown, R, unknown> {
    return new ScopeRun<R>(this.body, this.options, this.deadline);
  }
}

const DONE_UNDEFINED: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** One run of a scope on its host: the state machine in the module doc. */
class ScopeRun<R> implements Iterator<unknown, R, unknown> {
  private s: ScopeImpl | null = null;
  private body: Iterator<unknown, unknown, unknown> | null = null;
  /** The host is parked on the scope's wait: the next call is that wait ending. */
  private parked = false;

  constructor(
    private readonly start: BodyStart,
    private readonly options: CheckedScopeOptions,
    private readonly deadline: DeadlineSpec | null,
  ) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(x?: unknown): IteratorResult<unknown, R> {
    const s = this.s;
    if (s === null) return this.begin();
    if (this.parked) {
      this.parked = false;
      return this.advance(false);
    }
    if (s.phase !== Phase.Body) return DONE_UNDEFINED as IteratorResult<unknown, R>; // a stray resume after the end
    return this.resumeBody(false, x);
  }

  throw(e: unknown): IteratorResult<unknown, R> {
    const s = this.s;
    if (s === null || s.phase === Phase.Done) throw e;
    if (this.parked) {
      // Thrown at the scope's wait (an interrupt): a failure of the body at its end.
      this.parked = false;
      s.fail(e);
      return this.advance(false);
    }
    return this.resumeBody(true, e);
  }

  return(v?: unknown): IteratorResult<unknown, R> {
    const s = this.s;
    if (s === null || s.phase === Phase.Done) return { done: true, value: v as R };
    this.parked = false;
    s.inReturn = true;
    if (s.host.cancelState !== CANCEL_NONE) {
      s.cancelWith(new CancelledError(`${s.label} was cancelled: task #${s.host.id} ${s.host.name} that runs it was cancelled`), false);
    }
    return this.advance(true);
  }

  private begin(): IteratorResult<unknown, R> {
    const host = currentTaskOrThrow(this.deadline === null ? "scope()" : "withTimeout()/withDeadline()");
    const now = host.sched.cycles;
    const own = this.deadline === null ? Infinity : this.deadline.at(now, host.sched.clockHz);
    const s = new ScopeImpl(host, this.options, own);
    this.s = s;
    if (this.deadline !== null) {
      if (own <= now) {
        // A deadline already past: time out at once, the operation never starts.
        s.cancelWith(this.deadline.error(host.sched.now()), false);
        s.bodyEnd = BodyEnd.Returned;
        s.aborting = true;
        return this.finish(false);
      }
      const spec = this.deadline;
      s.timer = new DeadlineTimer(s, () => spec.error(s.sched.now()));
      host.sched.timers.add(s.timer, own);
    }
    try {
      this.body = this.start.kind === "fn" ? checkIterator(this.start.fn(s.api)) : this.start.op[Symbol.iterator]();
    } catch (e) {
      this.bodyThrew(e);
      return this.advance(false);
    }
    return this.resumeBody(false, undefined);
  }

  /** Forwards a next or throw to the body. */
  private resumeBody(isThrow: boolean, x: unknown): IteratorResult<unknown, R> {
    const body = this.body!;
    let r: IteratorResult<unknown, unknown>;
    try {
      if (!isThrow) r = body.next(x);
      else if (typeof body.throw === "function") r = body.throw(x);
      else throw x;
    } catch (e) {
      this.bodyThrew(e);
      return this.advance(false);
    }
    if (r.done !== true) return r as IteratorResult<unknown, R>;
    this.bodyEnded(this.s!.returnForwarded ? BodyEnd.Returned : BodyEnd.Value, r.value);
    return this.advance(false);
  }

  private bodyThrew(e: unknown): void {
    this.bodyEnded(BodyEnd.Threw, undefined);
    this.s!.fail(e);
  }

  private bodyEnded(how: BodyEnd, value: unknown): void {
    const s = this.s!;
    s.bodyEnd = how;
    s.bodyValue = value;
    s.phase = Phase.Waiting;
    this.body = null;
    // An abort this scope asked for and that has not been delivered is moot now (unless an enclosing scope wants it).
    if (s.enclosingAborting() === null) s.sched.dropReturnSignal(s.host);
  }

  /**
   * The state machine's step. `viaReturn`: the current call is return() (so
   * a return can be passed on by completing it).
   */
  private advance(viaReturn: boolean): IteratorResult<unknown, R> {
    const s = this.s!;
    if (s.phase === Phase.Body) {
      // A return is owed to the body (we only get here from return(), or after a wait it began).
      if (s.cancelled && s.childCount > 0) return this.park(); // children first: their finally blocks run before the body's
      s.returnForwarded = true;
      const body = this.body!;
      let r: IteratorResult<unknown, unknown>;
      try {
        r = typeof body.return === "function" ? body.return(undefined) : DONE_UNDEFINED;
      } catch (e) {
        this.bodyThrew(e);
        return this.advance(viaReturn);
      }
      if (r.done !== true) return r as IteratorResult<unknown, R>; // the body's finally block suspended
      this.bodyEnded(BodyEnd.Returned, undefined);
    }
    if (s.childCount > 0) {
      if (s.bodyEnd !== BodyEnd.Value && !s.cancelled) s.cancelWith(new CancelledError(`${s.label} was cancelled: its body ended early`), false);
      return this.park();
    }
    return this.finish(viaReturn);
  }

  private park(): IteratorResult<unknown, R> {
    const s = this.s!;
    s.sched.park(s.host, s.wait);
    this.parked = true;
    return SUSPENDED as IteratorResult<unknown, R>;
  }

  /** Body and children have ended: the scope's outcome (see the guide's table). */
  private finish(viaReturn: boolean): IteratorResult<unknown, R> {
    const s = this.s!;
    const enclosing = s.enclosingAborting();
    s.close();
    const unwound = s.bodyEnd !== BodyEnd.Value;
    if (unwound && enclosing !== null) {
      // The return is an enclosing scope's: hand it our failures, and pass the return on.
      for (const f of s.failures) enclosing.failures.push(f);
      return this.passOn(viaReturn);
    }
    if (unwound && s.host.cancelState !== CANCEL_NONE && s.failures.length === 0) return this.passOn(viaReturn);
    // This scope's own outcome: any return that reached it ends here.
    for (let o: ScopeImpl | null = s; o !== null; o = o.outer) {
      o.inReturn = false;
      if (o !== s) o.returnForwarded = false;
    }
    if (s.failures.length > 0) throw withSuppressed(s.failures);
    if (s.bodyEnd === BodyEnd.Value) return { done: true, value: s.bodyValue as R };
    throw s.aborting && s.err !== undefined ? s.err : new CancelledError(`${s.label} was cancelled`);
  }

  /** Continues a return upward: complete the return() call, or have the scheduler deliver it again. */
  private passOn(viaReturn: boolean): IteratorResult<unknown, R> {
    if (viaReturn) return DONE_UNDEFINED as IteratorResult<unknown, R>;
    this.s!.sched.requeueWithReturn(this.s!.host);
    return SUSPENDED as IteratorResult<unknown, R>;
  }
}

/** The first failure, with the later ones in its `suppressed` (an array; only when it is an extensible object). */
function withSuppressed(failures: readonly unknown[]): unknown {
  const first = failures[0];
  if (failures.length > 1 && first !== null && typeof first === "object" && Object.isExtensible(first)) {
    const prev = (first as { suppressed?: unknown }).suppressed;
    const list = Array.isArray(prev) ? prev : [];
    for (const f of failures.slice(1)) if (f !== first && !list.includes(f)) list.push(f);
    Object.defineProperty(first, "suppressed", { value: list, writable: true, configurable: true, enumerable: false });
  }
  return first;
}

function checkIterator(it: unknown): Iterator<unknown, unknown, unknown> {
  if (it === null || typeof it !== "object" || typeof (it as { next?: unknown }).next !== "function") {
    throw new TypeError(`scope(body): body must be a generator function (function* (s) { … }); it returned ${describeValue(it)}`);
  }
  return it as Iterator<unknown, unknown, unknown>;
}

/** `Error: boom` for an error, the value described otherwise; never throws (a hostile reason is only described). */
export function errorText(e: unknown): string {
  try {
    if (e instanceof Error) return `${String(e.name)}: ${String(e.message)}`;
  } catch {
    // a Proxy or an error whose getters throw: describe it instead
  }
  return describeValue(e);
}

function describeFn(fn: unknown): string {
  return typeof fn === "function" ? (fn as { name?: string }).name || "(anonymous)" : describeValue(fn);
}

/** Checks scope() options: a positive integer limit, a string name; unknown keys refused. */
export function checkScopeOptions(what: string, options: unknown): CheckedScopeOptions {
  if (options === undefined) return { limit: Infinity, name: undefined };
  if (options === null || typeof options !== "object")
    throw new TypeError(`${what}: options must be an object such as { limit: 4, name: "fetch" }, received ${describeValue(options)}`);
  let limit: unknown;
  let name: unknown;
  try {
    for (const k of Object.keys(options)) {
      if (k !== "limit" && k !== "name") throw new TypeError(`${what}: unknown option ${JSON.stringify(k)}; the options are limit, name`);
    }
    limit = (options as ScopeOptions).limit;
    name = (options as ScopeOptions).name;
  } catch (err) {
    if (err instanceof TypeError && err.message.startsWith(what)) throw err;
    throw new TypeError(`${what}: options could not be read (${errorText(err)}); pass a plain object`);
  }
  if (limit !== undefined && (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1)) {
    const msg = `${what}: limit must be a positive integer number of children, received ${describeValue(limit)}`;
    throw typeof limit === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  if (name !== undefined && typeof name !== "string") throw new TypeError(`${what}: name must be a string, received ${describeValue(name)}`);
  return { limit: limit ?? Infinity, name };
}

/**
 * Runs `body` as a scope on the calling coroutine and returns its result once
 * the body and every child it spawned have ended. The first failure (a
 * child's or the body's) cancels the rest and is rethrown; later ones are in
 * its `suppressed` array. See docs/guides/scopes.md.
 *
 * @example
 * const sum = yield* scope(function* (s) {
 *   const a = s.spawn(function* () { yield* sleep(10); return 1; });
 *   const b = s.spawn(function* () { yield* sleep(20); return 2; });
 *   return (yield* a.join()) + (yield* b.join());
 * }); // 3, at 20 ms
 */
export function scope<R>(body: (s: Scope) => Generator<unknown, R, unknown>, options?: ScopeOptions): Operation<R> {
  if (typeof body !== "function") throw new TypeError(`scope(body): body must be a generator function (function* (s) { … }), received ${describeValue(body)}`);
  const o = checkScopeOptions("scope()", options);
  return new ScopeOperation<R>({ kind: "fn", fn: body as (s: Scope) => Iterator<unknown, unknown, unknown> }, o, null);
}

export { formatMs };
