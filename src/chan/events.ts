/**
 * The event sources of `join(task)` and `settled(p)` select cases.
 *
 * - A task's end: ready once the task is done, failed or cancelled; every
 *   listener gets the same outcome. Delivering a failure observes it, as
 *   join() does (run() does not report it). The source watches the task
 *   (`TaskImpl.endWatchers`) only while somebody listens.
 * - A promise's settlement: one source per promise object (a WeakMap), so a
 *   `settled(p)` built again in a loop knows at once that `p` has settled.
 *   While a select waits on it, the task counts as waiting on a promise
 *   (`promiseWaits`): run() refuses to finish, runAsync() waits for it.
 */
import { describeValue, isInstanceOf } from "../describe.js";
import { cancelledError } from "../sched/scheduler.js";
import { CANCELLED, DONE, FAILED, TaskImpl, type TaskEndWatcher } from "../sched/task.js";
import { EventSource, type Listener, type SourceResult } from "./source.js";

/** How a task ended or a promise settled: its value, or its error. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; value: undefined; error: unknown };

class JoinSource extends EventSource implements TaskEndWatcher {
  readonly caseKind = "join";
  #watching = false;
  constructor(readonly target: TaskImpl) {
    super();
  }

  bind(t: TaskImpl): void {
    if (this.target.sched !== t.sched) throw new TypeError(`task ${t} cannot join task ${this.target}: it belongs to another runtime`);
    if (this.target === t) throw new TypeError(`join(task): task ${t} cannot wait for its own end: it would wait forever`);
  }

  poll(): SourceResult | undefined {
    return this.target.st >= DONE ? this.outcome() : undefined;
  }

  /** The target's ending as a result; a failure handed out counts as observed. */
  private outcome(): SourceResult {
    const target = this.target;
    switch (target.st) {
      case DONE:
        return { ok: true, value: target.result };
      case FAILED:
        target.sched.observe(target);
        return { ok: false, value: undefined, error: target.error };
      case CANCELLED:
        return { ok: false, value: undefined, error: cancelledError(target) };
    }
    throw new TypeError(`task ${target} has not ended`);
  }

  taskEnded(): void {
    this.#watching = false;
    if (this.listenerCount > 0) this.deliverToAll(this.outcome());
  }

  protected override listenersChanged(size: number): void {
    const target = this.target;
    if (size > 0 && !this.#watching) {
      this.#watching = true;
      (target.endWatchers ??= []).push(this);
    } else if (size === 0 && this.#watching) {
      this.#watching = false;
      const ws = target.endWatchers;
      if (ws !== null) {
        const i = ws.indexOf(this);
        if (i >= 0) ws.splice(i, 1);
      }
    }
  }

  describeWait(): string {
    return `join #${this.target.id} ${this.target.name}`;
  }
  resources(): readonly object[] {
    return [this.target];
  }
  get endsByItself(): boolean {
    return false;
  }
}

/** @internal The source behind `join(task)`. */
export function joinSource(task: unknown): EventSource {
  if (!isInstanceOf(task, TaskImpl) || !task.scheduled)
    throw new TypeError(`join(task): task must be a Task returned by spawn(), received ${describeValue(task)}`);
  return new JoinSource(task as TaskImpl);
}

const enum Settle {
  Pending,
  Fulfilled,
  Rejected,
}

class SettledSource extends EventSource {
  readonly caseKind = "settled";
  #state = Settle.Pending;
  #result: SourceResult | undefined = undefined;

  constructor(p: PromiseLike<unknown>) {
    super();
    // Adopted with Promise.resolve, as waitFor does: a `then` that throws rejects it; the rejection is handled here.
    Promise.resolve(p).then(
      (value) => this.settle(Settle.Fulfilled, { ok: true, value }),
      (error: unknown) => this.settle(Settle.Rejected, { ok: false, value: undefined, error }),
    );
  }

  private settle(state: Settle, result: SourceResult): void {
    this.#state = state;
    this.#result = result;
    const woken = new Set(this.listenerSchedulers());
    this.deliverToAll(result);
    for (const s of woken) s.notifyIfAwaiting();
  }

  bind(): void {}

  poll(): SourceResult | undefined {
    return this.#result;
  }

  protected override listenersChanged(_size: number, l: Listener, joined: boolean): void {
    l.task.sched.promiseWaits += joined ? 1 : -1;
  }

  describeWait(): string {
    return "settled(promise)";
  }
  resources(): readonly object[] {
    return [];
  }
  get endsByItself(): boolean {
    return this.#state === Settle.Pending;
  }
}

const settledSources = new WeakMap<object, SettledSource>();

/** @internal The source behind `settled(p)`: one per promise object. */
export function settledSource(p: unknown): EventSource {
  let then: unknown;
  try {
    then = p === null || (typeof p !== "object" && typeof p !== "function") ? undefined : (p as PromiseLike<unknown>).then;
  } catch (err) {
    throw new TypeError(`settled(p): reading p.then threw (${err instanceof Error ? err.message : describeValue(err)}); p must be a promise (a thenable)`);
  }
  if (typeof then !== "function") throw new TypeError(`settled(p): p must be a promise (a thenable), received ${describeValue(p)}`);
  const key = p as object;
  let s = settledSources.get(key);
  if (s === undefined) settledSources.set(key, (s = new SettledSource(p as PromiseLike<unknown>)));
  return s;
}
