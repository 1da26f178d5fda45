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
 */
import { bug } from "../errors.js";
import { SUSPENDED, type Operation } from "../coro/operation.js";
import { describeValue } from "../describe.js";
import { checkDelay, deadlineAfter } from "../sched/clock.js";
import { currentTaskOrThrow, formatMs } from "../sched/scheduler.js";
import { Timer } from "../sched/timers.js";
import { touch, type TaskImpl, takeResumeValue } from "../sched/task.js";
import type { WaitRecord } from "../sched/wait.js";
import { Channel, closedError, recvNow, sendNow, takeBuffered } from "./channel.js";
import { channelOfRecvPort, channelOfSendPort, type RecvPort, type SendPort } from "./ports.js";
import { RECV, SEND, Waiter } from "./wait-queue.js";

/**
 * One case of a select; build with recv(), send() or after(). Opaque: a case
 * built from a port must not hand out the channel behind it.
 */
export interface SelectCase {
  readonly kind: "recv" | "send" | "after";
}

type AnyCase = RecvCase | SendCase | AfterCase;

/** What a select gives: the chosen case's index and, for a recv case, its result. */
export interface SelectResult {
  /** Index of the case that completed, or -1 for the default. */
  index: number;
  ok: boolean;
  value: unknown;
}

/**
 * The channel (and value) of a case, for this module only: assigned in the
 * classes' static blocks. Each reads one class's private field; the kind picks
 * the class (a `#channel in c` brand test instead costs a generic KeyedHasIC
 * call per case in V8 11).
 */
let recvCaseChannel: (c: RecvCase) => Channel<unknown> = () => bug("select case without a channel");
let sendCaseChannel: (c: SendCase) => Channel<unknown> = () => bug("select case without a channel");
let caseValue: (c: SendCase) => unknown = () => bug("select case without a value");

function caseChannel(c: RecvCase | SendCase): Channel<unknown> {
  return c.kind === "recv" ? recvCaseChannel(c) : sendCaseChannel(c);
}

class RecvCase implements SelectCase {
  readonly kind = "recv";
  readonly #channel: Channel<unknown>;
  static {
    recvCaseChannel = (c) => c.#channel;
  }
  constructor(channel: Channel<unknown>) {
    this.#channel = channel;
  }
}
class SendCase implements SelectCase {
  readonly kind = "send";
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
}
class AfterCase implements SelectCase {
  readonly kind = "after";
  constructor(readonly ms: number) {}
}

function channelFor(ch: unknown, dir: "recv" | "send"): Channel<unknown> {
  if (ch instanceof Channel) return ch as Channel<unknown>;
  if (ch !== null && typeof ch === "object") {
    const behind = dir === "recv" ? channelOfRecvPort(ch) : channelOfSendPort(ch);
    if (behind !== undefined) return behind;
    const other = dir === "recv" ? channelOfSendPort(ch) : channelOfRecvPort(ch);
    if (other !== undefined) throw new TypeError(`${dir}(port): a ${dir === "recv" ? "SendPort" : "RecvPort"} cannot ${dir} (${String(ch)})`);
  }
  throw new TypeError(`${dir}(ch): ch must be a Channel or a ${dir === "recv" ? "RecvPort" : "SendPort"}, received ${describeValue(ch)}`);
}

/** A select case that receives from `ch`. */
export function recv<T>(ch: Channel<T> | RecvPort<T>): SelectCase {
  return new RecvCase(channelFor(ch, "recv"));
}

/** A select case that sends `value` on `ch`. */
export function send<T>(ch: Channel<T> | SendPort<T>, value: T): SelectCase {
  return new SendCase(channelFor(ch, "send"), value);
}

/** A select case that fires after `ms` virtual milliseconds. */
export function after(ms: number): SelectCase {
  return new AfterCase(checkDelay("after(ms)", ms));
}

/** Poll orders up to this many cases use one shared scratch array (no allocation per select). */
const SCRATCH_CASES = 64;
const scratchOrder = new Int32Array(SCRATCH_CASES);

const DEFAULT_RESULT: SelectResult = Object.freeze({ index: -1, ok: false, value: undefined }) as SelectResult;

