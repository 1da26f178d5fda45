/**
 * Census: how many coroutines of each size class were spawned and alive at
 * once, and how their stacks fared, counted by the demo itself.
 *
 * The runtime's statistics count stack *slots* per class, and a slot may be a
 * chained segment rather than a coroutine; the census counts coroutines.
 *
 * Protocol: every spawn site passes the new task to `spawned()`, every
 * definition's body calls `ended()` in a `finally`, and `sweep()` (the
 * monitor, every tick, and once at the end) reads the stacks of the tasks
 * that have finished. Invariant: Σ live == spawned − ended, per class.
 */
import type { CoroDef, SizeClass, Task } from "../src/index.js";

export const CLASSES: readonly SizeClass[] = ["micro", "small", "medium", "large"];

export interface ClassCount {
  spawned: number;
  live: number;
  peakLive: number;
}

export interface DefinitionCount extends ClassCount {
  name: string;
  /** The class its coroutines were spawned in (the metadata's, or the profile's when it raised it). */
  sizeClass: SizeClass;
  /** The most bytes of frames any of its coroutines had on its stack at once. */
  highWater: number;
  /** Chained segments over all its coroutines: one per migration. */
  migrations: number;
}

export class Census {
  readonly classes: Record<SizeClass, ClassCount> = {
    micro: { spawned: 0, live: 0, peakLive: 0 },
    small: { spawned: 0, live: 0, peakLive: 0 },
    medium: { spawned: 0, live: 0, peakLive: 0 },
    large: { spawned: 0, live: 0, peakLive: 0 },
  };
  readonly definitions = new Map<string, DefinitionCount>();
  /** Tasks whose stacks have not been read yet. */
  private unswept: Task[] = [];

  /** Records a task just spawned; returns it. */
  spawned<R>(task: Task<R>): Task<R> {
    const cls = task.stack.sizeClass;
    let d = this.definitions.get(task.name);
    if (d === undefined) {
      d = { name: task.name, sizeClass: cls, spawned: 0, live: 0, peakLive: 0, highWater: 0, migrations: 0 };
      this.definitions.set(task.name, d);
    }
    bump(d);
    bump(this.classes[cls]);
    this.unswept.push(task);
    return task;
  }

  /** Called by a definition's body when it finishes, however it finishes. */
  ended(def: CoroDef): void {
    const d = this.definitions.get(def.name);
    if (d === undefined) throw new Error(`census: ${def.name} ended but was never counted at spawn`);
    d.live--;
    this.classes[d.sizeClass].live--;
  }

  /** Reads the stacks of finished tasks (high-water, chained segments) and forgets them. */
  sweep(): void {
    const keep: Task[] = [];
    for (const t of this.unswept) {
      if (t.state === "ready" || t.state === "running" || t.state === "blocked") {
        keep.push(t);
        continue;
      }
      const d = this.definitions.get(t.name)!;
      const s = t.stack;
      if (s.highWater > d.highWater) d.highWater = s.highWater;
      d.migrations += s.segments - 1;
    }
    this.unswept = keep;
  }

  get live(): number {
    let n = 0;
    for (const c of CLASSES) n += this.classes[c].live;
    return n;
  }
}

function bump(c: ClassCount): void {
  c.spawned++;
  c.live++;
  if (c.live > c.peakLive) c.peakLive = c.live;
}
