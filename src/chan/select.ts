/**
 * select: wait on several channel operations and timeouts; exactly one completes.
 *
 * The algorithm is Go's selectgo in three named passes:
 *
 * - Pass 1 — poll. Visit the cases in a random order drawn from the runtime's
 *   seeded generator; the first case that can complete now completes. This
 *   makes the choice uniform among ready cases, and replayable from the seed.
 *   With `{ default: true }` and nothing ready, return `{ index: -1 }`.
 * - Pass 2 — enqueue. Put one waiter on every channel, in that same random
 *   order, and arm the earliest `after` timer; park the task.
 * - Pass 3 — dequeue the losers. When a partner (or close, or the timer)
 *   completes one case, every other waiter leaves its queue and the timer is
 *   disarmed before the task is woken, so a losing case leaves no trace.
 *
 * A send case on a closed channel is "ready" and throws ChannelClosedError
 * only when it is the case chosen; a recv case on a closed channel is ready
 * with `ok: false`.
 *
 * Besides channel operations and `after`, a case may wait on an event source
 * (chan/source.ts): a timer's channel (`recv(timer.c)`), a task's end
 * (`join(task)`), a promise (`settled(p)`). A case on `null` is Go's nil
 * channel: never ready, never enqueued anywhere.
 *
 * Every case is also an operation: `yield* recv(ch)` waits on that case alone
 * (a plain `yield* recv(null)` blocks forever, and a deadlock report says
 * `recv on nil channel`).
 *
 * Typing: a case is a `SelectCase<R>`, R being what it gives when chosen;
 * `select` maps a tuple of cases to the union of `{ index: i } & R_i`, so
 * `r.index === 0` narrows `r` to case 0's result with no cast.
 */
import { bug } from "../errors.js";
import { SUSPENDED, type Operation } from "../coro/operation.js";
import { describeError, describeValue, readGuarded } from "../describe.js";
import { checkDelay, deadlineAfter } from "../sched/clock.js";
import { sleep } from "../sched/ops.js";
import { currentTaskOrThrow, formatMs } from "../sched/scheduler.js";
import { Timer } from "../sched/timers.js";
import { touch, type Task, type TaskImpl, takeResumeValue } from "../sched/task.js";
import type { WaitRecord } from "../sched/wait.js";
import { Channel, recvNow, sendNow, sendOnClosed, takeBuffered, type RecvResult } from "./channel.js";
import { joinSource, settledSource, type Outcome } from "./events.js";
import { channelOfRecvPort, channelOfSendPort, type RecvPort, type SendPort } from "./ports.js";
import { EventSource, Listener, recvSourceOf, SourceOp, type SourceResult } from "./source.js";
import { RECV, SEND, Waiter } from "./wait-queue.js";

/** What a send or `after` case gives when chosen. */
export type Sent = { ok: true; value: undefined };

/** The shape every case result has: `ok`, `value`, and `error` for a failed task or a rejected promise. */
export type CaseResult = { ok: boolean; value: unknown; error?: unknown };

/**
 * One case of a select; build with recv(), send(), after(), join() or
 * settled(). `R` is what it gives when chosen (`RecvResult<T>` for a recv).
 * Opaque: a case built from a port must not hand out the channel behind it.
 * A case is also an operation: `yield* recv(ch)` waits on it alone.
 */
export interface SelectCase<R extends CaseResult = CaseResult> extends Operation<R> {
  readonly kind: "recv" | "send" | "after" | "join" | "settled";
}

/** The default's result: `{ index: -1 }`. */
export type SelectDefault = { index: -1; ok: false; value: undefined };

/** `"0"` → 0; the `number` index of a plain (non-tuple) array stays `number`. */
type CaseIndex<K> = K extends `${infer N extends number}` ? N : number;

/** `{ index: I } & R`, flattened, distributed over R's branches (so `ok` still narrows `value`). */
type Indexed<I extends number, R> = R extends unknown ? { [P in "index" | keyof R]: P extends "index" ? I : R[P & keyof R] } : never;

/**
 * What `select(cases)` gives: for a tuple of cases, the union over `i` of
 * `{ index: i } & R_i`, discriminated by `index`.
 */
export type SelectResultOf<C extends readonly SelectCase[]> = {
  [K in keyof C]: C[K] extends SelectCase<infer R> ? Indexed<CaseIndex<K>, R> : never;
}[number];

