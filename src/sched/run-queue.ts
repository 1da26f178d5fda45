/**
 * The run queue: a FIFO ring buffer of ready tasks.
 *
 * Invariants: `head` indexes the oldest entry; `size` entries follow it,
 * wrapping at `capacity` (a power of two, so wrapping is a mask). Slots
 * outside the live range are `undefined`, so the queue holds no stale
 * reference to a finished task. Push and shift are O(1), amortised for growth.
 */
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
