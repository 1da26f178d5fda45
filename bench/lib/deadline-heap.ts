/**
 * The benchmark floors' timer queue: a binary min-heap in a plain array,
 * ordered by (deadline, seq), so equal deadlines come out in arming order as
 * in cprime-coro. Used by bench/instructions/floor.ts (entries are timer
 * records) and bench/scale/floor.ts (entries are the tasks themselves).
 */

/** What the heap orders by. */
export interface DeadlineEntry {
  deadline: number;
  seq: number;
}

/** Adds `t` to the heap `h`. */
export function heapPush<T extends DeadlineEntry>(h: T[], t: T): void {
  let i = h.length;
  h.push(t);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(t, h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = t;
}

/** Removes and returns the earliest entry of the non-empty heap `h`. */
export function heapPop<T extends DeadlineEntry>(h: T[]): T {
  const top = h[0];
  const last = h.pop()!;
  const n = h.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r], h[l]) ? r : l;
      if (!before(h[c], last)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
  return top;
}

function before(a: DeadlineEntry, b: DeadlineEntry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}
