/**
 * A prototype of #12's "handles, not pointers" on the floor's semantics, to
 * measure what the technique alone buys (bench/instructions, subject
 * `proto-handles`). Not a library and not src/.
 *
 * - Tasks live in parallel arrays indexed by a small integer id: `gens[id]`
 *   (the generator, the only JS object per task), `slots[id]` (the value a
 *   waker hands over or a parked sender offers).
 * - The run queue is an Int32Array ring of ids; a channel's wait queues are
 *   Int32Array rings of ids. Storing an id (a small integer) into an old
 *   structure needs no write barrier; storing a young object does.
 * - The `{ ok, value }` a receive returns is built at resume from the slot
 *   and returned, never stored.
 *
 * Same protocol and semantics as bench/peers/minimal-channel.ts (FIFO
 * wait lists, unbuffered rendezvous, buffered FIFO), so the two are
 * comparable instruction for instruction.
 */

const RESUME = 1; // a Smi: resuming passes no object
const SUSPEND = Symbol("suspend");
const SUSPENDED: IteratorYieldResult<typeof SUSPEND> = { done: false, value: SUSPEND };
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

type Gen = Generator<unknown, unknown, unknown>;

/** A FIFO ring of ids that grows by doubling. */
class IdRing {
  ids: Int32Array;
  head = 0;
  size = 0;
  mask: number;
  constructor(capacity = 16) {
    this.ids = new Int32Array(capacity);
    this.mask = capacity - 1;
  }
  push(id: number): void {
    if (this.size > this.mask) this.grow();
    this.ids[(this.head + this.size) & this.mask] = id;
    this.size++;
  }
  shift(): number {
    if (this.size === 0) return -1;
    const id = this.ids[this.head];
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return id;
  }
  private grow(): void {
    const next = new Int32Array(this.ids.length * 2);
    for (let k = 0; k < this.size; k++) next[k] = this.ids[(this.head + k) & this.mask];
    this.ids = next;
    this.head = 0;
    this.mask = next.length - 1;
  }
}

export class HandleRuntime {
  readonly gens: (Gen | undefined)[] = [];
  readonly slots: unknown[] = [];
  private readonly free: number[] = [];
  private readonly queue = new IdRing(1024);
  current = -1;

  spawn<A extends unknown[]>(fn: (...args: A) => Gen, ...args: A): void {
    const id = this.free.length > 0 ? this.free.pop()! : this.gens.length;
    this.gens[id] = fn(...args);
    this.slots[id] = undefined;
    this.queue.push(id);
  }

  ready(id: number): void {
    this.queue.push(id);
  }

  run(): void {
    const q = this.queue;
    const gens = this.gens;
    for (;;) {
      const id = q.shift();
      if (id < 0) break;
      this.current = id;
      const r = gens[id]!.next(RESUME);
      if (r.done === true) {
        gens[id] = undefined;
        this.slots[id] = undefined;
        this.free.push(id);
      }
    }
    this.current = -1;
  }
}

export type HandleRecvResult<T> = { ok: true; value: T } | { ok: false; value: undefined };

export class HandleChannel<T> {
  readonly buf: (T | undefined)[];
  head = 0;
  count = 0;
  readonly sendq = new IdRing();
  readonly recvq = new IdRing();
  private readonly recvOp: HandleRecv<T>;

  constructor(
    readonly rt: HandleRuntime,
    readonly capacity: number,
  ) {
    this.buf = new Array<T | undefined>(capacity).fill(undefined);
    this.recvOp = new HandleRecv<T>(this);
  }

  send(value: T): Iterable<unknown> & Iterator<unknown, void, unknown> {
    return new HandleSend<T>(this, value);
  }

  recv(): Iterable<unknown> & Iterator<unknown, HandleRecvResult<T>, unknown> {
    return this.recvOp;
  }
}

class HandleSend<T> implements Iterator<unknown, void, unknown> {
  constructor(
    private readonly ch: HandleChannel<T>,
    private readonly value: T,
  ) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE;
    const ch = this.ch;
    const r = ch.recvq.shift();
    if (r >= 0) {
      ch.rt.slots[r] = this.value;
      ch.rt.ready(r);
      return DONE;
    }
    if (ch.count < ch.capacity) {
      let i = ch.head + ch.count;
      if (i >= ch.capacity) i -= ch.capacity;
      ch.buf[i] = this.value;
      ch.count++;
      return DONE;
    }
    const t = ch.rt.current;
    ch.rt.slots[t] = this.value;
    ch.sendq.push(t);
    return SUSPENDED;
  }
}

class HandleRecv<T> implements Iterator<unknown, HandleRecvResult<T>, unknown> {
  constructor(private readonly ch: HandleChannel<T>) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, HandleRecvResult<T>> {
    const ch = this.ch;
    const rt = ch.rt;
    if (x !== undefined) {
      const t = rt.current;
      const v = rt.slots[t] as T;
      rt.slots[t] = undefined;
      return { done: true, value: { ok: true, value: v } };
    }
    const s = ch.sendq.shift();
    if (s >= 0) {
      let v: T;
      if (ch.capacity === 0) v = rt.slots[s] as T;
      else {
        v = ch.buf[ch.head] as T;
        ch.buf[ch.head] = rt.slots[s] as T;
        ch.head = ch.head + 1 === ch.capacity ? 0 : ch.head + 1;
      }
      rt.slots[s] = undefined;
      rt.ready(s);
      return { done: true, value: { ok: true, value: v } };
    }
    if (ch.count > 0) {
      const v = ch.buf[ch.head] as T;
      ch.buf[ch.head] = undefined;
      ch.head = ch.head + 1 === ch.capacity ? 0 : ch.head + 1;
      ch.count--;
      return { done: true, value: { ok: true, value: v } };
    }
    ch.recvq.push(rt.current);
    return SUSPENDED;
  }
}

/** yieldNow on the handle runtime. */
export function handleYield(rt: HandleRuntime): Iterable<unknown> & Iterator<unknown, void, unknown> {
  return new HandleYield(rt);
}

class HandleYield implements Iterator<unknown, void, unknown> {
  constructor(private readonly rt: HandleRuntime) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE;
    this.rt.ready(this.rt.current);
    return SUSPENDED;
  }
}
