/**
 * What every sync primitive shares: its name, its identity for the scheduler
 * and the reports (a `SyncRef`, the channel's `ChannelRef` pattern), argument
 * checks, and the bookkeeping of a plain call (unlock, done, signal, release).
 *
 * Why a separate `SyncRef` rather than the primitive itself as the Resource:
 * wait records, a task's touched set and deadlock reports are reachable by
 * reflection, and a Resource must grant nothing (sched/resource.ts). A
 * mutex's SyncRef can describe the mutex and name its holders; it cannot
 * unlock it.
 *
 * Cost model: every sync operation (a lock, an unlock, an add, a signal …)
 * charges `channelOp` cycles to the runtime of the coroutine performing it —
 * the model has one figure for a synchronisation step — and nothing when
 * called outside coroutines.
 */
import { running } from "../coro/context.js";
import { describeValue, readGuarded } from "../describe.js";
import { Resource } from "../sched/resource.js";
import { resourceResolvers } from "../sched/scheduler.js";
import { DONE, touch, type TaskImpl } from "../sched/task.js";

/** The options every sync primitive takes, last. */
export interface SyncOptions {
  /** Shown in dumps, traces and deadlock reports: `Mutex#1 "accounts"`. */
  name?: string;
}

/** The identity of a sync primitive for the scheduler and the observe layer; grants nothing. */
export class SyncRef extends Resource {
  readonly #owner: SyncPrimitive;
  constructor(
    owner: SyncPrimitive,
    /** "mutex", "rwmutex", "waitgroup", "once", "cond", "semaphore". */
    readonly kind: string,
  ) {
    super();
    this.#owner = owner;
  }
  describe(): string {
    return this.#owner.describe();
  }
  override holders(): readonly TaskImpl[] | null {
    return this.#owner.holders();
  }
}

/** The base of the sync primitives: a name, a per-runtime id, a description. */
export abstract class SyncPrimitive {
  /** The name given in the options, if any. */
  readonly name: string | undefined;
  /** @internal the primitive's identity for the scheduler and reports; also its runtime and id */
  readonly ref: SyncRef;

  constructor(typeName: string, kind: string, options: SyncOptions | undefined) {
    if (options === undefined) options = {};
    if (options === null || typeof options !== "object") throw new TypeError(`${typeName} options must be an object, received ${describeValue(options)}`);
    const o = options;
    const name: unknown = readGuarded(`${typeName} options`, () => o.name);
    if (name !== undefined && typeof name !== "string") throw new TypeError(`${typeName} name must be a string, received ${describeValue(name)}`);
    this.name = name;
    this.ref = new SyncRef(this, kind);
  }

  /** Its id in its runtime (assigned when a coroutine first uses it; 0 until then). */
  get id(): number {
    return this.ref.id;
  }

  /** `Mutex#2 "accounts"` (no #id before a coroutine has used it). */
  abstract describe(): string;

  /** @internal the tasks that alone can end a wait on it (a lock's holders); null when anyone who touched it can */
  holders(): readonly TaskImpl[] | null {
    return null;
  }

  toString(): string {
    return this.describe();
  }
}

/** `Mutex#2 "accounts"`: the type, the id once bound, the name if any. */
export function label(typeName: string, p: SyncPrimitive): string {
  const id = p.ref.id;
  return `${typeName}${id === 0 ? "" : `#${id}`}${p.name === undefined ? "" : ` ${JSON.stringify(p.name)}`}`;
}

/**
 * A plain call (unlock, add, signal, release) on `p`: inside a coroutine,
 * notes the touch (binding `p` to its runtime; TypeError for another
 * runtime's coroutine, before anything changed) and charges one operation;
 * returns that task, or null outside every coroutine.
 */
export function plainCall(p: SyncPrimitive): TaskImpl | null {
  const c = running.current as TaskImpl | null;
  if (c !== null && c.scheduled) {
    touch(c, p.ref);
    c.sched.charge(c.sched.channelOpCycles);
    return c;
  }
  return null;
}

/**
 * After a plain call made outside every coroutine woke somebody: a runAsync()
 * sleeping on the event loop must see the new work.
 */
export function notifyOutside(p: SyncPrimitive, caller: TaskImpl | null): void {
  if (caller === null) {
    const s = p.ref.sched;
    if (s !== null) s.notifyIfAwaiting();
  }
}

/** An operation starting in `t` on `p`: the touch (and runtime binding) and its charge. */
export function startOp(t: TaskImpl, p: SyncPrimitive): void {
  touch(t, p.ref);
  t.sched.charge(t.sched.channelOpCycles);
}

/**
 * Checks a count argument (a weight, a delta): a safe integer, non-negative
 * unless `signed`. TypeError for a non-number, RangeError for a bad number;
 * the message names the value.
 */
export function checkCount(what: string, n: unknown, signed = false): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || (!signed && n < 0)) {
    const msg = `${what} must be ${signed ? "an" : "a non-negative"} integer, received ${describeValue(n)}`;
    throw typeof n === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  return n;
}

/** `#2 transfer`, or `#2 transfer (ended)` for a task that has finished. */
export function taskLabel(t: TaskImpl): string {
  return t.st >= DONE ? `#${t.id} ${t.name} (ended)` : `#${t.id} ${t.name}`;
}

// A sync primitive passed to spawn() counts as touched by the new task (leak detection).
resourceResolvers.push((a: object): Resource | null => (a instanceof SyncPrimitive ? a.ref : null));
