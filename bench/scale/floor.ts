/**
 * The scale benchmark's floor: the least a `yield*` runtime can do to run the
 * park-wake, timers and day workloads, built so that nothing in it is worse
 * than O(1) per operation at any N except the timer heap's O(log N). It is the
 * ruler for the #12 goal "cost per coroutine grows ≤ 1.3× from 10⁵ to 10⁷":
 * whatever this floor's cost per coroutine does between those N is the
 * engine's and the machine's (V8's allocator and collector, caches, TLB, page
 * faults on N × a few hundred bytes), which no runtime of this API avoids.
 *
 * Same protocol as src/coro/operation.ts and bench/peers/minimal-channel.ts
 * (an operation's first `next()` completes or parks; the resume passes RESUME),
 * but with ring-buffer queues instead of arrays with `shift()`/`splice()`
 * (O(n) per call on arrays of 10⁵+ elements in V8), and a task that is its own
 * timer (its deadline and sequence number are fields; a binary min-heap of
 * tasks). No cycle model, no stacks, no cancellation, no detection, no
 * validation, no observers.
 *
 * `new ScaleFloor({ slots: true })` (the "floor+slot" subject) adds the one
 * thing of the seed's design that costs memory at scale: each coroutine gets
 * a 256 B slot in one growable SharedArrayBuffer (a free list of slot
 * indices, the buffer grown by doubling), its 16 B header written at spawn
 * (the parent id) and at each park (the wait start), the slot freed when the
 * coroutine returns. Between the two floors is what a stack slot per
 * coroutine costs at each N: the bytes and the second memory region touched.
 */

import { heapPop, heapPush } from "../lib/deadline-heap.js";

const RESUME = Symbol("resume");
const SUSPEND = Symbol("suspend");
const SUSPENDED: IteratorYieldResult<typeof SUSPEND> = { done: false, value: SUSPEND };
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

type Gen = Generator<unknown, unknown, unknown>;
export type FloorRecvResult<T> = { ok: true; value: T } | { ok: false; value: undefined };

class FloorTask {
  gen: Gen | null = null;
  /** Byte address of its slot (the slots floor), else -1. */
  addr = -1;
  /** What a waker hands over, or what a parked sender offers. */
  slot: unknown = undefined;
  /** Timer key: virtual ms, then arming order (equal deadlines fire FIFO). */
  deadline = 0;
  seq = 0;
}

/** A FIFO of tasks in a power-of-two ring that doubles when full: O(1) amortised at any length. */
class Ring {
  private buf: (FloorTask | undefined)[] = new Array<FloorTask | undefined>(16).fill(undefined);
  private head = 0;
  size = 0;

  push(t: FloorTask): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = t;
    this.size++;
  }

  shift(): FloorTask | undefined {
    if (this.size === 0) return undefined;
    const t = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return t;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<FloorTask | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}

/** A micro slot's bytes, as cprime-coro's: the header's first 8 B are the wait start (f64), the next 4 the parent id. */
const SLOT_BYTES = 256;
const MAX_SLOT_BUFFER_BYTES = 2 ** 32 - 8;

export class ScaleFloor {
  private readonly queue = new Ring();
  private readonly timers: FloorTask[] = [];
  private seq = 0;
  private nowMs = 0;
  current: FloorTask | null = null;
  /** The slots floor: the buffer, its views (length-tracking), the free slot indices and the next never-used one. */
  private readonly slots: SharedArrayBuffer | null;
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;

  constructor(options: { slots?: boolean } = {}) {
    this.slots = options.slots === true ? new SharedArrayBuffer(1 << 20, { maxByteLength: MAX_SLOT_BUFFER_BYTES }) : null;
    this.f64 = this.slots === null ? new Float64Array(0) : new Float64Array(this.slots);
    this.u32 = this.slots === null ? new Uint32Array(0) : new Uint32Array(this.slots);
  }

  spawn<A extends unknown[]>(fn: (...args: A) => Gen, ...args: A): void {
    const t = new FloorTask();
    if (this.slots !== null) {
      t.addr = this.takeSlot();
      this.u32[(t.addr >>> 2) + 2] = this.current === null ? 0 : 1; // the parent id
    }
    t.gen = fn(...args);
    this.queue.push(t);
  }

