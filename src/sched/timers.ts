/**
 * Timers: an indexed binary min-heap of deadlines in cycles.
 *
 * Invariants: every entry's `heapIndex` is its position in `heap` (-1 when not
 * queued); a parent's (deadline, seq) is ≤ its children's. Ties break by
 * `seq`, the order timers were set, so equal deadlines fire first-in first-out
 * and a run is deterministic. `remove` is O(log n), because select timeouts
 * are usually cancelled long before they fire.
 */
export abstract class Timer {
  deadline = 0;
  seq = 0;
  heapIndex = -1;
  /** Called once when the clock reaches `deadline`; the timer has left the heap. */
  abstract fire(): void;
}

export class TimerHeap {
  private heap: Timer[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Earliest deadline; only valid when size > 0. */
  peekDeadline(): number {
    return this.heap[0].deadline;
  }

  peek(): Timer | undefined {
    return this.heap[0];
  }

  add(t: Timer, deadline: number): void {
    t.deadline = deadline;
    t.seq = this.nextSeq++;
    t.heapIndex = this.heap.length;
    this.heap.push(t);
    this.up(t.heapIndex);
  }

  /** Removes and returns the earliest timer. */
  pop(): Timer | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      last.heapIndex = 0;
      this.down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  /**
   * Removes and returns one of the timers sharing the earliest deadline,
   * chosen by `chooser.pickTimer` among them in the order they were set (asked
   * also when one is due, so the chooser sees every firing) (the
   * schedule explorer's hook: sched/chooser.ts). The others stay queued with
   * their order, so one firing may still remove another (a select's timeout).
   */
  popChosen(chooser: { pickTimer(due: number): number }): Timer {
    const instant = this.heap[0].deadline;
    const due: Timer[] = [];
    while (this.heap.length !== 0 && this.heap[0].deadline === instant) due.push(this.pop()!);
    const k = chooser.pickTimer(due.length);
    if (!(k >= 0 && k < due.length)) throw new RangeError(`chooser picked timer ${k} of ${due.length} due`);
    for (let i = 0; i < due.length; i++) if (i !== k) this.reinsert(due[i]);
    return due[k];
  }

  /** Puts back a popped timer with its deadline and its place in the order (`seq`). */
  private reinsert(t: Timer): void {
    t.heapIndex = this.heap.length;
    this.heap.push(t);
    this.up(t.heapIndex);
  }

  remove(t: Timer): boolean {
    const i = t.heapIndex;
    const h = this.heap;
    if (i < 0 || h[i] !== t) return false;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
    t.heapIndex = -1;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<Timer> {
    yield* this.heap;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    const t = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(t, h[p])) break;
      h[i] = h[p];
      h[i].heapIndex = i;
      i = p;
    }
    h[i] = t;
    t.heapIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const t = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r], h[l]) ? r : l;
      if (!this.less(h[c], t)) break;
      h[i] = h[c];
      h[i].heapIndex = i;
      i = c;
    }
    h[i] = t;
    t.heapIndex = i;
  }
}
