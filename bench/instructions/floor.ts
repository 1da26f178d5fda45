/**
 * The floor's missing pieces for the instruction-count cases: yieldNow and a
 * virtual-time sleep on the minimal runtime of bench/peers/minimal-channel.ts
 * style, and nothing more (no cycle model, no cancellation, no validation).
 *
 * - `FloorScheduler` is a run queue of generators plus a binary min-heap of
 *   timers ordered by (deadline, sequence number), so equal deadlines fire
 *   FIFO as in cprime-coro. When the run queue is empty the clock jumps to the
 *   earliest deadline (discrete-event simulation, as `Runtime.run()` does).
 * - Operations follow src/coro/operation.ts's protocol: the first `next()`
 *   (undefined) parks and returns SUSPENDED; the resume passes RESUME.
 */

import { heapPop, heapPush } from "../lib/deadline-heap.js";
import type { MinimalRuntime } from "../peers/minimal-channel.js";

const RESUME = Symbol("resume");
const SUSPEND = Symbol("suspend");
const SUSPENDED: IteratorYieldResult<typeof SUSPEND> = { done: false, value: SUSPEND };
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

type Gen = Generator<unknown, unknown, unknown>;

interface FloorTimer {
  deadline: number;
  seq: number;
  gen: Gen;
}

export class FloorScheduler {
  private readonly queue: Gen[] = [];
  private head = 0;
  private readonly timers: FloorTimer[] = [];
  private seq = 0;
  now = 0;
  current: Gen | null = null;

  spawn<A extends unknown[]>(fn: (...args: A) => Gen, ...args: A): void {
    this.queue.push(fn(...args));
  }

  yieldNow(): Iterable<unknown> & Iterator<unknown, void, unknown> {
    return new FloorYield(this);
  }

  sleep(ms: number): Iterable<unknown> & Iterator<unknown, void, unknown> {
    return new FloorSleep(this, ms);
  }

  ready(g: Gen): void {
    this.queue.push(g);
  }

  addTimer(deadline: number, gen: Gen): void {
    heapPush(this.timers, { deadline, seq: this.seq++, gen });
  }

  run(): void {
    const q = this.queue;
    for (;;) {
      while (this.head < q.length) {
        const g = q[this.head++];
        this.current = g;
        g.next(RESUME);
        if (this.head > 4096) {
          q.splice(0, this.head);
          this.head = 0;
        }
      }
      q.length = 0;
      this.head = 0;
      if (this.timers.length === 0) break;
      const t = heapPop(this.timers);
      this.now = t.deadline;
      q.push(t.gen);
    }
    this.current = null;
  }
}

class FloorYield implements Iterator<unknown, void, unknown> {
  constructor(private readonly s: FloorScheduler) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x === RESUME) return DONE;
    this.s.ready(this.s.current!);
    return SUSPENDED;
  }
}

class FloorSleep implements Iterator<unknown, void, unknown> {
  constructor(
    private readonly s: FloorScheduler,
    private readonly ms: number,
  ) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x === RESUME) return DONE;
    this.s.addTimer(this.s.now + this.ms, this.s.current!);
    return SUSPENDED;
  }
}

/** yieldNow for bench/peers/minimal-channel.ts's runtime (its resume passes a non-undefined value). */
export function minimalYield(rt: MinimalRuntime): Iterable<unknown> & Iterator<unknown, void, unknown> {
  return new MinimalYield(rt);
}

class MinimalYield implements Iterator<unknown, void, unknown> {
  constructor(private readonly rt: MinimalRuntime) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, void> {
    if (x !== undefined) return DONE;
    this.rt.ready(this.rt.current!);
    return SUSPENDED;
  }
}
