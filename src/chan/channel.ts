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
 * Invariants (checked by checkChannel()):
 * - at most one of `sendq` and `recvq` is non-empty — except when the only
 *   waiters on both are the cases of a single select (Go has the same exception);
 * - 0 ≤ count ≤ capacity; count > 0 implies recvq is empty;
 * - sendq non-empty implies the buffer is full (count == capacity);
 * - once closed, both queues are empty forever.
 *
 * Cost model: every operation charges `channelOp` cycles to the runtime of
 * the coroutine performing it (nothing when called outside coroutines).
 */
import { ChannelClosedError } from "../errors.js";
import { DONE_VOID, SUSPENDED, type Operation } from "../coro/operation.js";
import { running } from "../coro/context.js";
import { describeValue } from "../describe.js";
import { Resource } from "../sched/resource.js";
import { currentTaskOrThrow, resourceResolvers } from "../sched/scheduler.js";
import { touch, type TaskImpl, takeResumeValue } from "../sched/task.js";
import { RECV, SEND, Waiter, WaitQueue, type QueueNode } from "./wait-queue.js";
import { channelOfRecvPort, channelOfSendPort, makeRecvPort, makeSendPort, type RecvPort, type SendPort } from "./ports.js";

/** What a receive gives: a value, or `{ ok: false }` once the channel is closed and drained. */
export type RecvResult<T> = { ok: true; value: T } | { ok: false; value: undefined };

/** The result of a receive on a closed, drained channel (shared, frozen). */
export const RECV_CLOSED: { readonly ok: false; readonly value: undefined } = Object.freeze({ ok: false, value: undefined });

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
  /** @internal */ private readonly recvOp: RecvOp<T>;

  constructor(capacity: number = 0, options: { name?: string } = {}) {
    this.capacity = checkCapacity(capacity);
    if (options === null || typeof options !== "object") throw new TypeError(`Channel options must be an object, received ${describeValue(options)}`);
    const name: unknown = options.name;
    if (name !== undefined && typeof name !== "string") throw new TypeError(`Channel name must be a string, received ${describeValue(name)}`);
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
    if (this.isClosed) throw closedError(this as Channel<unknown>, "send on");
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
  return false;
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
  for (let w = ch.sendq.dequeue(); w !== null; w = ch.sendq.dequeue()) {
    const err = closedError(ch, "send on");
    if (w instanceof Waiter) w.select.fireError(w, err);
    else w.sched.wakeWithError(w, err);
  }
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
    if (ch.isClosed) throw closedError(ch, "send on");
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
  const ch = a instanceof Channel ? (a as Channel<unknown>) : (channelOfSendPort(a) ?? channelOfRecvPort(a));
  return ch === undefined ? null : ch.ref;
});
