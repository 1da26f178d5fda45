/**
 * The run queue: a FIFO ring buffer of ready tasks.
 *
 * Invariants: `head` indexes the oldest entry; `size` entries follow it,
 * wrapping at `capacity` (a power of two, so wrapping is a mask). Slots
 * outside the live range are `undefined`, so the queue holds no stale
 * reference to a finished task. Push and shift are O(1), amortised for growth.
 */
import { bug } from "../errors.js";

export class RunQueue<T> {
  private items: (T | undefined)[];
  private mask: number;
  private head = 0;
  private readonly initialCapacity: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.initialCapacity = cap;
    this.items = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  /**
   * Gives back the memory of a burst: an empty queue that grew returns to its
   * initial capacity. (A million coroutines spawned at once leave an 8 MB
   * array behind otherwise, 8 bytes per coroutine for the runtime's life.)
   */
  trim(): void {
    if (this.size !== 0 || this.items.length === this.initialCapacity) return;
    this.items = new Array<T | undefined>(this.initialCapacity).fill(undefined);
    this.mask = this.initialCapacity - 1;
    this.head = 0;
  }

  push(item: T): void {
    if (this.size > this.mask) this.grow();
    this.items[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  /** The oldest entry, or undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const i = this.head;
    const item = this.items[i];
    this.items[i] = undefined;
    this.head = (i + 1) & this.mask;
    this.size--;
    return item;
  }

  /** The entry at position `k` from the oldest (0 ≤ k < size): the schedule explorer's view (sched/chooser.ts). */
  at(k: number): T {
    return this.items[(this.head + k) & this.mask]!;
  }

  /** Removes and returns the entry at position `k` (0 ≤ k < size); O(k). Only a chooser's pick uses it. */
  takeAt(k: number): T {
    if (k === 0) return this.shift()!;
    const item = this.at(k);
    for (let j = k; j < this.size - 1; j++) this.items[(this.head + j) & this.mask] = this.items[(this.head + j + 1) & this.mask];
    this.items[(this.head + this.size - 1) & this.mask] = undefined;
    this.size--;
    return item;
  }

  /** Removes `item` if queued (O(n); only cancellation and teardown use it). */
  remove(item: T): boolean {
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & this.mask;
      if (this.items[i] === item) {
        for (let j = k; j < this.size - 1; j++) {
          this.items[(this.head + j) & this.mask] = this.items[(this.head + j + 1) & this.mask];
        }
        this.items[(this.head + this.size - 1) & this.mask] = undefined;
        this.size--;
        return true;
      }
    }
    return false;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let k = 0; k < this.size; k++) yield this.items[(this.head + k) & this.mask]!;
  }

  private grow(): void {
    const old = this.items;
    const cap = old.length * 2;
    const next = new Array<T | undefined>(cap).fill(undefined);
    for (let k = 0; k < this.size; k++) next[k] = old[(this.head + k) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = cap - 1;
  }
}

/** What the scheduler needs of its ready queue: RunQueue, or LevelQueue once priorities or deadlines appear. */
export interface ReadyQueue<T> {
  readonly size: number;
  push(item: T): void;
  shift(): T | undefined;
  remove(item: T): boolean;
  trim(): void;
  [Symbol.iterator](): IterableIterator<T>;
}

/** What LevelQueue reads of an entry: its effective priority and its deadline (cycles; Infinity for none). */
export interface Prioritised {
  readonly effectivePriority: number;
  readonly deadlineCycles: number;
}

/**
 * Strict priority levels, FIFO within a level, earliest deadline first
 * among the entries of a level that have one (they come before the level's
 * FIFO entries: no deadline is an infinite one).
 *
 * Invariants: `levels` holds every level with entries, `order` their keys in
 * descending order; `size` is the sum of the levels' sizes; an entry sits in
 * the level of the priority it had when pushed (a priority change re-queues
 * it: `reprioritise`). EDF ties go by push order (`seq`), so the whole order
 * is a function of the pushes: seeded runs stay deterministic.
 *
 * The scheduler starts with a plain RunQueue and switches to this the first
 * time a non-zero priority or a deadline appears, so a program that uses
 * neither pays nothing for them.
 */
export class LevelQueue<T extends Prioritised> implements ReadyQueue<T> {
  private readonly levels = new Map<number, Level<T>>();
  private order: number[] = [];
  private seq = 0;
  size = 0;

