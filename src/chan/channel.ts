/**
 * Channels with Go's semantics.
 *
 * - Unbuffered (capacity 0): a send completes only when a receiver takes the
 *   value (rendezvous). Buffered: a FIFO ring of `capacity` values.
 * - Waiters are served first come, first served; per-sender order is kept
 *   (a sender's values enter the buffer or a receiver in the order sent).
 * - close(): receivers drain the buffer, then get `{ ok: false }`; blocked
 *   senders get ChannelClosedError; later sends throw it; a second close throws it.
 * - An operation that can complete at once does so without suspending (no
 *   context switch), as in Go.
 *
 * Beyond Go (Kotlin's channel options):
 * - `overflow: "dropOldest" | "dropNewest"` (capacity ≥ 1): a send on a full
 *   buffer never blocks; it evicts the oldest buffered value, or discards the
 *   value sent. "suspend" (the default) is Go's behaviour.
 * - `onUndelivered(value)` sees every value a send accepted that no receiver
 *   will ever get, exactly once: values dropped by overflow; the value of a
 *   send (plain, trySend, or the chosen case of a select) that fails with
 *   ChannelClosedError, at the call or when close() wakes it; the value of a
 *   plain send whose coroutine is cancelled while it waits. It is not called
 *   for a trySend that returns false or a select send case that was not
 *   chosen (the value never left the caller), nor for values still buffered
 *   (close drains: they can still be received). It runs synchronously in the
 *   operation that lost the value (the send, close(), or the cancelled
 *   sender's unwinding, where a throw fails that coroutine); state is final
 *   before it is called.
 *
 * Invariants (checked by checkChannel()):
 * - at most one of `sendq` and `recvq` is non-empty — except when the only
 *   waiters on both are the cases of a single select (Go has the same exception);
 * - 0 ≤ count ≤ capacity; count > 0 implies recvq is empty;
 * - sendq non-empty implies the buffer is full (count == capacity);
 * - once closed, both queues are empty forever;
 * - with a drop policy the send queue is always empty (sends never block).
 *
 * Cost model: every operation charges `channelOp` cycles to the runtime of
 * the coroutine performing it (nothing when called outside coroutines).
 */
import { ChannelClosedError } from "../errors.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { running } from "../coro/context.js";
import { describeValue, readGuarded } from "../describe.js";
import { Resource } from "../sched/resource.js";
import { currentTaskOrThrow, resourceResolvers } from "../sched/scheduler.js";
import { touch, type TaskImpl, takeResumeValue } from "../sched/task.js";
import { nodeValue, RECV, SEND, Waiter, WaitQueue, type QueueNode } from "./wait-queue.js";
import { channelOfRecvPort, channelOfSendPort, makeRecvPort, makeSendPort, type RecvPort, type SendPort } from "./ports.js";

/** What a receive gives: a value, or `{ ok: false }` once the channel is closed and drained. */
export type RecvResult<T> = { ok: true; value: T } | { ok: false; value: undefined };

/** The result of a receive on a closed, drained channel (shared, frozen). */
export const RECV_CLOSED: { readonly ok: false; readonly value: undefined } = Object.freeze({ ok: false, value: undefined });

/** What a send does on a full buffer (the channel's `overflow` option). */
export const enum Overflow {
  Suspend = 0,
  DropOldest = 1,
  DropNewest = 2,
}

/** The option's names, by Overflow value: the one table of them. */
const OVERFLOW_NAMES = ["suspend", "dropOldest", "dropNewest"] as const;

/** Options of `new Channel(capacity, options)`. */
export interface ChannelOptions<T> {
  /** Shown in dumps and deadlock reports: `Channel#1 "jobs" (capacity 0)`. */
  name?: string;
  /** What a send on a full buffer does: wait ("suspend", Go's, the default), evict the oldest value, or discard the new one. Drop policies need capacity ≥ 1. */
  overflow?: "suspend" | "dropOldest" | "dropNewest";
  /** Called with each value a send accepted that no receiver will get (see the Channel doc for when exactly). */
  onUndelivered?: (value: T) => void;
}

