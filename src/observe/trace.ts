/**
 * Tracing: what the scheduler did, as a Chrome Trace Event file that
 * Perfetto (ui.perfetto.dev) and chrome://tracing open.
 *
 * The Tracer is a RuntimeObserver. `new Runtime({ trace: true })` installs
 * one; `rt.exportTrace()` returns everything recorded so far:
 *
 * - process 1 is the runtime (named after `rt.name`); each coroutine is a
 *   thread, `tid` = task id, named `#3 consumer`;
 * - a run slice (`ph: "X"`) per resume, from the switch-in (after the
 *   context-switch charge) to when the task stops running: it parks
 *   (onBlock), ends (onEnd) or, after a `yieldNow` (which has no hook),
 *   another task is switched in — then the slice ends where that switch's
 *   charge began, so every switch shows as a gap of its modelled cost;
 * - instants (`ph: "i"`, thread scope) for spawn, block (with what it waits
 *   on), wake (with the waker), end, stack alloc, free and migrate;
 * - a flow arrow (`ph: "s"` → `ph: "f"`, category "wake") from the waker's
 *   track when it woke a task to that task's next switch-in. A finishing task
 *   wakes its joiners after it has stopped running, so their arrows start at
 *   its end.
 *
 * Timestamps are virtual: `ts` = cycles / clockHz × 1e6 µs (fractional), the
 * cost model's clock, never measured time; `args.cycles` carries the cycle
 * count itself.
 *
 * Recording is the hot path (one switch = one run slice), so an event is a
 * row of 3 to 5 numbers in a chain of Float64Array chunks (never copied when
 * the log grows) and becomes an object only in `export()`: a switch writes
 * 24 bytes and allocates nothing but, now and then, a 64 KiB chunk. A trace
 * keeps every event until the runtime is dropped (about 24 bytes a switch,
 * 32–40 per other event; block descriptions are interned). Invariants:
 * - rows are appended in hook order, and the clock never goes back, so row
 *   order is timestamp order: export() never sorts;
 * - at most one run slice is open (`openRow`): the runtime runs one task at
 *   a time, and every hook that stops a task closes it;
 * - a task has at most one pending flow (`pendingFlow[tid]`): it can be woken
 *   again only after it has been switched in, which consumes the flow.
 */
import type { Scheduler } from "../sched/scheduler.js";
import type { RuntimeObserver } from "../sched/observer.js";
import type { TaskImpl } from "../sched/task.js";
import type { SizeClass, StackRef } from "../memory/index.js";
import { running } from "../coro/context.js";
import { SIZE_CLASS_BY_INDEX, sizeClassIndex } from "../memory/size-classes.js";

/** One Chrome Trace Event. Which optional fields are present depends on `ph`. */
export interface TraceEvent {
  name: string;
  cat: string;
  /** X: complete (run slice); i: instant; s/f: flow start/end; M: metadata. */
  ph: "X" | "i" | "s" | "f" | "M";
  /** Microseconds of virtual time (0 for metadata). */
  ts: number;
  pid: number;
  tid: number;
  /** X only: duration in µs. */
  dur?: number;
  /** i only: scope, always "t" (thread). */
  s?: "t";
  /** s and f only: pairs a flow's start with its end. */
  id?: number;
  /** s and f only: bind to the enclosing slice. */
  bp?: "e";
  args?: Record<string, unknown>;
}

/** The Trace Event format's object form. */
export interface TraceJson {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ns";
  otherData: {
    runtime: string;
    clockHz: number;
    /** The clock at export, in model cycles. */
    cycles: number;
    timeBase: string;
  };
}