/** Waits until one case completes and returns which (see the module doc for the rules). */
export function select(cases: readonly SelectCase[], options?: { default?: boolean }): Operation<SelectResult> {
  if (!Array.isArray(cases)) throw new TypeError(`select(cases): cases must be an array of recv(), send() or after() cases, received ${describeValue(cases)}`);
  // No `= {}` default: that would allocate an object on every call.
  if (options !== undefined && (options === null || typeof options !== "object"))
    throw new TypeError(`select options must be an object, received ${describeValue(options)}`);
  const withDefault = options !== undefined && options.default === true;
  if (cases.length === 0 && !withDefault) {
    throw new TypeError("select([]) with no cases and no default would block forever; give it cases or { default: true }");
  }
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    if (!(c instanceof RecvCase || c instanceof SendCase || c instanceof AfterCase)) {
      throw new TypeError(`select case ${i} is ${describeValue(c)}; build cases with recv(ch), send(ch, v) or after(ms)`);
    }
  }
  // No copy here: pass 1 runs at the `yield*` right after; pass 2 copies if it parks.
  return new SelectOp(cases as AnyCase[], withDefault);
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
      if (c.kind !== "after") touch(t, caseChannel(c).ref); // first use binds; another runtime's coroutine is refused
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
        if (c.kind === "recv") {
          const ch = caseChannel(c);
          if (ch.count > 0 && ch.sendq.size === 0) {
            // The common ready case, taken without building a RecvResult first.
            return { done: true, value: { index: i, ok: true, value: takeBuffered(ch) } };
          }
          const r = recvNow(ch);
          if (r !== undefined) return { done: true, value: { index: i, ok: r.ok, value: r.value } };
        } else if (c.kind === "send") {
          const ch = caseChannel(c);
          if (ch.isClosed) throw closedError(ch, "send on");
          if (sendNow(ch, caseValue(c))) return { done: true, value: { index: i, ok: true, value: undefined } };
        }
      }
    }
    if (this.withDefault) return { done: true, value: DEFAULT_RESULT };

    // Pass 2 — enqueue on every channel, in the poll order; arm the earliest timeout.
    // The earliest `after` comes first: its deadline may be refused (RangeError), and then nothing is enqueued.
    let timeoutIndex = -1;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const c = cases[i];
      if (c.kind === "after" && (timeoutIndex < 0 || c.ms < (cases[timeoutIndex] as AfterCase).ms)) timeoutIndex = i;
    }
    const timeoutMs = timeoutIndex < 0 ? 0 : (cases[timeoutIndex] as AfterCase).ms;
    const deadline =
      timeoutIndex < 0 ? 0 : deadlineAfter("after(ms)", rt.cycles, rt.chooser === null ? timeoutMs : rt.chooser.jitter(t, timeoutMs), rt.clockHz);
    const sel = new SelectWait(t, cases.slice()); // the caller may reuse its array once we park
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const c = cases[i];
      if (c.kind === "after") continue;
      const ch = caseChannel(c);
      const w = new Waiter(t, ch.ref, c.kind === "send" ? SEND : RECV, c.kind === "send" ? caseValue(c) : undefined, sel, i);
      (c.kind === "send" ? ch.sendq : ch.recvq).enqueue(w);
      sel.waiters.push(w);
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

/** Whether case `c` can complete now (pass 1's test, without completing it). */
function caseReady(c: AnyCase): boolean {
  if (c.kind === "after") return false;
  const ch = caseChannel(c);
  if (ch.isClosed) return true; // recv: ok false; send: throws when chosen
  return c.kind === "recv" ? ch.count > 0 || ch.sendq.size > 0 : ch.recvq.size > 0 || ch.count < ch.capacity;
}

/**
 * Pass 1 under a chooser: the ready cases in case order, one picked by the
 * chooser and completed; undefined when none is ready.
 */
function chosenReadyCase(t: TaskImpl, cases: readonly AnyCase[]): SelectResult | undefined {
  const ready: number[] = [];
  for (let i = 0; i < cases.length; i++) if (caseReady(cases[i])) ready.push(i);
  if (ready.length === 0) return undefined;
  const k = ready.length === 1 ? 0 : t.sched.chooser!.pickCase(t, ready.length);
  if (!(k >= 0 && k < ready.length)) bug(`chooser picked case ${k} of ${ready.length} ready`);
  const i = ready[k];
  const c = cases[i] as RecvCase | SendCase;
  const ch = caseChannel(c);
  if (c.kind === "recv") {
    const r = recvNow(ch);
    if (r === undefined) bug(`select case ${i} was ready but could not receive`);
    return { index: i, ok: r.ok, value: r.value };
  }
  if (ch.isClosed) throw closedError(ch, "send on");
  if (!sendNow(ch, caseValue(c))) bug(`select case ${i} was ready but could not send`);
  return { index: i, ok: true, value: undefined };
}

/** A parked select: the task's wait record, owning one waiter per channel case. */
export class SelectWait implements WaitRecord {
  readonly kind = "select";
  readonly waiters: Waiter[] = [];
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

  // Pass 3 — dequeue from the losers.
  private dequeueLosers(winner: Waiter | null): void {
    if (this.done) bug(`select of task ${this.task} completed twice`);
    this.done = true;
    for (const w of this.waiters) if (w !== winner) w.cancel();
    if (this.timer !== null) {
      this.task.sched.timers.remove(this.timer);
      this.timer = null;
    }
  }

  describe(): string {
    const parts = this.cases.map((c) => (c.kind === "after" ? `after ${formatMs(c.ms)}` : `${c.kind} ${caseChannel(c).describe()}`));
    return `select on [${parts.join(", ")}]`;
  }

  /** Cancellation: leave every queue, disarm the timer. */
  cancel(): void {
    this.done = true;
    for (const w of this.waiters) w.cancel();
    if (this.timer !== null) {
      this.task.sched.timers.remove(this.timer);
      this.timer = null;
    }
  }

  resources(): readonly object[] {
    return this.waiters.map((w) => w.ref);
  }

  /** An `after` case wakes it whatever the channels do. */
  get endsByItself(): boolean {
    return this.timer !== null;
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