function checkOverflow(capacity: number, overflow: unknown): Overflow {
  if (overflow === undefined) return Overflow.Suspend;
  const i = OVERFLOW_NAMES.indexOf(overflow as (typeof OVERFLOW_NAMES)[number]);
  if (i < 0) {
    const msg = `Channel overflow must be "suspend", "dropOldest" or "dropNewest", received ${describeValue(overflow)}`;
    throw typeof overflow === "string" ? new RangeError(msg) : new TypeError(msg);
  }
  if (i !== Overflow.Suspend && capacity < 1) {
    throw new RangeError(`Channel overflow ${JSON.stringify(overflow)} needs a capacity of at least 1 (there is no buffer to drop from), received ${capacity}`);
  }
  return i as Overflow;
}

/** Checks a capacity: a non-negative safe integer. */
function checkCapacity(capacity: unknown): number {
  if (typeof capacity !== "number" || !Number.isSafeInteger(capacity) || capacity < 0) {
    const msg = `Channel capacity must be a non-negative integer, received ${describeValue(capacity)}`;
    throw typeof capacity === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  return capacity;
}

/**
 * A channel as introspection sees it (a task's touched resources, a wait
 * record, a deadlock report): it describes the channel and never leads back
 * to it, so holding one grants nothing (see sched/resource.ts).
 */
export class ChannelRef extends Resource {
  readonly kind = "channel";
  readonly #channel: Channel<unknown>;
  constructor(channel: Channel<unknown>) {
    super();
    this.#channel = channel;
  }
  describe(): string {
    return this.#channel.describe();
  }
  /** Whether `ref` is the ref of `channel` (a brand check: no Proxy or forged object passes). */
  static isRefOf(ref: unknown, channel: object): boolean {
    return typeof ref === "object" && ref !== null && #channel in ref && (ref as ChannelRef).#channel === channel;
  }
}

/**
 * Whether `x` is a real Channel: a Proxy whose traps throw, or an object made
 * from Channel.prototype without the constructor, is not. Off the hot paths
 * (validators, resource lookups), which may use a plain `instanceof`.
 */
export function isChannel(x: unknown): x is Channel<unknown> {
  try {
    return x instanceof Channel && ChannelRef.isRefOf((x as Channel<unknown>).ref, x);
  } catch {
    return false;
  }
}

/**
 * A typed channel: unbuffered rendezvous (capacity 0, the default) or a
 * buffered FIFO. Use its operations with `yield*` inside coroutines.
 *
 * @example
 * const jobs = new Channel<number>(2, { name: "jobs" });
 * spawn(function* () { for (let i = 0; i < 3; i++) yield* jobs.send(i); jobs.close(); });
 * spawn(function* () { for (let r = yield* jobs.recv(); r.ok; r = yield* jobs.recv()) console.log(r.value); });
 * run(); // 0 1 2
 */
export class Channel<T> {
  readonly name: string | undefined;
  readonly capacity: number;
  /** @internal the channel's identity for the scheduler and reports; also its runtime and id */
  readonly ref: ChannelRef;
  /** @internal ring buffer of `capacity` slots */
  buf: unknown[];
  /** @internal index of the oldest buffered value */
  head = 0;
  /** @internal number of buffered values */
  count = 0;
  /** @internal */ readonly recvq: WaitQueue;
  /** @internal */ readonly sendq: WaitQueue;
  /** @internal */ isClosed = false;
  /** @internal what a send on a full buffer does */
  readonly overflowPolicy: Overflow;
  /** @internal */ readonly onUndelivered: ((value: unknown) => void) | null;
  /** @internal */ private readonly recvOp: RecvOp<T>;

  constructor(capacity: number = 0, options: ChannelOptions<T> = {}) {
    this.capacity = checkCapacity(capacity);
    if (options === null || typeof options !== "object") throw new TypeError(`Channel options must be an object, received ${describeValue(options)}`);
    const { name, overflow, onUndelivered } = readGuarded("Channel options", (): Record<string, unknown> => {
      const o = options as Record<string, unknown>;
      return { name: o.name, overflow: o.overflow, onUndelivered: o.onUndelivered };
    });
    if (name !== undefined && typeof name !== "string") throw new TypeError(`Channel name must be a string, received ${describeValue(name)}`);
    this.overflowPolicy = checkOverflow(capacity, overflow);
    if (onUndelivered !== undefined && typeof onUndelivered !== "function")
      throw new TypeError(`Channel onUndelivered must be a function, received ${describeValue(onUndelivered)}`);
    this.onUndelivered = (onUndelivered as ((value: unknown) => void) | undefined) ?? null;
    this.name = name;
    this.ref = new ChannelRef(this as Channel<unknown>);
    this.buf = capacity > 0 ? new Array<unknown>(Math.min(capacity, 1 << 16)).fill(undefined) : [];
    this.recvOp = new RecvOp<T>(this);
    this.recvq = new WaitQueue(this as Channel<unknown>, RECV);
    this.sendq = new WaitQueue(this as Channel<unknown>, SEND);
  }

  /** Its id in its runtime (assigned when a coroutine first uses it; 0 until then). */
  get id(): number {
    return this.ref.id;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** What a send on a full buffer does. */
  get overflow(): "suspend" | "dropOldest" | "dropNewest" {
    return OVERFLOW_NAMES[this.overflowPolicy];
  }

  /** Buffered values. */
  get length(): number {
    return this.count;
  }

  /** Sends `value`; blocks until a receiver takes it (unbuffered) or there is room. ChannelClosedError if closed. */
  send(value: T): Operation<void> {
    return new SendOp(this as Channel<unknown>, value);
  }

  /** Receives the next value; after close, drains the buffer, then `{ ok: false }`. */
  recv(): Operation<RecvResult<T>> {
    return this.recvOp;
  }

  /** Sends if that can complete now; false if it would block. Throws ChannelClosedError if closed. */
  trySend(value: T): boolean {
    chargeOp(this as Channel<unknown>);
    if (this.isClosed) throw sendOnClosed(this as Channel<unknown>, value);
    if (this.recvq.size === 0 && this.count < this.capacity) {
      bufferPush(this as Channel<unknown>, value); // the common case first: room, nobody waiting
      return true;
    }
    return sendNow(this as Channel<unknown>, value);
  }

  /** Receives if a value (or the closed signal) is there now; undefined if it would block. */
  tryRecv(): RecvResult<T> | undefined {
    chargeOp(this as Channel<unknown>);
    return recvNow(this as Channel<unknown>) as RecvResult<T> | undefined;
  }

  /** Closes the channel and wakes every waiter. ChannelClosedError if already closed. */
  close(): void {
    chargeOp(this as Channel<unknown>);
    closeChannel(this as Channel<unknown>);
  }

  /** A capability that can only send, trySend and close. */
  sender(): SendPort<T> {
    return makeSendPort(this);
  }

  /** A capability that can only recv and tryRecv. */
  receiver(): RecvPort<T> {
    return makeRecvPort(this);
  }

  /** `Channel#1 "jobs" (capacity 0)` (no #id before a coroutine has used it) */
  describe(): string {
    const id = this.ref.id;
    return `Channel${id === 0 ? "" : `#${id}`}${this.name === undefined ? "" : ` ${JSON.stringify(this.name)}`} (capacity ${this.capacity})`;
  }

  toString(): string {
    return this.describe();
  }
}

// ── the shared core: used by Channel, ports and select ───────────────────

/** Charges one channel operation to the running coroutine's runtime, if any, and notes the touch. */
export function chargeOp(ch: Channel<unknown>): void {
  const c = running.current as TaskImpl | null;
  if (c !== null && c.scheduled) {
    touch(c, ch.ref); // binds the channel to c's runtime on first use; refuses another runtime's coroutine
    c.sched.charge(c.sched.channelOpCycles);
  } else if (c === null) {
    // Outside every coroutine: a wake it causes must reach a runAsync() that sleeps on the event loop.
    const s = ch.ref.sched;
    if (s !== null) s.notifyIfAwaiting();
  }
}

export function closedError(ch: Channel<unknown>, what: string): ChannelClosedError {
  return new ChannelClosedError(`${what} closed ${ch.describe()}`);
}

/** The error of a send of `value` on closed `ch`; the value is undelivered. */
export function sendOnClosed(ch: Channel<unknown>, value: unknown): ChannelClosedError {
  const err = closedError(ch, "send on");
  undelivered(ch, value);
  return err;
}

/** `value` will reach no receiver: tell the channel's onUndelivered, if any. */
export function undelivered(ch: Channel<unknown>, value: unknown): void {
  const f = ch.onUndelivered;
  if (f !== null) f(value);
}

/** Hands `value` to the first receiver or buffers it. False if neither is possible now. Channel not closed. */
export function sendNow(ch: Channel<unknown>, value: unknown): boolean {
  const w = ch.recvq.dequeue();
  if (w !== null) {
    completeRecv(w, value);
    return true;
  }
  if (ch.count < ch.capacity) {
    bufferPush(ch, value);
    return true;
  }
  if (ch.overflowPolicy !== Overflow.Suspend) {
    dropOnFull(ch, value);
    return true;
  }
  return false;
}

/** A send on a full buffer under a drop policy: evict the oldest value, or discard this one. */
function dropOnFull(ch: Channel<unknown>, value: unknown): void {
  if (ch.overflowPolicy === Overflow.DropOldest) {
    const oldest = bufferShift(ch);
    bufferPush(ch, value);
    undelivered(ch, oldest);
  } else undelivered(ch, value);
}

/** Takes a value now: from a waiting sender, the buffer, or the closed signal. Undefined if it would block. */
export function recvNow(ch: Channel<unknown>): RecvResult<unknown> | undefined {
  const w = ch.sendq.dequeue();
  if (w !== null) {
    const offered = w instanceof Waiter ? w.value : w.resume;
    let value: unknown;
    if (ch.capacity === 0) value = offered;
    else {
      // Buffer full: take its head, and the sender's value takes the tail, so FIFO holds.
      value = bufferShift(ch);
      bufferPush(ch, offered);
    }
    completeSend(w);
    return { ok: true, value };
  }
  if (ch.count > 0) return { ok: true, value: bufferShift(ch) };
  if (ch.isClosed) return RECV_CLOSED;
  return undefined;
}

export function closeChannel(ch: Channel<unknown>): void {
  if (ch.isClosed) throw closedError(ch, "close of");
  ch.isClosed = true;
  // Receivers first (they get { ok: false }), then senders (they get the error), each in arrival order.
  for (let w = ch.recvq.dequeue(); w !== null; w = ch.recvq.dequeue()) {
    if (w instanceof Waiter) w.select.fire(w, false, undefined);
    else w.sched.wake(w, RECV_CLOSED);
  }
  const lost = ch.onUndelivered === null || ch.sendq.size === 0 ? null : [...ch.sendq].map(nodeValue);
  for (let w = ch.sendq.dequeue(); w !== null; w = ch.sendq.dequeue()) {
    const err = closedError(ch, "send on");
    if (w instanceof Waiter) w.select.fireError(w, err);
    else w.sched.wakeWithError(w, err);
  }
  if (lost !== null) callEach(ch, lost);
}

/** onUndelivered for each value (every one is called; the first throw is rethrown after). */
function callEach(ch: Channel<unknown>, values: readonly unknown[]): void {
  let failure: { error: unknown } | null = null;
  for (const v of values) {
    try {
      undelivered(ch, v);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== null) throw failure.error;
}

/** A receiver (already unlinked) gets `value`. */
function completeRecv(w: QueueNode, value: unknown): void {
  if (w instanceof Waiter) w.select.fire(w, true, value);
  else w.sched.wake(w, { ok: true, value });
}

/** A sender (already unlinked) has delivered its value. */
function completeSend(w: QueueNode): void {
  if (w instanceof Waiter) w.select.fire(w, true, undefined);
  else w.sched.wake(w, undefined);
}

function bufferPush(ch: Channel<unknown>, value: unknown): void {
  let buf = ch.buf;
  if (ch.count === buf.length) buf = growRing(ch);
  let i = ch.head + ch.count;
  if (i >= buf.length) i -= buf.length;
  buf[i] = value;
  ch.count++;
}

/** Takes the buffer's head. Precondition: count > 0 and no sender waits (else use recvNow). */
export function takeBuffered(ch: Channel<unknown>): unknown {
  return bufferShift(ch);
}

function bufferShift(ch: Channel<unknown>): unknown {
  const buf = ch.buf;
  const value = buf[ch.head];
  buf[ch.head] = undefined; // drop the reference: a received value is the receiver's alone
  ch.head = ch.head + 1 === buf.length ? 0 : ch.head + 1;
  ch.count--;
  return value;
}

/** Huge capacities get their ring lazily, doubling up to capacity. */
function growRing(ch: Channel<unknown>): unknown[] {
  const old = ch.buf;
  const next = new Array<unknown>(Math.min(ch.capacity, Math.max(16, old.length * 2))).fill(undefined);
  for (let k = 0; k < ch.count; k++) next[k] = old[(ch.head + k) % old.length];
  ch.buf = next;
  ch.head = 0;
  return next;
}

// ── the operations ────────────────────────────────────────────────────────

// Operations keep their channel in #private fields: an operation obtained
// through a port must not hand out the channel (ports are capabilities).
class SendOp implements Operation<void>, Iterator<unknown, void, unknown> {
  readonly #ch: Channel<unknown>;
  readonly #value: unknown;
  constructor(ch: Channel<unknown>, value: unknown) {
    this.#ch = ch;
    this.#value = value;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE_VOID; // the resume (RESUME): see coro/operation.ts
    const t = currentTaskOrThrow("Channel.send()");
    const rt = t.sched;
    if (rt.chooser !== null && rt.preemptHere(t)) return SUSPENDED; // schedule exploration (sched/chooser.ts)
    const ch = this.#ch;
    touch(t, ch.ref); // first use binds; another runtime's coroutine is refused
    rt.charge(rt.channelOpCycles);
    if (ch.isClosed) throw sendOnClosed(ch, this.#value);
    // Fast path first: room in the buffer and nobody waiting to receive.
    if (ch.recvq.size === 0 && ch.count < ch.capacity) {
      bufferPush(ch, this.#value);
      return DONE_VOID;
    }
    if (sendNow(ch, this.#value)) return DONE_VOID;
    // The task is its own waiter: it links into the queue, the queue is its wait record.
    t.resume = this.#value;
    ch.sendq.enqueue(t);
    rt.park(t, ch.sendq);
    return SUSPENDED;
  }
  throw(e: unknown): IteratorResult<unknown, void> {
    throw e;
  }
  /**
   * Only a cancellation delivered while this send waits gets here (yield*
   * forwards the generator's return): the value was never sent.
   */
  return(): IteratorResult<unknown, void> {
    undelivered(this.#ch, this.#value);
    return DONE_VOID;
  }
}

/** Stateless (the result travels on the task), so one instance per channel serves every receiver. */
class RecvOp<T> implements Operation<RecvResult<T>>, Iterator<unknown, RecvResult<T>, unknown> {
  readonly #ch: Channel<T>;
  constructor(ch: Channel<T>) {
    this.#ch = ch;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, RecvResult<T>> {
    if (x !== undefined) {
      return takeResumeValue<RecvResult<T>>();
    }
    const t = currentTaskOrThrow("Channel.recv()");
    const rt = t.sched;
    if (rt.chooser !== null && rt.preemptHere(t)) return SUSPENDED as IteratorResult<unknown, RecvResult<T>>; // schedule exploration
    const ch = this.#ch as Channel<unknown>;
    touch(t, ch.ref);
    rt.charge(rt.channelOpCycles);
    // Fast path first: a buffered value and no sender waiting (else the sender's value must follow the buffer's).
    if (ch.count > 0 && ch.sendq.size === 0) return { done: true, value: { ok: true, value: bufferShift(ch) as T } };
    const r = recvNow(ch);
    if (r !== undefined) return { done: true, value: r as RecvResult<T> };
    ch.recvq.enqueue(t);
    rt.park(t, ch.recvq);
    return SUSPENDED as IteratorResult<unknown, RecvResult<T>>;
  }
  throw(e: unknown): IteratorResult<unknown, RecvResult<T>> {
    throw e;
  }
}

// A channel or a port passed to spawn() counts as touched by the new task (leak detection).
resourceResolvers.push((a: object): Resource | null => {
  const ch = isChannel(a) ? a : (channelOfSendPort(a) ?? channelOfRecvPort(a));
  return ch === undefined ? null : ch.ref;
});