/** Which pass-1/pass-2 path a case takes (a small integer: one compare per case in the hot loops). */
const enum Tag {
  Recv = 0,
  Send = 1,
  After = 2,
  Event = 3,
  Nil = 4,
}

type AnyCase = RecvCase | SendCase | AfterCase | EventCase | NilCase;

/** What a select gives: the chosen case's index and, for a recv case, its result. */
export interface SelectResult {
  /** Index of the case that completed, or -1 for the default. */
  index: number;
  ok: boolean;
  value: unknown;
  /** A join case's failed task or a settled case's rejected promise: the error. */
  error?: unknown;
}

/**
 * The channel (and value) of a case, for this module only: assigned in the
 * classes' static blocks. Each reads one class's private field; the tag picks
 * the class (a `#channel in c` brand test instead costs a generic KeyedHasIC
 * call per case in V8 11).
 */
let recvCaseChannel: (c: RecvCase) => Channel<unknown> = () => bug("select case without a channel");
let sendCaseChannel: (c: SendCase) => Channel<unknown> = () => bug("select case without a channel");
let caseValue: (c: SendCase) => unknown = () => bug("select case without a value");

function caseChannel(c: RecvCase | SendCase): Channel<unknown> {
  return c.tag === Tag.Recv ? recvCaseChannel(c as RecvCase) : sendCaseChannel(c as SendCase);
}

class RecvCase implements SelectCase<RecvResult<unknown>> {
  readonly tag = Tag.Recv;
  get kind(): "recv" {
    return "recv";
  }
  readonly #channel: Channel<unknown>;
  static {
    recvCaseChannel = (c) => c.#channel;
  }
  constructor(channel: Channel<unknown>) {
    this.#channel = channel;
  }
  [Symbol.iterator](): Iterator<unknown, RecvResult<unknown>, unknown> {
    return this.#channel.recv()[Symbol.iterator]();
  }
}
class SendCase implements SelectCase<Sent> {
  readonly tag = Tag.Send;
  get kind(): "send" {
    return "send";
  }
  readonly #channel: Channel<unknown>;
  readonly #value: unknown;
  static {
    sendCaseChannel = (c) => c.#channel;
    caseValue = (c) => c.#value;
  }
  constructor(channel: Channel<unknown>, value: unknown) {
    this.#channel = channel;
    this.#value = value;
  }
  *[Symbol.iterator](): Iterator<unknown, Sent, unknown> {
    yield* this.#channel.send(this.#value);
    return SENT;
  }
}
class AfterCase implements SelectCase<Sent> {
  readonly tag = Tag.After;
  get kind(): "after" {
    return "after";
  }
  constructor(readonly ms: number) {}
  *[Symbol.iterator](): Iterator<unknown, Sent, unknown> {
    yield* sleep(this.ms);
    return SENT;
  }
}
/** A case on an event source: a timer's channel, a task's end, a promise. */
class EventCase implements SelectCase {
  readonly tag = Tag.Event;
  constructor(readonly source: EventSource) {}
  get kind(): "recv" | "join" | "settled" {
    return this.source.caseKind;
  }
  [Symbol.iterator](): Iterator<unknown, CaseResult, unknown> {
    return new SourceOp<CaseResult>(this.source, `${this.kind}()`);
  }
}
/** A case on `null`, Go's nil channel: never ready. */
class NilCase implements SelectCase<never> {
  readonly tag = Tag.Nil;
  constructor(readonly kind: "recv" | "send") {}
  [Symbol.iterator](): Iterator<unknown, never, unknown> {
    return new NilOp(this.kind);
  }
}

const SENT: Sent = Object.freeze({ ok: true, value: undefined });

function channelFor(ch: unknown, dir: "recv" | "send"): Channel<unknown> | EventSource {
  if (instanceOfChannel(ch)) return ch as Channel<unknown>;
  if (ch !== null && typeof ch === "object") {
    const behind = dir === "recv" ? channelOfRecvPort(ch) : channelOfSendPort(ch);
    if (behind !== undefined) return behind;
    if (dir === "recv") {
      const source = recvSourceOf(ch);
      if (source !== undefined) return source;
    }
    const other = dir === "recv" ? channelOfSendPort(ch) : (channelOfRecvPort(ch) ?? recvSourceOf(ch));
    if (other !== undefined) throw new TypeError(`${dir}(port): a ${dir === "recv" ? "SendPort" : "RecvPort"} cannot ${dir} (${describeValue(ch)})`);
  }
  throw new TypeError(`${dir}(ch): ch must be a Channel, a ${dir === "recv" ? "RecvPort" : "SendPort"} or null (a nil channel), received ${describeValue(ch)}`);
}

