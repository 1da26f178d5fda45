/**
 * Observers: how tracing and profiling see the scheduler without the
 * scheduler knowing them. The runtime holds at most one observer (a fan-out
 * when several are active); with none, each hook costs one null check.
 * Hooks must not park, wake or spawn: they watch.
 */
import type { SizeClass, StackRef } from "../memory/index.js";
import type { TaskImpl } from "./task.js";

export interface RuntimeObserver {
  onSpawn(t: TaskImpl): void;
  /** `t` is about to be resumed (a context switch). */
  onSwitch(t: TaskImpl): void;
  /** `t` parked; `t.waitOn` says on what. */
  onBlock(t: TaskImpl): void;
  /** `t` was made ready by a waker (the running task, if any, is the waker). */
  onWake(t: TaskImpl): void;
  /** `t` finished (done, failed or cancelled); its stack is about to be freed. */
  onEnd(t: TaskImpl): void;
  onAlloc(t: TaskImpl, ref: StackRef): void;
  onFree(t: TaskImpl, ref: StackRef): void;
  onMigrate(t: TaskImpl, from: SizeClass, to: SizeClass, frameBytes: number): void;
}

/** Several observers behind one. */
export class ObserverFanout implements RuntimeObserver {
  constructor(readonly observers: RuntimeObserver[]) {}
  onSpawn(t: TaskImpl): void {
    for (const o of this.observers) o.onSpawn(t);
  }
  onSwitch(t: TaskImpl): void {
    for (const o of this.observers) o.onSwitch(t);
  }
  onBlock(t: TaskImpl): void {
    for (const o of this.observers) o.onBlock(t);
  }
  onWake(t: TaskImpl): void {
    for (const o of this.observers) o.onWake(t);
  }
  onEnd(t: TaskImpl): void {
    for (const o of this.observers) o.onEnd(t);
  }
  onAlloc(t: TaskImpl, ref: StackRef): void {
    for (const o of this.observers) o.onAlloc(t, ref);
  }
  onFree(t: TaskImpl, ref: StackRef): void {
    for (const o of this.observers) o.onFree(t, ref);
  }
  onMigrate(t: TaskImpl, from: SizeClass, to: SizeClass, frameBytes: number): void {
    for (const o of this.observers) o.onMigrate(t, from, to, frameBytes);
  }
}

/** Adds `o` to the runtime's observers. */
export function addObserver(rt: { observer: RuntimeObserver | null }, o: RuntimeObserver): void {
  const cur = rt.observer;
  if (cur === null) rt.observer = o;
  else if (cur instanceof ObserverFanout) cur.observers.push(o);
  else rt.observer = new ObserverFanout([cur, o]);
}