// A row is [tid × 16 + kind, cycles, ...fields]; ROW_NUMBERS[kind] numbers in all.
const RUN = 0; //        duration in cycles (NaN while open)
const SPAWN = 1; //      class index, stack bytes
const BLOCK = 2; //      index into `details` (what it waits on)
const WAKE = 3; //       waker tid (0: none), flow id (0: none)
const FLOW_START = 4; // flow id
const FLOW_END = 5; //   flow id
const END = 6; //        state index, stack high-water
const ALLOC = 7; //      addr, bytes, class index
const FREE = 8; //       addr, bytes, class index
const MIGRATE = 9; //    from class index, to class index, frame bytes
const ROW_NUMBERS = [3, 4, 3, 4, 3, 3, 4, 5, 5, 5];
const LONGEST_ROW = 5;
const KINDS = 16;
/** Chunk sizes double from the first up to the largest; a chunk is never copied. */
const FIRST_CHUNK_NUMBERS = 4096;
const LARGEST_CHUNK_NUMBERS = 8192; // 64 KiB: small enough for the allocator to recycle without fresh pages

const INSTANT_NAMES = ["run", "spawn", "block", "wake", "wake", "wake", "end", "alloc", "free", "migrate"];
const END_STATES = ["done", "failed", "cancelled"];
const PID = 1;

const classIndex = sizeClassIndex;

export class Tracer implements RuntimeObserver {
  /** Every chunk, the current one (`chunk`) last; `filled[i]` = numbers used in a full chunks[i]. */
  private readonly chunks: Float64Array[] = [];
  private readonly filled: number[] = [];
  private chunk = new Float64Array(FIRST_CHUNK_NUMBERS);
  /** Numbers used in `chunk`. */
  private used = 0;
  /** The open run slice: its chunk and row offset (-1: none). */
  private openChunk: Float64Array = this.chunk;
  private openRow = -1;
  /** Block descriptions, taken when the task parks (a wait record may change later), each stored once. */
  private readonly details: string[] = [];
  private readonly detailIndex = new Map<string, number>();
  /** Coroutine names by task id, for the thread_name metadata. */
  private readonly names: string[] = [];
  /** Per task id: the flow id waiting for its next switch-in (0: none), and who started it. */
  private pendingFlow = new Int32Array(256);
  private pendingFrom = new Int32Array(256);
  private nextFlowId = 1;

  constructor(private readonly rt: Scheduler) {
    this.chunks.push(this.chunk);
  }

  // ── hooks ────────────────────────────────────────────────────────────────

  onSpawn(t: TaskImpl): void {
    const s = t.cstack;
    this.row2(SPAWN, t.id, this.rt.cycles, classIndex(s.sizeClass), s.baseBytes);
  }

  onSwitch(t: TaskImpl): void {
    const now = this.rt.cycles;
    // A slice still open was left by yieldNow: it ended before this switch's charge.
    if (this.openRow >= 0) this.closeSlice(now - t.switchCost);
    const id = t.id;
    this.openRow = this.row1(RUN, id, now, NaN);
    this.openChunk = this.chunk;
    if (id < this.pendingFlow.length) {
      const flow = this.pendingFlow[id];
      if (flow !== 0) {
        this.pendingFlow[id] = 0;
        this.row1(FLOW_END, id, now, flow);
      }
    }
  }

  onBlock(t: TaskImpl): void {
    const now = this.rt.cycles;
    this.closeSlice(now);
    this.row1(BLOCK, t.id, now, this.intern(t.waitOn?.describe(t) ?? "blocked"));
  }

  onWake(t: TaskImpl): void {
    const now = this.rt.cycles;
    const waker = running.current as TaskImpl | null;
    let from = 0;
    let flow = 0;
    if (waker !== null && waker.sched === this.rt && waker !== t) {
      from = waker.id;
      flow = this.nextFlowId++;
      this.row1(FLOW_START, from, now, flow);
      this.setPending(t.id, flow, from);
    } else if (t.id < this.pendingFlow.length && this.pendingFlow[t.id] !== 0) {
      // A joiner woken by a task that just finished: onEnd started the flow.
      from = this.pendingFrom[t.id];
      flow = this.pendingFlow[t.id];
    }
    this.row2(WAKE, t.id, now, from, flow);
  }