/** A select case that receives from `ch`; on `null` (Go's nil channel) it is never ready. */
export function recv(ch: null): SelectCase<never>;
export function recv<T>(ch: Channel<T> | RecvPort<T> | null): SelectCase<RecvResult<T>>;
export function recv<T>(ch: Channel<T> | RecvPort<T> | null): SelectCase<RecvResult<T>> {
  if (instanceOfChannel(ch)) return new RecvCase(ch as Channel<unknown>) as SelectCase<RecvResult<T>>; // the common case first
  if (ch === null) return new NilCase("recv");
  const target = channelFor(ch, "recv");
  return (target instanceof Channel ? new RecvCase(target) : new EventCase(target)) as SelectCase<RecvResult<T>>;
}

/** A select case that sends `value` on `ch`; on `null` (Go's nil channel) it is never ready. */
export function send<T>(ch: Channel<T> | SendPort<T> | null, value: T): SelectCase<Sent> {
  if (instanceOfChannel(ch)) return new SendCase(ch as Channel<unknown>, value);
  if (ch === null) return new NilCase("send");
  return new SendCase(channelFor(ch, "send") as Channel<unknown>, value);
}

/** A select case that fires after `ms` virtual milliseconds. */
export function after(ms: number): SelectCase<Sent> {
  return new AfterCase(checkDelay("after(ms)", ms));
}

/**
 * A select case that is ready when `task` has ended: `{ ok: true, value }`
 * with its result, or `{ ok: false, error }` with its error (CancelledError
 * if it was cancelled). Chosen, it delivers a failure as join() does: the
 * failure counts as observed.
 */
export function join<R>(task: Task<R>): SelectCase<Outcome<R>> {
  return new EventCase(joinSource(task)) as SelectCase<Outcome<R>>;
}

/**
 * A select case that is ready when `p` has settled: `{ ok: true, value }` or
 * `{ ok: false, error }`. Only `runAsync()` can wait for it (as for waitFor).
 * Every `settled(p)` of one promise shares its settlement, so a case built
 * again in a loop is ready at once once `p` has settled; `p`'s rejection is
 * handled (no unhandled-rejection warning).
 */
export function settled<T>(p: PromiseLike<T>): SelectCase<Outcome<T>> {
  return new EventCase(settledSource(p)) as SelectCase<Outcome<T>>;
}

/** Poll orders up to this many cases use one shared scratch array (no allocation per select). */
const SCRATCH_CASES = 64;
const scratchOrder = new Int32Array(SCRATCH_CASES);

const DEFAULT_RESULT: SelectDefault = Object.freeze({ index: -1, ok: false, value: undefined });

/**
 * Waits until one case completes and returns which (see the module doc for
 * the rules). With `{ default: true }` it never waits: `{ index: -1 }` when
 * no case is ready.
 */
export function select<const C extends readonly SelectCase[]>(cases: C, options: { default: true }): Operation<SelectResultOf<C> | SelectDefault>;
export function select<const C extends readonly SelectCase[]>(cases: C, options?: { default?: false }): Operation<SelectResultOf<C>>;
export function select<const C extends readonly SelectCase[]>(cases: C, options?: { default?: boolean }): Operation<SelectResultOf<C> | SelectDefault>;
export function select(cases: readonly SelectCase[], options?: { default?: boolean }): Operation<SelectResult> {
  if (!isArray(cases))
    throw new TypeError(`select(cases): cases must be an array of recv(), send(), after(), join() or settled() cases, received ${describeValue(cases)}`);
  // No `= {}` default: that would allocate an object on every call.
  if (options !== undefined && (options === null || typeof options !== "object"))
    throw new TypeError(`select options must be an object, received ${describeValue(options)}`);
  const withDefault = options !== undefined && readGuarded("select options", () => options.default) === true;
  // Reading a Proxy of an array may throw: the checks run guarded, and refuse outside the guard.
  let bad = -1;
  let badCase: unknown;
  let n: number;
  try {
    n = cases.length;
    for (let i = 0; i < n; i++) {
      const c: unknown = cases[i];
      if (!(c instanceof RecvCase || c instanceof SendCase || c instanceof AfterCase || c instanceof EventCase || c instanceof NilCase)) {
        bad = i;
        badCase = c;
        break;
      }
    }
  } catch (error) {
    throw new TypeError(`select(cases): the cases cannot be read: reading them threw ${describeError(error)}`, { cause: error });
  }
  if (bad >= 0)
    throw new TypeError(`select case ${bad} is ${describeValue(badCase)}; build cases with recv(ch), send(ch, v), after(ms), join(task) or settled(p)`);
  if (n === 0 && !withDefault) {
    throw new TypeError("select([]) with no cases and no default would block forever; give it cases or { default: true }");
  }
  // No copy here: pass 1 runs at the `yield*` right after; pass 2 copies if it parks.
  return new SelectOp(cases as readonly AnyCase[], withDefault);
}

