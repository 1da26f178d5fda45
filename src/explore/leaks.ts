/**
 * The exact leak detector, in the spirit of Go 1.26's goroutine-leak
 * profile: a coroutine parked on a channel (or lock, or a join) that nothing
 * outside the set of parked coroutines can reach any more can never wake —
 * and the garbage collector knows exactly what can be reached.
 *
 * How: the runtime's own bookkeeping is what keeps a parked coroutine alive
 * besides real references (the live list; every task's record of what it
 * touched, for the heuristic detector). findLeaks() sets that bookkeeping
 * aside for a moment — parked tasks leave the live list, every task's touch
 * records become weak — holding each parked task only through a WeakRef,
 * and forces a full collection (global `gc`, from --expose-gc or enabled on
 * the fly through v8.setFlagsFromString). What is left of a parked task is
 * then held only by live JavaScript: the user's variables, the generators of
 * coroutines that can still run (ready, sleeping, waiting on a promise or a
 * timer), the queues of channels reachable from those. A task the collector
 * took was reachable from none of them: it is reported (what it waited on,
 * who spawned it, since when) and its stack segments go back to the address
 * space. Everything else is put back as it was.
 *
 * Exact, with one direction of error: V8 keeps a closure's whole scope
 * alive, so a coroutine whose generator shares a scope with a live closure
 * that mentions the channel counts as reachable (a leak may be missed;
 * nothing reachable is ever reported). A channel's creator is held by the
 * channel's provenance record, so a leaked coroutine that created a channel
 * still reachable from outside is not reported either.
 *
 * Call it outside coroutines — between runs, after run() threw a
 * DeadlockError, or while runAsync() waits on promises. It needs a few
 * macrotasks (finalisation happens between jobs), hence the Promise.
 */
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { describeValue } from "../describe.js";
import { freeOwnedStack } from "../memory/address-space.js";
import type { StackRef } from "../memory/index.js";
import { running } from "../coro/context.js";
import { Runtime, schedulerOf } from "../runtime/runtime.js";
import { BLOCKED, DONE, TaskImpl, type TaskExt } from "../sched/task.js";

export interface LeakReport {
  id: number;
  name: string;
  /** What it was parked on: `recv on Channel#1 "jobs" (capacity 0)`. */
  waitsOn: string;
  /** The resources of that wait, described. */
  resources: string[];
  /** Who spawned it: `#1 main`, `#1` (ended since), or "outside coroutines". */
  spawnedBy: string;
  /** Virtual ms at which it parked. */
  sinceMs: number;
  /** Bytes of stack given back to the address space. */
  stackBytes: number;
}

let gcFunction: (() => void) | null = null;

/** The engine's full collection: global gc, or gc enabled now (V8 exposes it to new contexts once the flag is set). */
function forceGc(): () => void {
  if (gcFunction !== null) return gcFunction;
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === "function") return (gcFunction = g as () => void);
  try {
    setFlagsFromString("--expose-gc");
    const fromContext = runInNewContext("gc") as unknown;
    if (typeof fromContext === "function") return (gcFunction = fromContext as () => void);
  } catch {
    // fall through to the error below
  }
  throw new Error("findLeaks() needs the garbage collector: run node with --expose-gc");
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Candidate {
  ref: WeakRef<TaskImpl>;
  report: LeakReport;
  segments: readonly StackRef[];
}

/** Parked coroutines nothing outside the parked set can reach (see the module doc); their stacks are freed. */
export async function findLeaks(rt: Runtime): Promise<LeakReport[]> {
  if (!(rt instanceof Runtime)) throw new TypeError(`findLeaks(rt): rt must be a Runtime, received ${describeValue(rt)}`);
  const s = schedulerOf(rt);
  const c = running.current;
  if (c instanceof TaskImpl && c.sched === s)
    throw new Error(`findLeaks() was called from inside coroutine ${String(c)} of the same runtime; call it from outside (await findLeaks(rt))`);
  const gc = forceGc();
  s.forgetSpawnCaches(); // they may hold the last spawned function, which may close over a parked coroutine's channel
  const candidates = setAside(s);
  const touches = weakenTouches(s.liveTasks(), candidates);
  for (let round = 0; round < 3; round++) {
    await macrotask();
    gc();
  }
  await macrotask();
  const leaks: LeakReport[] = [];
  for (const cand of candidates) {
    const t = cand.ref.deref();
    if (t === undefined) {
      for (const seg of cand.segments) freeOwnedStack(s.memory, seg);
      leaks.push(cand.report);
    } else if (t.st < DONE) s.readmit(t);
  }
  restoreTouches(touches);
  return leaks.sort((a, b) => a.id - b.id);
}

/** Takes the resource- and join-parked tasks off the live list, keeping what a report needs; only WeakRefs to the tasks stay. */
function setAside(s: ReturnType<typeof schedulerOf>): Candidate[] {
  const out: Candidate[] = [];
  const byId = new Map<number, string>();
  for (const t of s.liveTasks()) byId.set(t.id, `#${t.id} ${t.name}`);
  for (const t of [...s.liveTasks()]) {
    const w = t.waitOn;
    if (t.st !== BLOCKED || w === null || w.endsByItself) continue;
    const report: LeakReport = {
      id: t.id,
      name: t.name,
      waitsOn: w.describe(t),
      resources: w.resources(t).map(describe),
      spawnedBy: t.parentId === 0 ? "outside coroutines" : (byId.get(t.parentId) ?? `#${t.parentId}`),
      sinceMs: s.cyclesToMs(t.waitSince),
      stackBytes: t.stack.bytes,
    };
    out.push({ ref: new WeakRef(t), report, segments: [...t.segments] });
    s.setAside(t);
  }
  return out;
}

interface WeakTouches {
  task: WeakRef<TaskImpl>;
  a: WeakRef<object> | null;
  b: WeakRef<object> | null;
  set: WeakRef<object>[];
}

/** Every task's touch records (the heuristic detector's) held weakly for the collection. */
function weakenTouches(live: readonly TaskImpl[], candidates: Candidate[]): WeakTouches[] {
  const out: WeakTouches[] = [];
  const all = [...live];
  for (const c of candidates) all.push(c.ref.deref()!);
  for (const t of all) {
    const ext = t.ext as TaskExt | null;
    const rec: WeakTouches = { task: new WeakRef(t), a: t.touchA === null ? null : new WeakRef(t.touchA), b: null, set: [] };
    t.touchA = null;
    if (ext !== null) {
      if (ext.touchB !== null) rec.b = new WeakRef(ext.touchB);
      ext.touchB = null;
      if (ext.touched !== null) for (const r of ext.touched) rec.set.push(new WeakRef(r));
      ext.touched = null;
    }
    out.push(rec);
  }
  return out;
}

function restoreTouches(touches: WeakTouches[]): void {
  for (const rec of touches) {
    const t = rec.task.deref();
    if (t === undefined || t.st >= DONE) continue;
    const a = rec.a?.deref() ?? null;
    const b = rec.b?.deref() ?? null;
    if (t.touchA === null) t.touchA = a;
    if (b !== null || rec.set.length > 0) {
      const ext = t.extOf() as TaskExt;
      if (ext.touchB === null) ext.touchB = b;
      for (const w of rec.set) {
        const r = w.deref();
        if (r !== undefined) (ext.touched ??= new Set()).add(r);
      }
    }
  }
}

function describe(r: object): string {
  const d = (r as { describe?: () => string }).describe;
  return typeof d === "function" ? d.call(r) : String(r);
}