  onEnd(t: TaskImpl): void {
    const now = this.rt.cycles;
    this.closeSlice(now);
    const state = t.state;
    this.row2(END, t.id, now, state === "done" ? 0 : state === "failed" ? 1 : 2, t.cstack.highWater);
    // The runtime wakes the joiners right after this hook, when nobody is running any more.
    const joiners = t.joiners;
    if (joiners !== null) {
      for (const j of joiners) {
        const flow = this.nextFlowId++;
        this.row1(FLOW_START, t.id, now, flow);
        this.setPending(j.id, flow, t.id);
      }
    }
  }

  onAlloc(t: TaskImpl, ref: StackRef): void {
    if (this.names[t.id] === undefined) this.names[t.id] = t.name;
    this.row3(ALLOC, t.id, this.rt.cycles, ref.addr, ref.bytes, classIndex(ref.sizeClass));
  }

  onFree(t: TaskImpl, ref: StackRef): void {
    this.row3(FREE, t.id, this.rt.cycles, ref.addr, ref.bytes, classIndex(ref.sizeClass));
  }

  onMigrate(t: TaskImpl, from: SizeClass, to: SizeClass, frameBytes: number): void {
    this.row3(MIGRATE, t.id, this.rt.cycles, classIndex(from), classIndex(to), frameBytes);
  }

  // ── export ───────────────────────────────────────────────────────────────

  /** Everything recorded so far, as Trace Event JSON. Recording goes on. */
  export(): TraceJson {
    const rt = this.rt;
    const events: TraceEvent[] = [{ name: "process_name", cat: "__metadata", ph: "M", ts: 0, pid: PID, tid: 0, args: { name: rt.name } }];
    this.names.forEach((name, id) => {
      events.push({ name: "thread_name", cat: "__metadata", ph: "M", ts: 0, pid: PID, tid: id, args: { name: `#${id} ${name}` } });
      events.push({ name: "thread_sort_index", cat: "__metadata", ph: "M", ts: 0, pid: PID, tid: id, args: { sort_index: id } });
    });
    const unmatched = this.pendingFlowIds();
    const last = this.chunks.length - 1;
    for (let i = 0; i <= last; i++) {
      const rows = this.chunks[i];
      const end = i === last ? this.used : this.filled[i];
      for (let r = 0; r < end; r += ROW_NUMBERS[rows[r] % KINDS]) {
        const e = this.decode(rows, r);
        if (e.ph !== "s" || !unmatched.has(e.id!)) events.push(e);
      }
    }
    return {
      traceEvents: events,
      displayTimeUnit: "ns",
      otherData: {
        runtime: rt.name,
        clockHz: rt.clockHz,
        cycles: rt.cycles,
        timeBase: "virtual time from the cost model (simulation output, not measured): ts µs = cycles / clockHz × 1e6",
      },
    };
  }