/** `{ index, ok, value }` (and `error` when the source gave one) for a case that completed with `r`. */
function withIndex(index: number, r: SourceResult): SelectResult {
  return "error" in r ? { index, ok: r.ok, value: r.value, error: r.error } : { index, ok: r.ok, value: r.value };
}

class SelectOp implements Operation<SelectResult>, Iterator<unknown, SelectResult, unknown> {
  constructor(
    private readonly cases: readonly AnyCase[],
    private readonly withDefault: boolean,
  ) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, SelectResult> {
    if (x !== undefined) {
      return takeResumeValue<SelectResult>();
    }
    const t = currentTaskOrThrow("select()");
    const rt = t.sched;
    if (rt.chooser !== null && rt.preemptHere(t)) return SUSPENDED as IteratorResult<unknown, SelectResult>; // schedule exploration
    const cases = this.cases;
    const n = cases.length;
    rt.charge(rt.selectCaseCycles * n);

    // Pass 1 — poll in a random order. The order lives in a scratch array:
    // next() runs to completion before any other select can start. The same
    // loop records every channel as touched (the leak detector's record).
    const order = n <= SCRATCH_CASES ? scratchOrder : new Int32Array(n);
    const random = rt.random;
    for (let i = 0; i < n; i++) {
      const c = cases[i];
      const tag = c.tag;
      if (tag <= Tag.Send)
        touch(t, caseChannel(c as RecvCase | SendCase).ref); // first use binds; another runtime's coroutine is refused
      else if (tag === Tag.Event) (c as EventCase).source.bind(t);
      const j = i === 0 ? 0 : random.below(i + 1); // inside-out Fisher–Yates
      order[i] = order[j];
      order[j] = i;
    }
    if (rt.chooser !== null) {
      // Under schedule exploration the chooser picks among the ready cases (sched/chooser.ts).
      const chosen = chosenReadyCase(t, cases);
      if (chosen !== undefined) return { done: true, value: chosen };
    } else {
      for (let k = 0; k < n; k++) {
        const i = order[k];
        const c = cases[i];
        const tag = c.tag;
        if (tag === Tag.Recv) {
          const ch = recvCaseChannel(c as RecvCase);
          if (ch.count > 0 && ch.sendq.size === 0) {
            // The common ready case, taken without building a RecvResult first.
            return { done: true, value: { index: i, ok: true, value: takeBuffered(ch) } };
          }
          const r = recvNow(ch);
          if (r !== undefined) return { done: true, value: { index: i, ok: r.ok, value: r.value } };
        } else if (tag === Tag.Send) {
          const ch = sendCaseChannel(c as SendCase);
          if (ch.isClosed) throw sendOnClosed(ch, caseValue(c as SendCase));
          if (sendNow(ch, caseValue(c as SendCase))) return { done: true, value: { index: i, ok: true, value: undefined } };
        } else if (tag === Tag.Event) {
          const r = (c as EventCase).source.poll(t);
          if (r !== undefined) return { done: true, value: withIndex(i, r) };
        }
      }
    }
    if (this.withDefault) return { done: true, value: DEFAULT_RESULT };

    // Pass 2 — enqueue on every channel and source, in the poll order; arm the earliest timeout.
    // The earliest `after` comes first: its deadline may be refused (RangeError), and then nothing is enqueued.
    let timeoutIndex = -1;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const c = cases[i];
      if (c.tag === Tag.After && (timeoutIndex < 0 || c.ms < (cases[timeoutIndex] as AfterCase).ms)) timeoutIndex = i;
    }
    const timeoutMs = timeoutIndex < 0 ? 0 : (cases[timeoutIndex] as AfterCase).ms;
    const deadline =
      timeoutIndex < 0 ? 0 : deadlineAfter("after(ms)", rt.cycles, rt.chooser === null ? timeoutMs : rt.chooser.jitter(t, timeoutMs), rt.clockHz);
    const sel = new SelectWait(t, cases.slice()); // the caller may reuse its array once we park
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const c = cases[i];
      if (c.tag <= Tag.Send) {
        const ch = caseChannel(c as RecvCase | SendCase);
        const send = c.tag === Tag.Send;
        const w = new Waiter(t, ch.ref, send ? SEND : RECV, send ? caseValue(c as SendCase) : undefined, sel, i);
        (send ? ch.sendq : ch.recvq).enqueue(w);
        sel.waiters.push(w);
      } else if (c.tag === Tag.Event) {
        const l = new SourceWaiter(t, sel, i);
        (sel.listeners ??= []).push(l);
        (c as EventCase).source.listen(l);
      }
    }
    if (timeoutIndex >= 0) {
      sel.timer = new SelectTimer(sel, timeoutIndex);
      rt.timers.add(sel.timer, deadline);
    }
    rt.park(t, sel);
    return SUSPENDED as IteratorResult<unknown, SelectResult>;
  }
  throw(e: unknown): IteratorResult<unknown, SelectResult> {
    throw e;
  }
}

