/**
 * Timers: an indexed 4-ary min-heap of deadlines in cycles.
 *
 * The keys the heap compares — each entry's (deadline, seq) — live in two
 * Float64Arrays beside the array of timers, in heap order: a sift reads
 * contiguous doubles instead of following each timer object to its fields
 * (and, for a deadline past 2³¹ cycles, to the field's boxed number). At 10⁶
 * pending timers that is what keeps a sift's cost in its depth, not in cache
 * misses. The timer objects are touched only to move them and to update
 * their `heapIndex`.
 *
 * Four children per node, as Go's runtime timer heap has: half a binary
 * heap's depth, so a sift moves half as many timers (each move writes the
 * moved timer's `heapIndex`, an object somewhere in the heap) and a pop's
 * four child keys are 32 contiguous bytes of each key array (one or two
 * cache lines).
 *
 * Invariants: every entry's `heapIndex` is its position in `heap` (-1 when not
 * queued), and `keys[i]`/`seqs[i]` are the deadline and seq of `heap[i]`; a
 * parent's (deadline, seq) is ≤ its children's. Ties break by `seq`, the order
 * timers were set, so equal deadlines fire first-in first-out and a run is
 * deterministic. `remove` is O(log n), because select timeouts are usually
 * cancelled long before they fire.
 */
export interface HeapTimer {
  /** Its position in the heap; -1 when not queued. Its deadline is the heap's (TimerHeap.deadlineOf). */
  heapIndex: number;
  /** Called once when the clock reaches its deadline; the timer has left the heap. */
  fire(): void;
}

/** The base of the heap's timers, except a sleeping task, which is its own (TaskImpl.fire). */
export abstract class Timer implements HeapTimer {
  // Declared and set by the constructor: V8 11 inlines a subclass's `super()`
  // only into a base class without instance field initialisers (see CoroStack's fields).
  declare heapIndex: number;
  constructor() {
    this.heapIndex = -1;
  }
  abstract fire(): void;
}

const INITIAL_CAPACITY = 16;

/** Children per node: entry i's are ARITY·i + 1 … ARITY·i + ARITY, its parent ⌊(i − 1) / ARITY⌋. */
const enum HeapShape {
  Arity = 4,
  /** log2(Arity): a child index is (i << Shift) + 1 + k, a parent (i − 1) >> Shift. */
  Shift = 2,
}

/** The parent of entry `i` > 0 (for validators). */
export function heapParent(i: number): number {
  return (i - 1) >> HeapShape.Shift;
}

export class TimerHeap {
  private heap: HeapTimer[] = [];
  private keys = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Earliest deadline; only valid when size > 0. */
  peekDeadline(): number {
    return this.keys[0];
  }

  peek(): HeapTimer | undefined {
    return this.heap[0];
  }

  add(t: HeapTimer, deadline: number): void {
    this.insert(t, deadline, this.nextSeq++);
  }

  /** The deadline of queued timer `t`, in cycles; NaN when it is not queued. */
  deadlineOf(t: HeapTimer): number {
    const i = t.heapIndex;
    return i >= 0 && this.heap[i] === t ? this.keys[i] : NaN;
  }

  /** Removes and returns the earliest timer. */
  pop(): HeapTimer | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    this.removeAt(0);
    return top;
  }

  /**
   * Removes and returns one of the timers sharing the earliest deadline,
   * chosen by `chooser.pickTimer` among them in the order they were set (asked
   * also when one is due, so the chooser sees every firing) (the
   * schedule explorer's hook: sched/chooser.ts). The others stay queued with
   * their order, so one firing may still remove another (a select's timeout).
   */
  popChosen(chooser: { pickTimer(due: number): number }): HeapTimer {
    const instant = this.keys[0];
    const due: HeapTimer[] = [];
    const dueSeqs: number[] = [];
    while (this.heap.length !== 0 && this.keys[0] === instant) {
      dueSeqs.push(this.seqs[0]);
      due.push(this.pop()!);
    }
    const k = chooser.pickTimer(due.length);
    if (!(k >= 0 && k < due.length)) throw new RangeError(`chooser picked timer ${k} of ${due.length} due`);
    // Put back the others with their deadline and their place in the order (`seq`).
    for (let i = 0; i < due.length; i++) if (i !== k) this.insert(due[i], instant, dueSeqs[i]);
    return due[k];
  }

  remove(t: HeapTimer): boolean {
    const i = t.heapIndex;
    if (i < 0 || this.heap[i] !== t) return false;
    this.removeAt(i);
    return true;
  }

  *[Symbol.iterator](): IterableIterator<HeapTimer> {
    yield* this.heap;
  }

  private insert(t: HeapTimer, deadline: number, seq: number): void {
    const i = this.heap.length;
    if (i === this.keys.length) this.grow();
    this.heap.push(t);
    this.up(i, t, deadline, seq);
  }

  /** Takes the entry at `i` out: the last entry fills the hole and sifts to its place. */
  private removeAt(i: number): void {
    const h = this.heap;
    const t = h[i];
    const last = h.pop()!;
    const n = h.length;
    if (i < n) {
      const k = this.keys[n];
      const s = this.seqs[n];
      // The hole at i takes `last`: down from i, and up if it moved nowhere (a removal from the middle).
      const j = this.down(i, last, k, s);
      if (j === i) this.up(i, last, k, s);
    }
    t.heapIndex = -1;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    const seqs = new Float64Array(this.seqs.length * 2);
    keys.set(this.keys);
    seqs.set(this.seqs);
    this.keys = keys;
    this.seqs = seqs;
  }

  /** Places `t` with key (k, s), moving from hole `i` toward the root while it is less than the parent. */
  private up(i: number, t: HeapTimer, k: number, s: number): void {
    const h = this.heap;
    const keys = this.keys;
    const seqs = this.seqs;
    while (i > 0) {
      const p = (i - 1) >> HeapShape.Shift;
      const pk = keys[p];
      if (k > pk || (k === pk && s > seqs[p])) break; // not less than the parent (seqs are unique)
      const moved = h[p];
      h[i] = moved;
      moved.heapIndex = i;
      keys[i] = pk;
      seqs[i] = seqs[p];
      i = p;
    }
    h[i] = t;
    t.heapIndex = i;
    keys[i] = k;
    seqs[i] = s;
  }

  /** Places `t` with key (k, s), moving from hole `i` toward the leaves past every smaller child; returns where it landed. */
  private down(i: number, t: HeapTimer, k: number, s: number): number {
    const h = this.heap;
    const keys = this.keys;
    const seqs = this.seqs;
    const n = h.length;
    for (;;) {
      const first = (i << HeapShape.Shift) + 1;
      if (first >= n) break;
      // The smallest of the (up to Arity) children.
      const end = first + HeapShape.Arity < n ? first + HeapShape.Arity : n;
      let c = first;
      let ck = keys[first];
      for (let j = first + 1; j < end; j++) {
        const jk = keys[j];
        if (jk < ck || (jk === ck && seqs[j] < seqs[c])) {
          c = j;
          ck = jk;
        }
      }
      if (ck > k || (ck === k && seqs[c] > s)) break; // the smaller child is not less than t
      const moved = h[c];
      h[i] = moved;
      moved.heapIndex = i;
      keys[i] = ck;
      seqs[i] = seqs[c];
      i = c;
    }
    h[i] = t;
    t.heapIndex = i;
    keys[i] = k;
    seqs[i] = s;
    return i;
  }
}