  push(item: T): void {
    const priority = item.effectivePriority;
    let level = this.levels.get(priority);
    if (level === undefined) {
      level = new Level<T>();
      this.levels.set(priority, level);
      this.order.push(priority);
      this.order.sort((a, b) => b - a);
    }
    if (item.deadlineCycles === Infinity) level.fifo.push(item);
    else level.edfPush(item, this.seq++);
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    for (const priority of this.order) {
      const level = this.levels.get(priority)!;
      const item = level.edf.length > 0 ? level.edfShift() : level.fifo.shift();
      if (item === undefined) continue;
      this.size--;
      return item;
    }
    return undefined;
  }

  remove(item: T): boolean {
    for (const level of this.levels.values()) {
      if (level.fifo.remove(item) || level.edfRemove(item)) {
        this.size--;
        return true;
      }
    }
    return false;
  }

  /**
   * What may run next with equal right, for a schedule explorer's chooser:
   * the top non-empty level's earliest deadline alone when it has deadlines,
   * else its FIFO entries in order.
   */
  eligible(): { readonly size: number; at(k: number): T } {
    const level = this.topLevel();
    if (level === undefined) return { size: 0, at: () => bug("at() on an empty ready set") };
    if (level.edf.length > 0) return { size: 1, at: () => level.edf[0].item };
    return { size: level.fifo.size, at: (k) => level.fifo.at(k) };
  }

  /** Takes the `k`-th of eligible(). */
  takeEligible(k: number): T {
    const level = this.topLevel() ?? bug("takeEligible() on an empty queue");
    this.size--;
    return level.edf.length > 0 ? level.edfShift() : level.fifo.takeAt(k);
  }

  private topLevel(): Level<T> | undefined {
    for (const priority of this.order) {
      const level = this.levels.get(priority)!;
      if (level.edf.length > 0 || level.fifo.size > 0) return level;
    }
    return undefined;
  }

  /** Drops empty levels (an emptied queue keeps no stale structure). */
  trim(): void {
    if (this.size !== 0) return;
    this.levels.clear();
    this.order = [];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const priority of this.order) {
      const level = this.levels.get(priority)!;
      yield* [...level.edf].sort((a, b) => a.deadline - b.deadline || a.seq - b.seq).map((e) => e.item);
      yield* level.fifo;
    }
  }
}

/** One priority level: EDF entries (a binary min-heap on deadline, then push order) and FIFO entries. */
class Level<T extends Prioritised> {
  readonly fifo = new RunQueue<T>(16);
  readonly edf: { item: T; deadline: number; seq: number }[] = [];

  edfPush(item: T, seq: number): void {
    const heap = this.edf;
    heap.push({ item, deadline: item.deadlineCycles, seq });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  edfShift(): T {
    const heap = this.edf;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top.item;
  }

  /** O(n): cancellation and teardown only. */
  edfRemove(item: T): boolean {
    const heap = this.edf;
    const i = heap.findIndex((e) => e.item === item);
    if (i < 0) return false;
    heap.splice(i, 1);
    for (let k = (heap.length >> 1) - 1; k >= 0; k--) this.siftDown(k); // re-heapify
    return true;
  }

  private siftDown(i: number): void {
    const heap = this.edf;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l], heap[m])) m = l;
      if (r < heap.length && before(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
}

function before(a: { deadline: number; seq: number }, b: { deadline: number; seq: number }): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}