/** Whether channel case `c` can complete now (pass 1's test, without completing it). */
function channelCaseReady(c: RecvCase | SendCase): boolean {
  const ch = caseChannel(c);
  if (ch.isClosed) return true; // recv: ok false; send: throws when chosen
  return c.tag === Tag.Recv ? ch.count > 0 || ch.sendq.size > 0 : ch.recvq.size > 0 || ch.count < ch.capacity;
}

/**
 * Pass 1 under a chooser: the chooser picks among the candidates (the ready
 * channel cases, and every event case: a source can only tell by being
 * polled, which consumes) in case order; a polled event case that turns out
 * not ready leaves the candidates and the chooser picks again. Undefined when
 * no case is ready. Deterministic given the chooser's answers, so replays hold.
 */
function chosenReadyCase(t: TaskImpl, cases: readonly AnyCase[]): SelectResult | undefined {
  const candidates: number[] = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    if (c.tag === Tag.Event || (c.tag <= Tag.Send && channelCaseReady(c as RecvCase | SendCase))) candidates.push(i);
  }
  while (candidates.length > 0) {
    const k = candidates.length === 1 ? 0 : t.sched.chooser!.pickCase(t, candidates.length);
    if (!(k >= 0 && k < candidates.length)) bug(`chooser picked case ${k} of ${candidates.length} candidates`);
    const i = candidates[k];
    const c = cases[i];
    if (c.tag === Tag.Event) {
      const r = (c as EventCase).source.poll(t);
      if (r !== undefined) return withIndex(i, r);
      candidates.splice(k, 1);
      continue;
    }
    const ch = caseChannel(c as RecvCase | SendCase);
    if (c.tag === Tag.Recv) {
      const r = recvNow(ch);
      if (r === undefined) bug(`select case ${i} was ready but could not receive`);
      return { index: i, ok: r.ok, value: r.value };
    }
    if (ch.isClosed) throw sendOnClosed(ch, caseValue(c as SendCase));
    if (!sendNow(ch, caseValue(c as SendCase))) bug(`select case ${i} was ready but could not send`);
    return { index: i, ok: true, value: undefined };
  }
  return undefined;
}

/** One event case of a parked select, listening on its source. */
class SourceWaiter extends Listener {
  constructor(
    task: TaskImpl,
    readonly select: SelectWait,
    readonly caseIndex: number,
  ) {
    super(task);
  }
  deliver(result: SourceResult): void {
    this.select.fireEvent(this.caseIndex, result);
  }
}

/** A parked select: the task's wait record, owning one waiter per channel case and one listener per event case. */
export class SelectWait implements WaitRecord {
  readonly kind = "select";
  readonly waiters: Waiter[] = [];
  listeners: SourceWaiter[] | null = null;
  timer: SelectTimer | null = null;
  done = false;

  constructor(
    readonly task: TaskImpl,
    readonly cases: readonly AnyCase[],
  ) {}

  /** Case `w` completed (its waiter already unlinked): pass 3, then wake with the result. */
  fire(w: Waiter, ok: boolean, value: unknown): void {
    this.dequeueLosers(w);
    this.task.sched.wake(this.task, { index: w.caseIndex, ok, value });
  }

