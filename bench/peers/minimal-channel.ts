/**
 * The floor for this API shape: the least a runtime can do to run coroutines
 * that block on channels through `yield*` operations — a run queue of
 * generators, FIFO wait lists, an operation object per send, result objects
 * per receive, a seeded poll order for select — and nothing else: no cycle
 * model, no stacks, no cancellation, no deadlock or leak detection, no
 * validation, no observers. It is not a library; it is the ruler that tells
 * how much of a cprime-coro figure is the engine's `yield*` machinery, which
 * no implementation of this API can avoid, and how much is ours.
 *
 * Same protocol as src/coro/operation.ts: an operation's first `next()`
 * (from `yield*`, with undefined) completes or parks; the resume passes a
 * value (RESUME) and the operation returns what the waker left on the task.
 */

const RESUME = Symbol("resume");
const SUSPEND = Symbol("suspend");
const SUSPENDED: IteratorYieldResult<typeof SUSPEND> = { done: false, value: SUSPEND };
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

export type MinimalRecvResult<T> = { ok: true; value: T } | { ok: false; value: undefined };

class MinimalTask {
  gen: Generator<unknown, unknown, unknown> | null = null;
  /** What the waker hands over, or the value a parked sender offers. */
  slot: unknown = undefined;
}

/** A run queue and a current task: the whole scheduler. */
export class MinimalRuntime {
  private readonly queue: MinimalTask[] = [];
  private head = 0;
  current: MinimalTask | null = null;

  spawn<A extends unknown[]>(fn: (...args: A) => Generator<unknown, unknown, unknown>, ...args: A): void {
    const t = new MinimalTask();
    t.gen = fn(...args);
    this.queue.push(t);
  }

  ready(t: MinimalTask): void {
    this.queue.push(t);
  }

  run(): void {
    const q = this.queue;
    while (this.head < q.length) {
      const t = q[this.head++];
      this.current = t;
      t.gen!.next(RESUME);
      if (this.head > 4096) {
        q.splice(0, this.head);
        this.head = 0;
      }
    }
    q.length = 0;
    this.head = 0;
    this.current = null;
  }
}

/** Unbuffered or buffered, FIFO waiters; no close (the benchmarks never close). */
export class MinimalChannel<T> {
  readonly buf: (T | undefined)[];
  head = 0;
  count = 0;
  readonly sendq: MinimalTask[] = [];
  readonly recvq: MinimalTask[] = [];
  private readonly recvOp: MinimalRecv<T>;

  constructor(
    readonly rt: MinimalRuntime,
    readonly capacity: number,
  ) {
    this.buf = new Array<T | undefined>(capacity).fill(undefined);
    this.recvOp = new MinimalRecv<T>(this);
  }

  send(value: T): Iterable<unknown> & Iterator<unknown, void, unknown> {
    return new MinimalSend<T>(this, value);
  }

  recv(): Iterable<unknown> & Iterator<unknown, MinimalRecvResult<T>, unknown> {
    return this.recvOp;
  }

  shift(): T {
    const v = this.buf[this.head] as T;
    this.buf[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
    return v;
  }

  push(v: T): void {
    let i = this.head + this.count;
    if (i >= this.capacity) i -= this.capacity;
    this.buf[i] = v;
    this.count++;
  }

  /** Put back without blocking (select's benchmark refills its channels this way). */
  trySend(v: T): boolean {
    if (this.recvq.length > 0 || this.count === this.capacity) return false;
    this.push(v);
    return true;
  }
}

class MinimalSend<T> implements Iterator<unknown, void, unknown> {
  constructor(
    private readonly ch: MinimalChannel<T>,
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
      r.slot = { ok: true, value: this.value };
      ch.rt.ready(r);
      return DONE;
    }
    if (ch.count < ch.capacity) {
      ch.push(this.value);
      return DONE;
    }
    const t = ch.rt.current!;
    t.slot = this.value;
    ch.sendq.push(t);
    return SUSPENDED;
  }
}

class MinimalRecv<T> implements Iterator<unknown, MinimalRecvResult<T>, unknown> {
  constructor(private readonly ch: MinimalChannel<T>) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(x?: unknown): IteratorResult<unknown, MinimalRecvResult<T>> {
    const ch = this.ch;
    if (x !== undefined) {
      const t = ch.rt.current!;
      const v = t.slot as MinimalRecvResult<T>;
      t.slot = undefined;
      return { done: true, value: v };
    }
    const s = ch.sendq.shift();
    if (s !== undefined) {
      let v: T;
      if (ch.capacity === 0) v = s.slot as T;
      else {
        v = ch.shift();
        ch.push(s.slot as T);
      }
      s.slot = undefined;
      ch.rt.ready(s);
      return { done: true, value: { ok: true, value: v } };
    }
    if (ch.count > 0) return { done: true, value: { ok: true, value: ch.shift() } };
    ch.recvq.push(ch.rt.current!);
    return SUSPENDED;
  }
}

/** A recv case of a minimal select. */
export class MinimalRecvCase<T> {
  constructor(readonly ch: MinimalChannel<T>) {}
}

let seed = 0x2545f491;

/**
 * select's ready path, the only one its benchmark exercises: poll the cases
 * in a random order (inside-out Fisher–Yates, as Go and cprime-coro do) and
 * take the first ready one. Throws if none is ready: the floor needs no more.
 */
export function minimalSelect<T>(
  cases: readonly MinimalRecvCase<T>[],
): Iterable<unknown> & Iterator<unknown, { index: number; ok: boolean; value: unknown }, unknown> {
  return new MinimalSelect(cases);
}

const order = new Int32Array(64);

class MinimalSelect<T> implements Iterator<unknown, { index: number; ok: boolean; value: unknown }, unknown> {
  constructor(private readonly cases: readonly MinimalRecvCase<T>[]) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(): IteratorResult<unknown, { index: number; ok: boolean; value: unknown }> {
    const cases = this.cases;
    const n = cases.length;
    for (let i = 0; i < n; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      const j = (seed >>> 0) % (i + 1);
      order[i] = order[j];
      order[j] = i;
    }
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const ch = cases[i].ch;
      if (ch.count > 0 && ch.sendq.length === 0) return { done: true, value: { index: i, ok: true, value: ch.shift() } };
    }
    throw new Error("minimalSelect: no case is ready (the floor implements the ready path only)");
  }
}