  private takeSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free * SLOT_BYTES;
    const addr = this.nextSlot++ * SLOT_BYTES;
    const buffer = this.slots!;
    if (addr + SLOT_BYTES > buffer.byteLength) buffer.grow(Math.min(MAX_SLOT_BUFFER_BYTES, buffer.byteLength * 2));
    return addr;
  }

  /** Slots in use, bytes per slot, the buffer's bytes (all 0 without slots). */
  slotStats(): { inUse: number; slotBytes: number; bufferBytes: number } {
    if (this.slots === null) return { inUse: 0, slotBytes: 0, bufferBytes: 0 };
    return { inUse: this.nextSlot - this.freeSlots.length, slotBytes: SLOT_BYTES, bufferBytes: this.slots.byteLength };
  }

  /** A task parks: its wait start goes in its slot header (the slots floor). */
  parked(t: FloorTask): void {
    if (t.addr >= 0) this.f64[t.addr >>> 3] = this.nowMs;
  }

  /** Virtual milliseconds: the clock jumps to the next deadline when nothing is runnable. */
  now(): number {
    return this.nowMs;
  }

  ready(t: FloorTask): void {
    this.queue.push(t);
  }

  sleep(ms: number): FloorSleep {
    return new FloorSleep(this, ms);
  }

  arm(t: FloorTask, deadline: number): void {
    t.deadline = deadline;
    t.seq = this.seq++;
    heapPush(this.timers, t);
  }

  run(): void {
    const q = this.queue;
    for (;;) {
      for (let t = q.shift(); t !== undefined; t = q.shift()) {
        this.current = t;
        if (t.gen!.next(RESUME).done === true && t.addr >= 0) this.freeSlots.push(t.addr / SLOT_BYTES);
      }
      if (this.timers.length === 0) break;
      // Everything due at the earliest deadline becomes ready, in arming order.
      const first = heapPop(this.timers);
      this.nowMs = first.deadline;
      q.push(first);
      while (this.timers.length !== 0 && this.timers[0].deadline === this.nowMs) q.push(heapPop(this.timers));
    }
    this.current = null;
  }
}

class FloorSleep implements Iterator<unknown, void, unknown> {
  constructor(
    private readonly rt: ScaleFloor,
    private readonly ms: number,
  ) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE;
    const me = this.rt.current!;
    this.rt.arm(me, this.rt.now() + this.ms);
    this.rt.parked(me);
    return SUSPENDED;
  }
}

/** An unbuffered channel (the only kind the workloads use): a rendezvous of two task rings. */
export class FloorChannel<T> {
  readonly recvq = new Ring();
  readonly sendq = new Ring();
  constructor(readonly rt: ScaleFloor) {}
  recv(): FloorRecv<T> {
    return new FloorRecv<T>(this);
  }
  send(v: T): FloorSend<T> {
    return new FloorSend<T>(this, v);
  }
}

class FloorSend<T> implements Iterator<unknown, void, unknown> {
  constructor(
    private readonly ch: FloorChannel<T>,
    private readonly value: T,
  ) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE;
    const ch = this.ch;
    const r = ch.recvq.shift();
    if (r !== undefined) {
      r.slot = this.value;
      ch.rt.ready(r);
      return DONE;
    }
    const me = ch.rt.current!;
    me.slot = this.value;
    ch.sendq.push(me);
    ch.rt.parked(me);
    return SUSPENDED;
  }
}

class FloorRecv<T> implements Iterator<unknown, FloorRecvResult<T>, unknown> {
  constructor(private readonly ch: FloorChannel<T>) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, FloorRecvResult<T>> {
    const ch = this.ch;
    if (x !== undefined) {
      const me = ch.rt.current!;
      const v = me.slot as T;
      me.slot = undefined;
      return { done: true, value: { ok: true, value: v } };
    }
    const s = ch.sendq.shift();
    if (s !== undefined) {
      const v = s.slot as T;
      s.slot = undefined;
      ch.rt.ready(s);
      return { done: true, value: { ok: true, value: v } };
    }
    const me = ch.rt.current!;
    ch.recvq.push(me);
    ch.rt.parked(me);
    return SUSPENDED;
  }
}