  /** Case `w` is a send whose channel was closed: the select throws. */
  fireError(w: Waiter, err: unknown): void {
    this.dequeueLosers(w);
    this.task.sched.wakeWithError(this.task, err);
  }

  fireTimer(index: number): void {
    this.timer = null;
    this.dequeueLosers(null);
    this.task.sched.wake(this.task, { index, ok: true, value: undefined });
  }

  /** Event case `index` delivered `result` (its listener already unlinked by the source). */
  fireEvent(index: number, result: SourceResult): void {
    this.dequeueLosers(null);
    this.task.sched.wake(this.task, withIndex(index, result));
  }

  // Pass 3 — dequeue from the losers.
  private dequeueLosers(winner: Waiter | null): void {
    if (this.done) bug(`select of task ${this.task} completed twice`);
    this.leaveAll(winner);
  }

  describe(): string {
    const parts = this.cases.map(describeCase);
    return `select on [${parts.join(", ")}]`;
  }

  /** Cancellation: leave every queue and source, disarm the timer. */
  cancel(): void {
    this.leaveAll(null);
  }

  private leaveAll(winner: Waiter | null): void {
    this.done = true;
    for (const w of this.waiters) if (w !== winner) w.cancel();
    const ls = this.listeners;
    if (ls !== null) for (const l of ls) l.detach();
    if (this.timer !== null) {
      this.task.sched.timers.remove(this.timer);
      this.timer = null;
    }
  }

  resources(): readonly object[] {
    const out: object[] = this.waiters.map((w) => w.ref);
    for (const c of this.cases) if (c.tag === Tag.Event) out.push(...c.source.resources());
    return out;
  }

  /** An `after` case, an armed timer's channel or a pending promise wakes it whatever the channels do. */
  get endsByItself(): boolean {
    if (this.timer !== null) return true;
    for (const c of this.cases) if (c.tag === Tag.Event && c.source.endsByItself) return true;
    return false;
  }
}

function describeCase(c: AnyCase): string {
  switch (c.tag) {
    case Tag.After:
      return `after ${formatMs(c.ms)}`;
    case Tag.Event:
      return c.source.describeWait();
    case Tag.Nil:
      return `${c.kind} nil channel`;
    default:
      return `${c.kind} ${caseChannel(c).describe()}`;
  }
}

class SelectTimer extends Timer {
  constructor(
    private readonly sel: SelectWait,
    private readonly index: number,
  ) {
    super();
  }
  fire(): void {
    this.sel.fireTimer(this.index);
  }
}

/** A plain `yield* recv(null)` / `yield* send(null, v)`: blocks forever, as on Go's nil channel. */
class NilOp implements Iterator<unknown, never, unknown> {
  constructor(private readonly dir: "recv" | "send") {}
  next(x?: unknown): IteratorResult<unknown, never> {
    if (x !== undefined) bug("a wait on a nil channel was woken");
    const t = currentTaskOrThrow(`${this.dir}(null)`);
    t.sched.park(t, this.dir === "recv" ? NIL_RECV : NIL_SEND);
    return SUSPENDED as IteratorResult<unknown, never>;
  }
  throw(e: unknown): IteratorResult<unknown, never> {
    throw e;
  }
}

/** The wait record of a task blocked on a nil channel: nothing can end it (shared: it holds no state). */
class NilWait implements WaitRecord {
  readonly endsByItself = false;
  constructor(readonly kind: "recv" | "send") {}
  describe(): string {
    return `${this.kind} on nil channel`;
  }
  cancel(): void {}
  resources(): readonly object[] {
    return [];
  }
}
const NIL_RECV = new NilWait("recv");
const NIL_SEND = new NilWait("send");

/** Array.isArray that a revoked Proxy cannot make throw. */
function isArray(x: unknown): x is readonly unknown[] {
  try {
    return Array.isArray(x);
  } catch {
    return false;
  }
}

/**
 * `ch instanceof Channel`, false for a Proxy whose getPrototypeOf trap throws (it is refused as no channel).
 * describe.ts's isInstanceOf does the same for any class; this one stays monomorphic on the hot path of recv()/send().
 */
function instanceOfChannel(ch: unknown): boolean {
  try {
    return ch instanceof Channel;
  } catch {
    return false;
  }
}