  /** The event for the row at `rows[r]`. */
  private decode(rows: Float64Array, r: number): TraceEvent {
    const rt = this.rt;
    const head = rows[r];
    const kind = head % KINDS;
    const tid = (head - kind) / KINDS;
    const cycles = rows[r + 1];
    const a = rows[r + 2];
    const ts = (cycles / rt.clockHz) * 1e6;
    const instant = (cat: string, args: Record<string, unknown>): TraceEvent => ({
      name: INSTANT_NAMES[kind],
      cat,
      ph: "i",
      s: "t",
      ts,
      pid: PID,
      tid,
      args: { cycles, ...args },
    });
    switch (kind) {
      case RUN: {
        const durCycles = Number.isNaN(a) ? rt.cycles - cycles : a; // NaN: still running at export
        const dur = ((cycles + durCycles) / rt.clockHz) * 1e6 - ts;
        return { name: "run", cat: "sched", ph: "X", ts, dur, pid: PID, tid, args: { cycles, durCycles } };
      }
      case SPAWN:
        return instant("sched", { sizeClass: SIZE_CLASS_BY_INDEX[a], bytes: rows[r + 3] });
      case BLOCK:
        return instant("sched", { on: this.details[a] });
      case WAKE:
        return instant("sched", { by: a === 0 ? null : `#${a} ${this.names[a]}` });
      case FLOW_START:
      case FLOW_END:
        return { name: "wake", cat: "wake", ph: kind === FLOW_START ? "s" : "f", id: a, bp: "e", ts, pid: PID, tid, args: { cycles } };
      case END:
        return instant("sched", { state: END_STATES[a], highWater: rows[r + 3] });
      case ALLOC:
      case FREE:
        return instant("memory", { sizeClass: SIZE_CLASS_BY_INDEX[rows[r + 4]], addr: a, bytes: rows[r + 3] });
      default: // MIGRATE
        return instant("memory", { from: SIZE_CLASS_BY_INDEX[a], to: SIZE_CLASS_BY_INDEX[rows[r + 3]], frameBytes: rows[r + 4] });
    }
  }

  // ── recording ────────────────────────────────────────────────────────────

  /** Room for a row of `numbers` and its header written; returns its offset in `this.chunk`. */
  private row(kind: number, tid: number, cycles: number, numbers: number): number {
    let r = this.used;
    if (r + numbers > this.chunk.length) {
      this.nextChunk();
      r = 0;
    }
    const rows = this.chunk;
    rows[r] = tid * KINDS + kind;
    rows[r + 1] = cycles;
    this.used = r + numbers;
    return r;
  }

  private row1(kind: number, tid: number, cycles: number, a: number): number {
    const r = this.row(kind, tid, cycles, 3);
    this.chunk[r + 2] = a;
    return r;
  }

  private row2(kind: number, tid: number, cycles: number, a: number, b: number): void {
    const r = this.row(kind, tid, cycles, 4);
    const rows = this.chunk;
    rows[r + 2] = a;
    rows[r + 3] = b;
  }

  private row3(kind: number, tid: number, cycles: number, a: number, b: number, c: number): void {
    const r = this.row(kind, tid, cycles, LONGEST_ROW);
    const rows = this.chunk;
    rows[r + 2] = a;
    rows[r + 3] = b;
    rows[r + 4] = c;
  }

  private intern(detail: string): number {
    let i = this.detailIndex.get(detail);
    if (i === undefined) {
      i = this.details.push(detail) - 1;
      this.detailIndex.set(detail, i);
    }
    return i;
  }

  private nextChunk(): void {
    this.filled.push(this.used);
    this.chunk = new Float64Array(Math.min(this.chunk.length * 2, LARGEST_CHUNK_NUMBERS));
    this.chunks.push(this.chunk);
    this.used = 0;
  }

  private closeSlice(endCycles: number): void {
    const r = this.openRow;
    if (r < 0) return;
    const rows = this.openChunk;
    rows[r + 2] = endCycles - rows[r + 1];
    this.openRow = -1;
  }

  private setPending(tid: number, flow: number, from: number): void {
    if (tid >= this.pendingFlow.length) {
      let n = this.pendingFlow.length * 2;
      while (n <= tid) n *= 2;
      const flows = new Int32Array(n);
      const froms = new Int32Array(n);
      flows.set(this.pendingFlow);
      froms.set(this.pendingFrom);
      this.pendingFlow = flows;
      this.pendingFrom = froms;
    }
    this.pendingFlow[tid] = flow;
    this.pendingFrom[tid] = from;
  }

  /** Flows whose task has not been switched in yet: their starts are left out of an export. */
  private pendingFlowIds(): Set<number> {
    const ids = new Set<number>();
    for (const f of this.pendingFlow) if (f !== 0) ids.add(f);
    return ids;
  }
}
