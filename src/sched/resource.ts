/**
 * Resources: what coroutines wait on and operate on (channels, and the sync
 * primitives), as the scheduler and the observe layer see them.
 *
 * A resource's `Resource` object is its public-safe identity: tasks record it
 * when they touch the resource, wait records list it, deadlock reports
 * describe it. It never leads back to the object it stands for — a channel's
 * Resource cannot send or close — so introspection (a task's fields, a wait
 * record, `rt.heldResources()`) hands out no capability.
 *
 * Each resource belongs to one runtime, the one whose coroutine first used it
 * (or created it, inside a coroutine); a coroutine of another runtime is
 * refused with a TypeError naming both. Ids are per runtime and assigned at
 * that moment, so two runs of a program in one process print the same ids.
 *
 * Provenance, for the leak detector (observe/deadlocks.ts): who could hold a
 * reference to the resource in a closure. `creator` is the task that created
 * it (null outside every coroutine) and `born` orders the creation against
 * spawns: for a resource created in a coroutine, the id the next task of that
 * runtime will get; outside, a process-wide count of such creations, against
 * which each runtime notes the tasks it spawns (Scheduler.epochOf).
 */
import { running } from "../coro/context.js";
import type { Scheduler } from "./scheduler.js";
import { TaskImpl } from "./task.js";

/** Counts resources created outside every coroutine (see the module doc). Never printed. */
export const provenance = { outside: 0 };

export abstract class Resource {
  // Declared and set by the constructor, not initialised in the declarations:
  // V8 11 inlines the `super()` of a subclass (a channel's ChannelRef, every
  // sync primitive's and timer's ref) only into a base class without instance
  // field initialisers (see CoroStack's fields).
  /** The runtime it belongs to; null until a coroutine first uses it. */
  declare sched: Scheduler | null;
  /** Its id in that runtime (0 while unbound). */
  declare id: number;
  declare readonly creator: TaskImpl | null;
  declare readonly born: number;

  constructor() {
    this.sched = null;
    this.id = 0;
    const c = running.current;
    if (c instanceof TaskImpl && c.scheduled) {
      this.creator = c;
      this.born = c.sched.nextTaskIdPeek;
      this.bindTo(c);
    } else {
      this.creator = null;
      this.born = ++provenance.outside;
    }
  }

  /** `Channel#3 "jobs" (capacity 0)`: what reports print. */
  abstract describe(): string;

  /** A short kind for machines: "channel", "mutex", … */
  abstract readonly kind: string;

  /**
   * The tasks that alone can end a wait on it — a mutex's holder, a running
   * Once's caller — for the deadlock reports' wait-for edges; null (the
   * default, a channel) when anyone who has touched it can.
   */
  holders(): readonly TaskImpl[] | null {
    return null;
  }

  /** Binds to `t`'s runtime on first use; refuses a coroutine of another runtime. */
  bindTo(t: TaskImpl): void {
    const s = this.sched;
    if (s === t.sched) return;
    if (s === null) {
      this.attach(t.sched);
      return;
    }
    throw this.foreignError(t.sched, `coroutine ${String(t)}`);
  }

  /** Binds an unbound resource to runtime `s` (one made outside coroutines that needs a clock at once: a timer). */
  attach(s: Scheduler): void {
    this.sched = s;
    this.id = s.nextResourceId++;
  }

  /** The refusal of a use by `who` of runtime `other`. */
  foreignError(other: Scheduler, who: string): TypeError {
    const s = this.sched!;
    const theirs = s.name === other.name ? `another runtime, also named ${JSON.stringify(other.name)}` : `runtime ${JSON.stringify(other.name)}`;
    return new TypeError(
      `${this.describe()} belongs to runtime ${JSON.stringify(s.name)}, but ${who} of ${theirs} used it: a ${this.kind} cannot be shared between runtimes`,
    );
  }

  toString(): string {
    return this.describe();
  }
}
